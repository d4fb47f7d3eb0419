import type { TimeSeriesTable } from './csv.js';

/** A streaming detector of one series: one call per row, in time order, returning the row's anomaly score in [0, 1]. */
export interface SeriesDetector {
  score(timestampMs: number, value: number): number;
}

/** Makes a fresh detector for one series (the platform's `createSeriesDetector`). */
export type SeriesDetectorFactory = () => SeriesDetector;

/**
 * Runs a fresh detector over a series, row by row: each row's score is computed before the next
 * row is seen, so it depends on earlier rows and the row itself only. A score that is not a number
 * in [0, 1] is a detector bug: throws, naming `file` and the CSV line.
 */
export function detectSeries(data: TimeSeriesTable, create: SeriesDetectorFactory, file: string): Float64Array {
  const detector = create();
  const scores = new Float64Array(data.times.length);
  for (let i = 0; i < scores.length; i++) {
    const score = detector.score(data.times[i]!, data.numbers[i]!);
    if (!(score >= 0 && score <= 1)) throw new Error(`${file}:${i + 2}: the detector returned ${score}, not a score in [0, 1]`);
    scores[i] = score;
  }
  return scores;
}
