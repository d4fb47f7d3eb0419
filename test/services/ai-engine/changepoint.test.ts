import { describe, expect, it } from 'vitest';
import { levelChangeAfter, LevelShiftDetector, type LevelShift, type LevelShiftOptions } from '../../../src/services/ai-engine/detect/changepoint.js';
import { MINUTE, normal, series, T0, uniform } from './synthetic-series.js';

/**
 * Level shifts on synthetic series: the streaming CUSUM (steps, spikes, drift, seasonality, gaps,
 * non-finite values, hysteresis, warm-up, direction, snapshots) and the offline before/after test.
 * The numbers quoted in changepoint.ts' comment are the ones these series show.
 */

/** Every shift the detector reports over `values` (1-minute points from T0), with the index of the reporting point. */
function shifts(values: readonly number[], options: LevelShiftOptions = {}): (LevelShift & { index: number })[] {
  const detector = new LevelShiftDetector(options);
  const found: (LevelShift & { index: number })[] = [];
  values.forEach((value, index) => {
    const shift = detector.push(T0 + index * MINUTE, value);
    if (shift) found.push({ ...shift, index });
  });
  return found;
}
const indexOf = (timestamp: number): number => (timestamp - T0) / MINUTE;
function noise(seed: number, count: number): number[] {
  const next = normal(seed);
  return Array.from({ length: count }, () => next());
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

describe('LevelShiftDetector: steps', () => {
  it('reports a 3 σ step up after 500 points within 7 points, dated at the step, sized about 3 σ (20 seeds)', () => {
    const delays: number[] = [];
    const dateErrors: number[] = [];
    const sizes: number[] = [];
    for (let seed = 1; seed <= 20; seed += 1) {
      const found = shifts(noise(seed, 800).map((x, i) => 100 + 10 * x + (i >= 500 ? 30 : 0)));
      expect(found).toHaveLength(1);
      const [shift] = found as [LevelShift & { index: number }];
      expect(shift.direction).toBe('up');
      expect(shift.detectedAt).toBe(T0 + shift.index * MINUTE);
      delays.push(shift.index - 500);
      dateErrors.push(Math.abs(indexOf(shift.changedAt) - 500));
      sizes.push(shift.size);
      expect(shift.before).toBeGreaterThan(97);
      expect(shift.before).toBeLessThan(103);
      expect(shift.sigma).toBeGreaterThan(8);
      expect(shift.sigma).toBeLessThan(12);
      expect(shift.points).toBe(shift.index - indexOf(shift.changedAt) + 1);
    }
    expect(Math.max(...delays)).toBeLessThanOrEqual(7);
    expect(median(delays)).toBeLessThanOrEqual(5);
    expect(dateErrors.filter((e) => e <= 1).length).toBeGreaterThanOrEqual(18);
    expect(median(sizes)).toBeGreaterThan(2.7);
    expect(median(sizes)).toBeLessThan(3.5);
    expect(sizes.filter((s) => s > 2 && s < 4).length).toBeGreaterThanOrEqual(17);
  });

  it('reports a step down with a negative size, and a 1 σ step later (about 20 points)', () => {
    const [down] = shifts(noise(21, 800).map((x, i) => x - (i >= 500 ? 3 : 0)));
    expect(down).toMatchObject({ direction: 'down' });
    expect(down!.size).toBeLessThan(-2);
    const delays = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].flatMap((seed) => shifts(noise(seed, 800).map((x, i) => x + (i >= 500 ? 1 : 0))).map((s) => s.index - 500));
    expect(delays.length).toBeGreaterThanOrEqual(8);
    expect(median(delays)).toBeGreaterThan(8);
    expect(median(delays)).toBeLessThan(40);
  });

  it('reports one shift per step (hysteresis): 3, 5 and 10 σ steps, 50 seeds, one report in the 500 points after', () => {
    for (const size of [3, 5, 10]) {
      let exactlyOne = 0;
      for (let seed = 1; seed <= 50; seed += 1) {
        const found = shifts(noise(seed, 1_000).map((x, i) => x + (i >= 500 ? size : 0))).filter((s) => s.index >= 500);
        expect(found[0]).toMatchObject({ direction: 'up' });
        // Never a second report of the same step right after it.
        expect(found.filter((s) => s.index < found[0]!.index + 200)).toHaveLength(1);
        if (found.length === 1) exactlyOne += 1;
      }
      // A later report is a chance false alarm (about one per 100,000 points with no shift).
      expect(exactlyOne).toBeGreaterThanOrEqual(48);
    }
  });

  it('reports a step and its rollback as two shifts, up then down, dated at each', () => {
    let asExpected = 0;
    for (let seed = 1; seed <= 50; seed += 1) {
      const found = shifts(noise(seed, 3_000).map((x, i) => x + (i >= 500 && i < 1_500 ? 4 : 0)));
      const [up, down] = [found.find((s) => Math.abs(indexOf(s.changedAt) - 500) <= 2), found.find((s) => Math.abs(indexOf(s.changedAt) - 1_500) <= 2)];
      expect(up).toMatchObject({ direction: 'up' });
      expect(down).toMatchObject({ direction: 'down' });
      expect(down!.before).toBeGreaterThan(3.5);
      expect(down!.before).toBeLessThan(4.5);
      if (found.length === 2) asExpected += 1;
    }
    // Over 50 × 3,000 points, a few chance reports elsewhere, as often as with no shift at all.
    expect(asExpected).toBeGreaterThanOrEqual(46);
  });

  it('filters by direction: up only, down only, both', () => {
    const values = noise(23, 2_000).map((x, i) => x + (i >= 500 && i < 1_200 ? 4 : 0));
    expect(shifts(values, { direction: 'up' }).map((s) => s.direction)).toEqual(['up']);
    expect(shifts(values, { direction: 'down' }).map((s) => s.direction)).toEqual(['down']);
    expect(shifts(values, { direction: 'both' }).map((s) => s.direction)).toEqual(['up', 'down']);
  });

  it('reports nothing during warm-up (default 60 points), and tests from then on', () => {
    const detector = new LevelShiftDetector({ warmUp: 60 });
    const x = normal(24);
    for (let i = 0; i < 60; i += 1) expect(detector.push(T0 + i * MINUTE, i < 30 ? x() : 50 + x())).toBeUndefined();
    const late = shifts(noise(24, 200).map((v, i) => v + (i >= 70 ? 5 : 0)));
    expect(late).toHaveLength(1);
    expect(indexOf(late[0]!.changedAt)).toBe(70);
    expect(() => new LevelShiftDetector({ warmUp: 1 })).toThrow(/warmUp must be between 2 and referenceSize/);
    expect(() => new LevelShiftDetector({ warmUp: 200 })).toThrow(/warmUp must be between 2 and referenceSize \(120\), found 200/);
  });
});

