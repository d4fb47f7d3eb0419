import { k8s } from '../../lib/k8s.js';
import { Construct } from 'constructs';
import { SERVICE_ENV as ENV } from '../../core/service-env.js';
import { checksum } from '../../lib/config-files.js';
import type { PlatformContext } from '../../lib/context.js';
import { metadata } from '../../lib/metadata.js';
import { objectName } from '../../lib/names.js';
import { createServiceAccount } from '../../lib/rbac.js';
import { CATALOG } from '../../plan/catalog.js';
import type { Values } from '../../values/schema/index.js';
import { QUERY_STATS_VIEW } from '../data/postgresql-scripts.js';
import type { PostgreSqlConnection } from '../data/postgresql.js';
import type { RedisConnection } from '../data/redis.js';
import type { ElasticsearchConnection } from '../logging/connection.js';
import type { PrometheusConnection } from '../monitoring/prometheus.js';
import { aiEngineSeriesFile } from './ai-engine-series.js';
import { leaseEnv, leaseRules } from './leader-lease.js';
import { PlatformService, platformServiceVersion, type PlatformServiceConnection } from './platform-service.js';
import { alertmanagerEnv, elasticsearchEnv, postgresEnv, prometheusEnv, redisEnv } from './service-env.js';

const AI_ENGINE_ID = CATALOG.aiEngine.id;
const CONFIG_DIR = '/etc/ai-engine';
/** JSON: the engine reads it with JSON.parse (format: src/core/ai-engine-series-file.ts). */
const SERIES_FILE = 'series.json';

/** Props of {@link AiEngine}. Each connection is optional: undefined when that component is not rendered. */
export interface AiEngineProps {
  readonly ctx: PlatformContext;
  /** The `aiEngine.*` values slice. */
  readonly values: Values['aiEngine'];
  /** Metrics to analyse (default none). */
  readonly prometheus?: PrometheusConnection | undefined;
  /** Where anomalies go as alerts (default none: they are only served by the API). */
  readonly alertmanager?: { readonly url: string } | undefined;
  /** Logs to analyse, read as the read-only `logs_reader` (default none). */
  readonly elasticsearch?: ElasticsearchConnection | undefined;
  /** Cache of features and results (default none). */
  readonly redis?: RedisConnection | undefined;
  /** Store of models, anomalies and the query statistics (default none). */
  readonly postgresql?: PostgreSqlConnection | undefined;
}

/**
 * The AI engine: anomaly detection over metrics and logs, a {@link PlatformService} `ai-engine`
 * under `/ai` (Deployment + HPA in production, PDB, metrics at `/ai/metrics`). The Prometheus
 * series it watches are the file `series.json` of the ConfigMap `<release>-ai-engine`, from
 * `aiEngine.series` ({@link aiEngineSeriesFile}; pods roll when it changes). Every replica
 * detects; only the holder of the Lease `<release>-ai-engine` writes alerts, history and Redis
 * state, under a ServiceAccount that may create that Lease and get and update it alone. Its
 * environment, beside the common BASE_PATH=/ai, LOG_LEVEL, PORT=8080, POD_NAME, POD_NAMESPACE and
 * `aiEngine.extraEnv`; a variable is absent when its component is not rendered:
 *
 * | variable | value |
 * |---|---|
 * | `SERIES_FILE` | `/etc/ai-engine/series.json` |
 * | `LEASE_NAME` | `<release>-ai-engine` |
 * | `NODE_EXTRA_CA_CERTS` | the service-account CA, so that Node's fetch trusts the API server |
 * | `PROMETHEUS_URL` | `http://<release>-prometheus.<ns>.svc.<domain>:9090/prometheus` |
 * | `ALERTMANAGER_URL` | `http://<release>-alertmanager.<ns>.svc.<domain>:9093/alertmanager`: anomalies are pushed there as alerts |
 * | `ELASTICSEARCH_URL` | `http://<release>-elasticsearch.<ns>.svc.<domain>:9200` |
 * | `ELASTICSEARCH_USERNAME` | `logs_reader` (only with elasticsearch.auth.enabled) |
 * | `ELASTICSEARCH_PASSWORD` | secretKeyRef Elasticsearch Secret / `logs-reader-password` (only with auth) |
 * | `ELASTICSEARCH_INDEX_PATTERN` | `aiops-logs-*` |
 * | `REDIS_HOST` | `<release>-redis.<ns>.svc.<domain>` |
 * | `REDIS_PORT` | `6379` |
 * | `REDIS_PASSWORD` | secretKeyRef Redis Secret / `redis-password` (only with redis.auth.enabled) |
 * | `REDIS_CLUSTER` | `true` in cluster mode (follow MOVED redirects), else `false` |
 * | `POSTGRES_HOST` | `<release>-postgresql.<ns>.svc.<domain>` |
 * | `POSTGRES_PORT` | `5432` |
 * | `POSTGRES_DB` | postgresql.auth.database |
 * | `POSTGRES_USER` | postgresql.auth.username (the application user) |
 * | `POSTGRES_PASSWORD` | secretKeyRef PostgreSQL Secret / `password` |
 * | `POSTGRES_SSLMODE` | `disable` (the in-cluster PostgreSQL serves no TLS) |
 * | `POSTGRES_QUERY_STATS_VIEW` | `aiops_query_stats`, the view over pg_stat_statements the maintenance creates |
 */
export class AiEngine extends Construct {
  readonly connection: PlatformServiceConnection;

  constructor(scope: Construct, id: string, props: AiEngineProps) {
    super(scope, id);
    const { ctx, values } = props;
    const name = objectName(ctx, AI_ENGINE_ID.name);
    const config = { [SERIES_FILE]: aiEngineSeriesFile(ctx, values.series, props.prometheus?.scrapes).text };
    new k8s.KubeConfigMap(this, 'series', { metadata: metadata(ctx, name, AI_ENGINE_ID, { version: platformServiceVersion(values) }), data: config });
    const serviceAccountName = createServiceAccount(this, ctx, {
      name,
      id: AI_ENGINE_ID,
      namespaceRules: leaseRules(name),
      apiCalls: 'holds the Lease that elects the one replica that detects and alerts',
    });

    this.connection = new PlatformService(this, 'service', {
      ctx,
      values,
      valuesPath: 'aiEngine',
      component: AI_ENGINE_ID.name,
      role: AI_ENGINE_ID.component,
      basePath: '/ai',
      env: [
        { name: ENV.aiEngine.seriesFile, value: `${CONFIG_DIR}/${SERIES_FILE}` },
        ...leaseEnv(ENV.aiEngine, name),
        ...prometheusEnv(props.prometheus),
        ...alertmanagerEnv(props.alertmanager),
        ...elasticsearchEnv(props.elasticsearch),
        ...redisEnv(props.redis),
        ...postgresEnv(props.postgresql),
        ...(props.postgresql ? [{ name: ENV.aiEngine.queryStatsView, value: QUERY_STATS_VIEW }] : []),
      ],
      serviceAccountName,
      volumes: [{ name: 'config', configMap: { name, defaultMode: 0o444 } }],
      mounts: [{ name: 'config', mountPath: CONFIG_DIR, readOnly: true }],
      annotations: { 'checksum/config': checksum(config) },
      // Loading the models can take a while on a cold node.
      startupSeconds: 300,
    }).connection;
  }
}
