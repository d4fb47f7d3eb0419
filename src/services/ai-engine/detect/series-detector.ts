import { SeriesHistory } from './history.js';
import { MAD_TO_SIGMA, median } from './order-statistics.js';
import { RollingWindow } from './rolling.js';

/**
 * The streaming anomaly detector of one series: each new point is scored from the points before it
 * (and itself), nothing later. Two predictions of the point:
 *
 * - local: the median of the last `localWindow` points (a spike or a level shift stands out
 *   against it);
 * - seasonal: the median of the same slot one day and one week earlier, when the history has them
 *   (a daily or weekly pattern is predicted by it, so its regular rises are not anomalies, while a
 *   day that loses its pattern is).
 *
 * Each prediction has a robust scale, 1.4826 × the MAD of its recent residuals (floored so that a
 * flat series does not divide by zero); the one with the smaller scale — the better predictor, the
 * seasonal one on a tie — is used. The point's robust z (residual / scale) is reported for bands
 * and the platform's alert logic; the anomaly score instead compares the residual with the usual
 * extremes of that predictor: excess = |residual| / the `tailQuantile` of its recent absolute
 * residuals. Real metrics have heavy tails (a 5σ residual by MAD happens every day in CPU or
 * latency series), so "beyond what this series usually does" separates anomalies from noise
 * better than a normal z: on the NAB corpus of ../shared/nab this one change moved the standard
 * score from 42 to 55. The score is excess / (excess + `scoreHalfExcess`), in [0, 1) and never
 * saturating. After an alarm (excess ≥ `alarmExcess`) the next `refractoryPoints` points are
 * damped: the first point of an incident carries the news, its echo (the local median catching up,
 * the seasonal slot of the shifted level a day later) must not raise it again.
 *
 * Defaults were chosen on the 35 NAB series of ../shared/nab as a whole (no per-file setting);
 * bench/nab prints the scores. The refractory length is the most sensitive one (200 → 250 points
 * costs ten points of the standard score): an incident shorter than it hides the next one.
 */

/** Which deviations count: latency and errors only upward, a hit rate only downward. */
export type Direction = 'both' | 'up' | 'down';

export interface SeriesDetectorOptions {
  /** Which side of the prediction is anomalous (default `both`). */
  readonly direction?: Direction;
  /** Points of the local median (default 30). */
  readonly localWindow?: number;
  /** Residuals kept for each robust scale (default 600). */
  readonly scaleWindow?: number;
  /** Points before any score above 0 (default 60): too little history means no alert. */
  readonly warmup?: number;
  /** Excess (residual / tail quantile) at which the score is 0.5 (default 1). */
  readonly scoreHalfExcess?: number;
  /** Excess of an alarm, which starts the refractory period (default 1.5). */
  readonly alarmExcess?: number;
  /** Quantile of the recent absolute residuals that is "the usual extreme" (default 0.98). */
  readonly tailQuantile?: number;
  /** Absolute residuals kept for it (default 2000). */
  readonly tailWindow?: number;
  /** Points damped after an alarm (default 200). */
  readonly refractoryPoints?: number;
  /** Factor on the scores of the refractory period (default 0.4). */
  readonly refractoryFactor?: number;
  /** Seasonal periods looked back, in ms (default one day and one week). */
  readonly seasons?: readonly number[];
  /** Points of the seasonal residual scale before the seasonal prediction is used (default 100). */
  readonly seasonalWarmup?: number;
  /** Smallest scale, relative to the median magnitude of the series (default 0.001), and absolute (default 1e-9). */
  readonly relativeScaleFloor?: number;
  readonly absoluteScaleFloor?: number;
}

const DAY_MS = 86_400_000;
const DEFAULTS: Required<SeriesDetectorOptions> = {
  direction: 'both',
  localWindow: 30,
  scaleWindow: 600,
  warmup: 60,
  scoreHalfExcess: 1,
  alarmExcess: 1.5,
  tailQuantile: 0.98,
  tailWindow: 2000,
  refractoryPoints: 200,
  refractoryFactor: 0.4,
  seasons: [DAY_MS, 7 * DAY_MS],
  seasonalWarmup: 100,
  relativeScaleFloor: 0.001,
  absoluteScaleFloor: 1e-9,
};

