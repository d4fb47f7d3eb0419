import type { PlatformContext } from '../lib/context.js';
import { CRONJOB_NAME_MAX, serviceUrl, STATEFULSET_NAME_MAX } from '../lib/names.js';
import type { Values } from '../values/schema/index.js';
import { ROUTE_PREFIXES } from '../values/schema/ingress-routes.js';
import { CATALOG } from './catalog.js';
import type { ComponentPlan, ServedPlan } from './component.js';
import { connect, type Connected } from './connections.js';
import { apiServer, KUBELET_PORT, NODES, podsOf, tcp, use, WORLD, type Endpoint, type Use } from './network.js';
import { servedComponent, workloadPlan } from './served.js';

const { prometheusBackup: PROM_BACKUP, prometheus: PROM, alertmanager: AM, grafana: GF, kubeStateMetrics: KSM, nodeExporter: NE } = CATALOG;

/** A server with a path prefix (Prometheus, Alertmanager). */
export interface PrefixedPlan extends ServedPlan {
  /** Headless Service of the StatefulSet (`<name>-headless`): the pods' DNS names. */
  readonly headless: string;
  /** Route prefix of the UI and API (`/prometheus`, `/alertmanager`). */
  readonly pathPrefix: string;
  /** In-cluster base URL with the prefix. */
  readonly url: string;
}

/**
 * Prometheus: what it sends alerts to, and whether its admin API is on (`adminApi`: only for the
 * TSDB snapshots of `backup.prometheus`; see {@link prometheusBackupPlan} for who can reach it).
 */
export type PrometheusPlan = PrefixedPlan & Connected<{ alertmanager: ServedPlan | undefined }> & { readonly adminApi: boolean };

/** How Grafana is reached through the Ingress (see {@link grafanaPlan}). */
export interface GrafanaEdge {
  /** `/grafana/metrics` served: only where the Ingress cannot publish it bare. */
  readonly metrics: boolean;
  /** Its route carries the gateway's ForwardAuth: Grafana trusts the gateway's user and role headers (auth.proxy). */
  readonly authProxy: boolean;
}

/** Grafana: Deployment and Service `<release>-grafana`; its datasources are its connections. */
export interface GrafanaPlan extends ServedPlan, GrafanaEdge, Connected<{ prometheus: ServedPlan | undefined; elasticsearch: ServedPlan | undefined }> {
  /** The Elasticsearch log datasource (as `logs_reader`: only with Elasticsearch security on). */
  readonly logs: boolean;
}

/** What Prometheus scrapes besides itself and Alertmanager (undefined: not rendered or not scraped). */
export interface ScrapeTargets {
  readonly nodeExporterPort: number | undefined;
  readonly kubeStateMetrics: ServedPlan | undefined;
  readonly exporters: readonly (Endpoint | undefined)[];
  readonly traefikMetrics: Endpoint | undefined;
}

/** A StatefulSet with a client and a headless Service, serving under `pathPrefix` (without `uses`, unrouted: what its construct needs). */
export function prefixedPlan(ctx: PlatformContext, c: { id: ComponentPlan['id']; port: number }, pathPrefix: string, uses: readonly Use[] = [], routed = false): PrefixedPlan {
  const served = servedComponent(ctx, c.id, c.port, { uses, routes: routed ? [{ path: pathPrefix, login: 'none' }] : [], maxName: STATEFULSET_NAME_MAX });
  return { ...served, headless: podsOf(ctx, c.id, 'headless').name, pathPrefix, url: serviceUrl(ctx, served.name, c.port, pathPrefix) };
}

/** Prometheus' Service and URL alone (no uses, unrouted): for clients planned before Prometheus itself, e.g. the executor. */
export function prometheusServed(ctx: PlatformContext): PrefixedPlan {
  return prefixedPlan(ctx, PROM, ROUTE_PREFIXES.prometheus);
}

/** node-exporter: a DaemonSet on the host network in the agents' namespace (no pods peer: reached on the node IPs). */
export function nodeExporterPlan(ctx: PlatformContext): ComponentPlan {
  return { id: NE.id, name: podsOf(ctx, NE.id).name, uses: [] };
}

export function kubeStateMetricsPlan(ctx: PlatformContext): ServedPlan {
  return servedComponent(ctx, KSM.id, KSM.port, { uses: [apiServer('kube-state-metrics lists and watches the objects it reports')] });
}

/** Alertmanager under `/alertmanager` (no login of its own): gossip between peers, webhooks to the executor, notifications out. */
export function alertmanagerPlan(ctx: PlatformContext, v: Values, selfHealing: ServedPlan | undefined): PrefixedPlan & Connected<{ selfHealing: ServedPlan | undefined }> {
  const pods = podsOf(ctx, AM.id, undefined, ctx.namespace, STATEFULSET_NAME_MAX);
  const mesh: Endpoint = { peer: pods, ports: [...tcp(AM.meshPort), { port: AM.meshPort, protocol: 'UDP' }] };
  const c = connect({ selfHealing }, { selfHealing: 'Alertmanager posts actionable alerts to the executor webhook' });
  const uses = [
    ...(v.alertmanager.replicas > 1 ? use(mesh, 'Alertmanager peers gossip silences and notifications') : []),
    ...c.uses,
    ...use({ peer: WORLD, ports: tcp(...receiverPorts(v.alertmanager.receivers)) }, 'Alertmanager notifies the email, Slack and webhook receivers'),
  ];
  return { ...prefixedPlan(ctx, AM, ROUTE_PREFIXES.alertmanager, uses, v.ingress.enabled), connections: c.connections };
}

