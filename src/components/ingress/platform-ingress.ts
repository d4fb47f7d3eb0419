import { k8s } from '../../lib/k8s.js';
import { Construct } from 'constructs';
import type { PlatformContext } from '../../lib/context.js';
import { ConfigError, reportProblem } from '../../lib/errors.js';
import type { ComponentIdentity } from '../../lib/labels.js';
import { metadata } from '../../lib/metadata.js';
import { objectName } from '../../lib/names.js';
import type { RouteLogin } from '../../plan/component.js';
import type { Values } from '../../values/schema/index.js';
import type { GatewayAuthRefs } from './forward-auth.js';

/** A Service port the Ingress routes to. */
export interface IngressBackendRef {
  readonly serviceName: string;
  readonly servicePort: number;
}

/** A component served under its own path prefix, e.g. `/grafana` → `<release>-grafana:3000`. */
export interface IngressRoute extends IngressBackendRef {
  /** Path prefix (pathType Prefix), forwarded unchanged: the component serves under it. */
  readonly path: string;
  /** Component name, for messages (e.g. grafana). */
  readonly component: string;
  /** Who authenticates its requests ({@link RouteLogin}): `none` is routed only behind the gateway's ForwardAuth, never bare. */
  readonly login: RouteLogin;
}

/** The gateway's Middlewares in front of the routes, or why there are none (the routes without a login are then not routed). */
export type IngressProtection = { readonly refs: GatewayAuthRefs } | { readonly unavailable: string };

/** The Traefik annotation that attaches middlewares (`<ns>-<name>@kubernetescrd`, comma-separated) to every router of an Ingress. */
export const MIDDLEWARES_ANNOTATION = 'traefik.ingress.kubernetes.io/router.middlewares';

/** Props of {@link PlatformIngress}. */
export interface PlatformIngressProps {
  readonly ctx: PlatformContext;
  /** The `ingress.*` values slice (hosts, tls, annotations). */
  readonly values: Values['ingress'];
  /** IngressClass of the Ingress (Traefik's `connection.ingressClassName`). */
  readonly className: string;
  /** The enabled components' prefixes; the same on every host, in this order. */
  readonly routes: readonly IngressRoute[];
  /** The gateway's login in front of the routes (default: unavailable, the routes without a login are not routed). */
  readonly protection?: IngressProtection;
  /**
   * Receives each host's own `paths` from values (the seed's `/`): the API gateway. Without it
   * (gateway disabled) those paths are not routed (default none).
   */
  readonly defaultBackend?: IngressBackendRef | undefined;
}

const ID: ComponentIdentity = { name: 'aiops-platform', component: 'ingress' };

/**
 * The platform's Ingresses, the same paths on every host of `ingress.hosts` (pathType Prefix, no
 * path stripping: each component serves under its prefix). With the gateway's login:
 * - `<release>` (what the seed's `kubectl get ingress -n aiops-platform` shows): the gateway's own
 *   routes (`/api`) and each host's own paths (the seed's `/`) to the gateway, which
 *   authenticates them itself, behind the strip-headers Middleware;
 * - `<release>-protected`: every UI, behind the strip-headers and then the ForwardAuth Middleware
 *   (attached by {@link MIDDLEWARES_ANNOTATION}, which applies to every router of an Ingress,
 *   hence two Ingresses).
 * Without it, `<release>` alone: the UIs with a login of their own and the gateway's paths; the UIs
 * without one are not routed at all, and a warning says so. Traefik orders routers by rule length,
 * so the longer component prefixes win over `/` whatever the order here. TLS from `ingress.tls` on
 * both (its Secrets must be in the platform namespace, the only one Traefik watches); annotations
 * from values on both (a values middleware list comes after the chart's, never instead of them).
 *
 * No `traefik.ingress.kubernetes.io/router.entrypoints` annotation: the routers attach to Traefik's
 * default entry points, `web` and `websecure`. With TLS, `web` redirects every request to HTTPS
 * before routing, so only `websecure` serves; without TLS, pinning `websecure` would break plain
 * HTTP. Leaving it unset works in both cases, as upstream recommends.
 */
export class PlatformIngress extends Construct {
  /** Name of the main Ingress, undefined when it had nothing to route. */
  readonly name: string | undefined;
  /** The routes actually served (one without a login only behind ForwardAuth), for the network policies. */
  readonly routed: readonly IngressRoute[];