/** What the detector says about one point. */
export interface PointScore {
  /** Anomaly score in [0, 1), damped after an alarm: one high score per incident (what NAB scores). */
  readonly score: number;
  /** The same score without the damping: what persistence and hysteresis (AnomalyState) look at. */
  readonly rawScore: number;
  /** Robust z of the point against the chosen prediction (signed: above or below it). */
  readonly z: number;
  /** The prediction the z is against, undefined during warm-up. */
  readonly expected: number | undefined;
  /** The half-width of one robust sigma around `expected`, for drawing a band. */
  readonly scale: number | undefined;
  /** Which prediction was used. */
  readonly basis: 'warmup' | 'local' | 'seasonal';
  /** True when the seasonal prediction was ready for this point (whichever was used): the two predictors were compared. */
  readonly seasonalReady: boolean;
}

/** A detector's learnt state as plain JSON (the engine keeps it in Redis so that a restarted pod does not re-learn). */
export interface SeriesDetectorSnapshot {
  readonly version: 1;
  readonly windows: Readonly<Record<WindowName, readonly number[]>>;
  readonly history: { readonly times: readonly number[]; readonly values: readonly number[] };
  /** Null for "none yet" (JSON has no Infinity). */
  readonly lastTime: number | null;
  readonly points: number;
  readonly sinceAlarm: number | null;
}

type WindowName = 'local' | 'localResiduals' | 'seasonalResiduals' | 'localTail' | 'seasonalTail' | 'magnitudes' | 'intervals';
const WINDOWS: readonly WindowName[] = ['local', 'localResiduals', 'seasonalResiduals', 'localTail', 'seasonalTail', 'magnitudes', 'intervals'];

export class SeriesDetector {
  private readonly o: Required<SeriesDetectorOptions>;
  private local: RollingWindow;
  private localResiduals: RollingWindow;
  private seasonalResiduals: RollingWindow;
  private localTail: RollingWindow;
  private seasonalTail: RollingWindow;
  private magnitudes: RollingWindow;
  private readonly history: SeriesHistory;
  private intervals: RollingWindow;
  private lastTime = -Infinity;
  private points = 0;
  private sinceAlarm = Infinity;

  constructor(options: SeriesDetectorOptions = {}) {
    this.o = { ...DEFAULTS, ...options };
    this.local = new RollingWindow(this.o.localWindow);
    this.localResiduals = new RollingWindow(this.o.scaleWindow);
    this.seasonalResiduals = new RollingWindow(this.o.scaleWindow);
    this.localTail = new RollingWindow(this.o.tailWindow);
    this.seasonalTail = new RollingWindow(this.o.tailWindow);
    this.magnitudes = new RollingWindow(this.o.scaleWindow);
    this.intervals = new RollingWindow(50);
    const longest = Math.max(0, ...this.o.seasons);
    this.history = new SeriesHistory(longest + DAY_MS, 50_000);
  }

  /** The learnt state, for {@link SeriesDetector.restore}. */
  snapshot(): SeriesDetectorSnapshot {
    const windows = Object.fromEntries(WINDOWS.map((name) => [name, this[name].values()])) as Record<WindowName, number[]>;
    return {
      version: 1,
      windows,
      history: this.history.points(),
      lastTime: Number.isFinite(this.lastTime) ? this.lastTime : null,
      points: this.points,
      sinceAlarm: Number.isFinite(this.sinceAlarm) ? this.sinceAlarm : null,
    };
  }

  /** A detector with `options` that continues from `snapshot` exactly as the one that took it would. */
  static restore(snapshot: SeriesDetectorSnapshot, options: SeriesDetectorOptions = {}): SeriesDetector {
    if (snapshot.version !== 1) throw new Error(`unknown detector snapshot version ${String(snapshot.version)}`);
    const detector = new SeriesDetector(options);
    for (const name of WINDOWS) detector[name] = RollingWindow.of(detector[name].capacity, snapshot.windows[name] ?? []);
    const { times, values } = snapshot.history;
    for (let i = 0; i < times.length; i++) detector.history.push(times[i]!, values[i]!);
    detector.lastTime = snapshot.lastTime ?? -Infinity;
    detector.points = snapshot.points;
    detector.sinceAlarm = snapshot.sinceAlarm ?? Infinity;
    return detector;
  }