describe('LevelShiftDetector: what is not a level shift', () => {
  it('never reports a lone 20 σ spike, nor two in a row (200 seeds)', () => {
    for (const burst of [1, 2]) {
      for (let seed = 1; seed <= 200; seed += 1) {
        const found = shifts(noise(seed, 700).map((x, i) => x + (i >= 500 && i < 500 + burst ? 20 : 0)));
        expect(found.filter((s) => s.index >= 500 && s.index < 510)).toEqual([]);
      }
    }
  });

  it('does not report 10 % random spikes in a flat series (ranks make the contamination part of the reference)', () => {
    const pick = uniform(25);
    expect(shifts(noise(25, 20_000).map((x) => x + (pick() < 0.1 ? 10 : 0)))).toEqual([]);
  });

  it('does not report skewed (lognormal, latency-like) or discrete (counts) noise without a shift', () => {
    expect(shifts(noise(26, 20_000).map((x) => Math.exp(x)))).toEqual([]);
    expect(shifts(noise(27, 20_000).map((x) => Math.max(0, Math.round(2 + 1.4 * x))))).toEqual([]);
  });

  it('follows a slow drift (0.002 σ per point for 2,500 points, 5 σ in all) without reporting it', () => {
    for (let seed = 1; seed <= 5; seed += 1) {
      expect(shifts(noise(seed, 3_000).map((x, i) => x + (i >= 500 ? 0.002 * (i - 500) : 0)))).toEqual([]);
    }
  });

  it('reports a fast drift (0.02 σ per point) as a staircase of upward shifts of about 1 σ, as documented', () => {
    const found = shifts(noise(28, 3_000).map((x, i) => x + (i >= 500 ? 0.02 * (i - 500) : 0)));
    expect(found.length).toBeGreaterThan(20);
    expect(found.every((s) => s.direction === 'up' && s.index > 500)).toBe(true);
    const sizes = found.map((s) => s.size);
    expect(median(sizes)).toBeGreaterThan(0.7);
    expect(median(sizes)).toBeLessThan(2);
  });

  /** Reports per 10,000 points of `amplitude` · sin(2π i / period) plus unit normal noise, over 10 seeds. */
  function sineReportRate(period: number, amplitude: number): number {
    let reports = 0;
    for (let seed = 1; seed <= 10; seed += 1) reports += shifts(noise(seed, 10_000).map((x, i) => x + amplitude * Math.sin((2 * Math.PI * i) / period))).length;
    return reports / 10;
  }

  it('tolerates a seasonal sine as documented (at most 0.5 reports per 10,000 points): period ≤ 20 at any amplitude, long periods up to period / (20 · window) σ', () => {
    expect(sineReportRate(1_000_000, 0)).toBeLessThanOrEqual(0.2);
    expect(sineReportRate(10, 10)).toBeLessThanOrEqual(0.5);
    expect(sineReportRate(20, 10)).toBeLessThanOrEqual(0.5);
    expect(sineReportRate(1_440, 0.5)).toBeLessThanOrEqual(0.5);
    expect(sineReportRate(4_800, 2)).toBeLessThanOrEqual(0.5);
  });

  it('reads cycles between those bounds as level changes (the documented limit: feed it seasonal residuals)', () => {
    for (const period of [60, 120, 480]) expect(sineReportRate(period, 2)).toBeGreaterThan(50);
    expect(sineReportRate(1_440, 3)).toBeGreaterThan(20);
  });
});

