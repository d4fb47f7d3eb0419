/**
 * The AI engine as a service (startService in-process, real sockets on 127.0.0.1) with its
 * optional sources: a log-error spike in a fake Elasticsearch goes through the engine to
 * `GET /ai/api/v1/anomalies`, the contract counter `aiops_anomalies_detected_total{source="logs"}`
 * and a (recording) Alertmanager, and ends there too; without PostgreSQL the query analysis and
 * the history answer 404 with a clear message, and readiness (Prometheus only) does not depend on
 * the optional stores.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createAiEngineService, type AiEngineOverrides } from '../../../src/services/ai-engine/service.js';
import { startService, type RunningService } from '../../../src/services/kit/run.js';
import { basicAuth, startFakeElasticsearch, type FakeAnswer, type FakeElasticsearch, type RecordedRequest } from '../../support/fake-elasticsearch.js';
import { request } from '../kit/http.js';

const MIN = 60_000;
const T0 = Date.UTC(2025, 2, 1, 12, 0, 0);
/** 45 s into minute k: with the 30 s lag, the last complete minute ends at minute k. */
const at = (minute: number) => T0 + minute * MIN + 45_000;
const SPIKE_FROM = 75;
const SPIKE_TO = 85;

/** Deterministic noise in [0, 1). */
const noise = (seed: number) => {
  const x = Math.sin(seed * 12.9898 + 78.233) * 43758.5453;
  return x - Math.floor(x);
};

/** Error lines of shop/checkout per minute: 1-3, then 40-49 during the spike. */
const checkoutErrors = (m: number) => (m >= SPIKE_FROM && m < SPIKE_TO ? 40 + Math.floor(noise(m) * 10) : 1 + Math.floor(noise(m) * 3));

/** The fake cluster: the error-rate aggregation of checkout's lines, and (lines search) the same message each time. */
function cluster(r: RecordedRequest): FakeAnswer {
  const body = JSON.parse(r.body);
  const { gte, lt } = body.query.bool.filter[0].range['@timestamp'] as { gte: number; lt: number };
  const shards = { total: 1, successful: 1, skipped: 0, failed: 0 };
  if (body.size !== 0) {
    const hits = [];
    for (let t = gte; t < lt; t += MIN) hits.push({ _index: 'aiops-logs-2025.03.01', _id: String(t), _score: null, _source: { message: 'ERROR payment call failed: upstream connect error', kubernetes: { namespace: 'shop', container: { name: 'checkout' } } }, sort: [t] });
    return [200, { took: 1, timed_out: false, _shards: shards, hits: { max_score: null, hits: hits.reverse().slice(0, body.size) } }];
  }
  const buckets = [];
  for (let t = gte; t < lt; t += MIN) buckets.push({ key_as_string: new Date(t).toISOString(), key: t, doc_count: checkoutErrors((t - T0) / MIN) });
  const total = buckets.reduce((s, b) => s + b.doc_count, 0);
  return [
    200,
    {
      took: 2,
      timed_out: false,
      _shards: shards,
      hits: { max_score: null, hits: [] },
      aggregations: {
        namespaces: {
          doc_count_error_upper_bound: 0,
          sum_other_doc_count: 0,
          buckets: [{ key: 'shop', doc_count: total, services: { doc_count_error_upper_bound: 0, sum_other_doc_count: 0, buckets: [{ key: 'checkout', doc_count: total, per_step: { buckets } }] } }],
        },
      },
    },
  ];
}

