/**
 * The self-healing audit store (src/services/self-healing/audit-store.ts) against a real PostgreSQL
 * (Debian's server binaries, a throwaway cluster on 127.0.0.1 with SCRAM over TCP, as the chart's
 * PostgreSQL): migrations idempotent and safe when replicas start together, decisions stored and
 * read back verbatim, newest first, with parameterised statements only; a database that goes away
 * never fails the decision path (logged and counted) and fails readiness.
 *
 * Skipped with a warning when the PostgreSQL binaries are missing locally; fails in CI (`CI=true`).
 */
import { createServer, type Server, type Socket } from 'node:net';
import pg from 'pg';
import { Registry } from 'prom-client';
import * as z from 'zod/mini';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SERVICE_ENV } from '../../src/core/service-env.js';
import { loadConfig } from '../../src/services/kit/config.js';
import { createLogger, type Logger } from '../../src/services/kit/log.js';
import { createPostgresPool, postgresEnvCheck, postgresEnvShape, runMigrations, type PostgresConnection } from '../../src/services/kit/postgres.js';
import { approvalsFromRecords } from '../../src/services/self-healing/approvals.js';
import {
  AUDIT_WRITE_FAILURES_METRIC,
  auditStoreFromEnv,
  createAuditStore,
  MIGRATION_LOCK,
  MIGRATIONS,
  type AuditRecord,
  type AuditStore,
  type AuditStoreOptions,
} from '../../src/services/self-healing/audit-store.js';
import { postgresPresent, PostgresCluster } from '../support/postgresql-server.js';

const havePostgres = postgresPresent('the self-healing audit store tests');

const USER = 'audit';
const PASSWORD = `pa'ss wörd\\"`;
/** Every statement the server ran is logged (log_statement=all): the test reads how INSERTs arrived. */
const SERVER_OPTIONS = '-c log_statement=all';

/** A decision with the fields of the engine's usual case. */
function decision(over: Partial<AuditRecord> = {}): AuditRecord {
  return {
    at: new Date('2026-05-01T10:00:00.000Z'),
    rule: 'restart-crashlooping-pods',
    action: 'restart-pod',
    outcome: 'acted',
    reason: 'evicted',
    target: { kind: 'Pod', namespace: 'aiops-platform', name: 'aiops-platform-ai-engine-5d9c-x7' },
    alertname: 'PodCrashLooping',
    fingerprint: 'a1b2c3d4e5f60718',
    dryRun: false,
    ...over,
  };
}

