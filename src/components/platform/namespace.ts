import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import type { PlatformContext } from '../../lib/context.js';
import { objectLabels } from '../../lib/labels.js';

/** Props of {@link PlatformNamespace}. */
export interface PlatformNamespaceProps {
  readonly ctx: PlatformContext;
  /** Enforce the restricted Pod Security Standard (`podSecurityPolicy.enabled`, default false). */
  readonly enforceRestricted: boolean;
}

/** Kubernetes version whose Pod Security Standards the labels pin. */
const PSS_VERSION = 'v1.27';

/**
 * The platform's Namespace. Pod Security Admission labels always warn and audit against the
 * restricted standard; `enforce` is added when `podSecurityPolicy.enabled` is set (PodSecurityPolicy
 * itself was removed in Kubernetes 1.25).
 */
export class PlatformNamespace extends Construct {
  constructor(scope: Construct, id: string, props: PlatformNamespaceProps) {
    super(scope, id);
    const { ctx } = props;
    const pss: Record<string, string> = {
      'pod-security.kubernetes.io/audit': 'restricted',
      'pod-security.kubernetes.io/audit-version': PSS_VERSION,
      'pod-security.kubernetes.io/warn': 'restricted',
      'pod-security.kubernetes.io/warn-version': PSS_VERSION,
      ...(props.enforceRestricted
        ? { 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/enforce-version': PSS_VERSION }
        : {}),
    };
    if (props.enforceRestricted) {
      ctx.warn(
        `podSecurityPolicy.enabled: PodSecurityPolicy was removed in Kubernetes 1.25; the namespace ${ctx.namespace} enforces the restricted Pod Security Standard through Pod Security Admission labels instead`,
      );
    }
    new k8s.KubeNamespace(this, 'namespace', {
      metadata: {
        name: ctx.namespace,
        labels: { ...objectLabels(ctx, { name: 'aiops-platform', component: 'namespace' }), ...pss },
      },
    });
  }
}
