/**
 * Environment variables the chart sets on the platform's own services, by values slice: the
 * names `extraEnv` may not use. The services' constructs check that every variable they set is
 * listed here, so this list cannot fall behind them.
 */

const COMMON = ['BASE_PATH', 'LOG_LEVEL', 'PORT', 'METRICS_PORT', 'POD_NAME', 'POD_NAMESPACE'];
const PROMETHEUS = ['PROMETHEUS_URL'];
const ELASTICSEARCH = ['ELASTICSEARCH_URL', 'ELASTICSEARCH_USERNAME', 'ELASTICSEARCH_PASSWORD', 'ELASTICSEARCH_INDEX_PATTERN'];
const REDIS = ['REDIS_HOST', 'REDIS_PORT', 'REDIS_PASSWORD', 'REDIS_CLUSTER'];
const POSTGRES = ['POSTGRES_HOST', 'POSTGRES_PORT', 'POSTGRES_DB', 'POSTGRES_USER', 'POSTGRES_PASSWORD', 'POSTGRES_SSLMODE'];

/** Chart-managed variables of `aiEngine`, `apiGateway` and `selfHealing` (whether or not their connections are rendered). */
export const MANAGED_ENV = {
  aiEngine: [...COMMON, ...PROMETHEUS, ...ELASTICSEARCH, ...REDIS, ...POSTGRES, 'POSTGRES_QUERY_STATS_VIEW'],
  apiGateway: [...COMMON, 'AI_ENGINE_URL', 'SELF_HEALING_URL', 'API_PREFIX', 'SESSION_STORE', ...REDIS, ...POSTGRES],
  selfHealing: [...COMMON, 'RULES_FILE', 'DRY_RUN', 'NAMESPACE', 'WEBHOOK_TOKEN'],
} as const satisfies Record<string, readonly string[]>;

/** A values slice with chart-managed variables. */
export type ManagedEnvSlice = keyof typeof MANAGED_ENV;
