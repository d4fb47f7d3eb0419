/**
 * Query regressions from pg_stat_statements counters, pure (no I/O): each read of the statistics
 * view goes to {@link QueryRegressionTracker.observe}, which turns the cumulative counters into
 * per-interval means and compares each statement with its own past.
 *
 * - Deltas per view row (queryid + user): pg_stat_statements counters are cumulative since the
 *   entry was created or reset. A counter that went down means the entry was reset
 *   (pg_stat_statements_reset) or evicted and re-created after the previous read: its current
 *   counters are then all from this interval and count as the delta. An entry absent from a
 *   complete previous read is new: its counters are the delta too. The first read only sets the
 *   reference. (Not detectable from the view: a reset followed, before the next read, by more of
 *   every counter than before the reset; the interval is then wrong once.)
 * - Deltas are summed per queryid; calls accumulate over reads until an interval has `minCalls`
 *   calls (at most `maxIntervalMs`, then dropped), whose mean time per call is one sample.
 * - The first `minBaselineIntervals` samples only learn. Then a sample is regressed when it is at
 *   least `minRatio` times the baseline median, at least `minSlowdownMs` slower, and more than
 *   `threshold` robust sigmas (1.4826·MAD of the baseline) above the median. `openIntervals`
 *   regressed samples in a row open a `QueryRegression`; `clearIntervals` normal ones close it.
 *   Regressed samples never enter the baseline, so a statement that stays slow stays reported.
 */
import type { Anomaly } from '../anomaly.js';
import { median, robustSigma } from '../detect/order-statistics.js';
import { keepPoint, type SeriesPoint } from '../series-view.js';

/** Samples of each statement kept for drawing (default 120). */
export const DEFAULT_STATEMENT_POINTS = 120;

/** One row of the statistics view, counters as numbers. */
export interface StatementCounters {
  /** pg_stat_statements' queryid, as text (a bigint). */
  readonly queryid: string;
  /** The role that ran it (`username` of the view). */
  readonly username: string;
  readonly query: string;
  readonly calls: number;
  /** Cumulative `total_exec_time`, milliseconds. */
  readonly totalExecMs: number;
  readonly rows: number;
  readonly sharedBlksHit: number;
  readonly sharedBlksRead: number;
}

/** Tuning of {@link QueryRegressionTracker}; every field has a default. */
export interface QueryRegressionOptions {
  /** Namespace of the anomalies (the PostgreSQL's); default `''`. */
  readonly namespace?: string;
  /** Extra labels of every anomaly (e.g. `{ database }`); default none. */
  readonly labels?: Readonly<Record<string, string>>;
  /** Calls an interval needs before its mean is a sample; default 20. */
  readonly minCalls?: number;
  /** An interval still short of `minCalls` after this is dropped; default 3,600,000 ms (1 h). */
  readonly maxIntervalMs?: number;
  /** Most samples kept as the baseline (the newest); default 30. */
  readonly baselineIntervals?: number;
  /** Samples learned before any judgement; default 5. */
  readonly minBaselineIntervals?: number;
  /** Robust sigmas above the baseline median a regressed sample exceeds; default 6. */
  readonly threshold?: number;
  /** Least ratio sample / baseline median of a regression; default 2. */
  readonly minRatio?: number;
  /** Least absolute slowdown per call of a regression; default 5 ms. */
  readonly minSlowdownMs?: number;
  /** Regressed samples in a row that open an anomaly; default 2. */
  readonly openIntervals?: number;
  /** Normal samples in a row that close it; default 2. */
  readonly clearIntervals?: number;
  /** Ratio from which the anomaly is `critical` instead of `warning`; default 10. */
  readonly criticalRatio?: number;
  /** A queryid not seen for this long is forgotten (its open anomaly closed); default 86,400,000 ms (24 h). */
  readonly forgetAfterMs?: number;
  /** Characters of query text in a summary; default 120. */
  readonly summaryQueryLength?: number;
}

/** What one {@link QueryRegressionTracker.observe} changed. */
export interface QueryRegressionUpdate {
  /** Anomalies opened by this read. */
  readonly opened: Anomaly[];
  /** Anomalies closed by this read (with `endsAt`). */
  readonly closed: Anomaly[];
  /** Samples (complete intervals) this read produced. */
  readonly samples: number;
  /** View rows whose counters went down (reset or evicted since the previous read). */
  readonly resets: number;
}

/** A queryid's learned state, as {@link QueryRegressionTracker.snapshot} saves it. */
export interface StatementBaselineSnapshot {
  readonly queryid: string;
  /** Mean milliseconds per call of earlier intervals, oldest first. */
  readonly baseline: readonly number[];
}

/** What the tracker knows about one queryid, for reports. */
export interface StatementBaseline {
  /** Median of the baseline samples (ms per call); undefined while learning. */
  readonly medianMs: number | undefined;
  readonly samples: number;
  /** The last sample's mean (ms per call), if any. */
  readonly lastMs: number | undefined;
}

interface Counters {
  calls: number;
  totalMs: number;
}

