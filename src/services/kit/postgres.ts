/**
 * PostgreSQL for the platform services: the `POSTGRES_*` variables (src/core/service-env.ts), a
 * small connection pool, a readiness ping and transactions. Shared by the self-healing audit store
 * and, later, the API gateway (users, audit).
 *
 * Client: `pg` (node-postgres). Measured with esbuild 0.28 (`--bundle --platform=node --format=cjs
 * --minify`, an entry that opens a pool and runs one parameterised query):
 *   pg 8.23        86,396 bytes minified, 26,673 gzipped (pg + pg-pool, pg-protocol, pg-types…)
 *   postgres 4.2  104,483 bytes minified, 39,391 gzipped (porsager's postgres.js)
 * pg is 18 KB smaller (13 KB gzipped), the most used PostgreSQL client of Node.js, released
 * regularly by the same maintainers for over a decade, and its queries are a constant text plus an
 * array of values: "parameterised only" is visible at every call, with no tagged-template or
 * `unsafe()` path to audit. Its optional `pg-native` is required only when `pg.native` is read, so
 * the bundle needs no `--external`.
 */
import pg from 'pg';
import type { Pool, PoolClient, PoolConfig } from 'pg';
import { Counter, type Registry } from 'prom-client';
import * as z from 'zod/mini';
import { sqlIdentifier } from '../../core/sql-identifier.js';
import { SERVICE_ENV } from '../../core/service-env.js';
import { envEnum, envOptionalString, envPort } from './config.js';
import type { Logger } from './log.js';

const P = SERVICE_ENV.postgres;

/**
 * `POSTGRES_SSLMODE`, with libpq's meanings: `disable` (plain TCP), `require` (TLS, certificate not
 * checked), `verify-ca` (TLS, certificate signed by a trusted CA), `verify-full` (and issued for
 * POSTGRES_HOST). Trusted CAs: Node's bundle plus `NODE_EXTRA_CA_CERTS`. libpq's `allow` and
 * `prefer` (TLS only if the server offers it) are not accepted: say which one you mean.
 */
export const POSTGRES_SSL_MODES = ['disable', 'require', 'verify-ca', 'verify-full'] as const;
export type PostgresSslMode = (typeof POSTGRES_SSL_MODES)[number];

/**
 * The `POSTGRES_*` variables, all optional as a group: without `POSTGRES_HOST` the service has no
 * database. Spread into a service's `z.object({...})` and add {@link postgresEnvCheck}.
 * Defaults: port 5432, sslmode `require` (never plain text unless asked: the chart asks `disable`
 * for its own in-cluster PostgreSQL).
 */
export const postgresEnvShape = {
  [P.host]: envOptionalString(),
  [P.port]: envPort(5432),
  [P.db]: envOptionalString(),
  [P.user]: envOptionalString(),
  [P.password]: envOptionalString(),
  [P.sslMode]: envEnum(POSTGRES_SSL_MODES, 'require'),
};

/** The parsed `POSTGRES_*` variables. */
export interface PostgresEnv {
  readonly [P.host]: string | undefined;
  readonly [P.port]: number;
  readonly [P.db]: string | undefined;
  readonly [P.user]: string | undefined;
  readonly [P.password]: string | undefined;
  readonly [P.sslMode]: PostgresSslMode;
}

/** With `POSTGRES_HOST` set, `POSTGRES_DB` and `POSTGRES_USER` are required (one line each when missing). */
export const postgresEnvCheck = z.superRefine((env: PostgresEnv, ctx) => {
  if (env[P.host] === undefined) return;
  for (const name of [P.db, P.user] as const) {
    if (env[name] === undefined) ctx.issues.push({ code: 'custom', path: [name], message: `required when ${P.host} is set, not set`, input: env[name] });
  }
});

/** The `POSTGRES_*` variables alone, with their group check (a service with no other variables can use it as is). */
export const postgresEnvSchema = z.object(postgresEnvShape).check(postgresEnvCheck);

/** Where and as whom to connect. */
export interface PostgresConnection {
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly user: string;
  /** Absent: no password is sent (trust or peer authentication). */
  readonly password?: string | undefined;
  readonly sslMode: PostgresSslMode;
}

/** The connection the variables describe, or undefined when `POSTGRES_HOST` is unset (no database). */
export function postgresConnection(env: PostgresEnv): PostgresConnection | undefined {
  const host = env[P.host];
  if (host === undefined) return undefined;
  const database = env[P.db];
  const user = env[P.user];
  // postgresEnvCheck refuses this when the config was parsed with it.
  if (database === undefined || user === undefined) throw new Error(`${P.db} and ${P.user} are required when ${P.host} is set`);
  return { host, port: env[P.port], database, user, password: env[P.password], sslMode: env[P.sslMode] };
}

