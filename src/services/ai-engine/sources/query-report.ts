/**
 * The slow-query report of `GET /ai/api/v1/analysis/queries`, pure: from one read of the query
 * statistics view, the top statements by total time and by mean time (cumulative since the
 * statistics were last reset), each with its calls, mean, total, rows, buffer cache hit ratio and
 * the regression tracker's baseline. Rows of the same queryid (several roles) are summed.
 */
import type { Anomaly } from '../anomaly.js';
import { shortQuery, type StatementBaseline, type StatementCounters } from './query-regression.js';

/** Options of the report; every field has a default. */
export interface QueryReportOptions {
  /** Statements in each top list, 1..{@link MAX_REPORT_TOP}; default 10. */
  readonly top?: number;
  /** Characters of query text per statement (on one line, an ellipsis when cut); default 300. */
  readonly maxQueryLength?: number;
}

/** Most statements a top list may hold. */
export const MAX_REPORT_TOP = 100;

/** One statement of the report. */
export interface ReportedStatement {
  readonly queryid: string;
  /** Query text, normalised by pg_stat_statements (`$1` for constants), truncated. */
  readonly query: string;
  readonly calls: number;
  /** Mean execution time per call, ms. */
  readonly meanMs: number;
  /** Total execution time, ms. */
  readonly totalMs: number;
  /** Rows returned or affected. */
  readonly rows: number;
  /** shared_blks_hit / (hit + read), or null when it touched no shared block. */
  readonly hitRatio: number | null;
  /** The median interval mean the regression tracker learned (ms per call), null while learning. */
  readonly baselineMs: number | null;
  /** True while a QueryRegression of this statement is open. */
  readonly regressed: boolean;
}

/** The report. */
export interface QueryReport {
  /** The view read. */
  readonly view: string;
  /** When it was read (epoch ms), null before the first read. */
  readonly readAt: number | null;
  /** True when the read was cut by the row limit (the least expensive statements are missing). */
  readonly truncated: boolean;
  /** Distinct queryids read. */
  readonly statements: number;
  readonly totalCalls: number;
  readonly totalMs: number;
  /** The top statements by total execution time, largest first. */
  readonly byTotalTime: ReportedStatement[];
  /** The top statements by mean execution time, largest first. */
  readonly byMeanTime: ReportedStatement[];
  /** The open QueryRegression anomalies. */
  readonly regressions: Anomaly[];
}

/** What the report needs besides the rows. */
export interface QueryReportContext {
  readonly view: string;
  readonly readAt: number | undefined;
  readonly truncated: boolean;
  readonly baseline: (queryid: string) => StatementBaseline | undefined;
  readonly active: Anomaly[];
}

interface Summed {
  queryid: string;
  query: string;
  calls: number;
  totalMs: number;
  rows: number;
  hit: number;
  read: number;
}

/** The report of `rows` (one read of the view). */
export function buildQueryReport(rows: readonly StatementCounters[], opts: QueryReportOptions, ctx: QueryReportContext): QueryReport {
  const top = Math.min(MAX_REPORT_TOP, Math.max(1, Math.trunc(Number.isFinite(opts.top) ? opts.top! : 10)));
  const maxQueryLength = opts.maxQueryLength ?? 300;
  const byId = new Map<string, Summed>();
  for (const r of rows) {
    const s = byId.get(r.queryid) ?? { queryid: r.queryid, query: r.query, calls: 0, totalMs: 0, rows: 0, hit: 0, read: 0 };
    if (s.query === '<insufficient privilege>') s.query = r.query;
    s.calls += r.calls;
    s.totalMs += r.totalExecMs;
    s.rows += r.rows;
    s.hit += r.sharedBlksHit;
    s.read += r.sharedBlksRead;
    byId.set(r.queryid, s);
  }
  const regressed = new Set(ctx.active.map((a) => a.labels['queryid']));
  const statements = [...byId.values()].filter((s) => s.calls > 0);
  const shown = (s: Summed): ReportedStatement => ({
    queryid: s.queryid,
    query: shortQuery(s.query, maxQueryLength),
    calls: s.calls,
    meanMs: s.totalMs / s.calls,
    totalMs: s.totalMs,
    rows: s.rows,
    hitRatio: s.hit + s.read > 0 ? s.hit / (s.hit + s.read) : null,
    baselineMs: ctx.baseline(s.queryid)?.medianMs ?? null,
    regressed: regressed.has(s.queryid),
  });
  // Ties by queryid, so that the report is deterministic.
  const order = (key: (s: Summed) => number) => (a: Summed, b: Summed) => key(b) - key(a) || (a.queryid < b.queryid ? -1 : 1);
  return {
    view: ctx.view,
    readAt: ctx.readAt ?? null,
    truncated: ctx.truncated,
    statements: statements.length,
    totalCalls: statements.reduce((n, s) => n + s.calls, 0),
    totalMs: statements.reduce((n, s) => n + s.totalMs, 0),
    byTotalTime: [...statements].sort(order((s) => s.totalMs)).slice(0, top).map(shown),
    byMeanTime: [...statements].sort(order((s) => s.totalMs / s.calls)).slice(0, top).map(shown),
    regressions: ctx.active,
  };
}
