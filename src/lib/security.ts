import type { k8s } from './k8s.js';

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
  if (runAs.user === 0) {
    throw new Error("the restricted profile does not allow running as root (uid 0); a node agent that must, uses runAs 'root' in the node agents' namespace");
  }
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

/**
 * Pod-level security context of a node agent that must run as root (uid 0, gid 0): the log shipper
 * reads the node's container logs, which the kubelet and the container runtime write as root with
 * mode 0640. Not the restricted profile: only for pods in the node agents' namespace (the workload
 * helpers refuse it elsewhere). Kubernetes cannot give a non-root container a capability instead
 * (added capabilities reach only the bounding set of a non-root process; without ambient
 * capabilities they are dropped at exec), so uid 0 it is, with {@link rootAgentContainerSecurityContext}.
 */
export function rootAgentPodSecurityContext(): k8s.PodSecurityContext {
  return { runAsNonRoot: false, runAsUser: 0, runAsGroup: 0, seccompProfile: { type: 'RuntimeDefault' } };
}

/**
 * Container-level security context of a root node agent: everything of the restricted profile but
 * the non-root user. No privilege escalation, not privileged, every capability dropped (root
 * without capabilities passes permission checks only as the owner of a file, i.e. on root-owned
 * files), RuntimeDefault seccomp, read-only root filesystem.
 */
export function rootAgentContainerSecurityContext(): k8s.SecurityContext {
  return {
    allowPrivilegeEscalation: false,
    privileged: false,
    readOnlyRootFilesystem: true,
    runAsNonRoot: false,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  };
}
