import type { CostMatrix } from './labels.js';
import { MAX_TP } from './sigmoid.js';
import type { ScoredFile } from './sweep.js';

/**
 * One file's NAB score at a fixed threshold, computed directly (what NAB's scoring step reports per
 * file): rows scoring at least `threshold` are detections; probation rows are ignored; each window
 * earns its first detection's reward × tpWeight / MAX_TP or costs fnWeight without one; each
 * detection outside windows adds its (negative) reward × fpWeight. The threshold sweep must agree
 * with the sum of these over the corpus at each of its thresholds.
 */
export function scoreAtThreshold(file: ScoredFile, cost: CostMatrix, threshold: number): number {
  const { window, reward } = file.labels;
  const firstDetection = new Map<number, number>();
  const scoredWindows = new Set<number>();
  let fpPart = 0;
  for (let i = 0; i < window.length; i++) {
    const w = window[i]!;
    if (w >= 0) scoredWindows.add(w);
    if (w < -1 || file.scores[i]! < threshold) continue;
    if (w >= 0) {
      if (!firstDetection.has(w)) firstDetection.set(w, i);
    } else {
      fpPart += reward[i]! * cost.fpWeight;
    }
  }
  let windowPart = 0;
  for (const w of scoredWindows) {
    const i = firstDetection.get(w);
    windowPart += i === undefined ? -cost.fnWeight : (reward[i]! * cost.tpWeight) / MAX_TP;
  }
  return fpPart + windowPart;
}
