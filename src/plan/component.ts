import type { PlatformContext } from '../lib/context.js';
import type { ComponentIdentity } from '../lib/labels.js';
import type { EdgePort, Endpoint, Peer, PodsPeer, Use } from './network.js';

/**
 * Who authenticates the requests of a route:
 * - `none`: the UI has no login of its own (Prometheus, Alertmanager, the AI engine, Kibana without
 *   Elasticsearch security): routed only behind the gateway's ForwardAuth, never bare;
 * - `own`: the UI has a login of its own (Grafana, Kibana with security): behind the gateway's
 *   ForwardAuth like the others, with its own login only where there is no gateway to ask;
 * - `gateway`: the API gateway's own paths (`/api`, the hosts' `/`): it authenticates every
 *   request itself, so no ForwardAuth (which would ask it twice, and loop on its login page).
 */
export type RouteLogin = 'none' | 'own' | 'gateway';

/** A path the Ingress routes to a component's Service, e.g. `/grafana` → `<release>-grafana:3000`. */
export interface PlannedRoute {
  /** Component name, for messages (e.g. grafana). */
  readonly component: string;
  /** Path prefix (pathType Prefix), forwarded unchanged: the component serves under it. */
  readonly path: string;
  /** The Service the route goes to (the component's own) and its port. */
  readonly serviceName: string;
  readonly servicePort: number;
  /** Who authenticates its requests. */
  readonly login: RouteLogin;
}

/**
 * What the plan decides for one rendered workload, and what the NetworkPolicies and the Ingress
 * read off it: a component that is not rendered has no plan entry (undefined).
 */
export interface ComponentPlan {
  /** Identity of its pods (`app.kubernetes.io/name` and `…/component`). */
  readonly id: ComponentIdentity;
  /** Object name of the workload, `<release>-<id.name>[-<role>]`. */
  readonly name: string;
  /** Its pods on the pod network (a NetworkPolicy of their own); undefined on the host network. */
  readonly pods?: PodsPeer | undefined;
  /** The connections it opens: every one is an edge of the NetworkPolicy graph. */
  readonly uses: readonly Use[];
  /** Connections from peers outside the plan (clients on the internet), default none. */
  readonly reachedFrom?: readonly { readonly peer: Peer; readonly ports: readonly EdgePort[]; readonly why: string }[];
  /** The paths the Ingress routes to it (default none). */
  readonly routes?: readonly PlannedRoute[];
}

/** A component other components connect to: its Service and the endpoint the connection arrives at. */
export interface ServedPlan extends ComponentPlan {
  readonly pods: PodsPeer;
  /** Name of its client Service (the workload's name). */
  readonly serviceName: string;
  /** Fully qualified host of that Service. */
  readonly host: string;
  /** The client port of the Service (also the pods' port). */
  readonly port: number;
  /** Its pods on {@link port}: where the connections of its clients arrive. */
  readonly endpoint: Endpoint;
}

/** What a component construct receives besides its connections: the context, its values slice and its plan slice. */
export interface ComponentProps<V, P> {
  readonly ctx: PlatformContext;
  /** Its values slice, e.g. `grafana.*`. */
  readonly values: V;
  /** Its plan slice: names, host, URL, flags (default: planned from its identity and values; the chart hands the platform plan's). */
  readonly plan?: P | undefined;
}
