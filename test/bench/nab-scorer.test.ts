import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadBenchmark, SHARED_NAB_DIR, type Benchmark } from '../../bench/nab/benchmark.js';
import { loadResults } from '../../bench/nab/corpus.js';
import { CsvError, parseTimeSeriesCsv } from '../../bench/nab/csv.js';
import type { AnomalyWindow, CostMatrix } from '../../bench/nab/labels.js';
import { normalisedScore, perfectScore } from '../../bench/nab/normalise.js';
import { readPublishedScores } from '../../bench/nab/published.js';
import { scoreDetector } from '../../bench/nab/score.js';
import { MAX_TP, scaledSigmoid } from '../../bench/nab/sigmoid.js';
import { bestThreshold, NO_DETECTION_THRESHOLD, prepareSweep, sweepThresholds, type ScoredFile } from '../../bench/nab/sweep.js';
import { scoreAtThreshold } from '../../bench/nab/threshold-score.js';
import { parseNabTimestamp } from '../../bench/nab/timestamps.js';
import { labelRows, OUTSIDE, PROBATION, probationLength } from '../../bench/nab/windows.js';
import { toolsPresent } from '../support/process.js';

/**
 * The TypeScript port of NAB's scorer (bench/nab/): its pieces on tiny hand-made series, then the
 * whole port against the scores NAB published for the reference detectors of ../shared/nab.
 */

const STANDARD: CostMatrix = { tpWeight: 1, fpWeight: 0.11, fnWeight: 1 };
const LOW_FN: CostMatrix = { tpWeight: 1, fpWeight: 0.11, fnWeight: 2 };
const MINUTE = 60_000;
const T0 = Date.UTC(2014, 3, 1);

/** A NAB timestamp `minutes` after T0. */
const stamp = (minutes: number) => new Date(T0 + minutes * MINUTE).toISOString().replace('T', ' ').slice(0, 19);
/** A window over rows `first..last` of a one-row-per-minute series. */
const rowsWindow = (first: number, last: number): AnomalyWindow => ({ startText: stamp(first), endText: stamp(last), start: T0 + first * MINUTE, end: T0 + last * MINUTE });
/** Times of `rows` rows, one a minute from T0. */
const minutes = (rows: number) => Float64Array.from({ length: rows }, (_, i) => T0 + i * MINUTE);

/**
 * A 40-row file: probation rows 0..5 (15 % of 40), one window over rows 20..29 (10 rows wide),
 * with detections (score 1) at the given rows and 0 elsewhere.
 */
function tinyFile(detections: number[], name = 'tiny/one-window.csv'): ScoredFile {
  const scores = new Float64Array(40);
  for (const row of detections) scores[row] = 1;
  return { name, labels: labelRows(minutes(40), [rowsWindow(20, 29)], name), scores };
}
/** The raw NAB score of files at threshold 0.5 (score 1 = detection). */
const raw = (cost: CostMatrix, ...files: ScoredFile[]) => files.reduce((sum, f) => sum + scoreAtThreshold(f, cost, 0.5), 0);

