/**
 * The one list of the metric names the platform's exporters produce, with where they come from.
 * Alert rules and dashboards may only use names listed here (the tests check every expression
 * through {@link isKnownMetric}). Histograms and summaries are listed by their concrete series
 * (`_bucket`, `_sum`, `_count`).
 *
 * How the names were verified (against the exporters' sources and docs at or next to the pinned
 * versions, not guessed):
 * - node-exporter v1.9.1: collector/meminfo_linux.go (the procfs-based version of 1.9.0 keeps the
 *   `node_memory_<Field>_bytes` names), filesystem_common.go, the CHANGELOG up to 1.9.1 (no renames
 *   of the cpu, diskstats, netdev and loadavg metrics) and /metrics captures of those collectors.
 * - kube-state-metrics v2.16.0: docs/metrics/workload/{pod,deployment,statefulset,
 *   horizontalpodautoscaler}-metrics.md (STABLE metrics only).
 * - postgres_exporter v0.17.1: collector/pg_stat_database.go, pg_locks.go, the built-in
 *   pg_stat_activity map and cmd/postgres_exporter/pg_setting.go (`pg_settings_<name>`), all
 *   enabled by default. Query-time statistics (pg_stat_statements) need the non-default
 *   `--collector.stat_statements`, so they are not listed; `pg_stat_database_active_time_seconds_total`
 *   (PostgreSQL 14+) and `pg_stat_activity_max_tx_duration` are the default-on measures of query time.
 * - redis_exporter v1.74.0: exporter/exporter.go (metricMapCounters, metricMapGauges and the
 *   per-command `commands_*` descriptions).
 * - Traefik v3.5: pkg/observability/metrics/prometheus.go (v3 moved open connections to
 *   `traefik_open_connections{entrypoint,protocol}`).
 * - elasticsearch_exporter v1.9.0: collector/cluster_health.go, collector/nodes.go (node stats, on
 *   by default: `elasticsearch_filesystem_data_{available,size}_bytes` with the labels of the node
 *   and `mount`, `path`) and the README's metric table.
 * - The self-healing executor: its own names, from src/core/self-healing-metrics.ts (the executor
 *   registers exactly those).
 * - cAdvisor in the kubelet (/metrics/cadvisor, Kubernetes 1.25 and later): google/cadvisor
 *   metrics/prometheus.go (the names) and kubernetes pkg/kubelet/server/server.go
 *   (containerPrometheusLabelsFunc: the labels `namespace`, `pod`, `container`, `image`, `name`,
 *   `id`; the pod-level cgroup rows have `container=""`).
 * - Prometheus / Alertmanager: the series every scrape adds (`up`, `scrape_*`) and the servers' own
 *   /metrics, read from running Debian builds (Prometheus 2.42, Alertmanager 0.25; the names are
 *   unchanged in the pinned v3.5.0 and v0.28.1) and alertmanager's notify/notify.go.
 */

import { AI_ENGINE_HISTOGRAMS, AI_ENGINE_METRICS } from '../../core/ai-engine-metrics.js';
import type { OptionalMetricSource } from '../../core/ai-engine-series.js';
import { SELF_HEALING_METRICS } from '../../core/self-healing-metrics.js';

/** Where a group of metrics comes from. */
export interface MetricSource {
  /** The exporter or program. */
  readonly source: string;
  /** The version the names were checked against (the pinned image tag). */
  readonly version: string;
  readonly metrics: readonly string[];
}

/** The series of a Prometheus histogram. */
const histogram = (name: string) => [`${name}_bucket`, `${name}_sum`, `${name}_count`];

/** The histograms among {@link SELF_HEALING_METRICS} (the others are counters and gauges, one series name each). */
const SELF_HEALING_HISTOGRAMS: ReadonlySet<string> = new Set([SELF_HEALING_METRICS.actionDuration]);

/**
 * The metrics of the sources that Prometheus scrapes only when told (`OPTIONAL_METRIC_SOURCES` of
 * src/core/ai-engine-series.ts): their scrape jobs keep exactly these names.
 */
export const OPTIONAL_SOURCE_METRICS: Readonly<Record<OptionalMetricSource, MetricSource>> = {
  /** The kubelet job (`prometheus.kubelet.enabled`), of the platform's namespaces only. */
  cadvisor: {
    source: 'google/cadvisor, built into the kubelet (/metrics/cadvisor)',
    version: 'v1.25+ (the kubelet of Kubernetes 1.25 and later)',
    metrics: ['container_cpu_usage_seconds_total', 'container_memory_working_set_bytes'],
  },
};

