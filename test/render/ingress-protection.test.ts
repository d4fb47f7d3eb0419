/**
 * Over every golden render and a few more: every Ingress path to anything but the API gateway runs
 * through the strip-headers Middleware and then the gateway's ForwardAuth (both in the render, of
 * the right types, pointing at the gateway of the render, loaded by a Traefik whose kubernetesCRD
 * provider watches their namespace with the rights to read them); the gateway's own paths run
 * through the strip-headers one; and where that login cannot be put in front of the UIs, the UIs
 * without a login of their own are not routed at all. The UIs are recognised by their Service
 * names, not by the chart's own marking.
 */
import { describe, expect, it } from 'vitest';
import { MIDDLEWARES_ANNOTATION } from '../../src/components/ingress/platform-ingress.js';
import { renderCases, type RenderCase } from '../support/renders.js';
import { ofKind, renderValues, type TestRender } from '../support/render.js';

const inline = (name: string, text: string): RenderCase => ({ name, files: [{ name: `${name}.yaml`, text }], sets: [] });
const CASES: RenderCase[] = [
  ...renderCases(),
  inline('gateway-off', 'apiGateway: {enabled: false}\n'),
  inline('traefik-off', 'traefik: {enabled: false}\n'),
  inline('elasticsearch-security-off', 'elasticsearch: {auth: {enabled: false}}\n'),
  inline('existing-secret-production', 'global: {development: false}\napiGateway: {admin: {existingSecret: ops-gateway}}\ningress: {tls: [{secretName: aiops-tls}]}\n'),
];
const IDENTITY_HEADERS = ['X-Auth-User', 'X-Auth-Role', 'X-WEBAUTH-USER', 'X-WEBAUTH-ROLE'];

/** Service name suffixes of the UIs without a login of their own in this render: Kibana has one only when it connects to Elasticsearch as a user (security on). */
function loginless(r: TestRender): string[] {
  const kibana = ofKind(r.objects, 'ConfigMap').find((c) => c.data?.['kibana.yml']);
  const kibanaLogin = Boolean(kibana?.data['kibana.yml'].includes('elasticsearch.username:'));
  return ['-prometheus', '-alertmanager', '-ai-engine', ...(kibanaLogin ? [] : ['-kibana'])];
}

/** One path of an Ingress: where it is, its Ingress, its backend Service and the middleware refs of its Ingress in order. */
interface RoutedPath {
  readonly where: string;
  readonly ingress: any;
  readonly service: string;
  readonly refs: string[];
}

/** Every path of the render's Ingresses. */
function routes(r: TestRender): RoutedPath[] {
  return ofKind(r.objects, 'Ingress').flatMap((ingress) => {
    const refs: string[] = (ingress.metadata.annotations?.[MIDDLEWARES_ANNOTATION] ?? '').split(',').filter(Boolean);
    return ingress.spec.rules.flatMap((rule: any) =>
      rule.http.paths.map((p: any) => ({ where: `${ingress.metadata.name}: ${rule.host}${p.path} → ${p.backend.service.name}`, ingress, service: p.backend.service.name as string, refs })),
    );
  });
}

