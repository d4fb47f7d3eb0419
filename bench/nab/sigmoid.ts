/**
 * NAB's scaled sigmoid: the reward of a detection by its position relative to an anomaly window.
 *
 * The position is measured in window widths from the window's right edge: -1 is the left edge
 * (the earliest true positive, ≈ +0.987), 0 the right edge (0), positive values lie after the
 * window (false positives, down to ≈ -0.987 one window width later). Beyond 3 widths the value is
 * exactly -1, as in NAB's sweeper.
 */
export function scaledSigmoid(relativePosition: number): number {
  if (relativePosition > 3) return -1;
  return 2 / (1 + Math.exp(5 * relativePosition)) - 1;
}

/** The reward of a detection at the very start of a window (NAB's `maxTP`), used to scale TP rewards to 1. */
export const MAX_TP = scaledSigmoid(-1);
