import { hostname } from 'node:os';
import * as z from 'zod/mini';
import { AI_ENGINE_MODELS, type AiEngineModel } from '../../core/ai-engine-metrics.js';
import type { EngineSeries } from '../../core/ai-engine-series.js';
import { SERVICE_ENV } from '../../core/service-env.js';
import { envOptionalString } from '../kit/config.js';
import { kubernetesEnvShape } from '../kit/kubernetes.js';
import { postgresEnvCheck, postgresEnvShape } from '../kit/postgres.js';
import { redisConnection, redisEnvShape } from '../kit/redis.js';
import type { ServiceDefinition } from '../kit/run.js';
import { HttpError, sendJson, type RequestContext } from '../kit/server.js';
import { loadWatchedSeries, seriesFileEnvShape } from './series-file.js';
import { pointJson, type SeriesProvider } from './series-view.js';
import type { AnomalyKind, AnomalySource } from './anomaly.js';
import type { AnomalyStateOptions } from './detect/anomaly-state.js';
import type { SeriesDetectorOptions } from './detect/series-detector.js';
import { AnomalyBook } from './engine.js';
import { keepHistory } from './history-keeper.js';
import { historyStoreFromEnv, MAX_RECENT } from './history-store.js';
import { HotState, type HotPart } from './hot-state.js';
import { leadership } from './leadership.js';
import { createEngineMetrics, setModelsInUse } from './metrics.js';
import { AlertmanagerOutput } from './outputs/alertmanager.js';
import { buildOptionalSources, type OptionalSourcesOverrides } from './sources.js';
import { elasticsearchEnvCheck, elasticsearchEnvShape } from './sources/elasticsearch-client.js';
import { PrometheusSource, type PrometheusSourceOptions, type SeriesRunSnapshot } from './sources/prometheus.js';
import { MAX_REPORT_TOP } from './sources/query-report.js';
import type { LogsSourceSnapshot } from './sources/elasticsearch.js';
import type { StatementBaselineSnapshot } from './sources/query-regression.js';
import { queryStatsEnvShape } from './sources/query-stats.js';
import { createStateStore } from './state-store.js';

/**
 * The AI engine (served under BASE_PATH, `/ai` in the chart):
 * - `GET /api/v1/anomalies?source=&kind=&active=true|false&limit=`: active anomalies (newest
 *   first), then recently ended ones, from memory; with `history=true` (and optionally
 *   `component=`, `namespace=`, `since=`, `until=` in epoch ms) from the PostgreSQL history,
 *   newest start first (404 without PostgreSQL, 503 while its schema is not in place or it fails);
 * - `GET /api/v1/analysis/queries?top=N`: the slow-query report of the query statistics source
 *   (404 when it is not configured);
 * - `GET /api/v1/series`: the watched series of every source (the Prometheus series, the logs'
 *   `log-error-rate` per service, the statements' `query-mean-time`); `GET /api/v1/series/{id}?limit=N`
 *   (or `/api/v1/series?id=<id>`): at most N (default 20, at most 500) label sets of one series,
 *   open anomalies first, each with its points, baseline band (expected ± 3 robust sigmas) and
 *   scores (series-view.ts).
 * Sources: Prometheus (PROMETHEUS_URL; none without it; the series of SERIES_FILE, the chart's
 * `aiEngine.series`, or the built-in ones), logs (ELASTICSEARCH_URL) and query
 * statistics (POSTGRES_HOST + POSTGRES_QUERY_STATS_VIEW), see sources.ts. Outputs: Alertmanager
 * (ALERTMANAGER_URL; without it anomalies are only listed) and the anomaly history (POSTGRES_HOST).
 * Readiness checks Prometheus and that the hot state was loaded: the other stores are optional and
 * their failures are survived.
 *
 * Replicas: every replica runs every source and serves the API; only the holder of the Lease
 * (`LEASE_NAME`, leadership.ts) posts to Alertmanager, writes the history and saves the hot state.
 * Hot state (hot-state.ts): each Prometheus series (`prometheus:<id>`), the logs source (`logs`)
 * and the query baselines (`queries`) are loaded from Redis (`REDIS_HOST`; memory without it) at
 * start, before their source runs, and saved every 5 minutes and on shutdown.
 */

