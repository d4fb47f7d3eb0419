import type { k8s } from './k8s.js';
import type { PlatformContext } from './context.js';
import { objectLabels, selectorLabels, type ComponentIdentity } from './labels.js';
import { restrictedPodSecurityContext, rootAgentPodSecurityContext, type RunAs } from './security.js';
import { priorityClassNames, spreadConstraints, type PriorityTier } from './scheduling-policy.js';
import type { TopologySpreadOverride } from '../values/schema/scheduling-policy.js';

/** The placement and metadata keys every component's values carry. */
export interface SchedulingValues {
  nodeSelector: Record<string, string>;
  tolerations: k8s.Toleration[];
  affinity?: Record<string, unknown> | undefined;
  podAnnotations: Record<string, string>;
  podLabels: Record<string, string>;
  /** This component's changes to `global.topologySpread` (default none). */
  topologySpread?: TopologySpreadOverride;
}

/**
 * Host namespaces a pod shares with its node. Breaks the restricted Pod Security Standard: only for
 * node agents in the privileged node agents' namespace, with the reason on their construct.
 */
export interface HostAccess {
  /** Share the node's network namespace (default false); DNS then uses `ClusterFirstWithHostNet`. */
  readonly network?: boolean;
}

/** Everything needed to build a pod template. */
export interface PodTemplateOptions {
  readonly id: ComponentIdentity;
  /** Version label of the pods (the main image tag). */
  readonly version: string;
  readonly scheduling: SchedulingValues;
  readonly containers: k8s.Container[];
  readonly initContainers?: k8s.Container[];
  readonly volumes?: k8s.Volume[];
  /**
   * User the pod runs as; the pod gets the restricted security context. `'root'` (uid 0, see
   * {@link rootAgentPodSecurityContext}) is only for node agents that read root-owned node files;
   * the workload helpers refuse such a pod outside the node agents' namespace.
   */
  readonly runAs: RunAs | 'root';
  /** Service account; none means the token is not mounted (default: no account, no token). */
  readonly serviceAccountName?: string;
  /** Annotations of the chart (scrape, checksums); `podAnnotations` from values win. */
  readonly annotations?: Record<string, string>;
  /** Spread pods over nodes: `preferred` (default in production), `required`, or `none` (default in development). */
  readonly antiAffinity?: 'preferred' | 'required' | 'none';
  /** Grace period on shutdown, seconds (default 30). */
  readonly terminationGracePeriodSeconds?: number;
  /** Restart policy (default Always; Jobs use OnFailure or Never). */
  readonly restartPolicy?: string;
  /** Host namespaces shared with the node (default none); see {@link HostAccess}. */
  readonly host?: HostAccess;
  /** PriorityClass tier of the pods (default standard); see {@link PriorityTier}. */
  readonly priority?: PriorityTier;
  /**
   * The most pods the workload may run (its replicas, or its autoscaler's maximum; default 1):
   * above one, the pods spread over zones and nodes (lib/scheduling-policy.ts).
   */
  readonly maxReplicas?: number;
}

/** Builds a pod template: labels, restricted security context, placement, pull secrets. */
export function podTemplate(ctx: PlatformContext, o: PodTemplateOptions): k8s.PodTemplateSpec {
  const annotations = { ...o.annotations, ...o.scheduling.podAnnotations };
  const spec: k8s.PodSpec = {
    ...(o.serviceAccountName
      ? { serviceAccountName: o.serviceAccountName, automountServiceAccountToken: true }
      : { automountServiceAccountToken: false }),
    enableServiceLinks: false,
    ...(o.host?.network ? ({ hostNetwork: true, dnsPolicy: 'ClusterFirstWithHostNet' } satisfies Partial<k8s.PodSpec>) : {}),
    securityContext: o.runAs === 'root' ? rootAgentPodSecurityContext() : restrictedPodSecurityContext(o.runAs),
    ...(o.initContainers && o.initContainers.length > 0 ? { initContainers: o.initContainers } : {}),
    containers: o.containers,
    ...(o.volumes && o.volumes.length > 0 ? { volumes: o.volumes } : {}),
    ...(ctx.global.imagePullSecrets.length > 0 ? { imagePullSecrets: ctx.global.imagePullSecrets.map((name) => ({ name })) } : {}),
    ...(Object.keys(o.scheduling.nodeSelector).length > 0 ? { nodeSelector: o.scheduling.nodeSelector } : {}),
    ...(o.scheduling.tolerations.length > 0 ? { tolerations: o.scheduling.tolerations } : {}),
    ...affinityOf(ctx, o),
    ...spreadOf(ctx, o),
    ...priorityOf(ctx, o),
    ...(o.restartPolicy ? { restartPolicy: o.restartPolicy } : {}),
    terminationGracePeriodSeconds: o.terminationGracePeriodSeconds ?? 30,
  };
  return {
    metadata: {
      labels: { ...o.scheduling.podLabels, ...objectLabels(ctx, o.id, o.version) },
      ...(Object.keys(annotations).length > 0 ? { annotations: sortKeys(annotations) } : {}),
    },
    spec,
  };
}

function spreadOf(ctx: PlatformContext, o: PodTemplateOptions): { topologySpreadConstraints?: k8s.TopologySpreadConstraint[] } {
  const constraints = spreadConstraints(ctx, o.id, o.maxReplicas ?? 1, o.scheduling.topologySpread);
  return constraints.length > 0 ? { topologySpreadConstraints: constraints } : {};
}

function priorityOf(ctx: PlatformContext, o: PodTemplateOptions): { priorityClassName?: string } {
  const names = priorityClassNames(ctx);
  return names ? { priorityClassName: names[o.priority ?? 'standard'] } : {};
}

function affinityOf(ctx: PlatformContext, o: PodTemplateOptions): { affinity?: k8s.Affinity } {
  if (o.scheduling.affinity) return { affinity: o.scheduling.affinity as k8s.Affinity };
  const mode = o.antiAffinity ?? (ctx.development ? 'none' : 'preferred');
  if (mode === 'none') return {};
  const term: k8s.PodAffinityTerm = {
    topologyKey: 'kubernetes.io/hostname',
    labelSelector: { matchLabels: selectorLabels(ctx, o.id) },
  };
  return {
    affinity: {
      podAntiAffinity:
        mode === 'required'
          ? { requiredDuringSchedulingIgnoredDuringExecution: [term] }
          : { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: term }] },
    },
  };
}

/** Prometheus annotation-based discovery of a pod's metrics endpoint. */
export function scrapeAnnotations(port: number, path = '/metrics'): Record<string, string> {
  return { 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(port), 'prometheus.io/path': path };
}

function sortKeys(map: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(map).sort(([a], [b]) => a.localeCompare(b)));
}

/** An environment variable read from a Secret key. */
export function secretEnv(name: string, secretName: string, key: string): k8s.EnvVar {
  return { name, valueFrom: { secretKeyRef: { name: secretName, key } } };
}

/** An environment variable from the downward API, e.g. `fieldEnv('POD_IP', 'status.podIP')`. */
export function fieldEnv(name: string, fieldPath: string): k8s.EnvVar {
  return { name, valueFrom: { fieldRef: { fieldPath } } };
}
