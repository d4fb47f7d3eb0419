import { toMebibytes } from '../../core/quantity.js';
import { assignmentConfFile } from '../../lib/config-files.js';
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
