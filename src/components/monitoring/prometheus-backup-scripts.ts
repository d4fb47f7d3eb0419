import { shellQuote, shellScript } from '../../lib/shell-scripts.js';

/** The backup script's file in the ConfigMap. */
export const PROMETHEUS_BACKUP_SCRIPT = 'backup.sh';
/** Path of the snapshot API under Prometheus' route prefix (the admin API, `--web.enable-admin-api`). */
export const SNAPSHOT_API_PATH = '/api/v1/admin/tsdb/snapshot';
/** The form of the names Prometheus gives its snapshots (`20251206T021500Z-<16 hex digits>`), as a shell pattern. */
const SNAPSHOT_NAME = '[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]T[0-9][0-9][0-9][0-9][0-9][0-9]Z-[0-9a-f]*';

/**
 * The Prometheus backup CronJob's script (busybox sh and wget of the Prometheus image; dash and GNU
 * wget work too). Environment: PROMETHEUS_URL (replica 0, with the route prefix), DATA_DIR (its
 * data volume, mounted in this pod), BACKUP_DIR, KEEP. It asks for a snapshot (`POST
 * <prefix>/api/v1/admin/tsdb/snapshot`: Prometheus writes hard links of its blocks and the head
 * into `<data>/snapshots/<name>`), copies that directory to `BACKUP_DIR/.partial-<name>` and
 * renames it to `BACKUP_DIR/<name>` once complete, then removes it from the data volume (also when
 * the copy fails: a snapshot left there would keep deleted blocks on the volume). Finally it keeps
 * the newest KEEP copies of that name form and removes the older ones (and partial copies of
 * interrupted runs); nothing else in BACKUP_DIR is touched.
 */
export function prometheusBackupScript(): string {
  return shellScript("Takes a Prometheus TSDB snapshot, copies it to the backup volume and removes it from Prometheus' data volume; keeps the newest KEEP.", [
    'fail() { echo "$1" >&2; exit 1; }',
    `case "$KEEP" in ''|*[!0-9]*|0) fail "KEEP must be a whole number above 0, found $KEEP" ;; esac`,
    'mkdir -p "$BACKUP_DIR"',
    'for stale in "$BACKUP_DIR"/.partial-*; do',
    '  [ -e "$stale" ] || continue',
    '  rm -rf "$stale"; echo "removed the partial copy $stale of an interrupted run"',
    'done',
    `url="$PROMETHEUS_URL"${shellQuote(SNAPSHOT_API_PATH)}`,
    'answer=$(wget -q -T 600 -O - --post-data= "$url") || fail "POST $url failed: is Prometheus up, with its admin API (backup.prometheus.enabled)?"',
    `name=$(printf '%s' "$answer" | sed -n 's/.*"name":"\\([0-9A-Za-z-]*\\)".*/\\1/p')`,
    `case "$name" in ${SNAPSHOT_NAME}) ;; *) fail "unexpected answer to POST $url: $answer" ;; esac`,
    'snapshot="$DATA_DIR/snapshots/$name"',
    `trap 'rm -rf "$snapshot"' EXIT`,
    '[ -d "$snapshot" ] || fail "snapshot $name is not in $DATA_DIR/snapshots: this pod must mount the data volume of the replica it asked"',
    'cp -R "$snapshot" "$BACKUP_DIR/.partial-$name"',
    'mv "$BACKUP_DIR/.partial-$name" "$BACKUP_DIR/$name"',
    'rm -rf "$snapshot"',
    'trap - EXIT',
    'echo "snapshot $name copied to $BACKUP_DIR/$name"',
    'kept=0',
    'for copy in $(ls -1 "$BACKUP_DIR" | LC_ALL=C sort -r); do',
    `  case "$copy" in ${SNAPSHOT_NAME}) ;; *) continue ;; esac`,
    '  kept=$((kept + 1))',
    '  [ "$kept" -gt "$KEEP" ] || continue',
    '  rm -rf "$BACKUP_DIR/$copy"; echo "removed the old copy $copy"',
    'done',
  ]);
}