interface StatementState {
  query: string;
  baseline: number[];
  pending: Counters & { since: number };
  regressedRun: number;
  normalRun: number;
  lastMs: number | undefined;
  lastSeen: number;
  open: Anomaly | undefined;
  /** The latest samples with the baseline they were judged against, for drawing. */
  points: SeriesPoint[];
}

/** One statement as drawn by `GET /api/v1/series`. */
export interface StatementSeries {
  readonly queryid: string;
  readonly query: string;
  readonly points: readonly SeriesPoint[];
  readonly open: Anomaly | undefined;
}

const DEFAULTS = {
  namespace: '',
  minCalls: 20,
  maxIntervalMs: 3_600_000,
  baselineIntervals: 30,
  minBaselineIntervals: 5,
  threshold: 6,
  minRatio: 2,
  minSlowdownMs: 5,
  openIntervals: 2,
  clearIntervals: 2,
  criticalRatio: 10,
  forgetAfterMs: 86_400_000,
  summaryQueryLength: 120,
};

/** `query` on one line (whitespace runs collapsed), at most `max` characters (an ellipsis when cut). */
export function shortQuery(query: string, max: number): string {
  const flat = query.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, Math.max(0, max - 1))}…` : flat;
}

/** `12.3 ms`, `1.25 s`. */
function duration(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toPrecision(3)} s` : `${ms.toPrecision(3)} ms`;
}

/** Regression tracking of every queryid of one statistics view; see the file comment. */
export class QueryRegressionTracker {
  private readonly o: typeof DEFAULTS & { labels: Readonly<Record<string, string>> };
  /** Previous counters per view row (`queryid/username`). */
  private refs = new Map<string, Counters>();
  private readonly statements = new Map<string, StatementState>();
  private previousComplete = false;

