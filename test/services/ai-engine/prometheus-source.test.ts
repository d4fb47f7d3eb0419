import { describe, expect, it } from 'vitest';
import type { EngineSeries } from '../../../src/core/ai-engine-series.js';
import type { Anomaly } from '../../../src/services/ai-engine/anomaly.js';
import { DEFAULT_LEVEL_SHIFT_HOLD_MS, formatTime, labelsKey } from '../../../src/services/ai-engine/sources/prometheus.js';
import { latency, noise, setup, T0 } from './prometheus-fake.js';


const disk: EngineSeries = {
  ...latency,
  id: 'elasticsearch-disk-full',
  query: 'disk',
  stepSeconds: 300,
  windowSeconds: 6 * 3600,
  kind: 'DiskFullPredicted',
  component: 'elasticsearch',
  action: 'clean-disk',
  forecast: { limit: 100 },
  unit: '%',
};

describe('the Prometheus source', () => {
  it('fetches the last window on start, then only the new steps', async () => {
    const { source, prom, advance } = setup([latency], { latency: { labels: [{ service: 'a' }], value: () => 0.1 } });
    await source.tick();
    const end = Math.floor(T0 / 60_000) * 60;
    expect(prom.calls).toEqual([{ query: 'latency', start: end - 3 * 3600, end, step: 60 }]);
    await source.tick();
    expect(prom.calls).toHaveLength(1);
    advance(60_000);
    await source.tick();
    expect(prom.calls[1]).toEqual({ query: 'latency', start: end + 60, end: end + 60, step: 60 });
    expect(source.seriesData('http-latency-p95')!.tracked[0]!.points).toHaveLength(3 * 60 + 2);
  });

  it('opens AnomalyDetected on a sustained spike of one label set and ends it when calm again', async () => {
    let spike = false;
    const { source, emitted, advance } = setup([latency], {
      latency: { labels: [{ service: 'a', namespace: 'shop' }, { service: 'b' }], value: (l, t) => 0.2 + 0.01 * noise(t) + (spike && l['service'] === 'a' ? 3 : 0) },
    });
    await source.tick();
    expect(emitted).toEqual([]);
    spike = true;
    for (let i = 0; i < 5; i += 1) {
      advance(60_000);
      await source.tick();
    }
    // A 5-minute jump of 300 σ is also a level shift (changepoint.ts): its LevelShiftDetected is tested below.
    const scored = () => emitted.filter((a) => a.kind === 'AnomalyDetected');
    expect(scored()).toHaveLength(1);
    const opened = scored()[0]!;
    expect(opened).toMatchObject({
      id: `metrics:http-latency-p95{${labelsKey({ namespace: 'shop', service: 'a' })}}`,
      kind: 'AnomalyDetected',
      source: 'metrics',
      component: 'http',
      namespace: 'shop',
      action: 'none',
      labels: { service: 'a', namespace: 'shop', series: 'http-latency-p95' },
    });
    expect(opened.endsAt).toBeUndefined();
    expect(opened.summary).toContain('service="a"');
    spike = false;
    for (let i = 0; i < 10 && scored().length < 2; i += 1) {
      advance(60_000);
      await source.tick();
    }
    expect(scored()).toHaveLength(2);
    expect(scored()[1]).toMatchObject({ id: opened.id, startsAt: opened.startsAt });
    expect(scored()[1]!.endsAt).toBeGreaterThan(opened.startsAt);
  });

  it('does not alert on a calm series nor on a downward dip of an upward-only series', async () => {
    let dip = false;
    const { source, emitted, advance } = setup([latency], { latency: { labels: [{ service: 'a' }], value: (_l, t) => 0.2 + 0.01 * noise(t) - (dip ? 0.15 : 0) } });
    await source.tick();
    dip = true;
    for (let i = 0; i < 10; i += 1) {
      advance(60_000);
      await source.tick();
    }
    expect(emitted).toEqual([]);
  });

  it('forecasts a filling disk as DiskFullPredicted with its action, and ends it once the trend is gone', async () => {
    let rising = true;
    let level = 0;
    const { source, emitted, advance } = setup([disk], {
      disk: { labels: [{ namespace: 'aiops', pod: 'es-0' }], value: (_l, t) => (rising ? 50 + ((t - (T0 - 6 * 3600_000)) / 3600_000) * 4 + 0.2 * noise(t) : level) },
    });
    await source.tick();
    expect(emitted).toHaveLength(1);
    expect(emitted[0]).toMatchObject({ kind: 'DiskFullPredicted', action: 'clean-disk', component: 'elasticsearch', namespace: 'aiops' });
    // 74 % now, 4 %/h: about 6.5 h left.
    expect(emitted[0]!.value / 3600).toBeGreaterThan(5.5);
    expect(emitted[0]!.value / 3600).toBeLessThan(7.5);
    expect(emitted[0]!.summary).toMatch(/reaches 100 % in about 6 h/);
    // The volume is cleaned: flat from now on; the window still holds the rise for a while.
    rising = false;
    level = 40;
    for (let i = 0; i < 80 && emitted.length < 2; i += 1) {
      advance(300_000);
      await source.tick();
    }
    expect(emitted).toHaveLength(2);
    expect(emitted[1]!.endsAt).toBeDefined();
  });

  it('backs off exponentially while Prometheus does not answer, and resumes', async () => {
    const { source, prom, advance } = setup([latency], { latency: { labels: [{ service: 'a' }], value: () => 1 } }, { backoff: { initialMs: 1000, maxMs: 4000 } });
    prom.fail('down');
    await source.tick();
    expect(source.backingOff).toBe(true);
    await source.tick();
    expect(prom.calls).toHaveLength(1);
    const waits: number[] = [];
    for (let i = 0; i < 4; i += 1) {
      let waited = 0;
      while (source.backingOff) {
        advance(250);
        waited += 250;
      }
      waits.push(waited);
      await source.tick();
    }
    expect(waits).toEqual([1000, 2000, 4000, 4000]);
    prom.fail(undefined);
    advance(4000);
    await source.tick();
    expect(source.backingOff).toBe(false);
    expect(source.seriesData('http-latency-p95')!.tracked).toHaveLength(1);
  });

  it('does not back off for a query Prometheus refuses (4xx): that series waits for its next step', async () => {
    const { source, prom, advance } = setup([latency], { latency: { labels: [], value: () => 1 } });
    prom.fail('bad');
    await source.tick();
    expect(source.backingOff).toBe(false);
    await source.tick();
    expect(prom.calls).toHaveLength(1);
    advance(60_000);
    await source.tick();
    expect(prom.calls).toHaveLength(2);
  });

  it('runs at most `concurrency` queries at once', async () => {
    const many = Array.from({ length: 6 }, (_, i) => ({ ...latency, id: `s${i}`, query: `q${i}` }));
    const { source, prom } = setup(many, {}, { concurrency: 2 });
    prom.slow(20);
    const first = source.tick();
    const second = source.tick();
    await Promise.all([first, second]);
    expect(prom.maxInFlight()).toBe(2);
    await source.tick();
    await source.tick();
    expect(prom.calls.map((c) => c.query).sort()).toEqual(['q0', 'q1', 'q2', 'q3', 'q4', 'q5']);
  });

  it('aborts a query after the timeout and counts it as Prometheus down', async () => {
    const hanging = (async (_input: unknown, init?: RequestInit) =>
      new Promise<Response>((_resolve, reject) => init?.signal?.addEventListener('abort', () => reject(init.signal!.reason)))) as typeof fetch;
    const { source } = setup([latency], {}, { fetch: hanging, timeoutMs: 50 });
    const started = Date.now();
    await source.tick();
    expect(Date.now() - started).toBeLessThan(1000);
    expect(source.backingOff).toBe(true);
  });

  it('refuses a forecast kind without a forecast and duplicate ids', () => {
    expect(() => setup([{ ...disk, forecast: undefined }], {})).toThrow(/needs a forecast/);
    expect(() => setup([latency, latency], {})).toThrow(/twice/);
  });
});

