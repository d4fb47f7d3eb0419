import { shellQuote, shellScript } from '../../lib/shell-scripts.js';
import { SETUP_PASSWORD_ENV, setupRequests, type SetupOptions, type SetupRequest } from './elasticsearch-setup-config.js';

// The scripts of the Elasticsearch setup image: the setup (retention policy, template, users) and
// the disk cleanup the self-healing executor runs.

/** The setup script's file in the ConfigMap. */
export const SETUP_SCRIPT = 'setup.sh';
/** The cleanup script's file in the setup ConfigMap. */
export const DISK_CLEANUP_SCRIPT = 'disk-cleanup.sh';
/** Environment variable of the `elastic` password (the setup pod's name for it). */
const PASSWORD_ENV = SETUP_PASSWORD_ENV.elastic;
/** Bound of the wait for a yellow cluster in one attempt (the Job retries failed attempts), and its poll interval. */
const WAIT_SECONDS = 600;
const POLL_SECONDS = 5;

/** The ConfigMap data of the setup: the script and one JSON body per request (no password in any). */
export function setupFiles(o: SetupOptions): Record<string, string> {
  const requests = setupRequests(o);
  const bodies = Object.fromEntries(requests.map((r) => [r.file, JSON.stringify(r.body)]));
  return { [SETUP_SCRIPT]: setupScript(requests, o.connection.authEnabled), ...bodies };
}

/**
 * The script: waits (bounded) for a yellow cluster, then sends every request, checking each status
 * and printing the response body of a failure; exits non-zero on any failure (a 401 at once). With
 * security on it authenticates as `elastic` through a curl config file (mode 0600, in-memory
 * volume), so no password is ever on a command line, and adds passwords to bodies with `\` and `"`
 * escaped (empty passwords and control characters are refused).
 */
function setupScript(requests: readonly SetupRequest[], auth: boolean): string {
  const refused = auth ? 'the elastic user with the password of the Secret' : 'anonymous requests: is its security on?';
  return shellScript('Applies the log retention policy and index template (and with security on, the client users) to Elasticsearch; idempotent.', [
    'config="$SETUP_CONFIG_DIR"',
    'work="$SETUP_WORK_DIR"',
    'umask 077',
    'rm -f "$work/response"',
    '# fail MESSAGE: prints MESSAGE and the last response body (if any), then exits.',
    'fail() { echo "$1" >&2; if [ -f "$work/response" ]; then cat "$work/response" >&2; echo >&2; fi; exit 1; }',
    ...(auth
      ? [
          String.raw`quoted() { printf '%s' "$1" | sed 's/[\\"]/\\&/g'; }`,
          'check_password() {',
          '  [ -n "$2" ] || fail "$1 is empty: set it in the Elasticsearch credentials Secret"',
          String.raw`  [ "$(printf '%s' "$2" | LC_ALL=C tr -d '\001-\037\177')" = "$2" ] ||`,
          '    fail "$1 contains a control character (line break, tab...), which cannot be sent: choose another password"',
          '}',
          ...passwordEnvs(requests).map((env) => `check_password ${env} "$${env}"`),
          `trap 'rm -f "$work/curl.conf" "$work/body.json"' EXIT`,
          `printf 'user = "elastic:%s"\\n' "$(quoted "$${SETUP_PASSWORD_ENV.elastic}")" > "$work/curl.conf"`,
        ]
      : []),
    `es() { rm -f "$work/response"; curl -q${auth ? ' -K "$work/curl.conf"' : ''} --silent --show-error --connect-timeout 5 --max-time 60 -o "$work/response" -w '%{http_code}' "$@"; }`,
    `health() { code=$(es "$ES_URL/_cluster/health?wait_for_status=yellow&timeout=30s") || true; [ "$code" = 200 ]; }`,
    `deadline=$(( $(date +%s) + ${WAIT_SECONDS} ))`,
    'until health; do',
    `  [ "$code" != 401 ] || fail "Elasticsearch at $ES_URL refused ${refused} (HTTP 401):"`,
    `  [ "$(date +%s)" -lt "$deadline" ] || fail "Elasticsearch at $ES_URL did not report yellow or green health within ${WAIT_SECONDS} s (last HTTP status $code):"`,
    '  echo "waiting for Elasticsearch at $ES_URL to report yellow or green health (HTTP $code)"',
    `  sleep ${POLL_SECONDS}`,
    'done',
    '# request METHOD PATH FILE: one call with FILE as its JSON body; fails unless the status is 2xx.',
    'request() {',
    `  code=$(es -X "$1" -H 'Content-Type: application/json' --data-binary "@$3" "$ES_URL$2") || true`,
    '  case "$code" in 2??) echo "$1 $2: HTTP $code" ;; *) fail "$1 $2 failed with HTTP $code:" ;; esac',
    '}',
    ...(auth
      ? [
          '# request_with_password METHOD PATH FILE PASSWORD: FILE holds a JSON object; "password" is added as its first member.',
          'request_with_password() {',
          '  body=$(cat "$3"); members=${body#?}; members=${members%?}',
          `  printf '{"password":"%s"%s%s}' "$(quoted "$4")" "\${members:+,}" "$members" > "$work/body.json"`,
          '  request "$1" "$2" "$work/body.json"',
          '  rm -f "$work/body.json"',
          '}',
        ]
      : []),
    ...requests.map((r) =>
      r.passwordEnv
        ? `request_with_password ${r.method} ${shellQuote(r.path)} "$config"/${shellQuote(r.file)} "$${r.passwordEnv}"`
        : `request ${r.method} ${shellQuote(r.path)} "$config"/${shellQuote(r.file)}`,
    ),
    'echo "Elasticsearch setup complete"',
  ]);
}

