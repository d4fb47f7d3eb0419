import type { CostMatrix } from './labels.js';

/**
 * NAB's raw score of the perfect detector: every window detected at its first row,
 * `tpWeight × windows` (NAB counts the windows of the label file).
 */
export function perfectScore(windowCount: number, cost: CostMatrix): number {
  return cost.tpWeight * windowCount;
}

/**
 * NAB's normalised score: `100 × (raw − null) / (perfect − null)`, where `nullRaw` is the raw
 * score of NAB's null detector (constant score; on NAB's corpora it never fires: −fnWeight per
 * window): 0 for the null detector, 100 for the perfect one, negative for a worse detector.
 */
export function normalisedScore(raw: number, nullRaw: number, perfectRaw: number): number {
  if (perfectRaw === nullRaw) throw new Error('the corpus has no anomaly window: a NAB score is undefined');
  return (100 * (raw - nullRaw)) / (perfectRaw - nullRaw);
}