/** A recording Alertmanager: the alerts of every `POST /api/v2/alerts`. */
async function startFakeAlertmanager(): Promise<{ url: string; alerts: any[]; close(): Promise<void> }> {
  const alerts: any[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString('utf8')));
    req.on('end', () => {
      if (req.method === 'POST' && req.url === '/api/v2/alerts') alerts.push(...(JSON.parse(body) as any[]));
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    alerts,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function startEngine(env: Record<string, string>, overrides: AiEngineOverrides = {}): Promise<RunningService> {
  const engine = await startService(createAiEngineService(overrides), {
    env: { BASE_PATH: '/ai', LOG_LEVEL: 'warn', POD_NAMESPACE: 'aiops', SHUTDOWN_DELAY_SECONDS: '0', ...env },
    ephemeralPorts: true,
    host: '127.0.0.1',
    logDestination: { write: () => undefined },
  });
  cleanups.push(() => engine.shutdown('test'));
  return engine;
}

const getJson = async (engine: RunningService, path: string) => {
  const answer = await request(engine.port, path);
  return { status: answer.status, body: JSON.parse(answer.body) };
};

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('the AI engine service with the logs source', () => {
  it('takes a log-error spike through the engine: listed, counted with source="logs", alerted, and ended', async () => {
    const es: FakeElasticsearch = await startFakeElasticsearch(cluster);
    cleanups.push(() => es.close());
    const alertmanager = await startFakeAlertmanager();
    cleanups.push(() => alertmanager.close());
    // The logs clock: one minute further at each poll, up to `clock.last`.
    const clock = { minute: 60, last: 80 };
    const now = () => at(clock.minute < clock.last ? clock.minute++ : clock.minute);
    const engine = await startEngine(
      { ELASTICSEARCH_URL: es.url, ELASTICSEARCH_USERNAME: 'logs_reader', ELASTICSEARCH_PASSWORD: 'secret-pw', ALERTMANAGER_URL: alertmanager.url },
      { logs: { now }, logsPollMs: 10, resendMs: 60_000 },
    );

    const opened = await until('the spike to be listed', async () => {
      const { body } = await getJson(engine, '/ai/api/v1/anomalies?source=logs&active=true');
      return body.anomalies.length > 0 ? body.anomalies : undefined;
    });
    expect(opened).toEqual([
      expect.objectContaining({ id: 'logs:errors:shop/checkout', kind: 'LogErrorSpike', source: 'logs', component: 'checkout', namespace: 'shop', labels: { namespace: 'shop', service: 'checkout' } }),
    ]);
    expect(opened[0].startsAt).toBeGreaterThanOrEqual(T0 + SPIKE_FROM * MIN);
    expect(opened[0].endsAt).toBeUndefined();
    expect(es.requests.every((r) => r.authorization === basicAuth('logs_reader', 'secret-pw'))).toBe(true);
    expect(es.calls().every((c) => c === 'POST /aiops-logs-*/_search')).toBe(true);

    const metrics = await (await fetch(`http://127.0.0.1:${engine.metricsPort}/metrics`)).text();
    expect(metrics).toMatch(/aiops_anomalies_detected_total\{source="logs",service="ai-engine"\} 1\n/);
    expect(metrics).toMatch(/aiops_anomalies_detected_total\{source="metrics",service="ai-engine"\} 0\n/);

    const firing = await until('the alert', async () => alertmanager.alerts.find((a) => a.labels.alertname === 'LogErrorSpike'));
    expect(firing.labels).toMatchObject({ alertname: 'LogErrorSpike', component: 'checkout', namespace: 'shop', severity: 'warning' });

    // Calm again: the spike ends in the engine (listed as ended) and is resolved at Alertmanager.
    clock.last = 100;
    const ended = await until('the spike to end', async () => {
      const { body } = await getJson(engine, '/ai/api/v1/anomalies?source=logs&active=false');
      return body.anomalies.length > 0 ? body.anomalies : undefined;
    });
    expect(ended).toEqual([expect.objectContaining({ id: 'logs:errors:shop/checkout', startsAt: opened[0].startsAt, endsAt: expect.any(Number) })]);
    expect((await getJson(engine, '/ai/api/v1/anomalies?active=true')).body.anomalies).toEqual([]);
    await until('the resolution', async () => alertmanager.alerts.find((a) => a.labels.alertname === 'LogErrorSpike' && Date.parse(a.endsAt) <= Date.now()));
    // Counted once per opening, not per poll.
    const after = await (await fetch(`http://127.0.0.1:${engine.metricsPort}/metrics`)).text();
    expect(after).toMatch(/aiops_anomalies_detected_total\{source="logs",service="ai-engine"\} 1\n/);
    expect(await engine.shutdown('test')).toBe(0);
  });
});

describe('the AI engine service without PostgreSQL', () => {
  it('answers the query analysis and the history with 404 and a clear message, and is ready without the optional stores', async () => {
    const engine = await startEngine({});
    const analysis = await getJson(engine, '/ai/api/v1/analysis/queries?top=5');
    expect(analysis.status).toBe(404);
    expect(JSON.stringify(analysis.body)).toContain('no query statistics: set POSTGRES_HOST and POSTGRES_QUERY_STATS_VIEW');
    const history = await getJson(engine, '/ai/api/v1/anomalies?history=true');
    expect(history.status).toBe(404);
    expect(JSON.stringify(history.body)).toContain('no anomaly history');
    expect(await getJson(engine, '/ai/api/v1/anomalies')).toEqual({ status: 200, body: { anomalies: [] } });
    expect((await getJson(engine, '/ai/api/v1/anomalies?history=maybe')).status).toBe(400);
    expect((await request(engine.port, '/ai/healthz/ready')).status).toBe(200);
  });

  it('refuses a query statistics view that is not a plain identifier, and a half-configured PostgreSQL', async () => {
    await expect(startEngine({ POSTGRES_HOST: '127.0.0.1', POSTGRES_DB: 'aiops', POSTGRES_USER: 'ai', POSTGRES_QUERY_STATS_VIEW: 'x; DROP TABLE y' })).rejects.toThrow(/POSTGRES_QUERY_STATS_VIEW: expected a plain SQL identifier/);
    await expect(startEngine({ POSTGRES_HOST: '127.0.0.1' })).rejects.toThrow(/POSTGRES_DB: required when POSTGRES_HOST is set/);
    await expect(startEngine({ ELASTICSEARCH_URL: 'http://u:p@es:9200' })).rejects.toThrow(/ELASTICSEARCH_URL: must not carry credentials/);
  });
});
