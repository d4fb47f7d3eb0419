/**
 * The AI engine's hot state and replicas, in-process (startService) on real sockets:
 * - a real redis-server on 127.0.0.93 (with a password): an engine learns a series from a fake
 *   Prometheus on 127.0.0.1 (query_range computed from a function of time, requests recorded),
 *   opens an anomaly, and saves its state on shutdown; a second engine loads it before its source
 *   runs: the anomaly is listed at once (and posted to Alertmanager), and its first query_range
 *   starts right after the first engine's last step instead of re-fetching the backfill;
 * - two replicas with a Lease on a fake Kubernetes API: both detect and list the anomaly, only the
 *   Lease holder posts it to Alertmanager; when the holder stops (releasing the Lease) the other
 *   takes over and posts what it knows at once.
 * Needs redis-server (Debian); skipped with a warning locally when missing, fails in CI.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { EngineSeries } from '../../src/core/ai-engine-series.js';
import { createAiEngineService } from '../../src/services/ai-engine/service.js';
import { STATE_KEY_PREFIX } from '../../src/services/ai-engine/state-store.js';
import type { SeriesRunSnapshot } from '../../src/services/ai-engine/sources/prometheus.js';
import { startService, type RunningService } from '../../src/services/kit/run.js';
import { RedisClient } from '../../src/services/kit/redis.js';
import { startFakeKubeApi, type FakeKubeApi } from '../support/fake-kube-api.js';
import { onPath, toolsPresent } from '../support/process.js';
import { LocalRedis, waitForPong } from '../support/redis-servers.js';
import { startFakeAlertmanager } from '../services/ai-engine/engine-fakes.js';
import { latency } from '../services/ai-engine/prometheus-fake.js';
import { until } from '../support/until.js';

const haveRedis = toolsPresent('the AI engine hot-state tests', ['redis-server', 'redis-cli'].filter((b) => !onPath(b)), 'Debian: apt-get install redis-server');
const REDIS_HOST = '127.0.0.93';
const PASSWORD = 'h0t "state" pä$$';

/** The p95 latency series at one-second steps, for a test of seconds. */
const series: EngineSeries = { ...latency, query: 'p95_latency', stepSeconds: 1, windowSeconds: 300 };

/** A fake Prometheus: `query_range` of one label set, 0.2 s with a little noise, +3 s from `spikeFrom` (epoch s). */
async function startFakePrometheus() {
  const requests: { start: number; end: number; step: number }[] = [];
  const state = { spikeFrom: Infinity };
  const value = (t: number) => 0.2 + 0.01 * (Math.sin(t / 7) * 0.6 + Math.sin(t / 13) * 0.4) + (t >= state.spikeFrom ? 3 : 0);
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url!, 'http://x');
    if (url.pathname === '/-/ready') return void res.writeHead(200).end('ready');
    const q = { start: Number(url.searchParams.get('start')), end: Number(url.searchParams.get('end')), step: Number(url.searchParams.get('step')) };
    requests.push(q);
    const values: [number, string][] = [];
    for (let t = q.start; t <= q.end; t += q.step) values.push([t, String(value(t))]);
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'success', data: { resultType: 'matrix', result: [{ metric: { service: 'shop' }, values }] } }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    spike: () => (state.spikeFrom = Math.ceil(Date.now() / 1000) + 1),
    close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
}

const running: RunningService[] = [];
async function startEngine(env: Record<string, string>): Promise<RunningService> {
  const engine = await startService(
    createAiEngineService({ series: [series], tickMs: 100, resendMs: 60_000, stateSaveMs: 3_600_000, prometheus: { backfillSeconds: 600 } }),
    {
      env: { BASE_PATH: '/ai', LOG_LEVEL: 'warn', POD_NAMESPACE: 'aiops', SHUTDOWN_DELAY_SECONDS: '0', ...env },
      ephemeralPorts: true,
      host: '127.0.0.1',
      logDestination: { write: () => undefined },
    },
  );
  running.push(engine);
  return engine;
}
async function stopEngine(engine: RunningService): Promise<void> {
  running.splice(running.indexOf(engine), 1);
  await engine.shutdown('test');
}


const get = async (engine: RunningService, path: string) => (await fetch(`http://127.0.0.1:${engine.port}/ai${path}`)).json() as Promise<any>;
const activeAnomalies = async (engine: RunningService) => ((await get(engine, '/api/v1/anomalies?active=true')).anomalies as any[]).filter((a) => a.kind === 'AnomalyDetected');
const isLeader = async (engine: RunningService) => /aiops_ai_engine_leader\{service="ai-engine"\} 1\n/.test(await (await fetch(`http://127.0.0.1:${engine.metricsPort}/metrics`)).text());

afterEach(async () => {
  for (const engine of running.splice(0)) await engine.shutdown('test');
});

