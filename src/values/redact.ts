import type { ValuesIssue } from './issues.js';

/**
 * Keeps credentials out of error messages: a message about a password says how long the value
 * is, never what it is. Credentials are the values at credential keys (passwords, tokens, secret
 * keys, receiver URLs such as Slack webhooks, which are the token) and any URL with a user:password@ part.
 */

/** Last key segments whose values are credentials (`existingSecret` and `secretName` are Secret names). */
const CREDENTIAL_KEY = /(password|passwd|token|secret|apikey|apiurl|webhookurl|encryptionkey|credentials?|privatekey)$/i;
const NOT_CREDENTIAL = /^(existingSecret|secretName)$/;
/**
 * A URL with user information (`https://user:pass@host`). The scheme starts where no scheme
 * character precedes it, so a long run of letters is scanned once, not once per position
 * (a 256 KiB annotation took minutes).
 */
const URL_WITH_USERINFO = /(?<![a-z0-9+.-])[a-z][a-z0-9+.-]*:\/\/[^\s/@"']+@/i;

/** Whether the value at `path` is a credential. */
export function isCredentialPath(path: readonly PropertyKey[]): boolean {
  const last = [...path].reverse().find((segment) => typeof segment === 'string');
  if (typeof last !== 'string' || NOT_CREDENTIAL.test(last)) return false;
  if (CREDENTIAL_KEY.test(last)) return true;
  // Every entry of a map of keys (Kibana's encryptionKeys) is one.
  if (path.some((segment) => typeof segment === 'string' && /^encryptionKeys$/i.test(segment))) return true;
  // Receiver URLs (webhook, Slack) carry the credential in the URL itself.
  return /^url$/i.test(last) && path.some((segment) => segment === 'receivers');
}

/** The credential values (strings, numbers) found in a values tree. */
export function credentialsIn(data: unknown, path: PropertyKey[] = []): string[] {
  if (Array.isArray(data)) return data.flatMap((item, i) => credentialsIn(item, [...path, i]));
  if (typeof data === 'object' && data !== null) return Object.entries(data).flatMap(([k, v]) => credentialsIn(v, [...path, k]));
  if (typeof data === 'string' && data !== '' && (isCredentialPath(path) || URL_WITH_USERINFO.test(data))) return [data];
  if (typeof data === 'number' && isCredentialPath(path)) return [String(data)];
  return [];
}

/** Credentials in `--set a.password=x` texts, read without parsing (the flag may not parse). */
export function credentialsInFlags(flags: readonly string[]): string[] {
  return flags.flatMap((flag) => assignments(flag).flatMap((a) => (a.credential && a.value !== '' ? [a.value] : [])));
}

/** The comma-separated parts of a `--set` text (commas escaped or inside a `{a,b}` list excluded). */
function splitFlag(text: string): string[] {
  const parts: string[] = [''];
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\' && i + 1 < text.length) parts[parts.length - 1] += c + text[++i];
    else if (c === ',' && depth === 0) parts.push('');
    else {
      depth += c === '{' ? 1 : c === '}' && depth > 0 ? -1 : 0;
      parts[parts.length - 1] += c;
    }
  }
  return parts;
}

/** One `key=value` part: its value, and whether that is a credential; undefined without `=`. */
function assignment(part: string): { key: string; value: string; credential: boolean } | undefined {
  const eq = part.search(/(?<!\\)=/);
  if (eq < 0) return undefined;
  const key = part.slice(0, eq);
  const value = part.slice(eq + 1);
  return { key, value, credential: isCredentialPath(key.split(/(?<!\\)\./)) || URL_WITH_USERINFO.test(value) };
}

/** The `key=value` parts of a `--set` text. */
function assignments(text: string): { key: string; value: string; credential: boolean }[] {
  return splitFlag(text).flatMap((part) => assignment(part) ?? []);
}

/** A `--set…` location with its credential values hidden. */
function redactFlag(location: string): string {
  // --set-file values are file names: its contents are hidden as values, wherever they appear.
  const match = /^(--set(?:-string)? )(.*)$/s.exec(location);
  if (!match) return location;
  const parts = splitFlag(match[2]!).map((part) => {
    const a = assignment(part);
    return a?.credential ? `${a.key}=${hidden(a.value)}` : part;
  });
  return match[1]! + parts.join(',');
}

const hidden = (secret: string) => `(hidden: ${secret.length} characters)`;

/** Hides what a message about a credential value says it found: `found string "…"`, `found number …`. */
function redactFound(message: string): string {
  return message
    .replace(/found string ("(?:[^"\\]|\\.)*")/g, (_, quoted: string) => `found a string of ${(JSON.parse(quoted) as string).length} characters (hidden)`)
    .replace(/found number \S+/g, 'found a number (hidden)');
}

/**
 * A function that hides the given credentials wherever they appear in a text (those of at least
 * 4 characters: a shorter one would also hide unrelated words or numbers).
 */
export function redactor(credentials: readonly string[]): (text: string) => string {
  const secrets = [...new Set(credentials)].filter((s) => s.length >= 4).sort((a, b) => b.length - a.length);
  return (text) => {
    let result = text;
    for (const secret of secrets) {
      result = result
        .split(`string ${JSON.stringify(secret)}`)
        .join(`a string of ${secret.length} characters (hidden)`)
        .split(JSON.stringify(secret))
        .join(hidden(secret))
        .split(secret)
        .join(hidden(secret));
    }
    return result;
  };
}

/**
 * Issues with every credential hidden: `--set` values of credential keys in locations, what a
 * message about a credential key found, and any known credential anywhere else.
 */
export function redactIssues(issues: readonly ValuesIssue[], credentials: readonly string[]): ValuesIssue[] {
  const redact = redactor(credentials);
  return issues.map((issue) => {
    const message = isCredentialPath(issue.path.split('.')) ? redactFound(issue.message) : issue.message;
    return { ...issue, location: redact(redactFlag(issue.location)), message: redact(message) };
  });
}

/** What a credential is written as where values are kept for the record (a Helm chart's values.yaml). */
export const HIDDEN = '(hidden: see the Secrets)';

/**
 * A copy of a values tree with every credential (as {@link credentialsIn} finds them: values at
 * credential keys, URLs with user information) replaced by {@link HIDDEN}; empty strings stay empty.
 */
export function withoutCredentials(data: unknown, path: PropertyKey[] = []): unknown {
  if (Array.isArray(data)) return data.map((item, i) => withoutCredentials(item, [...path, i]));
  if (typeof data === 'object' && data !== null) return Object.fromEntries(Object.entries(data).map(([k, v]) => [k, withoutCredentials(v, [...path, k])]));
  if (typeof data === 'string' && data !== '' && (isCredentialPath(path) || URL_WITH_USERINFO.test(data))) return HIDDEN;
  if (typeof data === 'number' && isCredentialPath(path)) return HIDDEN;
  return data;
}
