import type { Construct } from 'constructs';
import { GatewayAuth } from './components/ingress/forward-auth.js';
import { PlatformIngress, type IngressProtection } from './components/ingress/platform-ingress.js';
import { Traefik } from './components/ingress/traefik.js';
import { networkEdges } from './components/platform/network-graph.js';
import { NetworkPolicies } from './components/platform/network-policies.js';
import type { PlatformContext } from './lib/context.js';
import { plannedComponents, type PlatformPlan } from './plan/index.js';
import type { Values } from './values/schema/index.js';

/*
 * The parts of the chart that read the whole plan rather than one component: the edge (Traefik,
 * the gateway's login Middlewares, the Ingresses from every component's routes) and the
 * NetworkPolicies (from every component's connections). A component with a plan entry takes part
 * in both without a change here.
 */

/**
 * Traefik, the gateway's strip-headers and ForwardAuth Middlewares in front of the UIs (when some
 * UI is routed and the gateway and Traefik are on), and the Ingresses of the plan's routes; the
 * hosts' own paths go to the API gateway.
 */
export function platformEdge(scope: Construct, ctx: PlatformContext, v: Values, plan: PlatformPlan): void {
  const { ingress } = plan;
  const traefik = plan.traefik
    ? new Traefik(scope, 'traefik', { ctx, values: v.traefik, plan: plan.traefik, ingressClassName: v.ingress.className, tls: ingress.tls, crdProvider: ingress.forwardAuth }).connection
    : undefined;
  const protection: IngressProtection =
    ingress.forwardAuth && plan.apiGateway
      ? { refs: new GatewayAuth(scope, 'forward-auth', { ctx, gatewayUrl: plan.apiGateway.url }).refs }
      : { unavailable: ingress.unprotected ?? 'nothing to protect' };
  if (!ingress.enabled) return;
  new PlatformIngress(scope, 'ingress', {
    ctx,
    values: v.ingress,
    className: traefik?.ingressClassName ?? v.ingress.className,
    routes: ingress.routes.filter((r) => r.path !== '/'),
    protection,
    defaultBackend: plan.apiGateway && { serviceName: plan.apiGateway.serviceName, servicePort: plan.apiGateway.port },
  });
}

/** With `networkPolicy.enabled`: both sides of every connection of the plan, and the default deny. */
export function platformNetworkPolicies(scope: Construct, ctx: PlatformContext, v: Values, plan: PlatformPlan): void {
  if (!v.networkPolicy.enabled) return;
  if (plan.ingress.enabled && !plan.traefik) {
    ctx.warn('networkPolicy.enabled with traefik.enabled false: no policy admits your own Ingress controller to the routed components; add a NetworkPolicy for it');
  }
  const namespaces = plan.agentsNamespace ? [ctx.namespace, ctx.agentsNamespace] : [ctx.namespace];
  new NetworkPolicies(scope, 'network-policies', { ctx, values: v.networkPolicy, edges: networkEdges(plannedComponents(plan)), namespaces });
}