/** `user@host:port/database (sslmode …)`, for logs: never the password. */
export function describePostgres(c: PostgresConnection): string {
  return `${c.user}@${c.host}:${c.port}/${c.database} (sslmode ${c.sslMode})`;
}

/** The `ssl` option of pg for a libpq sslmode. */
function tlsOptions(mode: PostgresSslMode): PoolConfig['ssl'] {
  switch (mode) {
    case 'disable':
      return false;
    case 'require':
      return { rejectUnauthorized: false };
    case 'verify-ca':
      return { rejectUnauthorized: true, checkServerIdentity: () => undefined };
    case 'verify-full':
      return { rejectUnauthorized: true };
  }
}

/** Tuning of {@link createPostgresPool}. */
export interface PostgresPoolOptions {
  /** `application_name` shown in `pg_stat_activity`; default: none. */
  readonly applicationName?: string;
  /** Most open connections; default 2 (the services write rarely). */
  readonly max?: number;
  /** Time to open a connection (TCP, TLS, authentication) before the call fails; default 3000 ms. */
  readonly connectTimeoutMs?: number;
  /** Time a statement may run, enforced by the server and by the client (a dead server); default 10000 ms. */
  readonly queryTimeoutMs?: number;
  /** Idle connections are closed after this; default 30000 ms. */
  readonly idleTimeoutMs?: number;
}

/**
 * A pg pool for `c`. Connections open lazily (the database may start after the service); an
 * error on an idle connection (the server restarted) is logged instead of crashing the process,
 * and the next query opens a new connection.
 */
export function createPostgresPool(c: PostgresConnection, log: Logger, opts: PostgresPoolOptions = {}): Pool {
  const queryTimeout = opts.queryTimeoutMs ?? 10_000;
  const pool = new pg.Pool({
    host: c.host,
    port: c.port,
    database: c.database,
    user: c.user,
    // A function: pg would read PGPASSWORD or ~/.pgpass for an empty password (the contract is
    // POSTGRES_PASSWORD only), and the password stays out of the pool's printable options.
    password: () => c.password ?? '',
    ssl: tlsOptions(c.sslMode),
    max: opts.max ?? 2,
    connectionTimeoutMillis: opts.connectTimeoutMs ?? 3000,
    idleTimeoutMillis: opts.idleTimeoutMs ?? 30_000,
    statement_timeout: queryTimeout,
    query_timeout: queryTimeout,
    keepAlive: true,
    ...(opts.applicationName ? { application_name: opts.applicationName } : {}),
  });
  pool.on('error', (err) => log.warn({ err, postgres: describePostgres(c) }, 'idle PostgreSQL connection failed (a new one opens on the next query)'));
  return pool;
}

/** Rejects with `<what> timed out after <ms> ms` unless `promise` settles first. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Default time {@link pingPostgres} waits: 1500 ms, below the kit's readiness timeout (2 s). */
export const DEFAULT_PING_TIMEOUT_MS = 1500;

/** Readiness: `SELECT 1` answered within `timeoutMs` (default {@link DEFAULT_PING_TIMEOUT_MS}). */
export async function pingPostgres(pool: Pool, timeoutMs = DEFAULT_PING_TIMEOUT_MS): Promise<void> {
  await withTimeout(pool.query('SELECT 1'), timeoutMs, 'PostgreSQL SELECT 1');
}

/**
 * Runs `work` in a transaction on one connection: COMMIT when it resolves, ROLLBACK (and the
 * error rethrown) when it rejects. A connection whose ROLLBACK failed is discarded, not reused.
 */
export async function inTransaction<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    client.release();
    return result;
  } catch (error) {
    let broken: Error | undefined;
    try {
      await client.query('ROLLBACK');
    } catch (rollbackError) {
      broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
    }
    client.release(broken);
    throw error;
  }
}

/** One schema version: statements applied together, in order, once. Never edit an applied one: add a version. */
export interface Migration {
  readonly version: number;
  readonly statements: readonly string[];
}

/** A service's schema: its migrations, the table recording the applied versions, the advisory lock. */
export interface Schema {
  /** What the schema is, for the log lines, e.g. `self-healing audit`. */
  readonly what: string;
  /** Table of the applied versions (a plain identifier), e.g. `self_healing_schema_migrations`. */
  readonly versionsTable: string;
  /** Name of the advisory lock (hashed by PostgreSQL's hashtext into the lock key). */
  readonly lock: string;
  readonly migrations: readonly Migration[];
}

