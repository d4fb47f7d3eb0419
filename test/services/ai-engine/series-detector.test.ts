import { describe, expect, it } from 'vitest';
import { AnomalyState } from '../../../src/services/ai-engine/detect/anomaly-state.js';
import { SeriesDetector, type PointScore, type SeriesDetectorOptions } from '../../../src/services/ai-engine/detect/series-detector.js';
import { normal, series, MINUTE, HOUR } from './synthetic-series.js';

/**
 * The streaming detector on synthetic series: what must alert (spike, level shift, a day that
 * loses its pattern) and what must not (noise, a daily pattern, slow drift), streaming (a prefix
 * scores like the start of the whole), robust to gaps and junk values.
 */

const ALARM = 0.6; // excess 1.5 with the default scoreHalfExcess 1
const DAY = 24 * HOUR;

function run(points: readonly { timestamp: number; value: number }[], opts: SeriesDetectorOptions = {}): PointScore[] {
  const d = new SeriesDetector(opts);
  return points.map((p) => d.update(p.timestamp, p.value));
}
const alarmsOf = (scores: readonly PointScore[], from = 0) => scores.map((s, i) => (i >= from && s.score >= ALARM ? i : -1)).filter((i) => i >= 0);

describe('SeriesDetector', () => {
  it('scores nothing during warm-up, then stays quiet on plain noise', () => {
    const noise = normal(1);
    const scores = run(series(3000, () => 100 + 5 * noise()));
    expect(scores.slice(0, 60).every((s) => s.score === 0 && s.basis === 'warmup')).toBe(true);
    expect(scores[60]!.basis).toBe('local');
    // 2,000 points of noise after the tail statistics filled: at most a handful of alarms (the 98th percentile is "usual").
    expect(alarmsOf(scores, 1000).length).toBeLessThanOrEqual(3);
    // With persistence (3 of 5) noise never opens an anomaly.
    const state = new AnomalyState();
    expect(scores.map((s) => state.push(s.rawScore)).filter(Boolean)).toEqual([]);
  });

  it('alarms on a spike at once, with the right direction filter', () => {
    const noise = normal(2);
    const points = series(1500, (i) => 50 + 2 * noise() + (i === 1200 ? 40 : 0));
    expect(alarmsOf(run(points), 1000)).toEqual([1200]);
    expect(alarmsOf(run(points, { direction: 'down' }), 1000)).toEqual([]);
    const dip = series(1500, (i) => 50 + 2 * noise() - (i === 1200 ? 40 : 0));
    expect(alarmsOf(run(dip, { direction: 'down' }), 1000)).toEqual([1200]);
    expect(alarmsOf(run(dip, { direction: 'up' }), 1000)).toEqual([]);
  });

  it('alarms on the first point of a level shift, then re-learns the new level', () => {
    const noise = normal(3);
    const scores = run(series(3000, (i) => 20 + noise() + (i >= 1500 ? 15 : 0)));
    expect(scores[1500]!.rawScore).toBeGreaterThan(0.8);
    expect(scores[1499]!.rawScore).toBeLessThan(ALARM);
    // Undamped scores fall back once the local median moved to the new level.
    expect(scores.slice(1600, 3000).filter((s) => s.rawScore >= ALARM).length).toBeLessThanOrEqual(3);
  });

  it('does not alert on a daily pattern, but does when a day loses it', () => {
    const noise = normal(4);
    const step = 5 * MINUTE;
    const daily = (i: number) => 100 + 60 * Math.sin((2 * Math.PI * i * step) / DAY) + 2 * noise();
    const pattern = run(series(288 * 10, daily, step));
    // From day 3 on the seasonal prediction holds: no alarm on the regular rises and falls (a
    // noise alarm about once per 2,000 points is the operating point: AnomalyState filters it).
    expect(alarmsOf(pattern, 288 * 3).length).toBeLessThanOrEqual(1);
    expect(pattern.at(-1)!.basis).toBe('seasonal');
    // Day 8 is flat at the daily mean: the first points that depart from the pattern alarm.
    const flat = run(series(288 * 10, (i) => (i >= 288 * 8 && i < 288 * 9 ? 100 + 2 * noise() : daily(i)), step));
    const alarms = alarmsOf(flat, 288 * 3);
    expect(alarms.length).toBeGreaterThan(0);
    expect(alarms[0]).toBeGreaterThanOrEqual(288 * 8);
    expect(alarms[0]).toBeLessThan(288 * 8 + 60);
  });

  it('follows a slow drift without alarms', () => {
    const noise = normal(5);
    const scores = run(series(5000, (i) => 10 + i * 0.01 + noise()));
    expect(alarmsOf(scores, 1000).length).toBeLessThanOrEqual(2);
  });

  it('tolerates gaps, repeated and out-of-order timestamps, NaN and Infinity (scored 0, not learnt)', () => {
    const noise = normal(6);
    const points = series(2000, () => 5 + noise()).filter((_, i) => i % 7 !== 0 && !(i > 900 && i < 1100));
    const junk = [...points.slice(0, 1500)];
    junk.splice(800, 0, { timestamp: junk[799]!.timestamp, value: 5 }, { timestamp: junk[700]!.timestamp, value: 1e9 }, { timestamp: junk[799]!.timestamp + 1, value: NaN });
    const scores = run(junk);
    expect(scores.every((s) => s.score >= 0 && s.score < 1 && Number.isFinite(s.score))).toBe(true);
    expect(scores.slice(800, 803).map((s) => s.score)).toEqual([0, 0, 0]);
    expect(alarmsOf(scores, 803).length).toBeLessThanOrEqual(3);
  });

  it('is streaming: the scores of a prefix equal the first scores of the whole series', () => {
    const noise = normal(7);
    const points = series(1200, (i) => 30 + 3 * noise() + (i % 400 === 399 ? 25 : 0));
    const whole = run(points).map((s) => s.score);
    expect(run(points.slice(0, 700)).map((s) => s.score)).toEqual(whole.slice(0, 700));
  });

  it('reports the prediction and a robust sigma for drawing a band', () => {
    const noise = normal(8);
    const last = run(series(1000, () => 40 + 2 * noise())).at(-1)!;
    expect(last.expected).toBeCloseTo(40, 0);
    expect(last.scale).toBeGreaterThan(1.5);
    expect(last.scale).toBeLessThan(2.5);
  });
});

