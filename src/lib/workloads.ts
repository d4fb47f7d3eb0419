import { k8s } from './k8s.js';
import type { Construct } from 'constructs';
import type { PlatformContext } from './context.js';
import { selectorLabels, type ComponentIdentity } from './labels.js';
import { metadata } from './metadata.js';
import { podTemplate, type PodTemplateOptions } from './pod.js';

/** Options shared by Deployments and DaemonSets. */
export interface WorkloadOptions {
  readonly name: string;
  readonly id: ComponentIdentity;
  readonly version: string;
  readonly template: k8s.PodTemplateSpec;
  /** Namespace of the workload (default: the platform namespace; host access needs the node agents' namespace). */
  readonly namespace?: string;
}

/**
 * What a pod template shares with its node, or `undefined`: host namespaces, hostPath volumes, or
 * root (pod or container `runAsUser: 0`). All break the restricted Pod Security Standard.
 */
function hostAccessOf(template: k8s.PodTemplateSpec): string | undefined {
  const pod = template.spec;
  if (!pod) return undefined;
  if (pod.hostNetwork || pod.hostPid || pod.hostIpc) return 'host namespaces';
  if ((pod.volumes ?? []).some((v) => v.hostPath)) return 'hostPath volumes';
  const containers = [...(pod.initContainers ?? []), ...pod.containers];
  if (pod.securityContext?.runAsUser === 0 || containers.some((c) => c.securityContext?.runAsUser === 0)) return 'root (uid 0)';
  return undefined;
}

/**
 * The namespace of a workload: the platform namespace unless given. A pod with host access is only
 * allowed in the node agents' namespace (the one namespace at the privileged Pod Security level):
 * anything else is a programming error, thrown before a manifest is written.
 */
function workloadNamespace(ctx: PlatformContext, o: WorkloadOptions): string {
  const namespace = o.namespace ?? ctx.namespace;
  const access = hostAccessOf(o.template);
  if (access && namespace !== ctx.agentsNamespace) {
    throw new Error(`workload ${o.name} uses ${access}, which only the node agents' namespace ${ctx.agentsNamespace} allows, not ${namespace}`);
  }
  return namespace;
}

/** Creates a Deployment selecting its pods by the stable selector labels; rolling updates keep one pod up. */
export function createDeployment(
  scope: Construct,
  ctx: PlatformContext,
  o: WorkloadOptions & {
    /** Replica count; omitted when an HPA owns it (default 1). */
    readonly replicas?: number | undefined;
    /** Recreate for single-writer volumes (default RollingUpdate with maxUnavailable 0). */
    readonly strategy?: 'RollingUpdate' | 'Recreate';
  },
): k8s.KubeDeployment {
  return new k8s.KubeDeployment(scope, 'deployment', {
    metadata: { ...metadata(ctx, o.name, o.id, { version: o.version }), namespace: workloadNamespace(ctx, o) },
    spec: {
      ...(o.replicas !== undefined ? { replicas: o.replicas } : {}),
      revisionHistoryLimit: 5,
      strategy:
        o.strategy === 'Recreate'
          ? { type: 'Recreate' }
          : { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: k8s.IntOrString.fromNumber(0), maxSurge: k8s.IntOrString.fromNumber(1) } },
      selector: { matchLabels: selectorLabels(ctx, o.id) },
      template: o.template,
    },
  });
}

/** Creates a DaemonSet (one pod per node) that updates one node at a time. */
export function createDaemonSet(scope: Construct, ctx: PlatformContext, o: WorkloadOptions): k8s.KubeDaemonSet {
  return new k8s.KubeDaemonSet(scope, 'daemonset', {
    metadata: { ...metadata(ctx, o.name, o.id, { version: o.version }), namespace: workloadNamespace(ctx, o) },
    spec: {
      revisionHistoryLimit: 5,
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: k8s.IntOrString.fromNumber(1) } },
      selector: { matchLabels: selectorLabels(ctx, o.id) },
      template: o.template,
    },
  });
}

/** The pod template of a Job: its pod restarts in place on failure and is not spread over nodes (it is alone). */
export function jobPodTemplate(ctx: PlatformContext, o: Omit<PodTemplateOptions, 'restartPolicy' | 'antiAffinity'>): k8s.PodTemplateSpec {
  return podTemplate(ctx, { ...o, restartPolicy: 'OnFailure', antiAffinity: 'none' });
}

/**
 * Seconds a finished one-off Job stays: a later `kubectl apply` then recreates it (a Job's pod
 * template is immutable) and its idempotent script runs again.
 */
const JOB_TTL_SECONDS = 300;

/** Creates a Job that runs `jobSpec` once per `kubectl apply` (removed {@link JOB_TTL_SECONDS} after it finished). */
export function createJob(
  scope: Construct,
  ctx: PlatformContext,
  o: { readonly name: string; readonly id: ComponentIdentity; readonly version: string; readonly jobSpec: k8s.JobSpec },
): k8s.KubeJob {
  return new k8s.KubeJob(scope, 'job', {
    metadata: metadata(ctx, o.name, o.id, { version: o.version }),
    spec: { ...o.jobSpec, ttlSecondsAfterFinished: JOB_TTL_SECONDS },
  });
}

/**
 * Creates a CronJob that runs `jobSpec` on `schedule`: never two runs at once, a run missed by
 * more than an hour is skipped, the last success and the last two failures are kept.
 */
export function createCronJob(
  scope: Construct,
  ctx: PlatformContext,
  o: { readonly name: string; readonly id: ComponentIdentity; readonly version: string; readonly schedule: string; readonly jobSpec: k8s.JobSpec },
): k8s.KubeCronJob {
  return new k8s.KubeCronJob(scope, 'cronjob', {
    metadata: metadata(ctx, o.name, o.id, { version: o.version }),
    spec: {
      schedule: o.schedule,
      concurrencyPolicy: 'Forbid',
      startingDeadlineSeconds: 3600,
      successfulJobsHistoryLimit: 1,
      failedJobsHistoryLimit: 2,
      jobTemplate: { metadata: { labels: o.jobSpec.template.metadata?.labels ?? {} }, spec: o.jobSpec },
    },
  });
}
