import type { PlatformContext } from '../lib/context.js';
import { selectorLabels, type ComponentIdentity } from '../lib/labels.js';
import { objectName } from '../lib/names.js';

/** The pods of one workload: its object name, namespace and stable selector labels. */
export interface PodsPeer {
  readonly kind: 'pods';
  /** Name of the workload (`<release>-<component>[-<role>]`), also the name of its NetworkPolicy. */
  readonly name: string;
  readonly namespace: string;
  readonly selector: Readonly<Record<string, string>>;
}

/**
 * One end of an edge: the pods of a workload; `world` (any address, in or outside the cluster);
 * `nodes` (host-network pods: `networkPolicy.nodeCidrs`); the cluster DNS (`networkPolicy.dns`);
 * the Kubernetes API server (`networkPolicy.kubeApiServerCidrs`).
 */
export type Peer = PodsPeer | { readonly kind: 'world' } | { readonly kind: 'nodes' } | { readonly kind: 'kube-dns' } | { readonly kind: 'kube-apiserver' };

/** A port of an edge, as the destination pod listens on it (NetworkPolicies match pod ports, after Service DNAT). */
export interface EdgePort {
  readonly port: number;
  readonly protocol: 'TCP' | 'UDP';
}

/** A connection one side opens to the other, on these destination ports. */
export interface Edge {
  readonly from: Peer;
  readonly to: Peer;
  readonly ports: readonly EdgePort[];
  /** Who makes the connection and what for, e.g. "Logstash writes the log indices". */
  readonly why: string;
}

/** Where a connection arrives: a peer and the ports it listens on. */
export interface Endpoint {
  readonly peer: Peer;
  readonly ports: readonly EdgePort[];
}

/** A connection a component opens, to an endpoint, and what for: one edge of the NetworkPolicy graph. */
export interface Use {
  readonly to: Endpoint;
  readonly why: string;
}

export const tcp = (...ports: number[]): EdgePort[] => ports.map((port) => ({ port, protocol: 'TCP' }));
export const WORLD: Peer = { kind: 'world' };
export const NODES: Peer = { kind: 'nodes' };
export const KUBE_DNS: Peer = { kind: 'kube-dns' };
export const KUBE_APISERVER: Peer = { kind: 'kube-apiserver' };
/** Port 53 over both transports: large answers fall back to TCP. */
export const DNS_PORTS: EdgePort[] = [
  { port: 53, protocol: 'UDP' },
  { port: 53, protocol: 'TCP' },
];
/**
 * The API server's own ports: `kubernetes.default.svc:443` is DNATed to the endpoint before
 * policies apply, which listens on 6443 (kubeadm, k3s, kind) or 443 (most managed clusters).
 */
const API_SERVER_PORTS = tcp(443, 6443);

/**
 * The kubelet's HTTPS port on every node (its `--port`, 10250 on kubeadm, k3s, kind and the managed
 * clusters): /metrics/cadvisor is served there.
 */
export const KUBELET_PORT = 10250;

/** The API server, for a component that watches or changes objects. */
export const apiServer = (why: string): Use => ({ to: { peer: KUBE_APISERVER, ports: API_SERVER_PORTS }, why });

/** A use of `endpoint` for `why`; none when the endpoint (its component) is not rendered or has no port. */
export function use(endpoint: Endpoint | undefined, why: string): Use[] {
  return endpoint && endpoint.ports.length > 0 ? [{ to: endpoint, why }] : [];
}

/** The pods of a workload `<release>-<id.name>[-<role>]`, in the platform namespace unless told. */
export function podsOf(ctx: PlatformContext, id: ComponentIdentity, role?: string, namespace = ctx.namespace, max?: number): PodsPeer {
  return { kind: 'pods', name: objectName(ctx, id.name, role, max), namespace, selector: selectorLabels(ctx, id) };
}
