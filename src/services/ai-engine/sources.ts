import type { Pool } from 'pg';
import { AI_ENGINE_MODELS } from '../../core/ai-engine-metrics.js';
import { SERVICE_ENV } from '../../core/service-env.js';
import type { Logger } from '../kit/log.js';
import { createPostgresPool, describePostgres, postgresConnection, type PostgresEnv } from '../kit/postgres.js';
import type { Anomaly } from './anomaly.js';
import { recordInference, type EngineMetrics } from './metrics.js';
import { elasticsearchConnection, type ElasticsearchEnv } from './sources/elasticsearch-client.js';
import { ElasticsearchLogsSource, type LogsSourceOptions } from './sources/elasticsearch.js';
import { createQueryStatsSource, type QueryStatsSource, type QueryStatsSourceOptions } from './sources/query-stats.js';

/**
 * The AI engine's optional sources, each enabled by its variables alone:
 * - logs (Elasticsearch) when `ELASTICSEARCH_URL` is set, polled every minute;
 * - query statistics (PostgreSQL) when `POSTGRES_HOST` and `POSTGRES_QUERY_STATS_VIEW` are set,
 *   on its own pool, polled every minute.
 * Every anomaly they find goes to `record` (the engine's book, which counts, lists and hands it to
 * the outputs). Prometheus, the one required source, stays in service.ts.
 */

/** The variables this file reads (a subset of the service's parsed config). */
export type OptionalSourcesEnv = ElasticsearchEnv & PostgresEnv & { readonly [SERVICE_ENV.aiEngine.queryStatsView]: string | undefined };

/** Test knobs of the optional sources; every field defaults to the production value. */
export interface OptionalSourcesOverrides {
  /** Logs source options beyond the connection (default the source's own defaults). */
  readonly logs?: Omit<LogsSourceOptions, 'connection' | 'logger'>;
  /** Time between two polls of the logs source (default 60,000 ms: one detector step). */
  readonly logsPollMs?: number;
  /** Query statistics options beyond the view, namespace and labels (default the source's). */
  readonly queryStats?: Omit<QueryStatsSourceOptions, 'view' | 'namespace' | 'labels'>;
}

/** Default time between two polls of the logs source: one minute. */
export const LOGS_POLL_MS = 60_000;

/** The logs source on a timer. */
export interface LogsPolling {
  readonly source: ElasticsearchLogsSource;
  /** Polls now, then `pollMs` after each poll ends (never two at once). */
  start(): void;
  /** Stops the timer and waits for a running poll (idempotent). */
  stop(): Promise<void>;
}

/** Polls `source` on a timer and records every anomaly of each poll (the open ones and those that just ended). */
export function pollLogs(source: ElasticsearchLogsSource, record: (a: Anomaly) => void, log: Logger, pollMs = LOGS_POLL_MS): LogsPolling {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = true;
  const cycle = async (): Promise<void> => {
    try {
      const result = await source.poll();
      for (const anomaly of result.anomalies) record(anomaly);
    } catch (err) {
      // poll() never throws for Elasticsearch's sake: this is a bug, logged and survived.
      log.error({ err }, 'logs poll failed unexpectedly');
    }
  };
  const next = (): void => {
    running = cycle().finally(() => {
      running = undefined;
      if (!stopped) {
        timer = setTimeout(next, pollMs);
        timer.unref();
      }
    });
  };
  return {
    source,
    start() {
      if (!stopped) return;
      stopped = false;
      next();
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}

/** What {@link buildOptionalSources} set up. */
export interface OptionalSources {
  /** The logs source, when `ELASTICSEARCH_URL` is set. */
  readonly logs: LogsPolling | undefined;
  /** The query statistics source, when `POSTGRES_HOST` and `POSTGRES_QUERY_STATS_VIEW` are set. */
  readonly queryStats: QueryStatsSource | undefined;
  /** Starts every enabled source. */
  start(): void;
  /** Stops every source and closes the query statistics pool (idempotent). */
  close(): Promise<void>;
}

/** Options of {@link buildOptionalSources}. */
export interface OptionalSourcesOptions {
  readonly env: OptionalSourcesEnv;
  readonly log: Logger;
  /** Receives every opened, updated and ended anomaly. */
  readonly record: (anomaly: Anomaly) => void;
  /** Namespace of the query regressions (the pod's: the chart's PostgreSQL runs next to it). */
  readonly namespace: string;
  /** Where inference rounds are counted (default nowhere). */
  readonly metrics?: EngineMetrics;
  readonly overrides?: OptionalSourcesOverrides;
}

/** Builds the sources the environment enables; nothing connects until {@link OptionalSources.start}. */
export function buildOptionalSources({ env, log, record, namespace, metrics, overrides = {} }: OptionalSourcesOptions): OptionalSources {
  const es = elasticsearchConnection(env);
  const logModels = { detector: AI_ENGINE_MODELS.detector, patterns: AI_ENGINE_MODELS.patterns } as const;
  const logs = es
    ? pollLogs(
        new ElasticsearchLogsSource({
          ...overrides.logs,
          connection: es,
          logger: log.child({ source: 'logs' }),
          onInference: (model, outcome, seconds) => metrics && recordInference(metrics, logModels[model], outcome, seconds),
        }),
        record,
        log,
        overrides.logsPollMs,
      )
    : undefined;
  if (!es) log.warn(`${SERVICE_ENV.elasticsearch.url} is not set: no logs are watched`);

  const view = env[SERVICE_ENV.aiEngine.queryStatsView];
  const pg = postgresConnection(env);
  let pool: Pool | undefined;
  let queryStats: QueryStatsSource | undefined;
  if (pg && view) {
    pool = createPostgresPool(pg, log, { applicationName: 'aiops-ai-engine-query-stats' });
    queryStats = createQueryStatsSource(pool, log.child({ source: 'queries' }), {
      ...overrides.queryStats,
      view,
      namespace,
      labels: { database: pg.database },
      onInference: (outcome, seconds) => metrics && recordInference(metrics, AI_ENGINE_MODELS.regression, outcome, seconds),
    });
    log.info({ postgres: describePostgres(pg), view: queryStats.relation }, 'query statistics source configured');
  } else {
    log.warn(`${pg ? SERVICE_ENV.aiEngine.queryStatsView : SERVICE_ENV.postgres.host} is not set: no query statistics are watched`);
  }

  let closing: Promise<void> | undefined;
  return {
    logs,
    queryStats,
    start() {
      logs?.start();
      queryStats?.start((poll) => {
        for (const anomaly of [...poll.opened, ...poll.closed]) record(anomaly);
      });
    },
    close() {
      closing ??= (async () => {
        await Promise.all([logs?.stop(), queryStats?.stop()]);
        await pool?.end();
      })();
      return closing;
    },
  };
}
