import { pino } from 'pino';
import type { EngineSeries } from '../../../src/core/ai-engine-series.js';
import type { Anomaly } from '../../../src/services/ai-engine/anomaly.js';
import { PrometheusSource } from '../../../src/services/ai-engine/sources/prometheus.js';

/** A fake Prometheus query_range for the source's tests, and a source on it with a settable clock. */

export const log = pino({ level: 'silent' });
export const T0 = 1_700_000_000_000;

/** A p95 latency series of one-minute steps (its query is the fake's data key). */
export const latency: EngineSeries = {
  id: 'http-latency-p95',
  description: 'p95',
  query: 'latency',
  stepSeconds: 60,
  windowSeconds: 3 * 3600,
  kind: 'AnomalyDetected',
  direction: 'up',
  component: 'http',
  severity: 'warning',
  action: 'none',
  unit: 's',
};

export type Values = (labels: Record<string, string>, t: number) => number;

/** A fake Prometheus query_range: series by query, computed for each step of the asked range. */
export function fakePrometheus(data: Record<string, { labels: Record<string, string>[]; value: Values }>) {
  const calls: { query: string; start: number; end: number; step: number }[] = [];
  let failing: 'down' | 'bad' | undefined;
  let delayMs = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  const fetchFn = (async (input: string | URL | Request) => {
    const url = new URL(String(input));
    const q = { query: url.searchParams.get('query')!, start: Number(url.searchParams.get('start')), end: Number(url.searchParams.get('end')), step: Number(url.searchParams.get('step')) };
    calls.push(q);
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    try {
      if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
      if (failing === 'down') throw new TypeError('fetch failed: ECONNREFUSED');
      if (failing === 'bad') return new Response(JSON.stringify({ status: 'error', error: 'parse error' }), { status: 400 });
      const d = data[q.query];
      const result = (d?.labels ?? []).map((labels) => {
        const values: [number, string][] = [];
        for (let t = q.start; t <= q.end; t += q.step) values.push([t, String(d!.value(labels, t * 1000))]);
        return { metric: { __name__: 'x', ...labels }, values };
      });
      return new Response(JSON.stringify({ status: 'success', data: { resultType: 'matrix', result } }), { status: 200 });
    } finally {
      inFlight -= 1;
    }
  }) as typeof fetch;
  return {
    fetch: fetchFn,
    calls,
    fail: (how: 'down' | 'bad' | undefined) => (failing = how),
    slow: (ms: number) => (delayMs = ms),
    maxInFlight: () => maxInFlight,
  };
}

/** A small deterministic noise in [-1, 1]. */
export const noise = (t: number) => Math.sin(t / 7_000) * 0.6 + Math.sin(t / 13_000) * 0.4;

export function setup(series: EngineSeries[], data: Parameters<typeof fakePrometheus>[0], extra: Partial<ConstructorParameters<typeof PrometheusSource>[0]> = {}) {
  let now = T0;
  const prom = fakePrometheus(data);
  const emitted: Anomaly[] = [];
  // Backfill and the level shifts' day of history are tested on their own below: here the first round fetches the window.
  const source = new PrometheusSource({ url: 'http://prom:9090/prometheus', series, emit: (a) => emitted.push(a), log, namespace: 'aiops', fetch: prom.fetch, now: () => now, backfillSeconds: 0, shiftsNeedSeasonalComparison: false, ...extra });
  return { source, prom, emitted, advance: (ms: number) => (now += ms), now: () => now };
}

