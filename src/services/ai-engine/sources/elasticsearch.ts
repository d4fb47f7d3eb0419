import { createHash } from 'node:crypto';
import type { Anomaly } from '../anomaly.js';
import { AnomalyState, type AnomalyStateOptions } from '../detect/anomaly-state.js';
import { Drain, type DrainOptions, type DrainState } from '../detect/drain.js';
import { truncate } from '../detect/log-masks.js';
import { NewPatternDetector, type NewPatternOptions } from '../detect/new-patterns.js';
import { SeriesDetector, type SeriesDetectorOptions, type SeriesDetectorSnapshot } from '../detect/series-detector.js';
import { firstLabelSets, keepPoint, type SeriesListing, type SeriesPoint, type SeriesProvider, type SeriesView } from '../series-view.js';
import { Backoff, ElasticsearchClient, ElasticsearchError, type BackoffOptions, type ElasticsearchConnection } from './elasticsearch-client.js';
import { DEFAULT_ERROR_TERMS, errorLinesQuery, errorRateQuery, interval, parseErrorLines, parseErrorRates, type ErrorLine } from './log-queries.js';

/**
 * The AI engine's logs source (issue 11, point 3): each poll reads the platform's log indices
 * (`aiops-logs-*`, as `logs_reader`) twice:
 *
 * - error-rate spikes: error lines per minute per service over the last hour (log-queries.ts); each
 *   service's counts feed a {@link SeriesDetector} (upward only) and an {@link AnomalyState}
 *   (persistence and hysteresis) → a `LogErrorSpike` anomaly while it is open;
 * - new log patterns: the error lines since the previous poll go through Drain's
 *   {@link NewPatternDetector}; a template the baseline (learnt from earlier windows) never saw,
 *   with ≥ k lines, is a `NewLogPattern` anomaly for `patternHoldMs`.
 *
 * Minutes are complete ones only (`lagMs` behind the clock, for shipping delay), each fed once. A
 * poll's result lists the open anomalies and those that ended with it (with `endsAt`), so an output
 * can re-send the active ones and resolve the rest. Elasticsearch down or failing: no throw, the
 * state is kept, and polls are skipped with exponential backoff. No index yet (a fresh cluster) is
 * not an error. The pattern baseline is plain JSON ({@link ElasticsearchLogsSource.patternState})
 * for a hot-state store.
 */

/** What the source logs through (a pino Logger fits). */
export interface LogsSourceLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/** The pattern miner's state as plain JSON (Redis), restored with {@link LogsSourceOptions.patternState}. */
export interface LogsPatternState {
  readonly version: 1;
  /** The baseline Drain ({@link Drain.toJSON}). */
  readonly baseline: DrainState;
  /** Lines up to this time (epoch ms) have been mined; the next window starts there. */
  readonly linesUntil: number | undefined;
}

/** Everything the logs source learnt, as plain JSON ({@link ElasticsearchLogsSource.snapshot}). */
export interface LogsSourceSnapshot {
  readonly version: 1;
  readonly services: readonly {
    readonly namespace: string;
    readonly service: string;
    readonly detector: SeriesDetectorSnapshot;
    readonly state: ReturnType<AnomalyState['toJSON']>;
    readonly lastFed: number | null;
    readonly lastErrorAt: number;
    readonly anomaly?: Anomaly;
    readonly spike?: { readonly usual: number; readonly peak: number; readonly peakAt: number };
    readonly points: readonly SeriesPoint[];
  }[];
  readonly patterns: readonly ActivePattern[];
  /** Null before the first window was learnt. */
  readonly patternState: LogsPatternState | null;
  readonly lastEnd: number | null;
  readonly observedFrom: number | null;
}

