import { Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import { AiEngine } from './components/aiops/ai-engine.js';
import { ApiGateway } from './components/aiops/api-gateway.js';
import { SelfHealing } from './components/aiops/self-healing.js';
import type { SelfHealingJobs } from './components/aiops/self-healing-rules.js';
import { PostgreSql } from './components/data/postgresql.js';
import { PostgreSqlBackup } from './components/data/postgresql-backup.js';
import { PostgreSqlMaintenance } from './components/data/postgresql-maintenance.js';
import { Redis } from './components/data/redis.js';
import { Elasticsearch } from './components/logging/elasticsearch.js';
import { ElasticsearchBackup } from './components/logging/elasticsearch-backup.js';
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
import { PrometheusBackup } from './components/monitoring/prometheus-backup.js';
import { PlatformNamespace } from './components/platform/namespace.js';
import { PriorityClasses } from './components/platform/priority-classes.js';
import { ConnectionTests } from './components/tests/connection-tests.js';
import { createPlatformContext } from './lib/context.js';
import type { ConfigError } from './lib/errors.js';
import type { ServiceCode } from './lib/service-code.js';
import type { Values } from './values/schema/index.js';
import { grafanaLogsSource, scaleTargets } from './chart-wiring.js';
import { platformEdge, platformNetworkPolicies } from './chart-edge.js';
import { handedConnections } from './plan/connections.js';
import { planPlatform } from './plan/index.js';
import { approvalTokenRef } from './components/aiops/approval-token.js';

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
  /** The platform services' bundled code, by component name (default none: a service without `image` is a problem). */
  readonly serviceCode?: ServiceCode;
}

