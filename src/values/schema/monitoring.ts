import * as z from 'zod';
import { addCrossFieldIssue } from '../issues.js';
import { parseQuantity } from '../../core/quantity.js';
import { existingSecret, persistence, schedulingFields, type PersistenceValues } from './common.js';
import { CREDENTIAL_DEFAULT } from './describe.js';
import { IMAGES } from './images.js';
import type { Profile } from './profile.js';
import { labelMap } from './metadata.js';
import { port, positiveDuration, quantityOrNumber } from './primitives.js';
import { singleLine } from './text.js';
import { replicaField, singlePodWorkloadFields, sized, workloadFields } from './workload.js';

/** `prometheus.*` */
export const prometheusSchema = (p: Profile) => {
  const volume = persistence(p, 'the Prometheus time series database', '8Gi', '50Gi');
  return z
    .strictObject({
      ...workloadFields(p, {
        name: 'Prometheus',
        image: IMAGES.prometheus,
        resources: { development: sized('200m', '512Mi', '1Gi'), production: sized('1', '2Gi', '4Gi') },
      }),
      ...replicaField(p, 1, 1),
      retention: positiveDuration.default('15d').describe('Time-based retention: series older than this are deleted (default 15d).'),
      /** The oldest blocks are deleted above it, so the volume cannot fill. */
      retentionSize: quantityOrNumber
        .optional()
        .describe('Size-based retention bound such as 40Gi, at most the volume size (default: 85 % of persistence.size, rounded down to whole Mi).'),
      scrapeInterval: positiveDuration.default('30s').describe('How often targets are scraped (default 30s).'),
      evaluationInterval: positiveDuration.default('30s').describe('How often the alert rules are evaluated (default 30s).'),
      kubelet: kubeletScrape(p),
      ...volume.fields,
    })
    .prefault({})
    .transform((v, ctx) => resolveRetentionSize(volume.resolve(v, ctx), ctx))
    .describe('Prometheus, the metrics store and alert rule evaluator (a StatefulSet, served under /prometheus).');
};

/**
 * `prometheus.kubelet.*`: per-pod CPU and memory from cAdvisor in the kubelets. Off in development:
 * it is the one cluster-wide right of Prometheus (a ClusterRole to list and watch Nodes and to get
 * nodes/metrics), which a namespace-scoped install may not be allowed to create.
 */
const kubeletScrape = (p: Profile) =>
  z
    .strictObject({
      enabled: z
        .boolean()
        .default(p.pick(false, true))
        .describe(
          'Scrape cAdvisor (/metrics/cadvisor) on every node\'s kubelet (https, port 10250) for per-pod CPU and memory, which the AI engine then watches (pod-cpu, pod-memory); keeps only container CPU and working-set series of the platform\'s namespaces. Needs a ClusterRole (list/watch nodes, get nodes/metrics) and egress to the nodes on 10250 (networkPolicy.nodeCidrs, or the host/remote-node entities with flavor cilium) (default false; production true).',
        ),
      /** Most kubelets serve a self-signed certificate; verifying needs kubelet certificates signed by the cluster CA. */
      insecureSkipVerify: z
        .boolean()
        .default(true)
        .describe(
          'Do not verify the kubelet\'s serving certificate: the connection is encrypted but the kubelet is not authenticated (a machine on the node network could answer in its place). Most clusters (kubeadm without serverTLSBootstrap, k3s, kind) give the kubelet a self-signed certificate that nothing can verify; set false where the cluster CA signs the kubelet certificates, e.g. kubeadm with serverTLSBootstrap: true and the CSRs approved (default true).',
        ),
    })
    .prefault({})
    .describe('Per-pod CPU and memory from cAdvisor in the kubelets (a cluster-wide scrape job).');

/**
 * Share of the volume that size-based retention fills by default (the bound counts blocks, WAL
 * and head chunks). The rest is head-room: retention deletes whole blocks (the largest spans up
 * to 10 % of the retention time), so usage overshoots the bound until the oldest block goes; a
 * compaction writes its new block before it deletes the blocks it merged; and the filesystem keeps
 * some space of its own.
 */
const PROMETHEUS_RETENTION_SHARE = 0.85;

/** Fills in the default `retentionSize` (see {@link PROMETHEUS_RETENTION_SHARE}) and checks a given one against the volume. */
function resolveRetentionSize<T extends { retentionSize?: string | undefined; persistence: PersistenceValues }>(
  v: T,
  ctx: z.RefinementCtx,
): T & { retentionSize: string } {
  const volume = parseQuantity(v.persistence.size) ?? 0;
  if (v.retentionSize === undefined) {
    return { ...v, retentionSize: `${Math.max(1, Math.floor((volume * PROMETHEUS_RETENTION_SHARE) / 2 ** 20))}Mi` };
  }
  const size = parseQuantity(v.retentionSize) ?? 0;
  const problem =
    size > volume
      ? `retentionSize ${v.retentionSize} is above the volume size ${v.persistence.size} (persistence.size): the disk would fill before retention deletes anything; use at most ${v.persistence.size}, or leave retentionSize unset for ${PROMETHEUS_RETENTION_SHARE * 100} % of the volume`
      : size < 2 ** 20
        ? `retentionSize ${v.retentionSize} is below 1Mi (0 would turn size-based retention off); use a size such as 40Gi, or leave it unset for ${PROMETHEUS_RETENTION_SHARE * 100} % of the volume`
        : undefined;
  if (problem) addCrossFieldIssue(ctx, { path: ['retentionSize'], involves: [['persistence', 'size'], ['storage', 'size']], input: v.retentionSize, message: problem });
  return { ...v, retentionSize: v.retentionSize };
}