describe('the gateway\'s login in front of every route, over every render', () => {
  for (const c of CASES) {
    it(`${c.name}: every path but the gateway's own carries the strip-headers and then the ForwardAuth Middleware of the render; no UI without a login is bare`, () => {
      const r = renderValues(c.files, c.sets);
      const ns = (o: any): string => o.metadata.namespace;
      const middlewares = new Map(ofKind(r.objects, 'Middleware').map((m) => [`${ns(m)}-${m.metadata.name}@kubernetescrd`, m]));
      const gatewayService = ofKind(r.objects, 'Service').find((s) => s.metadata.name.endsWith('-api-gateway'));
      const traefik = ofKind(r.objects, 'Deployment').find((d) => d.metadata.name.endsWith('-traefik'));
      const args: string[] = traefik?.spec.template.spec.containers[0].args ?? [];
      const role = ofKind(r.objects, 'Role').find((x) => x.metadata.name === traefik?.metadata.name);
      const suffixes = loginless(r);
      const guarded = routes(r).filter((x) => x.refs.length > 0);

      for (const route of routes(r)) {
        const isGateway = route.service === gatewayService?.metadata.name;
        if (middlewares.size === 0) {
          // No login Middlewares in this render: only the gateway and the UIs with a login of their own are routed.
          expect(suffixes.some((s) => route.service.endsWith(s)), `${route.where} is a UI without a login, routed bare`).toBe(false);
          continue;
        }
        const [strip, forwardAuth] = route.refs.map((ref) => middlewares.get(ref));
        expect(strip?.spec.headers?.customRequestHeaders, `${route.where}: its first middleware does not strip the identity headers`).toEqual(
          Object.fromEntries(IDENTITY_HEADERS.map((h) => [h, ''])),
        );
        expect(ns(strip)).toBe(ns(route.ingress));
        if (isGateway) {
          // The gateway authenticates itself: asking it first would be a second round trip (and a loop on its login page).
          expect(forwardAuth?.spec.forwardAuth, `${route.where}`).toBeUndefined();
          continue;
        }
        const auth = forwardAuth?.spec.forwardAuth;
        expect(auth, `${route.where}: its second middleware is not the ForwardAuth of the render`).toBeTruthy();
        expect(ns(forwardAuth)).toBe(ns(route.ingress));
        const port = gatewayService.spec.ports.find((p: any) => p.name === 'http').port;
        expect(auth.address).toBe(`http://${gatewayService.metadata.name}.${ns(gatewayService)}.svc.cluster.local:${port}/auth/verify`);
        expect(auth.trustForwardHeader).toBe(false);
        expect(auth.authResponseHeaders).toEqual(IDENTITY_HEADERS);
        expect(args, `${route.where}: Traefik does not load Middlewares of ${ns(forwardAuth)}`).toEqual(
          expect.arrayContaining(['--providers.kubernetesCRD=true', `--providers.kubernetesCRD.namespaces=${ns(forwardAuth)}`]),
        );
        expect(role.rules.some((x: any) => x.apiGroups.includes('traefik.io') && x.resources.includes('middlewares') && x.verbs.includes('watch'))).toBe(true);
      }
      // Not vacuous: with the gateway and Traefik on, every UI is routed, behind the login.
      const values = c.files.map((f) => f.text).join('\n');
      if (!/apiGateway: \{enabled: false\}|traefik: \{enabled: false\}|ingress: \{enabled: false\}/.test(values) && ofKind(r.objects, 'Ingress').length > 0) {
        for (const suffix of ['-grafana', ...suffixes]) expect(guarded.some((x) => x.service.endsWith(suffix)), `${suffix} routed behind the login`).toBe(true);
      }
    });
  }

  it('leaves the UIs without a login unrouted, with a warning, when the gateway or the chart\'s Traefik is off; Grafana then keeps its own login', () => {
    for (const [text, why] of [
      ['apiGateway: {enabled: false}\n', "apiGateway.enabled is false, and the gateway's login is the only one in front of them"],
      ['traefik: {enabled: false}\n', "traefik.enabled is false, and the ForwardAuth Middleware needs the chart's Traefik"],
    ] as const) {
      const r = renderValues([{ name: 'v.yaml', text }]);
      const backends = routes(r).map((x) => x.service);
      expect(backends.filter((s: string) => /-(prometheus|alertmanager|ai-engine)$/.test(s))).toEqual([]);
      expect(backends.filter((s: string) => /-(grafana|kibana)$/.test(s))).toEqual(['aiops-platform-grafana', 'aiops-platform-kibana']);
      expect(ofKind(r.objects, 'Middleware')).toEqual([]);
      expect(r.warnings).toContain(`/prometheus, /alertmanager, /ai (prometheus, alertmanager, ai-engine: no login of their own) not routed: ${why}; reach them with kubectl port-forward`);
      const ini: string = ofKind(r.objects, 'ConfigMap').find((c) => c.data?.['grafana.ini']).data['grafana.ini'];
      expect(ini).not.toContain('[auth.proxy]');
    }
  });

  it('routes Kibana behind the login whether or not it has one of its own (Elasticsearch security off: it has none)', () => {
    for (const text of ['', 'elasticsearch: {auth: {enabled: false}}\n']) {
      const kibana = routes(renderValues([{ name: 'v.yaml', text }])).find((x) => x.service.endsWith('-kibana'));
      expect(kibana?.refs, text).toEqual(['aiops-platform-aiops-platform-strip-auth-headers@kubernetescrd', 'aiops-platform-aiops-platform-forward-auth@kubernetescrd']);
    }
    const bare = renderValues([{ name: 'v.yaml', text: 'elasticsearch: {auth: {enabled: false}}\napiGateway: {enabled: false}\n' }]);
    expect(routes(bare).filter((x) => x.service.endsWith('-kibana'))).toEqual([]);
  });

  it('turns Grafana\'s auth proxy on exactly where its route runs through the ForwardAuth, which strips and sets its headers', () => {
    for (const c of CASES) {
      const r = renderValues(c.files, c.sets);
      const ini: string | undefined = ofKind(r.objects, 'ConfigMap').find((x) => x.data?.['grafana.ini'])?.data['grafana.ini'];
      if (!ini) continue;
      const grafana = routes(r).find((x) => x.service.endsWith('-grafana'));
      const behindLogin = Boolean(grafana?.refs.some((ref) => ref.endsWith('-forward-auth@kubernetescrd')));
      expect(ini.includes('[auth.proxy]\nenabled = true\nheader_name = X-WEBAUTH-USER'), c.name).toBe(behindLogin);
      expect(ini.includes('disable_login_form = true'), c.name).toBe(behindLogin);
    }
  });

  /**
   * The metrics endpoints of routed Services: for each pod annotated for scraping behind a routed
   * Service port, the Ingress path Traefik would pick for its metrics path (the longest matching
   * prefix on that host) must carry a middleware: metrics are never public, even when the UI has
   * a login of its own (Grafana's covers its pages, not /metrics).
   */
  for (const c of CASES) {
    it(`${c.name}: no scrape endpoint is reachable through an Ingress without a middleware`, () => {
      const r = renderValues(c.files, c.sets);
      const workloads = r.objects.filter((o: any) => ['Deployment', 'StatefulSet'].includes(o.kind)) as any[];
      const services = ofKind(r.objects, 'Service');
      let checked = 0;
      for (const ingress of ofKind(r.objects, 'Ingress')) {
        for (const rule of ingress.spec.rules) {
          for (const p of rule.http.paths) {
            const service = services.find((x) => x.metadata.name === p.backend.service.name);
            const servicePort = service?.spec.ports.find((x: any) => x.port === p.backend.service.port.number);
            for (const w of workloads.filter((x) => service && Object.entries(service.spec.selector).every(([k, v]) => x.spec.template.metadata.labels[k] === v))) {
              const annotations = w.spec.template.metadata.annotations ?? {};
              if (annotations['prometheus.io/scrape'] !== 'true') continue;
              const containerPorts = w.spec.template.spec.containers.flatMap((ct: any) => ct.ports ?? []);
              const target = containerPorts.find((cp: any) => cp.name === servicePort.targetPort || cp.containerPort === servicePort.targetPort);
              if (String(target?.containerPort) !== annotations['prometheus.io/port']) continue;
              const metricsPath: string = annotations['prometheus.io/path'];
              // Every path of this host on every Ingress: the longest prefix of the metrics path wins.
              const candidates = ofKind(r.objects, 'Ingress').flatMap((i) =>
                i.spec.rules.filter((x: any) => x.host === rule.host).flatMap((x: any) => x.http.paths.map((q: any) => ({ ingress: i, path: q.path as string }))),
              );
              const matches = candidates.filter((q) => q.path === '/' || metricsPath === q.path || metricsPath.startsWith(`${q.path}/`));
              const winner = matches.sort((a, b) => b.path.length - a.path.length)[0];
              checked++;
              expect(winner?.ingress.metadata.annotations?.[MIDDLEWARES_ANNOTATION] ?? '', `${rule.host}${metricsPath} (${w.metadata.name}) via ${winner?.ingress.metadata.name} ${winner?.path}`).toContain(
                '-forward-auth@kubernetescrd',
              );
            }
          }
        }
      }
      // Not vacuous: Grafana serves its metrics on the port the Ingress routes to.
      const grafana = workloads.find((w) => w.metadata.name.endsWith('-grafana'));
      const grafanaRouted = ofKind(r.objects, 'Ingress').some((i) => JSON.stringify(i.spec).includes('"path":"/grafana"'));
      if (grafanaRouted && grafana?.spec.template.metadata.annotations['prometheus.io/scrape'] === 'true') expect(checked).toBeGreaterThan(0);
    });
  }

  it('turns Grafana\'s metrics off, with a warning, where the Ingress would publish them bare', () => {
    for (const text of ['apiGateway: {enabled: false}\n', 'traefik: {enabled: false}\n']) {
      const r = renderValues([{ name: 'v.yaml', text }]);
      const grafana = ofKind(r.objects, 'Deployment').find((d) => d.metadata.name.endsWith('-grafana'));
      expect(grafana.spec.template.metadata.annotations['prometheus.io/scrape'], text).toBeUndefined();
      const ini: string = ofKind(r.objects, 'ConfigMap').find((c) => c.data?.['grafana.ini']).data['grafana.ini'];
      expect(ini).toContain('[metrics]\nenabled = false');
      expect(r.warnings.join('\n')).toContain('/grafana/metrics turned off');
    }
    for (const text of ['ingress: {enabled: false}\napiGateway: {enabled: false}\n', '']) {
      const r = renderValues([{ name: 'v.yaml', text }]);
      const ini: string = ofKind(r.objects, 'ConfigMap').find((c) => c.data?.['grafana.ini']).data['grafana.ini'];
      expect(ini, text).toContain('[metrics]\nenabled = true');
      expect(r.warnings.join('\n')).not.toContain('/grafana/metrics');
    }
  });
});