/** Environment of the AI engine beyond the common variables. */
export const aiEngineConfigSchema = z
  .object({
    [SERVICE_ENV.prometheus.url]: envOptionalString(),
    [SERVICE_ENV.alertmanager.url]: envOptionalString(),
    ...elasticsearchEnvShape,
    ...postgresEnvShape,
    ...queryStatsEnvShape,
    ...redisEnvShape,
    ...kubernetesEnvShape,
    [SERVICE_ENV.aiEngine.leaseName]: envOptionalString(),
    ...seriesFileEnvShape,
  })
  .check(elasticsearchEnvCheck, postgresEnvCheck);

/** What tests (and a future series file) may change; every field defaults to the production value. */
export interface AiEngineOverrides extends OptionalSourcesOverrides {
  /** Watched series (default: those of SERIES_FILE, else DEFAULT_ENGINE_SERIES of src/core/ai-engine-series.ts). */
  readonly series?: readonly EngineSeries[];
  /** Detector options (default the detector's). */
  readonly detector?: SeriesDetectorOptions;
  /** Persistence and hysteresis options (default AnomalyState's). */
  readonly state?: AnomalyStateOptions;
  /** Alertmanager re-send interval (default 60 s). */
  readonly resendMs?: number;
  /** How often due series are looked for (default 1 s). */
  readonly tickMs?: number;
  /** Time between two attempts at the history schema while PostgreSQL fails (default 10 s). */
  readonly historyMigrateRetryMs?: number;
  /** Time between two hot-state saves (default hot-state.ts' 5 minutes). */
  readonly stateSaveMs?: number;
  /** Prometheus source options beyond the connection and the series (default the source's). */
  readonly prometheus?: Pick<PrometheusSourceOptions, 'backfillSeconds' | 'shiftsNeedSeasonalComparison' | 'levelShift'>;
}

const SOURCES: readonly AnomalySource[] = ['metrics', 'logs', 'queries'];
/** Most label sets one `GET /api/v1/series?id=` returns (`limit`, default 20). */
const MAX_SERIES_LABEL_SETS = 500;
const KINDS: readonly AnomalyKind[] = ['AnomalyDetected', 'LevelShiftDetected', 'DiskFullPredicted', 'ConnectionsExhaustionPredicted', 'LogErrorSpike', 'NewLogPattern', 'QueryRegression'];

/** A URL from the environment, without its trailing slashes; throws naming the variable. */
function baseUrl(name: string, raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) throw new Error(`${name}: expected an http or https URL`);
  return raw.replace(/\/+$/, '');
}

/** One of `choices` from a query parameter, or undefined when absent; 400 otherwise. */
function choice<T extends string>(url: URL, name: string, choices: readonly T[]): T | undefined {
  const raw = url.searchParams.get(name);
  if (raw === null || raw === '') return undefined;
  if (!choices.includes(raw as T)) throw new HttpError(400, `${name}: expected one of ${choices.join(', ')}`);
  return raw as T;
}

/** An integer query parameter in `min..max`, `fallback` when absent; 400 otherwise. */
function intParam(url: URL, name: string, fallback: number, min: number, max: number): number {
  const raw = url.searchParams.get(name);
  if (raw === null || raw === '') return fallback;
  const value = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) throw new HttpError(400, `${name}: expected an integer ${min}-${max}`);
  return value;
}

/** An optional epoch-ms query parameter; 400 when not a non-negative integer. */
function epochParam(url: URL, name: string): number | undefined {
  return url.searchParams.get(name) ? intParam(url, name, 0, 0, Number.MAX_SAFE_INTEGER) : undefined;
}

