import { durationMillis } from './duration.js';
import type { AlertAction } from './self-healing-actions.js';

/**
 * The series the AI engine watches in Prometheus, as data: the engine (src/services/ai-engine/)
 * runs them, the chart may list them (dashboards, docs), and a test checks that every query parses
 * and reads only metrics of the platform's catalog (src/components/monitoring/metrics-catalog.ts).
 * These are the built-in ones: `aiEngine.series` in values leaves some out and adds others, and the
 * chart hands the engine the result as a file (src/core/ai-engine-series-file.ts).
 *
 * Per-pod CPU and memory (`pod-cpu`, `pod-memory`) come from cAdvisor, the kubelets'
 * /metrics/cadvisor, which the platform's Prometheus scrapes only with `prometheus.kubelet.enabled`
 * (it needs a ClusterRole; production default): such a series says so in its `needs`, and the
 * chart leaves it out of the file where Prometheus does not scrape that source. The node-level
 * series from node-exporter are watched in every case (the same expressions as the
 * NodeHighCPU/NodeHighMemory alert rules, without threshold).
 * Queries carry no namespace matcher: the platform's Prometheus discovers its own namespace (and
 * the node agents') only, and keeps the cAdvisor series of those namespaces only.
 */

/**
 * Sources of metrics that the platform's Prometheus scrapes only when told: `cadvisor`, the
 * kubelets' /metrics/cadvisor (`prometheus.kubelet.enabled`). Every other source of the metric
 * catalog is scraped whenever its component runs.
 */
export const OPTIONAL_METRIC_SOURCES = ['cadvisor'] as const;
export type OptionalMetricSource = (typeof OPTIONAL_METRIC_SOURCES)[number];
/** Which optional sources a Prometheus scrapes. */
export type OptionalSourcesScraped = Readonly<Record<OptionalMetricSource, boolean>>;
/** A Prometheus that scrapes none of the optional sources. */
export const NO_OPTIONAL_SOURCES: OptionalSourcesScraped = { cadvisor: false };

/** What the engine does with a series: score each point (`AnomalyDetected`) or forecast a limit (the others). */
export const ENGINE_SERIES_KINDS = ['AnomalyDetected', 'DiskFullPredicted', 'ConnectionsExhaustionPredicted'] as const;
export type EngineSeriesKind = (typeof ENGINE_SERIES_KINDS)[number];
/** The kinds that forecast a limit (and have a {@link EngineSeriesForecast}). */
export const FORECAST_KINDS: readonly EngineSeriesKind[] = ['DiskFullPredicted', 'ConnectionsExhaustionPredicted'];
export const ENGINE_SERIES_DIRECTIONS = ['up', 'down', 'both'] as const;
export const ENGINE_SERIES_SEVERITIES = ['warning', 'critical'] as const;
export const FORECAST_APPROACHES = ['rising', 'falling'] as const;

/** The forecast of a forecast kind: when the robust trend reaches `limit`. */
export interface EngineSeriesForecast {
  /** The value the series must not reach (100 for a percentage). */
  readonly limit: number;
  /** `rising` toward a ceiling (default), `falling` toward a floor. */
  readonly approach?: (typeof FORECAST_APPROACHES)[number];
  /** Crossings later than this many seconds count as none (default 24 h). */
  readonly horizonSeconds?: number;
}

/** One watched series (a PromQL expression that may return many label sets). */
export interface EngineSeries {
  /** Stable id: DNS-label-like, the `series` label of its alerts and the `id` of `GET /ai/api/v1/series`. */
  readonly id: string;
  /** One line for people (alert summaries). */
  readonly description: string;
  /** PromQL expression, evaluated with `query_range`. */
  readonly query: string;
  /** Resolution of `query_range` and the scheduling interval, seconds. */
  readonly stepSeconds: number;
  /** History fetched on start (and kept for forecasts), seconds. */
  readonly windowSeconds: number;
  readonly kind: EngineSeriesKind;
  /** Which side counts for `AnomalyDetected`: latency and errors `up`, a hit rate `down`. */
  readonly direction: (typeof ENGINE_SERIES_DIRECTIONS)[number];
  /** The platform component (the `component` label of alerts): `http`, `node`, `postgresql`, … */
  readonly component: string;
  readonly severity: (typeof ENGINE_SERIES_SEVERITIES)[number];
  /** The executor action its alerts carry (`none`: left to people). */
  readonly action: AlertAction;
  /** For the forecast kinds only. */
  readonly forecast?: EngineSeriesForecast;
  /** Unit of the values, for people (`%`, `req/s`, `s`). */
  readonly unit: string;
}