describe('NAB scorer pieces', () => {
  it('scaled sigmoid: ≈ +0.987 at a window start, 0 at its end, ≈ -0.987 one width after, exactly -1 beyond 3 widths', () => {
    expect(scaledSigmoid(-1)).toBeCloseTo(0.98661, 5);
    expect(scaledSigmoid(-0.5)).toBeCloseTo(0.84828, 5);
    expect(scaledSigmoid(0)).toBe(0);
    expect(scaledSigmoid(1)).toBeCloseTo(-0.98661, 5);
    expect(scaledSigmoid(3.0001)).toBe(-1);
    expect(MAX_TP).toBe(scaledSigmoid(-1));
  });

  it('probation: floor(15 % of the rows), at most 750 rows', () => {
    expect(probationLength(40)).toBe(6);
    expect(probationLength(4032)).toBe(604);
    expect(probationLength(22_695)).toBe(750);
  });

  it('reads NAB timestamps as UTC, with or without the label files’ microseconds, and refuses others', () => {
    expect(parseNabTimestamp('2014-04-10 07:15:00')).toBe(Date.UTC(2014, 3, 10, 7, 15));
    expect(parseNabTimestamp('2014-04-10 07:15:00.000000')).toBe(Date.UTC(2014, 3, 10, 7, 15));
    expect(parseNabTimestamp('2014-04-10 07:15:00.25')).toBe(Date.UTC(2014, 3, 10, 7, 15, 0, 250));
    expect(parseNabTimestamp('2016-02-29T23:59:59')).toBe(Date.UTC(2016, 1, 29, 23, 59, 59));
    const bad = ['2014-04-10', '2014-02-30 00:00:00', '2015-02-29 00:00:00', '2014-13-01 00:00:00', '2014-04-10 24:00:00', '2014-04-10 07:15:00.', '2014-04-10 7:15:00', '2014-04-10 07:15:0x', '10/04/2014 07:15', ''];
    for (const text of bad) expect(parseNabTimestamp(text), text).toBeUndefined();
  });

  it('labels rows: probation first, then outside / inside the window; rewards fall through the window and after it', () => {
    const { window, reward } = tinyFile([]).labels;
    expect([...window.slice(0, 6)].every((w) => w === PROBATION)).toBe(true);
    expect(window[6]).toBe(OUTSIDE);
    expect([...window.slice(20, 30)].every((w) => w === 0)).toBe(true);
    expect(window[30]).toBe(OUTSIDE);
    expect(reward[19]).toBe(-1); // before the first window: a full false positive
    expect(reward[20]).toBe(MAX_TP);
    expect(reward[29]).toBeCloseTo(scaledSigmoid(-0.1), 12);
    expect(reward[30]).toBeCloseTo(scaledSigmoid(1 / 9), 12);
    expect(reward[39]).toBeCloseTo(scaledSigmoid(10 / 9), 12);
  });

  it('refuses a window bound that is not a row timestamp (as NAB’s labeler does)', () => {
    const off: AnomalyWindow = { ...rowsWindow(20, 29), startText: 'between rows', start: T0 + 20.5 * MINUTE };
    expect(() => labelRows(minutes(40), [off], 'tiny/off.csv')).toThrow(/tiny\/off.csv: the window bound between rows is not the timestamp of a row/);
  });

  it('a detection at the start of a window earns +1 × the TP weight; a miss costs the FN weight', () => {
    expect(raw(STANDARD, tinyFile([20]))).toBeCloseTo(1, 12);
    expect(raw(STANDARD, tinyFile([]))).toBe(-1);
    expect(raw(LOW_FN, tinyFile([]))).toBe(-2);
  });

  it('a later detection in the window earns less, down to ≈ 0 at its last row', () => {
    const rewards = [20, 22, 25, 29].map((row) => raw(STANDARD, tinyFile([row])));
    expect(rewards).toEqual([...rewards].sort((a, b) => b - a));
    expect(rewards[3]).toBeCloseTo(scaledSigmoid(-0.1) / MAX_TP, 12);
    expect(rewards[3]).toBeGreaterThan(0);
  });

  it('only the first detection in a window counts', () => {
    expect(raw(STANDARD, tinyFile([22, 25, 27, 29]))).toBe(raw(STANDARD, tinyFile([22])));
    expect(raw(STANDARD, tinyFile([20, 21]))).toBeCloseTo(1, 12);
  });

  it('a false positive right after a window costs a fraction of the FP weight; far after, or before any window, the full weight', () => {
    const justAfter = raw(STANDARD, tinyFile([20, 30])) - 1;
    expect(justAfter).toBeCloseTo(0.11 * scaledSigmoid(1 / 9), 12);
    expect(justAfter).toBeLessThan(0);
    expect(justAfter).toBeGreaterThan(-0.11);
    expect(raw(STANDARD, tinyFile([20, 10])) - 1).toBeCloseTo(-0.11, 12);
    // 40 rows after a 10-row window is more than 3 widths: -1 × fpWeight.
    const long: ScoredFile = { name: 'tiny/long.csv', labels: labelRows(minutes(80), [rowsWindow(20, 29)], 'tiny/long.csv'), scores: new Float64Array(80) };
    long.scores[20] = 1;
    long.scores[70] = 1;
    expect(raw(STANDARD, long) - 1).toBeCloseTo(-0.11, 12);
  });

  it('ignores detections in the probation period', () => {
    expect(raw(STANDARD, tinyFile([0, 3, 5]))).toBe(-1);
    expect(raw(STANDARD, tinyFile([6]))).toBeCloseTo(-1 - 0.11, 12);
  });

  it('normalises between never firing (0) and detecting every window at its start (100)', () => {
    const nullRaw = -1 * 3;
    const perfect = perfectScore(3, STANDARD);
    expect(normalisedScore(nullRaw, nullRaw, perfect)).toBe(0);
    expect(normalisedScore(perfect, nullRaw, perfect)).toBe(100);
    expect(normalisedScore(0, nullRaw, perfect)).toBe(50);
    expect(() => normalisedScore(0, 0, perfectScore(0, STANDARD))).toThrow(/no anomaly window/);
  });
});

