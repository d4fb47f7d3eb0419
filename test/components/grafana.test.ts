import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { DashboardComponents } from '../../src/components/monitoring/dashboards/index.js';
import { Grafana, type GrafanaProps } from '../../src/components/monitoring/grafana.js';
import { iniFile } from '../../src/lib/config-files.js';
import { loadValues } from '../../src/values/load.js';
import { renderConstruct } from '../support/construct.js';
import { registerCrdValidators } from '../support/crd-validate.js';
import { SEED_DIR } from '../support/fixtures.js';
import { assertValidK8sObjects } from '../support/k8s-validate.js';
import { find, ofKind, workload } from '../support/render.js';

const PROMETHEUS_URL = 'http://aiops-platform-prometheus.aiops-platform.svc.cluster.local:9090/prometheus';
const ALL: DashboardComponents = { nodeExporter: true, traefik: true, postgresql: true, redis: true, aiEngine: true, selfHealing: true };
const ELASTICSEARCH = {
  url: 'http://aiops-platform-elasticsearch.aiops-platform.svc.cluster.local:9200',
  username: 'elastic',
  secretName: 'aiops-platform-elasticsearch',
  passwordKey: 'elastic-password',
  indexPattern: 'logs-*',
};
const SEED_MY_VALUES = readFileSync(join(SEED_DIR, 'my-values.yaml'), 'utf8');

type Extra = Partial<Pick<GrafanaProps, 'elasticsearch' | 'components' | 'prometheus' | 'authProxy'>>;

function render(valuesYaml = '', extra: Extra = {}) {
  return renderConstruct(valuesYaml, (chart, ctx, values) => {
    new Grafana(chart, 'grafana', {
      ctx,
      values: values.grafana,
      prometheus: { url: PROMETHEUS_URL, scrapeInterval: values.prometheus.scrapeInterval },
      components: ALL,
      thresholds: values.alerting.thresholds,
      ...extra,
    });
  });
}

type Render = ReturnType<typeof render>;
const { object: deployment, pod, container, env } = workload('Deployment', 'aiops-platform-grafana');
const configMap = (r: Render) => find(r.objects, 'ConfigMap', 'aiops-platform-grafana').data;
const dashboardsMap = (r: Render) => find(r.objects, 'ConfigMap', 'aiops-platform-grafana-dashboards').data ?? {};

/** Reads grafana.ini back the way Grafana does: `[section]` headers and `key = value` lines. */
function readIni(text: string): Record<string, Record<string, string>> {
  const sections: Record<string, Record<string, string>> = {};
  let current: Record<string, string> = {};
  for (const line of text.split('\n').filter((l) => l.trim() !== '')) {
    const header = /^\[(.+)\]$/.exec(line);
    if (header) sections[header[1]!] = current = {};
    else {
      const [, key, value] = /^(\S+) = (.*)$/.exec(line)!;
      current[key!] = value!;
    }
  }
  return sections;
}
const ini = (r: Render) => readIni(configMap(r)['grafana.ini']);
const datasources = (r: Render) => parse(configMap(r)['datasources.yaml']).datasources;

