/**
 * The closed loop on real binaries: a fake exporter on 127.0.0.1 shows a fault; Debian's
 * Prometheus evaluates the RENDERED alert rules; Debian's Alertmanager routes with the RENDERED
 * alertmanager.yml (the executor's bearer token file included) to the executor, which runs as its
 * BUNDLE (`node build/services/self-healing.js`) with the RENDERED rules file and acts on the
 * recording fake Kubernetes API server. The exporter then shows the target healthy, the alert
 * resolves, and no second action happens. Printed: the time from fault to action.
 *
 * Made fast without changing what is tested: alerting.for 1s, Alertmanager's group wait/interval
 * 1s/2s, a 3s cooldown (values); Prometheus scrapes and evaluates every second; the rule file's
 * range windows are shortened (5m → 10s, 15m → 20s) after rendering, which keeps every
 * expression as rendered but lets an alert resolve within seconds.
 *
 * Adaptations to the loopback setup: the exporter's series carry the labels the cluster's
 * relabeling would give (honor_labels), the webhook URL points at the executor's loopback port and
 * the token file at a temp file, Alertmanager 0.25 (Debian) instead of the pinned 0.28.
 *
 * Needs prometheus and prometheus-alertmanager (Debian); skipped with a warning locally when
 * missing, fails in CI.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { ensureServiceBundles } from '../../src/cli/service-bundles.js';
import type { AlertmanagerConfig } from '../../src/components/monitoring/alertmanager-config.js';
import { actionRequests, startFakeKubeApi, type FakeKubeApi, type KubeWrite } from '../support/fake-kube-api.js';
import { freePort } from '../support/postgresql-server.js';
import { toolsPresent } from '../support/process.js';
import { ALERTMANAGER_BINARY, PROMETHEUS_BINARY, startAlertmanager, startPrometheus, type TestServer } from '../support/prom-servers.js';
import { find, ofKind, renderYaml } from '../support/render.js';

const haveServers = toolsPresent(
  'the self-healing closed-loop tests',
  [...(PROMETHEUS_BINARY ? [] : ['prometheus']), ...(ALERTMANAGER_BINARY ? [] : ['prometheus-alertmanager'])],
  'Debian: apt-get install prometheus prometheus-alertmanager',
);

const NS = 'aiops-platform';
const EXECUTOR = 'aiops-platform-self-healing';
const GATEWAY = 'aiops-platform-api-gateway';
const CRASHING_POD = `${GATEWAY}-5d8f7c-abcde`;
const GATEWAY_SERVICE = `${NS}-${GATEWAY}-http@kubernetes`;
const TOKEN = 'loop-test-token-0123456789abcdef';

const render = renderYaml(
  [
    'alerting: {for: 1s}',
    'alertmanager: {route: {groupWait: 1s, groupInterval: 2s, repeatInterval: 1h}}',
    `selfHealing: {dryRun: false, webhookToken: ${TOKEN}, limits: {cooldown: 3s}}`,
    '',
  ].join('\n'),
);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The rendered rule file with its range windows shortened (see the file comment). */
function ruleFile(): string {
  const text: string = ofKind(render.objects, 'ConfigMap').find((c) => c.data?.['aiops-platform.rules.yml']).data['aiops-platform.rules.yml'];
  expect(text).toContain('[5m]');
  return text.replaceAll('[5m]', '[10s]').replaceAll('[15m]', '[20s]');
}

/** The rendered alertmanager.yml with the executor's URL and token file on loopback. */
function alertmanagerYml(executorPort: number, tokenFile: string): string {
  const cm = ofKind(render.objects, 'ConfigMap').find((c) => c.data?.['alertmanager.yml']);
  const config = parse(cm.data['alertmanager.yml']) as AlertmanagerConfig;
  const receiver = config.receivers.find((r) => r.name === 'self-healing')!;
  const hook = receiver.webhook_configs![0]! as { url?: string; http_config?: { authorization?: { credentials_file?: string } } };
  expect(hook.url).toBe(`http://${EXECUTOR}.${NS}.svc.cluster.local:8080/api/v1/alerts`);
  expect(hook.http_config?.authorization?.credentials_file).toBeDefined();
  hook.url = `http://127.0.0.1:${executorPort}/api/v1/alerts`;
  hook.http_config!.authorization!.credentials_file = tokenFile;
  return stringify(config);
}