/** Settings of the logs source; every one but the connection is optional. */
export interface LogsSourceOptions {
  readonly connection: ElasticsearchConnection;
  readonly logger?: LogsSourceLogger;
  /** The clock (default `Date.now`). */
  readonly now?: () => number;
  /** Span of the error-rate search (default 1 h). */
  readonly windowMs?: number;
  /** Histogram step, one detector point (default 1 min). */
  readonly stepMs?: number;
  /** How far behind the clock a step must end to count as complete: shipping delay (default 30 s). */
  readonly lagMs?: number;
  /** Words of error lines (default {@link DEFAULT_ERROR_TERMS}). */
  readonly errorTerms?: readonly string[];
  /** Namespaces aggregated (default 10). */
  readonly maxNamespaces?: number;
  /** Services aggregated per namespace (default 50). With the defaults: 10 × 50 × 60 buckets, under search.max_buckets (65,536). */
  readonly maxServicesPerNamespace?: number;
  /** Error lines per step below which a step never counts towards a spike (default 5). */
  readonly minErrorsPerStep?: number;
  /** Zeros fed before a newly seen service's window, over time the source already watched, so its detector is warm (default 2 h). */
  readonly backfillMs?: number;
  /** A service with no error line for this long, and no open spike, is forgotten (default 24 h). */
  readonly forgetAfterMs?: number;
  /** Detector settings; defaults: direction `up`, one daily season, absolute scale floor 1 line. */
  readonly detector?: SeriesDetectorOptions;
  /** Persistence and hysteresis (AnomalyState defaults: 3 of 5 steps open, 5 calm steps close). */
  readonly anomalyState?: AnomalyStateOptions;
  /** Error lines fetched per poll at most, newest first (default 1000; Elasticsearch's max_result_window is 10,000). */
  readonly maxLines?: number;
  /** Drain settings of a new baseline (Drain's defaults). */
  readonly drain?: DrainOptions;
  /** k and the cap of new patterns per window (NewPatternDetector's defaults: 3 and 20). */
  readonly newPatterns?: NewPatternOptions;
  /** How long a new pattern stays an active anomaly (default 1 h). */
  readonly patternHoldMs?: number;
  /** Backoff while Elasticsearch fails (default 5 s doubling to 5 min). */
  readonly backoff?: BackoffOptions;
  /** A pattern state saved earlier ({@link ElasticsearchLogsSource.patternState}): no re-learning. */
  readonly patternState?: LogsPatternState;
  /** Told the compute time of each poll's error-rate scoring (`detector`) and pattern mining (`patterns`), or their failure (metrics). */
  readonly onInference?: (model: 'detector' | 'patterns', outcome: 'success' | 'error', seconds: number) => void;
}

/** The id of the error-rate series in `GET /api/v1/series`. */
export const LOG_ERROR_SERIES_ID = 'log-error-rate';

/** How a poll went. */
export type LogsPollStatus =
  /** Searched; anomalies updated. */
  | 'ok'
  /** No complete step since the last poll: nothing searched. */
  | 'idle'
  /** No index matches the pattern (no logs yet): nothing to detect, not an error. */
  | 'no-index'
  /** The search failed; backing off. */
  | 'failed'
  /** Skipped: backing off after a failure. */
  | 'backoff';