export const METRICS: Record<string, MetricSource> = {
  nodeExporter: {
    source: 'prometheus/node_exporter',
    version: 'v1.9.1',
    metrics: [
      'node_cpu_seconds_total', 'node_load1', 'node_load5', 'node_load15',
      'node_memory_MemAvailable_bytes', 'node_memory_MemTotal_bytes', 'node_memory_MemFree_bytes',
      'node_memory_Cached_bytes', 'node_memory_Buffers_bytes',
      'node_filesystem_avail_bytes', 'node_filesystem_free_bytes', 'node_filesystem_size_bytes', 'node_filesystem_readonly',
      'node_disk_read_bytes_total', 'node_disk_written_bytes_total', 'node_disk_io_time_seconds_total',
      'node_network_receive_bytes_total', 'node_network_transmit_bytes_total',
    ],
  },
  kubeStateMetrics: {
    source: 'kubernetes/kube-state-metrics',
    version: 'v2.16.0',
    metrics: [
      'kube_pod_status_phase', 'kube_pod_status_ready', 'kube_pod_container_status_ready',
      'kube_pod_container_status_waiting_reason', 'kube_pod_container_status_restarts_total',
      'kube_deployment_spec_replicas', 'kube_deployment_status_replicas_available',
      'kube_statefulset_replicas', 'kube_statefulset_status_replicas_ready',
      'kube_horizontalpodautoscaler_spec_max_replicas', 'kube_horizontalpodautoscaler_spec_min_replicas',
      'kube_horizontalpodautoscaler_status_current_replicas', 'kube_horizontalpodautoscaler_status_desired_replicas',
    ],
  },
  postgresExporter: {
    source: 'prometheus-community/postgres_exporter',
    version: 'v0.17.1',
    metrics: [
      'pg_up', 'pg_settings_max_connections', 'pg_stat_activity_count', 'pg_stat_activity_max_tx_duration',
      'pg_stat_database_numbackends', 'pg_stat_database_xact_commit', 'pg_stat_database_xact_rollback',
      'pg_stat_database_blks_read', 'pg_stat_database_blks_hit', 'pg_stat_database_deadlocks', 'pg_stat_database_temp_bytes',
      'pg_stat_database_tup_returned', 'pg_stat_database_tup_fetched', 'pg_stat_database_tup_inserted',
      'pg_stat_database_tup_updated', 'pg_stat_database_tup_deleted', 'pg_stat_database_active_time_seconds_total',
      'pg_locks_count',
    ],
  },
  redisExporter: {
    source: 'oliver006/redis_exporter',
    version: 'v1.74.0',
    metrics: [
      'redis_up', 'redis_uptime_in_seconds', 'redis_connected_clients', 'redis_blocked_clients',
      'redis_memory_used_bytes', 'redis_memory_max_bytes', 'redis_db_keys', 'redis_evicted_keys_total', 'redis_expired_keys_total',
      'redis_keyspace_hits_total', 'redis_keyspace_misses_total', 'redis_commands_processed_total',
      'redis_commands_total', 'redis_commands_duration_seconds_total',
    ],
  },
  traefik: {
    source: 'traefik/traefik',
    version: 'v3.5',
    metrics: [
      'traefik_service_requests_total',
      ...histogram('traefik_service_request_duration_seconds'),
      'traefik_service_requests_bytes_total',
      'traefik_service_responses_bytes_total',
      'traefik_entrypoint_requests_total',
      ...histogram('traefik_entrypoint_request_duration_seconds'),
      'traefik_open_connections',
      'traefik_config_reloads_total',
      'traefik_config_last_reload_success',
    ],
  },
  elasticsearchExporter: {
    source: 'prometheus-community/elasticsearch_exporter',
    version: 'v1.9.0',
    metrics: [
      'elasticsearch_cluster_health_status', 'elasticsearch_cluster_health_number_of_nodes',
      'elasticsearch_cluster_health_number_of_data_nodes', 'elasticsearch_cluster_health_active_shards',
      'elasticsearch_cluster_health_unassigned_shards', 'elasticsearch_jvm_memory_used_bytes', 'elasticsearch_jvm_memory_max_bytes',
      'elasticsearch_filesystem_data_available_bytes', 'elasticsearch_filesystem_data_size_bytes',
      'elasticsearch_indices_docs', 'elasticsearch_indices_store_size_bytes', 'elasticsearch_indices_indexing_index_total',
      'elasticsearch_indices_search_query_total', 'elasticsearch_indices_search_query_time_seconds',
    ],
  },
  ...OPTIONAL_SOURCE_METRICS,
  prometheus: {
    source: 'prometheus/prometheus (series added to every scrape, and its own /metrics)',
    version: 'v3.5.0',
    metrics: [
      'up', 'scrape_duration_seconds', 'scrape_samples_scraped', 'prometheus_tsdb_head_series',
      'prometheus_tsdb_storage_blocks_bytes', 'prometheus_rule_evaluation_failures_total',
      'prometheus_notifications_dropped_total', 'prometheus_config_last_reload_successful',
    ],
  },
  alertmanager: {
    source: 'prometheus/alertmanager',
    version: 'v0.28.1',
    metrics: [
      'alertmanager_alerts', 'alertmanager_notifications_total', 'alertmanager_notifications_failed_total',
      'alertmanager_config_last_reload_successful',
    ],
  },
  /**
   * The contract the platform's ai-engine image must expose on its /metrics (port 8080):
   * - `aiops_inference_requests_total{model,outcome}` counter; outcome is `success` or `error`.
   * - `aiops_inference_duration_seconds{model}` histogram of one inference's duration.
   * - `aiops_anomalies_detected_total{source}` counter; source is `metrics` or `logs`.
   * - `aiops_model_loaded{model}` gauge, 1 while the model is loaded and serving, else 0.
   * - the engine's own: Lease, hot-state sizes and failures (all named in src/core/ai-engine-metrics.ts).
   */
  aiEngine: {
    source: 'the platform ai-engine image (contract defined here)',
    version: 'contract v1',
    metrics: Object.values(AI_ENGINE_METRICS).flatMap((name) => (AI_ENGINE_HISTOGRAMS.has(name) ? histogram(name) : [name])),
  },
  /** The self-healing executor's own metrics (port 9464), named once in src/core/self-healing-metrics.ts. */
  selfHealing: {
    source: 'the platform self-healing executor (src/services/self-healing, names in src/core/self-healing-metrics.ts)',
    version: 'contract v1',
    metrics: Object.values(SELF_HEALING_METRICS).flatMap((name) => (SELF_HEALING_HISTOGRAMS.has(name) ? histogram(name) : [name])),
  },
};

const KNOWN = new Set(Object.values(METRICS).flatMap((s) => s.metrics));

/** True when a metric name is in {@link METRICS}. */
export function isKnownMetric(name: string): boolean {
  return KNOWN.has(name);
}