/**
 * A fake exporter: kube-state-metrics' crash-loop series for the faulty pod while it exists, and
 * Traefik's request counters and latency histogram for the gateway's service, slow or fast.
 */
class FakeExporter {
  crashing = new Set<string>();
  slow = false;
  private requests = 0;
  private readonly buckets = [0.1, 0.5, 1, 5, 10];
  private readonly counts = new Map<string, number>();
  private last = Date.now();
  server: Server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    res.end(this.exposition());
  });

  private exposition(): string {
    // 20 requests per second since the last scrape, each taking 7 s (slow) or 50 ms (fast).
    const now = Date.now();
    const n = Math.round(((now - this.last) / 1000) * 20);
    this.last = now;
    this.requests += n;
    const took = this.slow ? 7 : 0.05;
    for (const le of [...this.buckets.map(String), '+Inf']) {
      if (le === '+Inf' || took <= Number(le)) this.counts.set(le, (this.counts.get(le) ?? 0) + n);
    }
    const svc = `namespace="${NS}",service="${GATEWAY_SERVICE}"`;
    const lines = [
      `traefik_service_requests_total{${svc},code="200",method="GET",protocol="http"} ${this.requests}`,
      ...[...this.buckets.map(String), '+Inf'].map((le) => `traefik_service_request_duration_seconds_bucket{${svc},code="200",method="GET",protocol="http",le="${le}"} ${this.counts.get(le) ?? 0}`),
      `traefik_service_request_duration_seconds_count{${svc},code="200",method="GET",protocol="http"} ${this.requests}`,
      `traefik_service_request_duration_seconds_sum{${svc},code="200",method="GET",protocol="http"} ${this.requests * took}`,
      ...[...this.crashing].flatMap((pod) => [
        `kube_pod_container_status_waiting_reason{namespace="${NS}",pod="${pod}",container="api-gateway",reason="CrashLoopBackOff"} 1`,
        `kube_pod_container_status_restarts_total{namespace="${NS}",pod="${pod}",container="api-gateway"} 6`,
      ]),
    ];
    return `${lines.join('\n')}\n`;
  }
}

let dir: string;
let kube: FakeKubeApi;
let prometheus: TestServer;
let alertmanager: TestServer;
let executor: ChildProcess | undefined;
let executorPort: number;
let executorLog = '';
let metricsPort: number;
let promUrl: string;
const exporter = new FakeExporter();

