import { Construct } from 'constructs';
import {
  CiliumNetworkPolicy,
  CiliumNetworkPolicySpecEgressToEntities as ToEntity,
  CiliumNetworkPolicySpecEgressToPortsPortsProtocol as EgressProtocol,
  CiliumNetworkPolicySpecIngressFromEntities as FromEntity,
  CiliumNetworkPolicySpecIngressToPortsPortsProtocol as IngressProtocol,
} from '../../../imports/ciliumnetworkpolicy-cilium.io.js';
import type { PlatformContext } from '../../lib/context.js';
import type { ComponentIdentity } from '../../lib/labels.js';
import { metadata } from '../../lib/metadata.js';
import { groupByPeer } from './edge-groups.js';
import type { Edge, EdgePort, Peer, PodsPeer } from './network-graph.js';

/** Peers that Cilium knows by entity rather than by address. */
export type EntityPeer = Extract<Peer, { kind: 'kube-apiserver' | 'nodes' }>;

/**
 * The Cilium entities of a peer: the API server is `kube-apiserver` (wherever it runs: on the
 * nodes of kubeadm, k3s and RKE2, or outside the cluster); host-network pods are the local node
 * (`host`) or another one (`remote-node`). Undefined for peers that NetworkPolicies express.
 */
export function ciliumEntities(peer: Peer): readonly ('kube-apiserver' | 'host' | 'remote-node')[] | undefined {
  if (peer.kind === 'kube-apiserver') return ['kube-apiserver'];
  if (peer.kind === 'nodes') return ['host', 'remote-node'];
  return undefined;
}

/** Props of {@link CiliumEntityPolicies}. */
export interface CiliumEntityPoliciesProps {
  readonly ctx: PlatformContext;
  /** Identity of the policies (labels). */
  readonly id: ComponentIdentity;
  /** The workloads, in output order. */
  readonly workloads: readonly PodsPeer[];
  /** Every edge of the graph; only those with an entity peer are used here. */
  readonly edges: readonly Edge[];
}

/**
 * CiliumNetworkPolicies (cilium.io/v2) for the edges between workloads and Cilium entities: one
 * per workload that has such an edge, named like the workload and its NetworkPolicy (the kinds
 * differ). Cilium allows the union of every policy that selects a pod, so these only add the
 * entity edges to the NetworkPolicies, which keep every pod-to-pod edge.
 */
export class CiliumEntityPolicies extends Construct {
  constructor(scope: Construct, id: string, props: CiliumEntityPoliciesProps) {
    super(scope, id);
    const { ctx, edges } = props;
    for (const pods of props.workloads) {
      const egress = entityRules(edges.filter((e) => e.from.kind === 'pods' && e.from.name === pods.name), 'to');
      const ingress = entityRules(edges.filter((e) => e.to.kind === 'pods' && e.to.name === pods.name), 'from');
      if (egress.length === 0 && ingress.length === 0) continue;
      new CiliumNetworkPolicy(this, pods.name, {
        metadata: { ...metadata(ctx, pods.name, props.id), namespace: pods.namespace },
        spec: {
          endpointSelector: { matchLabels: { ...pods.selector } },
          ...(ingress.length > 0
            ? {
                ingress: ingress.map((r) => ({
                  fromEntities: r.entities.map((e) => e as FromEntity),
                  toPorts: [{ ports: r.ports.map((p) => ({ port: String(p.port), protocol: p.protocol as IngressProtocol })) }],
                })),
              }
            : {}),
          ...(egress.length > 0
            ? {
                egress: egress.map((r) => ({
                  toEntities: r.entities.map((e) => e as ToEntity),
                  toPorts: [{ ports: r.ports.map((p) => ({ port: String(p.port), protocol: p.protocol as EgressProtocol })) }],
                })),
              }
            : {}),
        },
      });
    }
  }
}

interface EntityRule {
  readonly entities: readonly string[];
  readonly ports: readonly EdgePort[];
}

/** One rule per entity set at the `side` end of the edges, with the union of their ports; sorted. */
function entityRules(edges: readonly Edge[], side: 'from' | 'to'): EntityRule[] {
  return groupByPeer(edges, side, (peer) => ciliumEntities(peer)?.join(',')).map(({ peer, ports }) => ({ entities: ciliumEntities(peer)!, ports }));
}
