/**
 * The AI engine's anomaly history in PostgreSQL: one `ai_engine_anomalies` row per anomaly
 * occurrence (its id and start), inserted when it opens and given its end when it closes. The
 * schema is the service's own: versioned migrations in `ai_engine_schema_migrations`, applied in
 * one transaction under an advisory lock, so that replicas starting together never race (the
 * pattern of the executor's audit store). Every statement is a constant text with `$n`
 * parameters. Writing never fails detection: a database error is logged and counted, and the
 * anomaly stays in the engine's memory.
 */
import type { Registry } from 'prom-client';
import type { Logger } from '../kit/log.js';
import {
  createPostgresStore,
  type Migration,
  pgJsonText,
  pgText,
  type PostgresConnection,
  postgresConnection,
  type PostgresEnv,
  type PostgresPoolOptions,
} from '../kit/postgres.js';
import type { Anomaly, AnomalyKind, AnomalySource } from './anomaly.js';

/** The counter of anomaly writes that failed. */
export const HISTORY_WRITE_FAILURES_METRIC = 'aiops_anomaly_history_write_failures_total';
/** Most rows {@link AnomalyHistoryStore.recent} returns. */
export const MAX_RECENT = 1000;
/** Name of the advisory lock the migrations take (hashed by PostgreSQL's hashtext into the lock key). */
export const MIGRATION_LOCK = 'aiops.ai_engine_schema_migrations';


/** The schema, version by version. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    statements: [
      `CREATE TABLE IF NOT EXISTS ai_engine_anomalies (
        id bigserial PRIMARY KEY,
        anomaly_id text NOT NULL,
        kind text NOT NULL,
        source text NOT NULL,
        severity text NOT NULL,
        component text NOT NULL,
        namespace text NOT NULL,
        action text NOT NULL,
        labels jsonb NOT NULL,
        summary text NOT NULL,
        value double precision NOT NULL,
        starts_at timestamptz NOT NULL,
        ends_at timestamptz,
        UNIQUE (anomaly_id, starts_at)
      )`,
      'CREATE INDEX IF NOT EXISTS ai_engine_anomalies_starts_at_idx ON ai_engine_anomalies (starts_at DESC)',
      'CREATE INDEX IF NOT EXISTS ai_engine_anomalies_active_idx ON ai_engine_anomalies (starts_at DESC) WHERE ends_at IS NULL',
    ],
  },
];


/**
 * Opening and closing are one upsert on (anomaly_id, starts_at): a repeated open (a restarted
 * engine) refreshes the row, a close whose open was never written still stores the whole
 * occurrence, and an end once stored is never cleared by a late open.
 */
const UPSERT = `INSERT INTO ai_engine_anomalies
  (anomaly_id, kind, source, severity, component, namespace, action, labels, summary, value, starts_at, ends_at)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10, $11, $12)
  ON CONFLICT (anomaly_id, starts_at) DO UPDATE SET
    severity = EXCLUDED.severity, summary = EXCLUDED.summary, value = EXCLUDED.value, labels = EXCLUDED.labels,
    ends_at = COALESCE(EXCLUDED.ends_at, ai_engine_anomalies.ends_at)`;

/** Filters of {@link SELECT_RECENT}, each `$n IS NULL` when not asked. */
const SELECT_RECENT = `SELECT anomaly_id, kind, source, severity, component, namespace, action, labels, summary, value, starts_at, ends_at
  FROM ai_engine_anomalies
  WHERE ($1::text IS NULL OR source = $1)
    AND ($2::text IS NULL OR kind = $2)
    AND ($3::text IS NULL OR component = $3)
    AND ($4::text IS NULL OR namespace = $4)
    AND ($5::boolean IS NULL OR (ends_at IS NULL) = $5)
    AND ($6::timestamptz IS NULL OR ends_at IS NULL OR ends_at >= $6)
    AND ($7::timestamptz IS NULL OR starts_at <= $7)
  ORDER BY starts_at DESC, id DESC LIMIT $8`;

const DELETE_OLDER = 'DELETE FROM ai_engine_anomalies WHERE ends_at IS NOT NULL AND ends_at < now() - make_interval(days => $1)';

/** Which anomalies {@link AnomalyHistoryStore.recent} returns; every field optional. */
export interface HistoryFilter {
  readonly source?: AnomalySource;
  readonly kind?: AnomalyKind;
  readonly component?: string;
  readonly namespace?: string;
  /** true: only open ones; false: only ended ones; default both. */
  readonly active?: boolean;
  /** Only those still open at or ended after this time (epoch ms). */
  readonly since?: number;
  /** Only those started at or before this time (epoch ms). */
  readonly until?: number;
  /** Most rows, 1..{@link MAX_RECENT}; default 100. */
  readonly limit?: number;
}

