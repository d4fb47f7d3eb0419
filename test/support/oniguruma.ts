/**
 * Oniguruma with Ruby syntax, the engine family of Logstash's conditionals (JRuby's Joni is the
 * Java port of Oniguruma/Onigmo), reached through libonig's C API from Python's ctypes
 * (oniguruma-search.py): there is no Logstash or Ruby on these machines, but Debian's libonig5 is.
 * {@link onigurumaPresent} skips a suite with a warning when python3 or libonig is missing locally
 * and fails in CI (`CI=true`).
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { onPath, output, runProcess, toolsPresent } from './process.js';

const SCRIPT = join(__dirname, 'oniguruma-search.py');
const python = onPath('python3');

function libraryLoads(): boolean {
  if (!python) return false;
  try {
    execFileSync(python, [SCRIPT], { input: '{"patterns": [], "subjects": []}', timeout: 10_000, stdio: ['pipe', 'pipe', 'pipe'] });
    return true;
  } catch {
    return false;
  }
}

/** True when the Oniguruma tests can run (see the file comment). */
export function onigurumaPresent(suite: string): boolean {
  const missing = !python ? ['python3'] : libraryLoads() ? [] : ['libonig (libonig.so.5)'];
  return toolsPresent(suite, missing, 'Debian: apt-get install python3 libonig5');
}

/** Whether each pattern finds a match in each subject, by Oniguruma (Ruby syntax, no options): `matches[pattern][subject]`. */
export async function onigurumaSearch(patterns: readonly string[], subjects: readonly string[]): Promise<{ version: string; matches: boolean[][] }> {
  const r = await runProcess(python!, [SCRIPT], { input: JSON.stringify({ patterns, subjects }), timeoutMs: 60_000 });
  if (r.code !== 0) throw new Error(`oniguruma-search.py failed: ${output(r)}`);
  return JSON.parse(r.stdout) as { version: string; matches: boolean[][] };
}
