import type { CostMatrix } from './labels.js';
import { normalisedScore, perfectScore } from './normalise.js';
import { bestThreshold, prepareSweep, sweepThresholds, type ScoredFile, type ThresholdScore } from './sweep.js';
import type { LabelledRows } from './windows.js';

/** A corpus file's labelled rows (see labelRows). */
export interface LabelledFile {
  readonly name: string;
  readonly labels: LabelledRows;
}

/** A detector's result for one profile. */
export interface ProfileScore {
  readonly profile: string;
  /** The normalised NAB score (0 = never fires, 100 = perfect). */
  readonly score: number;
  /** The swept threshold and the raw score and row counts there. */
  readonly best: ThresholdScore;
  /**
   * Raw score of NAB's null detector (a constant score, swept like any detector): the better of
   * detecting no row (−fnWeight per window) and detecting every row. On NAB's corpora that is
   * detecting nothing; on a tiny corpus with few rows outside windows it can be everything.
   */
  readonly nullRaw: number;
  /** Raw score of the perfect detector. */
  readonly perfectRaw: number;
}

/**
 * Scores a detector on a labelled corpus as NAB does, for each profile: threshold sweep over the
 * whole corpus, best threshold, normalisation between never firing and perfect. `scores` holds
 * the detector's anomaly scores per file name; every corpus file needs them.
 */
export function scoreDetector(files: readonly LabelledFile[], scores: ReadonlyMap<string, Float64Array>, profiles: ReadonlyMap<string, CostMatrix>): ProfileScore[] {
  const scored: ScoredFile[] = files.map(({ name, labels }) => {
    const s = scores.get(name);
    if (!s) throw new Error(`no anomaly scores for ${name}`);
    return { name, labels, scores: s };
  });
  const input = prepareSweep(scored);
  const windowCount = files.reduce((n, f) => n + f.labels.windowCount, 0);
  return [...profiles].map(([profile, cost]) => {
    const sweep = sweepThresholds(input, cost);
    // The first sweep entry detects no row, the last detects every row: a constant score's only two choices.
    const nullRaw = Math.max(sweep[0]!.score, sweep.at(-1)!.score);
    const perfectRaw = perfectScore(windowCount, cost);
    const best = bestThreshold(sweep);
    return { profile, score: normalisedScore(best.score, nullRaw, perfectRaw), best, nullRaw, perfectRaw };
  });
}
