import type { ScaleTarget } from './components/aiops/self-healing-rules.js';
import type { ElasticsearchConnection } from './components/logging/connection.js';
import type { PlatformContext } from './lib/context.js';
import { objectName } from './lib/names.js';
import type { Values } from './values/schema/index.js';

/** Wiring decisions of the chart that are more than one line: pure functions of the values. */

/** Which logging components run: each needs the one it sends to; the skipped ones are explained. */
export function loggingPlan(v: Values): { logstash: boolean; filebeat: boolean; skipped: string[] } {
  const skipped: string[] = [];
  const logstash = v.logstash.enabled && v.elasticsearch.enabled;
  const filebeat = v.filebeat.enabled && logstash;
  if (v.logstash.enabled && !logstash) skipped.push('logstash.enabled but elasticsearch.enabled is false: Logstash is not rendered (it has nowhere to send logs)');
  if (v.filebeat.enabled && v.elasticsearch.enabled && !filebeat) skipped.push('filebeat.enabled but logstash.enabled is false: Filebeat is not rendered (it ships to Logstash)');
  if (v.kibana.enabled && !v.elasticsearch.enabled) skipped.push('kibana.enabled but elasticsearch.enabled is false: Kibana is not rendered');
  return { logstash, filebeat, skipped };
}

/** Grafana's Elasticsearch datasource, as the read-only `logs_reader` user (none without security). */
export function grafanaLogsSource(es: ElasticsearchConnection) {
  return es.authEnabled && es.secretName
    ? { url: es.url, username: es.users.logsReader, secretName: es.secretName, passwordKey: es.keys.logsReader, indexPattern: `${es.indexPrefix}-*` }
    : undefined;
}

/** Workloads the executor may scale out: the platform services an HPA does not already scale. */
export function scaleTargets(ctx: PlatformContext, v: Values): ScaleTarget[] {
  const services = [
    ['ai-engine', v.aiEngine],
    ['api-gateway', v.apiGateway],
  ] as const;
  return services
    .filter(([, s]) => s.enabled && !s.autoscaling.enabled)
    .map(([component]) => ({ kind: 'Deployment' as const, name: objectName(ctx, component) }));
}