/** The AI engine service with `overrides` (tests); {@link aiEngineService} is the production one. */
export function createAiEngineService(overrides: AiEngineOverrides = {}): ServiceDefinition<typeof aiEngineConfigSchema> {
  return {
    name: 'ai-engine',
    configSchema: aiEngineConfigSchema,
    build: ({ config, log, registry, server }) => {
      const prometheusUrl = baseUrl(SERVICE_ENV.prometheus.url, config[SERVICE_ENV.prometheus.url]);
      const alertmanagerUrl = baseUrl(SERVICE_ENV.alertmanager.url, config[SERVICE_ENV.alertmanager.url]);
      const metrics = createEngineMetrics(registry);
      const namespace = config.POD_NAMESPACE ?? 'default';
      const writer = leadership({
        leaseName: config[SERVICE_ENV.aiEngine.leaseName],
        namespace,
        identity: config.POD_NAME ?? hostname(),
        kubernetes: { apiUrl: config.KUBERNETES_API_URL, tokenFile: config.KUBERNETES_TOKEN_FILE },
        log,
      });
      const book = new AnomalyBook({ metrics, counting: writer.isLeader });
      const alertmanager = alertmanagerUrl ? new AlertmanagerOutput({ url: alertmanagerUrl, log, resendMs: overrides.resendMs, posting: writer.isLeader }) : undefined;
      if (alertmanager) book.addSink(alertmanager.handle);
      const historyStore = historyStoreFromEnv(config, log, registry);
      const history = historyStore ? keepHistory(historyStore, log, { migrateRetryMs: overrides.historyMigrateRetryMs }) : undefined;
      if (history) book.addSink((anomaly) => writer.isLeader() && history.sink(anomaly));
      else log.warn(`${SERVICE_ENV.postgres.host} is not set: the anomaly history is kept in memory only`);
      const optional = buildOptionalSources({ env: config, log, record: (a) => book.record(a), namespace, metrics, overrides });
      const series = overrides.series ?? loadWatchedSeries(config);
      const prometheus = prometheusUrl
        ? new PrometheusSource({
            url: prometheusUrl,
            series,
            emit: (a) => book.record(a),
            log,
            metrics,
            namespace,
            detector: overrides.detector,
            state: overrides.state,
            tickMs: overrides.tickMs,
            ...overrides.prometheus,
          })
        : undefined;

      const M = AI_ENGINE_MODELS;
      const inUse = new Set<AiEngineModel>([
        ...(prometheus ? series.map((s) => (s.kind === 'AnomalyDetected' ? M.detector : M.forecast)) : []),
        ...(optional.logs ? [M.detector, M.patterns] : []),
        ...(optional.queryStats ? [M.regression] : []),
      ]);
      setModelsInUse(metrics, inUse);
      const providers: SeriesProvider[] = [prometheus, optional.logs?.source, optional.queryStats].filter((p): p is NonNullable<typeof p> => p !== undefined);

      const parts: HotPart[] = [
        ...(prometheus
          ? series.map((s) => ({ name: `prometheus:${s.id}`, snapshot: () => prometheus.snapshotOf(s.id), restore: (saved: unknown) => prometheus.restore(saved as SeriesRunSnapshot) }))
          : []),
        ...(optional.logs ? [{ name: 'logs', snapshot: () => optional.logs!.source.snapshot(), restore: (saved: unknown) => optional.logs!.source.restore(saved as LogsSourceSnapshot) }] : []),
        ...(optional.queryStats
          ? [
              {
                name: 'queries',
                snapshot: () => ({ version: 1, baselines: optional.queryStats!.tracker.snapshot() }),
                restore: (saved: unknown) => {
                  const s = saved as { version?: number; baselines?: StatementBaselineSnapshot[] };
                  if (s.version !== 1 || !Array.isArray(s.baselines)) return false;
                  optional.queryStats!.tracker.restore(s.baselines, Date.now());
                  return true;
                },
              },
            ]
          : []),
      ];
      const redis = redisConnection(config);
      if (!redis) log.warn(`${SERVICE_ENV.redis.host} is not set: the hot state is kept in memory only (a restart learns from the sources again)`);
      const store = createStateStore({ redis: redis ? { ...redis, log } : undefined, log, registry });
      const hot = new HotState({
        store,
        parts,
        log,
        writer: writer.isLeader,
        saveMs: overrides.stateSaveMs,
        onSaved: (part, bytes) => metrics.stateSnapshotBytes.set({ part }, bytes),
      });
      writer.onChange((leader) => {
        metrics.leader.set(leader ? 1 : 0);
        // The new writer posts what it knows at once instead of at the next re-send.
        if (leader) void alertmanager?.flush();
      });

      server.route('GET', '/api/v1/anomalies', async ({ res, url }: RequestContext) => {
        const rawActive = choice(url, 'active', ['true', 'false'] as const);
        const active = rawActive === undefined ? undefined : rawActive === 'true';
        const rawLimit = url.searchParams.get('limit');
        const limit = rawLimit === null ? 100 : Number(rawLimit);
        if (!Number.isInteger(limit) || limit < 1 || limit > MAX_RECENT) throw new HttpError(400, `limit: expected an integer 1-${MAX_RECENT}`);
        const source = choice(url, 'source', SOURCES);
        const kind = choice(url, 'kind', KINDS);
        if (choice(url, 'history', ['true', 'false'] as const) !== 'true') {
          sendJson(res, 200, { anomalies: book.list({ source, kind, active, limit }) });
          return;
        }
        if (!history) throw new HttpError(404, `no anomaly history: it lives in PostgreSQL and ${SERVICE_ENV.postgres.host} is not set (leave out history=true for the anomalies in memory)`);
        if (!history.migrated()) throw new HttpError(503, 'the anomaly history is not ready yet (its PostgreSQL schema is not in place): try again', { 'retry-after': '10' });
        const filter = {
          source,
          kind,
          active,
          limit,
          component: url.searchParams.get('component') || undefined,
          namespace: url.searchParams.get('namespace') || undefined,
          since: epochParam(url, 'since'),
          until: epochParam(url, 'until'),
        };
        let anomalies;
        try {
          anomalies = await history.store.recent(filter);
        } catch (err) {
          log.warn({ err }, 'reading the anomaly history failed');
          throw new HttpError(503, 'reading the anomaly history from PostgreSQL failed: try again', { 'retry-after': '10' });
        }
        sendJson(res, 200, { anomalies });
      });

      server.route('GET', '/api/v1/analysis/queries', ({ res, url }: RequestContext) => {
        const queryStats = optional.queryStats;
        if (!queryStats) {
          throw new HttpError(404, `no query statistics: set ${SERVICE_ENV.postgres.host} and ${SERVICE_ENV.aiEngine.queryStatsView} (the chart does when PostgreSQL is enabled)`);
        }
        sendJson(res, 200, queryStats.report({ top: intParam(url, 'top', 10, 1, MAX_REPORT_TOP) }));
      });

      const drawSeries = ({ res, url }: RequestContext, id: string): void => {
        const limit = intParam(url, 'limit', 20, 1, MAX_SERIES_LABEL_SETS);
        const view = providers.map((p) => p.seriesView(id, limit)).find((v) => v !== undefined);
        if (!view) throw new HttpError(404, `no series "${id}"`);
        sendJson(res, 200, { ...view, labelSets: view.labelSets.map((l) => ({ ...l, points: l.points.map(pointJson) })) });
      };
      server.route('GET', '/api/v1/series', (ctx: RequestContext) => {
        const id = ctx.url.searchParams.get('id');
        if (id !== null) return drawSeries(ctx, id);
        sendJson(ctx.res, 200, { series: providers.flatMap((p) => p.seriesList()) });
      });
      server.route('GET', '/api/v1/series/:id', (ctx: RequestContext) => drawSeries(ctx, ctx.params['id']!));

      let loaded = false;
      server.readiness('hot-state', async () => {
        if (!loaded) throw new Error(`loading the hot state from ${store.where}`);
      });
      if (prometheusUrl) {
        server.readiness('prometheus', async () => {
          const res = await fetch(`${prometheusUrl}/-/ready`, { signal: AbortSignal.timeout(2000) });
          if (!res.ok) throw new Error(`Prometheus /-/ready answered ${res.status}`);
        });
      } else {
        log.warn(`${SERVICE_ENV.prometheus.url} is not set: no metrics are watched`);
      }
      if (!alertmanager) log.warn(`${SERVICE_ENV.alertmanager.url} is not set: anomalies are only listed, never alerted`);
      writer.start();
      alertmanager?.start();
      // Sources start once their state is back (a fresh start when there is none).
      let stopped = false;
      const loading = hot.load().then(() => {
        loaded = true;
        if (stopped) return;
        prometheus?.start();
        optional.start();
        hot.start();
      });
      log.info(
        { series: prometheus ? series.map((s) => s.id) : [], logs: Boolean(optional.logs), queryStats: Boolean(optional.queryStats), history: Boolean(history), alertmanager: Boolean(alertmanager) },
        'AI engine configured',
      );

      return {
        close: async () => {
          stopped = true;
          await loading;
          // Sources first (no new anomaly), their last state saved, then the outputs they fed, and the Lease last.
          await Promise.all([prometheus?.stop(), optional.close()]);
          await hot.stop();
          store.close();
          await alertmanager?.stop();
          await history?.close();
          await writer.stop();
        },
      };
    },
  };
}

/** The AI engine as the chart runs it. */
export const aiEngineService = createAiEngineService();
