import { AI_ENGINE_MODELS } from '../../../core/ai-engine-metrics.js';
import { DEFAULT_FORECAST_HORIZON, type EngineSeries } from '../../../core/ai-engine-series.js';
import { durationMillis } from '../../../core/duration.js';
import type { Logger } from '../../kit/log.js';
import type { Anomaly } from '../anomaly.js';
import type { AnomalyStateOptions } from '../detect/anomaly-state.js';
import type { LevelShift, LevelShiftOptions } from '../detect/changepoint.js';
import { forecastLimit } from '../detect/forecast.js';
import type { PointScore, SeriesDetectorOptions } from '../detect/series-detector.js';
import { recordInference, type EngineMetrics } from '../metrics.js';
import { labelsKey, MAX_POINTS_PER_QUERY, PrometheusDownError, queryRangeChunked, sampleValue, type MatrixSeries } from './prometheus-query.js';
import { DEFAULT_KEEP_POINTS, firstLabelSets, keepPoint, type SeriesListing, type SeriesPoint, type SeriesProvider, type SeriesView } from '../series-view.js';
import { levelShiftDetector, newTracker, restoreTracker, trackerSnapshot, type SeriesRunSnapshot, type Tracker, type TrackerModels } from './prometheus-tracker.js';

export { labelsKey } from './prometheus-query.js';
export type { SeriesRunSnapshot } from './prometheus-tracker.js';
export { DEFAULT_KEEP_POINTS } from '../series-view.js';

/**
 * The Prometheus source: each configured series is fetched with `query_range` every `step`
 * (the last `window` on start, then only the steps since the last round), at most `concurrency`
 * queries at a time, each with a timeout. While Prometheus does not answer (network error, 5xx,
 * 429) every query waits, with an exponential backoff. Each returned label set gets its own
 * SeriesDetector and AnomalyState (scored kinds) or a window of points for the robust trend
 * (forecast kinds); openings and endings are emitted as {@link Anomaly} objects.
 *
 * Level shifts ("regression since deploy"): each label set of a scored kind also feeds a
 * LevelShiftDetector (detect/changepoint.ts) with the series' direction. A reported shift opens a
 * `LevelShiftDetected` anomaly of its own (warning, action none, an id per shift: the shift's
 * change time), held for {@link DEFAULT_LEVEL_SHIFT_HOLD_MS} of series time after its detection
 * and then ended: a shift is an event, the new level is the new normal (the detector reports each
 * shift once and learns the new level). A later shift on the same label set ends the held one.
 * The detector is fed the raw values until the series detector has predicted
 * {@link SEASONAL_RESIDUAL_AFTER_POINTS} points in a row from its seasonal baseline (the same slot a
 * day and a week earlier: a daily pattern); from then on, with a fresh detector, the residual
 * value − seasonal prediction of the points predicted that way (others are skipped: the CUSUM counts
 * points, not time), because a daily cycle fed raw reads as level changes (changepoint.ts' header).
 * Before a day of history a daily pattern reads as shifts, so a shift of the raw values is reported
 * only after the seasonal prediction has been ready (compared with the local one) for
 * {@link SEASONAL_RESIDUAL_AFTER_POINTS} points in a row: by then a daily-patterned series has moved
 * to its residual, and what stays on the raw values has no daily pattern (shifts are learnt either
 * way). With one-minute steps that is a day and about 2 h 40 min of history. A shift of a seasonal
 * series enters its seasonal baseline a day later, which the residual shows as a shift back
 * (reported only for direction `both`).
 *
 * Start-up: the first round of a scored series fetches {@link DEFAULT_BACKFILL_SECONDS} (a day and
 * three hours: with one-minute steps the seasonal baseline and the level shifts are ready at once
 * when Prometheus keeps that much), in several requests when that is more than Prometheus answers at once. That
 * history is replayed silently: only the anomalies still open at its end are emitted. A source
 * restored from a snapshot ({@link PrometheusSource.restore}) fetches only the steps since the
 * snapshot and replays nothing: it goes on where the snapshot left off.
 */

