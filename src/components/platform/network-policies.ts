import { k8s } from '../../lib/k8s.js';
import { Construct } from 'constructs';
import type { PlatformContext } from '../../lib/context.js';
import type { ComponentIdentity } from '../../lib/labels.js';
import { metadata } from '../../lib/metadata.js';
import { objectName } from '../../lib/names.js';
import type { Values } from '../../values/schema/index.js';
import { CiliumEntityPolicies, ciliumEntities } from './cilium-policies.js';
import { groupByPeer } from './edge-groups.js';
import type { Edge, Peer, PodsPeer } from './network-graph.js';

/** Props of {@link NetworkPolicies}. */
export interface NetworkPoliciesProps {
  readonly ctx: PlatformContext;
  /** The `networkPolicy.*` values slice (defaultDeny, kubeApiServerCidrs, nodeCidrs, dns). */
  readonly values: Values['networkPolicy'];
  /** The edges of the plan's connections (`networkEdges` of network-graph.ts): every allowed connection. */
  readonly edges: readonly Edge[];
  /** Namespaces that get the default-deny policy: the platform's, and the node agents' when the chart creates it. */
  readonly namespaces: readonly string[];
}

const ID: ComponentIdentity = { name: 'aiops-platform', component: 'network-policy' };
/** The label every namespace carries (Kubernetes ≥ 1.21), the only portable way to select one by name. */
const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';
const BOTH: string[] = ['Ingress', 'Egress'];

/**
 * NetworkPolicies (networking.k8s.io/v1) from the component graph. One policy per workload,
 * `<release>-<workload>` (the workload's own name; the kinds differ), selecting its pods by their
 * stable selector labels and isolating them both ways: its ingress rules are the edges into it,
 * its egress rules the edges out of it, so the two sides of an edge come from the same entry and
 * never disagree. One rule per peer (sorted), with the union of that peer's ports.
 * With `defaultDeny`, `<release>-default-deny` (every pod, both directions) in each namespace of
 * `namespaces` isolates every other pod there too.
 *
 * Peers: pods by namespace name and pod labels; `world` by leaving the rule's peers out (any
 * source or destination, IPv4 and IPv6); the API server and host-network pods by ipBlocks of
 * `kubeApiServerCidrs` and `nodeCidrs`; DNS by `dns.namespace` + `dns.podSelector` (+ `dns.cidrs`).
 * With `flavor: cilium` the API server and node edges are CiliumNetworkPolicies by entity instead
 * (see cilium-policies.ts): Cilium matches ipBlocks against neither unless told to.
 * Kubelet probes are not allowed explicitly: they come from the node, which most CNIs (Calico,
 * Cilium, Antrea) let through regardless. Host-network pods (node-exporter) are never selected by
 * a NetworkPolicy.
 */
export class NetworkPolicies extends Construct {
  /** The edges the policies were built from (for tests and tooling that check them against the render). */
  readonly edges: readonly Edge[];

  constructor(scope: Construct, id: string, props: NetworkPoliciesProps) {
    super(scope, id);
    const { ctx, values, edges } = props;
    this.edges = edges;
    if (values.defaultDeny) {
      for (const namespace of props.namespaces) {
        new k8s.KubeNetworkPolicy(this, `default-deny-${namespace}`, {
          metadata: { ...metadata(ctx, objectName(ctx, 'default-deny'), ID), namespace },
          spec: { podSelector: {}, policyTypes: BOTH },
        });
      }
    }
    // With Cilium, the edges to entities (API server, nodes) go into CiliumNetworkPolicies instead of ipBlocks.
    const cilium = values.flavor === 'cilium';
    const inNetworkPolicy = cilium ? edges.filter((e) => !ciliumEntities(e.from) && !ciliumEntities(e.to)) : edges;
    const workloads = workloadsOf(edges);
    for (const pods of workloads) {
      const ingress = rulesFor(inNetworkPolicy.filter((e) => e.to.kind === 'pods' && e.to.name === pods.name), 'from', values);
      const egress = rulesFor(inNetworkPolicy.filter((e) => e.from.kind === 'pods' && e.from.name === pods.name), 'to', values);
      new k8s.KubeNetworkPolicy(this, pods.name, {
        metadata: { ...metadata(ctx, pods.name, ID), namespace: pods.namespace },
        spec: {
          podSelector: { matchLabels: { ...pods.selector } },
          policyTypes: BOTH,
          ...(ingress.length > 0 ? { ingress: ingress.map(({ peers, ports }) => ({ ...(peers ? { from: peers } : {}), ports })) } : {}),
          ...(egress.length > 0 ? { egress: egress.map(({ peers, ports }) => ({ ...(peers ? { to: peers } : {}), ports })) } : {}),
        },
      });
    }
    if (cilium) new CiliumEntityPolicies(this, 'cilium', { ctx, id: ID, workloads, edges });
  }
}

/** Code-point order (locale-independent, so the output is the same everywhere) of map entries by key. */
const byKey = <T>([a]: [string, T], [b]: [string, T]) => (a < b ? -1 : a > b ? 1 : 0);

/** The workloads at either end of an edge, once each, by name (unique in a release) and namespace. */
function workloadsOf(edges: readonly Edge[]): PodsPeer[] {
  const byName = new Map<string, PodsPeer>();
  for (const peer of edges.flatMap((e) => [e.from, e.to])) if (peer.kind === 'pods') byName.set(`${peer.name} ${peer.namespace}`, peer);
  return [...byName.entries()].sort(byKey).map(([, peer]) => peer);
}

interface Rule {
  /** Undefined: any peer. */
  readonly peers: k8s.NetworkPolicyPeer[] | undefined;
  readonly ports: k8s.NetworkPolicyPort[];
}

/** One rule per peer at the `side` end of the edges, with the union of their ports; sorted by peer. */
function rulesFor(edges: readonly Edge[], side: 'from' | 'to', values: Values['networkPolicy']): Rule[] {
  return groupByPeer(edges, side, peerKey).map(({ peer, ports }) => ({
    peers: peersOf(peer, values),
    ports: ports.map((p) => ({ port: k8s.IntOrString.fromNumber(p.port), protocol: p.protocol })),
  }));
}

/** Sort key: workloads by namespace and name first, then the other kinds. */
function peerKey(peer: Peer): string {
  return peer.kind === 'pods' ? `0/${peer.namespace}/${peer.name}` : `1/${peer.kind}`;
}

function peersOf(peer: Peer, values: Values['networkPolicy']): k8s.NetworkPolicyPeer[] | undefined {
  const ipBlocks = (cidrs: readonly string[]) => cidrs.map((cidr) => ({ ipBlock: { cidr } }));
  const inNamespace = (namespace: string, labels: Readonly<Record<string, string>>): k8s.NetworkPolicyPeer => ({
    namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: namespace } },
    podSelector: { matchLabels: { ...labels } },
  });
  switch (peer.kind) {
    case 'pods':
      return [inNamespace(peer.namespace, peer.selector)];
    case 'world':
      return undefined;
    case 'nodes':
      return ipBlocks(values.nodeCidrs);
    case 'kube-apiserver':
      return ipBlocks(values.kubeApiServerCidrs);
    case 'kube-dns':
      return [inNamespace(values.dns.namespace, values.dns.podSelector), ...ipBlocks(values.dns.cidrs)];
  }
}
