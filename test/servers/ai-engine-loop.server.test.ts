/**
 * The AI engine's metrics pipeline on real servers: a fake Traefik exporter on 127.0.0.1 serves
 * calm latency, Debian's Prometheus scrapes it every second, the engine (in-process, startService)
 * reads its default `http-latency-p95` series with `query_range`; then every request becomes slow
 * (50 ms → 7 s), the engine detects it and the alert `AnomalyDetected` arrives at Debian's
 * Alertmanager (read back from its /api/v2/alerts). When the latency is back to normal the alert
 * is resolved. Printed: the detection latency (from the change to the alert in Alertmanager).
 *
 * Made fast without changing the detector: Prometheus cannot take history by scraping, so 10
 * minutes of calm history (one sample a second, the p95 wandering between 0.1 and 0.23 s) are
 * backfilled into its TSDB with `promtool tsdb create-blocks-from openmetrics` before it starts,
 * and the exporter goes on from there. The series runs with a 1 s step, a 3 s rate window (the
 * default's `[5m]` replaced, as the self-healing loop test shortens the rule windows) and a 300 s
 * history window; the detector, persistence and hysteresis keep every default (60 points of
 * warm-up, 3 of 5 points to open, 5 calm points to close). Alerts are re-sent every 2 s.
 * (A short history does not work: with fewer than ~100 residuals the detector's 98th-percentile
 * "usual extreme" is the first anomalous point itself, and the following ones score 0.5.)
 *
 * Needs prometheus and prometheus-alertmanager (Debian); skipped with a warning locally when
 * missing, fails in CI.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_ENGINE_SERIES, type EngineSeries } from '../../src/core/ai-engine-series.js';
import { createAiEngineService } from '../../src/services/ai-engine/service.js';
import { startService, type RunningService } from '../../src/services/kit/run.js';
import { toolsPresent } from '../support/process.js';
import { ALERTMANAGER_BINARY, PROMETHEUS_BINARY, startAlertmanager, startPrometheus, type TestServer } from '../support/prom-servers.js';

const haveServers = toolsPresent(
  'the AI engine loop tests',
  [...(PROMETHEUS_BINARY ? [] : ['prometheus']), ...(ALERTMANAGER_BINARY ? [] : ['prometheus-alertmanager'])],
  'Debian: apt-get install prometheus prometheus-alertmanager',
);

const NS = 'aiops-platform';
const SERVICE = `${NS}-shop-web-http@kubernetes`;
/** Calm history backfilled before Prometheus starts, seconds. */
const HISTORY_SECONDS = 600;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The default p95 latency series, shortened for the test (see the file comment). */
const latency: EngineSeries = (() => {
  const s = DEFAULT_ENGINE_SERIES.find((d) => d.id === 'http-latency-p95')!;
  expect(s.query).toContain('[5m]');
  return { ...s, query: s.query.replaceAll('[5m]', '[3s]'), stepSeconds: 1, windowSeconds: 300 };
})();

/**
 * Traefik's request histogram of one service: 20 requests per second, 1 to 3 of them (pseudo-random,
 * seeded) taking 200 ms and the others 50 ms, so that the p95 wanders between 0.1 and 0.23 s; or,
 * when `slow`, every request taking 7 s. The same generator writes the backfilled history.
 */