describe('LevelShiftDetector: input hygiene and state', () => {
  it('dates a shift inside a gap at the first point after the gap', () => {
    const detector = new LevelShiftDetector();
    const x = normal(30);
    for (let i = 0; i < 500; i += 1) expect(detector.push(T0 + i * MINUTE, x())).toBeUndefined();
    const afterGap = T0 + (500 + 180) * MINUTE;
    let shift: LevelShift | undefined;
    for (let i = 0; i < 20 && !shift; i += 1) shift = detector.push(afterGap + i * MINUTE, 5 + x());
    expect(shift).toMatchObject({ direction: 'up', changedAt: afterGap });
  });

  it('handles irregular spacing and missing points like regular ones (it counts points, not time)', () => {
    const values = noise(31, 800).map((x, i) => x + (i >= 500 ? 3 : 0));
    const jitter = uniform(31);
    const times: number[] = [];
    let t = T0;
    for (let i = 0; i < values.length; i += 1) times.push((t += MINUTE * (jitter() < 0.2 ? 5 : 1)));
    const detector = new LevelShiftDetector();
    const found = values.map((v, i) => detector.push(times[i]!, v)).filter((s) => s !== undefined);
    expect(found).toHaveLength(1);
    expect(Math.abs(times.indexOf(found[0]!.changedAt) - 500)).toBeLessThanOrEqual(1);
  });

  it('ignores NaN and ±Infinity values and timestamps, and out-of-order or repeated points', () => {
    const values = noise(32, 800).map((x, i) => x + (i >= 500 ? 3 : 0));
    const expected = shifts(values);
    const detector = new LevelShiftDetector();
    const found: LevelShift[] = [];
    values.forEach((value, i) => {
      const t = T0 + i * MINUTE;
      const junk = [detector.push(t - 1, NaN), detector.push(t - 1, Infinity), detector.push(NaN, 1e9), detector.push(t - 1, -Infinity)];
      expect(junk).toEqual([undefined, undefined, undefined, undefined]);
      const shift = detector.push(t, value);
      if (shift) found.push(shift);
      expect(detector.push(t, 1e9)).toBeUndefined();
      expect(detector.push(t - MINUTE, 1e9)).toBeUndefined();
    });
    expect(found).toEqual(expected.map(({ index: _index, ...shift }) => shift));
  });

  it('goes on from a snapshot (JSON, as kept in Redis) exactly as if it had never stopped', () => {
    const values = noise(33, 1_500).map((x, i) => x + (i >= 700 && i < 1_100 ? 4 : 0));
    const expected = shifts(values);
    expect(expected).toHaveLength(2);
    let detector = new LevelShiftDetector();
    const found: LevelShift[] = [];
    values.forEach((value, i) => {
      if (i % 97 === 0 || i === 703) detector = new LevelShiftDetector({}, JSON.parse(JSON.stringify(detector.snapshot())));
      const shift = detector.push(T0 + i * MINUTE, value);
      if (shift) found.push(shift);
    });
    expect(found).toEqual(expected.map(({ index: _index, ...shift }) => shift));
  });

  it('sizes a step of a flat, whole-number series in minSigma units (its MAD is 0)', () => {
    const values = Array.from({ length: 300 }, (_, i) => (i < 200 ? 5 : 6));
    const [shift] = shifts(values, { minSigma: 1 });
    expect(shift).toMatchObject({ direction: 'up', changedAt: T0 + 200 * MINUTE, before: 5, after: 6, sigma: 1, size: 1 });
    expect(shifts(values)[0]!.size).toBeGreaterThan(1e6);
  });
});

