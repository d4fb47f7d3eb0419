import { LABEL_KEY } from '../../core/label-keys.js';
import { SERVICE_ACCOUNT_CA, SERVICE_ACCOUNT_TOKEN } from '../../core/service-account.js';
import type { PlatformContext } from '../../lib/context.js';
import { CATALOG } from '../../plan/catalog.js';
import { KUBELET_PORT } from '../../plan/network.js';
import type { Values } from '../../values/schema/index.js';
import { ROUTE_PREFIXES } from '../../values/schema/ingress-routes.js';
import { OPTIONAL_SOURCE_METRICS } from './metrics-catalog.js';
import { KUBELET_JOB } from '../../plan/index.js';

// Typed subset of prometheus.yml (Prometheus v2.42 to v3.x) that the chart writes.

/** `global:` */
export interface GlobalConfig {
  scrape_interval: string;
  evaluation_interval: string;
  /** Labels added to every alert and remote-written series; identical on all replicas so Alertmanager deduplicates. */
  external_labels: Record<string, string>;
}

/** A `kubernetes_sd_configs` entry: the pods or EndpointSlices of some namespaces, or the cluster's Nodes. */
export type KubernetesSdConfig = { role: 'pod' | 'endpointslice'; namespaces: { names: string[] } } | { role: 'node' };

/** A `relabel_configs` entry; `regex` is RE2, anchored at both ends by Prometheus. */
export interface RelabelConfig {
  source_labels: string[];
  regex?: string;
  target_label?: string;
  replacement?: string;
  /** The actions the chart uses. */
  action: 'replace' | 'keep' | 'drop';
}

/** `authorization` of a scrape: a Bearer token read from a file (again at every scrape, so a rotated token is picked up). */
export interface Authorization {
  credentials_file: string;
}

/** `tls_config` of a scrape. */
export interface TlsConfig {
  /** CA certificates that verify the server's certificate. */
  ca_file: string;
  /** Accept any server certificate (encrypted, not authenticated). */
  insecure_skip_verify: boolean;
}

/** A `scrape_configs` entry. */
export interface ScrapeConfig {
  job_name: string;
  /** Default http. */
  scheme?: 'https';
  metrics_path?: string;
  /** Scraped labels win over target labels on conflict (exporters describing other objects). */
  honor_labels?: boolean;
  authorization?: Authorization;
  tls_config?: TlsConfig;
  kubernetes_sd_configs: KubernetesSdConfig[];
  relabel_configs: RelabelConfig[];
  /** Applied to every scraped series before it is stored: a `drop` or failed `keep` discards the series. */
  metric_relabel_configs?: RelabelConfig[];
}

/** An `alerting.alertmanagers` entry. */
export interface AlertmanagerConfig {
  api_version: 'v2';
  path_prefix: string;
  kubernetes_sd_configs: KubernetesSdConfig[];
  relabel_configs: RelabelConfig[];
}

/** The whole prometheus.yml. */
export interface PrometheusConfig {
  global: GlobalConfig;
  /** Rule files, relative to prometheus.yml (Prometheus resolves them against the config file's folder). */
  rule_files: string[];
  alerting?: { alertmanagers: AlertmanagerConfig[] };
  scrape_configs: ScrapeConfig[];
}

/** Where Prometheus sends alerts: the Alertmanager client Service (every pod behind it gets every alert). */
export interface AlertmanagerTarget {
  /** Name of the Alertmanager client Service, e.g. aiops-platform-alertmanager. */
  readonly serviceName: string;
  /** Its port (9093); the Service's targetPort is the same number. */
  readonly port: number;
  /** Route prefix of the API, e.g. /alertmanager. */
  readonly pathPrefix: string;
}

/** What else the config depends on besides the values. */
export interface PrometheusConfigOptions {
  /** Names of the rule files, listed as `rules/<name>`. */
  readonly ruleFiles: readonly string[];
  /** The Alertmanager to alert and scrape; undefined: no alerting block and no alertmanager job. */
  readonly alertmanager: AlertmanagerTarget | undefined;
  /** Scrape node-exporter pods in `ctx.agentsNamespace`. */
  readonly nodeExporter: boolean;
  /** Scrape kube-state-metrics pods in the platform namespace. */
  readonly kubeStateMetrics: boolean;
}

/** Labels of the Prometheus pods (the `prometheus` job scrapes them). */
export const PROMETHEUS_ID = CATALOG.prometheus.id;
/** Route prefix Prometheus serves everything under (UI, API, /-/ready, /metrics). */
export const PROMETHEUS_PATH_PREFIX = ROUTE_PREFIXES.prometheus;
/** Folder of the rule files, relative to prometheus.yml. */
export const RULES_DIR = 'rules';
/** Byte units of Prometheus flags such as `--storage.tsdb.retention.size`, in powers of 1024 (its MB is Kubernetes' Mi). */
export const PROMETHEUS_BYTE_UNITS = ['B', 'KB', 'MB', 'GB', 'TB', 'PB', 'EB'] as const;