class FakeTraefik {
  slow = false;
  /** Times (ms) of the scrapes so far. */
  readonly scrapes: number[] = [];
  private seed = 42;
  private requests = 0;
  private seconds = 0;
  private readonly buckets = ['0.1', '0.3', '1.2', '5', '10', '+Inf'];
  private readonly counts = new Map<string, number>(this.buckets.map((le) => [le, 0]));
  private last = 0;
  private labels = '';
  readonly server: Server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    this.scrapes.push(Date.now());
    res.end(this.exposition(Date.now()));
  });

  /** The series' labels as the scrape gives them (job and instance included, so history and live data are one series). */
  setTarget(instance: string): void {
    this.labels = `job="traefik",instance="${instance}",namespace="${NS}",service="${SERVICE}",code="200",method="GET",protocol="http"`;
  }

  /** Requests of the whole seconds from the last call up to `now` (ms). */
  private advance(now: number): void {
    for (; this.last + 1000 <= now; this.last += 1000) {
      this.seed = (this.seed * 1103515245 + 12345) % 2147483648;
      const medium = this.slow ? 0 : 1 + (this.seed % 3);
      const fast = this.slow ? 0 : 20 - medium;
      this.requests += 20;
      this.seconds += this.slow ? 140 : fast * 0.05 + medium * 0.2;
      for (const le of this.buckets) {
        const n = le === '+Inf' || Number(le) >= 7 ? 20 : Number(le) >= 0.2 ? fast + medium : fast;
        this.counts.set(le, this.counts.get(le)! + (this.slow ? (le === '10' || le === '+Inf' ? 20 : 0) : n));
      }
    }
  }

  private lines(suffix = ''): string[] {
    return [
      `traefik_service_requests_total{${this.labels}} ${this.requests}${suffix}`,
      ...this.buckets.map((le) => `traefik_service_request_duration_seconds_bucket{${this.labels},le="${le}"} ${this.counts.get(le)}${suffix}`),
      `traefik_service_request_duration_seconds_count{${this.labels}} ${this.requests}${suffix}`,
      `traefik_service_request_duration_seconds_sum{${this.labels}} ${this.seconds}${suffix}`,
    ];
  }

  /** OpenMetrics history (one sample a second) from `from` to `to` (ms), for promtool. */
  history(from: number, to: number): string {
    this.last = from;
    const out: string[] = [];
    for (let t = from + 1000; t <= to; t += 1000) {
      this.advance(t);
      out.push(...this.lines(` ${t / 1000}`));
    }
    return `${out.join('\n')}\n# EOF\n`;
  }

  private exposition(now: number): string {
    this.advance(now);
    return `${this.lines().join('\n')}\n`;
  }
}

interface AmAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  status: { state: string };
  endsAt: string;
}

let prometheus: TestServer;
let alertmanager: TestServer;
let engine: RunningService;
let logs = '';
const exporter = new FakeTraefik();

