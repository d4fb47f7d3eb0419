import type { Edge, EdgePort, Peer } from './network-graph.js';

/** Code-point order (locale-independent, so the output is the same everywhere). */
const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The edges of one peer at the far end, with the union of their ports. */
export interface EdgeGroup {
  /** The peer (the first edge's, for peers that share a key). */
  readonly peer: Peer;
  /** Distinct ports, by number then protocol. */
  readonly ports: readonly EdgePort[];
}

/**
 * Groups edges by the peer at their `side` end, keyed by `keyOf` (undefined leaves an edge out),
 * each group with the union of its edges' ports; groups in key order. One rule of a policy is made
 * of each group (NetworkPolicy peers, Cilium entities).
 */
export function groupByPeer(edges: readonly Edge[], side: 'from' | 'to', keyOf: (peer: Peer) => string | undefined): EdgeGroup[] {
  const groups = new Map<string, { peer: Peer; ports: Map<string, EdgePort> }>();
  for (const e of edges) {
    const peer = side === 'from' ? e.from : e.to;
    const key = keyOf(peer);
    if (key === undefined) continue;
    const group = groups.get(key) ?? { peer, ports: new Map<string, EdgePort>() };
    for (const p of e.ports) group.ports.set(`${String(p.port).padStart(5, '0')}/${p.protocol}`, p);
    groups.set(key, group);
  }
  return [...groups.keys()].sort(byText).map((key) => {
    const { peer, ports } = groups.get(key)!;
    return { peer, ports: [...ports.keys()].sort(byText).map((k) => ports.get(k)!) };
  });
}