/** One poll's outcome. */
export interface LogsPollResult {
  readonly status: LogsPollStatus;
  /** What failed ('failed'), without credentials. */
  readonly error?: string;
  /** The next attempt ('failed', 'backoff'), epoch ms. */
  readonly retryAt?: number;
  /** The open anomalies, and those that ended with this poll (`endsAt` set). */
  readonly anomalies: readonly Anomaly[];
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

interface ServiceSeries {
  readonly namespace: string;
  readonly service: string;
  readonly detector: SeriesDetector;
  readonly state: AnomalyState;
  /** Start of the last step fed (epoch ms). */
  lastFed: number;
  /** Start of the last step with an error line. */
  lastErrorAt: number;
  anomaly: Anomaly | undefined;
  /** While open: the detector's expectation when it opened, and the highest count since. */
  spike: { usual: number; peak: number; peakAt: number } | undefined;
  /** The latest steps, for drawing. */
  readonly points: SeriesPoint[];
}

interface ActivePattern {
  readonly anomaly: Anomaly;
  readonly expiresAt: number;
}

/** `text` cut to `max` characters, with an ellipsis when cut. */
const shorten = (text: string, max: number) => (text.length <= max ? text : `${truncate(text, max - 1)}…`);

/** Short stable id of a template. */
const templateId = (template: string) => createHash('sha256').update(template).digest('hex').slice(0, 12);

export class ElasticsearchLogsSource implements SeriesProvider {
  private readonly client: ElasticsearchClient;
  private readonly now: () => number;
  private readonly backoff: Backoff;
  private readonly o: {
    windowMs: number;
    stepMs: number;
    lagMs: number;
    errorTerms: readonly string[];
    maxNamespaces: number;
    maxServicesPerNamespace: number;
    minErrorsPerStep: number;
    backfillMs: number;
    forgetAfterMs: number;
    maxLines: number;
    patternHoldMs: number;
  };
  private readonly detectorOptions: SeriesDetectorOptions;
  private readonly services = new Map<string, ServiceSeries>();
  private readonly patterns = new Map<string, ActivePattern>();
  private patternDetector: NewPatternDetector;
  /** True once the baseline has learnt a first window (or was restored). */
  private baselineLearnt: boolean;
  private linesUntil: number | undefined;
  /** End of the last searched window. */
  private lastEnd: number | undefined;
  /** Start of the first searched window: steps from there on were watched. */
  private observedFrom: number | undefined;
  private noIndexLogged = false;

  constructor(private readonly opts: LogsSourceOptions) {
    this.client = new ElasticsearchClient(opts.connection);
    this.now = opts.now ?? Date.now;
    this.backoff = new Backoff(opts.backoff);
    this.o = {
      windowMs: opts.windowMs ?? HOUR,
      stepMs: opts.stepMs ?? 60_000,
      lagMs: opts.lagMs ?? 30_000,
      errorTerms: opts.errorTerms ?? DEFAULT_ERROR_TERMS,
      maxNamespaces: opts.maxNamespaces ?? 10,
      maxServicesPerNamespace: opts.maxServicesPerNamespace ?? 50,
      minErrorsPerStep: opts.minErrorsPerStep ?? 5,
      backfillMs: opts.backfillMs ?? 2 * HOUR,
      forgetAfterMs: opts.forgetAfterMs ?? DAY,
      maxLines: opts.maxLines ?? 1000,
      patternHoldMs: opts.patternHoldMs ?? HOUR,
    };
    if (!(this.o.stepMs > 0) || this.o.windowMs % this.o.stepMs !== 0) throw new RangeError(`windowMs (${this.o.windowMs}) must be a multiple of stepMs (${this.o.stepMs})`);
    if (this.o.errorTerms.length === 0) throw new RangeError('errorTerms must name at least one word');
    const buckets = this.o.maxNamespaces * this.o.maxServicesPerNamespace * (this.o.windowMs / this.o.stepMs + 1);
    if (buckets > 65_536) throw new RangeError(`maxNamespaces × maxServicesPerNamespace × steps = ${buckets} buckets, above Elasticsearch's search.max_buckets (65,536)`);
    this.detectorOptions = { direction: 'up', seasons: [DAY], absoluteScaleFloor: 1, ...opts.detector };
    const baseline = opts.patternState ? Drain.fromJSON(opts.patternState.baseline) : new Drain(opts.drain);
    this.patternDetector = new NewPatternDetector(baseline, opts.newPatterns);
    this.baselineLearnt = opts.patternState !== undefined;
    this.linesUntil = opts.patternState?.linesUntil;
  }

  /** The pattern miner's state as plain JSON, for a hot-state store. */
  patternState(): LogsPatternState {
    return { version: 1, baseline: this.patternDetector.baseline.toJSON(), linesUntil: this.linesUntil };
  }

