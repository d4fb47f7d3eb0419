import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import type { PlatformContext } from '../../lib/context.js';
import { ConfigError } from '../../lib/errors.js';
import type { ComponentIdentity } from '../../lib/labels.js';
import { metadata } from '../../lib/metadata.js';
import { objectName } from '../../lib/names.js';
import type { Values } from '../../values/schema/index.js';

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
}

/** Props of {@link PlatformIngress}. */
export interface PlatformIngressProps {
  readonly ctx: PlatformContext;
  /** The `ingress.*` values slice (hosts, tls, annotations). */
  readonly values: Values['ingress'];
  /** IngressClass of the Ingress (Traefik's `connection.ingressClassName`). */
  readonly className: string;
  /** The enabled components' prefixes; the same on every host, in this order. */
  readonly routes: readonly IngressRoute[];
  /**
   * Receives each host's own `paths` from values (the seed's `/`): the API gateway. Without it
   * (gateway disabled) those paths are not routed (default none).
   */
  readonly defaultBackend?: IngressBackendRef | undefined;
}

const ID: ComponentIdentity = { name: 'aiops-platform', component: 'ingress' };

/**
 * The platform's one Ingress, named `<release>` like a Helm chart's own Ingress (what the seed's
 * `kubectl get ingress -n aiops-platform` shows). For every host of `ingress.hosts`: the
 * component routes (pathType Prefix, no path stripping: each component serves under its prefix),
 * then the host's own paths to the default backend. Traefik orders routers by rule length, so the
 * longer component prefixes win over `/` whatever the order here. TLS from `ingress.tls` (its
 * Secrets must be in the platform namespace, the only one Traefik watches); annotations from
 * values.
 *
 * No `traefik.ingress.kubernetes.io/router.entrypoints` annotation: the routers attach to Traefik's
 * default entry points, `web` and `websecure`. With TLS, `web` redirects every request to HTTPS
 * before routing, so only `websecure` serves; without TLS, pinning `websecure` would break plain
 * HTTP. Leaving it unset works in both cases, as upstream recommends.
 */
export class PlatformIngress extends Construct {
  /** Name of the Ingress, undefined when there was nothing to route. */
  readonly name: string | undefined;

  constructor(scope: Construct, id: string, props: PlatformIngressProps) {
    super(scope, id);
    const { ctx, values, defaultBackend: gateway } = props;
    checkRoutes(props);

    const backend = (ref: IngressBackendRef): k8s.IngressBackend => ({
      service: { name: ref.serviceName, port: { number: ref.servicePort } },
    });
    // A host left without paths (no route, `paths: []`) gets no rule: an empty rule is invalid.
    const rules: k8s.IngressRule[] = values.hosts
      .map((host) => ({
        host: host.host,
        http: {
          paths: [
            ...props.routes.map((r) => ({ path: r.path, pathType: 'Prefix', backend: backend(r) })),
            ...(gateway ? host.paths.map((p) => ({ path: p.path, pathType: p.pathType, backend: backend(gateway) })) : []),
          ],
        },
      }))
      .filter((rule) => rule.http.paths.length > 0);
    if (rules.length === 0) {
      ctx.warn('ingress.enabled but no component is served through it (no route and no API gateway): no Ingress is rendered');
      this.name = undefined;
      return;
    }

    this.name = objectName(ctx, ''); // the release name itself
    new k8s.KubeIngress(this, 'ingress', {
      metadata: metadata(ctx, this.name, ID, { annotations: values.annotations }),
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
      if (owner) {
        throw new ConfigError(`ingress.hosts[${i}].paths[${j}].path: "${p.path}" on ${host.host} is already routed to ${owner}; remove it or use another path`);
      }
      seen.set(p.path, `ingress.hosts[${i}].paths (the API gateway)`);
    });
  });
}