  constructor(opts: QueryRegressionOptions = {}) {
    const defined = Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined));
    this.o = { ...DEFAULTS, labels: {}, ...defined };
    for (const k of ['minCalls', 'baselineIntervals', 'minBaselineIntervals', 'openIntervals', 'clearIntervals'] as const) {
      if (!Number.isInteger(this.o[k]) || this.o[k] < 1) throw new RangeError(`QueryRegressionTracker: ${k} must be a positive integer, found ${this.o[k]}`);
    }
    if (this.o.minBaselineIntervals > this.o.baselineIntervals) throw new RangeError('QueryRegressionTracker: minBaselineIntervals must not exceed baselineIntervals');
  }

  /**
   * One read of the view at `atMs`. `complete` (default true): the read holds every row of the
   * view (not cut by a row limit), so a row absent from it and present in the next one is new.
   */
  observe(rows: readonly StatementCounters[], atMs: number, complete = true): QueryRegressionUpdate {
    const update = { opened: [] as Anomaly[], closed: [] as Anomaly[], samples: 0, resets: 0 };
    const current = new Map<string, Counters & { queryid: string }>();
    const texts = new Map<string, string>();
    for (const r of rows) {
      if (![r.calls, r.totalExecMs].every((n) => Number.isFinite(n) && n >= 0)) continue;
      const key = `${r.queryid}/${r.username}`;
      const c = current.get(key) ?? { queryid: r.queryid, calls: 0, totalMs: 0 };
      c.calls += r.calls;
      c.totalMs += r.totalExecMs;
      current.set(key, c);
      if (!texts.has(r.queryid) || texts.get(r.queryid) === '<insufficient privilege>') texts.set(r.queryid, r.query);
    }

    const deltas = new Map<string, Counters>();
    for (const [key, c] of current) {
      const prev = this.refs.get(key);
      let delta: Counters | undefined;
      if (prev) {
        if (c.calls < prev.calls || c.totalMs < prev.totalMs) {
          update.resets += 1;
          delta = { calls: c.calls, totalMs: c.totalMs };
        } else {
          delta = { calls: c.calls - prev.calls, totalMs: c.totalMs - prev.totalMs };
        }
      } else if (this.previousComplete) {
        delta = { calls: c.calls, totalMs: c.totalMs };
      }
      if (delta && delta.calls > 0) {
        const sum = deltas.get(c.queryid) ?? { calls: 0, totalMs: 0 };
        sum.calls += delta.calls;
        sum.totalMs += delta.totalMs;
        deltas.set(c.queryid, sum);
      }
    }
    this.refs = new Map([...current].map(([k, c]) => [k, { calls: c.calls, totalMs: c.totalMs }]));
    this.previousComplete = complete;

    for (const [queryid, query] of texts) {
      const state = this.statements.get(queryid) ?? this.newState(query, atMs);
      this.statements.set(queryid, state);
      state.lastSeen = atMs;
      if (query !== '<insufficient privilege>') state.query = query;
      const delta = deltas.get(queryid);
      if (!delta) continue;
      if (state.pending.calls === 0) state.pending.since = atMs;
      state.pending.calls += delta.calls;
      state.pending.totalMs += delta.totalMs;
      if (state.pending.calls >= this.o.minCalls) {
        const mean = state.pending.totalMs / state.pending.calls;
        const calls = state.pending.calls;
        state.pending = { calls: 0, totalMs: 0, since: atMs };
        update.samples += 1;
        this.judge(queryid, state, mean, calls, atMs, update);
      } else if (atMs - state.pending.since > this.o.maxIntervalMs) {
        state.pending = { calls: 0, totalMs: 0, since: atMs };
      }
    }

    for (const [queryid, state] of this.statements) {
      if (atMs - state.lastSeen <= this.o.forgetAfterMs) continue;
      if (state.open) update.closed.push({ ...state.open, endsAt: atMs });
      this.statements.delete(queryid);
    }
    return update;
  }

  /** The open regressions. */
  active(): Anomaly[] {
    return [...this.statements.values()].flatMap((s) => (s.open ? [s.open] : []));
  }

  /** Every tracked statement with its samples. */
  statementSeries(): StatementSeries[] {
    return [...this.statements].map(([queryid, s]) => ({ queryid, query: s.query, points: [...s.points], open: s.open }));
  }

  /** The baseline of `queryid`, or undefined when it is unknown. */
  baseline(queryid: string): StatementBaseline | undefined {
    const s = this.statements.get(queryid);
    if (!s) return undefined;
    const learned = s.baseline.length >= this.o.minBaselineIntervals;
    return { medianMs: learned ? median(s.baseline) : undefined, samples: s.baseline.length, lastMs: s.lastMs };
  }

  /** The learned baselines (for a hot-state store), so that a restart does not learn from zero. */
  snapshot(): StatementBaselineSnapshot[] {
    return [...this.statements].map(([queryid, s]) => ({ queryid, baseline: [...s.baseline] }));
  }

  /** Restores baselines of {@link snapshot} (invalid entries are skipped); the counters' reference starts again with the next read. */
  restore(saved: readonly StatementBaselineSnapshot[], atMs: number): void {
    for (const entry of saved) {
      if (typeof entry?.queryid !== 'string' || !Array.isArray(entry.baseline)) continue;
      const baseline = entry.baseline.filter((v): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0).slice(-this.o.baselineIntervals);
      const state = this.statements.get(entry.queryid) ?? this.newState('', atMs);
      state.baseline = baseline;
      this.statements.set(entry.queryid, state);
    }
  }

  private newState(query: string, atMs: number): StatementState {
    return { query, baseline: [], pending: { calls: 0, totalMs: 0, since: atMs }, regressedRun: 0, normalRun: 0, lastMs: undefined, lastSeen: atMs, open: undefined, points: [] };
  }

  private judge(queryid: string, s: StatementState, mean: number, calls: number, atMs: number, update: QueryRegressionUpdate): void {
    s.lastMs = mean;
    const o = this.o;
    if (s.baseline.length < o.minBaselineIntervals) {
      s.baseline.push(mean);
      keepPoint(s.points, { t: atMs, value: mean }, DEFAULT_STATEMENT_POINTS);
      return;
    }
    const base = median(s.baseline);
    const sigma = robustSigma(s.baseline, base);
    keepPoint(s.points, { t: atMs, value: mean, expected: base, scale: sigma }, DEFAULT_STATEMENT_POINTS);
    const regressed = mean >= o.minRatio * base && mean - base >= o.minSlowdownMs && mean > base + o.threshold * sigma;
    if (regressed) {
      s.regressedRun += 1;
      s.normalRun = 0;
      if (s.open || s.regressedRun >= o.openIntervals) {
        const anomaly = this.anomaly(queryid, s, mean, base, calls, s.open?.startsAt ?? atMs);
        if (!s.open) update.opened.push(anomaly);
        s.open = anomaly;
      }
      return;
    }
    s.regressedRun = 0;
    s.baseline.push(mean);
    if (s.baseline.length > o.baselineIntervals) s.baseline.shift();
    if (!s.open) return;
    s.normalRun += 1;
    if (s.normalRun >= o.clearIntervals) {
      update.closed.push({ ...s.open, endsAt: atMs });
      s.open = undefined;
      s.normalRun = 0;
    }
  }

  private anomaly(queryid: string, s: StatementState, mean: number, base: number, calls: number, startsAt: number): Anomaly {
    const ratio = base > 0 ? mean / base : Number.POSITIVE_INFINITY;
    const shown = Number.isFinite(ratio) ? `${ratio.toPrecision(3)}×` : 'from 0';
    return {
      id: `queries:${queryid}`,
      kind: 'QueryRegression',
      source: 'queries',
      severity: ratio >= this.o.criticalRatio ? 'critical' : 'warning',
      component: 'postgresql',
      namespace: this.o.namespace,
      action: 'optimize-db',
      labels: { ...this.o.labels, queryid },
      summary: `statement ${queryid} slowed down: ${duration(mean)} per call over ${calls} calls, usually ${duration(base)} (${shown}): ${shortQuery(s.query, this.o.summaryQueryLength)}`,
      startsAt,
      value: Number.isFinite(ratio) ? ratio : Number.MAX_VALUE,
    };
  }
}
