import type { CostMatrix } from './labels.js';
import { MAX_TP } from './sigmoid.js';
import type { LabelledRows } from './windows.js';

/** One file's detector scores next to its labelled rows. */
export interface ScoredFile {
  /** `<category>/<file>.csv`. */
  readonly name: string;
  readonly labels: LabelledRows;
  /** The detector's anomaly score per row, in [0, 1]. */
  readonly scores: Float64Array;
}

/** The corpus' scorable rows (probation dropped), flattened and sorted by anomaly score, highest first. */
export interface SweepInput {
  readonly scores: Float64Array;
  /** Corpus-wide window index of each row, or a negative number outside every window. */
  readonly window: Int32Array;
  /** Unweighted reward of each row (see LabelledRows.reward). */
  readonly reward: Float64Array;
  /** The windows that have scorable rows, in the order they first appear in the sorted rows. */
  readonly windows: Int32Array;
  /** Corpus-wide window count (the index space of `window`). */
  readonly windowCount: number;
}

/** The corpus score when every row scoring at least `threshold` is a detection, with row counts. */
export interface ThresholdScore {
  readonly threshold: number;
  readonly score: number;
  /** Rows inside windows that are detections. */
  readonly tp: number;
  /** Rows outside windows that are not. */
  readonly tn: number;
  /** Rows outside windows that are detections. */
  readonly fp: number;
  /** Rows inside windows that are not. */
  readonly fn: number;
}

/** NAB's first threshold: above every score, so nothing is detected (the null detector's score). */
export const NO_DETECTION_THRESHOLD = 1.1;

/**
 * Gathers the scorable rows of all files and sorts them by score, highest first (ties keep file
 * and row order, as Python's stable sort). Done once per detector; the sweep then runs per profile.
 */
export function prepareSweep(files: readonly ScoredFile[]): SweepInput {
  let total = 0;
  for (const f of files) {
    if (f.scores.length !== f.labels.window.length) throw new Error(`${f.name}: ${f.scores.length} scores for ${f.labels.window.length} rows`);
    for (const w of f.labels.window) if (w >= -1) total++;
  }
  const rawScores = new Float64Array(total);
  const rawWindow = new Int32Array(total);
  const rawReward = new Float64Array(total);
  let k = 0;
  let windowOffset = 0;
  for (const f of files) {
    const { window, reward } = f.labels;
    for (let i = 0; i < window.length; i++) {
      if (window[i]! < -1) continue;
      rawScores[k] = f.scores[i]!;
      rawWindow[k] = window[i]! >= 0 ? window[i]! + windowOffset : -1;
      rawReward[k] = reward[i]!;
      k++;
    }
    windowOffset += f.labels.windowCount;
  }
  const order = Array.from({ length: total }, (_, i) => i).sort((a, b) => rawScores[b]! - rawScores[a]! || a - b);
  const scores = new Float64Array(total);
  const window = new Int32Array(total);
  const reward = new Float64Array(total);
  const seen = new Uint8Array(windowOffset);
  const windows: number[] = [];
  order.forEach((from, to) => {
    scores[to] = rawScores[from]!;
    window[to] = rawWindow[from]!;
    reward[to] = rawReward[from]!;
    const w = rawWindow[from]!;
    if (w >= 0 && !seen[w]) {
      seen[w] = 1;
      windows.push(w);
    }
  });
  return { scores, window, reward, windows: Int32Array.from(windows), windowCount: windowOffset };
}

/**
 * NAB's threshold sweep (`Sweeper.calcScoreByThreshold`): walks the rows from the highest score
 * down; each row becomes a detection. A window's part of the score starts at −fnWeight and becomes
 * the best (i.e. earliest) detection's reward × tpWeight / MAX_TP; each detection outside windows
 * adds its reward × fpWeight. One entry per distinct score (the score once every row at or above
 * it is a detection), preceded by the NO_DETECTION_THRESHOLD entry, thresholds decreasing.
 */
export function sweepThresholds(input: SweepInput, cost: CostMatrix): ThresholdScore[] {
  const { scores, window, reward, windows } = input;
  const parts = new Float64Array(input.windowCount);
  for (const w of windows) parts[w] = -cost.fnWeight;
  let fpPart = 0;
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (const w of window) if (w >= 0) fn++;
  let tn = window.length - fn;
  // The windows' sum is recomputed only when a window's part changed since the last entry (rarely:
  // once per earlier detection in a window), so a corpus with N distinct scores sweeps in O(N).
  // It sums in NAB's order apart from the false-positive part added last: a rounding difference only.
  let windowSum = 0;
  let windowsChanged = true;
  const total = () => {
    if (windowsChanged) {
      windowSum = 0;
      for (const w of windows) windowSum += parts[w]!;
      windowsChanged = false;
    }
    return windowSum + fpPart;
  };
  const result: ThresholdScore[] = [];
  let threshold = NO_DETECTION_THRESHOLD;
  for (let k = 0; k < scores.length; k++) {
    if (scores[k] !== threshold) {
      result.push({ threshold, score: total(), tp, tn, fp, fn });
      threshold = scores[k]!;
    }
    const w = window[k]!;
    if (w >= 0) {
      tp++;
      fn--;
      const tpReward = (reward[k]! * cost.tpWeight) / MAX_TP;
      if (tpReward > parts[w]!) {
        parts[w] = tpReward;
        windowsChanged = true;
      }
    } else {
      fp++;
      tn--;
      fpPart += reward[k]! * cost.fpWeight;
    }
  }
  result.push({ threshold, score: total(), tp, tn, fp, fn });
  return result;
}

/**
 * The threshold that maximises the corpus score (NAB's optimizer): the highest score wins; among
 * equal scores, the highest threshold (the first in sweep order, as NAB's stable sort keeps it).
 */
export function bestThreshold(sweep: readonly ThresholdScore[]): ThresholdScore {
  return sweep.reduce((best, row) => (row.score > best.score ? row : best));
}