/** The store of {@link createHistoryStore}. */
export interface AnomalyHistoryStore {
  /** Readiness: resolves when PostgreSQL answers `SELECT 1` within the ping timeout. */
  ready(): Promise<void>;
  /** Creates or upgrades the schema (idempotent, safe from several replicas at once); rejects on a database error. */
  migrate(): Promise<void>;
  /**
   * Stores an anomaly: without `endsAt` its opening (inserted), with `endsAt` its end (the row
   * updated, or inserted whole). Never rejects: failures are logged and counted ({@link HISTORY_WRITE_FAILURES_METRIC}).
   */
  record(anomaly: Anomaly): Promise<void>;
  /** Anomalies matching `filter`, newest start first; rejects on a database error or a bad filter. */
  recent(filter?: HistoryFilter): Promise<Anomaly[]>;
  /** Deletes anomalies that ended more than `days` days ago; resolves to how many. */
  prune(days: number): Promise<number>;
  /** Closes the connections (idempotent). */
  close(): Promise<void>;
}

interface AnomalyRow {
  anomaly_id: string;
  kind: AnomalyKind;
  source: AnomalySource;
  severity: Anomaly['severity'];
  component: string;
  namespace: string;
  action: Anomaly['action'];
  labels: Record<string, string>;
  summary: string;
  value: number;
  starts_at: Date;
  ends_at: Date | null;
}

/** A finite number, so that the history reads back as JSON: NaN becomes 0, ±Infinity ±Number.MAX_VALUE. */
function finite(value: number): number {
  if (Number.isNaN(value)) return 0;
  return Math.max(-Number.MAX_VALUE, Math.min(Number.MAX_VALUE, value));
}

function parameters(a: Anomaly): unknown[] {
  return [
    pgText(a.id),
    a.kind,
    a.source,
    a.severity,
    pgText(a.component),
    pgText(a.namespace),
    a.action,
    pgJsonText(a.labels),
    pgText(a.summary),
    finite(a.value),
    new Date(a.startsAt),
    a.endsAt === undefined ? null : new Date(a.endsAt),
  ];
}

function fromRow(row: AnomalyRow): Anomaly {
  return {
    id: row.anomaly_id,
    kind: row.kind,
    source: row.source,
    severity: row.severity,
    component: row.component,
    namespace: row.namespace,
    action: row.action,
    labels: row.labels,
    summary: row.summary,
    startsAt: row.starts_at.getTime(),
    ...(row.ends_at === null ? {} : { endsAt: row.ends_at.getTime() }),
    value: row.value,
  };
}

/** An epoch-ms filter as a Date, or null; throws on a non-finite number. */
function time(name: string, ms: number | undefined): Date | null {
  if (ms === undefined) return null;
  if (!Number.isFinite(ms)) throw new RangeError(`recent: ${name} must be a finite epoch-ms time, found ${ms}`);
  return new Date(ms);
}

/** Options of {@link createHistoryStore}. */
export interface HistoryStoreOptions extends PostgresPoolOptions {
  /** Time {@link AnomalyHistoryStore.ready} waits for `SELECT 1`; default 1500 ms (kit/postgres.ts). */
  readonly pingTimeoutMs?: number;
}

/**
 * The history store on the PostgreSQL of `connection`. Nothing connects until the first call; run
 * {@link AnomalyHistoryStore.migrate} once at start-up (and retry it while PostgreSQL is not there yet).
 */
export function createHistoryStore(connection: PostgresConnection, log: Logger, registry: Registry, opts: HistoryStoreOptions = {}): AnomalyHistoryStore {
  const store = createPostgresStore({
    applicationName: 'aiops-ai-engine',
    ...opts,
    connection,
    log,
    registry,
    schema: { what: 'anomaly history', versionsTable: 'ai_engine_schema_migrations', lock: MIGRATION_LOCK, migrations: MIGRATIONS },
    failures: { name: HISTORY_WRITE_FAILURES_METRIC, help: 'Anomalies (openings and ends) that could not be written to the PostgreSQL history (they stay in the engine memory and logs).' },
  });
  return {
    ready: store.ready,
    migrate: store.migrate,
    record: (anomaly) => store.write(UPSERT, parameters(anomaly), { anomaly: anomaly.id, kind: anomaly.kind, startsAt: anomaly.startsAt, endsAt: anomaly.endsAt }, 'anomaly not written to the PostgreSQL history (it stays in memory)'),
    async recent(filter = {}) {
      const limit = filter.limit ?? 100;
      const n = Math.min(MAX_RECENT, Math.max(1, Math.trunc(Number.isFinite(limit) ? limit : 100)));
      const { rows } = await store.pool.query<AnomalyRow>(SELECT_RECENT, [
        filter.source ?? null,
        filter.kind ?? null,
        filter.component ?? null,
        filter.namespace ?? null,
        filter.active ?? null,
        time('since', filter.since),
        time('until', filter.until),
        n,
      ]);
      return rows.map(fromRow);
    },

    prune: (days) => store.deleteOlderThan(DELETE_OLDER, days),
    close: store.close,
  };
}

/** The history store the `POSTGRES_*` variables describe, or undefined when `POSTGRES_HOST` is unset (history in memory only). */
export function historyStoreFromEnv(env: PostgresEnv, log: Logger, registry: Registry, opts: HistoryStoreOptions = {}): AnomalyHistoryStore | undefined {
  const connection = postgresConnection(env);
  return connection && createHistoryStore(connection, log, registry, opts);
}
