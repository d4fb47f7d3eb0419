/**
 * Test support: evaluates rendered NetworkPolicy objects (networking.k8s.io/v1) the way Kubernetes
 * defines them. A pod selected by some policy whose policyTypes name a direction is isolated in
 * that direction; a connection is then allowed when any rule of any selecting policy matches it.
 * A connection needs both the egress side of the source and the ingress side of the destination.
 * Policies never apply to endpoints that are not pods (the outside world, nodes, the API server).
 *
 * With `cni: 'cilium'`, Cilium's semantics as its documentation states them: an endpoint that is a
 * Cilium entity (the API server, the local or a remote node) is never matched by an ipBlock
 * (unless `policy-cidr-match-mode: nodes`, which we do not assume), and CiliumNetworkPolicies
 * (cilium.io/v2, `toEntities`/`fromEntities` with `toPorts`) select pods by `endpointSelector`;
 * a pod is isolated in a direction when any NetworkPolicy or CiliumNetworkPolicy selecting it
 * has that direction, and then allowed the union of all their rules.
 */

/** A pod (namespace and labels) or an address outside the pod network (ip). */
export interface Endpoint {
  /** Namespace of a pod; undefined for an address (world, a node, the API server). */
  readonly namespace?: string;
  readonly labels?: Readonly<Record<string, string>>;
  /** IPv4 address of a non-pod endpoint. Pods have none: ipBlocks never match them (implementation-defined in Kubernetes). */
  readonly ip?: string;
  /** The Cilium entity of a non-pod endpoint inside the cluster (undefined: `world`). */
  readonly entity?: 'kube-apiserver' | 'host' | 'remote-node';
}

/** Which CNI's semantics to evaluate with. */
export type Cni = 'kubernetes' | 'cilium';

/** Labels of each namespace, for namespaceSelectors; `kubernetes.io/metadata.name` is added for every name. */
export type NamespaceLabels = Readonly<Record<string, Readonly<Record<string, string>>>>;

type Selector = { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values?: string[] }[] };

/** Whether a label selector selects these labels ({} selects everything). */
export function selects(selector: Selector | undefined, labels: Readonly<Record<string, string>> = {}): boolean {
  if (!selector) return true;
  const byLabels = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  const byExpressions = (selector.matchExpressions ?? []).every((e) => {
    const has = e.key in labels;
    switch (e.operator) {
      case 'In':
        return has && (e.values ?? []).includes(labels[e.key]!);
      case 'NotIn':
        return !has || !(e.values ?? []).includes(labels[e.key]!);
      case 'Exists':
        return has;
      case 'DoesNotExist':
        return !has;
      default:
        throw new Error(`unknown selector operator ${e.operator}`);
    }
  });
  return byLabels && byExpressions;
}

function ipv4(ip: string): number | undefined {
  const parts = ip.split('.').map(Number);
  return parts.length === 4 && parts.every((p) => Number.isInteger(p) && p >= 0 && p <= 255) ? parts.reduce((a, p) => a * 256 + p, 0) : undefined;
}

/** Whether an IPv4 address is in a CIDR (IPv6 CIDRs never contain an IPv4 address). */
export function inCidr(ip: string, cidr: string): boolean {
  const [base, bits] = cidr.split('/');
  const a = ipv4(ip);
  const b = ipv4(base!);
  if (a === undefined || b === undefined) return false;
  const size = 2 ** (32 - Number(bits));
  return Math.floor(a / size) === Math.floor(b / size);
}

function policyTypes(policy: any): string[] {
  return policy.spec.policyTypes ?? ['Ingress', ...(policy.spec.egress ? ['Egress'] : [])];
}

function portMatches(ports: any[] | undefined, port: number, protocol: string): boolean {
  if (!ports || ports.length === 0) return true;
  return ports.some((p) => {
    if (typeof p.port === 'string') throw new Error(`named port ${p.port}: not supported by this evaluator`);
    if ((p.protocol ?? 'TCP') !== protocol) return false;
    if (p.port === undefined) return true;
    return p.endPort ? port >= p.port && port <= p.endPort : port === p.port;
  });
}