/** Default queries in flight at once. */
export const DEFAULT_CONCURRENCY = 4;
/** Default time a query may take. */
export const DEFAULT_QUERY_TIMEOUT_MS = 10_000;
/** Default first and longest wait while Prometheus is down. */
export const DEFAULT_BACKOFF = { initialMs: 1_000, maxMs: 60_000 } as const;
/** Rounds without a forecast crossing before a forecast anomaly ends (hysteresis; default 3). */
export const DEFAULT_FORECAST_CLEAR_ROUNDS = 3;
/** A label set not returned for this many steps is forgotten (its anomaly ends; default 10). */
export const DEFAULT_STALE_STEPS = 10;
/** How long a LevelShiftDetected anomaly stays open after the shift's detection, ms of series time (default 1 h). */
export const DEFAULT_LEVEL_SHIFT_HOLD_MS = 3_600_000;
/** Points in a row predicted from the seasonal baseline after which level shifts are looked for in the seasonal residual (60). */
export const SEASONAL_RESIDUAL_AFTER_POINTS = 60;
/** History fetched and replayed on the first round of a scored series, s (default 27 h: a day for the seasonal slot, then its warm-up and the comparison). */
export const DEFAULT_BACKFILL_SECONDS = 27 * 3600;

/** One label set of a configured series. */
export interface TrackedSeries {
  readonly key: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly points: readonly SeriesPoint[];
  /** The anomaly open on it, if any. */
  readonly anomaly?: Anomaly;
  /** The LevelShiftDetected anomaly held on it, if any. */
  readonly levelShift?: Anomaly;
}

export interface PrometheusSourceOptions {
  /** Base URL with the route prefix, no trailing slash (`http://…:9090/prometheus`). */
  readonly url: string;
  readonly series: readonly EngineSeries[];
  /** Receives every opening and ending. */
  readonly emit: (anomaly: Anomaly) => void;
  readonly log: Logger;
  readonly metrics?: EngineMetrics;
  /** Namespace of anomalies whose series has no `namespace` label (the engine's own). */
  readonly namespace: string;
  /** Queries in flight at once (default {@link DEFAULT_CONCURRENCY}). */
  readonly concurrency?: number;
  /** Per-query timeout (default {@link DEFAULT_QUERY_TIMEOUT_MS}). */
  readonly timeoutMs?: number;
  /** Backoff while Prometheus is down (default {@link DEFAULT_BACKOFF}). */
  readonly backoff?: { readonly initialMs: number; readonly maxMs: number };
  /** Options of every SeriesDetector (default the detector's; tests lower `warmup`). */
  readonly detector?: SeriesDetectorOptions;
  /** Options of every AnomalyState (default its own). */
  readonly state?: AnomalyStateOptions;
  /** Options of every LevelShiftDetector, but the direction, which is the series' (default the detector's). */
  readonly levelShift?: Omit<LevelShiftOptions, 'direction'>;
  /** How long a LevelShiftDetected anomaly is held after its detection, ms (default {@link DEFAULT_LEVEL_SHIFT_HOLD_MS}). */
  readonly levelShiftHoldMs?: number;
  /** Report shifts of the raw values only once the seasonal prediction was compared (default true; tests of short series turn it off). */
  readonly shiftsNeedSeasonalComparison?: boolean;
  /** History fetched and replayed silently on the first round of a scored series, s (default {@link DEFAULT_BACKFILL_SECONDS}; at least its window). */
  readonly backfillSeconds?: number;
  /** Steps per query_range request (default {@link MAX_POINTS_PER_QUERY}); longer spans take several. */
  readonly maxPointsPerQuery?: number;
  /** Points kept per label set (default {@link DEFAULT_KEEP_POINTS}). */
  readonly keepPoints?: number;
  /** How often due series are looked for, ms (default 1000). */
  readonly tickMs?: number;
  /** Clock (default Date.now). */
  readonly now?: () => number;
  /** HTTP client (default global fetch). */
  readonly fetch?: typeof fetch;
}

interface SeriesRun {
  readonly series: EngineSeries;
  readonly trackers: Map<string, Tracker>;
  /** Last evaluated timestamp (s), undefined before the first success. */
  lastEnd?: number;
  nextAt: number;
  running: boolean;
}

const round = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toPrecision(3));

export class PrometheusSource implements SeriesProvider {
  private readonly runs: SeriesRun[];
  private readonly now: () => number;
  private readonly fetch: typeof fetch;
  private inFlight = 0;
  private failures = 0;
  private downUntil = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly pending = new Set<Promise<void>>();
  private stopped = false;
  /** True while a first round's history is replayed: nothing is emitted. */
  private replaying = false;
  private readonly models: TrackerModels;

