import { shellQuote, shellScript } from '../../lib/shell-scripts.js';

// The scripts of the connection test Pods: one check with the service's own client, retried.

/** Attempts of one check before the test fails (`helm test` may run right after an upgrade). */
export const CHECK_ATTEMPTS = 5;
/** Pause between two attempts, seconds. */
export const CHECK_PAUSE_SECONDS = 3;
/** Bound on one attempt, seconds: at most 5 × 5 s + 4 × 3 s = 37 s in all. */
export const CHECK_TIMEOUT_SECONDS = 5;

/** The environment the scripts read their target from (values never reach the script text). */
export const CHECK_ENV = {
  /** HTTP checks: the URL, and with basic auth the user and password (from a Secret). */
  url: 'CHECK_URL',
  user: 'CHECK_USER',
  password: 'CHECK_PASSWORD',
  /** Redis: host and port; redis-cli reads the password from REDISCLI_AUTH (never a command line). */
  redisHost: 'REDIS_HOST',
  redisPort: 'REDIS_PORT',
  redisAuth: 'REDISCLI_AUTH',
} as const;

/**
 * What one test checks, with the service's real client:
 * - `redis-ping`: `redis-cli PING` answers PONG (password from REDISCLI_AUTH);
 * - `psql-login`: `psql` signs in with the libpq environment (PGHOST, PGPORT, PGDATABASE, PGUSER,
 *   PGPASSWORD, PGSSLMODE, PGCONNECT_TIMEOUT) and `SELECT 1` answers 1;
 * - `http-get`: `curl` GETs CHECK_URL (basic auth when CHECK_USER is set) and gets a 2xx answer,
 *   whose body matches `expect` (an extended regular expression) when given.
 */
export type ConnectionCheck =
  | { readonly kind: 'redis-ping' }
  | { readonly kind: 'psql-login' }
  | { readonly kind: 'http-get'; readonly expect?: { readonly pattern: string; readonly description: string } };

/** The body of `check()` for each kind: prints what it saw and returns 0 when the service answers as it should. */
function checkLines(check: ConnectionCheck): string[] {
  switch (check.kind) {
    case 'redis-ping': {
      const target = `$${CHECK_ENV.redisHost}:$${CHECK_ENV.redisPort}`;
      return [
        `  reply=$(timeout "$limit" redis-cli -h "$${CHECK_ENV.redisHost}" -p "$${CHECK_ENV.redisPort}" ping 2>&1) || { printf '%s\\n' "redis-cli PING to ${target} failed: $reply"; return 1; }`,
        `  [ "$reply" = PONG ] || { printf '%s\\n' "PING to ${target} answered: $reply"; return 1; }`,
        `  printf '%s\\n' "PING to ${target} answered PONG"`,
      ];
    }
    case 'psql-login': {
      const target = `as $PGUSER to database $PGDATABASE at $PGHOST:$PGPORT (sslmode \${PGSSLMODE:-prefer})`;
      return [
        `  reply=$(timeout "$limit" psql -X -w -A -t -v ON_ERROR_STOP=1 -c ${shellQuote('SELECT 1')} 2>&1) || { printf '%s\\n' "psql login ${target} failed: $reply"; return 1; }`,
        `  [ "$reply" = 1 ] || { printf '%s\\n' "psql login ${target}: SELECT 1 answered: $reply"; return 1; }`,
        `  printf '%s\\n' "psql login ${target}: SELECT 1 answered 1"`,
      ];
    }
    case 'http-get': {
      const url = `$${CHECK_ENV.url}`;
      return [
        `  if [ -n "\${${CHECK_ENV.user}:-}" ]; then set -- --user "$${CHECK_ENV.user}:$${CHECK_ENV.password}"; else set --; fi`,
        `  body=$(curl --silent --show-error --fail --max-time "$limit" "$@" "${url}" 2>&1) || { printf '%s\\n' "GET ${url} failed: $body"; return 1; }`,
        ...(check.expect
          ? [
              `  printf '%s' "$body" | grep -Eq ${shellQuote(check.expect.pattern)} || { printf '%s\\n' "GET ${url} answered without "${shellQuote(`${check.expect.description}: `)}"$body"; return 1; }`,
            ]
          : []),
        `  printf '%s %s\\n' "GET ${url} answered" ${shellQuote(check.expect ? check.expect.description : '2xx')}`,
      ];
    }
  }
}

/**
 * The script of one connection test Pod (`sh -c <script> connection-test`): runs the check up to
 * {@link CHECK_ATTEMPTS} times, {@link CHECK_PAUSE_SECONDS} apart, each bounded to
 * {@link CHECK_TIMEOUT_SECONDS}; prints `<service>: OK: …` and exits 0, or prints
 * `<service>: FAILED after N attempts: …` (what the client said) on stderr and exits 1. Its target
 * and credentials come from the environment ({@link CHECK_ENV}, libpq's PG* variables); every
 * other value in it is quoted by shellQuote.
 */
export function connectionTestScript(service: string, check: ConnectionCheck): string {
  return shellScript(`Connection test of ${service.replace(/[^A-Za-z0-9 -]/g, '')}: ${check.kind}, retried.`, [
    `service=${shellQuote(service)}`,
    `attempts=${shellQuote(String(CHECK_ATTEMPTS))}`,
    `pause=${shellQuote(String(CHECK_PAUSE_SECONDS))}`,
    `limit=${shellQuote(String(CHECK_TIMEOUT_SECONDS))}`,
    'check() {',
    ...checkLines(check),
    '}',
    'n=1',
    'while :; do',
    '  if result=$(check 2>&1); then',
    `    printf '%s\\n' "$service: OK: $result"`,
    '    exit 0',
    '  fi',
    '  if [ "$n" -ge "$attempts" ]; then',
    `    printf '%s\\n' "$service: FAILED after $n attempts: $result" >&2`,
    '    exit 1',
    '  fi',
    `  printf '%s\\n' "$service: attempt $n of $attempts failed: $result (again in \${pause}s)" >&2`,
    '  n=$((n + 1))',
    '  sleep "$pause"',
    'done',
  ]);
}