  constructor(scope: Construct, id: string, props: PlatformIngressProps) {
    super(scope, id);
    const { ctx, values, defaultBackend: gateway } = props;
    checkRoutes(props);
    const protection = props.protection ?? { unavailable: 'no ForwardAuth middleware' };
    const refs = 'refs' in protection ? protection.refs : undefined;
    const loginless = props.routes.filter((r) => r.login === 'none');
    if (loginless.length > 0 && 'unavailable' in protection) {
      ctx.warn(
        `${loginless.map((r) => r.path).join(', ')} (${loginless.map((r) => r.component).join(', ')}: no login of their own) not routed: ${protection.unavailable}; ` +
          'reach them with kubectl port-forward',
      );
    }
    this.routed = servedRoutes(props.routes, protection);
    const own = this.routed.filter((r) => (refs ? r.login === 'gateway' : true));
    const guarded = refs ? this.routed.filter((r) => r.login !== 'gateway') : [];

    if (refs && guarded.length > 0) {
      this.renderIngress(props, 'protected', objectName(ctx, 'protected'), ingressRules(props, guarded, undefined), withMiddlewares(values.annotations, [refs.strip, refs.forwardAuth]));
    }

    // A host left without paths (no route, `paths: []`) gets no rule: an empty rule is invalid.
    const rules = ingressRules(props, own, gateway);
    if (rules.length === 0) {
      if (guarded.length === 0) {
        ctx.warn('ingress.enabled but no component is served through it (no route and no API gateway): no Ingress is rendered');
      }
      this.name = undefined;
      return;
    }
    this.name = objectName(ctx, ''); // the release name itself
    this.renderIngress(props, 'ingress', this.name, rules, refs ? withMiddlewares(values.annotations, [refs.strip]) : values.annotations);
  }

  private renderIngress(props: PlatformIngressProps, id: string, name: string, rules: k8s.IngressRule[], annotations: Readonly<Record<string, string>>): void {
    const { ctx, values } = props;
    new k8s.KubeIngress(this, id, {
      metadata: metadata(ctx, name, ID, { annotations: { ...annotations } }),
      spec: {
        ingressClassName: props.className,
        ...(values.tls.length > 0
          ? { tls: values.tls.map((t) => ({ secretName: t.secretName, ...(t.hosts.length > 0 ? { hosts: t.hosts } : {}) })) }
          : {}),
        rules,
      },
    });
  }
}

/** The values annotations with the chart's `middlewares` first in the middlewares annotation, then any from values. */
function withMiddlewares(annotations: Readonly<Record<string, string>>, middlewares: readonly string[]): Record<string, string> {
  const theirs = annotations[MIDDLEWARES_ANNOTATION];
  return { ...annotations, [MIDDLEWARES_ANNOTATION]: [...middlewares, ...(theirs ? [theirs] : [])].join(',') };
}

/** The routes that are served: all behind the gateway's login, else only those with a login of their own (or the gateway's). */
export function servedRoutes(routes: readonly IngressRoute[], protection: IngressProtection): IngressRoute[] {
  return 'refs' in protection ? [...routes] : routes.filter((r) => r.login !== 'none');
}

/** One rule per host: `routes`, then (with a gateway) the host's own paths; hosts left without paths get none. */
function ingressRules(props: PlatformIngressProps, routes: readonly IngressRoute[], gateway: IngressBackendRef | undefined): k8s.IngressRule[] {
  const backend = (ref: IngressBackendRef): k8s.IngressBackend => ({
    service: { name: ref.serviceName, port: { number: ref.servicePort } },
  });
  return props.values.hosts
    .map((host) => ({
      host: host.host,
      http: {
        paths: [
          ...routes.map((r) => ({ path: r.path, pathType: 'Prefix', backend: backend(r) })),
          ...(gateway ? host.paths.map((p) => ({ path: p.path, pathType: p.pathType, backend: backend(gateway) })) : []),
        ],
      },
    }))
    .filter((rule) => rule.http.paths.length > 0);
}

/** Rejects two routes with the same path, and host paths that repeat a route's or each other's. */
function checkRoutes(props: PlatformIngressProps): void {
  const owners = new Map<string, string>();
  for (const route of props.routes) {
    const owner = owners.get(route.path);
    if (owner) throw new ConfigError(`Ingress path "${route.path}" is routed to both ${owner} and ${route.component}: each component needs its own prefix`);
    owners.set(route.path, route.component);
  }
  if (!props.defaultBackend) return;
  props.values.hosts.forEach((host, i) => {
    const seen = new Map(owners);
    host.paths.forEach((p, j) => {
      const owner = seen.get(p.path);
      // The values schema refuses this first (refineIngressPaths); kept as the construct's own guard.
      if (owner) {
        reportProblem(
          props.ctx,
          new ConfigError(`"${p.path}" on ${host.host} is already routed to ${owner}; remove it or use another path`, {
            path: ['ingress', 'hosts', i, 'paths', j, 'path'],
          }),
        );
      }
      seen.set(p.path, `ingress.hosts[${i}].paths (the API gateway)`);
    });
  });
}