/**
 * The one chart of the platform: builds the shared context and the platform plan (src/plan: what
 * renders, names, ports, URLs, flags, connections), then composes the components family by family,
 * one line each: a component renders when the plan has its entry, gets its plan slice, and is handed
 * the `connection`s of the components it uses only where its plan entry has them (each one is also
 * an edge of the NetworkPolicies, never hand-written host names). The edge and the NetworkPolicies
 * (src/chart-edge.ts) read the whole plan.
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
      props.serviceCode,
    );
    const plan = planPlatform(ctx, v);

    // Namespaces: the platform's (restricted) and, for host agents, the privileged agents namespace.
    new PlatformNamespace(this, 'namespace', { ctx, enforce: v.podSecurityPolicy.enabled });
    if (plan.agentsNamespace) {
      new PlatformNamespace(this, 'agents-namespace', {
        ctx,
        name: ctx.agentsNamespace,
        level: 'privileged',
        description: 'Node agents that need host access (node-exporter, Filebeat): the documented exception to the restricted Pod Security Standard.',
      });
    }
    new PriorityClasses(this, 'priority-classes', ctx);

    // Data stores.
    const postgresql = plan.postgresql ? new PostgreSql(this, 'postgresql', { ctx, values: v.postgresql, plan: plan.postgresql }).connection : undefined;
    const maintenance =
      postgresql && plan.postgresqlMaintenance
        ? new PostgreSqlMaintenance(this, 'postgresql-maintenance', { ctx, values: v.postgresql, plan: plan.postgresqlMaintenance, connection: postgresql })
        : undefined;
    if (postgresql && plan.postgresqlBackup) {
      new PostgreSqlBackup(this, 'postgresql-backup', { ctx, values: v.backup, plan: plan.postgresqlBackup, connection: postgresql, image: v.postgresql.image, scheduling: v.postgresql });
    }
    const redis = plan.redis ? new Redis(this, 'redis', { ctx, values: v.redis, plan: plan.redis }).connection : undefined;

    // Logging.
    const elasticsearch = plan.elasticsearch ? new Elasticsearch(this, 'elasticsearch', { ctx, values: v.elasticsearch, plan: plan.elasticsearch }).connection : undefined;
    const setup = elasticsearch ? new ElasticsearchSetup(this, 'elasticsearch-setup', { ctx, values: v.elasticsearch, plan: plan.elasticsearchSetup, connection: elasticsearch }) : undefined;
    if (elasticsearch && plan.elasticsearchBackup) {
      new ElasticsearchBackup(this, 'elasticsearch-backup', { ctx, values: v.backup, plan: plan.elasticsearchBackup, connection: elasticsearch, image: v.elasticsearch.image, scheduling: v.elasticsearch });
    }
    const logstash = elasticsearch && plan.logstash ? new Logstash(this, 'logstash', { ctx, values: v.logstash, plan: plan.logstash, elasticsearch }).connection : undefined;
    if (logstash && plan.filebeat) new Filebeat(this, 'filebeat', { ctx, values: v.filebeat, plan: plan.filebeat, logstash: { host: logstash.host, port: logstash.beatsPort } });
    if (elasticsearch && plan.kibana) new Kibana(this, 'kibana', { ctx, values: v.kibana, plan: plan.kibana, elasticsearch });
    for (const skipped of plan.warnings.logging) ctx.warn(skipped);

    // Monitoring.
    if (plan.nodeExporter) new NodeExporter(this, 'node-exporter', { ctx, values: v.nodeExporter, plan: plan.nodeExporter });
    if (plan.kubeStateMetrics) new KubeStateMetrics(this, 'kube-state-metrics', { ctx, values: v.kubeStateMetrics, plan: plan.kubeStateMetrics, agentsNamespace: plan.agentsNamespace });
    // The self-healing executor first: Alertmanager sends it webhooks with its token.
    const jobs: SelfHealingJobs = {
      ...(setup ? { cleanDisk: { namePrefix: setup.diskCleanup.namePrefix, spec: setup.diskCleanup.jobSpec } } : {}),
      ...(maintenance ? { optimizeDatabase: { namePrefix: maintenance.cronJobName, spec: maintenance.jobSpec } } : {}),
    };
    const selfHealing = plan.selfHealing
      ? new SelfHealing(this, 'self-healing', {
          ctx,
          values: v.selfHealing,
          scaleTargets: scaleTargets(plan),
          jobs,
          // The gateway's Secret holds the token the executor's approval API checks.
          approvalToken: plan.apiGateway ? approvalTokenRef(ctx, v.apiGateway.admin.existingSecret) : undefined,
          // Prometheus is built after Alertmanager, which needs the executor: its URL comes from the plan.
          ...handedConnections(plan.selfHealing.connections, { prometheus: plan.selfHealing.connections.prometheus, postgresql, aiEngine: plan.selfHealing.connections.aiEngine }),
        }).connection
      : undefined;
    const webhook = selfHealing && { url: selfHealing.webhookUrl, token: selfHealing.webhookToken };
    const alertmanager = plan.alertmanager
      ? new Alertmanager(this, 'alertmanager', { ctx, values: v.alertmanager, plan: plan.alertmanager, ...handedConnections(plan.alertmanager.connections, { selfHealing: webhook }) })
          .connection
      : undefined;
    const prometheus = plan.prometheus
      ? new Prometheus(this, 'prometheus', {
          ctx,
          values: v.prometheus,
          plan: plan.prometheus,
          ruleFiles: { 'aiops-platform.rules.yml': alertRulesYaml(v, ctx, plan.scraped) },
          ...handedConnections(plan.prometheus.connections, { alertmanager }),
          nodeExporter: Boolean(plan.nodeExporter),
          kubeStateMetrics: Boolean(plan.kubeStateMetrics),
        }).connection
      : undefined;
    if (prometheus?.snapshots && plan.prometheusBackup) {
      new PrometheusBackup(this, 'prometheus-backup', { ctx, values: v.backup, plan: plan.prometheusBackup, source: prometheus.snapshots, image: v.prometheus.image, scheduling: v.prometheus });
    }
    for (const warning of plan.warnings.grafana) ctx.warn(warning);
    if (plan.grafana) {
      new Grafana(this, 'grafana', {
        ctx,
        values: v.grafana,
        plan: plan.grafana,
        metrics: plan.grafana.metrics,
        authProxy: plan.grafana.authProxy,
        ...handedConnections(plan.grafana.connections, {
          prometheus: prometheus && { url: prometheus.url, scrapeInterval: v.prometheus.scrapeInterval },
          elasticsearch: elasticsearch && grafanaLogsSource(elasticsearch),
        }),
        components: plan.scraped,
        thresholds: v.alerting.thresholds,
      });
    }

    // AIOps services.
    const aiEngine = plan.aiEngine
      ? new AiEngine(this, 'ai-engine', { ctx, values: v.aiEngine, ...handedConnections(plan.aiEngine.connections, { prometheus, alertmanager: plan.aiEngine.connections.alertmanager, elasticsearch, redis, postgresql }) }).connection
      : undefined;
    if (plan.apiGateway) {
      const connections = { prometheus, alertmanager: plan.apiGateway.connections.alertmanager, aiEngine, selfHealing: plan.selfHealing && { url: plan.selfHealing.url }, redis, postgresql };
      new ApiGateway(this, 'api-gateway', { ctx, values: v.apiGateway, tls: plan.ingress.tls, ...handedConnections(plan.apiGateway.connections, connections) });
    }

    // Edge (Traefik, the gateway's login Middlewares, the Ingresses), then the NetworkPolicies of every connection of the plan.
    platformEdge(this, ctx, v, plan);
    platformNetworkPolicies(this, ctx, v, plan);

    // Connection tests of every rendered service, allowed by the NetworkPolicies through their plan entry.
    if (plan.connectionTests) {
      new ConnectionTests(this, 'connection-tests', {
        ctx,
        plan: plan.connectionTests,
        images: { redis: v.redis.image, postgresql: v.postgresql.image },
        ...handedConnections(plan.connectionTests.connections, { redis, postgresql, elasticsearch }),
      });
    }
  }
}
