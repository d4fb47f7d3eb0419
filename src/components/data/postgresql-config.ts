import { assignmentConfFile, shellScript } from '../../lib/config-files.js';
import { toMebibytes } from '../../lib/quantity.js';
import type { Values } from '../../values/schema/index.js';

/**
 * postgresql.conf from values: memory settings derived from the memory limit (shared_buffers a
 * quarter, effective_cache_size a half), slow-query logging and pg_stat_statements for query
 * statistics, SCRAM passwords.
 */
export function postgresqlConf(values: Values['postgresql']): string {
  const memory = values.resources.limits.memory ?? values.resources.requests.memory!;
  const memoryMb = toMebibytes(memory);
  return assignmentConfFile([
    ['listen_addresses', '*'],
    ['port', 5432],
    ['max_connections', values.maxConnections],
    ['unix_socket_directories', '/var/run/postgresql'],
    ['password_encryption', 'scram-sha-256'],
    ['shared_buffers', `${Math.max(32, Math.floor(memoryMb / 4))}MB`],
    ['effective_cache_size', `${Math.max(64, Math.floor(memoryMb / 2))}MB`],
    ['dynamic_shared_memory_type', 'posix'],
    ['shared_preload_libraries', 'pg_stat_statements'],
    ['pg_stat_statements.track', 'all'],
    ['track_io_timing', true],
    ['log_destination', 'stderr'],
    ['logging_collector', false],
    ['log_min_duration_statement', 1000],
    ['log_lock_waits', true],
    ['log_timezone', 'UTC'],
    ['timezone', 'UTC'],
  ]);
}

/**
 * First-start script (docker-entrypoint-initdb.d): creates the application role and database and
 * the pg_stat_statements extension. Credentials come from the environment (a Secret), so the
 * script itself holds none. psql variables quote identifiers and literals safely.
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
    `${psql} --dbname "$APP_DATABASE" <<'SQL'`,
    'CREATE EXTENSION IF NOT EXISTS pg_stat_statements;',
    'SQL',
  ]);
}
