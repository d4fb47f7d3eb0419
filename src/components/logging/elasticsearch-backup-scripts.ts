import { shellQuote, shellScript } from '../../lib/shell-scripts.js';

/** The snapshot script's file in the backup ConfigMap. */
export const SNAPSHOT_SCRIPT = 'snapshot.sh';
/** The body of every snapshot: all indices (data streams and system indices included) and the cluster state. */
export const SNAPSHOT_BODY = { indices: '*', include_global_state: true } as const;
/** Seconds between two looks at a running snapshot. */
const POLL_SECONDS = 10;

/** What {@link snapshotScript} needs besides its environment. */
export interface SnapshotScriptOptions {
  /** Security on: sign in as `user` with the password from `passwordEnv`. */
  readonly auth: { readonly user: string; readonly passwordEnv: string } | undefined;
}

/**
 * The snapshot CronJob's script. Environment: ES_URL, REPOSITORY, SNAPSHOT_PREFIX, KEEP, WORK_DIR
 * (an in-memory volume) and, with security on, the user's password. It takes one snapshot named
 * `<prefix>-<UTC yyyy.mm.dd-HHMMSS>` (`PUT _snapshot/<repo>/<name>`, all indices and the cluster
 * state), follows it every 10 s (`GET _snapshot/<repo>/<name>`) until it ends (the Job's deadline
 * bounds the wait), and fails unless it is SUCCESS. Then it lists the repository
 * (`_cat/snapshots`), keeps the newest KEEP successful snapshots of its own naming and deletes
 * the older ones, and its own failed or partial ones, oldest first (`DELETE
 * _snapshot/<repo>/<name>`, one each, logged); snapshots of other names (taken by hand, by another
 * release) are never touched. Every request's status is checked; a failure prints the response
 * and exits non-zero. The password reaches curl through a config file (mode 0600), never its command line.
 */
export function snapshotScript(o: SnapshotScriptOptions): string {
  const auth = o.auth;
  const named = '"$SNAPSHOT_PREFIX"-[0-9][0-9][0-9][0-9].[0-9][0-9].[0-9][0-9]-[0-9][0-9][0-9][0-9][0-9][0-9]';
  return shellScript('Takes an Elasticsearch snapshot, waits for it, then keeps the newest KEEP snapshots of this CronJob.', [
    'work="$WORK_DIR"',
    'umask 077',
    'rm -f "$work/response"',
    '# fail MESSAGE: prints MESSAGE and the last response body (if any), then exits.',
    'fail() { echo "$1" >&2; if [ -f "$work/response" ]; then cat "$work/response" >&2; echo >&2; fi; exit 1; }',
    `case "$KEEP" in ''|*[!0-9]*|0) fail "KEEP must be a whole number above 0, found $KEEP" ;; esac`,
    ...(auth
      ? [
          `[ -n "$${auth.passwordEnv}" ] || fail "${auth.passwordEnv} is empty: set it in the Elasticsearch credentials Secret"`,
          String.raw`[ "$(printf '%s' "$` + auth.passwordEnv + String.raw`" | LC_ALL=C tr -d '\001-\037\177')" = "$` + auth.passwordEnv + `" ] || fail "${auth.passwordEnv} contains a control character, which cannot be sent"`,
          `trap 'rm -f "$work/curl.conf"' EXIT`,
          String.raw`printf 'user = "%s:%s"\n' ` + shellQuote(auth.user) + String.raw` "$(printf '%s' "$` + auth.passwordEnv + String.raw`" | sed 's/[\\"]/\\&/g')" > "$work/curl.conf"`,
        ]
      : []),
    `es() { rm -f "$work/response"; curl -q${auth ? ' -K "$work/curl.conf"' : ''} --silent --show-error --connect-timeout 5 --max-time 120 -o "$work/response" -w '%{http_code}' "$@"; }`,
    '# call EXPECTED METHOD PATH [curl arguments]: fails unless the status is EXPECTED.',
    'call() {',
    '  expected=$1 method=$2 path=$3; shift 3',
    '  code=$(es -X "$method" "$@" "$ES_URL$path") || true',
    '  [ "$code" = "$expected" ] || fail "$method $path failed with HTTP $code:"',
    '}',
    '# state: the state of the snapshot in the last response.',
    `state() { sed -n 's/.*"state":"\\([A-Z_]*\\)".*/\\1/p' "$work/response" | head -n 1; }`,
    '',
    'snapshot="$SNAPSHOT_PREFIX-$(date -u +%Y.%m.%d-%H%M%S)"',
    `call 200 PUT "/_snapshot/$REPOSITORY/$snapshot" -H 'Content-Type: application/json' --data-binary ${shellQuote(JSON.stringify(SNAPSHOT_BODY))}`,
    'echo "snapshot $snapshot started in repository $REPOSITORY"',
    'while :; do',
    '  call 200 GET "/_snapshot/$REPOSITORY/$snapshot"',
    '  current=$(state)',
    '  case "$current" in',
    '    SUCCESS) echo "snapshot $snapshot: SUCCESS"; break ;;',
    `    IN_PROGRESS|STARTED|'') sleep ${POLL_SECONDS} ;;`,
    '    *) fail "snapshot $snapshot ended $current:" ;;',
    '  esac',
    'done',
    '',
    'call 200 GET "/_cat/snapshots/$REPOSITORY?h=id,status&s=id"',
    ': > "$work/kept"; : > "$work/failed"',
    'while read -r id status; do',
    `  case "$id" in ${named}) ;; *) continue ;; esac`,
    '  case "$status" in',
    '    SUCCESS) echo "$id" >> "$work/kept" ;;',
    '    FAILED|PARTIAL|INCOMPATIBLE) echo "$id" >> "$work/failed" ;;',
    '  esac',
    'done < "$work/response"',
    'LC_ALL=C sort -o "$work/kept" "$work/kept"',
    'count=$(wc -l < "$work/kept")',
    'excess=$((count - KEEP))',
    'if [ "$excess" -gt 0 ]; then head -n "$excess" "$work/kept" >> "$work/failed"; fi',
    'LC_ALL=C sort -o "$work/failed" "$work/failed"',
    'deleted=0',
    'while read -r id; do',
    '  call 200 DELETE "/_snapshot/$REPOSITORY/$id"',
    '  echo "deleted snapshot $id"',
    '  deleted=$((deleted + 1))',
    'done < "$work/failed"',
    'echo "repository $REPOSITORY: $((count > KEEP ? KEEP : count)) snapshots kept, $deleted deleted"',
  ]);
}