/** Runs the bundle on plain node as the executor pod, on the fixed loopback ports Alertmanager posts to. */
function startExecutor(file: string, rulesFile: string): void {
  executor = spawn(process.execPath, [file], {
    env: {
      PATH: process.env.PATH,
      PORT: String(executorPort),
      METRICS_PORT: String(metricsPort),
      LOG_LEVEL: 'info',
      POD_NAME: `${EXECUTOR}-7f9c-x1y2z`,
      POD_NAMESPACE: NS,
      RULES_FILE: rulesFile,
      WEBHOOK_TOKEN: TOKEN,
      LEASE_NAME: EXECUTOR,
      PROMETHEUS_URL: promUrl,
      KUBERNETES_API_URL: kube.url,
      KUBERNETES_TOKEN_FILE: join(dir, 'sa-token'),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const keep = (d: Buffer) => (executorLog = (executorLog + d.toString()).slice(-50_000));
  executor.stdout!.on('data', keep);
  executor.stderr!.on('data', keep);
}

async function stopExecutor(): Promise<void> {
  if (!executor || executor.exitCode !== null) return;
  const exited = new Promise((r) => executor!.once('exit', r));
  executor.kill('SIGTERM');
  await Promise.race([exited, sleep(10_000)]);
  if (executor.exitCode === null) executor.kill('SIGKILL');
}

async function executorReady(): Promise<void> {
  await until('the executor is ready and holds the Lease', async () => {
    const status = await fetch(`http://127.0.0.1:${executorPort}/api/v1/status`).then((r) => r.json() as Promise<{ leader: boolean }>, () => undefined);
    const ready = await fetch(`http://127.0.0.1:${executorPort}/healthz/ready`).then((r) => r.ok, () => false);
    return Boolean(status?.leader && ready);
  }, 20_000);
}

async function decisions(): Promise<{ outcome: string; rule: string; reason: string; action: string; target: { name: string } }[]> {
  const res = await fetch(`http://127.0.0.1:${executorPort}/api/v1/actions?limit=1000`);
  return ((await res.json()) as { actions: never[] }).actions;
}

/** Resolves with the first write `match` accepts (and when it was seen), or throws after `ms`. */
function waitForWrite(match: (w: KubeWrite) => boolean, ms: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no matching API write within ${ms} ms; requests:\n${kube.calls().join('\n')}\nexecutor:\n${executorLog.slice(-4000)}\nalertmanager:\n${alertmanager.log()}`));
    }, ms);
    const off = kube.onWrite((w) => {
      if (!match(w)) return;
      clearTimeout(timer);
      off();
      resolve(Date.now());
    });
  });
}

async function until(what: string, check: () => Promise<boolean>, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms\nexecutor:\n${executorLog.slice(-4000)}`);
    await sleep(250);
  }
}

/** Alertmanager's alerts by name (active or not). */
async function amAlerts(name: string): Promise<unknown[]> {
  const res = await fetch(`${alertmanager.url}/api/v2/alerts?filter=${encodeURIComponent(`alertname="${name}"`)}`);
  return (await res.json()) as unknown[];
}

describe.skipIf(!haveServers)('self-healing closed loop (real Prometheus and Alertmanager, bundled executor, fake Kubernetes API)', { timeout: 120_000 }, () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'self-healing-loop-'));
    const bundle = ensureServiceBundles().find((b) => b.name === 'self-healing')!;

    await new Promise<void>((resolve) => exporter.server.listen(0, '127.0.0.1', resolve));
    const exporterPort = (exporter.server.address() as AddressInfo).port;
    kube = await startFakeKubeApi();
    kube.seed({
      pods: [{ apiVersion: 'v1', kind: 'Pod', metadata: { name: CRASHING_POD, namespace: NS, labels: { 'app.kubernetes.io/name': 'api-gateway' } } }],
      deployments: [{ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: GATEWAY, namespace: NS }, spec: { replicas: 1, selector: { matchLabels: { app: 'x' } }, template: {} } } as never],
    });
    const promPort = await freePort();
    executorPort = await freePort();

    // The executor: the bundle on plain node, with the rendered rules file.
    writeFileSync(join(dir, 'rules.json'), find(render.objects, 'ConfigMap', EXECUTOR).data['rules.json']);
    writeFileSync(join(dir, 'sa-token'), kube.clientOptions().token);
    metricsPort = await freePort();
    promUrl = `http://127.0.0.1:${promPort}/prometheus`;
    startExecutor(bundle.file, join(dir, 'rules.json'));

    writeFileSync(join(dir, 'webhook-token'), `${TOKEN}\n`);
    alertmanager = await startAlertmanager({ config: alertmanagerYml(executorPort, join(dir, 'webhook-token')) });
    prometheus = await startPrometheus({
      port: promPort,
      routePrefix: '/prometheus',
      rules: ruleFile(),
      config: stringify({
        global: { scrape_interval: '1s', evaluation_interval: '1s' },
        rule_files: ['rules.yml'],
        alerting: { alertmanagers: [{ static_configs: [{ targets: [`127.0.0.1:${alertmanager.port}`] }] }] },
        scrape_configs: [{ job_name: 'fake-exporter', honor_labels: true, static_configs: [{ targets: [`127.0.0.1:${exporterPort}`] }] }],
      }),
    });
    await executorReady();
  });

  afterAll(async () => {
    await stopExecutor();
    await prometheus?.stop();
    await alertmanager?.stop();
    await kube?.close();
    await new Promise((r) => exporter.server.close(r));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('evicts a crash-looping pod once: fault → Prometheus → Alertmanager → executor → Eviction API; resolved, nothing more', async () => {
    const fault = Date.now();
    exporter.crashing.add(CRASHING_POD);
    const evicted = await waitForWrite((w) => w.verb === 'evict' && w.name === CRASHING_POD, 60_000);
    console.log(`self-healing loop: fault to eviction ${((evicted - fault) / 1000).toFixed(1)} s`);
    // The controller's replacement is healthy: the faulty pod's series are gone.
    exporter.crashing.delete(CRASHING_POD);
    await until('PodCrashLooping resolved in Alertmanager and told to the executor', async () => (await decisions()).some((d) => d.rule === 'restart-abnormal-pods' && d.reason.startsWith('alert resolved')), 60_000);
    const evictions = kube.requests.filter((r) => r.path.endsWith('/eviction'));
    expect(evictions.map((r) => r.path)).toEqual([`/api/v1/namespaces/${NS}/pods/${CRASHING_POD}/eviction`]);
    const mine = (await decisions()).filter((d) => d.rule === 'restart-abnormal-pods');
    expect(mine.filter((d) => d.outcome === 'acted')).toHaveLength(1);
    expect(mine.every((d) => ['acted', 'skipped'].includes(d.outcome))).toBe(true);
    expect(kube.list('events', NS).some((e) => (e as { reason?: string }).reason === 'SelfHealingActed')).toBe(true);
  });

  it('scales out a slow service once and back after the alert resolved and the cooldown passed', async () => {
    const fault = Date.now();
    exporter.slow = true;
    const scaled = await waitForWrite((w) => w.verb === 'scale' && w.name === GATEWAY, 60_000);
    console.log(`self-healing loop: slow responses to scale-out ${((scaled - fault) / 1000).toFixed(1)} s`);
    expect((kube.get('deployments', NS, GATEWAY) as unknown as { spec: { replicas: number } }).spec.replicas).toBe(2);
    exporter.slow = false;
    await waitForWrite((w) => w.verb === 'scale' && w.name === GATEWAY, 60_000);
    expect((kube.get('deployments', NS, GATEWAY) as unknown as { spec: { replicas: number } }).spec.replicas).toBe(1);
    const patches = kube.requests.filter((r) => r.method === 'PATCH' && r.path.endsWith(`/deployments/${GATEWAY}/scale`));
    expect(patches.map((r) => [r.contentType, r.body])).toEqual([
      ['application/merge-patch+json', { spec: { replicas: 2 } }],
      ['application/merge-patch+json', { spec: { replicas: 1 } }],
    ]);
    expect(await amAlerts('HighResponseTime')).toEqual([]);
    // Its Event is written after the answer: wait for it, so later tests see no stray write.
    await until('the scale-back Event', async () => kube.list('events', NS).some((e) => (e as { message?: string }).message?.includes('back to 1 replicas')), 10_000);
  });

  it('does not act on a forged webhook (valid token, alert Prometheus does not have firing)', async () => {
    kube.clearRequests();
    const forged = {
      version: '4',
      groupKey: 'forged',
      status: 'firing',
      receiver: 'self-healing',
      alerts: [
        {
          status: 'firing',
          labels: { alertname: 'PodCrashLooping', action: 'restart-pod', namespace: NS, pod: `${GATEWAY}-5d8f7c-zzzzz`, severity: 'critical' },
          startsAt: new Date().toISOString(),
          fingerprint: 'f0f0f0f0f0f0f0f0',
        },
      ],
    };
    const res = await fetch(`http://127.0.0.1:${executorPort}/api/v1/alerts`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(forged) });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { decisions: { outcome: string }[] }).decisions.map((d) => d.outcome)).toEqual(['not-confirmed']);
    await sleep(300);
    expect(actionRequests(kube)).toEqual([]);
  });

  it('in dry run (the executor restarted with the rules of selfHealing.dryRun: true) only calls the API with dryRun=All', async () => {
    await stopExecutor();
    const dryRender = renderYaml(`alerting: {for: 1s}\nselfHealing: {dryRun: true, webhookToken: ${TOKEN}, limits: {cooldown: 3s}}\n`);
    writeFileSync(join(dir, 'dry-rules.json'), find(dryRender.objects, 'ConfigMap', EXECUTOR).data['rules.json']);
    startExecutor(ensureServiceBundles().find((b) => b.name === 'self-healing')!.file, join(dir, 'dry-rules.json'));
    await executorReady();
    const pod = `${GATEWAY}-5d8f7c-fghij`;
    kube.seed({ pods: [{ apiVersion: 'v1', kind: 'Pod', metadata: { name: pod, namespace: NS, labels: { 'app.kubernetes.io/name': 'api-gateway' } } }] });
    kube.clearRequests();
    exporter.crashing.add(pod);
    await until('the dry-run eviction', async () => kube.requests.some((r) => r.path.endsWith(`/pods/${pod}/eviction`)), 60_000);
    exporter.crashing.delete(pod);
    const evictions = kube.requests.filter((r) => r.path.endsWith('/eviction'));
    expect(evictions.map((r) => r.query['dryRun'])).toEqual(['All']);
    expect(kube.get('pods', NS, pod)).toBeDefined();
    expect(kube.writes.filter((w) => w.verb === 'evict' && w.name === pod)).toEqual([]);
    expect((await decisions()).find((d) => d.target.name === pod)).toMatchObject({ outcome: 'dry-run' });
  });
});
