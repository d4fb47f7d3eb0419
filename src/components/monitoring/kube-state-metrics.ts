import type { k8s } from '../../lib/k8s.js';
import { Construct } from 'constructs';
import { baseContainer } from '../../lib/container.js';
import { podTemplate } from '../../lib/pod.js';
import { httpAction, probes } from '../../lib/probes.js';
import { createServiceAccount, type Rule } from '../../lib/rbac.js';
import { createService } from '../../lib/service.js';
import { createDeployment } from '../../lib/workloads.js';
import { CATALOG } from '../../plan/catalog.js';
import type { ComponentProps, ServedPlan } from '../../plan/component.js';
import { kubeStateMetricsPlan } from '../../plan/monitoring.js';
import type { Values } from '../../values/schema/index.js';

/** Props of {@link KubeStateMetrics}. */
export interface KubeStateMetricsProps extends ComponentProps<Values['kubeStateMetrics'], ServedPlan> {
  /** The node agents' namespace is rendered (default true): its objects are watched too, with a Role there. */
  readonly agentsNamespace?: boolean;
}


type Collector = Values['kubeStateMetrics']['collectors'][number];

/** The API group of each collector's resource (the resource is the collector's name), and its scope. */
const COLLECTOR_API: Record<Collector, { group: string; clusterScoped?: true }> = {
  cronjobs: { group: 'batch' },
  daemonsets: { group: 'apps' },
  deployments: { group: 'apps' },
  endpointslices: { group: 'discovery.k8s.io' },
  horizontalpodautoscalers: { group: 'autoscaling' },
  ingresses: { group: 'networking.k8s.io' },
  jobs: { group: 'batch' },
  namespaces: { group: '', clusterScoped: true },
  nodes: { group: '', clusterScoped: true },
  persistentvolumeclaims: { group: '' },
  persistentvolumes: { group: '', clusterScoped: true },
  poddisruptionbudgets: { group: 'policy' },
  pods: { group: '' },
  replicasets: { group: 'apps' },
  resourcequotas: { group: '' },
  services: { group: '' },
  statefulsets: { group: 'apps' },
};

const { id: ID, port: METRICS_PORT, telemetryPort: TELEMETRY_PORT } = CATALOG.kubeStateMetrics;
/** uid/gid `nobody`, the user of the upstream image. */
const NOBODY = 65534;

/** One read-only (list/watch) rule per API group of the (sorted) collectors, groups sorted. */
function readRules(collectors: readonly Collector[]): Rule[] {
  const groups = [...new Set(collectors.map((c) => COLLECTOR_API[c].group))].sort();
  return groups.map((group) => ({
    apiGroups: [group],
    resources: collectors.filter((c) => COLLECTOR_API[c].group === group),
    verbs: ['list', 'watch'],
  }));
}

/**
 * kube-state-metrics for the platform: Deployment and Service `<release>-kube-state-metrics`
 * (metrics 8080, its own telemetry 8081), scraped by Prometheus' `kube-state-metrics` job through
 * pod discovery.
 *
 * Object metrics cover the platform's two namespaces only (`--namespaces`: the platform and the
 * node agents' namespace). kube-state-metrics then lists and watches each namespace on its own, so
 * the namespaced collectors need Roles in those two namespaces, not a ClusterRole: it cannot read
 * the rest of the cluster. Only cluster-scoped collectors, when enabled in values, get a ClusterRole
 * (list/watch of exactly those resources); none is on by default, because v2.16 exposes their
 * series once per watched namespace (kubernetes/kube-state-metrics#2878), and node health comes
 * from node-exporter.
 *
 * Probes as upstream recommends: liveness `/livez` on the metrics port (fails while the API server
 * is unreachable; allowed to every account by the default `system:public-info-viewer` role),
 * readiness `/readyz` on the telemetry port (ready once metrics are produced).
 */
export class KubeStateMetrics extends Construct {
  /** Name of the Deployment, Service and ServiceAccount. */
  readonly name: string;

  constructor(scope: Construct, id: string, props: KubeStateMetricsProps) {
    super(scope, id);
    const { ctx, values } = props;
    this.name = (props.plan ?? kubeStateMetricsPlan(ctx)).name;
    const version = values.image.tag;
    const collectors = [...new Set(values.collectors)].sort();
    // Without node agents their namespace is not rendered: a Role in it would fail to apply.
    const namespaces = props.agentsNamespace === false ? [ctx.namespace] : [ctx.namespace, ctx.agentsNamespace];

    const namespaced = readRules(collectors.filter((c) => !COLLECTOR_API[c].clusterScoped));
    const serviceAccountName = createServiceAccount(this, ctx, {
      name: this.name,
      id: ID,
      apiCalls: 'lists and watches the objects it turns into metrics (its collectors), in the platform namespaces',
      clusterRules: readRules(collectors.filter((c) => COLLECTOR_API[c].clusterScoped)),
      namespaceRules: namespaced,
      otherNamespaceRules: Object.fromEntries(namespaces.slice(1).map((namespace) => [namespace, namespaced])),
    });

    const container: k8s.Container = {
      ...baseContainer(ctx, 'kube-state-metrics', values),
      args: [
        `--port=${METRICS_PORT}`,
        `--telemetry-port=${TELEMETRY_PORT}`,
        `--resources=${collectors.join(',')}`,
        `--namespaces=${namespaces.join(',')}`,
      ],
      ports: [
        { name: 'metrics', containerPort: METRICS_PORT, protocol: 'TCP' },
        { name: 'telemetry', containerPort: TELEMETRY_PORT, protocol: 'TCP' },
      ],
      ...probes(httpAction('/readyz', 'telemetry'), { livenessAction: httpAction('/livez', 'metrics') }),
    };

    const template = podTemplate(ctx, {
      id: ID,
      version,
      scheduling: values,
      runAs: { user: NOBODY },
      containers: [container],
      serviceAccountName,
    });

    createDeployment(this, ctx, { name: this.name, id: ID, version, template, replicas: 1 });
    createService(this, 'service', ctx, { name: this.name, id: ID, ports: [{ name: 'metrics', port: METRICS_PORT }] });
  }
}
