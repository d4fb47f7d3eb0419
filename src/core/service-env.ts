/**
 * The environment contract between the chart and the platform's own images: every variable the
 * chart sets on the AI engine, the API gateway and the self-healing executor, by group. The
 * constructs set them by these names, and the values schema refuses them in `extraEnv`
 * (MANAGED_ENV), so the two cannot disagree.
 */
export const SERVICE_ENV = {
  common: { basePath: 'BASE_PATH', logLevel: 'LOG_LEVEL', port: 'PORT', metricsPort: 'METRICS_PORT', podName: 'POD_NAME', podNamespace: 'POD_NAMESPACE' },
  prometheus: { url: 'PROMETHEUS_URL' },
  alertmanager: { url: 'ALERTMANAGER_URL' },
  /** The AI engine's URL with its base path, for its clients (the API gateway, the executor). */
  aiEngineClient: { url: 'AI_ENGINE_URL' },
  elasticsearch: { url: 'ELASTICSEARCH_URL', username: 'ELASTICSEARCH_USERNAME', password: 'ELASTICSEARCH_PASSWORD', indexPattern: 'ELASTICSEARCH_INDEX_PATTERN' },
  redis: { host: 'REDIS_HOST', port: 'REDIS_PORT', password: 'REDIS_PASSWORD', cluster: 'REDIS_CLUSTER' },
  postgres: { host: 'POSTGRES_HOST', port: 'POSTGRES_PORT', db: 'POSTGRES_DB', user: 'POSTGRES_USER', password: 'POSTGRES_PASSWORD', sslMode: 'POSTGRES_SSLMODE' },
  aiEngine: { queryStatsView: 'POSTGRES_QUERY_STATS_VIEW', seriesFile: 'SERIES_FILE', leaseName: 'LEASE_NAME', extraCaCerts: 'NODE_EXTRA_CA_CERTS' },
  apiGateway: {
    selfHealingUrl: 'SELF_HEALING_URL',
    apiPrefix: 'API_PREFIX',
    sessionStore: 'SESSION_STORE',
    /** The first admin (created at start when no user has that name; never overwritten). */
    adminUsername: 'ADMIN_USERNAME',
    adminPassword: 'ADMIN_PASSWORD',
    /** `true`: the session cookie is always `Secure`; `auto` (default): when the request came over https (X-Forwarded-Proto). */
    cookieSecure: 'COOKIE_SECURE',
  },
  /** The bearer token the API gateway presents to the executor's approval API (and the executor checks). */
  approvals: { token: 'APPROVAL_TOKEN' },
  selfHealing: { rulesFile: 'RULES_FILE', webhookToken: 'WEBHOOK_TOKEN', leaseName: 'LEASE_NAME', extraCaCerts: 'NODE_EXTRA_CA_CERTS' },
} as const;

/** The groups of {@link SERVICE_ENV} each service's environment is made of (whether or not its connections are rendered). */
export const SERVICE_ENV_GROUPS = {
  aiEngine: ['common', 'prometheus', 'alertmanager', 'elasticsearch', 'redis', 'postgres', 'aiEngine'],
  apiGateway: ['common', 'aiEngineClient', 'apiGateway', 'approvals', 'prometheus', 'alertmanager', 'redis', 'postgres'],
  selfHealing: ['common', 'selfHealing', 'approvals', 'prometheus', 'aiEngineClient', 'postgres'],
} as const satisfies Record<string, readonly (keyof typeof SERVICE_ENV)[]>;
