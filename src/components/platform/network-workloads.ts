import type { PlatformContext } from '../../lib/context.js';
import { selectorLabels, type ComponentIdentity } from '../../lib/labels.js';
import { objectName } from '../../lib/names.js';
import type { Values } from '../../values/schema/index.js';
import { AI_ENGINE_ID } from '../aiops/ai-engine.js';
import { API_GATEWAY_ID } from '../aiops/api-gateway.js';
import { SELF_HEALING_ID } from '../aiops/self-healing.js';
import { POSTGRESQL_MAINTENANCE_ID } from '../data/postgresql-maintenance.js';
import { POSTGRESQL_ID } from '../data/postgresql.js';
import { REDIS_CLUSTER_INIT_ID } from '../data/redis-cluster-job.js';
import { REDIS_ID } from '../data/redis.js';
import { TRAEFIK_ID } from '../ingress/traefik.js';
import { ELASTICSEARCH_SETUP_ID } from '../logging/elasticsearch-setup.js';
import { TRANSPORT_CA_ID } from '../logging/elasticsearch-tls.js';
import { ELASTICSEARCH_ID } from '../logging/elasticsearch.js';
import { FILEBEAT_ID } from '../logging/filebeat.js';
import { KIBANA_ID } from '../logging/kibana.js';
import { LOGSTASH_ID } from '../logging/logstash.js';
import { ALERTMANAGER_ID } from '../monitoring/alertmanager.js';
import { GRAFANA_ID } from '../monitoring/grafana.js';
import { KUBE_STATE_METRICS_ID } from '../monitoring/kube-state-metrics.js';
import { PROMETHEUS_ID } from '../monitoring/prometheus-config.js';

/** The pods of one workload: its object name, namespace and stable selector labels. */
export interface PodsPeer {
  readonly kind: 'pods';
  /** Name of the workload (`<release>-<component>[-<role>]`), also the name of its NetworkPolicy. */
  readonly name: string;
  readonly namespace: string;
  readonly selector: Readonly<Record<string, string>>;
}

/** Which components the chart rendered, and the wiring choices the graph cannot read off the values. */
export interface RenderedComponents {
  readonly postgresql: boolean;
  readonly postgresqlMaintenance: boolean;
  readonly redis: boolean;
  readonly elasticsearch: boolean;
  /** The setup Job and CronJob (with Elasticsearch). */
  readonly elasticsearchSetup: boolean;
  readonly logstash: boolean;
  readonly filebeat: boolean;
  readonly kibana: boolean;
  /** node-exporter (host network: reached on the node IPs, no policy of its own). */
  readonly nodeExporter: boolean;
  readonly kubeStateMetrics: boolean;
  readonly prometheus: boolean;
  readonly alertmanager: boolean;
  readonly grafana: boolean;
  /** Grafana has the Elasticsearch log datasource (security on). */
  readonly grafanaLogs: boolean;
  readonly aiEngine: boolean;
  readonly apiGateway: boolean;
  readonly selfHealing: boolean;
  readonly traefik: boolean;
  /** The Ingress routes (the same list the Ingress is built from): Traefik forwards to their backends. */
  readonly ingressRoutes: readonly { readonly path: string; readonly serviceName: string; readonly servicePort: number }[];
}

/**
 * The pod-network workloads the chart renders (undefined: not rendered), by role in the graph. The
 * Job pods are here too: the executor's on-demand Jobs run the same templates, so the same labels.
 * The transport-CA Job runs with Elasticsearch security on and more than one node (transport TLS);
 * the cluster-init Job in Redis cluster mode.
 */
export function platformWorkloads(ctx: PlatformContext, v: Values, r: RenderedComponents) {
  const pods = (on: boolean, id: ComponentIdentity, role?: string, namespace = ctx.namespace): PodsPeer | undefined =>
    on ? { kind: 'pods', name: objectName(ctx, id.name, role), namespace, selector: selectorLabels(ctx, id) } : undefined;
  return {
    traefik: pods(r.traefik, TRAEFIK_ID),
    prometheus: pods(r.prometheus, PROMETHEUS_ID),
    alertmanager: pods(r.alertmanager, ALERTMANAGER_ID),
    grafana: pods(r.grafana, GRAFANA_ID),
    kubeStateMetrics: pods(r.kubeStateMetrics, KUBE_STATE_METRICS_ID),
    elasticsearch: pods(r.elasticsearch, ELASTICSEARCH_ID),
    elasticsearchSetup: pods(r.elasticsearchSetup, ELASTICSEARCH_SETUP_ID, 'setup'),
    transportCa: pods(r.elasticsearch && v.elasticsearch.auth.enabled && v.elasticsearch.replicas > 1, TRANSPORT_CA_ID, 'transport-ca'),
    logstash: pods(r.logstash, LOGSTASH_ID),
    filebeat: pods(r.filebeat, FILEBEAT_ID, undefined, ctx.agentsNamespace),
    kibana: pods(r.kibana, KIBANA_ID),
    postgresql: pods(r.postgresql, POSTGRESQL_ID),
    postgresqlMaintenance: pods(r.postgresqlMaintenance, POSTGRESQL_MAINTENANCE_ID, 'maintenance'),
    redis: pods(r.redis, REDIS_ID),
    redisClusterInit: pods(r.redis && v.redis.cluster.enabled, REDIS_CLUSTER_INIT_ID, 'cluster-init'),
    aiEngine: pods(r.aiEngine, AI_ENGINE_ID),
    apiGateway: pods(r.apiGateway, API_GATEWAY_ID),
    selfHealing: pods(r.selfHealing, SELF_HEALING_ID),
  };
}