// Discovery meta labels of a pod label or annotation (Prometheus replaces invalid characters by `_`).
const POD_LABEL = (name: string) => `__meta_kubernetes_pod_label_${name.replace(/[^a-zA-Z0-9_]/g, '_')}`;
const ANNOTATION = (name: string) => `__meta_kubernetes_pod_annotation_${name.replace(/[^a-zA-Z0-9_]/g, '_')}`;

const keep = (label: string, regex: string): RelabelConfig => ({ source_labels: [label], regex, action: 'keep' });
const replace = (sources: string[], target: string, regex = '(.*)', replacement = '$1'): RelabelConfig => ({
  source_labels: sources,
  regex,
  target_label: target,
  replacement,
  action: 'replace',
});

/**
 * The target labels of the monitoring conventions, from the pod behind every Kubernetes-discovered
 * target. No `labelmap` is used, and Prometheus drops every `__meta_*` label after relabeling, so
 * these (plus `instance` and `job`) are a target's only labels.
 */
const CONVENTION_RELABELING: readonly RelabelConfig[] = [
  replace(['__meta_kubernetes_namespace'], 'namespace'),
  replace(['__meta_kubernetes_pod_name'], 'pod'),
  replace(['__meta_kubernetes_pod_node_name'], 'node'),
  replace([POD_LABEL(LABEL_KEY.name)], 'app'),
  replace([POD_LABEL(LABEL_KEY.component)], 'component'),
];

/** Pods that are not running have nothing to scrape (Jobs' finished pods, pods still starting). */
const DROP_NOT_RUNNING: RelabelConfig = { source_labels: ['__meta_kubernetes_pod_phase'], regex: 'Pending|Succeeded|Failed', action: 'drop' };
const sd = (role: KubernetesSdConfig['role'], namespace: string): KubernetesSdConfig[] => [{ role, namespaces: { names: [namespace] } }];

/** Running pods of this release named `app` in `namespace`, on their container port named `port`. Names are DNS labels: no regex metacharacters. */
function podJob(
  ctx: PlatformContext,
  job: string,
  namespace: string,
  target: { app: string; port: string },
  extra: Pick<ScrapeConfig, 'metrics_path' | 'honor_labels'> = {},
): ScrapeConfig {
  return {
    job_name: job,
    ...extra,
    kubernetes_sd_configs: sd('pod', namespace),
    relabel_configs: [
      keep(POD_LABEL(LABEL_KEY.name), target.app),
      keep(POD_LABEL(LABEL_KEY.instance), ctx.release),
      keep('__meta_kubernetes_pod_container_port_name', target.port),
      DROP_NOT_RUNNING,
      ...CONVENTION_RELABELING,
    ],
  };
}

/**
 * Every pod behind the Alertmanager Service, found through its EndpointSlices: alerts go to every
 * peer (Alertmanager deduplicates; its peers do not share alerts), never through the load-balanced ClusterIP.
 */
const alertmanagerConfig = (ctx: PlatformContext, am: AlertmanagerTarget): AlertmanagerConfig => ({
  api_version: 'v2',
  path_prefix: am.pathPrefix,
  kubernetes_sd_configs: sd('endpointslice', ctx.namespace),
  relabel_configs: [keep('__meta_kubernetes_service_name', am.serviceName), keep('__meta_kubernetes_endpointslice_port', String(am.port))],
});

/** Pods annotated `prometheus.io/scrape: "true"`, on `prometheus.io/port` and `prometheus.io/path` (IPv4 and IPv6 pod IPs). */
function annotatedPodsJob(ctx: PlatformContext): ScrapeConfig {
  const port = ANNOTATION('prometheus.io/port');
  return {
    job_name: 'kubernetes-pods',
    kubernetes_sd_configs: sd('pod', ctx.namespace),
    relabel_configs: [
      keep(ANNOTATION('prometheus.io/scrape'), 'true'),
      DROP_NOT_RUNNING,
      replace([ANNOTATION('prometheus.io/scheme')], '__scheme__', '(https?)'),
      replace([ANNOTATION('prometheus.io/path')], '__metrics_path__', '(.+)'),
      // One target per declared container port is discovered; rewriting them all to the annotated port makes them identical, and Prometheus keeps one.
      replace([port, '__meta_kubernetes_pod_ip'], '__address__', '(\\d+);((?:\\d{1,3}\\.){3}\\d{1,3})', '$2:$1'),
      replace([port, '__meta_kubernetes_pod_ip'], '__address__', '(\\d+);([0-9a-fA-F]*:[0-9a-fA-F:.]*)', '[$2]:$1'),
      ...CONVENTION_RELABELING,
    ],
  };
}