/** The password variables the setup reads: every user's of {@link SETUP_PASSWORD_ENV}, then any other a request adds (the snapshot user's). */
function passwordEnvs(requests: readonly SetupRequest[]): string[] {
  const all: string[] = Object.values(SETUP_PASSWORD_ENV);
  return [...new Set([...all, ...requests.flatMap((r) => (r.passwordEnv ? [r.passwordEnv] : []))])];
}

/** What the cleanup deletes, and how much. */
export interface DiskCleanupOptions {
  /** Security on: authenticate as `elastic` (password from {@link PASSWORD_ENV}). */
  readonly auth: boolean;
  /** Prefix of the daily log indices, `<prefix>-YYYY.MM.dd` (Logstash's index name). */
  readonly indexPrefix: string;
  /** Delete until the data volumes are at most this full, in whole percent. */
  readonly targetPercent: number;
  /** At most this many indices per run. */
  readonly maxIndices: number;
}

/**
 * The disk cleanup script, run by the Job the self-healing executor creates on
 * ElasticsearchDiskAlmostFull. It reads the data volumes' use of all data nodes together
 * (`_cat/allocation`, disk.used and disk.total) and the daily log indices with their store size
 * (primaries and replicas, `_cat/indices`), then deletes the oldest indices, one `DELETE /<index>`
 * each, logged, until the bytes above `targetPercent` are freed: never today's index (UTC, as
 * Logstash names them) nor the newest one, at most `maxIndices`, only names of the exact daily
 * form. Exits non-zero on any failed request (printing its response), 0 otherwise, also when the
 * bounds kept it from freeing enough (it says so: the volumes then need more space or a shorter
 * retention). The ILM policy deletes by age; this bounds the size when the logs outgrow the disk
 * before then. With security on, curl reads the `elastic` password from a config file in the
 * in-memory work directory (mode 0600), never from its command line.
 */
