import { k8s } from './k8s.js';
import type { Construct } from 'constructs';
import type { PlatformContext } from './context.js';
import type { ComponentIdentity } from './labels.js';
import { clusterMetadata, metadata } from './metadata.js';

/** One RBAC rule. */
export interface Rule {
  readonly apiGroups: readonly string[];
  readonly resources: readonly string[];
  readonly verbs: readonly string[];
  readonly resourceNames?: readonly string[];
}

/** Options of a ServiceAccount and its rights. */
export interface AccessOptions {
  /** Name of the ServiceAccount and of its (Cluster)Role and binding. */
  readonly name: string;
  readonly id: ComponentIdentity;
  /** Namespace of the ServiceAccount (default: the platform namespace). */
  readonly namespace?: string;
  /** Rights across the cluster: a ClusterRole + ClusterRoleBinding (default none). */
  readonly clusterRules?: readonly Rule[];
  /** Rights in the account's namespace: a Role + RoleBinding (default none). */
  readonly namespaceRules?: readonly Rule[];
  /**
   * Rights in further namespaces, by namespace: a Role + RoleBinding of the same name in each,
   * binding this account (default none). For a component that reads a few known namespaces, this
   * replaces a ClusterRole (least privilege).
   */
  readonly otherNamespaceRules?: Readonly<Record<string, readonly Rule[]>>;
  /**
   * The Kubernetes API calls the component makes, one line: why its pods get a token at all
   * (pods without an account get none). Rendered as the account's {@link API_CALLS_ANNOTATION}.
   */
  readonly apiCalls: string;
}

/** The annotation of a ServiceAccount that says which API calls its token is for. */
export const API_CALLS_ANNOTATION = 'aiops-platform.io/kubernetes-api-calls';

const toK8s = (rules: readonly Rule[]): k8s.PolicyRule[] =>
  rules.map((r) => ({
    apiGroups: [...r.apiGroups],
    resources: [...r.resources],
    verbs: [...r.verbs],
    ...(r.resourceNames ? { resourceNames: [...r.resourceNames] } : {}),
  }));

/**
 * A ServiceAccount with exactly the given rights (least privilege: name every verb), as a
 * ClusterRole/ClusterRoleBinding and/or Roles/RoleBindings of the same name (in the account's
 * namespace and in each namespace of `otherNamespaceRules`). Returns the account name.
 */
export function createServiceAccount(scope: Construct, ctx: PlatformContext, o: AccessOptions): string {
  const namespace = o.namespace ?? ctx.namespace;
  const meta = { ...metadata(ctx, o.name, o.id), namespace };
  // The account never mounts its token by itself: the pods that need one ask for it (lib/pod.ts).
  new k8s.KubeServiceAccount(scope, 'service-account', {
    metadata: { ...meta, annotations: { [API_CALLS_ANNOTATION]: o.apiCalls } },
    automountServiceAccountToken: false,
  });
  const subject = { kind: 'ServiceAccount', name: o.name, namespace };
  if (o.clusterRules && o.clusterRules.length > 0) {
    new k8s.KubeClusterRole(scope, 'cluster-role', { metadata: clusterMetadata(ctx, o.name, o.id), rules: toK8s(o.clusterRules) });
    new k8s.KubeClusterRoleBinding(scope, 'cluster-role-binding', {
      metadata: clusterMetadata(ctx, o.name, o.id),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: o.name },
      subjects: [subject],
    });
  }
  const role = (suffix: string, roleNamespace: string, rules: readonly Rule[] | undefined) => {
    if (!rules || rules.length === 0) return;
    const roleMeta = { ...meta, namespace: roleNamespace };
    new k8s.KubeRole(scope, `role${suffix}`, { metadata: roleMeta, rules: toK8s(rules) });
    new k8s.KubeRoleBinding(scope, `role-binding${suffix}`, {
      metadata: roleMeta,
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: o.name },
      subjects: [subject],
    });
  };
  role('', namespace, o.namespaceRules);
  for (const [other, rules] of Object.entries(o.otherNamespaceRules ?? {})) role(`-${other}`, other, rules);
  return o.name;
}
