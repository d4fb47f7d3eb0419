/**
 * The AI engine's anomaly history (src/services/ai-engine/history-store.ts) against a real
 * PostgreSQL (throwaway cluster on 127.0.0.1, SCRAM over TCP): migrations idempotent and safe when
 * replicas start together, an anomaly inserted on open and given its end on close, `recent()`
 * filters, hostile strings stored verbatim through parameters, and a database that goes away
 * never fails detection (logged and counted).
 *
 * Skipped with a warning when the PostgreSQL binaries are missing locally; fails in CI (`CI=true`).
 */
import pg from 'pg';
import { Registry } from 'prom-client';
import * as z from 'zod/mini';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SERVICE_ENV } from '../../src/core/service-env.js';
import type { Anomaly } from '../../src/services/ai-engine/anomaly.js';
import {
  createHistoryStore,
  HISTORY_WRITE_FAILURES_METRIC,
  historyStoreFromEnv,
  MIGRATION_LOCK,
  MIGRATIONS,
  type AnomalyHistoryStore,
  type HistoryStoreOptions,
} from '../../src/services/ai-engine/history-store.js';
import { loadConfig } from '../../src/services/kit/config.js';
import { createLogger, type Logger } from '../../src/services/kit/log.js';
import { postgresEnvCheck, postgresEnvShape, type PostgresConnection } from '../../src/services/kit/postgres.js';
import { postgresPresent, PostgresCluster } from '../support/postgresql-server.js';

const havePostgres = postgresPresent('the AI engine anomaly history tests');

const USER = 'engine';
const PASSWORD = `s3cr'et wörd`;
const SERVER_OPTIONS = '-c log_statement=all';
const T0 = Date.UTC(2026, 4, 1, 10, 0, 0);

/** A query regression as the query statistics source opens it. */
function anomaly(over: Partial<Anomaly> = {}): Anomaly {
  return {
    id: 'queries:-4242',
    kind: 'QueryRegression',
    source: 'queries',
    severity: 'warning',
    component: 'postgresql',
    namespace: 'aiops-platform',
    action: 'optimize-db',
    labels: { queryid: '-4242', database: 'aiops' },
    summary: 'statement -4242 slowed down',
    startsAt: T0,
    value: 12.5,
    ...over,
  };
}