/** Rate window of the default queries (the alert rules' too). */
const RATE = '5m';
/** File systems that are not disks (the NodeDiskAlmostFull rule leaves the same out). */
const NOT_DISKS = 'fstype!~"tmpfs|overlay|squashfs"';
const POD = 'namespace, pod, instance';

const percentFull = (by: string, avail: string, size: string, selector = '') =>
  `100 * (1 - sum by (${by}) (${avail}${selector}) / sum by (${by}) (${size}${selector}))`;

/**
 * Step and window of a series that sets none, as Prometheus durations: the default series and the
 * `aiEngine.series.extra` entries of the values share them.
 */
export const DEFAULT_SERIES_STEP = '1m';
export const DEFAULT_SERIES_WINDOW = '6h';
/** How far ahead a forecast looks when it does not say (the engine's default `horizonSeconds`). */
export const DEFAULT_FORECAST_HORIZON = '24h';

/** The settings most series share; an entry gives only what differs. */
const SERIES_DEFAULTS = {
  stepSeconds: durationMillis(DEFAULT_SERIES_STEP) / 1000,
  windowSeconds: durationMillis(DEFAULT_SERIES_WINDOW) / 1000,
  severity: 'warning',
  action: 'none',
} as const;

/** A built-in series, and the optional source of metrics it reads (none: any platform Prometheus has them). */
export interface BuiltInSeries {
  readonly series: EngineSeries;
  /** Watched only where Prometheus scrapes this source (see {@link OPTIONAL_METRIC_SOURCES}). */
  readonly needs?: OptionalMetricSource;
}

type WatchedInput = Omit<EngineSeries, keyof typeof SERIES_DEFAULTS> & Partial<Pick<EngineSeries, keyof typeof SERIES_DEFAULTS>> & { readonly needs?: OptionalMetricSource };

/** A series with {@link SERIES_DEFAULTS} for what it does not set. */
const watched = ({ needs, ...s }: WatchedInput): BuiltInSeries => ({ series: { ...SERIES_DEFAULTS, ...s }, ...(needs ? { needs } : {}) });

