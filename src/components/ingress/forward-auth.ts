import { Construct } from 'constructs';
import { Middleware } from '../../../imports/middleware-traefik.io.js';
import { GATEWAY_AUTH, GATEWAY_AUTH_HEADERS } from '../../core/gateway-auth.js';
import type { PlatformContext } from '../../lib/context.js';
import type { ComponentIdentity } from '../../lib/labels.js';
import { metadata } from '../../lib/metadata.js';
import { objectName } from '../../lib/names.js';

/** Props of {@link GatewayAuth}. */
export interface GatewayAuthProps {
  readonly ctx: PlatformContext;
  /** The gateway's in-cluster URL without a trailing slash, `http://<release>-api-gateway.<ns>.svc.<domain>:8080`. */
  readonly gatewayUrl: string;
}

/** The Middlewares as Ingress annotations name them (`<namespace>-<name>@kubernetescrd`), in the order they must run. */
export interface GatewayAuthRefs {
  /** Removes the identity headers from the client's request: on every route, the gateway's own included. */
  readonly strip: string;
  /** Asks the gateway about the request: on every route to a UI, after {@link strip}. */
  readonly forwardAuth: string;
}

const ID: ComponentIdentity = { name: 'forward-auth', component: 'ingress-auth' };

/**
 * The gateway's single login in front of the UIs, as two Traefik `Middleware`s (traefik.io/v1alpha1)
 * in the platform namespace, which Ingresses attach with `traefik.ingress.kubernetes.io/router.middlewares`
 * (the kubernetesCRD provider must be on and Traefik's CRDs installed; a router whose middleware is
 * missing is not served at all, so a missing CRD fails closed):
 *
 * - `<release>-strip-auth-headers` (headers): sets the identity headers of {@link GATEWAY_AUTH_HEADERS}
 *   to "" in the request, which Traefik's headers middleware turns into a removal: no client can
 *   hand a UI, Grafana's auth.proxy or the gateway a user or role of its choosing;
 * - `<release>-forward-auth` (forwardAuth): `GET <gateway>/auth/verify` with the request's headers
 *   (Cookie, Authorization, Accept…; the body is not sent) and `X-Forwarded-Method/Proto/Host/Uri`
 *   that Traefik sets from the request itself (`trustForwardHeader: false`: a client's own
 *   X-Forwarded-* are never passed on). A 2xx lets the request through with the identity headers
 *   copied from the gateway's answer (Traefik deletes the request's copies of `authResponseHeaders`
 *   first, so they come from the gateway or not at all), and the session cookie the gateway may
 *   renew (`addAuthCookiesToResponse`); anything else (302 to the login page, 401, 403) is returned
 *   to the client as the gateway wrote it.
 */
export class GatewayAuth extends Construct {
  readonly refs: GatewayAuthRefs;

  constructor(scope: Construct, id: string, props: GatewayAuthProps) {
    super(scope, id);
    const { ctx } = props;
    const strip = objectName(ctx, 'strip-auth-headers');
    const forwardAuth = objectName(ctx, ID.name);

    new Middleware(this, 'strip-auth-headers', {
      metadata: metadata(ctx, strip, ID),
      spec: { headers: { customRequestHeaders: Object.fromEntries(GATEWAY_AUTH_HEADERS.map((h) => [h, ''])) } },
    });
    new Middleware(this, 'forward-auth', {
      metadata: metadata(ctx, forwardAuth, ID),
      spec: {
        forwardAuth: {
          address: `${props.gatewayUrl}${GATEWAY_AUTH.verifyPath}`,
          trustForwardHeader: false,
          authResponseHeaders: [...GATEWAY_AUTH_HEADERS],
          addAuthCookiesToResponse: [GATEWAY_AUTH.sessionCookie],
        },
      },
    });
    const ref = (name: string) => `${ctx.namespace}-${name}@kubernetescrd`;
    this.refs = { strip: ref(strip), forwardAuth: ref(forwardAuth) };
  }
}
