import type { ComponentIdentity } from '../lib/labels.js';

/**
 * Identity (`app.kubernetes.io/name` and `…/component`) and ports of every workload of the
 * platform, in one place: the components build their objects from these, the plan their names,
 * connections and network edges. Ports are the ones the pods listen on (NetworkPolicies match pod
 * ports, after Service DNAT).
 */
export const CATALOG = {
  postgresql: { id: { name: 'postgresql', component: 'database' }, port: 5432, exporterPort: 9187 },
  postgresqlMaintenance: { id: { name: 'postgresql', component: 'maintenance' }, role: 'maintenance' },
  postgresqlBackup: { id: { name: 'postgresql', component: 'backup' }, role: 'backup' },
  redis: { id: { name: 'redis', component: 'cache' }, port: 6379, busPort: 16379, exporterPort: 9121 },
  redisClusterInit: { id: { name: 'redis', component: 'cluster-init' }, role: 'cluster-init' },
  elasticsearch: { id: { name: 'elasticsearch', component: 'log-store' }, port: 9200, transportPort: 9300, exporterPort: 9114 },
  transportCa: { id: { name: 'elasticsearch', component: 'transport-ca' }, role: 'transport-ca' },
  elasticsearchSetup: { id: { name: 'elasticsearch', component: 'setup' }, role: 'setup' },
  /** The snapshot CronJob (`backup.elasticsearch`); `snapshotsRole`: the fs repository's volume `<release>-elasticsearch-snapshots`. */
  elasticsearchBackup: { id: { name: 'elasticsearch', component: 'backup' }, role: 'backup', snapshotsRole: 'snapshots' },
  /** `apiPort`: the monitoring API (node info at `/`). */
  logstash: { id: { name: 'logstash', component: 'log-pipeline' }, beatsPort: 5044, apiPort: 9600 },
  /** `httpPort`: the HTTP monitoring endpoint (beat info at `/`), for the probes. */
  filebeat: { id: { name: 'filebeat', component: 'log-shipper' }, httpPort: 5066 },
  kibana: { id: { name: 'kibana', component: 'logs-ui' }, port: 5601 },
  nodeExporter: { id: { name: 'node-exporter', component: 'metrics' } },
  kubeStateMetrics: { id: { name: 'kube-state-metrics', component: 'metrics' }, port: 8080, telemetryPort: 8081 },
  prometheus: { id: { name: 'prometheus', component: 'monitoring' }, port: 9090 },
  /** The TSDB snapshot CronJob (`backup.prometheus`) and its volume `<release>-prometheus-backup`. */
  prometheusBackup: { id: { name: 'prometheus', component: 'backup' }, role: 'backup' },
  /** `meshPort`: gossip between the peers (memberlist: TCP and UDP). */
  alertmanager: { id: { name: 'alertmanager', component: 'alerting' }, port: 9093, meshPort: 9094 },
  grafana: { id: { name: 'grafana', component: 'dashboards' }, port: 3000 },
  /**
   * The platform's own services: the API on `port` (the Service); `GET /metrics` alone on
   * `metricsPort`, on the pod, never on the Service, so no Ingress route (the gateway's `/`
   * catch-all included) reaches the metrics; Prometheus scrapes the pods. 9464 is the
   * OpenTelemetry Prometheus exporter's default.
   */
  platformService: { port: 8080, metricsPort: 9464 },
  aiEngine: { id: { name: 'ai-engine', component: 'anomaly-detection' } },
  apiGateway: { id: { name: 'api-gateway', component: 'gateway' } },
  selfHealing: { id: { name: 'self-healing', component: 'remediation' }, webhookPath: '/api/v1/alerts' },
  traefik: { id: { name: 'traefik', component: 'ingress-controller' }, ports: { web: 8000, websecure: 8443, metrics: 9100, traefik: 8080 } },
} as const satisfies Record<string, { readonly id?: ComponentIdentity; readonly [key: string]: unknown }>;

/** A component of the catalog. */
export type CatalogKey = keyof typeof CATALOG;
