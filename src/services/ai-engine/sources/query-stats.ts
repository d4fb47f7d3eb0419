/**
 * The PostgreSQL source of the AI engine: reads the query statistics view the chart creates over
 * pg_stat_statements (`POSTGRES_QUERY_STATS_VIEW`, `aiops_query_stats`: queryid, username, query,
 * calls, total_exec_time, mean_exec_time, rows, shared_blks_hit, shared_blks_read) on a schedule,
 * finds statements whose mean time regressed against their own baseline (query-regression.ts:
 * `QueryRegression` anomalies, source `queries`, action `optimize-db`), and keeps the latest read
 * for the slow-query report of `GET /ai/api/v1/analysis/queries` (query-report.ts).
 *
 * The view name comes from the environment: it is checked as a plain identifier and quoted by the
 * one SQL identifier helper (src/core/sql-identifier.ts), in schema `public` where the chart
 * creates it; the row limit goes as a parameter.
 */
import * as z from 'zod/mini';
import { SERVICE_ENV } from '../../../core/service-env.js';
import { isPlainSqlIdentifier, sqlIdentifier } from '../../../core/sql-identifier.js';
import type { Anomaly } from '../anomaly.js';
import type { Logger } from '../../kit/log.js';
import { firstLabelSets, type SeriesProvider } from '../series-view.js';
import { QueryRegressionTracker, shortQuery, type QueryRegressionOptions, type QueryRegressionUpdate, type StatementCounters } from './query-regression.js';
import { buildQueryReport, type QueryReport, type QueryReportOptions } from './query-report.js';

const VIEW_ENV = SERVICE_ENV.aiEngine.queryStatsView;

/**
 * `POSTGRES_QUERY_STATS_VIEW`: a plain SQL identifier, or absent (no query statistics source).
 * No default here: the chart names the view (QUERY_STATS_VIEW) and sets the variable.
 */
export function envSqlIdentifier() {
  return z.pipe(
    z.optional(z.string()),
    z.transform((raw: string | undefined, ctx): string | undefined => {
      if (raw === undefined || raw === '') return undefined;
      if (isPlainSqlIdentifier(raw)) return raw;
      const shown = JSON.stringify(raw.length > 40 ? `${raw.slice(0, 40)}…` : raw);
      ctx.issues.push({ code: 'custom', message: `expected a plain SQL identifier (a-z or _ first, then a-z, 0-9 or _, at most 63 characters), found ${shown}`, input: raw });
      return z.NEVER;
    }),
  );
}

/** The variables of this source, to spread into the service's env schema. */
export const queryStatsEnvShape = { [VIEW_ENV]: envSqlIdentifier() };

/** Anything that runs a parameterised statement: a pg Pool or Client. */
export interface Queryable {
  query<R extends Record<string, unknown>>(text: string, values?: unknown[]): Promise<{ rows: R[] }>;
}

/** Options of {@link createQueryStatsSource}. */
export interface QueryStatsSourceOptions extends QueryRegressionOptions, QueryReportOptions {
  /** The view's name (a plain identifier, in schema `public`); throws a RangeError otherwise. */
  readonly view: string;
  /** Most rows read per poll (the ones with the most total time); default 5000 (pg_stat_statements.max's default). */
  readonly maxStatements?: number;
  /** Time between polls of {@link QueryStatsSource.start}; default 60,000 ms. */
  readonly intervalMs?: number;
  /** Told the compute time of each read's regression tracking, or its failure (metrics). */
  readonly onInference?: (outcome: 'success' | 'error', seconds: number) => void;
}

/** The id of the statements' mean-time series in `GET /api/v1/series`. */
export const QUERY_SERIES_ID = 'query-mean-time';

/** The result of one poll. */
export interface QueryStatsPoll extends QueryRegressionUpdate {
  /** When the view was read (epoch ms). */
  readonly at: number;
  /** Rows read. */
  readonly statements: number;
  /** True when the row limit cut the read. */
  readonly truncated: boolean;
}

/** The source of {@link createQueryStatsSource}. */
export interface QueryStatsSource extends SeriesProvider {
  /** The view as it appears in SQL (`public."aiops_query_stats"`). */
  readonly relation: string;
  /** Reads the view once and updates the baselines; rejects on a database error (nothing changes then). */
  poll(now?: number): Promise<QueryStatsPoll>;
  /** The open regressions. */
  active(): Anomaly[];
  /** The slow-query report of the latest successful read (empty before the first). */
  report(opts?: QueryReportOptions): QueryReport;
  /** The regression tracker (baselines, snapshot/restore for the hot state). */
  readonly tracker: QueryRegressionTracker;
  /** Polls now and then every `intervalMs`, never two at once; `onPoll` gets each result, failures are logged. */
  start(onPoll?: (poll: QueryStatsPoll) => void | Promise<void>): void;
  /** Stops the schedule and waits for a running poll (idempotent). */
  stop(): Promise<void>;
}

