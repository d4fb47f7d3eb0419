import { describe, expect, it } from 'vitest';
import { GatewayAuth, type GatewayAuthRefs } from '../../src/components/ingress/forward-auth.js';
import { GATEWAY_AUTH_HEADERS } from '../../src/core/gateway-auth.js';
import { renderConstruct, type ConstructRender } from '../support/construct.js';
import { registerCrdValidators } from '../support/crd-validate.js';
import { assertValidK8sObjects, validateK8sObject } from '../support/k8s-validate.js';
import { find, ofKind } from '../support/render.js';

registerCrdValidators();

const GATEWAY = 'http://aiops-platform-api-gateway.aiops-platform.svc.cluster.local:8080';
const render = (): ConstructRender & { refs: GatewayAuthRefs } => {
  let refs: GatewayAuthRefs | undefined;
  const r = renderConstruct('', (chart, ctx) => {
    refs = new GatewayAuth(chart, 'forward-auth', { ctx, gatewayUrl: GATEWAY }).refs;
  });
  assertValidK8sObjects(r.objects);
  return { ...r, refs: refs! };
};

describe('GatewayAuth', () => {
  const r = render();

  it('renders two traefik.io/v1alpha1 Middlewares in the platform namespace, valid against the Middleware CRD, and their annotation refs', () => {
    expect(ofKind(r.objects, 'Middleware').map((m) => `${m.apiVersion} ${m.metadata.namespace}/${m.metadata.name}`)).toEqual([
      'traefik.io/v1alpha1 aiops-platform/aiops-platform-strip-auth-headers',
      'traefik.io/v1alpha1 aiops-platform/aiops-platform-forward-auth',
    ]);
    for (const m of ofKind(r.objects, 'Middleware')) expect(validateK8sObject(m)).toEqual([]);
    expect(r.refs).toEqual({
      strip: 'aiops-platform-aiops-platform-strip-auth-headers@kubernetescrd',
      forwardAuth: 'aiops-platform-aiops-platform-forward-auth@kubernetescrd',
    });
  });

  it('removes the four identity headers from the client request (an empty value is a removal in Traefik)', () => {
    expect(find(r.objects, 'Middleware', 'aiops-platform-strip-auth-headers').spec).toEqual({
      headers: { customRequestHeaders: { 'X-Auth-User': '', 'X-Auth-Role': '', 'X-WEBAUTH-USER': '', 'X-WEBAUTH-ROLE': '' } },
    });
  });

  it('asks the gateway\'s /auth/verify, trusting no client X-Forwarded-*, and passes on only the gateway\'s identity headers and session cookie', () => {
    expect(find(r.objects, 'Middleware', 'aiops-platform-forward-auth').spec).toEqual({
      forwardAuth: {
        address: `${GATEWAY}/auth/verify`,
        trustForwardHeader: false,
        authResponseHeaders: ['X-Auth-User', 'X-Auth-Role', 'X-WEBAUTH-USER', 'X-WEBAUTH-ROLE'],
        addAuthCookiesToResponse: ['aiops_session'],
      },
    });
    // The headers it copies from the gateway are exactly those the other one strips from the client.
    const strip = find(r.objects, 'Middleware', 'aiops-platform-strip-auth-headers').spec.headers.customRequestHeaders;
    expect(Object.keys(strip).sort()).toEqual([...GATEWAY_AUTH_HEADERS].sort());
  });
});