/**
 * Applies the migrations of `schema` not applied yet, in one transaction under the advisory lock,
 * so that replicas starting together never race (the second waits, then finds them applied).
 * Versions newer than the code knows (a newer release ran) are logged, not an error.
 */
export function runMigrations(pool: Pool, log: Logger, where: string, schema: Schema): Promise<void> {
  const table = sqlIdentifier(schema.versionsTable, 'migrations table');
  return inTransaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [schema.lock]);
    await client.query(`CREATE TABLE IF NOT EXISTS ${table} (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`);
    const { rows } = await client.query<{ version: number }>(`SELECT version FROM ${table}`);
    const applied = new Set(rows.map((r) => r.version));
    for (const migration of schema.migrations) {
      if (applied.has(migration.version)) continue;
      for (const statement of migration.statements) await client.query(statement);
      await client.query(`INSERT INTO ${table} (version, applied_at) VALUES ($1, now())`, [migration.version]);
      log.info({ postgres: where, version: migration.version }, `${schema.what} schema migrated`);
    }
    const known = Math.max(...schema.migrations.map((m) => m.version));
    const newer = [...applied].filter((v) => v > known);
    if (newer.length > 0) log.warn({ postgres: where, known, newer }, `the ${schema.what} schema is newer than this program (a newer version ran): writing with the columns it knows`);
  });
}

/** PostgreSQL text cannot hold U+0000: it becomes U+FFFD, so that the row is still stored. */
export function pgText(value: string): string;
export function pgText(value: string | undefined): string | null;
export function pgText(value: string | undefined): string | null {
  return value === undefined ? null : value.replaceAll('\u0000', '\uFFFD');
}

/** `value` as JSON text for jsonb, which refuses the `\u0000` escape (replaced by `\ufffd`; escaped backslashes stay). */
export function pgJsonText(value: unknown): string | null {
  if (value === undefined) return null;
  const json = JSON.stringify(value);
  return json === undefined ? null : json.replace(/(?<!\\)((?:\\\\)*)\\u0000/g, '$1\\ufffd');
}

/** What {@link createPostgresStore} needs: where, as which program, its schema and its failure counter. */
export interface PostgresStoreOptions extends PostgresPoolOptions {
  readonly connection: PostgresConnection;
  readonly log: Logger;
  readonly registry: Registry;
  readonly schema: Schema;
  /** The counter of writes that failed: name and help (registered once per registry). */
  readonly failures: { readonly name: string; readonly help: string };
  /** Time `ready` waits for `SELECT 1` (default {@link DEFAULT_PING_TIMEOUT_MS}). */
  readonly pingTimeoutMs?: number;
}

/** The common part of a service's PostgreSQL store (the executor's audit, the engine's history). */
export interface PostgresStore {
  readonly pool: Pool;
  /** The server, for log lines (no password). */
  readonly where: string;
  /** Readiness: PostgreSQL answers `SELECT 1` within the ping timeout. */
  ready(): Promise<void>;
  /** Applies the schema's migrations ({@link runMigrations}). */
  migrate(): Promise<void>;
  /** Runs one write; never rejects: a failure is logged with `context` and counted. */
  write(sql: string, values: readonly unknown[], context: Record<string, unknown>, message: string): Promise<void>;
  /** Runs `sql` with a positive whole number of days (`$1`); resolves to the rows it changed. */
  deleteOlderThan(sql: string, days: number): Promise<number>;
  /** Ends the pool (idempotent). */
  close(): Promise<void>;
}

/** A pool, its migrations, never-failing writes and pruning: what every store of the services shares. Nothing connects until the first call. */
export function createPostgresStore(o: PostgresStoreOptions): PostgresStore {
  const pool = createPostgresPool(o.connection, o.log, o);
  const existing = o.registry.getSingleMetric(o.failures.name);
  const failures = (existing as Counter | undefined) ?? new Counter({ name: o.failures.name, help: o.failures.help, registers: [o.registry] });
  const where = describePostgres(o.connection);
  let closing: Promise<void> | undefined;
  return {
    pool,
    where,
    ready: () => pingPostgres(pool, o.pingTimeoutMs),
    migrate: () => runMigrations(pool, o.log, where, o.schema),
    async write(sql, values, context, message) {
      try {
        await pool.query(sql, values as unknown[]);
      } catch (err) {
        failures.inc();
        o.log.warn({ err, postgres: where, ...context }, message);
      }
    },
    async deleteOlderThan(sql, days) {
      if (!Number.isInteger(days) || days < 1) throw new RangeError(`prune: days must be a positive integer, found ${days}`);
      return (await pool.query(sql, [days])).rowCount ?? 0;
    },
    close() {
      closing ??= pool.end();
      return closing;
    },
  };
}
