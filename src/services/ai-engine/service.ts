import * as z from 'zod/mini';
import { DEFAULT_ENGINE_SERIES, type EngineSeries } from '../../core/ai-engine-series.js';
import { SERVICE_ENV } from '../../core/service-env.js';
import { envOptionalString } from '../kit/config.js';
import type { ServiceDefinition } from '../kit/run.js';
import { HttpError, sendJson, type RequestContext } from '../kit/server.js';
import type { AnomalyKind, AnomalySource } from './anomaly.js';
import type { AnomalyStateOptions } from './detect/anomaly-state.js';
import type { SeriesDetectorOptions } from './detect/series-detector.js';
import { AnomalyBook } from './engine.js';
import { createEngineMetrics } from './metrics.js';
import { AlertmanagerOutput } from './outputs/alertmanager.js';
import { PrometheusSource } from './sources/prometheus.js';

/**
 * The AI engine (served under BASE_PATH, `/ai` in the chart):
 * - `GET /api/v1/anomalies?source=&kind=&active=true|false&limit=`: active anomalies (newest
 *   first), then recently ended ones;
 * - `GET /api/v1/series`: the watched series; `GET /api/v1/series?id=<id>`: each label set of one
 *   series with its points, baseline band (expected ± 3 robust sigmas) and scores. A query
 *   parameter rather than `/series/{id}`: the kit's router matches exact paths.
 * Sources: Prometheus (PROMETHEUS_URL; none without it). Output: Alertmanager (ALERTMANAGER_URL;
 * without it anomalies are only listed).
 */

/** Environment of the AI engine beyond the common variables. */
export const aiEngineConfigSchema = z.object({
  [SERVICE_ENV.prometheus.url]: envOptionalString(),
  [SERVICE_ENV.alertmanager.url]: envOptionalString(),
});

/** What tests (and a future series file) may change; every field defaults to the production value. */
export interface AiEngineOverrides {
  /** Watched series (default DEFAULT_ENGINE_SERIES of src/core/ai-engine-series.ts). */
  readonly series?: readonly EngineSeries[];
  /** Detector options (default the detector's). */
  readonly detector?: SeriesDetectorOptions;
  /** Persistence and hysteresis options (default AnomalyState's). */
  readonly state?: AnomalyStateOptions;
  /** Alertmanager re-send interval (default 60 s). */
  readonly resendMs?: number;
  /** How often due series are looked for (default 1 s). */
  readonly tickMs?: number;
}

const SOURCES: readonly AnomalySource[] = ['metrics', 'logs', 'queries'];
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

/** The AI engine service with `overrides` (tests); {@link aiEngineService} is the production one. */
export function createAiEngineService(overrides: AiEngineOverrides = {}): ServiceDefinition<typeof aiEngineConfigSchema> {
  return {
    name: 'ai-engine',
    configSchema: aiEngineConfigSchema,
    build: ({ config, log, registry, server }) => {
      const prometheusUrl = baseUrl(SERVICE_ENV.prometheus.url, config[SERVICE_ENV.prometheus.url]);
      const alertmanagerUrl = baseUrl(SERVICE_ENV.alertmanager.url, config[SERVICE_ENV.alertmanager.url]);
      const metrics = createEngineMetrics(registry);
      const book = new AnomalyBook({ metrics });
      const alertmanager = alertmanagerUrl ? new AlertmanagerOutput({ url: alertmanagerUrl, log, resendMs: overrides.resendMs }) : undefined;
      if (alertmanager) book.addSink(alertmanager.handle);
      const series = overrides.series ?? DEFAULT_ENGINE_SERIES;
      const prometheus = prometheusUrl
        ? new PrometheusSource({
            url: prometheusUrl,
            series,
            emit: (a) => book.record(a),
            log,
            metrics,
            namespace: config.POD_NAMESPACE ?? 'default',
            detector: overrides.detector,
            state: overrides.state,
            tickMs: overrides.tickMs,
          })
        : undefined;

      server.route('GET', '/api/v1/anomalies', ({ res, url }: RequestContext) => {
        const active = choice(url, 'active', ['true', 'false'] as const);
        const rawLimit = url.searchParams.get('limit');
        const limit = rawLimit === null ? 100 : Number(rawLimit);
        if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new HttpError(400, 'limit: expected an integer 1-1000');
        const anomalies = book.list({ source: choice(url, 'source', SOURCES), kind: choice(url, 'kind', KINDS), active: active === undefined ? undefined : active === 'true', limit });
        sendJson(res, 200, { anomalies });
      });

      server.route('GET', '/api/v1/series', ({ res, url }: RequestContext) => {
        const id = url.searchParams.get('id');
        if (id === null) {
          sendJson(res, 200, { series: prometheus?.seriesIds() ?? [] });
          return;
        }
        const data = prometheus?.seriesData(id);
        if (!data) throw new HttpError(404, `no series "${id}"`);
        sendJson(res, 200, {
          id,
          description: data.series.description,
          query: data.series.query,
          kind: data.series.kind,
          unit: data.series.unit,
          stepSeconds: data.series.stepSeconds,
          labelSets: data.tracked.map((t) => ({
            labels: t.labels,
            anomaly: t.anomaly,
            points: t.points.map((p) => ({
              t: p.t,
              value: Number.isFinite(p.value) ? p.value : null,
              ...(p.expected !== undefined && p.scale !== undefined ? { expected: p.expected, lower: p.expected - 3 * p.scale, upper: p.expected + 3 * p.scale } : {}),
              ...(p.score !== undefined ? { score: p.score } : {}),
            })),
          })),
        });
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
      prometheus?.start();
      alertmanager?.start();
      log.info({ series: prometheus ? series.map((s) => s.id) : [], alertmanager: Boolean(alertmanager) }, 'AI engine configured');

      return {
        close: async () => {
          await prometheus?.stop();
          await alertmanager?.stop();
        },
      };
    },
  };
}

/** The AI engine as the chart runs it. */
export const aiEngineService = createAiEngineService();