  /** Everything learnt (error-rate detectors, open anomalies, the pattern baseline, the windows searched) as plain JSON. */
  snapshot(): LogsSourceSnapshot {
    return {
      version: 1,
      services: [...this.services.values()].map((s) => ({
        namespace: s.namespace,
        service: s.service,
        detector: s.detector.snapshot(),
        state: s.state.toJSON(),
        lastFed: Number.isFinite(s.lastFed) ? s.lastFed : null,
        lastErrorAt: s.lastErrorAt,
        ...(s.anomaly ? { anomaly: s.anomaly } : {}),
        ...(s.spike ? { spike: { ...s.spike } } : {}),
        points: [...s.points],
      })),
      patterns: [...this.patterns.values()],
      patternState: this.baselineLearnt ? this.patternState() : null,
      lastEnd: this.lastEnd ?? null,
      observedFrom: this.observedFrom ?? null,
    };
  }

  /**
   * Goes on from {@link snapshot}'s output (before the first poll): the next poll searches only
   * the steps since. Throws on a malformed snapshot, leaving the source as it was.
   */
  restore(saved: LogsSourceSnapshot): void {
    if (saved.version !== 1) throw new Error(`unknown logs source snapshot version ${String(saved.version)}`);
    const services = saved.services.map((s): [string, ServiceSeries] => [
      `${s.namespace}/${s.service}`,
      {
        namespace: s.namespace,
        service: s.service,
        detector: SeriesDetector.restore(s.detector, this.detectorOptions),
        state: AnomalyState.fromJSON(s.state, this.opts.anomalyState),
        lastFed: s.lastFed ?? -Infinity,
        lastErrorAt: s.lastErrorAt,
        anomaly: s.anomaly,
        spike: s.spike ? { ...s.spike } : undefined,
        points: [...(s.points ?? [])],
      },
    ]);
    const patternDetector = saved.patternState ? new NewPatternDetector(Drain.fromJSON(saved.patternState.baseline), this.opts.newPatterns) : undefined;
    this.services.clear();
    for (const [key, series] of services) this.services.set(key, series);
    this.patterns.clear();
    for (const p of saved.patterns) this.patterns.set(p.anomaly.id, { anomaly: p.anomaly, expiresAt: p.expiresAt });
    if (patternDetector) {
      this.patternDetector = patternDetector;
      this.baselineLearnt = true;
      this.linesUntil = saved.patternState!.linesUntil;
    }
    this.lastEnd = saved.lastEnd ?? undefined;
    this.observedFrom = saved.observedFrom ?? undefined;
  }

  /** The error-rate series (one label set per service) for `GET /api/v1/series`. */
  seriesList(): SeriesListing[] {
    return [{ id: LOG_ERROR_SERIES_ID, source: 'logs', description: 'Error lines of a service (platform logs in Elasticsearch)', kind: 'LogErrorSpike', unit: `lines/${interval(this.o.stepMs)}`, labelSets: this.services.size }];
  }

  /** The error-rate series drawn: at most `limit` services, open spikes first, then by their latest count. */
  seriesView(id: string, limit: number): SeriesView | undefined {
    if (id !== LOG_ERROR_SERIES_ID) return undefined;
    const [listing] = this.seriesList() as [SeriesListing];
    const latest = (points: readonly SeriesPoint[]) => points.at(-1)?.value ?? 0;
    const sets = [...this.services.values()].map((s) => ({ labels: { namespace: s.namespace, service: s.service }, points: [...s.points], ...(s.anomaly ? { anomaly: s.anomaly } : {}) }));
    const { labelSets: _count, ...rest } = listing;
    return { ...rest, stepSeconds: this.o.stepMs / 1000, labelSets: firstLabelSets(sets, limit, (a, b) => latest(b.points) - latest(a.points)) };
  }

  /** The open anomalies (spikes, then patterns). */
  active(): Anomaly[] {
    return [...[...this.services.values()].flatMap((s) => (s.anomaly ? [s.anomaly] : [])), ...[...this.patterns.values()].map((p) => p.anomaly)];
  }