  constructor(private readonly opts: PrometheusSourceOptions) {
    const ids = new Set<string>();
    for (const s of opts.series) {
      if (ids.has(s.id)) throw new Error(`series id "${s.id}" configured twice`);
      ids.add(s.id);
      if (!(s.stepSeconds > 0 && s.windowSeconds >= s.stepSeconds)) throw new Error(`series "${s.id}": stepSeconds must be above 0 and windowSeconds at least one step`);
      if (s.kind !== 'AnomalyDetected' && !s.forecast) throw new Error(`series "${s.id}": kind ${s.kind} needs a forecast`);
    }
    this.runs = opts.series.map((series) => ({ series, trackers: new Map(), nextAt: 0, running: false }));
    this.now = opts.now ?? Date.now;
    this.fetch = opts.fetch ?? fetch;
    this.models = { detector: opts.detector, state: opts.state, levelShift: opts.levelShift };
  }

  /** Everything learnt, one snapshot per series (plain JSON), for the engine's hot state. */
  snapshot(): SeriesRunSnapshot[] {
    return this.runs.map((run) => this.snapshotOf(run.series.id)!);
  }

  /** Everything learnt about series `id` (plain JSON), or undefined for an unknown id. */
  snapshotOf(id: string): SeriesRunSnapshot | undefined {
    const run = this.runs.find((r) => r.series.id === id);
    if (!run) return undefined;
    const { series, trackers, lastEnd } = run;
    return {
      version: 1,
      id: series.id,
      query: series.query,
      stepSeconds: series.stepSeconds,
      kind: series.kind,
      direction: series.direction,
      lastEnd: lastEnd ?? null,
      trackers: [...trackers.values()].map(trackerSnapshot),
    };
  }

  /**
   * Goes on from a snapshot of series `saved.id` (before {@link start}): its label sets with their
   * detectors and open anomalies (emitted again, so that the book and the outputs have them), and
   * the next round fetches only the steps since. Returns false, restoring nothing, when the series
   * is no longer configured or its query, step, kind or direction changed; throws on a malformed
   * snapshot (nothing restored then either).
   */
  restore(saved: SeriesRunSnapshot): boolean {
    const run = this.runs.find((r) => r.series.id === saved.id);
    if (saved.version !== 1 || !run) return false;
    const { series } = run;
    if (saved.query !== series.query || saved.stepSeconds !== series.stepSeconds || saved.kind !== series.kind || saved.direction !== series.direction) return false;
    const trackers = new Map(saved.trackers.map((t) => [t.key, restoreTracker(series, t, this.models)] as const));
    run.trackers.clear();
    for (const [key, tracker] of trackers) {
      run.trackers.set(key, tracker);
      if (tracker.anomaly) this.opts.emit(tracker.anomaly);
      if (tracker.levelShift) this.opts.emit(tracker.levelShift.anomaly);
    }
    run.lastEnd = saved.lastEnd ?? undefined;
    return true;
  }

  /** Starts the schedule (a first round at once). */
  start(): void {
    this.stopped = false;
    this.tick();
    this.timer = setInterval(() => this.tick(), this.opts.tickMs ?? 1000);
    this.timer.unref?.();
  }

  /** Stops the schedule and waits for the queries in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await Promise.allSettled([...this.pending]);
  }

  /** True while Prometheus is considered down (backing off). */
  get backingOff(): boolean {
    return this.now() < this.downUntil;
  }

  /** Starts the due series, within the concurrency bound; resolves when the started ones are done (tests). */
  tick(): Promise<void> {
    const started: Promise<void>[] = [];
    const now = this.now();
    if (this.stopped || now < this.downUntil) return Promise.resolve();
    const limit = this.opts.concurrency ?? DEFAULT_CONCURRENCY;
    for (const run of this.runs) {
      if (this.inFlight >= limit) break;
      if (run.running || run.nextAt > now) continue;
      run.running = true;
      this.inFlight += 1;
      const p = this.runSeries(run).finally(() => {
        run.running = false;
        this.inFlight -= 1;
        this.pending.delete(p);
      });
      this.pending.add(p);
      started.push(p);
    }
    return Promise.all(started).then(() => undefined);
  }

  /** The configured series and their label sets (for `GET /api/v1/series`). */
  seriesList(): SeriesListing[] {
    return this.runs.map((r) => ({ id: r.series.id, source: 'metrics', description: r.series.description, kind: r.series.kind, unit: r.series.unit, labelSets: r.trackers.size }));
  }

