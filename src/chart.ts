import { Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import { AiEngine } from './components/aiops/ai-engine.js';
import { ApiGateway } from './components/aiops/api-gateway.js';
import { SelfHealing } from './components/aiops/self-healing.js';
import type { SelfHealingJobs } from './components/aiops/self-healing-rules.js';
import { PostgreSql } from './components/data/postgresql.js';
import { PostgreSqlMaintenance } from './components/data/postgresql-maintenance.js';
import { Redis } from './components/data/redis.js';
import { BasicAuth } from './components/ingress/basic-auth.js';
import { PlatformIngress, servedRoutes, type IngressProtection, type IngressRoute } from './components/ingress/platform-ingress.js';
import { Traefik } from './components/ingress/traefik.js';
import { Elasticsearch } from './components/logging/elasticsearch.js';
import { ElasticsearchSetup } from './components/logging/elasticsearch-setup.js';
import { Filebeat } from './components/logging/filebeat.js';
import { Kibana } from './components/logging/kibana.js';
import { Logstash } from './components/logging/logstash.js';
import { alertRulesYaml } from './components/monitoring/alert-rules.js';
import { Alertmanager } from './components/monitoring/alertmanager.js';
import { Grafana } from './components/monitoring/grafana.js';
import { KubeStateMetrics } from './components/monitoring/kube-state-metrics.js';
import { NodeExporter } from './components/monitoring/node-exporter.js';
import { Prometheus } from './components/monitoring/prometheus.js';
import { PlatformNamespace } from './components/platform/namespace.js';
import { networkEdges } from './components/platform/network-graph.js';
import { NetworkPolicies } from './components/platform/network-policies.js';
import { createPlatformContext } from './lib/context.js';
import type { ConfigError } from './lib/errors.js';
import { serviceUrl } from './lib/names.js';
import type { Values } from './values/schema/index.js';
import { ROUTE_PREFIXES } from './values/schema/ingress-routes.js';
import { grafanaLogsSource, loggingPlan, scaleTargets } from './chart-wiring.js';

/** Props of {@link PlatformChart}. */
export interface PlatformChartProps {
  /** Validated values. */
  readonly values: Values;
  /** Release name (default aiops-platform). */
  readonly release: string;
  /** Namespace (default aiops-platform). */
  readonly namespace: string;
  /** Receives the configuration problems found while building, which then goes on so that all are reported (default: the first is thrown). */
  readonly report?: (problem: ConfigError) => void;
}

/**
 * The one chart of the platform: builds the shared context and composes the components, family by
 * family. A component plugs in with one folder under src/components and one line here; the chart,
 * not the component, decides whether it is enabled, and wires components through the `connection`
 * each one exposes (never hand-written host names).
 */
export class PlatformChart extends Chart {
  /** Warnings collected while building, in order. */
  readonly warnings: string[] = [];

  constructor(scope: Construct, id: string, props: PlatformChartProps) {
    super(scope, id, { disableResourceNameHashes: true });
    const { values: v } = props;
    const ctx = createPlatformContext(
      v,
      props.release,
      props.namespace,
      (message) => this.warnings.push(message),
      props.report,
    );
    const logging = loggingPlan(v);

    // Namespaces: the platform's (restricted) and, for host agents, the privileged agents namespace.
    new PlatformNamespace(this, 'namespace', { ctx, enforce: v.podSecurityPolicy.enabled });
    const agentsNamespace = v.nodeExporter.enabled || logging.filebeat;
    if (agentsNamespace) {
      new PlatformNamespace(this, 'agents-namespace', {
        ctx,
        name: ctx.agentsNamespace,
        level: 'privileged',
        description: 'Node agents that need host access (node-exporter, Filebeat): the documented exception to the restricted Pod Security Standard.',
      });
    }

    // Data stores.
    const postgresql = v.postgresql.enabled ? new PostgreSql(this, 'postgresql', { ctx, values: v.postgresql }).connection : undefined;
    const maintenance =
      postgresql && v.postgresql.maintenance.enabled
        ? new PostgreSqlMaintenance(this, 'postgresql-maintenance', { ctx, values: v.postgresql, connection: postgresql })
        : undefined;
    const redis = v.redis.enabled ? new Redis(this, 'redis', { ctx, values: v.redis }).connection : undefined;

    // Logging.
    const elasticsearch = v.elasticsearch.enabled ? new Elasticsearch(this, 'elasticsearch', { ctx, values: v.elasticsearch }).connection : undefined;
    const setup = elasticsearch ? new ElasticsearchSetup(this, 'elasticsearch-setup', { ctx, values: v.elasticsearch, connection: elasticsearch }) : undefined;
    const logstash = elasticsearch && logging.logstash ? new Logstash(this, 'logstash', { ctx, values: v.logstash, elasticsearch }).connection : undefined;
    if (logstash && logging.filebeat) new Filebeat(this, 'filebeat', { ctx, values: v.filebeat, logstash: { host: logstash.host, port: logstash.beatsPort } });
    const kibana = elasticsearch && v.kibana.enabled ? new Kibana(this, 'kibana', { ctx, values: v.kibana, elasticsearch }).connection : undefined;
    for (const skipped of logging.skipped) ctx.warn(skipped);

    // Monitoring.
    if (v.nodeExporter.enabled) new NodeExporter(this, 'node-exporter', { ctx, values: v.nodeExporter });
    if (v.kubeStateMetrics.enabled) new KubeStateMetrics(this, 'kube-state-metrics', { ctx, values: v.kubeStateMetrics });
    // The self-healing executor first: Alertmanager sends it webhooks with its token.
    const jobs: SelfHealingJobs = {
      ...(setup ? { cleanDisk: { namePrefix: setup.diskCleanup.namePrefix, spec: setup.diskCleanup.jobSpec } } : {}),
      ...(maintenance ? { optimizeDatabase: { namePrefix: maintenance.cronJobName, spec: maintenance.jobSpec } } : {}),
    };
    const selfHealing = v.selfHealing.enabled
      ? new SelfHealing(this, 'self-healing', { ctx, values: v.selfHealing, scaleTargets: scaleTargets(ctx, v), jobs }).connection
      : undefined;
    const alertmanager = v.alertmanager.enabled
      ? new Alertmanager(this, 'alertmanager', {
          ctx,
          values: v.alertmanager,
          selfHealing: selfHealing && { url: selfHealing.webhookUrl, token: selfHealing.webhookToken },
        }).connection
      : undefined;
    const prometheus = v.prometheus.enabled
      ? new Prometheus(this, 'prometheus', {
          ctx,
          values: v.prometheus,
          ruleFiles: { 'aiops-platform.rules.yml': alertRulesYaml(v, ctx) },
          alertmanager,
          nodeExporter: v.nodeExporter.enabled,
          kubeStateMetrics: v.kubeStateMetrics.enabled,
        }).connection
      : undefined;
    // Why the Ingress cannot put basic auth in front of what has no login of its own (undefined: it can).
    const noIngressAuth = !v.ingress.basicAuth.enabled
      ? 'ingress.basicAuth.enabled is false'
      : !v.traefik.enabled
        ? "traefik.enabled is false, and the basic-auth Middleware needs the chart's Traefik"
        : undefined;
    // Grafana's login does not cover /grafana/metrics: served only where the Ingress cannot publish it bare.
    const grafanaMetrics = !(v.ingress.enabled && noIngressAuth);
    if (v.grafana.enabled && !grafanaMetrics) {
      ctx.warn(`/grafana/metrics turned off (Grafana serves it without login, and the Ingress would publish it: ${noIngressAuth}); Grafana's own metrics are not collected`);
    }
    const grafana = v.grafana.enabled
      ? new Grafana(this, 'grafana', {
          ctx,
          values: v.grafana,
          metrics: grafanaMetrics,
          prometheus: prometheus && { url: prometheus.url, scrapeInterval: v.prometheus.scrapeInterval },
          elasticsearch: elasticsearch && grafanaLogsSource(elasticsearch),
          components: {
            nodeExporter: v.nodeExporter.enabled,
            traefik: v.traefik.enabled,
            postgresql: v.postgresql.enabled && v.postgresql.exporter.enabled,
            redis: v.redis.enabled && v.redis.exporter.enabled,
            aiEngine: v.aiEngine.enabled,
          },
          thresholds: v.alerting.thresholds,
        })
      : undefined;

    // AIOps services.
    const aiEngine = v.aiEngine.enabled
      ? new AiEngine(this, 'ai-engine', { ctx, values: v.aiEngine, prometheus, elasticsearch, redis, postgresql }).connection
      : undefined;
    const apiGateway = v.apiGateway.enabled
      ? new ApiGateway(this, 'api-gateway', {
          ctx,
          values: v.apiGateway,
          aiEngine,
          selfHealing: selfHealing && { url: serviceUrl(ctx, selfHealing.serviceName, selfHealing.port) },
          redis,
          postgresql,
        }).connection
      : undefined;

    // Edge: the routes (`protect`: no login of its own, routed only behind basic auth), Traefik, the Ingresses.
    const route = (component: string, path: string, backend: { serviceName: string; port: number } | undefined, protect = false): IngressRoute[] =>
      backend ? [{ component, path, serviceName: backend.serviceName, servicePort: backend.port, protect }] : [];
    const allRoutes: IngressRoute[] = v.ingress.enabled
      ? [
          ...route('grafana', ROUTE_PREFIXES.grafana, grafana && { serviceName: grafana.serviceName, port: grafana.port }),
          // Grafana's own login does not cover its /metrics: the longer prefix wins over /grafana in Traefik.
          ...route('grafana metrics', `${ROUTE_PREFIXES.grafana}/metrics`, grafanaMetrics ? grafana && { serviceName: grafana.serviceName, port: grafana.port } : undefined, true),
          ...route('prometheus', ROUTE_PREFIXES.prometheus, prometheus, true),
          ...route('alertmanager', ROUTE_PREFIXES.alertmanager, alertmanager, true),
          ...route('kibana', ROUTE_PREFIXES.kibana, kibana, !elasticsearch?.authEnabled),
          ...route('ai-engine', ROUTE_PREFIXES.aiEngine, aiEngine, true),
          ...route('api-gateway', ROUTE_PREFIXES.apiGateway, apiGateway),
          // The hosts' own paths (the seed's `/`) go to the gateway too.
          ...route('api-gateway', '/', apiGateway),
        ]
      : [];
    const basicAuth = allRoutes.some((r) => r.protect) && !noIngressAuth;
    const traefik = v.traefik.enabled
      ? new Traefik(this, 'traefik', { ctx, values: v.traefik, ingressClassName: v.ingress.className, tls: v.ingress.tls.length > 0, crdProvider: basicAuth }).connection
      : undefined;
    const protection: IngressProtection = basicAuth
      ? { middlewareRef: new BasicAuth(this, 'basic-auth', { ctx, values: v.ingress.basicAuth, tls: v.ingress.tls.length > 0 }).ref }
      : { unavailable: noIngressAuth ?? 'nothing to protect' };
    const ingressRoutes = servedRoutes(allRoutes, protection);
    if (v.ingress.enabled) {
      new PlatformIngress(this, 'ingress', {
        ctx,
        values: v.ingress,
        className: traefik?.ingressClassName ?? v.ingress.className,
        routes: allRoutes.filter((r) => r.path !== '/'),
        protection,
        defaultBackend: apiGateway && { serviceName: apiGateway.serviceName, servicePort: apiGateway.port },
      });
    }

    // NetworkPolicies: both sides of every edge of the component graph, once everything exists.
    if (v.networkPolicy.enabled) {
      if (v.ingress.enabled && !traefik) {
        ctx.warn('networkPolicy.enabled with traefik.enabled false: no policy admits your own Ingress controller to the routed components; add a NetworkPolicy for it');
      }
      const edges = networkEdges(ctx, v, {
        postgresql: Boolean(postgresql),
        postgresqlMaintenance: Boolean(maintenance),
        redis: Boolean(redis),
        elasticsearch: Boolean(elasticsearch),
        elasticsearchSetup: Boolean(setup),
        logstash: Boolean(logstash),
        filebeat: logging.filebeat,
        kibana: Boolean(kibana),
        nodeExporter: v.nodeExporter.enabled,
        kubeStateMetrics: v.kubeStateMetrics.enabled,
        prometheus: Boolean(prometheus),
        alertmanager: Boolean(alertmanager),
        grafana: Boolean(grafana),
        grafanaLogs: Boolean(grafana && elasticsearch && grafanaLogsSource(elasticsearch)),
        aiEngine: Boolean(aiEngine),
        apiGateway: Boolean(apiGateway),
        selfHealing: Boolean(selfHealing),
        traefik: Boolean(traefik),
        ingressRoutes,
      });
      const namespaces = agentsNamespace ? [ctx.namespace, ctx.agentsNamespace] : [ctx.namespace];
      new NetworkPolicies(this, 'network-policies', { ctx, values: v.networkPolicy, edges, namespaces });
    }
  }
}