describe.runIf(havePostgres)('self-healing audit store on a real PostgreSQL', () => {
  let cluster: PostgresCluster;
  let databases = 0;
  const stores: AuditStore[] = [];
  const logLines: Record<string, unknown>[] = [];
  const log: Logger = createLogger({ service: 'self-healing', level: 'debug', destination: { write: (line: string) => void logLines.push(JSON.parse(line)) } });

  const psql = (db: string, sql: string): Promise<string> => cluster.psql(db, sql);
  /** A new empty database owned by the audit user. */
  const newDatabase = async (): Promise<string> => {
    databases += 1;
    const name = `audit_${databases}`;
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
  /** A store on `database` with its own registry (closed after the suite). */
  const store = (database: string, opts: AuditStoreOptions & { registry?: Registry; conn?: Partial<PostgresConnection> } = {}) => {
    const registry = opts.registry ?? new Registry();
    const s = createAuditStore(connection(database, opts.conn), log, registry, { connectTimeoutMs: 2000, ...opts });
    stores.push(s);
    return { store: s, registry };
  };
  const failures = async (registry: Registry): Promise<number> => (await registry.getSingleMetric(AUDIT_WRITE_FAILURES_METRIC)!.get()).values[0]?.value ?? 0;

  beforeAll(async () => {
    cluster = await PostgresCluster.forApplication('pg-audit-test-', USER, PASSWORD, SERVER_OPTIONS);
  }, 60_000);

  afterAll(async () => {
    await Promise.allSettled(stores.map((s) => s.close()));
    await cluster?.destroy();
  }, 40_000);

  it('creates the schema: the migrations table, self_healing_actions with its columns, the index on at and the approval index', async () => {
    const db = await newDatabase();
    const { store: s } = store(db);
    await s.migrate();
    expect(await psql(db, 'SELECT version FROM self_healing_schema_migrations ORDER BY version')).toBe('1\n2');
    const columns = await psql(
      db,
      `SELECT column_name || ' ' || data_type || ' ' || is_nullable FROM information_schema.columns WHERE table_name = 'self_healing_actions' ORDER BY ordinal_position`,
    );
    expect(columns.split('\n')).toEqual([
      'id bigint NO',
      'at timestamp with time zone NO',
      'rule text NO',
      'action text NO',
      'outcome text NO',
      'reason text NO',
      'target_kind text NO',
      'target_namespace text NO',
      'target_name text NO',
      'alertname text NO',
      'fingerprint text NO',
      'dry_run boolean NO',
      'duration_ms double precision YES',
      'request jsonb YES',
      'error text YES',
      'pod text YES',
      'approval_id text YES',
      'approval_summary text YES',
      'approval_alert jsonb YES',
      'approval_expires_at timestamp with time zone YES',
      'approver text YES',
      'approver_role text YES',
      'approver_reason text YES',
      'approved_at timestamp with time zone YES',
    ]);
    expect(await psql(db, `SELECT indexdef FROM pg_indexes WHERE indexname = 'self_healing_actions_at_idx'`)).toMatch(/USING btree \(at DESC\)$/);
    expect(await psql(db, `SELECT indexdef FROM pg_indexes WHERE indexname = 'self_healing_actions_approval_idx'`)).toMatch(/USING btree \(approval_id\) WHERE \(approval_id IS NOT NULL\)$/);
    const migrationColumns = await psql(db, `SELECT column_name || ' ' || data_type FROM information_schema.columns WHERE table_name = 'self_healing_schema_migrations' ORDER BY ordinal_position`);
    expect(migrationColumns.split('\n')).toEqual(['version integer', 'applied_at timestamp with time zone']);
  });

  it('migrates idempotently: a second migrate() (and a second store) changes nothing', async () => {
    const db = await newDatabase();
    const { store: s } = store(db);
    await s.migrate();
    await s.record(decision());
    const before = await psql(db, 'SELECT version, applied_at FROM self_healing_schema_migrations');
    await s.migrate();
    await store(db).store.migrate();
    expect(await psql(db, 'SELECT version, applied_at FROM self_healing_schema_migrations')).toBe(before);
    expect(await psql(db, 'SELECT count(*) FROM self_healing_actions')).toBe('1');
    expect(MIGRATIONS.map((m) => m.version)).toEqual([1, 2]);
  });

  it('lets replicas start together: concurrent migrate() calls on an empty database all succeed, once', async () => {
    for (let round = 0; round < 3; round += 1) {
      const db = await newDatabase();
      const replicas = Array.from({ length: 4 }, () => store(db).store);
      // Connected first, so that the four transactions really start at the same moment.
      await Promise.all(replicas.map((r) => r.ready()));
      const results = await Promise.allSettled(replicas.map((r) => r.migrate()));
      expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
      expect(await psql(db, 'SELECT count(*), min(version), max(version) FROM self_healing_schema_migrations')).toBe('2|1|2');
      expect(await psql(db, `SELECT count(*) FROM pg_class WHERE relname IN ('self_healing_actions', 'self_healing_actions_at_idx')`)).toBe('2');
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
      await new Promise((r) => setTimeout(r, 500));
      expect(done).toBe(false);
      expect(await psql(db, `SELECT count(*) FROM pg_class WHERE relname = 'self_healing_schema_migrations'`)).toBe('0');
      await holder.query('SELECT pg_advisory_unlock(hashtext($1))', [MIGRATION_LOCK]);
      await migrating;
      expect(done).toBe(true);
    } finally {
      await holder.end();
    }
  });

  it('records decisions and returns them newest first (ties: the later write first), with every field', async () => {
    const db = await newDatabase();
    const { store: s } = store(db);
    await s.migrate();
    const acted = decision({
      at: new Date('2026-05-01T10:00:00.123Z'),
      durationMs: 42.5,
      request: { method: 'POST', path: '/api/v1/namespaces/aiops-platform/pods/aiops-platform-ai-engine-5d9c-x7/eviction', body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'x', namespace: 'y' } } },
      pod: 'aiops-platform-self-healing-7f9-abc',
    });
    const skipped = decision({ at: new Date('2026-05-01T09:00:00Z'), outcome: 'skipped', reason: 'cool-down: acted 3m ago (cool-down 10m)' });
    const failed = decision({ at: new Date('2026-05-01T11:00:00Z'), outcome: 'failed', reason: 'the API answered 500', error: 'Internal Server Error', durationMs: 12 });
    const dryRun = decision({ at: new Date('2026-05-01T11:00:00Z'), outcome: 'dry-run', dryRun: true, request: { method: 'PATCH', path: '/x', body: [1, 'two', null, true] } });
    for (const d of [acted, skipped, failed, dryRun]) await s.record(d);

    const recent = await s.recent(10);
    expect(recent).toEqual([dryRun, failed, acted, skipped]);
    // Optional fields come back absent, not null.
    expect(Object.keys(recent[3]!).sort()).toEqual(['action', 'alertname', 'at', 'dryRun', 'fingerprint', 'outcome', 'reason', 'rule', 'target'].sort());
    expect(recent[2]!.at).toBeInstanceOf(Date);
    expect(await s.recent(2)).toEqual([dryRun, failed]);
    // Limits out of range are clamped, not errors.
    expect(await s.recent(0)).toEqual([dryRun]);
    expect(await s.recent(Number.NaN)).toHaveLength(4);
    // request is jsonb (queryable), not a string.
    expect(await psql(db, `SELECT request->>'method' FROM self_healing_actions WHERE outcome = 'acted'`)).toBe('POST');
  });

  it('upgrades a version-1 table in place: its rows stay, the approval columns are added empty, once', async () => {
    const db = await newDatabase();
    // The schema as the executor before approval mode left it.
    const pool = createPostgresPool(connection(db), log);
    try {
      await runMigrations(pool, log, 'test', { what: 'self-healing audit', versionsTable: 'self_healing_schema_migrations', lock: MIGRATION_LOCK, migrations: [MIGRATIONS[0]!] });
      // Parameterised like the store's own writes (the hostile-strings test reads every INSERT of the server log).
      await pool.query(
        `INSERT INTO self_healing_actions (at, rule, action, outcome, reason, target_kind, target_namespace, target_name, alertname, fingerprint, dry_run)
         VALUES ($1, 'restart-abnormal-pods', 'restart-pod', 'acted', 'evicted', 'Pod', 'ns', 'p', 'PodCrashLooping', 'ff', false)`,
        ['2026-05-01T10:00:00Z'],
      );
    } finally {
      await pool.end();
    }
    expect(await psql(db, 'SELECT version FROM self_healing_schema_migrations')).toBe('1');
    const { store: s } = store(db);
    await s.migrate();
    await s.migrate();
    expect(await psql(db, 'SELECT version FROM self_healing_schema_migrations ORDER BY version')).toBe('1\n2');
    const [old] = await s.recent(5);
    expect(old).toEqual(decision({ at: new Date('2026-05-01T10:00:00Z'), rule: 'restart-abnormal-pods', reason: 'evicted', target: { kind: 'Pod', namespace: 'ns', name: 'p' }, fingerprint: 'ff' }));
    expect(old!.approval).toBeUndefined();
  });

  it('stores the approval columns of each step (pending, approved, the action) and reads the approvals back for a new Lease holder', async () => {
    const db = await newDatabase();
    const { store: s } = store(db);
    await s.migrate();
    const now = Date.now();
    const at = (minutesAgo: number) => new Date(now - minutesAgo * 60_000);
    const alert = { labels: { alertname: 'PodCrashLooping', action: 'restart-pod', namespace: 'ns', pod: "p'; DROP TABLE x; --" }, startsAt: '2026-05-01T10:00:00Z', fingerprint: 'abc' };
    const target = { kind: 'Pod', namespace: 'ns', name: 'p' };
    const pending = (id: string, minutesAgo: number) =>
      decision({ at: at(minutesAgo), outcome: 'pending', reason: 'awaiting approval', target, approval: { id, summary: 'evict pod ns/p', alert, expiresAt: new Date(at(minutesAgo).getTime() + 3_600_000) } });
    const decided = { id: 'a-1', actor: 'alice@example.org', role: 'admin', comment: 'runbook \u0000 12 ünï', decidedAt: at(5) };
    const rows: AuditRecord[] = [
      pending('a-1', 10),
      decision({ at: at(5), outcome: 'approved', reason: 'approved by alice', target, approval: decided }),
      decision({ at: at(5), outcome: 'acted', reason: 'evicted the pod', target, approval: decided, durationMs: 12 }),
      pending('a-2', 4),
      decision({ at: at(3), outcome: 'rejected', reason: 'rejected by bob', target, approval: { id: 'a-2', actor: 'bob', role: 'operator', decidedAt: at(3) } }),
      pending('a-3', 2),
      pending('old', 60 * 30),
      decision({ at: at(1), outcome: 'skipped', reason: 'no approval here' }),
    ];
    for (const r of rows) await s.record(r);
    // recent() returns the approval columns verbatim (a NUL stored as U+FFFD).
    const approvedBack = (await s.recent(10)).find((r) => r.outcome === 'approved');
    expect(approvedBack!.approval).toEqual({ ...decided, comment: 'runbook \uFFFD 12 ünï' });
    expect(await psql(db, `SELECT approval_alert->'labels'->>'pod' FROM self_healing_actions WHERE outcome = 'pending' AND approval_id = 'a-3'`)).toBe("p'; DROP TABLE x; --");

    // The approvals held within the last day, all their rows, oldest first; the 30-hour-old one is out.
    const held = await s.approvalRows(86_400_000, 100);
    expect(held.map((r) => [r.approval!.id, r.outcome])).toEqual([
      ['a-1', 'pending'],
      ['a-1', 'approved'],
      ['a-1', 'acted'],
      ['a-2', 'pending'],
      ['a-2', 'rejected'],
      ['a-3', 'pending'],
    ]);
    // The newest approvals first when limited: a-3 only, then a-3 and a-2.
    expect([...new Set((await s.approvalRows(86_400_000, 1)).map((r) => r.approval!.id))]).toEqual(['a-3']);
    expect([...new Set((await s.approvalRows(86_400_000, 2)).map((r) => r.approval!.id))]).toEqual(['a-2', 'a-3']);
    const approvals = Object.fromEntries(approvalsFromRecords(held).map((a) => [a.id, a]));
    expect(approvals['a-1']).toMatchObject({ state: 'approved', decidedBy: { actor: 'alice@example.org', role: 'admin' }, result: { outcome: 'acted', reason: 'evicted the pod' }, summary: 'evict pod ns/p' });
    expect(approvals['a-2']).toMatchObject({ state: 'rejected', decidedBy: { actor: 'bob', role: 'operator' } });
    expect(approvals['a-3']).toMatchObject({ state: 'pending', alert, target, expiresAt: new Date(at(2).getTime() + 3_600_000).toISOString() });
  });

  it('prunes rows older than the retention, keeping the rest', async () => {
    const db = await newDatabase();
    const { store: s } = store(db);
    await s.migrate();
    const now = Date.now();
    for (const daysAgo of [200, 91, 89, 0]) await s.record(decision({ at: new Date(now - daysAgo * 86_400_000), reason: `${daysAgo} days ago` }));
    expect(await s.prune(90)).toBe(2);
    expect((await s.recent(10)).map((d) => d.reason)).toEqual(['0 days ago', '89 days ago']);
    expect(await s.prune(90)).toBe(0);
    await expect(s.prune(0)).rejects.toThrow(RangeError);
  });

  it('stores hostile strings verbatim, through parameters only (the statements the server ran carry $n, not the values)', async () => {
    const db = await newDatabase();
    const { store: s, registry } = store(db);
    await s.migrate();
    const hostile = [
      `'); DROP TABLE self_healing_actions; --`,
      `"; DROP TABLE self_healing_schema_migrations CASCADE; --`,
      `it's a \\ backslash \\\\ and \\' an escaped quote`,
      `E'\\x41' $1 $$dollar$$ %s %(x)s {{.x}} \${x} :name ?`,
      `ünïcödé 中文 日本語 العربية עברית 🚑🔥 e\u0301 \u200b\u2028\u2029 \uFEFF`,
      `line one\nline two\r\n\ttabbed`,
      'x'.repeat(10_000),
    ];
    const stored: AuditRecord[] = hostile.map((h, i) =>
      decision({
        at: new Date(Date.UTC(2026, 4, 1, 12, 0, i)),
        rule: h,
        action: h,
        outcome: h,
        reason: h,
        target: { kind: h, namespace: h, name: h },
        alertname: h,
        fingerprint: h,
        error: h,
        pod: h,
        request: { [h]: h, nested: [h, { h }] },
        approval: { id: h, summary: h, alert: { labels: { [h]: h }, startsAt: h, fingerprint: h }, expiresAt: new Date(Date.UTC(2026, 4, 1, 13)), actor: h, role: h, comment: h, decidedAt: new Date(Date.UTC(2026, 4, 1, 12, 30)) },
      }),
    );
    for (const d of stored) await s.record(d);
    expect(await failures(registry)).toBe(0);
    expect(await s.recent(100)).toEqual([...stored].reverse());
    expect(await psql(db, 'SELECT count(*) FROM self_healing_actions')).toBe(String(hostile.length));
    expect(await psql(db, 'SELECT count(*) FROM self_healing_schema_migrations')).toBe(String(MIGRATIONS.length));

    // Every INSERT reached the server as an extended-protocol statement with placeholders.
    const inserts = cluster
      .serverLog()
      .split('\n')
      .filter((l) => l.includes('INSERT INTO self_healing_actions'));
    expect(inserts.length).toBeGreaterThan(0);
    for (const line of inserts) {
      expect(line).toMatch(/LOG: {2}execute <unnamed>: INSERT INTO self_healing_actions/);
      expect(line).not.toContain('DROP TABLE');
    }
  });

  it('stores a NUL (which PostgreSQL text and jsonb cannot hold) as U+FFFD instead of losing the decision', async () => {
    const db = await newDatabase();
    const { store: s, registry } = store(db);
    await s.migrate();
    await s.record(decision({ reason: 'a\u0000b', target: { kind: 'Pod', namespace: 'ns', name: '\u0000' }, request: { 'k\u0000': 'v\u0000', literal: '\\u0000 stays' } }));
    expect(await failures(registry)).toBe(0);
    const [back] = await s.recent(1);
    expect(back!.reason).toBe('a\uFFFDb');
    expect(back!.target.name).toBe('\uFFFD');
    expect(back!.request).toEqual({ 'k\uFFFD': 'v\uFFFD', literal: '\\u0000 stays' });
  });

  it('a database that goes away: record() resolves, logs and counts; ready() fails; both recover when it is back', async () => {
    const db = await newDatabase();
    const { store: s, registry } = store(db);
    await s.migrate();
    await s.ready();
    await s.record(decision({ reason: 'before' }));
    expect(await failures(registry)).toBe(0);

    await cluster.stop('fast');
    try {
      const logged = logLines.length;
      await expect(s.record(decision({ reason: 'while down' }))).resolves.toBeUndefined();
      await expect(s.record(decision({ reason: 'still down' }))).resolves.toBeUndefined();
      expect(await failures(registry)).toBe(2);
      const warnings = logLines.slice(logged).filter((l) => l['msg'] === 'audit record not written to PostgreSQL (the decision stays in memory)');
      expect(warnings).toHaveLength(2);
      expect(warnings[0]).toMatchObject({ level: 'warn', rule: 'restart-crashlooping-pods', outcome: 'acted', target: { kind: 'Pod' } });
      expect(JSON.stringify(warnings)).not.toContain('wörd');
      await expect(s.ready()).rejects.toThrow();
      await expect(s.recent(10)).rejects.toThrow();
    } finally {
      await cluster.start(`-c unix_socket_directories=${cluster.socketDir} ${SERVER_OPTIONS}`);
    }
    await s.ready();
    await s.record(decision({ reason: 'after', at: new Date('2026-05-01T10:00:01Z') }));
    expect(await failures(registry)).toBe(2);
    expect((await s.recent(10)).map((d) => d.reason)).toEqual(['after', 'before']);
  }, 60_000);

  it('record() never rejects, also on a schema that is not there or after close()', async () => {
    const db = await newDatabase();
    const registry = new Registry();
    const { store: s } = store(db, { registry });
    await s.record(decision());
    expect(await failures(registry)).toBe(1);
    // A second store on the same registry shares the counter.
    const { store: t } = store(db, { registry });
    await t.close();
    await t.close();
    await t.record(decision());
    expect(await failures(registry)).toBe(2);
  });

  it('ready() fails within its timeout when the server accepts but never answers', async () => {
    const sockets: Socket[] = [];
    const silent: Server = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as { port: number }).port;
    try {
      const { store: s } = store('nowhere', { conn: { port }, pingTimeoutMs: 300, connectTimeoutMs: 1000 });
      const started = Date.now();
      await expect(s.ready()).rejects.toThrow('PostgreSQL SELECT 1 timed out after 300 ms');
      expect(Date.now() - started).toBeLessThan(1000);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((r) => silent.close(r));
    }
  });

  it('a wrong password: migrate() and ready() reject with the server reason, record() counts', async () => {
    const db = await newDatabase();
    const { store: s, registry } = store(db, { conn: { password: 'wrong' } });
    await expect(s.migrate()).rejects.toThrow(/password authentication failed for user "audit"/);
    await expect(s.ready()).rejects.toThrow(/password authentication failed/);
    await s.record(decision());
    expect(await failures(registry)).toBe(1);
  });

  it('is configured by the POSTGRES_* variables of src/core/service-env.ts, and is absent without POSTGRES_HOST', async () => {
    const db = await newDatabase();
    const P = SERVICE_ENV.postgres;
    const schema = z.object({ ...postgresEnvShape }).check(postgresEnvCheck);
    const registry = new Registry();
    expect(auditStoreFromEnv(loadConfig(schema, {}), log, registry)).toBeUndefined();
    const env = loadConfig(schema, { [P.host]: '127.0.0.1', [P.port]: String(cluster.port), [P.db]: db, [P.user]: USER, [P.password]: PASSWORD, [P.sslMode]: 'disable' });
    const s = auditStoreFromEnv(env, log, registry)!;
    stores.push(s);
    await s.migrate();
    await s.record(decision());
    expect(await s.recent(5)).toEqual([decision()]);
    expect(await psql('postgres', `SELECT count(*) > 0 FROM pg_stat_activity WHERE application_name = 'aiops-self-healing' AND datname = '${db}'`)).toBe('t');
  });

  it('require sslmode against a server without TLS fails clearly (no silent fallback to plain text)', async () => {
    const db = await newDatabase();
    const { store: s } = store(db, { conn: { sslMode: 'require' } });
    await expect(s.ready()).rejects.toThrow('The server does not support SSL connections');
  });
});