describe('snapshots (a restarted engine does not re-learn)', () => {
  it('a detector restored from its JSON snapshot scores the rest of the series exactly as the original', () => {
    const noise = normal(10);
    const step = 5 * MINUTE;
    const points = series(288 * 9, (i) => 100 + 40 * Math.sin((2 * Math.PI * i * step) / DAY) + 2 * noise() + (i === 288 * 8 + 7 ? 50 : 0), step);
    const original = new SeriesDetector();
    points.slice(0, 288 * 8).forEach((p) => original.update(p.timestamp, p.value));
    const json = JSON.parse(JSON.stringify(original.snapshot()));
    const restored = SeriesDetector.restore(json);
    const rest = points.slice(288 * 8);
    expect(rest.map((p) => restored.update(p.timestamp, p.value))).toEqual(rest.map((p) => original.update(p.timestamp, p.value)));
    // The seasonal history came along: the restored detector predicts from yesterday at once.
    expect(restored.update(points.at(-1)!.timestamp + step, 100).basis).toBe('seasonal');
    // A fresh detector would still be warming up.
    expect(new SeriesDetector().update(points[0]!.timestamp, 100).basis).toBe('warmup');
  });

  it('an AnomalyState restored from its JSON continues the same way', () => {
    const original = new AnomalyState();
    [0.1, 0.9, 0.7].forEach((s) => original.push(s));
    const restored = AnomalyState.fromJSON(JSON.parse(JSON.stringify(original)));
    const next = [0.8, 0.3, 0.3, 0.3, 0.3, 0.3];
    expect(next.map((s) => restored.push(s))).toEqual(next.map((s) => original.push(s)));
  });

  it('refuses a snapshot of an unknown version', () => {
    expect(() => SeriesDetector.restore({ ...new SeriesDetector().snapshot(), version: 2 as 1 })).toThrow(/unknown detector snapshot version 2/);
  });
});

describe('AnomalyState (persistence and hysteresis)', () => {
  it('opens on 3 of 5 high points, not on one; closes after 5 calm points in a row, not on one dip', () => {
    const state = new AnomalyState();
    const transitions = [0.1, 0.9, 0.1, 0.1, 0.1, 0.1].map((s) => state.push(s));
    expect(transitions.filter(Boolean)).toEqual([]);
    expect([0.7, 0.2, 0.8, 0.65].map((s) => state.push(s))).toEqual([undefined, undefined, undefined, 'opened']);
    // A calm point among high ones, and scores between closeScore and openScore, keep it open.
    expect([0.1, 0.5, 0.5, 0.3, 0.3, 0.3, 0.3].map((s) => state.push(s))).toEqual([undefined, undefined, undefined, undefined, undefined, undefined, undefined]);
    expect(state.open).toBe(true);
    expect(state.push(0.3)).toBe('closed');
    expect(state.open).toBe(false);
  });

  it('opens on a sustained level shift from the raw (undamped) scores of the detector', () => {
    const noise = normal(9);
    const scores = run(series(2000, (i) => 20 + noise() + (i >= 1500 ? 15 : 0)));
    const state = new AnomalyState();
    const opened = scores.map((s, i) => (state.push(s.rawScore) === 'opened' ? i : -1)).filter((i) => i >= 0);
    expect(opened).toEqual([1502]);
  });

  it('refuses inconsistent settings', () => {
    expect(() => new AnomalyState({ openScore: 0.5, closeScore: 0.6 })).toThrow(RangeError);
    expect(() => new AnomalyState({ openK: 6, window: 5 })).toThrow(RangeError);
  });
});