interface ViewRow extends Record<string, unknown> {
  queryid: string;
  username: string | null;
  query: string | null;
  calls: number;
  total_exec_time: number;
  rows: number;
  shared_blks_hit: number;
  shared_blks_read: number;
}

/** The read of the view: constant text around the one quoted identifier; the limit is `$1`. */
function selectStatements(relation: string): string {
  return `SELECT queryid::text AS queryid, username::text AS username, query,
  calls::float8 AS calls, total_exec_time::float8 AS total_exec_time, rows::float8 AS rows,
  shared_blks_hit::float8 AS shared_blks_hit, shared_blks_read::float8 AS shared_blks_read
  FROM ${relation} WHERE queryid IS NOT NULL ORDER BY total_exec_time DESC LIMIT $1`;
}

function counters(row: ViewRow): StatementCounters {
  return {
    queryid: row.queryid,
    username: row.username ?? '',
    query: row.query ?? '',
    calls: row.calls,
    totalExecMs: row.total_exec_time,
    rows: row.rows,
    sharedBlksHit: row.shared_blks_hit,
    sharedBlksRead: row.shared_blks_read,
  };
}

/**
 * The query statistics source on `db` (a pool of the service). Nothing is read until
 * {@link QueryStatsSource.poll} or {@link QueryStatsSource.start}.
 */
export function createQueryStatsSource(db: Queryable, log: Logger, opts: QueryStatsSourceOptions): QueryStatsSource {
  const relation = `public.${sqlIdentifier(opts.view, VIEW_ENV)}`;
  const limit = opts.maxStatements ?? 5000;
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`maxStatements must be a positive integer, found ${limit}`);
  const intervalMs = opts.intervalMs ?? 60_000;
  const sql = selectStatements(relation);
  const tracker = new QueryRegressionTracker(opts);
  let latest: { at: number; rows: StatementCounters[]; truncated: boolean } | undefined;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = true;

  const poll = async (now?: number): Promise<QueryStatsPoll> => {
    const { rows } = await db.query<ViewRow>(sql, [limit + 1]);
    const at = now ?? Date.now();
    const truncated = rows.length > limit;
    const read = rows.slice(0, limit).map(counters);
    latest = { at, rows: read, truncated };
    const started = process.hrtime.bigint();
    const update = tracker.observe(read, at, !truncated);
    opts.onInference?.('success', Number(process.hrtime.bigint() - started) / 1e9);
    if (update.resets > 0) log.info({ view: relation, resets: update.resets }, 'pg_stat_statements counters were reset since the previous read (those intervals count from the reset)');
    return { ...update, at, statements: read.length, truncated };
  };

  const cycle = async (onPoll?: (poll: QueryStatsPoll) => void | Promise<void>): Promise<void> => {
    try {
      const result = await poll();
      await onPoll?.(result);
    } catch (err) {
      opts.onInference?.('error', 0);
      log.warn({ err, view: relation }, 'query statistics not read (next try at the next interval)');
    }
  };

  const listing = () => ({
    id: QUERY_SERIES_ID,
    source: 'queries' as const,
    description: `Mean execution time per call of a SQL statement (${opts.view})`,
    kind: 'QueryRegression',
    unit: 'ms',
  });
  return {
    relation,
    tracker,
    poll,
    seriesList: () => [{ ...listing(), labelSets: tracker.statementSeries().length }],
    seriesView(id, max) {
      if (id !== QUERY_SERIES_ID) return undefined;
      const latest = (points: readonly { value: number }[]) => points.at(-1)?.value ?? 0;
      const sets = tracker.statementSeries().map((s) => ({ labels: { ...opts.labels, queryid: s.queryid, query: shortQuery(s.query, 200) }, points: s.points, ...(s.open ? { anomaly: s.open } : {}) }));
      // Open regressions first, then the slowest statements.
      return { ...listing(), stepSeconds: intervalMs / 1000, labelSets: firstLabelSets(sets, max, (a, b) => latest(b.points) - latest(a.points)) };
    },
    active: () => tracker.active(),
    report: (reportOpts) =>
      buildQueryReport(latest?.rows ?? [], { ...opts, ...reportOpts }, {
        view: opts.view,
        readAt: latest?.at,
        truncated: latest?.truncated ?? false,
        baseline: (queryid) => tracker.baseline(queryid),
        active: tracker.active(),
      }),
    start(onPoll) {
      if (!stopped) return;
      stopped = false;
      const next = (): void => {
        running = cycle(onPoll).finally(() => {
          running = undefined;
          if (!stopped) {
            timer = setTimeout(next, intervalMs);
            timer.unref();
          }
        });
      };
      next();
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