describe('Grafana', () => {
  const defaults = render('');

  it('renders Deployment and Service aiops-platform-grafana on port 3000 named http', () => {
    const service = find(defaults.objects, 'Service', 'aiops-platform-grafana');
    expect(service.spec.ports).toEqual([{ name: 'http', port: 3000, protocol: 'TCP', targetPort: 'http' }]);
    expect(service.spec.selector).toEqual({
      'app.kubernetes.io/name': 'grafana',
      'app.kubernetes.io/instance': 'aiops-platform',
      'app.kubernetes.io/component': 'dashboards',
    });
    expect(container(defaults).ports).toEqual([{ name: 'http', containerPort: 3000, protocol: 'TCP' }]);
    expect(container(defaults).image).toBe('docker.io/grafana/grafana:12.1.1');
    expect(deployment(defaults).spec.replicas).toBe(1);
  });

  it('runs as the image grafana user 472 with a read-only root filesystem and resources from values', () => {
    expect(pod(defaults).securityContext).toMatchObject({ runAsUser: 472, runAsGroup: 472, fsGroup: 472, runAsNonRoot: true });
    expect(container(defaults).securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    const writable = container(defaults).volumeMounts.filter((m: any) => !m.readOnly).map((m: any) => m.mountPath);
    expect(writable.sort()).toEqual(['/tmp', '/var/lib/grafana']);
    const r = render('grafana: {resources: {requests: {cpu: 300m, memory: 300Mi}, limits: {memory: 600Mi}}}');
    expect(container(r).resources).toEqual({ requests: { cpu: '300m', memory: '300Mi' }, limits: { memory: '600Mi' } });
  });

  it('serves /grafana through the Ingress host: root_url with a trailing slash and serve_from_sub_path', () => {
    expect(ini(defaults).server).toMatchObject({ http_port: '3000', root_url: 'http://aiops.local/grafana/', serve_from_sub_path: 'true' });
    expect(ini(defaults).security!.cookie_secure).toBe('false');
  });

  it('uses an https root_url and secure cookies when the Ingress host has TLS (seed my-values.yaml)', () => {
    const r = render(SEED_MY_VALUES);
    expect(ini(r).server!.root_url).toBe('https://aiops.example.com/grafana/');
    expect(ini(r).security!.cookie_secure).toBe('true');
  });

  it('uses the in-cluster Service URL as root_url without an Ingress', () => {
    const r = render('ingress: {enabled: false}');
    expect(ini(r).server!.root_url).toBe('http://aiops-platform-grafana.aiops-platform.svc.cluster.local:3000/grafana/');
  });

  it('stays offline and closed: no sign-up, no anonymous access, no update checks, console logs at global.logLevel', () => {
    const sections = ini(defaults);
    expect(sections.users).toEqual({ allow_sign_up: 'false', allow_org_create: 'false', auto_assign_org_role: 'Viewer' });
    expect(sections['auth.anonymous']).toEqual({ enabled: 'false' });
    // Its own login form, no auth proxy: nothing in front of it vouches for a user.
    expect([sections.auth, sections['auth.basic'], sections['auth.proxy']]).toEqual([undefined, undefined, undefined]);
    expect(sections.analytics).toMatchObject({ reporting_enabled: 'false', check_for_updates: 'false', check_for_plugin_updates: 'false' });
    expect(sections.plugins).toEqual({ preinstall_disabled: 'true' });
    expect(sections.security).toMatchObject({ admin_user: 'admin', disable_gravatar: 'true' });
    expect(sections.paths!.provisioning).toBe('/etc/grafana/provisioning');
    expect(sections.log).toEqual({ mode: 'console', level: 'debug' });
    expect(ini(render('global: {logLevel: warn}')).log!.level).toBe('warn');
  });

  it('behind the gateway, signs users in from its headers with the mapped role, on every request, and has no login of its own', () => {
    const sections = ini(render('', { authProxy: true }));
    expect(sections['auth.proxy']).toEqual({
      enabled: 'true',
      header_name: 'X-WEBAUTH-USER',
      header_property: 'username',
      auto_sign_up: 'true',
      headers: 'Role:X-WEBAUTH-ROLE',
      enable_login_token: 'false',
    });
    expect(sections.auth).toEqual({ disable_login_form: 'true', disable_signout_menu: 'true' });
    expect(sections['auth.basic']).toEqual({ enabled: 'false' });
    expect(sections['auth.anonymous']).toEqual({ enabled: 'false' });
    // A user without a role header gets the least role; nobody signs up any other way.
    expect(sections.users).toEqual({ allow_sign_up: 'false', allow_org_create: 'false', auto_assign_org_role: 'Viewer' });
  });

  it('probes the health endpoints under the sub-path, which Grafana does not redirect', () => {
    const c = container(defaults);
    expect(c.readinessProbe.httpGet).toEqual({ path: '/grafana/api/health', port: 'http' });
    expect(c.livenessProbe.httpGet).toEqual({ path: '/grafana/healthz', port: 'http' });
    expect(c.startupProbe.httpGet.path).toBe('/grafana/api/health');
    expect(deployment(defaults).spec.template.metadata.annotations['prometheus.io/path']).toBe('/grafana/metrics');
  });

  it('puts the seed admin password into the Secret only, read through GF_SECURITY_ADMIN_PASSWORD', () => {
    const r = render(SEED_MY_VALUES);
    expect(find(r.objects, 'Secret', 'aiops-platform-grafana').stringData).toEqual({ 'admin-user': 'admin', 'admin-password': 'your-secure-password' });
    const holders = r.objects.filter((o) => JSON.stringify(o).includes('your-secure-password')).map((o) => o.kind);
    expect(holders).toEqual(['Secret']);
    expect(env(r, 'GF_SECURITY_ADMIN_PASSWORD').valueFrom.secretKeyRef).toEqual({ name: 'aiops-platform-grafana', key: 'admin-password' });
    expect(env(r, 'GF_SECURITY_ADMIN_USER').valueFrom.secretKeyRef).toEqual({ name: 'aiops-platform-grafana', key: 'admin-user' });
    expect(container(r).env.filter((e: any) => e.value !== undefined)).toEqual([]);
  });

  it('uses grafana.existingSecret and renders no Secret', () => {
    const r = render('grafana: {existingSecret: grafana-admin}');
    expect(ofKind(r.objects, 'Secret')).toEqual([]);
    expect(env(r, 'GF_SECURITY_ADMIN_PASSWORD').valueFrom.secretKeyRef).toEqual({ name: 'grafana-admin', key: 'admin-password' });
  });

  it('provisions Prometheus as the default datasource with its /prometheus prefix and scrape interval', () => {
    expect(datasources(defaults)).toEqual([
      {
        name: 'Prometheus',
        type: 'prometheus',
        uid: 'prometheus',
        access: 'proxy',
        url: PROMETHEUS_URL,
        isDefault: true,
        editable: false,
        jsonData: { httpMethod: 'POST', timeInterval: '30s', prometheusType: 'Prometheus' },
      },
    ]);
    expect(datasources(render('prometheus: {scrapeInterval: 15s}'))[0].jsonData.timeInterval).toBe('15s');
  });

  it('adds Elasticsearch only when given, its password from the Secret through $ES_PASSWORD', () => {
    expect(datasources(defaults).map((d: any) => d.uid)).toEqual(['prometheus']);
    expect(env(defaults, 'ES_PASSWORD')).toBeUndefined();
    const r = render('', { elasticsearch: ELASTICSEARCH });
    const es = datasources(r).find((d: any) => d.uid === 'elasticsearch');
    expect(es).toMatchObject({ type: 'elasticsearch', url: ELASTICSEARCH.url, basicAuth: true, basicAuthUser: 'elastic', isDefault: false });
    expect(es.jsonData).toMatchObject({ index: 'logs-*', timeField: '@timestamp' });
    expect(es.secureJsonData).toEqual({ basicAuthPassword: '$ES_PASSWORD' });
    expect(env(r, 'ES_PASSWORD').valueFrom.secretKeyRef).toEqual({ name: 'aiops-platform-elasticsearch', key: 'elastic-password' });
  });

  it('mounts grafana.ini and the provisioning files where the image reads them', () => {
    const mounts = Object.fromEntries(container(defaults).volumeMounts.map((m: any) => [m.mountPath, m]));
    expect(mounts['/etc/grafana/grafana.ini']).toMatchObject({ name: 'config', subPath: 'grafana.ini' });
    expect(mounts['/etc/grafana/provisioning/datasources']).toMatchObject({ name: 'config', subPath: 'datasources' });
    expect(mounts['/etc/grafana/provisioning/dashboards']).toMatchObject({ name: 'config', subPath: 'dashboards' });
    const items = pod(defaults).volumes.find((v: any) => v.name === 'config').configMap.items;
    expect(items.map((i: any) => i.path)).toEqual(['grafana.ini', 'datasources/datasources.yaml', 'dashboards/dashboards.yaml']);
  });

  it('provisions one dashboard file per metric area, read-only, in the folder "AIOps Platform"', () => {
    const provider = parse(configMap(defaults)['dashboards.yaml']).providers[0];
    expect(provider).toMatchObject({ folder: 'AIOps Platform', type: 'file', disableDeletion: true, allowUiUpdates: false });
    const mount = container(defaults).volumeMounts.find((m: any) => m.name === 'dashboards');
    expect(mount.mountPath).toBe(provider.options.path);
    expect(pod(defaults).volumes.find((v: any) => v.name === 'dashboards').configMap.name).toBe('aiops-platform-grafana-dashboards');
    expect(Object.keys(dashboardsMap(defaults)).sort()).toEqual(
      ['aiops-ai.json', 'aiops-application.json', 'aiops-cache.json', 'aiops-database.json', 'aiops-self-healing.json', 'aiops-system.json'],
    );
    expect(JSON.parse(dashboardsMap(defaults)['aiops-system.json']).uid).toBe('aiops-system');
  });

  it('renders dashboards only for running metric sources, and none without Prometheus', () => {
    const some = render('', { components: { ...ALL, redis: false, aiEngine: false, selfHealing: false } });
    expect(Object.keys(dashboardsMap(some)).sort()).toEqual(['aiops-application.json', 'aiops-database.json', 'aiops-system.json']);
    const none = render('', { prometheus: undefined });
    expect(dashboardsMap(none)).toEqual({});
    expect(datasources(none)).toEqual([]);
  });

  it('keeps data in a PersistentVolumeClaim with the storage class, one replica and Recreate', () => {
    const r = render('global: {storageClass: fast-ssd}\ngrafana: {persistence: {size: 10Gi}}');
    const claim = find(r.objects, 'PersistentVolumeClaim', 'aiops-platform-grafana');
    expect(claim.spec).toEqual({ accessModes: ['ReadWriteOnce'], storageClassName: 'fast-ssd', resources: { requests: { storage: '10Gi' } } });
    expect(pod(r).volumes).toContainEqual({ name: 'data', persistentVolumeClaim: { claimName: 'aiops-platform-grafana' } });
    expect(deployment(r).spec.strategy).toEqual({ type: 'Recreate' });
    expect(find(defaults.objects, 'PersistentVolumeClaim', 'aiops-platform-grafana').spec.resources.requests.storage).toBe('5Gi');
  });

  it('uses an emptyDir and rolling updates without persistence', () => {
    const r = render('grafana: {persistence: {enabled: false}}');
    expect(ofKind(r.objects, 'PersistentVolumeClaim')).toEqual([]);
    expect(pod(r).volumes).toContainEqual({ name: 'data', emptyDir: {} });
    expect(deployment(r).spec.strategy.type).toBe('RollingUpdate');
  });

  it('rejects several replicas with persistence, and adds a PodDisruptionBudget for several without', () => {
    const load = (text: string) => () => loadValues({ files: [{ name: 'v.yaml', text }], sets: [] });
    expect(load('grafana: {replicas: 2}')).toThrow(/grafana\.persistence\.enabled: false/);
    expect(ofKind(defaults.objects, 'PodDisruptionBudget')).toEqual([]);
    const r = render('grafana: {replicas: 2, persistence: {enabled: false}}');
    expect(deployment(r).spec.replicas).toBe(2);
    expect(find(r.objects, 'PodDisruptionBudget', 'aiops-platform-grafana').spec.maxUnavailable).toBe(1);
  });

  it('rolls the pods when the configuration or the dashboards change', () => {
    const annotations = (r: Render) => deployment(r).spec.template.metadata.annotations;
    const warn = render('global: {logLevel: warn}');
    const fewer = render('', { components: { ...ALL, redis: false } });
    expect(annotations(defaults)['checksum/config']).toMatch(/^[0-9a-f]{64}$/);
    expect(annotations(warn)['checksum/config']).not.toBe(annotations(defaults)['checksum/config']);
    expect(annotations(warn)['checksum/dashboards']).toBe(annotations(defaults)['checksum/dashboards']);
    expect(annotations(fewer)['checksum/dashboards']).not.toBe(annotations(defaults)['checksum/dashboards']);
  });

  it('renders only valid Kubernetes objects', () => {
    registerCrdValidators();
    for (const r of [
      defaults,
      render(SEED_MY_VALUES, { elasticsearch: ELASTICSEARCH }),
      render('grafana: {replicas: 2, persistence: {enabled: false}, existingSecret: grafana-admin}'),
      render('secrets: {external: true}'),
    ]) {
      assertValidK8sObjects(r.objects);
    }
  });
});

describe('iniFile', () => {
  it('renders sections and keys in order, booleans as true/false, and leaves out undefined keys', () => {
    expect(iniFile({ server: { http_port: 3000, serve_from_sub_path: true, domain: undefined }, 'auth.anonymous': { enabled: false } })).toBe(
      '[server]\nhttp_port = 3000\nserve_from_sub_path = true\n\n[auth.anonymous]\nenabled = false\n',
    );
  });

  it('refuses a value with a line break', () => {
    expect(() => iniFile({ server: { root_url: 'http://a/\n[security]' } })).toThrow(/\[server\] root_url has a line break/);
  });
});
