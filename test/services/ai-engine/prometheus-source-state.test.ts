import { describe, expect, it } from 'vitest';
import type { EngineSeries } from '../../../src/core/ai-engine-series.js';
import type { Anomaly } from '../../../src/services/ai-engine/anomaly.js';
import { DEFAULT_BACKFILL_SECONDS, PrometheusSource, type SeriesRunSnapshot } from '../../../src/services/ai-engine/sources/prometheus.js';
import { fakePrometheus, latency, log, noise, setup, T0 } from './prometheus-fake.js';

const MIN = 60_000;
const DAY = 86_400_000;


const scored = (emitted: readonly Anomaly[]) => emitted.filter((a) => a.kind === 'AnomalyDetected');

describe('the Prometheus source on start: backfill and silent replay', () => {
  it('fetches 27 h on the first round, in contiguous requests of at most maxPointsPerQuery steps', async () => {
    const { source, prom } = setup([latency], { latency: { labels: [{ service: 'a' }], value: (_l, t) => 0.2 + 0.01 * noise(t) } }, { backfillSeconds: undefined, maxPointsPerQuery: 500 });
    await source.tick();
    const end = Math.floor(T0 / MIN) * 60;
    expect(DEFAULT_BACKFILL_SECONDS).toBe(27 * 3600);
    expect(prom.calls[0]!.start).toBe(end - DEFAULT_BACKFILL_SECONDS);
    expect(prom.calls.at(-1)!.end).toBe(end);
    expect(prom.calls).toHaveLength(Math.ceil((DEFAULT_BACKFILL_SECONDS / 60 + 1) / 500));
    for (const [i, call] of prom.calls.entries()) {
      expect((call.end - call.start) / 60 + 1).toBeLessThanOrEqual(500);
      if (i > 0) expect(call.start).toBe(prom.calls[i - 1]!.end + 60);
    }
    // Every step once, merged into one label set: the points kept are the last 720 of them, in order.
    const points = source.seriesData('http-latency-p95')!.tracked[0]!.points;
    expect(points).toHaveLength(720);
    expect(points.at(-1)!.t).toBe(end * 1000);
    expect(points.every((p, i) => i === 0 || p.t - points[i - 1]!.t === MIN)).toBe(true);
  });

  it("replays the history silently: an incident of 10 h ago is learnt, not alerted; one still going on is, once", async () => {
    const past = Math.floor((T0 - 10 * 3600_000) / MIN) * MIN;
    const current = Math.floor((T0 - 4 * MIN) / MIN) * MIN;
    const during = (t: number, from: number) => t >= from && t < from + 15 * MIN;
    const { source, emitted } = setup(
      [latency],
      { latency: { labels: [{ service: 'a' }, { service: 'b' }], value: (l, t) => 0.2 + 0.01 * noise(t) + (during(t, past) ? 3 : 0) + (l['service'] === 'b' && during(t, current) ? 3 : 0) } },
      { backfillSeconds: undefined },
    );
    await source.tick();
    expect(scored(emitted).map((a) => [a.labels['service'], a.endsAt])).toEqual([['b', undefined]]);
    // The replay scored every point (only the alerting was silent): the drawn points carry scores.
    const a = source.seriesData('http-latency-p95')!.tracked.find((t) => t.labels['service'] === 'a')!;
    expect(a.points.every((p) => p.score !== undefined)).toBe(true);
    expect(a.anomaly).toBeUndefined();
  });
});

describe('level shifts need a day of history', () => {
  it('a daily pattern raises no level shift from its very first point on; a real shift after the first day does', async () => {
    const daily: EngineSeries = { ...latency, id: 'daily', query: 'daily', stepSeconds: 600, windowSeconds: 3600, direction: 'both' };
    let from = Infinity;
    const { source, emitted, advance, now } = setup(
      [daily],
      { daily: { labels: [{ service: 'a' }], value: (_l, t) => 1 + 0.5 * Math.sin((2 * Math.PI * t) / DAY) + 0.02 * noise(t) + (t >= from ? 0.2 : 0) } },
      { shiftsNeedSeasonalComparison: undefined },
    );
    await source.tick();
    // Three days live, 10-minute steps: the first day reads the pattern as shifts (not reported), then the residual.
    for (let i = 0; i < 3 * 144; i += 1) {
      advance(600_000);
      await source.tick();
    }
    expect(emitted.filter((a) => a.kind === 'LevelShiftDetected')).toEqual([]);
    from = (Math.floor(now() / 600_000) + 1) * 600_000;
    for (let i = 0; i < 8; i += 1) {
      advance(600_000);
      await source.tick();
    }
    const found = emitted.filter((a) => a.kind === 'LevelShiftDetected');
    expect(found.map((a) => a.startsAt)).toEqual([from]);
  });

  it('without the rule, the same first day reports the daily pattern as shifts: what the rule is for', async () => {
    const daily: EngineSeries = { ...latency, id: 'daily', query: 'daily', stepSeconds: 600, windowSeconds: 3600, direction: 'both' };
    const { source, emitted, advance } = setup([daily], { daily: { labels: [{ service: 'a' }], value: (_l, t) => 1 + 0.5 * Math.sin((2 * Math.PI * t) / DAY) + 0.02 * noise(t) } });
    await source.tick();
    for (let i = 0; i < 144; i += 1) {
      advance(600_000);
      await source.tick();
    }
    expect(emitted.filter((a) => a.kind === 'LevelShiftDetected').length).toBeGreaterThan(0);
  });
});

