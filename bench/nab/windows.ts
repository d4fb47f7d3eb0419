import type { AnomalyWindow } from './labels.js';
import { scaledSigmoid } from './sigmoid.js';

/** Row mark: the row lies outside every window (a detection there is a false positive). */
export const OUTSIDE = -1;
/** Row mark: the row lies in the probation period and is never scored. */
export const PROBATION = -2;

/** NAB's default probation: the first 15 % of each file. */
export const PROBATION_PERCENT = 0.15;

/**
 * The number of rows of NAB's probation period: `min(floor(percent × rows), percent × 5000)`,
 * i.e. 15 % of the file, at most 750 rows. Default `percent`: 0.15.
 */
export function probationLength(rows: number, percent = PROBATION_PERCENT): number {
  return Math.min(Math.floor(percent * rows), percent * 5000);
}

/** What the scorer needs to know about each row of one file, whatever the detector. */
export interface LabelledRows {
  /** Per row: the index of the file's window the row lies in, OUTSIDE, or PROBATION. */
  readonly window: Int32Array;
  /**
   * Per row: the unweighted reward of a detection there (NAB's sweep score before the profile's
   * weight). Inside a window, the scaled sigmoid of the position (-1 at the window's first row,
   * → 0 at its last); outside, the (negative) scaled sigmoid of the distance after the preceding
   * window in widths, or -1 before the first window.
   */
  readonly reward: Float64Array;
  /** The number of windows of the file (including any that only probation rows would reach). */
  readonly windowCount: number;
}

/**
 * Labels one file's rows as NAB's Sweeper does (`calcSweepScore`): a window is entered at the row
 * whose time equals its start and left after the row whose time equals its end; the rows before
 * `probationLength(rows)` are marked PROBATION. Every window bound must be the time of a row
 * (NAB's labeler refuses other label files): otherwise this throws, naming `file`.
 */
export function labelRows(times: Float64Array, windows: readonly AnomalyWindow[], file: string, probationPercent = PROBATION_PERCENT): LabelledRows {
  for (const w of windows) {
    for (const [bound, text] of [[w.start, w.startText], [w.end, w.endText]] as const) {
      if (times.indexOf(bound) < 0) throw new Error(`${file}: the window bound ${text} is not the timestamp of a row`);
    }
  }
  const rows = times.length;
  const probation = probationLength(rows, probationPercent);
  const window = new Int32Array(rows);
  const reward = new Float64Array(rows);
  let next = 0; // the next window to enter
  let current = -1; // the window the row is in, or -1
  let currentRight = 0;
  let currentWidth = 0;
  let previousRight = -1; // last row of the preceding window, or -1 before the first window
  let previousWidth = 0;
  for (let i = 0; i < rows; i++) {
    if (next < windows.length && times[i] === windows[next]!.start) {
      current = next++;
      currentRight = times.indexOf(windows[current]!.end);
      currentWidth = currentRight - times.indexOf(windows[current]!.start) + 1;
    }
    if (current >= 0) {
      reward[i] = scaledSigmoid(-(currentRight - i + 1) / currentWidth);
    } else {
      reward[i] = previousRight < 0 ? -1 : scaledSigmoid(Math.abs(previousRight - i) / (previousWidth - 1));
    }
    window[i] = i < probation ? PROBATION : current >= 0 ? current : OUTSIDE;
    if (current >= 0 && times[i] === windows[current]!.end) {
      previousRight = i;
      previousWidth = currentWidth;
      current = -1;
    }
  }
  return { window, reward, windowCount: windows.length };
}