  /** Series `id` drawn: at most `limit` label sets, open anomalies first. */
  seriesView(id: string, limit: number): SeriesView | undefined {
    const data = this.seriesData(id);
    if (!data) return undefined;
    const { series } = data;
    return {
      id,
      source: 'metrics',
      description: series.description,
      query: series.query,
      kind: series.kind,
      unit: series.unit,
      stepSeconds: series.stepSeconds,
      labelSets: firstLabelSets(
        data.tracked.map((t) => ({ labels: t.labels, points: t.points, ...(t.anomaly ? { anomaly: t.anomaly } : {}), ...(t.levelShift ? { levelShift: t.levelShift } : {}) })),
        limit,
      ),
    };
  }

  /** The label sets of series `id` with their points, or undefined for an unknown id. */
  seriesData(id: string): { series: EngineSeries; tracked: TrackedSeries[] } | undefined {
    const run = this.runs.find((r) => r.series.id === id);
    if (!run) return undefined;
    return {
      series: run.series,
      tracked: [...run.trackers.values()].map((t) => ({ key: t.key, labels: t.labels, points: [...t.points], anomaly: t.anomaly, levelShift: t.levelShift?.anomaly })),
    };
  }

  private async runSeries(run: SeriesRun): Promise<void> {
    const { series } = run;
    const model = series.kind === 'AnomalyDetected' ? AI_ENGINE_MODELS.detector : AI_ENGINE_MODELS.forecast;
    const step = series.stepSeconds;
    const now = this.now();
    const end = Math.floor(now / 1000 / step) * step;
    const replay = run.lastEnd === undefined;
    const span = series.kind === 'AnomalyDetected' ? Math.max(series.windowSeconds, this.opts.backfillSeconds ?? DEFAULT_BACKFILL_SECONDS) : series.windowSeconds;
    const earliest = end - span;
    const start = replay ? earliest : Math.max(run.lastEnd! + step, earliest);
    if (start > end) {
      run.nextAt = (end + step) * 1000;
      return;
    }
    let result: MatrixSeries[];
    try {
      const client = { url: this.opts.url, fetch: this.fetch, timeoutMs: this.opts.timeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS };
      result = await queryRangeChunked(client, series.query, start, end, step, this.opts.maxPointsPerQuery ?? MAX_POINTS_PER_QUERY);
    } catch (error) {
      if (this.opts.metrics) recordInference(this.opts.metrics, model, 'error', 0);
      if (error instanceof PrometheusDownError) {
        this.failures += 1;
        const wait = Math.min(this.opts.backoff?.maxMs ?? DEFAULT_BACKOFF.maxMs, (this.opts.backoff?.initialMs ?? DEFAULT_BACKOFF.initialMs) * 2 ** (this.failures - 1));
        this.downUntil = Math.max(this.downUntil, this.now() + wait);
        this.opts.log.warn({ series: series.id, err: error.message, retryInMs: wait }, 'Prometheus does not answer: backing off');
      } else {
        // A query Prometheus refuses (4xx): this series only, again at its next step.
        this.opts.log.error({ series: series.id, err: error instanceof Error ? error.message : String(error) }, 'query_range failed');
        run.nextAt = (end + step) * 1000;
      }
      return;
    }
    if (this.failures > 0) this.opts.log.info({ failures: this.failures }, 'Prometheus answers again');
    this.failures = 0;
    this.downUntil = 0;

    const started = process.hrtime.bigint();
    const seen = new Set<string>();
    // Synchronous from here to the end of the replay: no other round can emit in between.
    this.replaying = replay;
    try {
      for (const item of result) {
        const { __name__: _name, ...labels } = item.metric;
        const key = labelsKey(labels);
        seen.add(key);
        let tracker = run.trackers.get(key);
        if (!tracker) {
          tracker = newTracker(series, key, labels, this.models);
          run.trackers.set(key, tracker);
        }
        const fresh = item.values.map(([t, v]) => ({ t: t * 1000, value: sampleValue(v) })).filter((p) => p.t > tracker!.lastT);
        if (fresh.length === 0) continue;
        if (tracker.detector) this.score(series, tracker, fresh);
        else this.forecast(series, tracker, fresh);
      }
    } finally {
      this.replaying = false;
    }
    if (replay) {
      // The history's anomalies that are still open are today's.
      for (const tracker of run.trackers.values()) {
        if (tracker.anomaly) this.opts.emit(tracker.anomaly);
        if (tracker.levelShift) this.opts.emit(tracker.levelShift.anomaly);
      }
    }
    this.forgetStale(run, seen, end);
    run.lastEnd = end;
    run.nextAt = (end + step) * 1000;
    if (this.opts.metrics) recordInference(this.opts.metrics, model, 'success', Number(process.hrtime.bigint() - started) / 1e9);
  }

