import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  MIDDLEWARES_ANNOTATION,
  PlatformIngress,
  servedRoutes,
  type IngressBackendRef,
  type IngressProtection,
  type IngressRoute,
} from '../../src/components/ingress/platform-ingress.js';
import { ConfigError } from '../../src/lib/errors.js';
import { renderConstruct, type ConstructRender } from '../support/construct.js';
import { SEED_DIR } from '../support/fixtures.js';
import { assertValidK8sObjects } from '../support/k8s-validate.js';
import { find, ofKind } from '../support/render.js';

const svc = (component: string) => `aiops-platform-${component}`;
/** The routes the chart passes with every component enabled, here all with a login of their own (no ForwardAuth needed to route them). */
const ROUTES: IngressRoute[] = [
  { path: '/grafana', serviceName: svc('grafana'), servicePort: 3000, component: 'grafana', login: 'own' },
  { path: '/prometheus', serviceName: svc('prometheus'), servicePort: 9090, component: 'prometheus', login: 'own' },
  { path: '/alertmanager', serviceName: svc('alertmanager'), servicePort: 9093, component: 'alertmanager', login: 'own' },
  { path: '/kibana', serviceName: svc('kibana'), servicePort: 5601, component: 'kibana', login: 'own' },
  { path: '/ai', serviceName: svc('ai-engine'), servicePort: 8080, component: 'ai-engine', login: 'own' },
  { path: '/api', serviceName: svc('api-gateway'), servicePort: 8080, component: 'api-gateway', login: 'gateway' },
];
const GATEWAY: IngressBackendRef = { serviceName: svc('api-gateway'), servicePort: 8080 };

/** Renders the Ingress; `gateway` null means no API gateway (no default backend). */
const render = (valuesYaml = '', routes: readonly IngressRoute[] = ROUTES, gateway: IngressBackendRef | null = GATEWAY, protection?: IngressProtection): ConstructRender =>
  renderConstruct(valuesYaml, (chart, ctx, values) =>
    new PlatformIngress(chart, 'ingress', { ctx, values: values.ingress, className: values.ingress.className, routes, defaultBackend: gateway ?? undefined, protection }),
  );
/** The routes as the chart marks them: Prometheus, Alertmanager and the AI engine have no login of their own. */
const LOGINLESS = new Set(['prometheus', 'alertmanager', 'ai-engine']);
const MARKED: IngressRoute[] = ROUTES.map((r) => ({ ...r, login: LOGINLESS.has(r.component) ? 'none' : r.login }));
const STRIP = 'aiops-platform-aiops-platform-strip-auth-headers@kubernetescrd';
const FORWARD_AUTH = 'aiops-platform-aiops-platform-forward-auth@kubernetescrd';
const AUTH: IngressProtection = { refs: { strip: STRIP, forwardAuth: FORWARD_AUTH } };

const ingress = (r: ConstructRender) => find(r.objects, 'Ingress', 'aiops-platform');
/** `host path pathType → service:port` of every rule, in order. */
const table = (r: ConstructRender) =>
  ingress(r).spec.rules.flatMap((rule: any) =>
    rule.http.paths.map((p: any) => `${rule.host} ${p.path} ${p.pathType} → ${p.backend.service.name}:${p.backend.service.port.number}`),
  );
const routesFor = (host: string) => [
  `${host} /grafana Prefix → aiops-platform-grafana:3000`,
  `${host} /prometheus Prefix → aiops-platform-prometheus:9090`,
  `${host} /alertmanager Prefix → aiops-platform-alertmanager:9093`,
  `${host} /kibana Prefix → aiops-platform-kibana:5601`,
  `${host} /ai Prefix → aiops-platform-ai-engine:8080`,
  `${host} /api Prefix → aiops-platform-api-gateway:8080`,
  `${host} / Prefix → aiops-platform-api-gateway:8080`,
];

