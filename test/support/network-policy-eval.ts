/**
 * Test support: evaluates rendered NetworkPolicy objects (networking.k8s.io/v1) the way Kubernetes
 * defines them. A pod selected by some policy whose policyTypes name a direction is isolated in
 * that direction; a connection is then allowed when any rule of any selecting policy matches it.
 * A connection needs both the egress side of the source and the ingress side of the destination.
 * Policies never apply to endpoints that are not pods (the outside world, nodes, the API server).
 */

/** A pod (namespace and labels) or an address outside the pod network (ip). */
export interface Endpoint {
  /** Namespace of a pod; undefined for an address (world, a node, the API server). */
  readonly namespace?: string;
  readonly labels?: Readonly<Record<string, string>>;
  /** IPv4 address of a non-pod endpoint. Pods have none: ipBlocks never match them (implementation-defined in Kubernetes). */
  readonly ip?: string;
}

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

function peerMatches(peer: any, endpoint: Endpoint, policyNamespace: string, namespaces: NamespaceLabels): boolean {
  if (peer.ipBlock) {
    if (!endpoint.ip) return false;
    return inCidr(endpoint.ip, peer.ipBlock.cidr) && !(peer.ipBlock.except ?? []).some((c: string) => inCidr(endpoint.ip!, c));
  }
  if (endpoint.namespace === undefined) return false;
  const namespace = endpoint.namespace;
  const inNamespace = peer.namespaceSelector
    ? selects(peer.namespaceSelector, { ...namespaces[namespace], 'kubernetes.io/metadata.name': namespace })
    : namespace === policyNamespace;
  return inNamespace && selects(peer.podSelector, endpoint.labels);
}

function allowedOneWay(policies: readonly any[], namespaces: NamespaceLabels, subject: Endpoint, other: Endpoint, port: number, protocol: string, type: 'Ingress' | 'Egress'): boolean {
  if (subject.namespace === undefined) return true;
  const selecting = policies.filter(
    (p) => p.kind === 'NetworkPolicy' && p.metadata.namespace === subject.namespace && policyTypes(p).includes(type) && selects(p.spec.podSelector, subject.labels),
  );
  if (selecting.length === 0) return true;
  return selecting.some((p) =>
    ((type === 'Ingress' ? p.spec.ingress : p.spec.egress) ?? []).some((rule: any) => {
      const peers: any[] | undefined = type === 'Ingress' ? rule.from : rule.to;
      const peerOk = !peers || peers.length === 0 || peers.some((peer) => peerMatches(peer, other, p.metadata.namespace, namespaces));
      return peerOk && portMatches(rule.ports, port, protocol);
    }),
  );
}

/** Whether the policies let `from` open a connection to `to` on `port`/`protocol` (both directions checked). */
export function allows(policies: readonly any[], namespaces: NamespaceLabels, from: Endpoint, to: Endpoint, port: number, protocol: 'TCP' | 'UDP' = 'TCP'): boolean {
  return allowedOneWay(policies, namespaces, from, to, port, protocol, 'Egress') && allowedOneWay(policies, namespaces, to, from, port, protocol, 'Ingress');
}
