import { createPlatformContext, type PlatformContext } from '../lib/context.js';
import type { Values } from '../values/schema/index.js';
import { aiEnginePlan, aiEngineServed, apiGatewayPlan, selfHealingPlan, type AiEngineConnections, type ApiGatewayConnections, type PlatformServicePlan, type SelfHealingPlan } from './aiops.js';
import type { Connected } from './connections.js';
import type { ComponentPlan, ServedPlan } from './component.js';
import { postgresqlBackupPlan, postgresqlMaintenancePlan, postgresqlPlan, redisClusterInitPlan, redisPlan, type PostgreSqlPlan, type RedisPlan } from './data.js';
import { grafanaBehindGateway, grafanaMetricsServed, ingressPlan, traefikPlan, withRoutes, type IngressPlan, type TraefikPlan } from './ingress.js';
import { loggingPlan, type ElasticsearchPlan, type LoggingPlan, type LogstashPlan } from './logging.js';
import { alertmanagerPlan, grafanaPlan, kubeStateMetricsPlan, nodeExporterPlan, prometheusBackupPlan, prometheusPlan, prometheusServed, withScrapes, type GrafanaPlan, type PrefixedPlan, type PrometheusPlan } from './monitoring.js';

export type { ComponentPlan, PlannedRoute, ServedPlan } from './component.js';

/**
 * Every rendered component of the platform, undefined when it is not rendered. The order is the
 * order of the Ingress routes (Grafana, Prometheus, Alertmanager, Kibana, AI engine, API gateway).
 */
export interface PlannedComponents {
  readonly grafana: GrafanaPlan | undefined;
  readonly prometheus: PrometheusPlan | undefined;
  readonly prometheusBackup: ComponentPlan | undefined;
  readonly alertmanager: (PrefixedPlan & Connected<{ selfHealing: ServedPlan | undefined }>) | undefined;
  readonly kubeStateMetrics: ServedPlan | undefined;
  readonly nodeExporter: ComponentPlan | undefined;
  readonly postgresql: PostgreSqlPlan | undefined;
  readonly postgresqlMaintenance: ComponentPlan | undefined;
  readonly postgresqlBackup: ComponentPlan | undefined;
  readonly redis: RedisPlan | undefined;
  readonly redisClusterInit: ComponentPlan | undefined;
  readonly elasticsearch: ElasticsearchPlan | undefined;
  readonly transportCa: ComponentPlan | undefined;
  readonly elasticsearchSetup: ComponentPlan | undefined;
  readonly elasticsearchBackup: ComponentPlan | undefined;
  readonly logstash: LogstashPlan | undefined;
  readonly filebeat: LoggingPlan['filebeat'];
  readonly kibana: LoggingPlan['kibana'];
  readonly aiEngine: (PlatformServicePlan & Connected<AiEngineConnections>) | undefined;
  readonly apiGateway: (PlatformServicePlan & Connected<ApiGatewayConnections>) | undefined;
  readonly selfHealing: SelfHealingPlan | undefined;
  readonly traefik: TraefikPlan | undefined;
}

/** Values slices that switch something other than one component on (`enabled` keys that are not components; `backup` switches each store's backup job, planned per store). */
type NotComponents = 'ingress' | 'networkPolicy' | 'podSecurityPolicy' | 'backup';
/** The values slices with an `enabled` key. */
type EnabledSlices = { [K in keyof Values]: Values[K] extends { enabled: boolean } ? K : never }[keyof Values];
/** Components with a values slice but no plan entry: must be none (a compile error names the forgotten one). */
type Unplanned = Exclude<EnabledSlices, keyof PlannedComponents | NotComponents>;
/** Compile-time check: every component values slice has a plan entry in {@link PlannedComponents}. */
const everySlicePlanned: [Unplanned] extends [never] ? true : { forgotten: Unplanned } = true;
void everySlicePlanned;

/** What Prometheus scrapes, by source of metrics (the alert rules and dashboards of each source exist only then). */
export interface ScrapedSources {
  readonly nodeExporter: boolean;
  readonly kubeStateMetrics: boolean;
  readonly traefik: boolean;
  /** The postgres-exporter sidecar: PostgreSQL rendered and `postgresql.exporter.enabled`. */
  readonly postgresql: boolean;
  readonly redis: boolean;
  readonly elasticsearch: boolean;
  readonly aiEngine: boolean;
  /** The self-healing executor (its own metrics on the metrics port). */
  readonly selfHealing: boolean;
  /** The kubelets' cAdvisor (`prometheus.kubelet.enabled`, job {@link KUBELET_JOB}). */
  readonly kubelet: boolean;
}

/** The job name of the kubelets' cAdvisor scrape (its targets carry `node`, not `namespace`). */
export const KUBELET_JOB = 'kubelet';

/** What {@link completePlan} adds to the components. */
export interface PlanCompletion {
  /** The sources of metrics (whether or not Prometheus itself is rendered: the rule file and dashboards are built for them). */
  readonly scraped: ScrapedSources;
  readonly ingress: IngressPlan;
  /** The node agents' namespace is rendered (node-exporter or Filebeat run). */
  readonly agentsNamespace: boolean;
  /** Warnings of the plan, where the chart reports them: `logging` (components skipped), `grafana` (its metrics off). */
  readonly warnings: { readonly logging: readonly string[]; readonly grafana: readonly string[] };
}

/** The platform plan: what renders, every name, port, URL, flag and connection, decided before any construct is built. */
export type PlatformPlan = PlannedComponents & PlanCompletion;

/** The plan for `values`, release and namespace (configuration problems are thrown). Pure: builds no construct. */
export function platformPlan(values: Values, release: string, namespace: string): PlatformPlan {
  return planPlatform(createPlatformContext(values, release, namespace, () => undefined), values);
}

