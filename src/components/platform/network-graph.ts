import type { PlatformContext } from '../../lib/context.js';
import type { Values } from '../../values/schema/index.js';
import { PLATFORM_METRICS_PORT, PLATFORM_SERVICE_PORT } from '../aiops/platform-service.js';
import { POSTGRESQL_EXPORTER_PORT, POSTGRESQL_PORT } from '../data/postgresql.js';
import { REDIS_BUS_PORT, REDIS_PORT } from '../data/redis-config.js';
import { REDIS_EXPORTER_PORT } from '../data/redis.js';
import { TRAEFIK_PORTS } from '../ingress/traefik-config.js';
import { ES_HTTP_PORT, ES_TRANSPORT_PORT } from '../logging/elasticsearch-config.js';
import { ELASTICSEARCH_EXPORTER_PORT } from '../logging/elasticsearch.js';
import { LOGSTASH_BEATS_PORT } from '../logging/logstash.js';
import { ALERTMANAGER_MESH_PORT, ALERTMANAGER_PORT } from '../monitoring/alertmanager.js';
import { GRAFANA_PORT } from '../monitoring/grafana.js';
import { KUBE_STATE_METRICS_PORT } from '../monitoring/kube-state-metrics.js';
import { PROMETHEUS_PORT } from '../monitoring/prometheus.js';
import { platformWorkloads, type PodsPeer, type RenderedComponents } from './network-workloads.js';

export type { PodsPeer, RenderedComponents } from './network-workloads.js';

/** A port of an edge, as the destination pod listens on it (NetworkPolicies match pod ports, after Service DNAT). */
export interface EdgePort {
  readonly port: number;
  readonly protocol: 'TCP' | 'UDP';
}

/**
 * One end of an edge: the pods of a workload; `world` (any address, in or outside the cluster);
 * `nodes` (host-network pods: `networkPolicy.nodeCidrs`); the cluster DNS (`networkPolicy.dns`);
 * the Kubernetes API server (`networkPolicy.kubeApiServerCidrs`).
 */
export type Peer = PodsPeer | { readonly kind: 'world' } | { readonly kind: 'nodes' } | { readonly kind: 'kube-dns' } | { readonly kind: 'kube-apiserver' };

/** A connection one side opens to the other, on these destination ports. */
export interface Edge {
  readonly from: Peer;
  readonly to: Peer;
  readonly ports: readonly EdgePort[];
  /** Who makes the connection and what for, e.g. "Logstash writes the log indices". */
  readonly why: string;
}

const tcp = (...ports: number[]): EdgePort[] => ports.map((port) => ({ port, protocol: 'TCP' }));
const WORLD: Peer = { kind: 'world' };
const NODES: Peer = { kind: 'nodes' };
const KUBE_DNS: Peer = { kind: 'kube-dns' };
const KUBE_APISERVER: Peer = { kind: 'kube-apiserver' };
/** Port 53 over both transports: large answers fall back to TCP. */
const DNS_PORTS: EdgePort[] = [
  { port: 53, protocol: 'UDP' },
  { port: 53, protocol: 'TCP' },
];
/**
 * The API server's own ports: `kubernetes.default.svc:443` is DNATed to the endpoint before
 * policies apply, which listens on 6443 (kubeadm, k3s, kind) or 443 (most managed clusters).
 */
const API_SERVER_PORTS = tcp(443, 6443);

/**
 * Every connection between the platform's pods, and from them to DNS, the API server, the nodes
 * and the outside world, read off the components: the single source of both sides of every
 * NetworkPolicy. Only components that are `rendered` take part. Pure.
 *
 * Not edges: kubelet probes (from the node; most CNIs let node → pod traffic through whatever the
 * policies say) and loopback (sidecar exporters reach their server on 127.0.0.1).
 */