  /** Scores the point at `time` (ms; increasing) with `value`. Non-finite values and out-of-order points score 0 and are not learnt. */
  update(time: number, value: number): PointScore {
    if (!Number.isFinite(value) || !Number.isFinite(time) || time <= this.lastTime) return { score: 0, rawScore: 0, z: 0, expected: undefined, scale: undefined, basis: 'warmup', seasonalReady: false };
    if (this.lastTime > -Infinity) this.intervals.push(time - this.lastTime);
    this.lastTime = time;
    this.points += 1;
    this.sinceAlarm += 1;

    const floor = Math.max(this.o.absoluteScaleFloor, this.o.relativeScaleFloor * (this.magnitudes.size > 0 ? this.magnitudes.median() : Math.abs(value)));
    const localExpected = this.local.size > 0 ? this.local.median() : undefined;
    const seasonalExpected = this.seasonalPrediction(time);

    const candidates: { basis: 'local' | 'seasonal'; expected: number; scale: number; tail: number }[] = [];
    const tailOf = (w: RollingWindow, scale: number) => Math.max(scale, w.quantile(this.o.tailQuantile));
    if (localExpected !== undefined && this.localResiduals.size >= Math.min(this.o.warmup, this.o.scaleWindow) / 2) {
      const scale = Math.max(floor, MAD_TO_SIGMA * this.localResiduals.mad());
      candidates.push({ basis: 'local', expected: localExpected, scale, tail: tailOf(this.localTail, scale) });
    }
    if (seasonalExpected !== undefined && this.seasonalResiduals.size >= this.o.seasonalWarmup) {
      const scale = Math.max(floor, MAD_TO_SIGMA * this.seasonalResiduals.mad());
      candidates.push({ basis: 'seasonal', expected: seasonalExpected, scale, tail: tailOf(this.seasonalTail, scale) });
    }

    // Learn the point after scoring it.
    if (localExpected !== undefined) {
      this.localResiduals.push(value - localExpected);
      this.localTail.push(Math.abs(value - localExpected));
    }
    if (seasonalExpected !== undefined) {
      this.seasonalResiduals.push(value - seasonalExpected);
      this.seasonalTail.push(Math.abs(value - seasonalExpected));
    }
    this.local.push(value);
    this.magnitudes.push(Math.abs(value));
    this.history.push(time, value);

    // The better predictor; on a tie (both at the floor: a clean series) the seasonal one, which knows the pattern.
    const seasonalReady = candidates.some((c) => c.basis === 'seasonal');
    const best = candidates.sort((a, b) => a.scale - b.scale || (a.basis === 'seasonal' ? -1 : 1))[0];
    if (!best || this.points <= this.o.warmup) return { score: 0, rawScore: 0, z: 0, expected: best?.expected, scale: best?.scale, basis: 'warmup', seasonalReady };
    const z = (value - best.expected) / best.scale;
    const residual = value - best.expected;
    const counted = this.o.direction === 'up' ? Math.max(0, residual) : this.o.direction === 'down' ? Math.max(0, -residual) : Math.abs(residual);
    // How far beyond the usual extremes of this predictor's residuals: 1 = at its tail quantile.
    const excess = counted / best.tail;
    const rawScore = excess / (excess + this.o.scoreHalfExcess);
    let score = rawScore;
    if (this.sinceAlarm <= this.o.refractoryPoints) score *= this.o.refractoryFactor;
    else if (excess >= this.o.alarmExcess) this.sinceAlarm = 0;
    return { score, rawScore, z, expected: best.expected, scale: best.scale, basis: best.basis, seasonalReady };
  }

  /** The median of the same slot one day and one week earlier, from the points kept; undefined without them. */
  private seasonalPrediction(time: number): number | undefined {
    if (this.intervals.size === 0) return undefined;
    const tolerance = this.intervals.median() / 2;
    const slots = this.o.seasons.map((period) => this.history.valueAt(time - period, tolerance)).filter((v): v is number => v !== undefined);
    return slots.length > 0 ? median(slots) : undefined;
  }
}