/** The plan, with the chart's context (which reports the problems of names). */
export function planPlatform(ctx: PlatformContext, v: Values): PlatformPlan {
  const postgresql = v.postgresql.enabled ? postgresqlPlan(ctx, v.postgresql) : undefined;
  const redis = v.redis.enabled ? redisPlan(ctx, v.redis) : undefined;
  const logging = loggingPlan(ctx, v);
  const { elasticsearch } = logging;
  const selfHealing = v.selfHealing.enabled
    ? selfHealingPlan(ctx, v.selfHealing, {
        prometheus: v.prometheus.enabled ? prometheusServed(ctx) : undefined,
        postgresql,
        aiEngine: v.aiEngine.enabled ? aiEngineServed(ctx, v) : undefined,
      })
    : undefined;
  const traefik = v.traefik.enabled ? traefikPlan(ctx) : undefined;
  const kubeStateMetrics = v.kubeStateMetrics.enabled ? kubeStateMetricsPlan(ctx) : undefined;
  const alertmanager = v.alertmanager.enabled ? alertmanagerPlan(ctx, v, selfHealing) : undefined;
  const scrapedPrometheus = v.prometheus.enabled
    ? prometheusPlan(ctx, v, alertmanager, {
        nodeExporterPort: v.nodeExporter.enabled ? v.nodeExporter.port : undefined,
        kubeStateMetrics,
        exporters: [postgresql?.exporter, redis?.exporter, elasticsearch?.exporter],
        traefikMetrics: traefik?.metrics,
      })
    : undefined;
  const aiEngine = v.aiEngine.enabled ? aiEnginePlan(ctx, v, { prometheus: scrapedPrometheus, alertmanager, elasticsearch, redis, postgresql }) : undefined;
  const apiGateway = v.apiGateway.enabled ? apiGatewayPlan(ctx, v, { prometheus: scrapedPrometheus, alertmanager, aiEngine, selfHealing, redis, postgresql }) : undefined;
  const grafanaEdge = { metrics: grafanaMetricsServed(v), authProxy: grafanaBehindGateway(v) };
  const grafana = v.grafana.enabled ? grafanaPlan(ctx, v, grafanaEdge, { prometheus: scrapedPrometheus, elasticsearch }) : undefined;
  const prometheus =
    scrapedPrometheus &&
    withScrapes(
      withScrapes(scrapedPrometheus, [grafana?.metrics ? grafana.endpoint : undefined], 'kubernetes-pods job: /grafana/metrics'),
      [aiEngine?.metrics, apiGateway?.metrics, selfHealing?.metrics],
      'kubernetes-pods job: /metrics on the metrics port',
    );
  const components: PlannedComponents = {
    grafana,
    prometheus,
    prometheusBackup: prometheus && prometheusBackupPlan(ctx, prometheus),
    alertmanager,
    kubeStateMetrics,
    nodeExporter: v.nodeExporter.enabled ? nodeExporterPlan(ctx) : undefined,
    postgresql,
    postgresqlMaintenance: postgresql && v.postgresql.maintenance.enabled ? postgresqlMaintenancePlan(ctx, postgresql) : undefined,
    postgresqlBackup: postgresql && v.backup.enabled ? postgresqlBackupPlan(ctx, postgresql) : undefined,
    redis,
    redisClusterInit: redis && redisClusterInitPlan(ctx, redis),
    elasticsearch,
    transportCa: logging.transportCa,
    elasticsearchSetup: logging.elasticsearchSetup,
    elasticsearchBackup: logging.elasticsearchBackup,
    logstash: logging.logstash,
    filebeat: logging.filebeat,
    kibana: logging.kibana,
    aiEngine,
    apiGateway,
    selfHealing,
    traefik,
  };
  return completePlan(v, components, logging.warnings);
}

/**
 * Completes a plan from its components: the Ingress routes of every component (in the order of
 * `components`) and Traefik forwarding the served ones (and asking the gateway about them with
 * ForwardAuth), the node agents' namespace, the warnings.
 * A component added to `components` takes part in the Ingress and, through its `uses`, in the
 * NetworkPolicies, with no other change.
 */
export function completePlan<C extends PlannedComponents>(v: Values, components: C, loggingWarnings: readonly string[] = []): C & PlanCompletion {
  const { traefik, ...others } = components;
  const routed = plannedComponents(others);
  const ingress = ingressPlan(v, routed);
  const noMetrics = v.grafana.enabled && !components.grafana?.metrics;
  return {
    ...components,
    traefik: traefik && withRoutes(traefik, ingress, routed, components.apiGateway),
    ingress,
    agentsNamespace: Boolean(components.nodeExporter || components.filebeat),
    scraped: {
      nodeExporter: Boolean(components.nodeExporter),
      kubeStateMetrics: Boolean(components.kubeStateMetrics),
      traefik: Boolean(traefik),
      postgresql: Boolean(components.postgresql?.exporter),
      redis: Boolean(components.redis?.exporter),
      elasticsearch: Boolean(components.elasticsearch?.exporter),
      aiEngine: Boolean(components.aiEngine),
      selfHealing: Boolean(components.selfHealing),
      kubelet: Boolean(components.prometheus) && v.prometheus.kubelet.enabled,
    },
    warnings: {
      logging: loggingWarnings,
      grafana: noMetrics
        ? [`/grafana/metrics turned off (Grafana serves it without login, and the Ingress would publish it: ${ingress.noAuth}); Grafana's own metrics are not collected`]
        : [],
    },
  };
}

/** The components of a plan (its rendered ones, in order). */
export function plannedComponents(plan: object): ComponentPlan[] {
  return Object.values(plan).filter((c): c is ComponentPlan => Boolean(c) && typeof c === 'object' && 'uses' in c);
}
