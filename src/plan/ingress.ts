import type { PlatformContext } from '../lib/context.js';
import type { Values } from '../values/schema/index.js';
import { CATALOG } from './catalog.js';
import type { ComponentPlan, PlannedRoute } from './component.js';
import { apiServer, podsOf, tcp, use, WORLD, type Endpoint, type PodsPeer } from './network.js';

const { id: ID, ports: PORTS } = CATALOG.traefik;

/** The Ingress and what it can protect. */
export interface IngressPlan {
  /** `ingress.enabled`. */
  readonly enabled: boolean;
  /** Why basic auth cannot be put in front of what has no login of its own; undefined: it can. */
  readonly noAuth: string | undefined;
  /** Every route of the rendered components, in order (the hosts' own `/` last). */
  readonly routes: readonly PlannedRoute[];
  /** The basic-auth Middleware is rendered: some route needs it and it can be. */
  readonly basicAuth: boolean;
  /** Why the protected routes are not routed (undefined with basic auth). */
  readonly unprotected: string | undefined;
  /** The routes actually served: the protected ones only with basic auth. */
  readonly served: readonly PlannedRoute[];
}

/** Traefik: Deployment and Service `<release>-traefik`; the ingress controller. */
export interface TraefikPlan extends ComponentPlan {
  readonly pods: PodsPeer;
  /** Its metrics entry point (scraped through the pod annotations). */
  readonly metrics: Endpoint;
}

/** Why the Ingress cannot put basic auth in front of what has no login of its own (undefined: it can). */
export function noIngressAuth(v: Values): string | undefined {
  if (!v.ingress.basicAuth.enabled) return 'ingress.basicAuth.enabled is false';
  if (!v.traefik.enabled) return "traefik.enabled is false, and the basic-auth Middleware needs the chart's Traefik";
  return undefined;
}

/** Grafana's login does not cover /grafana/metrics: it is served only where the Ingress cannot publish it bare. */
export function grafanaMetricsServed(v: Values): boolean {
  return !(v.ingress.enabled && noIngressAuth(v));
}

/** The routes of `components` (in their order), and which of them are served. */
export function ingressPlan(v: Values, components: Iterable<ComponentPlan | undefined>): IngressPlan {
  const noAuth = noIngressAuth(v);
  const routes = v.ingress.enabled ? [...components].flatMap((c) => c?.routes ?? []) : [];
  const basicAuth = routes.some((r) => r.protect) && !noAuth;
  return {
    enabled: v.ingress.enabled,
    noAuth,
    routes,
    basicAuth,
    unprotected: basicAuth ? undefined : (noAuth ?? 'nothing to protect'),
    served: basicAuth ? routes : routes.filter((r) => !r.protect),
  };
}

/** Traefik without its routes (the components it routes to are planned after it). */
export function traefikPlan(ctx: PlatformContext): TraefikPlan {
  const pods = podsOf(ctx, ID);
  return {
    id: ID,
    name: pods.name,
    pods,
    metrics: { peer: pods, ports: tcp(PORTS.metrics) },
    reachedFrom: [{ peer: WORLD, ports: tcp(PORTS.web, PORTS.websecure), why: 'clients reach the web and websecure entry points through the Traefik Service' }],
    uses: [apiServer('Traefik watches Ingresses, Services, EndpointSlices, Secrets, IngressClasses and Nodes')],
  };
}

/** Traefik forwards each served route to its backend, the pods of the component that owns the route. */
export function withRoutes(traefik: TraefikPlan, served: readonly PlannedRoute[], components: Iterable<ComponentPlan | undefined>): TraefikPlan {
  const owners = new Map([...components].flatMap((c) => (c?.pods ? [[c.pods.name, c.pods] as const] : [])));
  const forwards = served.flatMap((r) => {
    const pods = owners.get(r.serviceName);
    return pods ? use({ peer: pods, ports: tcp(r.servicePort) }, `Ingress route ${r.path}`) : [];
  });
  return { ...traefik, uses: [...traefik.uses, ...forwards] };
}