describe('level shifts in the Prometheus source', () => {
  const shifts = (emitted: Anomaly[]) => emitted.filter((a) => a.kind === 'LevelShiftDetected');

  /** A calm 3-hour history of latency 0.2 s (noise ±0.01), then `change(t)` added from the next step on, `minutes` steps. */
  async function run(change: (t: number, from: number) => number, minutes: number) {
    let from = Infinity;
    const { source, emitted, advance, now } = setup([latency], { latency: { labels: [{ service: 'a' }], value: (_l, t) => 0.2 + 0.01 * noise(t) + (t >= from ? change(t, from) : 0) } });
    await source.tick();
    from = (Math.floor(now() / 60_000) + 1) * 60_000;
    for (let i = 0; i < minutes; i += 1) {
      advance(60_000);
      await source.tick();
    }
    return { emitted, from, source };
  }

  it('reports a sustained step once, dated at the step with the levels before and after, and ends it after the hold', async () => {
    const { emitted, from, source } = await run(() => 0.1, 100);
    const found = shifts(emitted);
    expect(found).toHaveLength(2);
    const [opened, ended] = found as [Anomaly, Anomaly];
    expect(opened).toMatchObject({
      id: `metrics:http-latency-p95{service="a"}:level-shift@${from}`,
      kind: 'LevelShiftDetected',
      source: 'metrics',
      severity: 'warning',
      action: 'none',
      component: 'http',
      namespace: 'aiops',
      labels: { service: 'a', series: 'http-latency-p95' },
      startsAt: from,
    });
    expect(opened.endsAt).toBeUndefined();
    expect(opened.value).toBeGreaterThan(5);
    const [, before, after] = /level shift up from (\S+) to (\S+) s since /.exec(opened.summary) ?? [];
    expect(Number(before)).toBeCloseTo(0.2, 1);
    expect(Number(after)).toBeCloseTo(0.3, 1);
    expect(opened.summary).toContain(formatTime(from));
    // Held 1 h after its detection (a few points after the step), then ended; never reported again.
    expect(ended).toMatchObject({ id: opened.id, startsAt: from });
    expect(ended.endsAt! - from).toBeGreaterThanOrEqual(DEFAULT_LEVEL_SHIFT_HOLD_MS);
    expect(ended.endsAt! - from).toBeLessThan(DEFAULT_LEVEL_SHIFT_HOLD_MS + 15 * 60_000);
    expect(source.seriesData('http-latency-p95')!.tracked[0]!.levelShift).toBeUndefined();
  });

  it('reports no level shift for a single spike, nor for a step down of an upward-only series', async () => {
    const spike = await run((t, from) => (t === from ? 3 : 0), 60);
    expect(shifts(spike.emitted)).toEqual([]);
    expect(spike.source.seriesData('http-latency-p95')!.tracked[0]!.points.find((p) => p.t === spike.from)!.value).toBeGreaterThan(3);
    const down = await run(() => -0.1, 60);
    expect(shifts(down.emitted)).toEqual([]);
  });

  it('looks for shifts of a daily-patterned series in its residual after the seasonal baseline', async () => {
    const DAY = 86_400_000;
    const daily: EngineSeries = { ...latency, id: 'daily', query: 'daily', stepSeconds: 600, windowSeconds: 4 * 86_400, direction: 'both' };
    let from = Infinity;
    const { source, emitted, advance, now } = setup([daily], {
      daily: { labels: [{ service: 'a' }], value: (_l, t) => 1 + 0.5 * Math.sin((2 * Math.PI * t) / DAY) + 0.02 * noise(t) + (t >= from ? 0.2 : 0) },
    });
    await source.tick();
    // Four days at 10-minute steps: from the second day on, the residual; its daily swings are no shift.
    const settled = now() - 2 * DAY;
    expect(shifts(emitted).filter((a) => a.startsAt >= settled)).toEqual([]);
    const before = emitted.length;
    from = (Math.floor(now() / 600_000) + 1) * 600_000;
    for (let i = 0; i < 8; i += 1) {
      advance(600_000);
      await source.tick();
    }
    const found = shifts(emitted.slice(before)).filter((a) => a.endsAt === undefined);
    expect(found).toHaveLength(1);
    expect(found[0]!.startsAt).toBe(from);
    expect(found[0]!.summary).toMatch(/level shift up from \S+ to \S+ s off its daily\/weekly pattern/);
  });
});
