import type { ScaleTarget } from './components/aiops/self-healing-rules.js';
import type { ElasticsearchConnection } from './components/logging/connection.js';
import type { PlatformPlan } from './plan/index.js';

/** Wiring decisions of the chart that are more than one line: pure functions of the plan and the connections. */

/** Grafana's Elasticsearch datasource, as the read-only `logs_reader` user (none without security). */
export function grafanaLogsSource(es: ElasticsearchConnection) {
  return es.authEnabled && es.secretName
    ? { url: es.url, username: es.users.logsReader, secretName: es.secretName, passwordKey: es.keys.logsReader, indexPattern: `${es.indexPrefix}-*` }
    : undefined;
}

/** Workloads the executor may scale out: the platform services; with an HPA (same name) it raises the HPA's minReplicas. */
export function scaleTargets(plan: PlatformPlan): ScaleTarget[] {
  return [plan.aiEngine, plan.apiGateway].flatMap((s) =>
    s ? [{ kind: 'Deployment' as const, name: s.name, app: s.id.name, autoscaler: s.hpaManaged ? s.name : undefined }] : [],
  );
}
