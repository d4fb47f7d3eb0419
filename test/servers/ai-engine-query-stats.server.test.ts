/**
 * The AI engine's query statistics source (src/services/ai-engine/sources/query-stats.ts) against
 * a real PostgreSQL with pg_stat_statements preloaded and the chart's own view (queryStatsSql() of
 * src/components/data/postgresql-scripts.ts, `:"app_user"` replaced by the application role): a
 * statement run fast many times, then made slow by dropping its index, is reported as a
 * QueryRegression for exactly its queryid; the slow-query report lists the top statements;
 * pg_stat_statements_reset() is handled; hostile view names never reach the server.
 *
 * Skipped with a warning when the PostgreSQL binaries are missing locally; fails in CI (`CI=true`).
 */
import pg from 'pg';
import * as z from 'zod/mini';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUERY_STATS_VIEW, queryStatsSql } from '../../src/components/data/postgresql-scripts.js';
import { SERVICE_ENV } from '../../src/core/service-env.js';
import { sqlIdentifier } from '../../src/core/sql-identifier.js';
import { ConfigError, loadConfig } from '../../src/services/kit/config.js';
import { createLogger, type Logger } from '../../src/services/kit/log.js';
import { createQueryStatsSource, queryStatsEnvShape, type QueryStatsPoll, type QueryStatsSourceOptions } from '../../src/services/ai-engine/sources/query-stats.js';
import { postgresPresent, PostgresCluster } from '../support/postgresql-server.js';

const havePostgres = postgresPresent('the AI engine query statistics tests');

const USER = 'app';
const PASSWORD = 'app-secret';
const DB = 'appdb';
const MINUTE = 60_000;
/** The statement that regresses, and a steady one next to it. */
const LOOKUP = 'SELECT v FROM regress_items WHERE id = $1';
const STEADY = 'SELECT count(*) FROM regress_small WHERE k < $1';

