/**
 * The AI engine's detection core: pure functions and streaming state, no I/O.
 */
export { AnomalyState, type AnomalyStateOptions, type AnomalyTransition } from './anomaly-state.js';
export { SeriesDetector, type Direction, type PointScore, type SeriesDetectorOptions } from './series-detector.js';
import { SeriesDetector, type SeriesDetectorOptions } from './series-detector.js';

/** A detector of one series as the NAB benchmark and the `detect` command use it: one score in [0, 1] per row, in order. */
export function createSeriesDetector(opts: SeriesDetectorOptions = {}): { score(timestampMs: number, value: number): number } {
  const detector = new SeriesDetector(opts);
  return { score: (timestampMs, value) => detector.update(timestampMs, value).score };
}