async function until<T>(what: string, check: () => Promise<T | undefined>, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const found = await check();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms\nseries:\n${await seriesText()}\nengine:\n${logs.split('\n').filter((l) => !l.includes('"request"')).join('\n').slice(-4000)}\nalertmanager:\n${alertmanager.log()}`);
    await sleep(100);
  }
}

/** Alertmanager's alerts named AnomalyDetected (active ones: resolved alerts are not listed). */
async function amAlerts(): Promise<AmAlert[]> {
  const res = await fetch(`${alertmanager.url}/api/v2/alerts`);
  return ((await res.json()) as AmAlert[]).filter((a) => a.labels['alertname'] === 'AnomalyDetected');
}

/** The latency series' last points, for failure messages. */
async function seriesText(): Promise<string> {
  const body = await fetch(engineUrl(`/api/v1/series?id=${latency.id}`)).then((r) => r.text(), (e: unknown) => String(e));
  return body.slice(-3000);
}

const engineUrl = (path: string) => `http://127.0.0.1:${engine.port}/ai${path}`;

describe.skipIf(!haveServers)('AI engine loop (real Prometheus and Alertmanager, fake Traefik exporter)', { timeout: 90_000 }, () => {
  beforeAll(async () => {
    await new Promise<void>((r) => exporter.server.listen(0, '127.0.0.1', r));
    const exporterPort = (exporter.server.address() as AddressInfo).port;
    exporter.setTarget(`127.0.0.1:${exporterPort}`);
    const now = Date.now();
    prometheus = await startPrometheus({
      backfill: exporter.history(now - HISTORY_SECONDS * 1000, now),
      config: [
        'global: {scrape_interval: 1s, evaluation_interval: 1s}',
        'scrape_configs:',
        '  - job_name: traefik',
        '    honor_labels: true',
        `    static_configs: [{targets: ["127.0.0.1:${exporterPort}"]}]`,
        '',
      ].join('\n'),
      routePrefix: '/prometheus',
    });
    alertmanager = await startAlertmanager({ config: 'route: {receiver: "null"}\nreceivers: [{name: "null"}]\n' });
    engine = await startService(createAiEngineService({ series: [latency], tickMs: 200, resendMs: 2000 }), {
      env: { BASE_PATH: '/ai', LOG_LEVEL: 'info', POD_NAMESPACE: NS, PROMETHEUS_URL: prometheus.url, ALERTMANAGER_URL: alertmanager.url, SHUTDOWN_DELAY_SECONDS: '0' },
      ephemeralPorts: true,
      host: '127.0.0.1',
      logDestination: { write: (line: string) => void (logs = (logs + line).slice(-50_000)) },
    });
  });

  afterAll(async () => {
    await engine?.shutdown('test done');
    await prometheus?.stop();
    await alertmanager?.stop();
    await new Promise((r) => exporter.server.close(r));
  });

  it('is ready once Prometheus answers', async () => {
    const res = await fetch(engineUrl('/healthz/ready'));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ checks: ['hot-state', 'prometheus'] });
  });

  it('detects a latency spike after a calm history and alerts Alertmanager; resolves it when calm again', async () => {
    // Calm history: enough scored points for the (shortened) warm-up.
    const calm = await until(
      'calm history of the latency series',
      async () => {
        const body = (await (await fetch(engineUrl(`/api/v1/series?id=${latency.id}`))).json()) as { labelSets: { labels: Record<string, string>; points: { t: number; value: number | null; score?: number }[] }[] };
        const set = body.labelSets.find((s) => s.labels['service'] === SERVICE);
        // The backfilled history, and scored points of live scrapes on top (Prometheus' first scrape
        // comes a few seconds after it is ready: target discovery updates every 5 s).
        const live = exporter.scrapes[4];
        return set && set.points.length >= 250 && live !== undefined && set.points.filter((p) => p.t > live).length >= 2 ? set : undefined;
      },
      40_000,
    );
    const values = calm.points.map((p) => p.value!).filter((v) => v !== null);
    expect(Math.min(...values)).toBeGreaterThanOrEqual(0.1);
    expect(Math.max(...values)).toBeLessThan(0.25);
    expect(await amAlerts()).toEqual([]);

    exporter.slow = true;
    const changedAt = Date.now();
    const alert = await until('AnomalyDetected in Alertmanager', async () => (await amAlerts()).find((a) => a.labels['service'] === SERVICE), 20_000);
    const latencyMs = Date.now() - changedAt;
    console.log(`AI engine loop: detection latency ${(latencyMs / 1000).toFixed(1)} s (latency change → alert in Alertmanager; 1 s scrapes and steps, 3 of 5 points)`);
    expect(alert.labels).toMatchObject({
      alertname: 'AnomalyDetected',
      severity: 'warning',
      component: 'http',
      namespace: NS,
      action: 'none',
      source: 'metrics',
      series: 'http-latency-p95',
      service: SERVICE,
    });
    expect(alert.status.state).toBe('active');
    expect(alert.annotations['summary']).toContain('95th percentile response time');

    const listed = (await (await fetch(engineUrl('/api/v1/anomalies?active=true&source=metrics'))).json()) as { anomalies: { kind: string; labels: Record<string, string> }[] };
    expect(listed.anomalies).toEqual([expect.objectContaining({ kind: 'AnomalyDetected', labels: expect.objectContaining({ service: SERVICE }) })]);
    const metrics = await (await fetch(`http://127.0.0.1:${engine.metricsPort}/metrics`)).text();
    expect(metrics).toMatch(/aiops_anomalies_detected_total\{source="metrics",service="ai-engine"\} 1/);
    expect(metrics).toMatch(/aiops_model_loaded\{model="robust-seasonal",service="ai-engine"\} 1/);
    expect(metrics).toMatch(/aiops_inference_requests_total\{model="robust-seasonal",outcome="success",service="ai-engine"\} [1-9]/);

    exporter.slow = false;
    const calmAgain = Date.now();
    await until('the alert resolved in Alertmanager', async () => ((await amAlerts()).some((a) => a.labels['service'] === SERVICE) ? undefined : true), 30_000);
    console.log(`AI engine loop: resolved ${((Date.now() - calmAgain) / 1000).toFixed(1)} s after the latency came back (3 s rate window, 5 calm points)`);
    const ended = (await (await fetch(engineUrl('/api/v1/anomalies?active=false'))).json()) as { anomalies: { endsAt?: number }[] };
    expect(ended.anomalies).toHaveLength(1);
    expect(ended.anomalies[0]!.endsAt).toBeGreaterThan(0);
  });
});
