import type { k8s } from '../../lib/k8s.js';
import { SERVICE_ENV as ENV } from '../../core/service-env.js';
import { secretEnv } from '../../lib/pod.js';
import type { PostgreSqlConnection } from '../data/postgresql.js';
import type { RedisConnection } from '../data/redis.js';
import type { ElasticsearchConnection } from '../logging/connection.js';
import type { PrometheusConnection } from '../monitoring/prometheus.js';

/*
 * The environment contract between the chart and the platform's own images, one function per data
 * store, so every service that uses a store gets the same variables. Each function returns no
 * variable at all when the store is not rendered (connection undefined): the images treat an
 * absent variable as "feature off". Credentials are always secretKeyRefs, never values.
 */

/** `PROMETHEUS_URL`: the in-cluster base URL with the route prefix (`…:9090/prometheus`). */
export function prometheusEnv(prometheus: Pick<PrometheusConnection, 'url'> | undefined): k8s.EnvVar[] {
  return prometheus ? [{ name: ENV.prometheus.url, value: prometheus.url }] : [];
}

/** `ALERTMANAGER_URL`: the in-cluster base URL with the route prefix (`…:9093/alertmanager`). */
export function alertmanagerEnv(alertmanager: { readonly url: string } | undefined): k8s.EnvVar[] {
  return alertmanager ? [{ name: ENV.alertmanager.url, value: alertmanager.url }] : [];
}

/**
 * `ELASTICSEARCH_URL`, `ELASTICSEARCH_INDEX_PATTERN` (`<indexPrefix>-*`, the log indices) and, with
 * security on, `ELASTICSEARCH_USERNAME` = the read-only `logs_reader` and its `ELASTICSEARCH_PASSWORD`.
 */
export function elasticsearchEnv(es: ElasticsearchConnection | undefined): k8s.EnvVar[] {
  if (!es) return [];
  return [
    { name: ENV.elasticsearch.url, value: es.url },
    ...(es.authEnabled
      ? [
          { name: ENV.elasticsearch.username, value: es.users.logsReader },
          secretEnv(ENV.elasticsearch.password, requireSecret(es.secretName, 'ElasticsearchConnection'), es.keys.logsReader),
        ]
      : []),
    { name: ENV.elasticsearch.indexPattern, value: `${es.indexPrefix}-*` },
  ];
}

/**
 * `REDIS_HOST`, `REDIS_PORT`, `REDIS_PASSWORD` (with auth) and `REDIS_CLUSTER` (`true`: a Redis
 * Cluster, the client must follow MOVED redirects; `false`: standalone).
 */
export function redisEnv(redis: RedisConnection | undefined): k8s.EnvVar[] {
  if (!redis) return [];
  return [
    { name: ENV.redis.host, value: redis.host },
    { name: ENV.redis.port, value: String(redis.port) },
    ...(redis.authEnabled ? [secretEnv(ENV.redis.password, requireSecret(redis.secretName, 'RedisConnection'), redis.passwordKey)] : []),
    { name: ENV.redis.cluster, value: String(redis.clusterMode) },
  ];
}

/**
 * `POSTGRES_HOST`, `POSTGRES_PORT`, `POSTGRES_DB`, `POSTGRES_USER` (the application user, never the
 * superuser), `POSTGRES_PASSWORD` and `POSTGRES_SSLMODE=disable`: the chart's PostgreSQL serves no
 * TLS, the connection stays on the cluster network (NetworkPolicies limit who reaches port 5432).
 */
export function postgresEnv(pg: PostgreSqlConnection | undefined): k8s.EnvVar[] {
  if (!pg) return [];
  return [
    { name: ENV.postgres.host, value: pg.host },
    { name: ENV.postgres.port, value: String(pg.port) },
    { name: ENV.postgres.db, value: pg.database },
    { name: ENV.postgres.user, value: pg.username },
    secretEnv(ENV.postgres.password, pg.secretName, pg.passwordKey),
    { name: ENV.postgres.sslMode, value: 'disable' },
  ];
}

/** A connection with authentication on must name its Secret; a missing one is a programming error. */
function requireSecret(secretName: string | undefined, what: string): string {
  if (!secretName) throw new Error(`${what} has authentication on but no secretName: there is no password to read`);
  return secretName;
}