describe.skipIf(!haveRedis)('AI engine hot state in a real Redis', { timeout: 60_000 }, () => {
  const local = new LocalRedis();
  let redis: RedisClient;
  beforeAll(async () => {
    const server = local.start(REDIS_HOST, 'redis-server', ['--bind', REDIS_HOST, '--port', '6379', '--requirepass', PASSWORD, '--save', '', '--appendonly', 'no']);
    await waitForPong(server, PASSWORD);
    redis = new RedisClient({ host: REDIS_HOST, port: 6379, password: PASSWORD, log: pino({ level: 'silent' }) });
  });
  afterAll(async () => {
    redis?.close();
    await local.stopAll();
  });

  it('a restarted engine goes on from the snapshot: the open anomaly at once, only the steps since fetched', async () => {
    const prometheus = await startFakePrometheus();
    const alertmanager = await startFakeAlertmanager();
    try {
      const env = { PROMETHEUS_URL: prometheus.url, ALERTMANAGER_URL: alertmanager.url, REDIS_HOST, REDIS_PASSWORD: PASSWORD };
      const first = await startEngine(env);
      // The backfill: one request for the last 600 s.
      await until('the backfill', () => prometheus.requests[0]);
      expect(prometheus.requests[0]!.end - prometheus.requests[0]!.start).toBe(600);
      prometheus.spike();
      const [opened] = await until('the anomaly', async () => ((await activeAnomalies(first)).length > 0 ? activeAnomalies(first) : undefined));
      await stopEngine(first);

      const saved = JSON.parse((await redis.get(`${STATE_KEY_PREFIX}prometheus:${series.id}`))!.toString('utf8')) as SeriesRunSnapshot;
      expect(saved).toMatchObject({ version: 1, id: series.id, query: series.query, stepSeconds: 1, trackers: [{ key: 'service="shop"', anomaly: { id: opened.id } }] });
      expect(saved.trackers[0]!.detector!.history.times.length).toBeGreaterThan(600);

      prometheus.requests.length = 0;
      alertmanager.alerts.length = 0;
      const second = await startEngine(env);
      // Listed as soon as the engine is ready, before any new point could have re-opened it.
      await until('ready', async () => ((await fetch(`http://127.0.0.1:${second.port}/ai/healthz/ready`)).ok ? true : undefined));
      const restored = await activeAnomalies(second);
      expect(restored.map((a) => [a.id, a.startsAt])).toEqual([[opened.id, opened.startsAt]]);
      await until('the first round', () => prometheus.requests[0]);
      expect(prometheus.requests[0]!.start).toBe(saved.lastEnd! + 1);
      const posted = await until('the alert', () => alertmanager.alerts.find((a) => a.labels.anomaly === opened.id));
      expect(posted.startsAt).toBe(new Date(opened.startsAt).toISOString());
    } finally {
      await prometheus.close();
      await alertmanager.close();
    }
  });
});

describe('AI engine replicas with a Lease', { timeout: 60_000 }, () => {
  let kube: FakeKubeApi;
  let tokenFile: string;
  beforeAll(async () => {
    kube = await startFakeKubeApi();
    tokenFile = join(mkdtempSync(join(tmpdir(), 'ai-engine-lease-')), 'token');
    writeFileSync(tokenFile, 'test-token');
  });
  afterAll(async () => kube?.close());

  it('both detect; only the holder posts; the other takes over when the holder stops', async () => {
    const prometheus = await startFakePrometheus();
    const alertmanager = await startFakeAlertmanager();
    try {
      const env = (pod: string) => ({
        PROMETHEUS_URL: prometheus.url,
        ALERTMANAGER_URL: alertmanager.url,
        LEASE_NAME: 'aiops-ai-engine',
        KUBERNETES_API_URL: kube.url,
        KUBERNETES_TOKEN_FILE: tokenFile,
        POD_NAME: pod,
      });
      const a = await startEngine(env('ai-engine-a'));
      await until('a to hold the Lease', async () => ((await isLeader(a)) ? true : undefined));
      const b = await startEngine(env('ai-engine-b'));
      prometheus.spike();
      const listed = await until('both to list the anomaly', async () => {
        const [inA, inB] = await Promise.all([activeAnomalies(a), activeAnomalies(b)]);
        return inA.length > 0 && inB.length > 0 ? inA[0] : undefined;
      });
      const posts = () => alertmanager.alerts.filter((x) => x.labels.anomaly === listed.id);
      await until('the alert', () => (posts().length > 0 ? true : undefined));
      await new Promise((r) => setTimeout(r, 500));
      expect(posts()).toHaveLength(1);
      expect(await isLeader(b)).toBe(false);
      expect(kube.get('leases', 'aiops', 'aiops-ai-engine')).toMatchObject({ spec: { holderIdentity: 'ai-engine-a' } });

      await stopEngine(a);
      await until('b to take over', async () => ((await isLeader(b)) ? true : undefined));
      await until('b to post the anomaly it knows', () => (posts().length === 2 ? true : undefined));
      expect(kube.get('leases', 'aiops', 'aiops-ai-engine')).toMatchObject({ spec: { holderIdentity: 'ai-engine-b' } });
    } finally {
      await prometheus.close();
      await alertmanager.close();
    }
  });
});