describe('levelChangeAfter: did the level change after a deploy?', () => {
  const deploy = T0 + 600 * MINUTE;
  const latency = (seed: number, shift: number) => series(1_200, (i) => 0.2 + 0.02 * normal(seed)() + (i >= 600 ? shift : 0));
  const withNoise = (seed: number, shift: (i: number) => number) => {
    const x = normal(seed);
    return series(1_200, (i) => 0.2 + 0.02 * x() + shift(i));
  };

  it('finds a 2 σ regression after the deploy: medians, size, a tiny p-value', () => {
    const change = levelChangeAfter(withNoise(40, (i) => (i >= 600 ? 0.04 : 0)), deploy)!;
    expect(change.changed).toBe(true);
    expect(change.direction).toBe('up');
    expect(change.before).toBeCloseTo(0.2, 2);
    expect(change.after).toBeCloseTo(0.24, 2);
    expect(change.size).toBeGreaterThan(1.7);
    expect(change.size).toBeLessThan(2.3);
    expect(change.pValue).toBeLessThan(1e-12);
    expect(change).toMatchObject({ pointsBefore: 600, pointsAfter: 600 });
  });

  it('finds no change when there is none, even with 10 % spikes after the deploy', () => {
    const pick = uniform(41);
    const change = levelChangeAfter(withNoise(41, (i) => (i >= 600 && pick() < 0.1 ? 1 : 0)), deploy)!;
    expect(change.changed).toBe(false);
    expect(Math.abs(change.size)).toBeLessThan(0.3);
  });

  it('calls a significant but small change (0.3 σ on 600 + 600 points) no change: minSize (default 1 σ)', () => {
    const change = levelChangeAfter(withNoise(42, (i) => (i >= 600 ? 0.006 : 0)), deploy)!;
    expect(change.pValue).toBeLessThan(0.001);
    expect(change.changed).toBe(false);
    expect(levelChangeAfter(withNoise(42, (i) => (i >= 600 ? 0.006 : 0)), deploy, { minSize: 0.2 })!.changed).toBe(true);
  });

  it('applies the direction filter: a drop is no regression for latency (up), and the test becomes one-sided', () => {
    const points = withNoise(43, (i) => (i >= 600 ? -0.04 : 0));
    expect(levelChangeAfter(points, deploy, { direction: 'up' })).toMatchObject({ changed: false, direction: 'down' });
    expect(levelChangeAfter(points, deploy, { direction: 'up' })!.pValue).toBeGreaterThan(0.99);
    expect(levelChangeAfter(points, deploy, { direction: 'down' })).toMatchObject({ changed: true, direction: 'down' });
  });

  it('leaves out the rollout (excludeMs) and compares only windowMs on each side', () => {
    // During the 10-minute rollout latency is wild; 3 h later an unrelated shift happens.
    const points = withNoise(44, (i) => (i >= 600 && i < 610 ? 5 : 0) + (i >= 780 ? 0.1 : 0));
    const change = levelChangeAfter(points, deploy, { excludeMs: 10 * MINUTE, windowMs: 120 * MINUTE })!;
    expect(change).toMatchObject({ changed: false, pointsBefore: 120, pointsAfter: 120 });
    expect(levelChangeAfter(points, deploy)!.changed).toBe(true);
  });

  it('needs minPoints (default 10) finite points on each side, and ignores NaN and Infinity', () => {
    const points = latency(45, 0.04);
    expect(levelChangeAfter(points.slice(591, 700), deploy)).toBeUndefined();
    expect(levelChangeAfter(points.slice(590, 700), deploy)).toBeDefined();
    const dirty = points.flatMap((p) => [p, { timestamp: p.timestamp + 1, value: NaN }, { timestamp: NaN, value: 1 }, { timestamp: p.timestamp + 2, value: Infinity }]);
    expect(levelChangeAfter(dirty, deploy)).toEqual(levelChangeAfter(points, deploy));
  });

  it('sizes a change of a series that was flat before by the spread after it', () => {
    const x = normal(46);
    const points = series(200, (i) => (i < 100 ? 0 : 3 + x()));
    const change = levelChangeAfter(points, T0 + 100 * MINUTE)!;
    expect(change.changed).toBe(true);
    expect(change.sigma).toBeGreaterThan(0.7);
    expect(change.sigma).toBeLessThan(1.3);
  });
});