  /** Scores the new points of a label set; opens or ends its anomaly. */
  private score(series: EngineSeries, tracker: Tracker, fresh: readonly { t: number; value: number }[]): void {
    for (const p of fresh) {
      tracker.lastT = p.t;
      const s = tracker.detector!.update(p.t, p.value);
      keepPoint(tracker.points, { t: p.t, value: p.value, expected: s.expected, scale: s.scale, score: s.rawScore }, this.opts.keepPoints);
      if (tracker.levelShift && p.t >= tracker.levelShift.until) this.closeShift(tracker, p.t);
      if (!Number.isFinite(p.value)) continue;
      this.detectShift(series, tracker, p.t, p.value, s);
      const transition = tracker.state!.push(s.rawScore);
      if (transition === 'opened') {
        const expected = s.expected === undefined ? '' : `, expected about ${round(s.expected)}`;
        this.open(series, tracker, p.t, s.rawScore, `${series.description}${this.subject(tracker.labels)}: ${round(p.value)} ${series.unit}${expected} (score ${s.rawScore.toFixed(2)})`);
      } else if (transition === 'closed') {
        this.close(tracker, p.t);
      } else if (tracker.anomaly && s.rawScore > tracker.anomaly.value) {
        tracker.anomaly = { ...tracker.anomaly, value: s.rawScore };
      }
    }
  }

  /** Hands an opening or ending to the engine, unless a first round's history is being replayed. */
  private emit(anomaly: Anomaly, message: 'anomaly opened' | 'anomaly ended'): void {
    if (this.replaying) return;
    this.opts.log.info({ anomaly: anomaly.id, kind: anomaly.kind, value: anomaly.value }, message);
    this.opts.emit(anomaly);
  }

  /** Feeds the point (or its seasonal residual) to the level-shift detector; a reported shift opens LevelShiftDetected. */
  private detectShift(series: EngineSeries, tracker: Tracker, t: number, value: number, s: PointScore): void {
    const shifts = tracker.shifts!;
    if (shifts.input === 'raw') {
      shifts.seasonalRun = s.basis === 'seasonal' ? shifts.seasonalRun + 1 : 0;
      shifts.comparedRun = s.seasonalReady ? shifts.comparedRun + 1 : 0;
      if (shifts.seasonalRun >= SEASONAL_RESIDUAL_AFTER_POINTS) {
        // The raw values' reference would read the switch as a shift: start again on the residual.
        tracker.shifts = { detector: levelShiftDetector(series, this.models), input: 'residual', seasonalRun: 0, comparedRun: 0 };
        return;
      }
    }
    let input: number;
    if (shifts.input === 'raw') input = value;
    else if (s.basis === 'seasonal' && s.expected !== undefined) input = value - s.expected;
    else return;
    const shift = tracker.shifts!.detector.push(t, input);
    // Learnt either way; reported once a daily pattern could have been told from it.
    const compared = shifts.input === 'residual' || shifts.comparedRun >= SEASONAL_RESIDUAL_AFTER_POINTS || this.opts.shiftsNeedSeasonalComparison === false;
    if (shift && compared) this.openShift(series, tracker, shift, tracker.shifts!.input);
  }

  private openShift(series: EngineSeries, tracker: Tracker, shift: LevelShift, input: 'raw' | 'residual'): void {
    if (tracker.levelShift) this.closeShift(tracker, shift.detectedAt);
    const sign = (v: number) => (v >= 0 ? `+${round(v)}` : round(v));
    const levels = input === 'raw' ? `from ${round(shift.before)} to ${round(shift.after)} ${series.unit}` : `from ${sign(shift.before)} to ${sign(shift.after)} ${series.unit} off its daily/weekly pattern`;
    const summary = `${series.description}${this.subject(tracker.labels)}: level shift ${shift.direction} ${levels} since ${formatTime(shift.changedAt)} (${shift.size >= 0 ? '+' : ''}${shift.size.toFixed(1)} σ)`;
    const anomaly: Anomaly = {
      ...this.anomalyOf(series, tracker, shift.changedAt, shift.size, summary),
      id: `metrics:${series.id}{${tracker.key}}:level-shift@${shift.changedAt}`,
      kind: 'LevelShiftDetected',
      severity: 'warning',
      action: 'none',
    };
    tracker.levelShift = { anomaly, until: shift.detectedAt + (this.opts.levelShiftHoldMs ?? DEFAULT_LEVEL_SHIFT_HOLD_MS) };
    this.emit(anomaly, 'anomaly opened');
  }