  /** Searches the steps completed since the last poll and updates the anomalies; never throws for Elasticsearch's sake. */
  async poll(): Promise<LogsPollResult> {
    const now = this.now();
    if (this.backoff.waiting(now)) return { status: 'backoff', retryAt: this.backoff.retryAt, anomalies: this.active() };
    const { stepMs, windowMs } = this.o;
    const end = Math.floor((now - this.o.lagMs) / stepMs) * stepMs;
    if (this.lastEnd !== undefined && end <= this.lastEnd) return { status: 'idle', anomalies: this.active() };
    const start = end - windowMs;
    const linesFrom = this.linesUntil === undefined ? start : Math.min(end, Math.max(start, this.linesUntil));

    let rateAnswer: unknown;
    let linesAnswer: unknown;
    try {
      rateAnswer = await this.client.search(errorRateQuery({ from: start, to: end, stepMs, errorTerms: this.o.errorTerms, maxNamespaces: this.o.maxNamespaces, maxServicesPerNamespace: this.o.maxServicesPerNamespace }));
      linesAnswer = linesFrom < end ? await this.client.search(errorLinesQuery({ from: linesFrom, to: end, size: this.o.maxLines, errorTerms: this.o.errorTerms })) : undefined;
    } catch (error) {
      return this.failed(now, error);
    }
    if (this.backoff.failures > 0) this.opts.logger?.info({ endpoint: this.client.endpoint }, 'Elasticsearch answers again');
    this.backoff.success();
    this.noIndexLogged = false;

    const ended: Anomaly[] = [];
    this.timed('detector', () => this.feedRates(rateAnswer, start, end, ended));
    this.timed('patterns', () => this.minePatterns(parseErrorLines(linesAnswer), end, ended));
    this.linesUntil = end;
    this.lastEnd = end;
    this.observedFrom ??= start;
    return { status: 'ok', anomalies: [...this.active(), ...ended] };
  }

  /** Runs `work`, telling onInference its compute time. */
  private timed(model: 'detector' | 'patterns', work: () => void): void {
    const started = process.hrtime.bigint();
    work();
    this.opts.onInference?.(model, 'success', Number(process.hrtime.bigint() - started) / 1e9);
  }

  private failed(now: number, error: unknown): LogsPollResult {
    const message = error instanceof Error ? error.message : String(error);
    if (error instanceof ElasticsearchError && error.kind === 'index-not-found') {
      this.backoff.success();
      if (!this.noIndexLogged) this.opts.logger?.info({ indexPattern: this.opts.connection.indexPattern }, message);
      this.noIndexLogged = true;
      return { status: 'no-index', anomalies: this.active() };
    }
    const retryAt = this.backoff.failure(now);
    for (const model of ['detector', 'patterns'] as const) this.opts.onInference?.(model, 'error', 0);
    this.opts.logger?.warn({ endpoint: this.client.endpoint, kind: error instanceof ElasticsearchError ? error.kind : 'unexpected', failures: this.backoff.failures, retryAt: new Date(retryAt).toISOString() }, `logs source: ${message}`);
    return { status: 'failed', error: message, retryAt, anomalies: this.active() };
  }

  private feedRates(answer: unknown, start: number, end: number, ended: Anomaly[]): void {
    const { stepMs } = this.o;
    const { services, truncated } = parseErrorRates(answer);
    const seen = new Set<string>();
    for (const s of services) {
      const key = `${s.namespace}/${s.service}`;
      seen.add(key);
      let series = this.services.get(key);
      if (!series) {
        series = { namespace: s.namespace, service: s.service, detector: new SeriesDetector(this.detectorOptions), state: new AnomalyState(this.opts.anomalyState), lastFed: -Infinity, lastErrorAt: start, anomaly: undefined, spike: undefined, points: [] };
        this.services.set(key, series);
        // Steps watched before, where this service had no error line: zeros, so the detector is warm.
        if (this.observedFrom !== undefined) {
          for (let t = Math.max(this.observedFrom, start - this.o.backfillMs); t < start; t += stepMs) this.feed(series, t, 0, ended);
        }
      }
      for (let t = Math.max(start, series.lastFed + stepMs); t < end; t += stepMs) this.feed(series, t, s.counts.get(t) ?? 0, ended);
    }
    for (const [key, series] of this.services) {
      // Absent from a complete answer: no error line in the window. Absent from a truncated one: unknown, not fed.
      if (!seen.has(key) && !truncated) {
        for (let t = Math.max(start, series.lastFed + stepMs); t < end; t += stepMs) this.feed(series, t, 0, ended);
      }
      if (!series.state.open && end - series.lastErrorAt > this.o.forgetAfterMs) this.services.delete(key);
    }
  }