function peerMatches(peer: any, endpoint: Endpoint, policyNamespace: string, namespaces: NamespaceLabels, cni: Cni): boolean {
  if (peer.ipBlock) {
    if (!endpoint.ip || (cni === 'cilium' && endpoint.entity)) return false;
    return inCidr(endpoint.ip, peer.ipBlock.cidr) && !(peer.ipBlock.except ?? []).some((c: string) => inCidr(endpoint.ip!, c));
  }
  if (endpoint.namespace === undefined) return false;
  const namespace = endpoint.namespace;
  const inNamespace = peer.namespaceSelector
    ? selects(peer.namespaceSelector, { ...namespaces[namespace], 'kubernetes.io/metadata.name': namespace })
    : namespace === policyNamespace;
  return inNamespace && selects(peer.podSelector, endpoint.labels);
}

/** Whether a Cilium rule's ports (`toPorts[].ports[]`, ports as strings) admit the port; none given: every port. */
function ciliumPortMatches(toPorts: any[] | undefined, port: number, protocol: string): boolean {
  if (!toPorts || toPorts.length === 0) return true;
  return toPorts.some((tp) => (tp.ports ?? []).some((p: any) => Number(p.port) === port && [protocol, 'ANY'].includes(p.protocol ?? 'ANY')));
}

function ciliumRuleMatches(rule: any, other: Endpoint, port: number, protocol: string, type: 'Ingress' | 'Egress'): boolean {
  const known = type === 'Ingress' ? ['fromEntities', 'toPorts'] : ['toEntities', 'toPorts'];
  const unknown = Object.keys(rule).filter((k) => !known.includes(k));
  if (unknown.length > 0) throw new Error(`CiliumNetworkPolicy rule keys ${unknown.join(', ')}: not supported by this evaluator`);
  const entities: string[] = (type === 'Ingress' ? rule.fromEntities : rule.toEntities) ?? [];
  const entity = other.namespace !== undefined ? 'cluster' : (other.entity ?? 'world');
  const entityOk = entities.some((e) => e === 'all' || e === entity || (e === 'cluster' && entity !== 'world'));
  return entityOk && ciliumPortMatches(rule.toPorts, port, protocol);
}

function allowedOneWay(policies: readonly any[], namespaces: NamespaceLabels, subject: Endpoint, other: Endpoint, port: number, protocol: string, type: 'Ingress' | 'Egress', cni: Cni): boolean {
  if (subject.namespace === undefined) return true;
  const key = type === 'Ingress' ? 'ingress' : 'egress';
  const selecting = policies.filter(
    (p) => p.kind === 'NetworkPolicy' && p.metadata.namespace === subject.namespace && policyTypes(p).includes(type) && selects(p.spec.podSelector, subject.labels),
  );
  const ciliumSelecting =
    cni === 'cilium'
      ? policies.filter((p) => p.kind === 'CiliumNetworkPolicy' && p.metadata.namespace === subject.namespace && p.spec[key] && selects(p.spec.endpointSelector, subject.labels))
      : [];
  if (selecting.length === 0 && ciliumSelecting.length === 0) return true;
  const byNetworkPolicy = selecting.some((p) =>
    ((type === 'Ingress' ? p.spec.ingress : p.spec.egress) ?? []).some((rule: any) => {
      const peers: any[] | undefined = type === 'Ingress' ? rule.from : rule.to;
      const peerOk = !peers || peers.length === 0 || peers.some((peer) => peerMatches(peer, other, p.metadata.namespace, namespaces, cni));
      return peerOk && portMatches(rule.ports, port, protocol);
    }),
  );
  return byNetworkPolicy || ciliumSelecting.some((p) => (p.spec[key] as any[]).some((rule) => ciliumRuleMatches(rule, other, port, protocol, type)));
}

/** Whether the policies let `from` open a connection to `to` on `port`/`protocol` (both directions checked). */
export function allows(policies: readonly any[], namespaces: NamespaceLabels, from: Endpoint, to: Endpoint, port: number, protocol: 'TCP' | 'UDP' = 'TCP', cni: Cni = 'kubernetes'): boolean {
  return allowedOneWay(policies, namespaces, from, to, port, protocol, 'Egress', cni) && allowedOneWay(policies, namespaces, to, from, port, protocol, 'Ingress', cni);
}