describe.runIf(havePostgres)('AI engine query statistics on a real PostgreSQL with pg_stat_statements', () => {
  let cluster: PostgresCluster;
  let pool: pg.Pool;
  const logLines: Record<string, unknown>[] = [];
  const log: Logger = createLogger({ service: 'ai-engine', level: 'debug', destination: { write: (line: string) => void logLines.push(JSON.parse(line)) } });

  const psql = (db: string, sql: string): Promise<string> => cluster.psql(db, sql);
  const queryidOf = (text: string) => psql(DB, `SELECT DISTINCT queryid FROM pg_stat_statements WHERE query = '${text.replaceAll("'", "''")}'`);
  const lookups = async (n: number) => {
    for (let i = 0; i < n; i += 1) await pool.query(LOOKUP, [1 + ((i * 7919) % 500_000)]);
  };
  const steady = async (n: number) => {
    for (let i = 0; i < n; i += 1) await pool.query(STEADY, [50]);
  };
  const source = (over: Partial<QueryStatsSourceOptions> = {}) =>
    createQueryStatsSource(pool, log, { view: QUERY_STATS_VIEW, namespace: 'aiops-platform', labels: { database: DB }, ...over });

  beforeAll(async () => {
    cluster = await PostgresCluster.forApplication('pg-ai-query-stats-', USER, PASSWORD, '-c shared_preload_libraries=pg_stat_statements -c log_statement=all');
    await psql('postgres', `CREATE DATABASE ${DB} OWNER ${USER}`);
    // The chart's statements, as its first-start script runs them (psql quotes :"app_user").
    await psql(DB, queryStatsSql().join('\n').replaceAll(':"app_user"', sqlIdentifier(USER)));
    pool = new pg.Pool({ host: '127.0.0.1', port: cluster.port, database: DB, user: USER, password: PASSWORD, max: 1 });
    await pool.query('CREATE TABLE regress_items (id integer NOT NULL, v text NOT NULL)');
    await pool.query("INSERT INTO regress_items SELECT g, md5(g::text) FROM generate_series(1, 500000) AS g");
    await pool.query('CREATE INDEX regress_items_id ON regress_items (id)');
    await pool.query('CREATE TABLE regress_small (k integer NOT NULL)');
    await pool.query('INSERT INTO regress_small SELECT g FROM generate_series(1, 100) AS g');
    await pool.query('ANALYZE regress_items, regress_small');
  }, 120_000);

  afterAll(async () => {
    await pool?.end();
    await cluster?.destroy();
  }, 40_000);

  it('reports a QueryRegression for exactly the statement whose index was dropped, lists the top statements, survives a counter reset and closes when it is fast again', async () => {
    const lookupId = await (async () => {
      await lookups(1);
      return queryidOf(LOOKUP);
    })();
    await steady(1);
    const steadyId = await queryidOf(STEADY);
    expect(lookupId).toMatch(/^-?\d+$/);
    expect(steadyId).not.toBe(lookupId);

    const s = source();
    let t = 0;
    const poll = async (): Promise<QueryStatsPoll> => {
      t += MINUTE;
      return s.poll(t);
    };
    expect((await poll()).samples).toBe(0);
    // Baseline: eight fast intervals of both statements.
    for (let i = 0; i < 8; i += 1) {
      await lookups(40);
      await steady(40);
      const p = await poll();
      expect(p.opened).toEqual([]);
    }
    expect(s.tracker.baseline(lookupId)!.medianMs).toBeLessThan(1);

    // The regression: the index is gone, every lookup scans 500,000 rows.
    await pool.query('DROP INDEX regress_items_id');
    const opened = [];
    for (let i = 0; i < 2; i += 1) {
      await lookups(25);
      await steady(40);
      opened.push(...(await poll()).opened);
    }
    expect(opened).toHaveLength(1);
    const anomaly = opened[0]!;
    expect(anomaly).toMatchObject({
      id: `queries:${lookupId}`,
      kind: 'QueryRegression',
      source: 'queries',
      action: 'optimize-db',
      component: 'postgresql',
      namespace: 'aiops-platform',
      labels: { database: DB, queryid: lookupId },
      startsAt: t,
    });
    expect(anomaly.value).toBeGreaterThan(2);
    // The slow mean, for the record (a sequential scan of 500,000 rows against an index lookup).
    console.info(`lookup: ${s.tracker.baseline(lookupId)!.medianMs!.toFixed(3)} ms → ${s.tracker.baseline(lookupId)!.lastMs!.toFixed(1)} ms per call`);
    expect(anomaly.summary).toContain(`statement ${lookupId} slowed down`);
    expect(anomaly.summary).toContain(LOOKUP);
    expect(s.active()).toEqual([anomaly]);
    // Drawn like a metric: the regressed statement first, its last sample far above the band of its baseline.
    const drawn = s.seriesView('query-mean-time', 2)!;
    expect(drawn).toMatchObject({ id: 'query-mean-time', source: 'queries', kind: 'QueryRegression', unit: 'ms' });
    expect(drawn.labelSets).toHaveLength(2);
    expect(drawn.labelSets[0]).toMatchObject({ labels: { database: DB, queryid: lookupId }, anomaly });
    const lastSample = drawn.labelSets[0]!.points.at(-1)!;
    expect(lastSample.value).toBeGreaterThan(lastSample.expected! + 3 * lastSample.scale!);
    expect(s.seriesList()).toEqual([expect.objectContaining({ id: 'query-mean-time', labelSets: expect.any(Number) })]);

    // The report: the lookups lead by total time; every row has its numbers; the text is cut.
    const report = s.report({ top: 3, maxQueryLength: 30 });
    expect(report).toMatchObject({ view: QUERY_STATS_VIEW, readAt: t, truncated: false, regressions: [anomaly] });
    expect(report.statements).toBeGreaterThanOrEqual(6);
    expect(report.byTotalTime.length).toBe(3);
    expect(report.byMeanTime.length).toBe(3);
    const top = report.byTotalTime.find((r) => r.queryid === lookupId)!;
    expect(top).toMatchObject({ queryid: lookupId, query: 'SELECT v FROM regress_items W…', calls: 1 + 8 * 40 + 50, rows: 1 + 8 * 40 + 50, regressed: true });
    expect(top.totalMs).toBeCloseTo(top.meanMs * top.calls, 6);
    expect(top.hitRatio).toBeGreaterThan(0);
    expect(top.hitRatio).toBeLessThanOrEqual(1);
    expect(top.baselineMs).toBeLessThan(1);
    for (const list of [report.byTotalTime, report.byMeanTime]) {
      for (let i = 1; i < list.length; i += 1) expect(list[i - 1]!.totalMs / (list === report.byMeanTime ? list[i - 1]!.calls : 1)).toBeGreaterThanOrEqual(list[i]!.totalMs / (list === report.byMeanTime ? list[i]!.calls : 1));
    }
    expect(report.byMeanTime.some((r) => r.query.startsWith('INSERT INTO regress_items'))).toBe(true);
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);

    // pg_stat_statements_reset(): counters restart from zero; the next interval counts from the
    // reset (no negative or huge deltas), the regression stays open while the lookups are slow.
    await psql(DB, 'SELECT pg_stat_statements_reset()');
    await lookups(25);
    await steady(40);
    const afterReset = await poll();
    expect(afterReset.resets).toBeGreaterThanOrEqual(2);
    expect(afterReset.opened).toEqual([]);
    expect(afterReset.closed).toEqual([]);
    expect(s.tracker.baseline(steadyId)!.lastMs).toBeLessThan(1);
    expect(s.tracker.baseline(lookupId)!.lastMs).toBeGreaterThan(2 * s.tracker.baseline(lookupId)!.medianMs!);
    expect(logLines.some((l) => l['msg'] === 'pg_stat_statements counters were reset since the previous read (those intervals count from the reset)')).toBe(true);

    // Fixed: the index is back, two fast intervals close it.
    await pool.query('CREATE INDEX regress_items_id ON regress_items (id)');
    const closed = [];
    for (let i = 0; i < 2; i += 1) {
      await lookups(40);
      await steady(40);
      closed.push(...(await poll()).closed);
    }
    expect(closed).toMatchObject([{ id: `queries:${lookupId}`, startsAt: anomaly.startsAt, endsAt: t }]);
    expect(s.active()).toEqual([]);
    expect(s.report().regressions).toEqual([]);
  }, 120_000);

  it('reads the view through the quoted, schema-qualified name, with the row limit as a parameter', async () => {
    const s = source({ maxStatements: 2 });
    expect(s.relation).toBe('public."aiops_query_stats"');
    const p = await s.poll();
    expect(p).toMatchObject({ statements: 2, truncated: true });
    expect(s.report().truncated).toBe(true);
    // Extended protocol: the statement text with $1, the limit (+1, to see the cut) as its parameter.
    const serverLog = cluster.serverLog();
    expect(serverLog).toMatch(/execute <unnamed>: SELECT queryid::text AS queryid/);
    const reads = serverLog.split('\n').filter((l) => l.includes('FROM public."aiops_query_stats"'));
    expect(reads.length).toBeGreaterThan(0);
    for (const line of reads) expect(line).toMatch(/FROM public\."aiops_query_stats" WHERE queryid IS NOT NULL ORDER BY total_exec_time DESC LIMIT \$1$/);
    expect(serverLog).toMatch(/DETAIL: {2}parameters: \$1 = '3'/);
  });

  it('refuses hostile view names before anything reaches the server: in the environment and in the options', async () => {
    const schema = z.object(queryStatsEnvShape);
    const name = SERVICE_ENV.aiEngine.queryStatsView;
    expect(loadConfig(schema, {})[name]).toBeUndefined();
    expect(loadConfig(schema, { [name]: 'aiops_query_stats' })[name]).toBe('aiops_query_stats');
    const hostile = [
      'aiops_query_stats"; DROP TABLE regress_items; --',
      'aiops_query_stats; DROP TABLE regress_items',
      'pg_catalog.pg_authid',
      'public.aiops_query_stats',
      '"aiops_query_stats"',
      'Aiops_Query_Stats',
      'x'.repeat(64),
      'aiops_query_stats\u0000',
      ' aiops_query_stats',
    ];
    const before = cluster.serverLog().length;
    for (const view of hostile) {
      expect(() => loadConfig(schema, { [name]: view }), view).toThrow(ConfigError);
      expect(() => loadConfig(schema, { [name]: view }), view).toThrow(/^config: POSTGRES_QUERY_STATS_VIEW: expected a plain SQL identifier/);
      expect(() => source({ view }), view).toThrow(/^POSTGRES_QUERY_STATS_VIEW: expected a plain identifier/);
    }
    expect(cluster.serverLog().slice(before)).not.toContain('DROP TABLE');
    expect(await psql(DB, 'SELECT count(*) FROM regress_items')).toBe('500000');
  });

  it('a view that does not exist: poll() rejects with the server reason, the schedule logs and keeps going until stopped', async () => {
    const missing = source({ view: 'no_such_view', intervalMs: 20 });
    await expect(missing.poll()).rejects.toThrow('relation "public.no_such_view" does not exist');
    const logged = logLines.length;
    missing.start();
    await new Promise((r) => setTimeout(r, 150));
    await missing.stop();
    const warnings = logLines.slice(logged).filter((l) => l['msg'] === 'query statistics not read (next try at the next interval)');
    expect(warnings.length).toBeGreaterThanOrEqual(2);
    expect(warnings[0]).toMatchObject({ level: 'warn', view: 'public."no_such_view"' });
    expect(JSON.stringify(warnings)).not.toContain(PASSWORD);

    const working = source({ intervalMs: 20 });
    const polls: QueryStatsPoll[] = [];
    working.start((p) => void polls.push(p));
    working.start();
    await new Promise((r) => setTimeout(r, 150));
    await working.stop();
    await working.stop();
    const count = polls.length;
    expect(count).toBeGreaterThanOrEqual(2);
    await new Promise((r) => setTimeout(r, 80));
    expect(polls.length).toBe(count);
    expect(polls[0]!.statements).toBeGreaterThan(0);
  });
});