describe('NAB threshold sweep', () => {
  /** A deterministic pseudo-random corpus: 3 files with windows, ties and scores in [0, 1]. */
  function corpus(): ScoredFile[] {
    let seed = 7;
    const random = () => ((seed = (seed * 16_807) % 2_147_483_647) / 2_147_483_647);
    return [
      [200, [rowsWindow(60, 80), rowsWindow(140, 160)]],
      [120, []],
      [300, [rowsWindow(200, 230)]],
    ].map(([rows, windows], f) => {
      const name = `synthetic/file-${f}.csv`;
      // Rounded to 2 decimals: many ties, as detectors that saturate at 1.0 produce.
      const scores = Float64Array.from({ length: rows as number }, () => Math.round(random() ** 3 * 100) / 100);
      return { name, labels: labelRows(minutes(rows as number), windows as AnomalyWindow[], name), scores };
    });
  }

  it('gives, at every threshold, the summed per-file score of the rows scoring at least that threshold', () => {
    const files = corpus();
    const sweep = sweepThresholds(prepareSweep(files), STANDARD);
    expect(sweep[0]!.threshold).toBe(NO_DETECTION_THRESHOLD);
    expect(sweep[0]!.score).toBe(-3);
    for (const row of sweep) {
      expect(row.score).toBeCloseTo(files.reduce((s, f) => s + scoreAtThreshold(f, STANDARD, row.threshold), 0), 9);
    }
  });

  it('has one entry per distinct score, thresholds decreasing, with row counts that add up', () => {
    const files = corpus();
    const sweep = sweepThresholds(prepareSweep(files), STANDARD);
    const distinct = new Set(files.flatMap((f) => [...f.scores.slice(probationLength(f.scores.length))]));
    expect(sweep).toHaveLength(distinct.size + 1);
    for (let i = 1; i < sweep.length; i++) expect(sweep[i]!.threshold).toBeLessThan(sweep[i - 1]!.threshold);
    const scorable = files.reduce((n, f) => n + f.scores.length - probationLength(f.scores.length), 0);
    for (const { tp, tn, fp, fn } of sweep) expect(tp + tn + fp + fn).toBe(scorable);
    expect(sweep.at(-1)).toMatchObject({ tn: 0, fn: 0 });
  });

  it('detects rows with equal scores together', () => {
    const file = tinyFile([]);
    file.scores.fill(0.5);
    file.scores[20] = 0.9;
    file.scores[35] = 0.9; // a false positive tied with the true positive
    const sweep = sweepThresholds(prepareSweep([file]), STANDARD);
    expect(sweep.map((r) => r.threshold)).toEqual([NO_DETECTION_THRESHOLD, 0.9, 0.5]);
    expect(sweep[1]).toMatchObject({ tp: 1, fp: 1 });
    expect(sweep[1]!.score).toBeCloseTo(1 + 0.11 * scaledSigmoid(6 / 9), 12);
  });

  it('picks the best score; among equal scores the highest threshold', () => {
    expect(bestThreshold([{ threshold: 1.1, score: -1 }, { threshold: 0.9, score: 2 }, { threshold: 0.8, score: 2 }, { threshold: 0.1, score: 0 }].map((r) => ({ ...r, tp: 0, tn: 0, fp: 0, fn: 0 })))).toMatchObject({ threshold: 0.9 });
  });

  it('scores a perfect detector 100 and a never-firing one 0 on every profile', () => {
    const files = [tinyFile([20]), tinyFile([], 'tiny/two.csv')];
    files[1]!.scores[20] = 1;
    const profiles = new Map([['standard', STANDARD], ['low_FN', LOW_FN]]);
    const perfect = scoreDetector(files, new Map(files.map((f) => [f.name, f.scores])), profiles);
    expect(perfect.map((p) => p.score)).toEqual([100, 100]);
    const never = scoreDetector(files, new Map(files.map((f) => [f.name, new Float64Array(40)])), profiles);
    expect(never.map((p) => p.score)).toEqual([0, 0]);
  });

  it('takes the null baseline as NAB’s null detector scores: the better of detecting no row and every row', () => {
    const files = [tinyFile([]), tinyFile([], 'tiny/two.csv')];
    const [standard, lowFn] = scoreDetector(files, new Map(files.map((f) => [f.name, f.scores])), new Map([['standard', STANDARD], ['low_FN', LOW_FN]]));
    // Standard: 2 misses (-2) beat 2 early detections (+2) with 2 × 28 false positives.
    expect(standard!.nullRaw).toBe(-2);
    // Low FN: 2 misses cost -4; detecting every row of these short files costs less.
    const everything = files.reduce((s, f) => s + scoreAtThreshold(f, LOW_FN, 0), 0);
    expect(everything).toBeGreaterThan(-4);
    expect(lowFn!.nullRaw).toBeCloseTo(everything, 12);
  });
});