  private feed(series: ServiceSeries, t: number, count: number, ended: Anomaly[]): void {
    const point = series.detector.update(t, count);
    const score = count >= this.o.minErrorsPerStep ? point.rawScore : 0;
    keepPoint(series.points, { t, value: count, expected: point.expected, scale: point.scale, score });
    const transition = series.state.push(score);
    series.lastFed = t;
    if (count > 0) series.lastErrorAt = t;
    if (transition === 'closed' && series.anomaly) {
      ended.push({ ...series.anomaly, endsAt: t + this.o.stepMs });
      series.anomaly = undefined;
      series.spike = undefined;
      return;
    }
    if (transition === 'opened' || series.anomaly) {
      if (transition === 'opened') series.spike = { usual: point.expected ?? 0, peak: count, peakAt: t };
      const spike = series.spike!;
      if (count > spike.peak) Object.assign(spike, { peak: count, peakAt: t });
      series.anomaly = {
        id: `logs:errors:${series.namespace}/${series.service}`,
        kind: 'LogErrorSpike',
        source: 'logs',
        severity: 'warning',
        component: series.service,
        namespace: series.namespace,
        action: 'none',
        labels: { namespace: series.namespace, service: series.service },
        summary: `Error lines of ${series.service} (${series.namespace}) spike: up to ${spike.peak} per ${interval(this.o.stepMs)} (at ${new Date(spike.peakAt).toISOString()}), usually about ${Math.round(spike.usual)}; latest ${count}`,
        startsAt: series.anomaly?.startsAt ?? t,
        value: count,
      };
    }
  }

  private minePatterns(lines: ErrorLine[], end: number, ended: Anomaly[]): void {
    for (const [id, p] of this.patterns) {
      if (p.expiresAt <= end) {
        ended.push({ ...p.anomaly, endsAt: p.expiresAt });
        this.patterns.delete(id);
      }
    }
    const baseline = this.patternDetector.baseline;
    if (!this.baselineLearnt) {
      // The first window only teaches the baseline: everything would be "new" to an empty one.
      for (const line of lines) baseline.add(line.message);
      this.baselineLearnt = true;
      return;
    }
    const max = baseline.options.maxLineLength;
    const origin = new Map<string, ErrorLine>();
    for (const line of lines) {
      const key = truncate(line.message, max);
      if (!origin.has(key)) origin.set(key, line);
    }
    for (const found of this.patternDetector.observe(lines.map((l) => l.message))) {
      const from = origin.get(found.example);
      const id = `logs:pattern:${templateId(found.template)}`;
      const namespace = from?.namespace ?? 'unknown';
      const service = from?.service ?? 'unknown';
      const anomaly: Anomaly = {
        id,
        kind: 'NewLogPattern',
        source: 'logs',
        severity: 'warning',
        component: service,
        namespace,
        action: 'none',
        labels: { namespace, service, pattern: templateId(found.template) },
        summary: `New error log pattern in ${service} (${namespace}), ${found.hits} lines: ${shorten(found.template, 200)} — e.g. ${shorten(found.example, 200)}`,
        startsAt: end,
        value: found.hits,
      };
      this.patterns.set(id, { anomaly, expiresAt: end + this.o.patternHoldMs });
    }
  }
}
