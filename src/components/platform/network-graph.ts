import type { ComponentPlan } from '../../plan/component.js';
import { DNS_PORTS, KUBE_DNS, type Edge } from '../../plan/network.js';

export type { Edge, EdgePort, Peer, PodsPeer } from '../../plan/network.js';

/**
 * Every connection between the platform's pods, and from them to DNS, the API server, the nodes
 * and the outside world, read off the plan: the connections each component `uses` (the same ones
 * its construct is wired with), the peers outside the plan it is `reachedFrom`, and DNS for every
 * pod. The single source of both sides of every NetworkPolicy; a component that is not rendered
 * has no plan entry and takes no part. Pure.
 *
 * Not edges: kubelet probes (from the node; most CNIs let node → pod traffic through whatever the
 * policies say) and loopback (sidecar exporters reach their server on 127.0.0.1).
 */
export function networkEdges(components: Iterable<ComponentPlan>): Edge[] {
  const edges: Edge[] = [];
  for (const c of components) {
    if (!c.pods) continue;
    for (const u of c.uses) edges.push({ from: c.pods, to: u.to.peer, ports: u.to.ports, why: u.why });
    for (const r of c.reachedFrom ?? []) edges.push({ from: r.peer, to: c.pods, ports: r.ports, why: r.why });
    edges.push({ from: c.pods, to: KUBE_DNS, ports: DNS_PORTS, why: 'DNS' });
  }
  return edges;
}
