// Generated shell scripts: only the components' *-scripts.ts files build them (test/architecture).

/** Renders a shell script from its lines, with a shebang and strict mode. */
export function shellScript(description: string, lines: readonly string[]): string {
  return ['#!/bin/sh', `# ${description}`, 'set -eu', ...lines].join('\n') + '\n';
}

/**
 * Quotes a string as one POSIX shell word: single quotes, each `'` written as `'\''`. The one
 * helper for every value a generated script interpolates (names, hosts, paths): whatever the value
 * holds (quotes, `$()`, backticks, line breaks), the shell passes it on as one literal argument.
 */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}
