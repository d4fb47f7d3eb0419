import { k8s } from 'cdk8s-plus-27';
import type { Construct } from 'constructs';
import type { PlatformContext } from './context.js';
import { selectorLabels, type ComponentIdentity } from './labels.js';
import { metadata } from './metadata.js';

/** Options shared by Deployments and DaemonSets. */
export interface WorkloadOptions {
  readonly name: string;
  readonly id: ComponentIdentity;
  readonly version: string;
  readonly template: k8s.PodTemplateSpec;
  /** Namespace of the workload (default: the platform namespace). */
  readonly namespace?: string;
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
    metadata: { ...metadata(ctx, o.name, o.id, { version: o.version }), ...(o.namespace ? { namespace: o.namespace } : {}) },
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
    metadata: { ...metadata(ctx, o.name, o.id, { version: o.version }), ...(o.namespace ? { namespace: o.namespace } : {}) },
    spec: {
      revisionHistoryLimit: 5,
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: k8s.IntOrString.fromNumber(1) } },
      selector: { matchLabels: selectorLabels(ctx, o.id) },
      template: o.template,
    },
  });
}