export function networkEdges(ctx: PlatformContext, v: Values, rendered: RenderedComponents): Edge[] {
  const w = platformWorkloads(ctx, v, rendered);
  const edges: Edge[] = [];
  const edge = (from: Peer | undefined, to: Peer | undefined, ports: EdgePort[], why: string) => {
    if (from && to && ports.length > 0) edges.push({ from, to, ports, why });
  };
  const api = (from: PodsPeer | undefined, why: string) => edge(from, KUBE_APISERVER, API_SERVER_PORTS, why);

  // Edge: clients → Traefik → every component the Ingress routes to.
  edge(WORLD, w.traefik, tcp(TRAEFIK_PORTS.web, TRAEFIK_PORTS.websecure), 'clients reach the web and websecure entry points through the Traefik Service');
  api(w.traefik, 'Traefik watches Ingresses, Services, EndpointSlices, Secrets, IngressClasses and Nodes');
  // Traefik forwards each Ingress route to its backend Service; every platform Service is named like its workload.
  const byName = new Map(Object.values(w).flatMap((p) => (p ? [[p.name, p] as const] : [])));
  for (const r of rendered.ingressRoutes) edge(w.traefik, byName.get(r.serviceName), tcp(r.servicePort), `Ingress route ${r.path}`);

  // Monitoring: discovery, scrapes (dedicated jobs and prometheus.io annotations), alerts, dashboards.
  api(w.prometheus, 'Prometheus discovers pods and EndpointSlices');
  edge(w.prometheus, w.prometheus, tcp(PROMETHEUS_PORT), 'the prometheus job scrapes every replica');
  edge(w.prometheus, w.alertmanager, tcp(ALERTMANAGER_PORT), 'Prometheus sends alerts to every peer; the alertmanager job scrapes them');
  if (rendered.nodeExporter) edge(w.prometheus, NODES, tcp(v.nodeExporter.port), 'the node-exporter job scrapes the host-network pods on the node IPs');
  edge(w.prometheus, w.kubeStateMetrics, tcp(KUBE_STATE_METRICS_PORT), 'the kube-state-metrics job');
  if (v.postgresql.exporter.enabled) edge(w.prometheus, w.postgresql, tcp(POSTGRESQL_EXPORTER_PORT), 'kubernetes-pods job: postgres_exporter sidecar');
  if (v.redis.exporter.enabled) edge(w.prometheus, w.redis, tcp(REDIS_EXPORTER_PORT), 'kubernetes-pods job: redis_exporter sidecar');
  if (v.elasticsearch.exporter.enabled) {
    edge(w.prometheus, w.elasticsearch, tcp(ELASTICSEARCH_EXPORTER_PORT), 'kubernetes-pods job: elasticsearch_exporter sidecar');
  }
  edge(w.prometheus, w.grafana, tcp(GRAFANA_PORT), 'kubernetes-pods job: /grafana/metrics');
  edge(w.prometheus, w.traefik, tcp(TRAEFIK_PORTS.metrics), 'kubernetes-pods job: Traefik metrics entry point');
  for (const service of [w.aiEngine, w.apiGateway, w.selfHealing]) {
    edge(w.prometheus, service, tcp(PLATFORM_METRICS_PORT), 'kubernetes-pods job: /metrics on the metrics port');
  }
  api(w.kubeStateMetrics, 'kube-state-metrics lists and watches the objects it reports');
  if (v.alertmanager.replicas > 1) {
    edge(w.alertmanager, w.alertmanager, [...tcp(ALERTMANAGER_MESH_PORT), { port: ALERTMANAGER_MESH_PORT, protocol: 'UDP' }], 'Alertmanager peers gossip silences and notifications');
  }
  edge(w.alertmanager, w.selfHealing, tcp(PLATFORM_SERVICE_PORT), 'Alertmanager posts actionable alerts to the executor webhook');
  edge(w.alertmanager, WORLD, tcp(...receiverPorts(v.alertmanager.receivers)), 'Alertmanager notifies the email, Slack and webhook receivers');
  edge(w.grafana, w.prometheus, tcp(PROMETHEUS_PORT), 'Grafana Prometheus datasource');
  if (rendered.grafanaLogs) edge(w.grafana, w.elasticsearch, tcp(ES_HTTP_PORT), 'Grafana Elasticsearch log datasource');

  // Logging.
  if (v.elasticsearch.replicas > 1) edge(w.elasticsearch, w.elasticsearch, tcp(ES_TRANSPORT_PORT), 'Elasticsearch nodes: discovery, cluster state, shard replication');
  api(w.transportCa, 'the transport-CA Job reads and creates its Secret');
  edge(w.elasticsearchSetup, w.elasticsearch, tcp(ES_HTTP_PORT), 'the setup Job and CronJob apply ILM, the index template and the users');
  edge(w.logstash, w.elasticsearch, tcp(ES_HTTP_PORT), 'Logstash writes the log indices');
  edge(w.kibana, w.elasticsearch, tcp(ES_HTTP_PORT), 'Kibana reads logs and keeps its saved objects');
  edge(w.filebeat, w.logstash, tcp(LOGSTASH_BEATS_PORT), 'Filebeat ships the container logs to the Beats input');
  api(w.filebeat, 'Filebeat add_kubernetes_metadata reads pods, namespaces and nodes');

  // Data stores and the AIOps services.
  edge(w.postgresqlMaintenance, w.postgresql, tcp(POSTGRESQL_PORT), 'the maintenance CronJob runs VACUUM/ANALYZE');
  if (v.redis.cluster.enabled) {
    edge(w.redis, w.redis, tcp(REDIS_PORT, REDIS_BUS_PORT), 'Redis Cluster nodes: the cluster bus, and replicas replicating from masters');
    edge(w.redisClusterInit, w.redis, tcp(REDIS_PORT), 'the cluster-init Job forms the cluster');
  }
  edge(w.aiEngine, w.prometheus, tcp(PROMETHEUS_PORT), 'AI engine PROMETHEUS_URL');
  edge(w.aiEngine, w.elasticsearch, tcp(ES_HTTP_PORT), 'AI engine ELASTICSEARCH_URL');
  edge(w.aiEngine, w.redis, tcp(REDIS_PORT), 'AI engine REDIS_HOST (in cluster mode every node, on MOVED)');
  edge(w.aiEngine, w.postgresql, tcp(POSTGRESQL_PORT), 'AI engine POSTGRES_HOST');
  edge(w.apiGateway, w.aiEngine, tcp(PLATFORM_SERVICE_PORT), 'API gateway AI_ENGINE_URL');
  edge(w.apiGateway, w.selfHealing, tcp(PLATFORM_SERVICE_PORT), 'API gateway SELF_HEALING_URL');
  edge(w.apiGateway, w.redis, tcp(REDIS_PORT), 'API gateway session store REDIS_HOST');
  edge(w.apiGateway, w.postgresql, tcp(POSTGRESQL_PORT), 'API gateway POSTGRES_HOST');
  api(w.selfHealing, 'the executor deletes pods, scales workloads and creates Jobs');

  // Every pod resolves names.
  for (const pods of Object.values(w)) edge(pods, KUBE_DNS, DNS_PORTS, 'DNS');
  return edges;
}

/**
 * Ports Alertmanager's receivers connect to outside the cluster: the email smarthost's port, and
 * the port of the Slack and webhook URLs (443 when the URL is only in a Secret: https assumed).
 */
function receiverPorts(receivers: Values['alertmanager']['receivers']): number[] {
  const { email, slack, webhook } = receivers;
  const urlPort = (url: string) => {
    if (!url) return 443;
    const u = new URL(url);
    return u.port ? Number(u.port) : u.protocol === 'http:' ? 80 : 443;
  };
  const ports = [
    ...(email.enabled ? [Number(email.smarthost.split(':').pop())] : []),
    ...(slack.enabled ? [urlPort(slack.apiUrl)] : []),
    ...(webhook.enabled ? [urlPort(webhook.url)] : []),
  ];
  return [...new Set(ports)].sort((a, b) => a - b);
}
