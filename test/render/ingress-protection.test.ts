/**
 * Over every golden render and a few more: no Ingress path reaches a UI without a login of its own
 * (Prometheus, Alertmanager, the AI engine, Kibana without Elasticsearch security) unless the
 * Ingress carries a Traefik middleware that exists in the render as a basicAuth Middleware, served
 * by a Traefik whose kubernetesCRD provider watches that namespace with the rights to read it.
 * The UIs are recognised by their Service names, not by the chart's own marking.
 */
import { describe, expect, it } from 'vitest';
import { MIDDLEWARES_ANNOTATION } from '../../src/components/ingress/platform-ingress.js';
import { renderCases, type RenderCase } from '../support/renders.js';
import { ofKind, renderValues, type TestRender } from '../support/render.js';

const inline = (name: string, text: string): RenderCase => ({ name, files: [{ name: `${name}.yaml`, text }], sets: [] });
const CASES: RenderCase[] = [
  ...renderCases(),
  inline('basic-auth-off', 'ingress: {basicAuth: {enabled: false}}\n'),
  inline('traefik-off', 'traefik: {enabled: false}\n'),
  inline('elasticsearch-security-off', 'elasticsearch: {auth: {enabled: false}}\n'),
  inline('existing-htpasswd-production', 'global: {development: false}\ningress: {basicAuth: {existingSecret: ops-htpasswd}, tls: [{secretName: aiops-tls}]}\n'),
];

/**
 * Service name suffixes of the UIs without a login of their own in this render: Kibana has one
 * only when it connects to Elasticsearch as a user (security on).
 */
function loginless(r: TestRender): string[] {
  const kibana = ofKind(r.objects, 'ConfigMap').find((c) => c.data?.['kibana.yml']);
  const kibanaLogin = Boolean(kibana?.data['kibana.yml'].includes('elasticsearch.username:'));
  return ['-prometheus', '-alertmanager', '-ai-engine', ...(kibanaLogin ? [] : ['-kibana'])];
}

describe('Ingress protection over every render', () => {
  for (const c of CASES) {
    it(`${c.name}: every path to a UI without its own login goes through a basicAuth Middleware of the render`, () => {
      const r = renderValues(c.files, c.sets);
      const ns = (o: any): string => o.metadata.namespace;
      const middlewares = new Map(ofKind(r.objects, 'Middleware').map((m) => [`${ns(m)}-${m.metadata.name}@kubernetescrd`, m]));
      const traefik = ofKind(r.objects, 'Deployment').find((d) => d.metadata.name.endsWith('-traefik'));
      const args: string[] = traefik?.spec.template.spec.containers[0].args ?? [];
      const role = ofKind(r.objects, 'Role').find((x) => x.metadata.name === traefik?.metadata.name);
      const suffixes = loginless(r);
      let guarded = 0;
      for (const ingress of ofKind(r.objects, 'Ingress')) {
        const refs = (ingress.metadata.annotations?.[MIDDLEWARES_ANNOTATION] ?? '').split(',').filter(Boolean);
        for (const rule of ingress.spec.rules) {
          for (const p of rule.http.paths) {
            const service: string = p.backend.service.name;
            if (!suffixes.some((s) => service.endsWith(s))) continue;
            guarded++;
            const where = `${ingress.metadata.name}: ${rule.host}${p.path} → ${service}`;
            expect(refs.length, `${where} has no middleware`).toBeGreaterThan(0);
            const mw = middlewares.get(refs[0]!);
            expect(mw?.spec.basicAuth?.secret, `${where}: ${refs[0]} is not a basicAuth Middleware of the render`).toBeTruthy();
            expect(ns(mw)).toBe(ns(ingress));
            expect(args, `${where}: Traefik does not load Middlewares of ${ns(mw)}`).toEqual(
              expect.arrayContaining(['--providers.kubernetesCRD=true', `--providers.kubernetesCRD.namespaces=${ns(mw)}`]),
            );
            expect(role.rules.some((x: any) => x.apiGroups.includes('traefik.io') && x.resources.includes('middlewares') && x.verbs.includes('watch'))).toBe(true);
          }
        }
      }
      // Not vacuous: with basic auth and Traefik on, Prometheus and Alertmanager are reachable (behind it).
      const values = c.files.map((f) => f.text).join('\n');
      if (!/basicAuth: \{enabled: false\}|traefik: \{enabled: false\}|ingress: \{enabled: false\}/.test(values) && ofKind(r.objects, 'Ingress').length > 0) {
        expect(guarded, 'protected paths routed').toBeGreaterThan(0);
      }
    });
  }

  it('leaves the UIs unrouted, with a warning, when basic auth or the chart\'s Traefik is off', () => {
    for (const [text, why] of [
      ['ingress: {basicAuth: {enabled: false}}\n', 'ingress.basicAuth.enabled is false'],
      ['traefik: {enabled: false}\n', "traefik.enabled is false, and the basic-auth Middleware needs the chart's Traefik"],
    ] as const) {
      const r = renderValues([{ name: 'v.yaml', text }]);
      const backends = ofKind(r.objects, 'Ingress').flatMap((i) => i.spec.rules.flatMap((rule: any) => rule.http.paths.map((p: any) => p.backend.service.name)));
      expect(backends.filter((s: string) => /-(prometheus|alertmanager|ai-engine)$/.test(s))).toEqual([]);
      expect(ofKind(r.objects, 'Middleware')).toEqual([]);
      expect(r.warnings).toContain(`/prometheus, /alertmanager, /ai (prometheus, alertmanager, ai-engine: no login of their own) not routed: ${why}; reach them with kubectl port-forward`);
    }
  });

  it('protects Kibana too when Elasticsearch security is off (Kibana then has no login)', () => {
    const r = renderValues([{ name: 'v.yaml', text: 'elasticsearch: {auth: {enabled: false}}\n' }]);
    const guarded = ofKind(r.objects, 'Ingress').find((i) => i.metadata.annotations?.[MIDDLEWARES_ANNOTATION]);
    expect(guarded.spec.rules[0].http.paths.map((p: any) => p.path)).toContain('/kibana');
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
              expect(winner?.ingress.metadata.annotations?.[MIDDLEWARES_ANNOTATION], `${rule.host}${metricsPath} (${w.metadata.name}) via ${winner?.ingress.metadata.name} ${winner?.path}`).toBeTruthy();
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
    for (const text of ['ingress: {basicAuth: {enabled: false}}\n', 'traefik: {enabled: false}\n']) {
      const r = renderValues([{ name: 'v.yaml', text }]);
      const grafana = ofKind(r.objects, 'Deployment').find((d) => d.metadata.name.endsWith('-grafana'));
      expect(grafana.spec.template.metadata.annotations['prometheus.io/scrape'], text).toBeUndefined();
      const ini: string = ofKind(r.objects, 'ConfigMap').find((c) => c.data?.['grafana.ini']).data['grafana.ini'];
      expect(ini).toContain('[metrics]\nenabled = false');
      expect(r.warnings.join('\n')).toContain('/grafana/metrics turned off');
    }
    for (const text of ['ingress: {enabled: false, basicAuth: {enabled: false}}\n', '']) {
      const r = renderValues([{ name: 'v.yaml', text }]);
      const ini: string = ofKind(r.objects, 'ConfigMap').find((c) => c.data?.['grafana.ini']).data['grafana.ini'];
      expect(ini, text).toContain('[metrics]\nenabled = true');
      expect(r.warnings.join('\n')).not.toContain('/grafana/metrics');
    }
  });
});