describe.runIf(havePostgres)('AI engine anomaly history on a real PostgreSQL', () => {
  let cluster: PostgresCluster;
  let databases = 0;
  const stores: AnomalyHistoryStore[] = [];
  const logLines: Record<string, unknown>[] = [];
  const log: Logger = createLogger({ service: 'ai-engine', level: 'debug', destination: { write: (line: string) => void logLines.push(JSON.parse(line)) } });

  const psql = (db: string, sql: string): Promise<string> => cluster.psql(db, sql);
  const newDatabase = async (): Promise<string> => {
    databases += 1;
    const name = `history_${databases}`;
    await psql('postgres', `CREATE DATABASE ${name} OWNER ${USER}`);
    return name;
  };
  const connection = (database: string, over: Partial<PostgresConnection> = {}): PostgresConnection => ({
    host: '127.0.0.1',
    port: cluster.port,
    database,
    user: USER,
    password: PASSWORD,
    sslMode: 'disable',
    ...over,
  });
  const store = (database: string, opts: HistoryStoreOptions & { registry?: Registry; conn?: Partial<PostgresConnection> } = {}) => {
    const registry = opts.registry ?? new Registry();
    const s = createHistoryStore(connection(database, opts.conn), log, registry, { connectTimeoutMs: 2000, ...opts });
    stores.push(s);
    return { store: s, registry };
  };
  const failures = async (registry: Registry): Promise<number> => (await registry.getSingleMetric(HISTORY_WRITE_FAILURES_METRIC)!.get()).values[0]?.value ?? 0;

  beforeAll(async () => {
    cluster = await PostgresCluster.forApplication('pg-ai-history-', USER, PASSWORD, SERVER_OPTIONS);
  }, 60_000);

  afterAll(async () => {
    await Promise.allSettled(stores.map((s) => s.close()));
    await cluster?.destroy();
  }, 40_000);

  it('creates the schema once: the migrations table, ai_engine_anomalies with its columns, unique occurrence and indexes; a second migrate changes nothing', async () => {
    const db = await newDatabase();
    const { store: s } = store(db);
    await s.migrate();
    const before = await psql(db, 'SELECT version, applied_at FROM ai_engine_schema_migrations');
    await s.migrate();
    await store(db).store.migrate();
    expect(await psql(db, 'SELECT version, applied_at FROM ai_engine_schema_migrations')).toBe(before);
    expect(before.split('|')[0]).toBe('1');
    expect(MIGRATIONS.map((m) => m.version)).toEqual([1]);
    const columns = await psql(db, `SELECT column_name || ' ' || data_type || ' ' || is_nullable FROM information_schema.columns WHERE table_name = 'ai_engine_anomalies' ORDER BY ordinal_position`);
    expect(columns.split('\n')).toEqual([
      'id bigint NO',
      'anomaly_id text NO',
      'kind text NO',
      'source text NO',
      'severity text NO',
      'component text NO',
      'namespace text NO',
      'action text NO',
      'labels jsonb NO',
      'summary text NO',
      'value double precision NO',
      'starts_at timestamp with time zone NO',
      'ends_at timestamp with time zone YES',
    ]);
    const indexes = await psql(db, `SELECT indexname FROM pg_indexes WHERE tablename = 'ai_engine_anomalies' ORDER BY indexname`);
    expect(indexes.split('\n')).toEqual(['ai_engine_anomalies_active_idx', 'ai_engine_anomalies_anomaly_id_starts_at_key', 'ai_engine_anomalies_pkey', 'ai_engine_anomalies_starts_at_idx']);
  });

  it('lets replicas start together: concurrent migrate() calls on an empty database all succeed, once', async () => {
    for (let round = 0; round < 3; round += 1) {
      const db = await newDatabase();
      const replicas = Array.from({ length: 4 }, () => store(db).store);
      await Promise.all(replicas.map((r) => r.ready()));
      const results = await Promise.allSettled(replicas.map((r) => r.migrate()));
      expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
      expect(await psql(db, 'SELECT count(*), min(version) FROM ai_engine_schema_migrations')).toBe('1|1');
    }
  });

  it('takes the advisory lock before touching the schema: migrate() waits while another holder has it', async () => {
    const db = await newDatabase();
    const holder = new pg.Client({ ...connection(db), password: PASSWORD });
    await holder.connect();
    try {
      await holder.query('SELECT pg_advisory_lock(hashtext($1))', [MIGRATION_LOCK]);
      const { store: s } = store(db);
      let done = false;
      const migrating = s.migrate().then(() => (done = true));
      await new Promise((r) => setTimeout(r, 400));
      expect(done).toBe(false);
      expect(await psql(db, `SELECT count(*) FROM pg_class WHERE relname = 'ai_engine_schema_migrations'`)).toBe('0');
      await holder.query('SELECT pg_advisory_unlock(hashtext($1))', [MIGRATION_LOCK]);
      await migrating;
      expect(done).toBe(true);
    } finally {
      await holder.end();
    }
  });

  it('inserts on open, sets endsAt on close (one row per occurrence), and a repeated open never clears an end', async () => {
    const db = await newDatabase();
    const { store: s, registry } = store(db);
    await s.migrate();
    const open = anomaly();
    await s.record(open);
    expect(await s.recent()).toEqual([open]);
    // A restarted engine opens it again with a newer value: refreshed, still one row.
    const refreshed = anomaly({ value: 20, severity: 'critical', summary: 'worse' });
    await s.record(refreshed);
    expect(await s.recent()).toEqual([refreshed]);
    const closed = { ...refreshed, endsAt: T0 + 600_000 };
    await s.record(closed);
    expect(await s.recent()).toEqual([closed]);
    await s.record(refreshed);
    expect(await s.recent()).toEqual([closed]);
    // The same id later is a new occurrence.
    const again = anomaly({ startsAt: T0 + 3_600_000 });
    await s.record(again);
    expect(await s.recent()).toEqual([again, closed]);
    // A close whose open was never written stores the whole occurrence.
    const lost = anomaly({ id: 'metrics:disk', kind: 'DiskFullPredicted', source: 'metrics', component: 'node', action: 'clean-disk', labels: { instance: 'n1' }, startsAt: T0 - 60_000, endsAt: T0 + 60_000, value: 3600 });
    await s.record(lost);
    expect(await s.recent()).toEqual([again, closed, lost]);
    expect(await psql(db, 'SELECT count(*) FROM ai_engine_anomalies')).toBe('3');
    expect(await failures(registry)).toBe(0);
    // labels are jsonb (queryable).
    expect(await psql(db, `SELECT labels->>'queryid' FROM ai_engine_anomalies WHERE ends_at IS NULL`)).toBe('-4242');
  });

  it('recent(filter): by source, kind, component, namespace, active, time window and limit, newest start first', async () => {
    const db = await newDatabase();
    const { store: s } = store(db);
    await s.migrate();
    const a = anomaly({ id: 'queries:1', startsAt: T0, endsAt: T0 + 10 * 60_000 });
    const b = anomaly({ id: 'metrics:cpu', kind: 'AnomalyDetected', source: 'metrics', component: 'node', action: 'none', namespace: 'other', startsAt: T0 + 60 * 60_000 });
    const c = anomaly({ id: 'logs:api', kind: 'LogErrorSpike', source: 'logs', component: 'api-gateway', action: 'none', startsAt: T0 + 120 * 60_000, endsAt: T0 + 130 * 60_000 });
    const d = anomaly({ id: 'queries:2', startsAt: T0 + 180 * 60_000 });
    for (const x of [a, b, c, d]) await s.record(x);
    expect(await s.recent()).toEqual([d, c, b, a]);
    expect(await s.recent({ source: 'queries' })).toEqual([d, a]);
    expect(await s.recent({ kind: 'LogErrorSpike' })).toEqual([c]);
    expect(await s.recent({ component: 'node' })).toEqual([b]);
    expect(await s.recent({ namespace: 'aiops-platform' })).toEqual([d, c, a]);
    expect(await s.recent({ active: true })).toEqual([d, b]);
    expect(await s.recent({ active: false })).toEqual([c, a]);
    // Active at some time since T0 + 20 min: a ended before, the rest not.
    expect(await s.recent({ since: T0 + 20 * 60_000 })).toEqual([d, c, b]);
    expect(await s.recent({ until: T0 + 90 * 60_000 })).toEqual([b, a]);
    expect(await s.recent({ source: 'queries', active: true, since: T0, until: T0 + 200 * 60_000 })).toEqual([d]);
    expect(await s.recent({ limit: 2 })).toEqual([d, c]);
    expect(await s.recent({ limit: 0 })).toEqual([d]);
    expect(await s.recent({ limit: Number.NaN })).toHaveLength(4);
    await expect(s.recent({ since: Number.POSITIVE_INFINITY })).rejects.toThrow(RangeError);
    // A hostile filter value is a value: nothing matches, nothing breaks.
    expect(await s.recent({ component: `node' OR '1'='1` })).toEqual([]);
  });

  it('stores hostile strings verbatim through parameters (the statements the server ran carry $n), a NUL as U+FFFD', async () => {
    const db = await newDatabase();
    const { store: s, registry } = store(db);
    await s.migrate();
    const hostile = [`'); DROP TABLE ai_engine_anomalies; --`, `it's \\ a "quote" $1 $$x$$`, `ünïcödé 🚑 \u2028`, 'x'.repeat(10_000)];
    const stored = hostile.map((h, i) => anomaly({ id: h, component: h, namespace: h, summary: h, labels: { [h]: h }, startsAt: T0 + i * 1000 }));
    for (const x of stored) await s.record(x);
    await s.record(anomaly({ id: 'nul', summary: 'a\u0000b', labels: { 'k\u0000': 'v\u0000' }, startsAt: T0 - 1000 }));
    expect(await failures(registry)).toBe(0);
    const back = await s.recent({ limit: 100 });
    expect(back.slice(0, hostile.length)).toEqual([...stored].reverse());
    expect(back.at(-1)).toMatchObject({ id: 'nul', summary: 'a\uFFFDb', labels: { 'k\uFFFD': 'v\uFFFD' } });
    const inserts = cluster
      .serverLog()
      .split('\n')
      .filter((l) => l.includes('INSERT INTO ai_engine_anomalies'));
    expect(inserts.length).toBeGreaterThan(0);
    for (const line of inserts) {
      expect(line).toMatch(/LOG: {2}execute <unnamed>: INSERT INTO ai_engine_anomalies/);
      expect(line).not.toContain('DROP TABLE');
    }
  });

  it('prunes anomalies that ended before the retention, never open ones', async () => {
    const db = await newDatabase();
    const { store: s } = store(db);
    await s.migrate();
    const now = Date.now();
    const day = 86_400_000;
    await s.record(anomaly({ id: 'old-ended', startsAt: now - 100 * day, endsAt: now - 99 * day }));
    await s.record(anomaly({ id: 'old-open', startsAt: now - 100 * day }));
    await s.record(anomaly({ id: 'recent', startsAt: now - 2 * day, endsAt: now - day }));
    expect(await s.prune(90)).toBe(1);
    expect((await s.recent()).map((a) => a.id)).toEqual(['recent', 'old-open']);
    await expect(s.prune(0)).rejects.toThrow(RangeError);
  });

  it('record() never rejects: without a schema, after close(), and while the database is down (logged and counted); recovers after', async () => {
    const db = await newDatabase();
    const registry = new Registry();
    const { store: bare } = store(db, { registry });
    await expect(bare.record(anomaly())).resolves.toBeUndefined();
    expect(await failures(registry)).toBe(1);
    const { store: s } = store(db, { registry });
    await s.migrate();
    await s.record(anomaly({ id: 'before' }));
    await cluster.stop('fast');
    try {
      const logged = logLines.length;
      await expect(s.record(anomaly({ id: 'while down' }))).resolves.toBeUndefined();
      expect(await failures(registry)).toBe(2);
      const warnings = logLines.slice(logged).filter((l) => l['msg'] === 'anomaly not written to the PostgreSQL history (it stays in memory)');
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatchObject({ level: 'warn', anomaly: 'while down', kind: 'QueryRegression', startsAt: T0 });
      expect(JSON.stringify(warnings)).not.toContain('wörd');
      await expect(s.ready()).rejects.toThrow();
      await expect(s.recent()).rejects.toThrow();
    } finally {
      await cluster.start(`-c unix_socket_directories=${cluster.socketDir} ${SERVER_OPTIONS}`);
    }
    await s.ready();
    await s.record(anomaly({ id: 'after', startsAt: T0 + 1 }));
    expect((await s.recent()).map((a) => a.id)).toEqual(['after', 'before']);
    await s.close();
    await s.close();
    await s.record(anomaly({ id: 'closed' }));
    expect(await failures(registry)).toBe(3);
  }, 60_000);

  it('is configured by the POSTGRES_* variables, and is absent without POSTGRES_HOST', async () => {
    const db = await newDatabase();
    const P = SERVICE_ENV.postgres;
    const schema = z.object({ ...postgresEnvShape }).check(postgresEnvCheck);
    const registry = new Registry();
    expect(historyStoreFromEnv(loadConfig(schema, {}), log, registry)).toBeUndefined();
    const env = loadConfig(schema, { [P.host]: '127.0.0.1', [P.port]: String(cluster.port), [P.db]: db, [P.user]: USER, [P.password]: PASSWORD, [P.sslMode]: 'disable' });
    const s = historyStoreFromEnv(env, log, registry)!;
    stores.push(s);
    await s.migrate();
    await s.record(anomaly());
    expect(await s.recent()).toEqual([anomaly()]);
    expect(await psql('postgres', `SELECT count(*) > 0 FROM pg_stat_activity WHERE application_name = 'aiops-ai-engine' AND datname = '${db}'`)).toBe('t');
  });
});
