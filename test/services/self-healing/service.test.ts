/**
 * The executor as a service, over real sockets on 127.0.0.1: its webhook (auth, malformed and
 * oversized bodies, off-lease replicas), the Kubernetes calls it makes (on the recording fake API
 * server, which asserts paths, verbs, content types and bodies), alerts confirmed by a REAL
 * Prometheus (Debian's, with rules whose alerts always fire, so that `ALERTS` holds exactly the
 * incidents the test sends), dry run, decisions and metrics.
 *
 * Needs Debian's prometheus; skipped with a warning locally when missing, fails in CI.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RulesFile } from '../../../src/core/self-healing-rules.js';
import type { RunningService } from '../../../src/services/kit/run.js';
import { actionRequests, startFakeKubeApi, type FakeKubeApi } from '../../support/fake-kube-api.js';
import { toolsPresent } from '../../support/process.js';
import { PROMETHEUS_BINARY, startPrometheus, type TestServer } from '../../support/prom-servers.js';
import { request } from '../kit/http.js';
import { rulesFixture } from './rules-fixture.js';
import { startExecutorService } from '../../support/executor-service.js';

const havePrometheus = toolsPresent('the executor service tests', PROMETHEUS_BINARY ? [] : ['prometheus'], 'Debian: apt-get install prometheus');

const TOKEN = 'webhook-token-0123456789abcdef';
const NS = 'aiops';

/** Alerts that always fire in the test Prometheus: the incidents the executor may confirm. */
const FIRING = `groups:
  - name: fixed
    interval: 1s
    rules:
      - alert: PodCrashLooping
        expr: vector(1)
        labels: { action: restart-pod, namespace: ${NS}, pod: web-1, severity: critical }
      - alert: PodCrashLooping
        expr: vector(1)
        labels: { action: restart-pod, namespace: ${NS}, pod: guarded-1, severity: critical }
      - alert: PodCrashLooping
        expr: vector(1)
        labels: { action: restart-pod, namespace: ${NS}, pod: dry-1, severity: critical }
      - alert: HighResponseTime
        expr: vector(1)
        labels: { action: scale-out, service: ${NS}-rel-ai-engine-http@kubernetes, severity: warning }
      - alert: PostgreSQLTooManyConnections
        expr: vector(1)
        labels: { action: optimize-db, namespace: ${NS}, pod: rel-postgresql-0, severity: warning }
`;

let prometheus: TestServer;
let kube: FakeKubeApi;
/**
 * The AI engine's anomalies endpoint, as the engine answers it (shape: src/services/ai-engine/
 * service.ts, GET /api/v1/anomalies): a stand-in of our own service's contract, since the real
 * engine's anomalies come from live sources.
 */
let engineAnomalies: { id: string; kind: string; action: string; endsAt?: number }[] = [];
const engineRequests: string[] = [];
const engine = createServer((req, res) => {
  engineRequests.push(req.url ?? '');
  const url = new URL(req.url ?? '/', 'http://x');
  if (url.pathname !== '/ai/api/v1/anomalies') return void res.writeHead(404).end();
  const kind = url.searchParams.get('kind');
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ anomalies: engineAnomalies.filter((a) => !kind || a.kind === kind) }));
});
let dir: string;
const running: RunningService[] = [];

/** Starts an executor on ephemeral ports with `rules`, as pod `pod`. */
async function startExecutor(rules: RulesFile, pod: string, lines: Record<string, unknown>[] = []): Promise<RunningService> {
  const service = await startExecutorService({
    dir,
    rules,
    pod,
    namespace: NS,
    lease: `lease-${rules.dryRun ? 'dry' : 'live'}`,
    webhookToken: TOKEN,
    kube,
    prometheusUrl: prometheus.url,
    engineUrl: `http://127.0.0.1:${(engine.address() as AddressInfo).port}/ai`,
    lines,
  });
  running.push(service);
  return service;
}