/**
 * cAdvisor in the kubelet of every node (`prometheus.kubelet.enabled`): Nodes discovered across
 * the cluster (list/watch nodes: a ClusterRole), scraped over https on {@link KUBELET_PORT} with
 * the pod's service-account token, which the kubelet authorizes as `get` on `nodes/metrics`
 * (a SubjectAccessReview to the API server). Not through the API server's node proxy: that needs
 * `nodes/proxy`, which also reaches the kubelet's exec and log endpoints.
 *
 * The kubelet's serving certificate is self-signed on most clusters (kubeadm without
 * `serverTLSBootstrap`, k3s, kind): `insecureSkipVerify` accepts any certificate (encrypted, the
 * kubelet not authenticated); false verifies it against the cluster CA, for clusters whose kubelet
 * certificates the cluster CA signs.
 *
 * Only the metrics of the catalog's cadvisor source are kept (metrics-catalog.ts), of the
 * platform's and the node agents' namespaces, per container: not the pod-level cgroup rows
 * (`container=""`, which sum the pod's containers) nor the `POD` sandbox. The targets get a
 * `node` label only: a `namespace` or `pod` target label would rename the series' own labels
 * of the same names to `exported_*`. For the same reason the TargetDown rule (which matches the
 * platform's namespaces) does not see these targets: `up{job="kubelet"}` does.
 */
function kubeletJob(ctx: PlatformContext, kubelet: Values['prometheus']['kubelet']): ScrapeConfig {
  return {
    job_name: KUBELET_JOB,
    scheme: 'https',
    metrics_path: '/metrics/cadvisor',
    authorization: { credentials_file: SERVICE_ACCOUNT_TOKEN },
    tls_config: { ca_file: SERVICE_ACCOUNT_CA, insecure_skip_verify: kubelet.insecureSkipVerify },
    kubernetes_sd_configs: [{ role: 'node' }],
    relabel_configs: [
      // The discovered address is the node's with the port the Node reports; the NetworkPolicies allow KUBELET_PORT. IPv6 hosts stay bracketed.
      replace(['__address__'], '__address__', '(.+):\\d+', `$1:${KUBELET_PORT}`),
      replace(['__meta_kubernetes_node_name'], 'node'),
    ],
    metric_relabel_configs: [
      keep('__name__', OPTIONAL_SOURCE_METRICS.cadvisor.metrics.join('|')),
      // Namespaces are DNS labels: no regex metacharacters.
      keep('namespace', `${ctx.namespace}|${ctx.agentsNamespace}`),
      { source_labels: ['container'], regex: '|POD', action: 'drop' },
    ],
  };
}

/** Builds prometheus.yml: a pure function of the context, the values and the options. */
export function prometheusConfig(
  ctx: PlatformContext,
  values: Pick<Values['prometheus'], 'scrapeInterval' | 'evaluationInterval' | 'kubelet'>,
  o: PrometheusConfigOptions,
): PrometheusConfig {
  const am = o.alertmanager;
  const jobs = [podJob(ctx, 'prometheus', ctx.namespace, { app: PROMETHEUS_ID.name, port: 'http' }, { metrics_path: `${PROMETHEUS_PATH_PREFIX}/metrics` })];
  if (am) {
    const { kubernetes_sd_configs, relabel_configs } = alertmanagerConfig(ctx, am);
    jobs.push({ job_name: 'alertmanager', metrics_path: `${am.pathPrefix}/metrics`, kubernetes_sd_configs, relabel_configs: [...relabel_configs, ...CONVENTION_RELABELING] });
  }
  if (o.nodeExporter) jobs.push(podJob(ctx, 'node-exporter', ctx.agentsNamespace, { app: 'node-exporter', port: 'metrics' }));
  if (o.kubeStateMetrics) {
    // honor_labels: kube-state-metrics' own namespace/pod/node labels describe the object, not the exporter pod.
    jobs.push(podJob(ctx, 'kube-state-metrics', ctx.namespace, { app: 'kube-state-metrics', port: 'metrics' }, { honor_labels: true }));
  }
  if (values.kubelet.enabled) jobs.push(kubeletJob(ctx, values.kubelet));
  jobs.push(annotatedPodsJob(ctx));
  return {
    global: {
      scrape_interval: values.scrapeInterval,
      evaluation_interval: values.evaluationInterval,
      external_labels: { release: ctx.release },
    },
    rule_files: [...o.ruleFiles].sort().map((name) => `${RULES_DIR}/${name}`),
    ...(am ? { alerting: { alertmanagers: [alertmanagerConfig(ctx, am)] } } : {}),
    scrape_configs: jobs,
  };
}
