/**
 * The AI engine as a service (startService in-process, real sockets on 127.0.0.1) with its
 * optional sources: a log-error spike in a fake Elasticsearch goes through the engine to
 * `GET /ai/api/v1/anomalies`, the contract counter `aiops_anomalies_detected_total{source="logs"}`
 * and a (recording) Alertmanager, and ends there too; without PostgreSQL the query analysis and
 * the history answer 404 with a clear message, and readiness (Prometheus only) does not depend on
 * the optional stores.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createAiEngineService, type AiEngineOverrides } from '../../../src/services/ai-engine/service.js';
import { startService, type RunningService } from '../../../src/services/kit/run.js';
import { basicAuth, startFakeElasticsearch, type FakeElasticsearch } from '../../support/fake-elasticsearch.js';
import { request } from '../kit/http.js';
import { at, MIN, SPIKE_FROM, spikingCheckout, startFakeAlertmanager, T0 } from './engine-fakes.js';
import { until } from '../../support/until.js';

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


describe('the AI engine service with the logs source', () => {
  it('takes a log-error spike through the engine: listed, counted with source="logs", alerted, and ended', async () => {
    const es: FakeElasticsearch = await startFakeElasticsearch(spikingCheckout);
    cleanups.push(() => es.close());
    const alertmanager = await startFakeAlertmanager();
    cleanups.push(() => alertmanager.close());
    // The logs clock: one minute further at each poll, up to `clock.last`.
    const clock = { minute: 60, last: 80, readsAtLast: 0 };
    const now = () => {
      if (clock.minute >= clock.last) clock.readsAtLast++;
      return at(clock.minute < clock.last ? clock.minute++ : clock.minute);
    };
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

    // The error lines of each service are a series like the metrics: listed, drawn with their band, the spiking one first.
    // Read once the logs clock has stopped and a poll at its last minute has ended (the polls run one
    // after another: a second read of the clock means the first finished), so two reads see the same points.
    await until('the logs clock to stop', async () => (clock.readsAtLast >= 2 ? true : undefined));
    const { body: list } = await getJson(engine, '/ai/api/v1/series');
    expect(list.series).toEqual([{ id: 'log-error-rate', source: 'logs', description: expect.any(String), kind: 'LogErrorSpike', unit: 'lines/1m', labelSets: expect.any(Number) }]);
    const { status, body: drawn } = await getJson(engine, '/ai/api/v1/series/log-error-rate?limit=1');
    expect((await getJson(engine, '/ai/api/v1/series?id=log-error-rate&limit=1')).body).toEqual(drawn);
    expect(status).toBe(200);
    expect(drawn).toMatchObject({ id: 'log-error-rate', source: 'logs', stepSeconds: 60 });
    expect(drawn.labelSets).toHaveLength(1);
    expect(drawn.labelSets[0]).toMatchObject({ labels: { namespace: 'shop', service: 'checkout' }, anomaly: { id: 'logs:errors:shop/checkout' } });
    const last = drawn.labelSets[0].points.at(-1);
    expect(last).toEqual({ t: expect.any(Number), value: expect.any(Number), expected: expect.any(Number), lower: expect.any(Number), upper: expect.any(Number), score: expect.any(Number) });
    expect(last.value).toBeGreaterThan(last.upper);
    expect((await getJson(engine, '/ai/api/v1/series/query-mean-time')).status).toBe(404);
    expect((await getJson(engine, '/ai/api/v1/series?id=log-error-rate&limit=0')).status).toBe(400);
    // Inference rounds of the logs' two models are counted; only the models of configured sources are loaded.
    const counted = (model: string) => Number(new RegExp(`aiops_inference_requests_total\\{model="${model}",outcome="success",service="ai-engine"\\} (\\d+)`).exec(metrics)?.[1] ?? 0);
    expect(counted('robust-seasonal')).toBeGreaterThan(0);
    expect(counted('drain')).toBeGreaterThan(0);
    expect(counted('theil-sen')).toBe(0);
    expect(metrics).toMatch(/aiops_model_loaded\{model="drain",service="ai-engine"\} 1\n/);
    expect(metrics).toMatch(/aiops_model_loaded\{model="theil-sen",service="ai-engine"\} 0\n/);
    expect(metrics).toMatch(/aiops_inference_duration_seconds_count\{service="ai-engine",model="drain"\} [1-9]/);

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
