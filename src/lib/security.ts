import type { k8s } from 'cdk8s-plus-27';

/** The numeric identity a pod runs as (the upstream image's own non-root user). */
export interface RunAs {
  /** User id (must not be 0). */
  readonly user: number;
  /** Group id (default: the user id). */
  readonly group?: number;
  /** Group owning mounted volumes (default: the group). */
  readonly fsGroup?: number;
}

/** Pod-level security context of the restricted Pod Security Standard. */
export function restrictedPodSecurityContext(runAs: RunAs): k8s.PodSecurityContext {
  if (runAs.user === 0) throw new Error('the restricted profile does not allow running as root (uid 0)');
  const group = runAs.group ?? runAs.user;
  return {
    runAsNonRoot: true,
    runAsUser: runAs.user,
    runAsGroup: group,
    fsGroup: runAs.fsGroup ?? group,
    fsGroupChangePolicy: 'OnRootMismatch',
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

/** Container-level security context of the restricted profile; the root filesystem is read-only unless told. */
export function restrictedContainerSecurityContext(opts: { readOnlyRootFilesystem?: boolean } = {}): k8s.SecurityContext {
  return {
    allowPrivilegeEscalation: false,
    privileged: false,
    readOnlyRootFilesystem: opts.readOnlyRootFilesystem ?? true,
    runAsNonRoot: true,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  };
}