async function status(service: RunningService): Promise<{ leader: boolean }> {
  return JSON.parse((await request(service.port, '/api/v1/status')).body) as { leader: boolean };
}

async function waitForLeader(service: RunningService): Promise<void> {
  // Generous: the first Lease round is immediate, but the whole suite runs beside this file.
  const deadline = Date.now() + 30_000;
  while (!(await status(service)).leader) {
    if (Date.now() > deadline) throw new Error(`the executor never took the Lease; API calls:\n${kube.calls().slice(-20).join('\n')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Waits until Prometheus has the fixed alerts firing. */
async function waitForAlerts(): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const res = await fetch(`${prometheus.url}/api/v1/query?query=${encodeURIComponent('count(ALERTS{alertstate="firing"})')}`);
    const body = (await res.json()) as { data: { result: { value: [number, string] }[] } };
    if (body.data.result[0]?.value[1] === '5') return;
    if (Date.now() > deadline) throw new Error(`the fixed alerts never fired:\n${prometheus.log()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

let fingerprints = 0;
function webhook(alerts: { status?: 'firing' | 'resolved'; labels: Record<string, string>; startsAt?: string; fingerprint?: string }[]) {
  return {
    version: '4',
    groupKey: '{}:{alertname="PodCrashLooping"}',
    truncatedAlerts: 0,
    status: 'firing',
    receiver: 'self-healing',
    groupLabels: {},
    commonLabels: {},
    commonAnnotations: {},
    externalURL: 'http://alertmanager',
    alerts: alerts.map((a) => ({
      status: a.status ?? 'firing',
      labels: a.labels,
      annotations: {},
      startsAt: a.startsAt ?? '2026-12-06T10:00:00Z',
      endsAt: '0001-01-01T00:00:00Z',
      generatorURL: 'http://prometheus/graph',
      fingerprint: a.fingerprint ?? (++fingerprints).toString(16).padStart(16, '0'),
    })),
  };
}

const crash = (pod: string, extra: { fingerprint?: string; status?: 'firing' | 'resolved' } = {}) => ({
  ...extra,
  labels: { alertname: 'PodCrashLooping', action: 'restart-pod', namespace: NS, pod, severity: 'critical' },
});

function post(service: RunningService, body: unknown, headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` }) {
  return request(service.port, '/api/v1/alerts', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
}

type Decision = { outcome: string; reason: string; rule: string; target?: { name: string } };
const decisionsOf = (body: string) => (JSON.parse(body) as { decisions: Decision[] }).decisions;

const pod = (name: string, labels: Record<string, string> = { 'app.kubernetes.io/name': 'web' }) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: NS, labels } });

describe.skipIf(!havePrometheus)('the executor service (real Prometheus, fake Kubernetes API)', { timeout: 60_000 }, () => {
  let live: RunningService;
  const lines: Record<string, unknown>[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'self-healing-service-'));
    prometheus = await startPrometheus({ config: 'global: { evaluation_interval: 1s }\nrule_files: [rules.yml]\n', rules: FIRING });
    await new Promise<void>((resolve) => engine.listen(0, '127.0.0.1', resolve));
    kube = await startFakeKubeApi();
    kube.seed({
      pods: [pod('web-1'), pod('web-2'), pod('guarded-1', { 'app.kubernetes.io/name': 'web', guarded: 'true' }), pod('dry-1'), pod('rel-self-healing-0', { 'app.kubernetes.io/name': 'self-healing' })],
      deployments: [{ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'rel-ai-engine', namespace: NS }, spec: { replicas: 2, selector: { matchLabels: { app: 'x' } }, template: {} } } as never],
      horizontalpodautoscalers: [
        {
          apiVersion: 'autoscaling/v2',
          kind: 'HorizontalPodAutoscaler',
          metadata: { name: 'rel-ai-engine', namespace: NS },
          spec: { minReplicas: 2, maxReplicas: 6, scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'rel-ai-engine' } },
          status: { currentReplicas: 2, desiredReplicas: 2 },
        },
      ],
    });
    kube.addDisruptionBudget({ name: 'guarded', namespace: NS, matchLabels: { guarded: 'true' } });
    live = await startExecutor(rulesFixture({ cooldown: '1s' }), 'rel-self-healing-0', lines);
    await Promise.all([waitForLeader(live), waitForAlerts()]);
  });

  afterAll(async () => {
    await Promise.all(running.splice(0).map((s) => s.shutdown('test done')));
    await kube?.close();
    await new Promise((r) => engine.close(r));
    await prometheus?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('refuses webhooks without the bearer token (401), before reading the body', async () => {
    for (const headers of [{}, { authorization: 'Bearer wrong-token-0123456789' }, { authorization: `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}` }, { authorization: `Bearer ${TOKEN}x` }, { authorization: `Bearer${TOKEN}` }, { authorization: TOKEN }, { authorization: `Bearer ${TOKEN.slice(0, -1)}` }] as Record<string, string>[]) {
      const res = await post(live, webhook([crash('web-1')]), headers);
      expect(res.status, JSON.stringify(headers)).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Bearer realm="self-healing"');
      expect(res.body).not.toContain(TOKEN);
    }
    expect(actionRequests(kube).filter((r) => r.path.endsWith('/eviction'))).toEqual([]);
  });

  it('answers 400 with the first problem of a malformed body, 413 above 1 MiB', async () => {
    const cases: [unknown, string][] = [
      ['{not json', 'request body is not valid JSON'],
      [{ ...webhook([]), version: '3' }, 'version: expected "4"'],
      [{ ...webhook([crash('web-1')]), alerts: [{ ...webhook([crash('web-1')]).alerts[0], fingerprint: undefined }] }, 'alerts.0.fingerprint: required'],
      [{ ...webhook([crash('web-1')]), alerts: [{ ...webhook([crash('web-1')]).alerts[0], status: 'pending' }] }, 'alerts.0.status: expected one of "firing", "resolved"'],
      [{ ...webhook([crash('web-1')]), alerts: [{ ...webhook([crash('web-1')]).alerts[0], labels: { action: 'restart-pod' } }] }, 'alerts.0.labels: expected an alertname label'],
    ];
    for (const [body, problem] of cases) {
      const res = await post(live, body);
      expect(res.status).toBe(400);
      expect(JSON.parse(res.body).error).toBe(problem);
    }
    const huge = JSON.stringify({ ...webhook([crash('web-1')]), padding: 'x'.repeat(1024 * 1024) });
    expect((await post(live, huge)).status).toBe(413);
  });

  it('evicts a confirmed crash-looping pod once per incident, with an Event; the duplicate and the resolve do nothing', async () => {
    kube.clearRequests();
    const incident = crash('web-1', { fingerprint: 'a1a1a1a1a1a1a1a1' });
    const res = await post(live, webhook([incident]));
    expect(res.status).toBe(200);
    expect(decisionsOf(res.body)).toMatchObject([{ outcome: 'acted', rule: 'restart-abnormal-pods', target: { name: 'web-1' } }]);
    const eviction = kube.mutations().find((r) => r.path.endsWith('/eviction'))!;
    expect(eviction).toMatchObject({
      method: 'POST',
      path: `/api/v1/namespaces/${NS}/pods/web-1/eviction`,
      contentType: 'application/json',
      authorization: `Bearer ${kube.clientOptions().token}`,
      body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'web-1', namespace: NS } },
    });
    expect(kube.get('pods', NS, 'web-1')).toBeUndefined();
    await expect.poll(() => kube.list('events', NS).map((e) => (e as { reason?: string }).reason)).toContain('SelfHealingActed');

    for (const again of [incident, { ...incident, status: 'resolved' as const }]) {
      const second = decisionsOf((await post(live, webhook([again]))).body)[0]!;
      expect(second.outcome).toBe('skipped');
    }
    expect(actionRequests(kube).filter((r) => r.path.endsWith('/eviction'))).toHaveLength(1);
  });

  it('does not act on a forged alert that Prometheus does not have firing', async () => {
    kube.clearRequests();
    const res = await post(live, webhook([crash('web-2')]));
    expect(decisionsOf(res.body)).toMatchObject([{ outcome: 'not-confirmed' }]);
    expect(decisionsOf(res.body)[0]!.reason).toBe(`Prometheus has no firing ALERTS{action="restart-pod", alertname="PodCrashLooping", alertstate="firing", namespace="${NS}", pod="web-2"}`);
    expect(actionRequests(kube)).toEqual([]);
    expect(kube.get('pods', NS, 'web-2')).toBeDefined();
  });

  it('reports an eviction a PodDisruptionBudget refuses (429) as blocked, not failed', async () => {
    const res = await post(live, webhook([crash('guarded-1')]));
    expect(decisionsOf(res.body)).toMatchObject([{ outcome: 'blocked' }]);
    expect(kube.get('pods', NS, 'guarded-1')).toBeDefined();
  });

  it('raises the HPA minReplicas of an HPA-owned workload (merge patch) instead of scaling it', async () => {
    kube.clearRequests();
    const res = await post(live, webhook([{ labels: { alertname: 'HighResponseTime', action: 'scale-out', service: `${NS}-rel-ai-engine-http@kubernetes`, severity: 'warning' } }]));
    expect(decisionsOf(res.body)).toMatchObject([{ outcome: 'acted', rule: 'scale-out-high-load' }]);
    expect(actionRequests(kube)).toMatchObject([
      {
        method: 'PATCH',
        path: `/apis/autoscaling/v2/namespaces/${NS}/horizontalpodautoscalers/rel-ai-engine`,
        contentType: 'application/merge-patch+json',
        body: { spec: { minReplicas: 3 } },
      },
    ]);
    expect(kube.mutations().some((r) => r.path.endsWith('/scale'))).toBe(false);
  });

  it('creates the Job of optimize-db from the embedded manifest, and none while one of its Jobs is active', async () => {
    kube.clearRequests();
    const alert = { labels: { alertname: 'PostgreSQLTooManyConnections', action: 'optimize-db', namespace: NS, pod: 'rel-postgresql-0', severity: 'warning' } };
    const res = await post(live, webhook([alert]));
    expect(decisionsOf(res.body)).toMatchObject([{ outcome: 'acted', rule: 'optimize-database-queries' }]);
    const [list, create] = kube.requests.filter((r) => r.path.endsWith('/jobs'));
    expect(list).toMatchObject({ method: 'GET', query: { labelSelector: 'app.kubernetes.io/name=postgresql-maintenance' } });
    const job = rulesFixture().rules.find((r) => r.name === 'optimize-database-queries')!.action as { job: unknown };
    expect(create).toMatchObject({ method: 'POST', path: `/apis/batch/v1/namespaces/${NS}/jobs`, contentType: 'application/json', body: job.job });
    const created = kube.list('jobs', NS);
    expect(created).toHaveLength(1);
    expect((created[0] as { metadata: { name: string } }).metadata.name).toMatch(/^rel-postgresql-maintenance-[a-z0-9]{5}$/);
    // The Job runs (no completion yet): a new incident after the cooldown is skipped, not a second Job.
    await new Promise((r) => setTimeout(r, 1100));
    const again = decisionsOf((await post(live, webhook([alert]))).body)[0]!;
    expect(again).toMatchObject({ outcome: 'skipped' });
    expect(again.reason).toMatch(/^Job rel-postgresql-maintenance-[a-z0-9]{5} is still running$/);
    expect(kube.list('jobs', NS)).toHaveLength(1);
  });

  it("confirms the AI engine's own alerts by its active anomalies, not by Prometheus; a forged one changes nothing", async () => {
    const engineAlert = (anomaly: string) => ({
      labels: { alertname: 'ConnectionsExhaustionPredicted', action: 'optimize-db', source: 'metrics', anomaly, namespace: NS, severity: 'warning', component: 'postgresql' },
    });
    engineAnomalies = [{ id: 'metrics:pg-connections/aiops', kind: 'ConnectionsExhaustionPredicted', action: 'optimize-db' }];
    kube.clearRequests();
    const forged = decisionsOf((await post(live, webhook([engineAlert('metrics:made-up')]))).body)[0]!;
    expect(forged).toMatchObject({ outcome: 'not-confirmed', reason: 'the AI engine has no active ConnectionsExhaustionPredicted anomaly "metrics:made-up"' });
    expect(actionRequests(kube)).toEqual([]);
    const ended = { ...engineAnomalies[0]!, endsAt: Date.now() };
    engineAnomalies = [ended];
    expect(decisionsOf((await post(live, webhook([engineAlert(ended.id)]))).body)[0]!.outcome).toBe('not-confirmed');
    engineAnomalies = [{ id: ended.id, kind: ended.kind, action: ended.action }];
    const real = decisionsOf((await post(live, webhook([engineAlert(ended.id)]))).body)[0]!;
    // Confirmed: the optimize-db rule runs (here it finds its Job of the previous test still running).
    expect(real.outcome).not.toBe('not-confirmed');
    expect(real.rule).toBe('optimize-database-queries');
    expect(engineRequests.at(-1)).toBe('/ai/api/v1/anomalies?active=true&kind=ConnectionsExhaustionPredicted&limit=1000');
  });

  it('lists its decisions newest first and counts them in its metrics', async () => {
    const actions = JSON.parse((await request(live.port, '/api/v1/actions?limit=3')).body) as { source: string; actions: { outcome: string; at: string; rule: string }[] };
    expect(actions.source).toBe('memory');
    expect(actions.actions).toHaveLength(3);
    expect(actions.actions[0]!.rule).toBe('optimize-database-queries'); // the engine's alert, the last decision
    expect((await request(live.port, '/api/v1/actions?limit=0')).status).toBe(400);
    const metrics = await (await fetch(`http://127.0.0.1:${live.metricsPort}/metrics`)).text();
    expect(metrics).toMatch(/aiops_self_healing_decisions_total\{rule="restart-abnormal-pods",outcome="acted",service="self-healing"\} 1/);
    expect(metrics).toMatch(/aiops_self_healing_decisions_total\{rule="restart-abnormal-pods",outcome="not-confirmed",service="self-healing"\} 1/);
    expect(metrics).toMatch(/aiops_self_healing_leader\{service="self-healing"\} 1/);
    expect(lines.some((l) => l['msg'] === 'self-healing acted: evicted the pod (its controller recreates it)')).toBe(true);
  });

  it('a second replica does not hold the Lease: it answers webhooks with 503 and acts on nothing', async () => {
    const standby = await startExecutor(rulesFixture({ cooldown: '1s' }), 'rel-self-healing-1');
    await new Promise((r) => setTimeout(r, 300));
    expect((await status(standby)).leader).toBe(false);
    const res = await post(standby, webhook([crash('web-1')]));
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('5');
  });

  it('in dry run, calls the API with dryRun=All and changes nothing', async () => {
    const dry = await startExecutor(rulesFixture({ dryRun: true }), 'rel-self-healing-dry');
    await waitForLeader(dry);
    kube.clearRequests();
    const res = await post(dry, webhook([crash('dry-1')]));
    expect(decisionsOf(res.body)).toMatchObject([{ outcome: 'dry-run' }]);
    expect(decisionsOf(res.body)[0]!.reason).toBe('dry run: would have evicted the pod (its controller recreates it)');
    const eviction = kube.mutations().find((r) => r.path.endsWith('/eviction'))!;
    expect(eviction.query).toMatchObject({ dryRun: 'All' });
    expect(kube.get('pods', NS, 'dry-1')).toBeDefined();
  });
});