describe('NAB CSV files', () => {
  it('reads timestamp and the named column, keeping the timestamps verbatim', () => {
    const t = parseTimeSeriesCsv('timestamp,value\n2014-04-01 00:00:00,1.5\r\n2014-04-01 00:05:00,-2\n\n', 'x.csv', 'value');
    expect(t.timestamps).toEqual(['2014-04-01 00:00:00', '2014-04-01 00:05:00']);
    expect([...t.numbers]).toEqual([1.5, -2]);
    expect(t.times[1]! - t.times[0]!).toBe(5 * MINUTE);
  });

  it('names the file and line of the first problem', () => {
    const cases: [string, RegExp][] = [
      ['', /^x.csv:1: empty file/],
      ['time,value\n', /^x.csv:1: expected the header "timestamp,value", found "time,value"/],
      ['timestamp,value\n2014-04-01 00:00:00,1\n2014-04-01 00:05:00\n', /^x.csv:3: expected 2 fields/],
      ['timestamp,value\n2014-04-01 00:00:00,1\n2014-04-01 25:00:00,1\n', /^x.csv:3: timestamp "2014-04-01 25:00:00" is not "YYYY-MM-DD HH:MM:SS"/],
      ['timestamp,value\n2014-04-01 00:00:00,abc\n', /^x.csv:2: value "abc" is not a finite number/],
      ['timestamp,value\n2014-04-01 00:00:00,\n', /^x.csv:2: value "" is not a finite number/],
    ];
    for (const [text, message] of cases) {
      expect(() => parseTimeSeriesCsv(text, 'x.csv', 'value')).toThrow(CsvError);
      expect(() => parseTimeSeriesCsv(text, 'x.csv', 'value')).toThrow(message);
    }
  });
});

const haveCorpus = toolsPresent(
  'the NAB scorer validation',
  existsSync(join(SHARED_NAB_DIR, 'reference')) ? [] : [`the NAB corpus part at ${SHARED_NAB_DIR}`],
  'it ships next to the repository as ../shared/nab',
);

describe.runIf(haveCorpus)('NAB scorer port on ../shared/nab (validation against NAB’s published scores)', () => {
  let bench: Benchmark;
  const results = (detector: string) => loadResults(join(SHARED_NAB_DIR, 'reference', detector), bench.corpus);
  const score = (scores: ReadonlyMap<string, Float64Array>) => scoreDetector(bench.labelled, scores, bench.profiles);

  it('loads 35 series and their 55 windows', () => {
    bench = loadBenchmark(SHARED_NAB_DIR);
    expect(bench.corpus).toHaveLength(35);
    expect(bench.windowCount).toBe(55);
    expect([...bench.profiles.keys()]).toEqual(['standard', 'reward_low_FP_rate', 'reward_low_FN_rate']);
  });

  it('reproduces windowedGaussian: 21.97 / 4.87 / 29.80 (standard / reward_low_FP / reward_low_FN)', () => {
    const gaussian = results('windowedGaussian');
    const scores = score(gaussian);
    expect(scores.map((s) => s.profile)).toEqual(['standard', 'reward_low_FP_rate', 'reward_low_FN_rate']);
    const [standard, lowFp, lowFn] = scores.map((s) => s.score);
    expect(Math.abs(standard! - 21.97)).toBeLessThan(0.05);
    expect(Math.abs(lowFp! - 4.87)).toBeLessThan(0.05);
    expect(Math.abs(lowFn! - 29.8)).toBeLessThan(0.05);
    // NAB's scoring step (per file at the swept threshold, then summed) gives the sweep's best score.
    for (const s of scores) {
      const cost = bench.profiles.get(s.profile)!;
      const perFile = bench.labelled.reduce((sum, f) => sum + scoreAtThreshold({ ...f, scores: gaussian.get(f.name)! }, cost, s.best.threshold), 0);
      expect(perFile).toBeCloseTo(s.best.score, 9);
    }
  });

  it('reproduces the null detector: 0 on every profile (its best threshold detects nothing)', () => {
    const scores = score(results('null'));
    expect(scores.map((s) => s.score)).toEqual([0, 0, 0]);
    expect(scores.map((s) => s.best.threshold)).toEqual([NO_DETECTION_THRESHOLD, NO_DETECTION_THRESHOLD, NO_DETECTION_THRESHOLD]);
  });

  it('reads the published table of the README, the figures the bench prints', () => {
    const published = readPublishedScores(join(SHARED_NAB_DIR, 'README.md'));
    expect(published.map((p) => p.detector.split(' ')[0])).toContain('windowedGaussian');
    expect(published.find((p) => p.detector.startsWith('Numenta HTM'))?.scores.get('standard')).toBe(66.59);
    expect(published.every((p) => p.scores.size === 3)).toBe(true);
  });
});