describe('snapshot and restore', () => {
  const value = (spikeFrom: number) => (l: Record<string, string>, t: number) => 0.2 + 0.01 * noise(t) + (l['service'] === 'a' && t >= spikeFrom && t < spikeFrom + 8 * MIN ? 2 : 0);

  it('a source restored from a JSON snapshot goes on exactly as the uninterrupted one, fetching only the steps since', async () => {
    const spikeFrom = Math.floor(T0 / MIN) * MIN + 30 * MIN;
    const data = { latency: { labels: [{ service: 'a' }, { service: 'b' }], value: value(spikeFrom) } };
    const first = setup([latency], data);
    await first.source.tick();
    for (let i = 0; i < 34; i += 1) {
      first.advance(MIN);
      await first.source.tick();
    }
    // Mid-incident: the anomaly of "a" is open.
    expect(scored(first.emitted).map((a) => a.endsAt)).toEqual([undefined]);
    const saved = JSON.parse(JSON.stringify(first.source.snapshot())) as SeriesRunSnapshot[];

    let now = first.now();
    const prom = fakePrometheus(data);
    const emitted: Anomaly[] = [];
    const second = new PrometheusSource({ url: 'http://prom:9090/prometheus', series: [latency], emit: (a) => emitted.push(a), log, namespace: 'aiops', fetch: prom.fetch, now: () => now, shiftsNeedSeasonalComparison: false });
    expect(second.restore(saved[0]!)).toBe(true);
    // The open anomaly comes back at once (the engine's book and the outputs need it).
    expect(emitted).toEqual(scored(first.emitted));
    const before = first.emitted.length;
    for (let i = 0; i < 3; i += 1) {
      now += 5 * MIN; // the restarted pod was away for a while: one request for the missing steps
      first.advance(5 * MIN);
      await Promise.all([first.source.tick(), second.tick()]);
    }
    const end = Math.floor(now / MIN) * 60;
    expect(prom.calls).toEqual([
      { query: 'latency', start: end - 15 * 60 + 60, end: end - 10 * 60, step: 60 },
      { query: 'latency', start: end - 10 * 60 + 60, end: end - 5 * 60, step: 60 },
      { query: 'latency', start: end - 5 * 60 + 60, end, step: 60 },
    ]);
    expect(emitted.slice(1)).toEqual(first.emitted.slice(before));
    expect(scored(emitted).at(-1)!.endsAt).toBeDefined();
    expect(second.seriesData('http-latency-p95')).toEqual(first.source.seriesData('http-latency-p95'));
    expect(second.snapshot()).toEqual(first.source.snapshot());
  });

  it('restores nothing for a series whose query, step, kind or direction changed, or that is gone', async () => {
    const { source, advance } = setup([latency], { latency: { labels: [{ service: 'a' }], value: value(Infinity) } });
    await source.tick();
    advance(MIN);
    await source.tick();
    const [saved] = source.snapshot() as [SeriesRunSnapshot];
    const fresh = (series: EngineSeries) => new PrometheusSource({ url: 'http://p', series: [series], emit: () => {}, log, namespace: 'aiops' });
    expect(fresh(latency).restore(saved)).toBe(true);
    expect(fresh({ ...latency, query: 'latency2' }).restore(saved)).toBe(false);
    expect(fresh({ ...latency, stepSeconds: 30 }).restore(saved)).toBe(false);
    expect(fresh({ ...latency, direction: 'both' }).restore(saved)).toBe(false);
    expect(fresh({ ...latency, id: 'other' }).restore(saved)).toBe(false);
    const disk: EngineSeries = { ...latency, kind: 'DiskFullPredicted', forecast: { limit: 100 } };
    expect(fresh(disk).restore(saved)).toBe(false);
    const unrestored = fresh({ ...latency, query: 'latency2' });
    unrestored.restore(saved);
    expect(unrestored.seriesData('http-latency-p95')!.tracked).toEqual([]);
  });
});
