import { shellScript } from '../../lib/shell-scripts.js';

// The scripts of PostgreSQL: the first-start script and the SQL and psql command of the maintenance.

/**
 * First-start script (docker-entrypoint-initdb.d): creates the application role and database, and
 * pg_stat_statements with the query statistics view ({@link queryStatsSql}). Credentials come from
 * the environment (a Secret), so the script itself holds none. psql variables quote identifiers
 * and literals safely.
 */
export function postgresInitScript(): string {
  const psql = 'psql -v ON_ERROR_STOP=1 --no-psqlrc --username "$POSTGRES_USER"';
  return shellScript('Creates the application role and database on the first start of an empty data directory.', [
    'if [ "$APP_USER" != "$POSTGRES_USER" ]; then',
    `  ${psql} --dbname postgres --set=app_user="$APP_USER" --set=app_password="$APP_PASSWORD" <<'SQL'`,
    `CREATE ROLE :"app_user" LOGIN PASSWORD :'app_password';`,
    'SQL',
    'fi',
    'if [ "$APP_DATABASE" != "postgres" ]; then',
    `  ${psql} --dbname postgres --set=app_user="$APP_USER" --set=app_db="$APP_DATABASE" <<'SQL'`,
    `CREATE DATABASE :"app_db" OWNER :"app_user";`,
    'SQL',
    'elif [ "$APP_USER" != "$POSTGRES_USER" ]; then',
    '  # Since PostgreSQL 15 only the owner may create in schema public: let the application user.',
    `  ${psql} --dbname postgres --set=app_user="$APP_USER" <<'SQL'`,
    `GRANT CREATE, USAGE ON SCHEMA public TO :"app_user";`,
    'SQL',
    'fi',
    `${psql} --dbname "$APP_DATABASE" --set=app_user="$APP_USER" <<'SQL'`,
    ...queryStatsSql(),
    'SQL',
  ]);
}

/**
 * View over pg_stat_statements in the application database: the statistics of the statements run
 * in that database only, readable by the application user (the AI engine's query optimisation).
 */
export const QUERY_STATS_VIEW = 'aiops_query_stats';

/** Where the maintenance Job mounts its SQL script. */
export const MAINTENANCE_SQL_DIR = '/etc/postgresql-maintenance';
/** File name of the maintenance SQL script in its ConfigMap. */
export const MAINTENANCE_SQL_FILE = 'maintenance.sql';
/** `statement_timeout` of the maintenance session: no statement of it runs longer. */
export const MAINTENANCE_STATEMENT_TIMEOUT_SECONDS = 3600;

/**
 * pg_stat_statements and the {@link QUERY_STATS_VIEW} view, idempotent: shared by the first-start
 * script and the scheduled maintenance. Run as the superuser in the application database with the
 * psql variable `app_user`, quoted by psql (`:"app_user"`). Every name is schema-qualified, so
 * objects the application user creates in `public` cannot shadow the ones meant here. The view
 * shows the statements of the current database only, none of the other databases; pg_stat_statements
 * itself still checks the reader, so the application user sees the query text of its own statements
 * and `<insufficient privilege>` for those of other roles. Columns as of
 * pg_stat_statements 1.8 (PostgreSQL 13) and unchanged through 1.11 (PostgreSQL 17);
 * `CREATE OR REPLACE VIEW` may only append columns, so new ones go last.
 */
export function queryStatsSql(): string[] {
  return [
    'CREATE EXTENSION IF NOT EXISTS pg_stat_statements WITH SCHEMA public;',
    `CREATE OR REPLACE VIEW public.${QUERY_STATS_VIEW} AS`,
    '  SELECT s.queryid, pg_catalog.pg_get_userbyid(s.userid) AS username, s.query, s.calls,',
    '         s.total_exec_time, s.mean_exec_time, s.rows, s.shared_blks_hit, s.shared_blks_read',
    '  FROM public.pg_stat_statements AS s',
    '  WHERE s.dbid = (SELECT d.oid FROM pg_catalog.pg_database AS d WHERE d.datname = pg_catalog.current_database());',
    `GRANT SELECT ON public.${QUERY_STATS_VIEW} TO :"app_user";`,
  ];
}

