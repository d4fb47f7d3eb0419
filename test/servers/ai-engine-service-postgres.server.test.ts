/**
 * The AI engine service (startService in-process) with a real PostgreSQL (pg_stat_statements
 * preloaded, the chart's query statistics view) and the fake Elasticsearch: the history schema is
 * migrated at start-up, a log-error spike is written to the history at its opening and its end
 * (`GET /ai/api/v1/anomalies?history=true`), and `GET /ai/api/v1/analysis/queries?top=N` serves the
 * slow-query report of the view.
 *
 * Skipped with a warning when the PostgreSQL binaries are missing locally; fails in CI (`CI=true`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUERY_STATS_VIEW, queryStatsSql } from '../../src/components/data/postgresql-scripts.js';
import { sqlIdentifier } from '../../src/core/sql-identifier.js';
import { createAiEngineService } from '../../src/services/ai-engine/service.js';
import { startService, type RunningService } from '../../src/services/kit/run.js';
import { startFakeElasticsearch, type FakeElasticsearch } from '../support/fake-elasticsearch.js';
import { output } from '../support/process.js';
import { postgresPresent, PostgresCluster } from '../support/postgresql-server.js';
import { request } from '../services/kit/http.js';
import { at, spikingCheckout } from '../services/ai-engine/engine-fakes.js';
import { until } from '../support/until.js';

const havePostgres = postgresPresent('the AI engine service tests on PostgreSQL');

const USER = 'app';
const PASSWORD = 'app-secret';
const DB = 'appdb';


describe.runIf(havePostgres)('AI engine service with PostgreSQL (history and query analysis)', () => {
  let cluster: PostgresCluster;
  let es: FakeElasticsearch;
  let engine: RunningService;
  const clock = { minute: 60, last: 60 };

  const getJson = async (path: string) => {
    const answer = await request(engine.port, path);
    return { status: answer.status, body: JSON.parse(answer.body) };
  };

  beforeAll(async () => {
    cluster = await PostgresCluster.create('pg-ai-engine-service-');
    await cluster.initdb(['--auth-host=scram-sha-256', '--auth-local=trust']);
    await cluster.start(`-c unix_socket_directories=${cluster.socketDir} -c shared_preload_libraries=pg_stat_statements`);
    for (const [db, sql] of [
      ['postgres', `CREATE ROLE ${USER} LOGIN PASSWORD '${PASSWORD}'`],
      ['postgres', `CREATE DATABASE ${DB} OWNER ${USER}`],
      [DB, queryStatsSql().join('\n').replaceAll(':"app_user"', sqlIdentifier(USER))],
    ] as const) {
      const r = await cluster.superPsql(db, sql);
      expect(r.code, output(r)).toBe(0);
    }
    es = await startFakeElasticsearch(spikingCheckout);
    engine = await startService(createAiEngineService({ logs: { now: () => at(clock.minute < clock.last ? clock.minute++ : clock.minute) }, logsPollMs: 10, queryStats: { intervalMs: 200 } }), {
      env: {
        BASE_PATH: '/ai',
        LOG_LEVEL: 'warn',
        POD_NAMESPACE: 'aiops',
        SHUTDOWN_DELAY_SECONDS: '0',
        ELASTICSEARCH_URL: es.url,
        POSTGRES_HOST: '127.0.0.1',
        POSTGRES_PORT: String(cluster.port),
        POSTGRES_DB: DB,
        POSTGRES_USER: USER,
        POSTGRES_PASSWORD: PASSWORD,
        POSTGRES_SSLMODE: 'disable',
        POSTGRES_QUERY_STATS_VIEW: QUERY_STATS_VIEW,
      },
      ephemeralPorts: true,
      host: '127.0.0.1',
      logDestination: { write: () => undefined },
    });
  }, 120_000);

  afterAll(async () => {
    if (engine) expect(await engine.shutdown('test')).toBe(0);
    await es?.close();
    await cluster?.destroy();
  }, 40_000);

  it('writes a log-error spike to the history at its opening and its end', async () => {
    // The schema is migrated at start-up: the history answers (empty) before any anomaly.
    const empty = await until('the history schema', async () => {
      const r = await getJson('/ai/api/v1/anomalies?history=true');
      return r.status === 200 ? r.body : undefined;
    });
    expect(empty).toEqual({ anomalies: [] });

    clock.last = 80;
    const open = await until('the open spike in the history', async () => {
      const { body } = await getJson('/ai/api/v1/anomalies?history=true&source=logs&active=true');
      return body.anomalies.length > 0 ? body.anomalies : undefined;
    });
    const memory = (await getJson('/ai/api/v1/anomalies?source=logs&active=true')).body.anomalies;
    expect(open).toEqual([expect.objectContaining({ id: 'logs:errors:shop/checkout', kind: 'LogErrorSpike', source: 'logs', startsAt: memory[0].startsAt })]);
    expect(open[0].endsAt).toBeUndefined();

    clock.last = 100;
    const ended = await until('the ended spike in the history', async () => {
      const { body } = await getJson('/ai/api/v1/anomalies?history=true&source=logs&active=false');
      return body.anomalies.length > 0 ? body.anomalies : undefined;
    });
    expect(ended).toEqual([expect.objectContaining({ id: 'logs:errors:shop/checkout', startsAt: open[0].startsAt, endsAt: expect.any(Number) })]);
    // One row per occurrence, filters by component.
    expect((await getJson('/ai/api/v1/anomalies?history=true&component=checkout')).body.anomalies).toHaveLength(1);
    expect((await getJson('/ai/api/v1/anomalies?history=true&component=cart')).body.anomalies).toEqual([]);
    expect((await getJson('/ai/api/v1/anomalies?history=true&since=abc')).status).toBe(400);
  });

  it('serves the slow-query report of the view, with top=N', async () => {
    // The first read may come before the engine's own statements (the history's migration): read every 200 ms here.
    const report = await until('a read of the view with statements', async () => {
      const r = await getJson('/ai/api/v1/analysis/queries?top=2');
      return r.status === 200 && r.body.statements > 0 ? r.body : undefined;
    });
    expect(report).toMatchObject({ view: QUERY_STATS_VIEW, truncated: false, regressions: [] });
    expect(report.statements).toBeGreaterThan(0);
    expect(report.byTotalTime.length).toBeGreaterThan(0);
    expect(report.byTotalTime.length).toBeLessThanOrEqual(2);
    expect((await getJson('/ai/api/v1/analysis/queries?top=0')).status).toBe(400);
    expect((await getJson('/ai/api/v1/analysis/queries?top=101')).status).toBe(400);
    expect((await request(engine.port, '/ai/healthz/ready')).status).toBe(200);
  });
});