/** The built-in series with what they need (see the file's comment). */
export const BUILT_IN_SERIES: readonly BuiltInSeries[] = [
  watched({
    id: 'http-request-rate',
    description: 'Request rate of a service (Traefik)',
    query: `sum by (service) (rate(traefik_service_requests_total[${RATE}]))`,
    kind: 'AnomalyDetected',
    direction: 'both',
    component: 'http',
    unit: 'req/s',
  }),
  watched({
    id: 'http-latency-p95',
    description: '95th percentile response time of a service (Traefik)',
    query: `histogram_quantile(0.95, sum by (service, le) (rate(traefik_service_request_duration_seconds_bucket[${RATE}])))`,
    kind: 'AnomalyDetected',
    direction: 'up',
    component: 'http',
    unit: 's',
  }),
  watched({
    id: 'http-error-ratio',
    description: 'Share of 5xx responses of a service (Traefik)',
    // `or … * 0`: a service without any 5xx has a share of 0, not no series.
    query:
      `(sum by (service) (rate(traefik_service_requests_total{code=~"5.."}[${RATE}])) or sum by (service) (rate(traefik_service_requests_total[${RATE}])) * 0)` +
      ` / sum by (service) (rate(traefik_service_requests_total[${RATE}]))`,
    kind: 'AnomalyDetected',
    direction: 'up',
    component: 'http',
    unit: 'ratio',
  }),
  watched({
    id: 'pod-cpu',
    description: 'CPU usage of a pod, in cores (cAdvisor)',
    // container!="": the pod-level cgroup rows (container="") would count every pod twice.
    query: `sum by (namespace, pod) (rate(container_cpu_usage_seconds_total{container!=""}[${RATE}]))`,
    kind: 'AnomalyDetected',
    direction: 'up',
    component: 'kubernetes',
    unit: 'cores',
    needs: 'cadvisor',
  }),
  watched({
    id: 'pod-memory',
    description: 'Memory working set of a pod (cAdvisor)',
    query: 'sum by (namespace, pod) (container_memory_working_set_bytes{container!=""})',
    kind: 'AnomalyDetected',
    direction: 'up',
    component: 'kubernetes',
    unit: 'bytes',
    needs: 'cadvisor',
  }),
  watched({
    id: 'node-cpu',
    description: 'CPU usage of a node (node-exporter)',
    query: `100 * (1 - avg by (node, instance) (rate(node_cpu_seconds_total{mode="idle"}[${RATE}])))`,
    kind: 'AnomalyDetected',
    direction: 'up',
    component: 'node',
    unit: '%',
  }),
  watched({
    id: 'node-memory',
    description: 'Memory usage of a node (node-exporter)',
    query: percentFull('node, instance', 'node_memory_MemAvailable_bytes', 'node_memory_MemTotal_bytes'),
    kind: 'AnomalyDetected',
    direction: 'up',
    component: 'node',
    unit: '%',
  }),
  watched({
    id: 'node-disk-full',
    description: 'A node filesystem fills up (node-exporter)',
    query: percentFull('node, instance, device, mountpoint', 'node_filesystem_avail_bytes', 'node_filesystem_size_bytes', `{${NOT_DISKS}}`),
    stepSeconds: 300,
    kind: 'DiskFullPredicted',
    direction: 'up',
    component: 'node',
    // Not actionable, as NodeDiskAlmostFull: nothing the platform runs frees a node's filesystem.
    forecast: { limit: 100 },
    unit: '%',
  }),
  watched({
    id: 'elasticsearch-disk-full',
    description: 'The Elasticsearch data volume fills up (elasticsearch_exporter)',
    query: percentFull(POD, 'elasticsearch_filesystem_data_available_bytes', 'elasticsearch_filesystem_data_size_bytes'),
    stepSeconds: 300,
    kind: 'DiskFullPredicted',
    direction: 'up',
    component: 'elasticsearch',
    // The executor's disk cleanup Job deletes the oldest log indices (as for ElasticsearchDiskAlmostFull).
    action: 'clean-disk',
    forecast: { limit: 100 },
    unit: '%',
  }),
  watched({
    id: 'postgresql-connections',
    description: 'PostgreSQL runs out of connections (postgres_exporter)',
    query: `100 * sum by (${POD}) (pg_stat_database_numbackends) / max by (${POD}) (pg_settings_max_connections)`,
    stepSeconds: 300,
    kind: 'ConnectionsExhaustionPredicted',
    direction: 'up',
    component: 'postgresql',
    action: 'optimize-db',
    forecast: { limit: 100 },
    unit: '%',
  }),
  watched({
    id: 'redis-hit-rate',
    description: 'Keyspace hit rate of Redis (redis_exporter)',
    query:
      `100 * sum by (${POD}) (rate(redis_keyspace_hits_total[${RATE}]))` +
      ` / (sum by (${POD}) (rate(redis_keyspace_hits_total[${RATE}])) + sum by (${POD}) (rate(redis_keyspace_misses_total[${RATE}])))`,
    kind: 'AnomalyDetected',
    direction: 'down',
    component: 'redis',
    unit: '%',
  }),
  watched({
    id: 'elasticsearch-jvm-heap',
    description: 'JVM heap usage of an Elasticsearch node (elasticsearch_exporter)',
    query: `100 * sum by (${POD}, name) (elasticsearch_jvm_memory_used_bytes{area="heap"}) / sum by (${POD}, name) (elasticsearch_jvm_memory_max_bytes{area="heap"})`,
    kind: 'AnomalyDetected',
    direction: 'up',
    component: 'elasticsearch',
    unit: '%',
  }),
];

/** The built-in series (all of them: the chart leaves out those whose source is not scraped). */
export const DEFAULT_ENGINE_SERIES: readonly EngineSeries[] = BUILT_IN_SERIES.map((b) => b.series);

/** The built-in series a Prometheus that scrapes `scraped` has the metrics of, in their order. */
export function builtInSeriesFor(scraped: OptionalSourcesScraped): EngineSeries[] {
  return BUILT_IN_SERIES.filter((b) => b.needs === undefined || scraped[b.needs]).map((b) => b.series);
}
