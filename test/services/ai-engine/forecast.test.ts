import { describe, expect, it } from 'vitest';
import { forecastLimit, robustTrend, timeUntil, trendValueAt, type TimedValue } from '../../../src/services/ai-engine/detect/forecast.js';
import { HOUR, MINUTE, normal, series, T0, uniform } from './synthetic-series.js';

/**
 * The disk-full / connection-exhaustion forecast on synthetic series: Theil–Sen trend, Kendall τ
 * confidence, minimum points and span, horizon, gaps, non-finite values, outliers.
 */

const PERCENT_PER_HOUR = 3;
/** Disk use: 40 % rising 3 %/h, 1-minute points over 6 h, noise σ = 0.5 %. */
function diskFill(seed: number, count = 360): TimedValue[] {
  const noise = normal(seed);
  return series(count, (i) => 40 + (PERCENT_PER_HOUR * i) / 60 + 0.5 * noise());
}
/** Seconds from the last point of `points` until the true line 40 + 3 %/h reaches 100 %. */
function trueSecondsLeft(points: readonly TimedValue[]): number {
  const last = points[points.length - 1]!.timestamp;
  return (T0 + (60 / PERCENT_PER_HOUR) * HOUR - last) / 1000;
}
/** Least-squares slope per second, for contrast with Theil–Sen. */
function leastSquaresSlope(points: readonly TimedValue[]): number {
  const n = points.length;
  const mt = points.reduce((s, p) => s + p.timestamp, 0) / n;
  const mv = points.reduce((s, p) => s + p.value, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (const p of points) {
    sxy += (p.timestamp - mt) * (p.value - mv);
    sxx += (p.timestamp - mt) ** 2;
  }
  return (sxy / sxx) * 1000;
}

describe('forecastLimit: when a filling disk reaches 100 %', () => {
  it('predicts the time of a noisy linear fill within 3 % of the true time, for every seed', () => {
    for (let seed = 1; seed <= 10; seed += 1) {
      const points = diskFill(seed);
      const forecast = forecastLimit(points, { limit: 100 })!;
      const truth = trueSecondsLeft(points);
      expect(truth / 3600).toBeCloseTo(14.02, 1);
      expect(Math.abs(forecast.secondsLeft! - truth) / truth).toBeLessThan(0.03);
      expect(forecast.reachesAt).toBeCloseTo(points[359]!.timestamp + forecast.secondsLeft! * 1000, 0);
      expect(forecast.slopePerSecond * 3600).toBeCloseTo(PERCENT_PER_HOUR, 1);
      expect(forecast.confidence).toBeGreaterThan(0.8);
      expect(forecast.level).toBeCloseTo(40 + (PERCENT_PER_HOUR * 359) / 60, 0);
    }
  });

  it('forecasts nothing for a noisy flat series (τ near 0), though it reports the trend', () => {
    for (let seed = 1; seed <= 10; seed += 1) {
      const noise = normal(seed);
      const forecast = forecastLimit(series(360, () => 70 + 5 * noise()), { limit: 100 })!;
      expect(forecast.reachesAt).toBeUndefined();
      expect(forecast.secondsLeft).toBeUndefined();
      expect(Math.abs(forecast.confidence)).toBeLessThan(0.1);
    }
  });

  it('forecasts nothing for a series too noisy for its trend (rise of 1 σ across the window: τ ≈ 0.2)', () => {
    const noise = normal(3);
    const forecast = forecastLimit(series(360, (i) => 90 + i / 359 + noise()), { limit: 100 })!;
    expect(forecast.slopePerSecond).toBeGreaterThan(0);
    expect(forecast.confidence).toBeLessThan(0.5);
    expect(forecast.reachesAt).toBeUndefined();
  });

  it('forecasts nothing for a decreasing series (cleanup running), and its confidence is negative', () => {
    const noise = normal(4);
    const forecast = forecastLimit(series(360, (i) => 80 - (2 * i) / 60 + 0.5 * noise()), { limit: 100 })!;
    expect(forecast.slopePerSecond).toBeLessThan(0);
    expect(forecast.confidence).toBeLessThan(-0.8);
    expect(forecast.reachesAt).toBeUndefined();
  });

  it('forecasts nothing for a perfectly flat series (every pairwise slope 0)', () => {
    const forecast = forecastLimit(series(100, () => 55), { limit: 100 })!;
    expect(forecast).toEqual({ slopePerSecond: 0, level: 55, confidence: 0 });
  });

  it('keeps the Theil–Sen slope within 2 % when 10 % of the points are +40 % spikes (least squares moves up to ~13 %)', () => {
    for (let seed = 1; seed <= 8; seed += 1) {
      const pick = uniform(seed + 100);
      const spiky = diskFill(seed).map((p) => (pick() < 0.1 ? { ...p, value: p.value + 40 } : p));
      const slope = robustTrend(spiky)!.slopePerSecond * 3600;
      expect(Math.abs(slope - PERCENT_PER_HOUR) / PERCENT_PER_HOUR).toBeLessThan(0.02);
      const forecast = forecastLimit(spiky, { limit: 100 })!;
      expect(Math.abs(forecast.secondsLeft! - trueSecondsLeft(spiky)) / trueSecondsLeft(spiky)).toBeLessThan(0.03);
    }
  });

  it('moves the slope by at most 6 % when the last 10 % of the window is a +40 % burst, where least squares more than doubles it', () => {
    for (let seed = 1; seed <= 8; seed += 1) {
      const burst = diskFill(seed).map((p, i) => (i >= 324 ? { ...p, value: p.value + 40 } : p));
      expect(Math.abs(robustTrend(burst)!.slopePerSecond * 3600 - PERCENT_PER_HOUR) / PERCENT_PER_HOUR).toBeLessThan(0.06);
      expect(leastSquaresSlope(burst) * 3600).toBeGreaterThan(2 * PERCENT_PER_HOUR);
    }
  });

  it('handles gaps and irregular spacing: two missing hours and jittered scrapes change nothing', () => {
    const jitter = uniform(7);
    const points = diskFill(7)
      .filter((p) => p.timestamp < T0 + 2 * HOUR || p.timestamp >= T0 + 4 * HOUR)
      .map((p) => {
        const shift = (jitter() - 0.5) * 40_000;
        return { timestamp: p.timestamp + shift, value: p.value + (PERCENT_PER_HOUR * shift) / HOUR };
      });
    expect(points.length).toBe(240);
    const forecast = forecastLimit(points, { limit: 100 })!;
    const truth = trueSecondsLeft(points);
    expect(Math.abs(forecast.secondsLeft! - truth) / truth).toBeLessThan(0.03);
  });

  it('ignores NaN and ±Infinity values and timestamps: the same forecast as without them', () => {
    const clean = diskFill(8);
    const dirty: TimedValue[] = clean.flatMap((p, i) =>
      i % 17 === 0 ? [p, { timestamp: p.timestamp + 1, value: NaN }, { timestamp: p.timestamp + 2, value: Infinity }, { timestamp: NaN, value: 99 }, { timestamp: p.timestamp + 3, value: -Infinity }] : [p],
    );
    expect(forecastLimit(dirty, { limit: 100 })).toEqual(forecastLimit(clean, { limit: 100 }));
  });

  it('is deterministic and independent of input order (subsampling is by position in time, not random)', () => {
    const points = diskFill(9, 2_000);
    const shuffle = uniform(9);
    const shuffled = [...points].sort(() => shuffle() - 0.5);
    const a = forecastLimit(points, { limit: 100 });
    expect(forecastLimit(points, { limit: 100 })).toEqual(a);
    expect(forecastLimit(shuffled, { limit: 100 })).toEqual(a);
  });

  it('subsamples a long window (20,000 points, 200 used by default) and stays accurate', () => {
    const noise = normal(10);
    // 20,000 points of 15 s: 83 h, rising 0.25 %/h from 30 %.
    const points = series(20_000, (i) => 30 + (0.25 * i) / 240 + 0.5 * noise(), 15_000);
    const forecast = forecastLimit(points, { limit: 100, horizonMs: 14 * 24 * HOUR })!;
    const level = 30 + (0.25 * 19_999) / 240;
    const truth = ((100 - level) / 0.25) * 3600;
    expect(Math.abs(forecast.secondsLeft! - truth) / truth).toBeLessThan(0.03);
    expect(robustTrend(points, { maxPoints: 50 })!.slopePerSecond * 3600).toBeCloseTo(0.25, 2);
  });
});

describe('forecastLimit: options', () => {
  it('answers nothing with fewer than minPoints finite points (default 10) or a span shorter than minSpanMs (default 1 h)', () => {
    const points = diskFill(11);
    expect(forecastLimit(points.slice(0, 9).map((p, i) => ({ ...p, timestamp: T0 + i * 10 * MINUTE })), { limit: 100 })).toBeUndefined();
    expect(forecastLimit(points.slice(0, 59), { limit: 100 })).toBeUndefined();
    expect(forecastLimit(points.slice(0, 61), { limit: 100 })).toBeDefined();
    expect(forecastLimit(points.slice(0, 31), { limit: 100, minSpanMs: 30 * MINUTE })).toBeDefined();
    expect(forecastLimit(points.slice(0, 61), { limit: 100, minPoints: 100 })).toBeUndefined();
    expect(forecastLimit([], { limit: 100 })).toBeUndefined();
  });

  it('leaves out crossings beyond the horizon (default 24 h)', () => {
    const points = diskFill(12);
    expect(forecastLimit(points, { limit: 100, horizonMs: 6 * HOUR })!.reachesAt).toBeUndefined();
    expect(forecastLimit(points, { limit: 100, horizonMs: 15 * HOUR })!.reachesAt).toBeDefined();
    expect(forecastLimit(points, { limit: 200 })!.reachesAt).toBeUndefined();
  });

  it('takes minConfidence as the least τ: a confident trend is refused above its τ', () => {
    const points = diskFill(13);
    const { confidence } = forecastLimit(points, { limit: 100 })!;
    expect(forecastLimit(points, { limit: 100, minConfidence: confidence + 0.01 })!.reachesAt).toBeUndefined();
    expect(forecastLimit(points, { limit: 100, minConfidence: confidence - 0.01 })!.reachesAt).toBeDefined();
  });

  it('counts from `now` when the last point is older', () => {
    const points = diskFill(14);
    const last = points[points.length - 1]!.timestamp;
    const atLast = forecastLimit(points, { limit: 100 })!;
    const later = forecastLimit(points, { limit: 100, now: last + HOUR })!;
    expect(later.reachesAt).toBeCloseTo(atLast.reachesAt!, 0);
    expect(later.secondsLeft).toBeCloseTo(atLast.secondsLeft! - 3600, 3);
    expect(later.level).toBeCloseTo(atLast.level + atLast.slopePerSecond * 3600, 9);
  });

  it('says 0 seconds left when the trend is already past the limit', () => {
    const noise = normal(15);
    const forecast = forecastLimit(series(120, (i) => 95 + (6 * i) / 119 + 0.2 * noise()), { limit: 100 })!;
    expect(forecast.secondsLeft).toBe(0);
    expect(forecast.reachesAt).toBe(T0 + 119 * MINUTE);
  });

  it('forecasts a floor with approach falling: free bytes reaching 0', () => {
    const noise = normal(16);
    const GB = 1e9;
    // 200 GB free, losing 10 GB/h: 20 h from the start, 14.02 h from the last point.
    const points = series(360, (i) => 200 * GB - (10 * GB * i) / 60 + 0.5 * GB * noise());
    expect(forecastLimit(points, { limit: 0 })!.reachesAt).toBeUndefined();
    const forecast = forecastLimit(points, { limit: 0, approach: 'falling' })!;
    expect(forecast.confidence).toBeGreaterThan(0.8);
    const truth = (20 * HOUR - 359 * MINUTE) / 1000;
    expect(Math.abs(forecast.secondsLeft! - truth) / truth).toBeLessThan(0.03);
  });

  it('forecasts connection exhaustion from whole-number counts (many ties) against max_connections', () => {
    const noise = normal(17);
    // Connections 20 → 80 over 2 h (0.5 per minute), integers: max_connections 100 is 40 min away.
    const points = series(121, (i) => Math.round(20 + 0.5 * i + 1.5 * noise()));
    const forecast = forecastLimit(points, { limit: 100 })!;
    expect(Math.abs(forecast.secondsLeft! - 2400) / 2400).toBeLessThan(0.05);
  });
});

describe('robustTrend, trendValueAt, timeUntil', () => {
  it('fits an exact line exactly: slope, level at the newest point, τ = 1', () => {
    const trend = robustTrend(series(50, (i) => 10 + 0.5 * i))!;
    expect(trend.slopePerSecond).toBeCloseTo(0.5 / 60, 12);
    expect(trend.level).toBeCloseTo(10 + 0.5 * 49, 9);
    expect(trend.tau).toBe(1);
    expect(trend.points).toBe(50);
    expect(trend.spanMs).toBe(49 * MINUTE);
    expect(trendValueAt(trend, T0)).toBeCloseTo(10, 9);
    expect(timeUntil(trend, 40)).toBe(T0 + 60 * MINUTE);
  });

  it('is undefined without two finite points at distinct times', () => {
    expect(robustTrend([{ timestamp: T0, value: 1 }])).toBeUndefined();
    expect(robustTrend([{ timestamp: T0, value: 1 }, { timestamp: T0, value: 2 }])).toBeUndefined();
    expect(robustTrend([{ timestamp: T0, value: 1 }, { timestamp: T0 + 1, value: NaN }])).toBeUndefined();
  });

  it('timeUntil is undefined for a flat or receding trend and beyond the horizon', () => {
    const rising = robustTrend(series(10, (i) => i))!;
    const falling = robustTrend(series(10, (i) => -i))!;
    const flat = robustTrend(series(10, () => 3))!;
    expect(timeUntil(flat, 10)).toBeUndefined();
    expect(timeUntil(falling, 10)).toBeUndefined();
    expect(timeUntil(falling, -19, { approach: 'falling' })).toBe(T0 + 19 * MINUTE);
    expect(timeUntil(rising, 9 + 24 * 60)).toBe(T0 + (9 + 24 * 60) * MINUTE);
    expect(timeUntil(rising, 10 + 24 * 60)).toBeUndefined();
    expect(timeUntil(rising, 10 + 24 * 60, { horizonMs: 25 * HOUR })).toBe(T0 + (10 + 24 * 60) * MINUTE);
  });
});
