import type { Anomaly, AnomalySource } from './anomaly.js';

/**
 * What `GET /ai/api/v1/series` shows, the same for every source: each watched series (a
 * Prometheus query, the error lines per service of the logs, the mean time of each SQL
 * statement) with its label sets, and for one series their points with the baseline band and the
 * scores, so that a UI draws any of them the same way.
 */

/** Points of each label set kept for drawing (default 720: 12 h of one-minute steps). */
export const DEFAULT_KEEP_POINTS = 720;

/** One point as a source keeps it. */
export interface SeriesPoint {
  /** ms since the epoch. */
  readonly t: number;
  readonly value: number;
  /** The baseline's prediction (after warm-up). */
  readonly expected?: number;
  /** One robust sigma around `expected`: the band is expected ± 3 × scale. */
  readonly scale?: number;
  /** Anomaly score in [0, 1) (scored series). */
  readonly score?: number;
}

/** One line of the list of series. */
export interface SeriesListing {
  readonly id: string;
  readonly source: AnomalySource;
  readonly description: string;
  /** The anomaly kind it raises. */
  readonly kind: string;
  readonly unit: string;
  /** Label sets tracked now. */
  readonly labelSets: number;
}

/** One label set of a series with its points. */
export interface LabelSetView {
  readonly labels: Readonly<Record<string, string>>;
  readonly points: readonly SeriesPoint[];
  /** The anomaly open on it, if any. */
  readonly anomaly?: Anomaly;
  /** The LevelShiftDetected anomaly held on it, if any (metrics). */
  readonly levelShift?: Anomaly;
}

/** One series in full. */
export interface SeriesView extends Omit<SeriesListing, 'labelSets'> {
  /** The PromQL expression (metrics). */
  readonly query?: string;
  /** Time between two points, s (for queries: the poll interval; a sample needs enough calls, so points may be further apart). */
  readonly stepSeconds: number;
  readonly labelSets: readonly LabelSetView[];
}

/** A source's series. */
export interface SeriesProvider {
  seriesList(): SeriesListing[];
  /** Series `id` with at most `limit` label sets (open anomalies first), or undefined when it is not this source's. */
  seriesView(id: string, limit: number): SeriesView | undefined;
}

/** Adds `point` to `points`, keeping the newest `keep`. */
export function keepPoint(points: SeriesPoint[], point: SeriesPoint, keep = DEFAULT_KEEP_POINTS): void {
  points.push(point);
  if (points.length > keep) points.splice(0, points.length - keep);
}

/** The JSON of one point: non-finite values as null, the band as lower/upper (expected ± 3 scale). */
export function pointJson(p: SeriesPoint): Record<string, number | null> {
  return {
    t: p.t,
    value: Number.isFinite(p.value) ? p.value : null,
    ...(p.expected !== undefined && p.scale !== undefined ? { expected: p.expected, lower: p.expected - 3 * p.scale, upper: p.expected + 3 * p.scale } : {}),
    ...(p.score !== undefined ? { score: p.score } : {}),
  };
}

/** Label sets with an open anomaly first, then the rest, each group in `order`; at most `limit`. */
export function firstLabelSets(sets: readonly LabelSetView[], limit: number, order: (a: LabelSetView, b: LabelSetView) => number = () => 0): LabelSetView[] {
  const open = (s: LabelSetView) => (s.anomaly || s.levelShift ? 0 : 1);
  return [...sets].sort((a, b) => open(a) - open(b) || order(a, b)).slice(0, limit);
}
