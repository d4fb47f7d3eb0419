import { median, medianInPlace } from './order-statistics.js';

/**
 * Disk-full and connection-exhaustion forecasts: a robust linear trend over a window of points,
 * and the time at which that trend reaches a limit (100 % disk, max_connections, 0 free bytes).
 *
 * The trend is Sen's slope with its usual companion, the Mann–Kendall statistic, both taken over
 * the same pairs of points:
 * - slope: Theil–Sen, the median of the slopes between every pair of points with distinct
 *   timestamps. Up to 29 % of the points can be arbitrary (spikes, a cleanup that briefly freed
 *   space) without carrying the slope away, unlike least squares (which `predict_linear` uses);
 *   irregular spacing and gaps need nothing special, every pair carries its own time difference.
 *   Measured (forecast.test.ts): 10 % random spikes of +40 % move it by less than 2 % (least
 *   squares by up to 13 %), a +40 % burst over the last 10 % of the window by less than 6 % (least
 *   squares more than doubles);
 * - line: through the median of `value − slope · (t − anchor)` over all points, anchored at the
 *   newest point (so the level is the trend's value now, and no epoch-sized intercept loses precision);
 * - confidence: Kendall's τ between time and value, (concordant − discordant pairs) / pairs:
 *   1 when every later point is higher, about 0 (± 0.05 for 200 points) for a flat noisy series.
 *   Rank-based like the slope, so spikes lower it only by their share of pairs. A forecast needs
 *   τ ≥ `minConfidence` toward the limit: noisy and flat series do not forecast.
 *
 * The pairs are O(n²): at most `maxPoints` points take part (evenly spaced by index over the
 * time-ordered points, first and last always kept: deterministic), 19,900 pairs for 200 points,
 * about 1.5 ms per forecast on this 2-core machine.
 * No library: simple-statistics has no Theil–Sen and no Kendall τ, and the whole is a loop.
 */

/** One observation: `timestamp` in ms since the epoch. */
export interface TimedValue {
  readonly timestamp: number;
  readonly value: number;
}

/** A robust linear trend (see the file's comment). */
export interface RobustTrend {
  /** Change of the value per second (Theil–Sen). */
  readonly slopePerSecond: number;
  /** Timestamp (ms) the line is anchored at: the newest point's. */
  readonly anchor: number;
  /** The line's value at `anchor`. */
  readonly level: number;
  /** Kendall's τ between time and value, in [-1, 1]: positive for a rising series. */
  readonly tau: number;
  /** Finite points the trend was fitted on (before subsampling). */
  readonly points: number;
  /** Time between the oldest and the newest of those points, in ms. */
  readonly spanMs: number;
}

/** Options of {@link robustTrend}. */
export interface TrendOptions {
  /** Most points in the O(n²) pairwise slopes, evenly subsampled beyond (default 200: 19,900 pairs). */
  readonly maxPoints?: number;
}

/** Which side of the limit is bad: `rising` toward a ceiling (disk use, connections), `falling` toward a floor (free bytes). */
export type Approach = 'rising' | 'falling';

/** Options of {@link timeUntil}. */
export interface TimeUntilOptions {
  /** `rising`: the limit is a ceiling the series climbs toward (default); `falling`: a floor it sinks toward. */
  readonly approach?: Approach;
  /** Crossings later than `now + horizonMs` count as none (default 24 h, node-mixin's NodeFilesystemSpaceFillingUp warning horizon). */
  readonly horizonMs?: number;
  /** The time the question is asked at, ms (default: the trend's anchor, the newest point). */
  readonly now?: number;
}

/** Options of {@link forecastLimit}: the limit, and when a forecast is trusted. */
export interface ForecastOptions extends TrendOptions, TimeUntilOptions {
  /** The value the series must not reach: 100 (% disk used), max_connections, 0 (free bytes, with `approach: 'falling'`). No default. */
  readonly limit: number;
  /** Fewest finite points for any answer (default 10). */
  readonly minPoints?: number;
  /** Shortest time from the oldest to the newest finite point for any answer, ms (default 1 h). */
  readonly minSpanMs?: number;
  /** Least Kendall τ toward the limit for a crossing to be forecast (default 0.5: about a rise of 3.5 noise σ across the window). */
  readonly minConfidence?: number;
}

/** The answer of {@link forecastLimit}. */
export interface Forecast {
  /** Change of the value per second (Theil–Sen). */
  readonly slopePerSecond: number;
  /** The trend's value at `now`. */
  readonly level: number;
  /** Kendall's τ toward the limit, in [-1, 1]: positive when the series moves toward it. */
  readonly confidence: number;
  /** When the trend reaches the limit (ms), if confident, moving toward it and within the horizon; `now` when already past it. */
  readonly reachesAt?: number;
  /** Seconds from `now` to `reachesAt` (0 when already past the limit). */
  readonly secondsLeft?: number;
}