  private closeShift(tracker: Tracker, at: number): void {
    const ended: Anomaly = { ...tracker.levelShift!.anomaly, endsAt: Math.max(at, tracker.levelShift!.anomaly.startsAt) };
    tracker.levelShift = undefined;
    this.emit(ended, 'anomaly ended');
  }

  /** Adds the new points to the window and forecasts the limit; opens or ends the forecast. */
  private forecast(series: EngineSeries, tracker: Tracker, fresh: readonly { t: number; value: number }[]): void {
    for (const p of fresh) {
      tracker.lastT = p.t;
      keepPoint(tracker.points, { t: p.t, value: p.value }, this.opts.keepPoints);
    }
    const from = tracker.lastT - series.windowSeconds * 1000;
    const points = tracker.points.filter((p) => p.t >= from).map((p) => ({ timestamp: p.t, value: p.value }));
    const f = series.forecast!;
    const forecast = forecastLimit(points, { limit: f.limit, approach: f.approach, horizonMs: f.horizonSeconds !== undefined ? f.horizonSeconds * 1000 : durationMillis(DEFAULT_FORECAST_HORIZON) });
    if (forecast?.secondsLeft !== undefined) {
      tracker.clearRounds = 0;
      if (!tracker.anomaly) {
        const when = forecast.secondsLeft <= 0 ? 'has reached' : `reaches ${f.limit} ${series.unit} in about ${formatDuration(forecast.secondsLeft)}:`;
        this.open(series, tracker, tracker.lastT, forecast.secondsLeft, `${series.description}${this.subject(tracker.labels)}: ${when} ${round(forecast.level)} ${series.unit} now, trend ${round(forecast.slopePerSecond * 3600)} ${series.unit}/h`);
      } else {
        tracker.anomaly = { ...tracker.anomaly, value: forecast.secondsLeft };
      }
    } else if (tracker.anomaly) {
      tracker.clearRounds += 1;
      if (tracker.clearRounds >= DEFAULT_FORECAST_CLEAR_ROUNDS) this.close(tracker, tracker.lastT);
    }
  }

  /** Label sets not returned for {@link DEFAULT_STALE_STEPS} steps: their anomaly ends, they are forgotten. */
  private forgetStale(run: SeriesRun, seen: ReadonlySet<string>, end: number): void {
    const limit = (end - DEFAULT_STALE_STEPS * run.series.stepSeconds) * 1000;
    for (const [key, tracker] of run.trackers) {
      if (seen.has(key) || tracker.lastT >= limit) continue;
      if (tracker.anomaly) this.close(tracker, end * 1000);
      if (tracker.levelShift) this.closeShift(tracker, end * 1000);
      run.trackers.delete(key);
    }
  }

  /** ` of service="x"` for the summary. */
  private subject(labels: Readonly<Record<string, string>>): string {
    const text = labelsKey(labels);
    return text ? ` of ${text}` : '';
  }

  private open(series: EngineSeries, tracker: Tracker, at: number, value: number, summary: string): void {
    const anomaly = this.anomalyOf(series, tracker, at, value, summary);
    tracker.anomaly = anomaly;
    this.emit(anomaly, 'anomaly opened');
  }

  /** The series' anomaly on the label set (its kind, severity and action). */
  private anomalyOf(series: EngineSeries, tracker: Tracker, at: number, value: number, summary: string): Anomaly {
    return {
      id: `metrics:${series.id}{${tracker.key}}`,
      kind: series.kind,
      source: 'metrics',
      severity: series.severity,
      component: series.component,
      namespace: tracker.labels['namespace'] ?? this.opts.namespace,
      action: series.action,
      labels: { ...tracker.labels, series: series.id },
      summary,
      startsAt: at,
      value,
    };
  }

  private close(tracker: Tracker, at: number): void {
    const ended: Anomaly = { ...tracker.anomaly!, endsAt: Math.max(at, tracker.anomaly!.startsAt) };
    tracker.anomaly = undefined;
    tracker.clearRounds = 0;
    this.emit(ended, 'anomaly ended');
  }
}

/** `2024-05-01 14:03 UTC` (seconds only when not 0). */
export function formatTime(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10)} ${iso.endsWith(':00.000Z') ? iso.slice(11, 16) : iso.slice(11, 19)} UTC`;
}

/** `3 h 20 min`, `45 min`, `30 s`. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  return m % 60 === 0 ? `${h} h` : `${h} h ${m % 60} min`;
}
