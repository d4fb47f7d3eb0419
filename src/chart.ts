import { Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import { PostgreSql } from './components/data/postgresql.js';
import { Redis } from './components/data/redis.js';
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
import { createPlatformContext } from './lib/context.js';
import { objectName, serviceUrl } from './lib/names.js';
import type { Values } from './values/schema/index.js';
import type { ElasticsearchConnection } from './components/logging/connection.js';

/** Props of {@link PlatformChart}. */
export interface PlatformChartProps {
  /** Validated values. */
  readonly values: Values;
  /** Release name (default aiops-platform). */
  readonly release: string;
  /** Namespace (default aiops-platform). */
  readonly namespace: string;
}

/**
 * The one chart of the platform: builds the shared context and composes the components. A
 * component plugs in with one folder under src/components and one line here; the chart, not the
 * component, decides whether it is enabled, and wires components through their connections.
 */
export class PlatformChart extends Chart {
  /** Warnings collected while building, in order. */
  readonly warnings: string[] = [];

  constructor(scope: Construct, id: string, props: PlatformChartProps) {
    super(scope, id, { disableResourceNameHashes: true });
    const { values: v } = props;
    const ctx = createPlatformContext(v, props.release, props.namespace, (message) => this.warnings.push(message));
    const logging = loggingPlan(v);
    const nodeAgents = v.nodeExporter.enabled || logging.filebeat;

    new PlatformNamespace(this, 'namespace', { ctx, enforce: v.podSecurityPolicy.enabled });
    if (nodeAgents) {
      new PlatformNamespace(this, 'agents-namespace', {
        ctx,
        name: ctx.agentsNamespace,
        level: 'privileged',
        description: 'Node agents that need host access (node-exporter, Filebeat): the documented exception to the restricted Pod Security Standard.',
      });
    }

    if (v.postgresql.enabled) new PostgreSql(this, 'postgresql', { ctx, values: v.postgresql });
    if (v.redis.enabled) new Redis(this, 'redis', { ctx, values: v.redis });

    const elasticsearch = v.elasticsearch.enabled ? new Elasticsearch(this, 'elasticsearch', { ctx, values: v.elasticsearch }).connection : undefined;
    if (elasticsearch) {
      new ElasticsearchSetup(this, 'elasticsearch-setup', { ctx, values: v.elasticsearch, connection: elasticsearch });
      if (logging.logstash) {
        const logstash = new Logstash(this, 'logstash', { ctx, values: v.logstash, elasticsearch }).connection;
        if (logging.filebeat) new Filebeat(this, 'filebeat', { ctx, values: v.filebeat, logstash: { host: logstash.host, port: logstash.beatsPort } });
      }
      if (v.kibana.enabled) new Kibana(this, 'kibana', { ctx, values: v.kibana, elasticsearch });
    }
    for (const skipped of logging.skipped) ctx.warn(skipped);

    if (v.nodeExporter.enabled) new NodeExporter(this, 'node-exporter', { ctx, values: v.nodeExporter });
    if (v.kubeStateMetrics.enabled) new KubeStateMetrics(this, 'kube-state-metrics', { ctx, values: v.kubeStateMetrics });
    const selfHealingWebhook = v.selfHealing.enabled ? { url: serviceUrl(ctx, objectName(ctx, 'self-healing'), 8080, '/api/v1/alerts') } : undefined;
    const alertmanager = v.alertmanager.enabled
      ? new Alertmanager(this, 'alertmanager', { ctx, values: v.alertmanager, selfHealing: selfHealingWebhook })
      : undefined;
    const prometheus = v.prometheus.enabled
      ? new Prometheus(this, 'prometheus', {
          ctx,
          values: v.prometheus,
          ruleFiles: { 'aiops-platform.rules.yml': alertRulesYaml(v, ctx) },
          alertmanager: alertmanager?.connection,
          nodeExporter: v.nodeExporter.enabled,
          kubeStateMetrics: v.kubeStateMetrics.enabled,
        })
      : undefined;
    if (v.grafana.enabled) {
      new Grafana(this, 'grafana', {
        ctx,
        values: v.grafana,
        prometheus: prometheus && { url: prometheus.connection.url, scrapeInterval: v.prometheus.scrapeInterval },
        elasticsearch: elasticsearch && grafanaLogsSource(elasticsearch),
        components: {
          nodeExporter: v.nodeExporter.enabled,
          traefik: v.traefik.enabled,
          postgresql: v.postgresql.enabled && v.postgresql.exporter.enabled,
          redis: v.redis.enabled && v.redis.exporter.enabled,
          aiEngine: v.aiEngine.enabled,
        },
        thresholds: v.alerting.thresholds,
      });
    }
  }
}

/** Which logging components run: each needs the one it sends to; the skipped ones are explained. */
function loggingPlan(v: Values): { logstash: boolean; filebeat: boolean; skipped: string[] } {
  const skipped: string[] = [];
  const logstash = v.logstash.enabled && v.elasticsearch.enabled;
  const filebeat = v.filebeat.enabled && logstash;
  if (v.logstash.enabled && !logstash) skipped.push('logstash.enabled but elasticsearch.enabled is false: Logstash is not rendered (it has nowhere to send logs)');
  if (v.filebeat.enabled && v.elasticsearch.enabled && !filebeat) skipped.push('filebeat.enabled but logstash.enabled is false: Filebeat is not rendered (it ships to Logstash)');
  if (v.kibana.enabled && !v.elasticsearch.enabled) skipped.push('kibana.enabled but elasticsearch.enabled is false: Kibana is not rendered');
  return { logstash, filebeat, skipped };
}

/** Grafana's Elasticsearch datasource, as the read-only `logs_reader` user (none without security). */
function grafanaLogsSource(es: ElasticsearchConnection) {
  return es.authEnabled && es.secretName
    ? { url: es.url, username: es.users.logsReader, secretName: es.secretName, passwordKey: es.keys.logsReader, indexPattern: `${es.indexPrefix}-*` }
    : undefined;
}
