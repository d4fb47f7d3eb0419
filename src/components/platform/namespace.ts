import { k8s } from '../../lib/k8s.js';
import { Construct } from 'constructs';
import type { PlatformContext } from '../../lib/context.js';
import { objectLabels } from '../../lib/labels.js';

/** Props of {@link PlatformNamespace}. */
export interface PlatformNamespaceProps {
  readonly ctx: PlatformContext;
  /** Name of the namespace (default: the platform namespace). */
  readonly name?: string;
  /**
   * Pod Security Standard: `restricted` (the platform namespace: warn and audit always, enforce
   * when `enforce` is set) or `privileged` (the node agents' namespace: host access, enforced as
   * such so the exception is explicit) (default restricted).
   */
  readonly level?: 'restricted' | 'privileged';
  /** Enforce the level (`podSecurityPolicy.enabled` for the platform namespace, default false). */
  readonly enforce?: boolean;
  /** Why the namespace exists, as an annotation (default none). */
  readonly description?: string;
}

/** Kubernetes version whose Pod Security Standards the labels pin. */
const PSS_VERSION = 'v1.27';

/**
 * A Namespace with Pod Security Admission labels. The platform namespace warns and audits
 * against the restricted standard and enforces it when `podSecurityPolicy.enabled` is set
 * (PodSecurityPolicy itself was removed in Kubernetes 1.25); the node agents' namespace is the one
 * documented privileged exception.
 */
export class PlatformNamespace extends Construct {
  /** The namespace name. */
  readonly name: string;

  constructor(scope: Construct, id: string, props: PlatformNamespaceProps) {
    super(scope, id);
    const { ctx } = props;
    this.name = props.name ?? ctx.namespace;
    const level = props.level ?? 'restricted';
    const modes = props.enforce || level === 'privileged' ? ['audit', 'enforce', 'warn'] : ['audit', 'warn'];
    const pss: Record<string, string> = {};
    for (const mode of modes) {
      pss[`pod-security.kubernetes.io/${mode}`] = level;
      pss[`pod-security.kubernetes.io/${mode}-version`] = PSS_VERSION;
    }
    if (props.enforce && level === 'restricted') {
      ctx.warn(
        `podSecurityPolicy.enabled: PodSecurityPolicy was removed in Kubernetes 1.25; the namespace ${this.name} enforces the restricted Pod Security Standard through Pod Security Admission labels instead`,
      );
    }
    new k8s.KubeNamespace(this, 'namespace', {
      metadata: {
        name: this.name,
        labels: { ...objectLabels(ctx, { name: 'aiops-platform', component: 'namespace' }), ...pss },
        ...(props.description ? { annotations: { 'aiops-platform/description': props.description } } : {}),
      },
    });
  }
}