/** `grafana.*` */
export const grafanaSchema = (p: Profile) => {
  const volume = persistence(p, 'the Grafana database: users, sessions, stars', '5Gi');
  return z
    .strictObject({
      ...workloadFields(p, {
        name: 'Grafana',
        image: IMAGES.grafana,
        resources: { development: sized('50m', '128Mi', '256Mi'), production: sized('250m', '256Mi', '512Mi') },
      }),
      /** Each replica keeps its own embedded SQLite database (users, sessions, stars). */
      ...replicaField(p, 1, 1, 'more than 1 need persistence.enabled false and sticky sessions at the Ingress'),
      adminUser: singleLine('grafana.adminUser').min(1).default('admin').describe('Admin user (default admin).'),
      /** Later changes need `grafana cli admin reset-admin-password`. */
      adminPassword: z
        .string()
        .default('')
        .describe(`Admin password, set when Grafana creates its database ${CREDENTIAL_DEFAULT}.`),
      existingSecret: existingSecret.describe(
        'Existing Secret with keys admin-user and admin-password; the chart then renders none (default: none).',
      ),
      ...volume.fields,
    })
    .prefault({})
    .transform(volume.resolve)
    .superRefine((g, ctx) => {
      // A ReadWriteOnce volume attaches to one pod: a Deployment with a volume runs one replica.
      if (g.replicas > 1 && g.persistence.enabled) {
        addCrossFieldIssue(ctx, {
          path: ['replicas'],
          involves: [['persistence', 'enabled']],
          input: g.replicas,
          message: `grafana.replicas ${g.replicas} needs grafana.persistence.enabled: false (the data volume is ReadWriteOnce and holds one SQLite database); use 1 replica or turn persistence off`,
        });
      }
    })
    .describe('Grafana with the platform\'s dashboards (a Deployment, served under /grafana).');
};

/** `nodeExporter.*`: node_exporter on every node (a DaemonSet in the node agents' namespace). */
export const nodeExporterSchema = (p: Profile) =>
  z
    .strictObject({
      ...singlePodWorkloadFields(p, {
        name: 'node-exporter',
        image: IMAGES.nodeExporter,
        resources: { development: sized('10m', '32Mi', '64Mi'), production: sized('50m', '64Mi', '256Mi') },
      }),
      /** node_exporter runs without capabilities (restricted container), so it cannot bind a privileged port. */
      port: port
        .min(1024, {
          error: (i) => `expected a port of at least 1024, found ${String(i.input)}: node_exporter runs without the NET_BIND_SERVICE capability and cannot bind a privileged port`,
        })
        .default(9100)
        .describe('Port node_exporter listens on, on each node\'s IP (host network); change it when another node_exporter holds it (default 9100).'),
      nodeSelector: labelMap
        .default({ 'kubernetes.io/os': 'linux' })
        .describe('Node labels the pods must match; node_exporter reads Linux /proc and /sys (default {kubernetes.io/os: linux}).'),
      tolerations: schedulingFields.tolerations
        .unwrap()
        .default([{ operator: 'Exists' }])
        .describe('Taints the pods tolerate; the default tolerates every taint, so every node is measured, [] keeps them off tainted nodes (default [{operator: Exists}]).'),
    })
    .prefault({})
    .describe('node_exporter on every node: a DaemonSet on the host network, in the node agents\' namespace.');

/**
 * Collectors kube-state-metrics may run (its `--resources`). Secrets and ConfigMaps are left out on
 * purpose: listing them reads their data.
 */
const KUBE_STATE_METRICS_COLLECTORS = [
  'cronjobs',
  'daemonsets',
  'deployments',
  'endpointslices',
  'horizontalpodautoscalers',
  'ingresses',
  'jobs',
  'namespaces',
  'nodes',
  'persistentvolumeclaims',
  'persistentvolumes',
  'poddisruptionbudgets',
  'pods',
  'replicasets',
  'resourcequotas',
  'services',
  'statefulsets',
] as const;

/** `kubeStateMetrics.*`: kube-state-metrics for the platform's namespaces. */
export const kubeStateMetricsSchema = (p: Profile) =>
  z
    .strictObject({
      ...singlePodWorkloadFields(p, {
        name: 'kube-state-metrics',
        image: IMAGES.kubeStateMetrics,
        resources: { development: sized('10m', '64Mi', '128Mi'), production: sized('50m', '128Mi', '256Mi') },
      }),
      /**
       * The cluster-scoped collectors (nodes, namespaces, persistentvolumes) need a ClusterRole, and
       * kube-state-metrics v2.16 exposes their series once per watched namespace, i.e. twice
       * (kubernetes/kube-state-metrics#2878): Prometheus drops the copies with warnings.
       */
      collectors: z
        .array(z.enum(KUBE_STATE_METRICS_COLLECTORS))
        .min(1)
        .default([
          'pods',
          'deployments',
          'statefulsets',
          'daemonsets',
          'replicasets',
          'jobs',
          'cronjobs',
          'horizontalpodautoscalers',
          'persistentvolumeclaims',
          'poddisruptionbudgets',
        ])
        .describe('Collectors (--resources); cluster-scoped ones need a ClusterRole and their series come twice (default: the kinds the platform runs).'),
    })
    .prefault({})
    .describe('kube-state-metrics: metrics of the Kubernetes objects in the platform\'s namespaces.');
