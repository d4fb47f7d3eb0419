import { GATEWAY_AUTH } from '../core/gateway-auth.js';
import type { PlatformContext } from '../lib/context.js';
import type { Values } from '../values/schema/index.js';
import { CATALOG } from './catalog.js';
import type { ComponentPlan, PlannedRoute, ServedPlan } from './component.js';
import { apiServer, podsOf, tcp, use, WORLD, type Endpoint, type PodsPeer } from './network.js';

const { id: ID, ports: PORTS } = CATALOG.traefik;

/** The Ingress and the gateway's login in front of it. */
export interface IngressPlan {
  /** `ingress.enabled`. */
  readonly enabled: boolean;
  /** Any `ingress.tls` entry: Traefik redirects HTTP to HTTPS on every host, so every routed request is HTTPS. */
  readonly tls: boolean;
  /** Why the gateway's ForwardAuth cannot guard the UIs (undefined: it can). */
  readonly noAuth: string | undefined;
  /** Every route of the rendered components, in order (the hosts' own `/` last). */
  readonly routes: readonly PlannedRoute[];
  /**
   * The strip-headers and ForwardAuth Middlewares are rendered, and every route but the
   * gateway's own carries both: some UI is routed and the gateway and the chart's Traefik are on.
   */
  readonly forwardAuth: boolean;
  /** Why the UIs without a login of their own are not routed (undefined with ForwardAuth). */
  readonly unprotected: string | undefined;
  /** The routes actually served: those without a login of their own only with ForwardAuth. */
  readonly served: readonly PlannedRoute[];
}

/** Traefik: Deployment and Service `<release>-traefik`; the ingress controller. */
export interface TraefikPlan extends ComponentPlan {
  readonly pods: PodsPeer;
  /** Its metrics entry point (scraped through the pod annotations). */
  readonly metrics: Endpoint;
}

/** Why the gateway's ForwardAuth cannot guard the routed UIs (undefined: it can). */
export function noIngressAuth(v: Values): string | undefined {
  if (!v.apiGateway.enabled) return "apiGateway.enabled is false, and the gateway's login is the only one in front of them";
  if (!v.traefik.enabled) return "traefik.enabled is false, and the ForwardAuth Middleware needs the chart's Traefik";
  return undefined;
}

/** Grafana's routes carry ForwardAuth: it then trusts the gateway's user and role headers (auth.proxy) instead of its own login. */
export function grafanaBehindGateway(v: Values): boolean {
  return v.ingress.enabled && !noIngressAuth(v);
}

/** Grafana's login does not cover /grafana/metrics: it is served only where the Ingress cannot publish it bare. */
export function grafanaMetricsServed(v: Values): boolean {
  return !(v.ingress.enabled && noIngressAuth(v));
}

/** The routes of `components` (in their order), and which of them are served. */
export function ingressPlan(v: Values, components: Iterable<ComponentPlan | undefined>): IngressPlan {
  const noAuth = noIngressAuth(v);
  const routes = v.ingress.enabled ? [...components].flatMap((c) => c?.routes ?? []) : [];
  const forwardAuth = routes.some((r) => r.login !== 'gateway') && !noAuth;
  return {
    enabled: v.ingress.enabled,
    tls: v.ingress.enabled && v.ingress.tls.length > 0,
    noAuth,
    routes,
    forwardAuth,
    unprotected: forwardAuth ? undefined : (noAuth ?? 'nothing to protect'),
    served: forwardAuth ? routes : routes.filter((r) => r.login !== 'none'),
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

/**
 * Traefik forwards each served route to its backend, the pods of the component that owns the
 * route, and with ForwardAuth asks the gateway (`gateway`) about every request to a UI.
 */
export function withRoutes(
  traefik: TraefikPlan,
  ingress: Pick<IngressPlan, 'served' | 'forwardAuth'>,
  components: Iterable<ComponentPlan | undefined>,
  gateway: ServedPlan | undefined,
): TraefikPlan {
  const owners = new Map([...components].flatMap((c) => (c?.pods ? [[c.pods.name, c.pods] as const] : [])));
  const forwards = ingress.served.flatMap((r) => {
    const pods = owners.get(r.serviceName);
    return pods ? use({ peer: pods, ports: tcp(r.servicePort) }, `Ingress route ${r.path}`) : [];
  });
  const verify = ingress.forwardAuth ? use(gateway?.endpoint, `ForwardAuth: GET ${GATEWAY_AUTH.verifyPath} on the gateway for every request to a UI`) : [];
  return { ...traefik, uses: [...traefik.uses, ...forwards, ...verify] };
}