/** Prometheus under `/prometheus` (no login of its own): discovery and every scrape (the kubelets' too with `prometheus.kubelet.enabled`). */
export function prometheusPlan(ctx: PlatformContext, v: Values, alertmanager: ServedPlan | undefined, t: ScrapeTargets): PrometheusPlan {
  const self = podsOf(ctx, PROM.id, undefined, ctx.namespace, STATEFULSET_NAME_MAX);
  const c = connect({ alertmanager }, { alertmanager: 'Prometheus sends alerts to every peer; the alertmanager job scrapes them' });
  const uses = [
    apiServer('Prometheus discovers pods and EndpointSlices'),
    ...use({ peer: self, ports: tcp(PROM.port) }, 'the prometheus job scrapes every replica'),
    ...c.uses,
    ...(t.nodeExporterPort ? use({ peer: NODES, ports: tcp(t.nodeExporterPort) }, 'the node-exporter job scrapes the host-network pods on the node IPs') : []),
    ...(v.prometheus.kubelet.enabled ? use({ peer: NODES, ports: tcp(KUBELET_PORT) }, 'the kubelet job scrapes cAdvisor on every kubelet') : []),
    ...use(t.kubeStateMetrics?.endpoint, 'the kube-state-metrics job'),
    ...t.exporters.flatMap((e) => use(e, 'kubernetes-pods job: exporter sidecar')),
    ...use(t.traefikMetrics, 'kubernetes-pods job: Traefik metrics entry point'),
  ];
  const adminApi = v.backup.enabled && v.backup.prometheus.enabled;
  return { ...prefixedPlan(ctx, PROM, ROUTE_PREFIXES.prometheus, uses, v.ingress.enabled), connections: c.connections, adminApi };
}

/**
 * The TSDB snapshot CronJob (`backup.prometheus`), whose pods the NetworkPolicies let reach
 * Prometheus' port to call the admin API. That port is one for the whole HTTP API, so the
 * NetworkPolicies cannot keep Prometheus' other clients from its admin API: through the Ingress
 * the gateway refuses `/prometheus/api/v1/admin/` to everyone (its ForwardAuth, routes/auth.ts);
 * in the cluster, Grafana's datasource proxy refuses every POST, PUT and DELETE to a Prometheus
 * datasource, the AI engine, the API gateway and the self-healing executor send only their fixed
 * queries; Prometheus itself (the prometheus job scrapes /metrics) and Traefik (whose only route is
 * the ForwardAuth-guarded one) do not call it; anything else that can open the port (any pod when
 * NetworkPolicies are off, or a compromised client) can, and the admin API takes no credentials.
 */
export function prometheusBackupPlan(ctx: PlatformContext, prometheus: PrometheusPlan): ComponentPlan | undefined {
  if (!prometheus.adminApi) return undefined;
  return workloadPlan(ctx, PROM_BACKUP.id, {
    role: PROM_BACKUP.role,
    maxName: CRONJOB_NAME_MAX,
    uses: use(prometheus.endpoint, 'the backup CronJob asks replica 0 for a TSDB snapshot (admin API)'),
  });
}

/** Prometheus also scrapes `targets`, components planned after it (they use it: Grafana, the platform services). */
export function withScrapes(prometheus: PrometheusPlan, targets: readonly (Endpoint | undefined)[], why: string): PrometheusPlan {
  return { ...prometheus, uses: [...prometheus.uses, ...targets.flatMap((t) => use(t, why))] };
}

/**
 * Grafana under `/grafana`: behind the gateway's ForwardAuth, it signs users in from the gateway's
 * headers (auth.proxy); without the gateway, with its own login.
 */
export function grafanaPlan(ctx: PlatformContext, v: Values, edge: GrafanaEdge, u: { prometheus: ServedPlan | undefined; elasticsearch: (ServedPlan & { authEnabled: boolean }) | undefined }): GrafanaPlan {
  const served = servedComponent(ctx, GF.id, GF.port, { routes: v.ingress.enabled ? [{ path: ROUTE_PREFIXES.grafana, login: 'own' }] : [] });
  const logs = Boolean(u.elasticsearch?.authEnabled);
  // The log datasource reads as `logs_reader`: only with Elasticsearch security on.
  const c = connect(
    { prometheus: u.prometheus, elasticsearch: logs ? u.elasticsearch : undefined },
    { prometheus: 'Grafana Prometheus datasource', elasticsearch: 'Grafana Elasticsearch log datasource' },
  );
  return { ...served, ...edge, logs, uses: c.uses, connections: c.connections };
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