const DEFAULT_MAX_POINTS = 200;
const DEFAULT_HORIZON_MS = 24 * 3_600_000;
const DEFAULT_MIN_POINTS = 10;
const DEFAULT_MIN_SPAN_MS = 3_600_000;
const DEFAULT_MIN_CONFIDENCE = 0.5;

/**
 * The robust trend of `points` (any order; NaN and ±Infinity values or timestamps are ignored),
 * or undefined without two finite points at distinct times.
 */
export function robustTrend(points: readonly TimedValue[], options: TrendOptions = {}): RobustTrend | undefined {
  const maxPoints = Math.max(2, Math.floor(options.maxPoints ?? DEFAULT_MAX_POINTS));
  const finite = points.filter((p) => Number.isFinite(p.timestamp) && Number.isFinite(p.value));
  finite.sort((a, b) => a.timestamp - b.timestamp);
  const n = finite.length;
  if (n < 2 || finite[n - 1]!.timestamp === finite[0]!.timestamp) return undefined;

  const m = Math.min(n, maxPoints);
  const times = new Float64Array(m);
  const values = new Float64Array(m);
  for (let i = 0; i < m; i += 1) {
    const p = finite[m === n ? i : Math.round((i * (n - 1)) / (m - 1))]!;
    times[i] = p.timestamp / 1000;
    values[i] = p.value;
  }

  const slopes = new Float64Array((m * (m - 1)) / 2);
  let pairs = 0;
  let concordance = 0;
  for (let i = 0; i < m; i += 1) {
    for (let j = i + 1; j < m; j += 1) {
      const dt = times[j]! - times[i]!;
      if (dt <= 0) continue;
      const dv = values[j]! - values[i]!;
      slopes[pairs] = dv / dt;
      pairs += 1;
      concordance += Math.sign(dv);
    }
  }
  const slopePerSecond = medianInPlace(slopes, pairs);

  const anchor = finite[n - 1]!.timestamp;
  const level = median(finite.map((p) => p.value - (slopePerSecond * (p.timestamp - anchor)) / 1000));
  return { slopePerSecond, anchor, level, tau: concordance / pairs, points: n, spanMs: anchor - finite[0]!.timestamp };
}

/** The trend's value at `timestamp` (ms). */
export function trendValueAt(trend: RobustTrend, timestamp: number): number {
  return trend.level + (trend.slopePerSecond * (timestamp - trend.anchor)) / 1000;
}

/**
 * When (ms) the trend reaches `limit` moving toward it: undefined when it is flat or moves away
 * from the limit, or reaches it only after `now + horizonMs`; `now` when it is already past it.
 */
export function timeUntil(trend: RobustTrend, limit: number, options: TimeUntilOptions = {}): number | undefined {
  const now = options.now ?? trend.anchor;
  const horizonMs = options.horizonMs ?? DEFAULT_HORIZON_MS;
  const toward = (options.approach ?? 'rising') === 'rising' ? 1 : -1;
  if (!(toward * trend.slopePerSecond > 0)) return undefined;
  const gap = toward * (limit - trendValueAt(trend, now));
  if (gap <= 0) return now;
  const ms = (gap / Math.abs(trend.slopePerSecond)) * 1000;
  return ms <= horizonMs ? now + ms : undefined;
}

/**
 * Forecast of when the series of `points` reaches `options.limit`: undefined with fewer than
 * `minPoints` finite points or less than `minSpanMs` between them (too little to say anything);
 * otherwise the trend, its confidence, and `reachesAt`/`secondsLeft` when the confidence toward
 * the limit is at least `minConfidence` and {@link timeUntil} finds a crossing within the horizon.
 */
export function forecastLimit(points: readonly TimedValue[], options: ForecastOptions): Forecast | undefined {
  const trend = robustTrend(points, options);
  if (!trend) return undefined;
  if (trend.points < (options.minPoints ?? DEFAULT_MIN_POINTS) || trend.spanMs < (options.minSpanMs ?? DEFAULT_MIN_SPAN_MS)) return undefined;
  const now = options.now ?? trend.anchor;
  const confidence = (options.approach ?? 'rising') === 'rising' ? trend.tau : -trend.tau;
  const forecast: Forecast = { slopePerSecond: trend.slopePerSecond, level: trendValueAt(trend, now), confidence };
  if (confidence < (options.minConfidence ?? DEFAULT_MIN_CONFIDENCE)) return forecast;
  const reachesAt = timeUntil(trend, options.limit, { ...options, now });
  return reachesAt === undefined ? forecast : { ...forecast, reachesAt, secondsLeft: (reachesAt - now) / 1000 };
}