describe('PlatformIngress', () => {
  const defaults = render();

  it('routes every component prefix, then / to the API gateway, on aiops.local by default', () => {
    assertValidK8sObjects(defaults.objects);
    expect(defaults.objects).toHaveLength(1);
    const ing = ingress(defaults);
    expect(ing.metadata.namespace).toBe('aiops-platform');
    expect(ing.metadata.annotations).toBeUndefined();
    expect(ing.spec.ingressClassName).toBe('traefik');
    expect(ing.spec.tls).toBeUndefined();
    expect(table(defaults)).toEqual(routesFor('aiops.local'));
  });

  it('renders the seed my-values block: aiops.example.com with the aiops-tls certificate', () => {
    const r = render(readFileSync(join(SEED_DIR, 'my-values.yaml'), 'utf8'));
    assertValidK8sObjects(r.objects);
    expect(ingress(r).spec.tls).toEqual([{ secretName: 'aiops-tls', hosts: ['aiops.example.com'] }]);
    expect(table(r)).toEqual(routesFor('aiops.example.com'));
    // No entry-point annotation: the routers sit on web and websecure, and web redirects to HTTPS.
    expect(ingress(r).metadata.annotations).toBeUndefined();
  });

  it('gives every host every route and its own paths', () => {
    const r = render(
      'ingress:\n  hosts:\n    - host: a.example.com\n    - host: b.example.com\n      paths: [{path: /app, pathType: Exact}, {path: /}]\n' +
        '  tls: [{secretName: wildcard}]\n  annotations: {traefik.ingress.kubernetes.io/router.middlewares: ops-auth@kubernetescrd}\n  className: aiops-traefik\n',
    );
    assertValidK8sObjects(r.objects);
    expect(table(r)).toEqual([
      ...routesFor('a.example.com'),
      ...routesFor('b.example.com').slice(0, 6),
      'b.example.com /app Exact → aiops-platform-api-gateway:8080',
      'b.example.com / Prefix → aiops-platform-api-gateway:8080',
    ]);
    expect(ingress(r).spec.tls).toEqual([{ secretName: 'wildcard' }]);
    expect(ingress(r).spec.ingressClassName).toBe('aiops-traefik');
    expect(ingress(r).metadata.annotations).toEqual({ 'traefik.ingress.kubernetes.io/router.middlewares': 'ops-auth@kubernetescrd' });
  });

  it('routes every UI through a second Ingress behind the strip-headers and then the ForwardAuth middleware, and the gateway\'s own paths behind the strip-headers one alone', () => {
    const r = render('', MARKED, GATEWAY, AUTH);
    assertValidK8sObjects(r.objects);
    expect(ofKind(r.objects, 'Ingress').map((i) => i.metadata.name)).toEqual(['aiops-platform-protected', 'aiops-platform']);
    const guarded = find(r.objects, 'Ingress', 'aiops-platform-protected');
    expect(guarded.metadata.annotations).toEqual({ [MIDDLEWARES_ANNOTATION]: `${STRIP},${FORWARD_AUTH}` });
    const paths = (ing: any) => ing.spec.rules.flatMap((rule: any) => rule.http.paths.map((p: any) => `${rule.host} ${p.path} → ${p.backend.service.name}`));
    expect(paths(guarded)).toEqual([
      'aiops.local /grafana → aiops-platform-grafana',
      'aiops.local /prometheus → aiops-platform-prometheus',
      'aiops.local /alertmanager → aiops-platform-alertmanager',
      'aiops.local /kibana → aiops-platform-kibana',
      'aiops.local /ai → aiops-platform-ai-engine',
    ]);
    expect(paths(ingress(r))).toEqual(['aiops.local /api → aiops-platform-api-gateway', 'aiops.local / → aiops-platform-api-gateway']);
    expect(ingress(r).metadata.annotations).toEqual({ [MIDDLEWARES_ANNOTATION]: STRIP });
    expect(r.warnings).toEqual([]);
  });

  it('never routes a UI without a login of its own bare: without the gateway\'s login it is left out, with a warning naming it and why; the UIs with a login stay routed', () => {
    for (const protection of [undefined, { unavailable: 'apiGateway.enabled is false' }]) {
      const r = render('', MARKED, null, protection);
      expect(ofKind(r.objects, 'Ingress').map((i) => i.metadata.name)).toEqual(['aiops-platform']);
      expect(table(r)).toEqual(['aiops.local /grafana Prefix → aiops-platform-grafana:3000', 'aiops.local /kibana Prefix → aiops-platform-kibana:5601', 'aiops.local /api Prefix → aiops-platform-api-gateway:8080']);
      expect(ofKind(r.objects, 'Ingress').flatMap((i) => Object.keys(i.metadata.annotations ?? {}))).toEqual([]);
      expect(r.warnings).toEqual([
        `/prometheus, /alertmanager, /ai (prometheus, alertmanager, ai-engine: no login of their own) not routed: ${protection?.unavailable ?? 'no ForwardAuth middleware'}; reach them with kubectl port-forward`,
      ]);
    }
    expect(servedRoutes(MARKED, { unavailable: 'x' }).map((r) => r.component)).toEqual(['grafana', 'kibana', 'api-gateway']);
    expect(servedRoutes(MARKED, AUTH)).toEqual(MARKED);
  });

  it('keeps the chart\'s middlewares first when values add some, and puts TLS and the values annotations on both Ingresses', () => {
    const r = render(
      'ingress:\n  tls: [{secretName: aiops-tls}]\n  annotations: {traefik.ingress.kubernetes.io/router.middlewares: ops-ratelimit@kubernetescrd, example.com/team: ops}\n',
      MARKED,
      GATEWAY,
      AUTH,
    );
    const guarded = find(r.objects, 'Ingress', 'aiops-platform-protected');
    expect(guarded.metadata.annotations).toEqual({ [MIDDLEWARES_ANNOTATION]: `${STRIP},${FORWARD_AUTH},ops-ratelimit@kubernetescrd`, 'example.com/team': 'ops' });
    expect(ingress(r).metadata.annotations).toEqual({ [MIDDLEWARES_ANNOTATION]: `${STRIP},ops-ratelimit@kubernetescrd`, 'example.com/team': 'ops' });
    expect(guarded.spec.tls).toEqual([{ secretName: 'aiops-tls' }]);
    expect(ingress(r).spec.tls).toEqual([{ secretName: 'aiops-tls' }]);
  });

  it('renders only the protected Ingress, without a warning, when only UIs are routed', () => {
    const r = render('', MARKED.filter((x) => x.login !== 'gateway'), null, AUTH);
    expect(ofKind(r.objects, 'Ingress').map((i) => i.metadata.name)).toEqual(['aiops-platform-protected']);
    expect(r.warnings).toEqual([]);
  });

  it('routes only the enabled components, and leaves the host paths out without a gateway', () => {
    const r = render('', ROUTES.slice(0, 2), null);
    expect(table(r)).toEqual(routesFor('aiops.local').slice(0, 2));
  });

  it('renders whatever ingress.enabled says: the chart decides whether to create it', () => {
    expect(table(render('ingress: {enabled: false}'))).toEqual(routesFor('aiops.local'));
  });

  it('leaves out a host without paths, and renders nothing (saying so) when nothing is routed', () => {
    const hosts = 'ingress: {hosts: [{host: a.example.com, paths: []}, {host: b.example.com}]}';
    expect(table(render(hosts, []))).toEqual(['b.example.com / Prefix → aiops-platform-api-gateway:8080']);
    const r = render('', [], null);
    expect(ofKind(r.objects, 'Ingress')).toEqual([]);
    expect(r.warnings).toEqual(['ingress.enabled but no component is served through it (no route and no API gateway): no Ingress is rendered']);
  });

  it('rejects two routes with the same path', () => {
    const routes: IngressRoute[] = [...ROUTES, { path: '/grafana', serviceName: 'x', servicePort: 80, component: 'other', login: 'own' }];
    expect(() => render('', routes)).toThrow(ConfigError);
    expect(() => render('', routes)).toThrow('Ingress path "/grafana" is routed to both grafana and other');
  });

  it('rejects a host path that a component already serves, naming the values key', () => {
    const values = 'ingress:\n  hosts:\n    - host: a.example.com\n      paths: [{path: /}, {path: /kibana}]\n';
    expect(() => render(values)).toThrow('ingress.hosts[0].paths[1].path: "/kibana" on a.example.com is already routed to kibana');
    expect(() => render('ingress: {hosts: [{host: a.example.com, paths: [{path: /x}, {path: /x}]}]}')).toThrow(
      'ingress.hosts[0].paths[1].path: "/x" on a.example.com is already routed to ingress.hosts[0].paths (the API gateway)',
    );
  });
});