/**
 * The scheduled maintenance script, run by psql as the superuser in the application database with
 * the psql variable `app_user` ({@link maintenancePsqlCommand}): the query statistics view first
 * (quick), then `VACUUM (ANALYZE, SKIP_LOCKED)` of the whole database (reclaims dead rows and
 * refreshes the planner statistics; tables locked by someone else are skipped, not waited for).
 * Timeouts bound every statement and every lock wait. Idempotent.
 */
export function maintenanceSql(): string {
  return [
    '-- Scheduled PostgreSQL maintenance of the aiops platform (also run by the self-healing executor).',
    `SET statement_timeout = '${MAINTENANCE_STATEMENT_TIMEOUT_SECONDS}s';`,
    "SET lock_timeout = '60s';",
    ...queryStatsSql(),
    'VACUUM (ANALYZE, SKIP_LOCKED);',
  ].join('\n') + '\n';
}

/**
 * The psql command of the maintenance Job: no psqlrc, never a password prompt, stop at the first
 * error (exit code 3), echo each statement into the Job's log; the connection comes from the
 * libpq environment (PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD).
 */
export function maintenancePsqlCommand(appUser: string): string[] {
  return [
    'psql',
    '--no-psqlrc',
    '--no-password',
    '--echo-queries',
    '--set=ON_ERROR_STOP=1',
    `--set=app_user=${appUser}`,
    `--file=${MAINTENANCE_SQL_DIR}/${MAINTENANCE_SQL_FILE}`,
  ];
}

/** Where the backup Job mounts the backup volume, and the folder of PostgreSQL's backups on it. */
export const BACKUP_MOUNT = '/backup';
export const POSTGRESQL_BACKUP_DIR = `${BACKUP_MOUNT}/postgresql`;
export const BACKUP_SCRIPT_FILE = 'backup.sh';

/**
 * The backup Job's script: `pg_dump` of the application database (custom format: `pg_restore`
 * restores it, selectively if need be) and `pg_dumpall --globals-only` (the roles, with their
 * password hashes, so a new server can be restored into), each written under a temporary name and
 * renamed only when complete, as `<UTC time>.dump` and `<UTC time>.globals.sql` in
 * `$BACKUP_DIR`; then all but the newest `$KEEP` backups are removed. Files are readable by the
 * owner only. The connection comes from the libpq environment (PGHOST, PGPORT, PGUSER, PGPASSWORD,
 * PGDATABASE), nothing from values is written into the script.
 */
export function postgresqlBackupScript(): string {
  return shellScript('Backs up the application database and the roles, then keeps the newest $KEEP backups.', [
    'umask 077',
    'mkdir -p "$BACKUP_DIR"',
    'stamp=$(date -u +%Y%m%dT%H%M%SZ)',
    'partial="$BACKUP_DIR/.partial-$stamp"',
    'trap \'rm -f "$partial.dump" "$partial.globals.sql"\' EXIT',
    'pg_dump --no-password --format=custom --file="$partial.dump" --dbname="$PGDATABASE"',
    'pg_dumpall --no-password --globals-only --file="$partial.globals.sql"',
    'mv "$partial.globals.sql" "$BACKUP_DIR/$stamp.globals.sql"',
    'mv "$partial.dump" "$BACKUP_DIR/$stamp.dump"',
    'echo "backup $stamp.dump: $(wc -c < "$BACKUP_DIR/$stamp.dump") bytes"',
    '# Names sort by time: keep the newest $KEEP.',
    'ls -1 "$BACKUP_DIR" | grep -E \'^[0-9]{8}T[0-9]{6}Z\\.dump$\' | sort -r | tail -n +"$((KEEP + 1))" | while read -r old; do',
    '  rm -f "$BACKUP_DIR/$old" "$BACKUP_DIR/${old%.dump}.globals.sql"',
    '  echo "removed $old"',
    'done',
  ]);
}