export function diskCleanupScript(o: DiskCleanupOptions): string {
  const daily = `${shellQuote(`${o.indexPrefix}-`)}[0-9][0-9][0-9][0-9].[0-9][0-9].[0-9][0-9]`;
  const pattern = `${o.indexPrefix}-*`;
  return shellScript(
    `Deletes the oldest daily log indices (${pattern}) until the Elasticsearch data volumes are at most ${o.targetPercent} % full: at most ${o.maxIndices} per run, never today's or the newest.`,
    [
      'work="$SETUP_WORK_DIR"',
      'umask 077',
      'rm -f "$work/response"',
      '# fail MESSAGE: prints MESSAGE and the last response body (if any), then exits.',
      'fail() { echo "$1" >&2; if [ -f "$work/response" ]; then cat "$work/response" >&2; echo >&2; fi; exit 1; }',
      ...(o.auth
        ? [
            `[ -n "$${PASSWORD_ENV}" ] || fail "${PASSWORD_ENV} is empty: set it in the Elasticsearch credentials Secret"`,
            String.raw`[ "$(printf '%s' "$` + PASSWORD_ENV + String.raw`" | LC_ALL=C tr -d '\001-\037\177')" = "$` + PASSWORD_ENV + `" ] || fail "${PASSWORD_ENV} contains a control character, which cannot be sent"`,
            `trap 'rm -f "$work/curl.conf"' EXIT`,
            String.raw`printf 'user = "elastic:%s"\n' "$(printf '%s' "$` + PASSWORD_ENV + String.raw`" | sed 's/[\\"]/\\&/g')" > "$work/curl.conf"`,
          ]
        : []),
      `es() { rm -f "$work/response"; curl -q${o.auth ? ' -K "$work/curl.conf"' : ''} --silent --show-error --connect-timeout 5 --max-time 60 -o "$work/response" -w '%{http_code}' "$@"; }`,
      '# get PATH: GET PATH into $work/response; fails unless HTTP 200.',
      'get() { code=$(es "$ES_URL$1") || true; [ "$code" = 200 ] || fail "GET $1 failed with HTTP $code:"; }',
      '# number VALUE: true when VALUE is a whole number of bytes.',
      "number() { case \"$1\" in ''|*[!0-9]*) return 1 ;; esac; }",
      '',
      "get '/_cat/allocation?h=disk.used,disk.total&bytes=b'",
      'used=0; total=0',
      'while read -r node_used node_total; do',
      '  number "$node_used" && number "$node_total" || continue',
      '  used=$((used + node_used)); total=$((total + node_total))',
      'done < "$work/response"',
      '[ "$total" -gt 0 ] || fail "no data node reported its disk (GET /_cat/allocation):"',
      `excess=$(( (used * 100 - total * ${o.targetPercent}) / 100 ))`,
      `echo "data volumes: $used of $total bytes used ($((used * 100 / total)) %), target ${o.targetPercent} %"`,
      'if [ "$excess" -le 0 ]; then echo "nothing to delete"; exit 0; fi',
      '',
      `get ${shellQuote(`/_cat/indices/${pattern}?h=index,store.size&bytes=b&expand_wildcards=open,closed`)}`,
      ': > "$work/indices"',
      'while read -r index size; do',
      `  case "$index" in ${daily}) ;; *) continue ;; esac`,
      '  number "$size" || size=0',
      '  echo "$index $size" >> "$work/indices"',
      'done < "$work/response"',
      'LC_ALL=C sort -o "$work/indices" "$work/indices"',
      'newest=$(tail -n 1 "$work/indices"); newest=${newest%% *}',
      `today=${shellQuote(`${o.indexPrefix}-`)}$(date -u +%Y.%m.%d)`,
      '# before_today INDEX: true when INDEX sorts before today\'s index name.',
      'before_today() { [ "$1" != "$today" ] && [ "$(printf \'%s\\n%s\\n\' "$1" "$today" | LC_ALL=C sort | head -n 1)" = "$1" ]; }',
      'freed=0; deleted=0',
      'while read -r index size; do',
      '  [ "$freed" -lt "$excess" ] || break',
      `  [ "$deleted" -lt ${o.maxIndices} ] || { echo "stopping after ${o.maxIndices} indices, the most one run deletes"; break; }`,
      '  [ "$index" != "$newest" ] && before_today "$index" || break',
      '  code=$(es -X DELETE "$ES_URL/$index") || true',
      '  [ "$code" = 200 ] || fail "DELETE /$index failed with HTTP $code:"',
      '  deleted=$((deleted + 1)); freed=$((freed + size))',
      '  echo "deleted $index ($size bytes)"',
      'done < "$work/indices"',
      'if [ "$freed" -ge "$excess" ]; then',
      `  echo "deleted $deleted indices, $freed bytes: the data volumes are back under ${o.targetPercent} %"`,
      'else',
      `  echo "deleted $deleted indices, $freed of the $excess bytes above ${o.targetPercent} %: today's and the newest index are kept and one run deletes at most ${o.maxIndices}; give the data volumes more space (elasticsearch.persistence.size) or lower elasticsearch.retentionDays"`,
      'fi',
    ],
  );
}
