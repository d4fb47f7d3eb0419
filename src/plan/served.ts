import type { PlatformContext } from '../lib/context.js';
import type { ComponentIdentity } from '../lib/labels.js';
import { serviceHost } from '../lib/names.js';
import type { ComponentPlan, RouteLogin, ServedPlan } from './component.js';
import { podsOf, tcp, type Use } from './network.js';

/** What a served component adds to its name, Service and port. */
export interface ServedOptions {
  /** The connections it opens (default none). */
  readonly uses?: readonly Use[];
  /** Paths the Ingress routes to its port, and who authenticates them (default none). */
  readonly routes?: readonly { readonly path: string; readonly login: RouteLogin }[];
  /** Longest object name (default 63; StatefulSets 52). */
  readonly maxName?: number;
}

/**
 * The plan entry of a component with a Deployment or StatefulSet and a Service `<release>-<id.name>`
 * on `port`: what a new component needs to take part in the NetworkPolicies (its `uses`, and the
 * connections of its clients to its `endpoint`) and the Ingress (its `routes`).
 */
export function servedComponent(ctx: PlatformContext, id: ComponentIdentity, port: number, o: ServedOptions = {}): ServedPlan {
  const pods = podsOf(ctx, id, undefined, ctx.namespace, o.maxName);
  return {
    id,
    name: pods.name,
    pods,
    serviceName: pods.name,
    host: serviceHost(ctx, pods.name),
    port,
    endpoint: { peer: pods, ports: tcp(port) },
    uses: o.uses ?? [],
    routes: (o.routes ?? []).map((r) => ({ component: id.name, path: r.path, serviceName: pods.name, servicePort: port, login: r.login })),
  };
}

/** Where a workload without a Service of its own runs, and what it connects to. */
export interface WorkloadOptions {
  /** Role suffix of the name, e.g. `setup` (default none). */
  readonly role?: string;
  /** Namespace (default the platform's). */
  readonly namespace?: string;
  /** Longest object name (default 63; CronJobs 52). */
  readonly maxName?: number;
  /** The connections it opens (default none). */
  readonly uses?: readonly Use[];
}

/** The plan entry of a workload `<release>-<id.name>[-<role>]` that nothing connects to (a Job, a CronJob, an agent). */
export function workloadPlan(ctx: PlatformContext, id: ComponentIdentity, o: WorkloadOptions = {}): ComponentPlan {
  const pods = podsOf(ctx, id, o.role, o.namespace ?? ctx.namespace, o.maxName);
  return { id, name: pods.name, pods, uses: o.uses ?? [] };
}
