import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { KIBANA_ENCRYPTION_KEYS, kibanaNodeOptions } from '../../src/components/logging/kibana-config.js';
import { Kibana } from '../../src/components/logging/kibana.js';
import { developmentCredential } from '../../src/components/shared/credential-secret.js';
import type { PlatformContext } from '../../src/lib/context.js';
import { loadValues } from '../../src/values/load.js';
import { renderConstruct } from '../support/construct.js';
import { registerCrdValidators } from '../support/crd-validate.js';
import { assertValidK8sObjects } from '../support/k8s-validate.js';
import { ES_HOST, sampleElasticsearch } from '../support/connections.js';
import { find, ofKind, workload } from '../support/render.js';

const ES = sampleElasticsearch();
const ES_NO_AUTH = sampleElasticsearch({ authEnabled: false });
const TLS_INGRESS = 'ingress: {hosts: [{host: aiops.example.com}], tls: [{secretName: aiops-tls, hosts: [aiops.example.com]}]}';
const NAME = 'aiops-platform-kibana';

registerCrdValidators();

/** Renders Kibana alone; every render is checked against the Kubernetes schemas. */
function render(valuesYaml = '', elasticsearch = ES) {
  const r = renderConstruct(valuesYaml, (chart, ctx, values) => {
    return new Kibana(chart, 'kibana', { ctx, values: values.kibana, elasticsearch });
  });
  assertValidK8sObjects(r.objects);
  return { ...r, kibana: r.built };
}

type Render = ReturnType<typeof render>;
const { object: deployment, pod, container, env } = workload('Deployment', NAME);
const kibanaYmlText = (r: Render): string => find(r.objects, 'ConfigMap', NAME).data['kibana.yml'];
const kibanaYml = (r: Render) => parse(kibanaYmlText(r));

describe('Kibana', () => {
  const defaults = render();

  it('renders Deployment and Service aiops-platform-kibana on 5601 named http and exposes the endpoint', () => {
    const service = find(defaults.objects, 'Service', NAME);
    expect(service.spec.ports).toEqual([{ name: 'http', port: 5601, protocol: 'TCP', targetPort: 'http' }]);
    expect(service.spec.selector).toEqual({
      'app.kubernetes.io/name': 'kibana',
      'app.kubernetes.io/instance': 'aiops-platform',
      'app.kubernetes.io/component': 'logs-ui',
    });
    expect(container(defaults).ports).toEqual([{ name: 'http', containerPort: 5601, protocol: 'TCP' }]);
    expect(container(defaults).image).toBe('docker.elastic.co/kibana/kibana:8.19.3');
    expect(deployment(defaults).spec.replicas).toBe(1);
    expect(defaults.kibana.connection).toEqual({ serviceName: NAME, port: 5601, basePath: '/kibana' });
  });

  it('serves /kibana with rewriteBasePath and a publicBaseUrl under the Ingress host (http without TLS)', () => {
    expect(kibanaYml(defaults)).toMatchObject({
      'server.host': '0.0.0.0',
      'server.port': 5601,
      'server.name': NAME,
      'server.basePath': '/kibana',
      'server.rewriteBasePath': true,
      'server.publicBaseUrl': 'http://aiops.local/kibana',
      'xpack.security.secureCookies': false,
    });
  });

  it('uses an https publicBaseUrl and secure cookies when the Ingress TLS names the host', () => {
    const yml = kibanaYml(render(TLS_INGRESS));
    expect(yml['server.publicBaseUrl']).toBe('https://aiops.example.com/kibana');
    expect(yml['xpack.security.secureCookies']).toBe(true);
  });

  it('uses the in-cluster Service URL as publicBaseUrl without an Ingress', () => {
    expect(kibanaYml(render('ingress: {enabled: false}'))['server.publicBaseUrl']).toBe(
      'http://aiops-platform-kibana.aiops-platform.svc.cluster.local:5601/kibana',
    );
  });

  it('signs in to Elasticsearch as kibana_system with the password only from the Secret through ${KIBANA_SYSTEM_PASSWORD}', () => {
    const yml = kibanaYml(defaults);
    expect(yml['elasticsearch.hosts']).toEqual([`http://${ES_HOST}:9200`]);
    expect(yml['elasticsearch.username']).toBe('kibana_system');
    expect(yml['elasticsearch.password']).toBe('${KIBANA_SYSTEM_PASSWORD}');
    expect(env(defaults, 'KIBANA_SYSTEM_PASSWORD')).toEqual({
      name: 'KIBANA_SYSTEM_PASSWORD',
      valueFrom: { secretKeyRef: { name: 'es-credentials', key: 'kibana-system-password' } },
    });
  });

  it('puts no secret value into any ConfigMap, only ${VAR} references', () => {
    const r = render('kibana: {encryptionKeys: {security: sssssssssssssssssssssssssssssssss1, savedObjects: ooooooooooooooooooooooooooooooooo2, reporting: rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr3}}');
    const secretValues = ofKind(r.objects, 'Secret').flatMap((s) => Object.values(s.stringData as Record<string, string>));
    expect(secretValues).toHaveLength(3);
    const configMaps = JSON.stringify(ofKind(r.objects, 'ConfigMap'));
    for (const value of secretValues) expect(configMaps).not.toContain(value);
    expect(kibanaYml(r)).toMatchObject({
      'xpack.security.encryptionKey': '${KIBANA_SECURITY_ENCRYPTION_KEY}',
      'xpack.encryptedSavedObjects.encryptionKey': '${KIBANA_SAVED_OBJECTS_ENCRYPTION_KEY}',
      'xpack.reporting.encryptionKey': '${KIBANA_REPORTING_ENCRYPTION_KEY}',
    });
    const plain = container(r).env.filter((e: any) => e.value !== undefined).map((e: any) => e.name);
    expect(plain).toEqual(['NODE_OPTIONS']);
  });

  it('has no Elasticsearch credentials when Elasticsearch security is off', () => {
    const r = render('', ES_NO_AUTH);
    expect(kibanaYmlText(r)).not.toMatch(/elasticsearch\.(username|password)/);
    expect(env(r, 'KIBANA_SYSTEM_PASSWORD')).toBeUndefined();
    expect(kibanaYml(r)['elasticsearch.hosts']).toEqual([`http://${ES_HOST}:9200`]);
  });

  it('refuses a connection with security on but no Secret', () => {
    expect(() => render('', { ...ES, secretName: undefined })).toThrow(/authEnabled but no secretName/);
  });

  it('keeps the three encryption keys in the Secret aiops-platform-kibana, at least 32 characters in development', () => {
    const secret = find(defaults.objects, 'Secret', NAME);
    expect(Object.keys(secret.stringData).sort()).toEqual(['reporting-encryption-key', 'saved-objects-encryption-key', 'security-encryption-key']);
    for (const value of Object.values(secret.stringData) as string[]) expect(value.length).toBeGreaterThanOrEqual(32);
    for (const { env: name, secretKey } of Object.values(KIBANA_ENCRYPTION_KEYS)) {
      expect(env(defaults, name)).toEqual({ name, valueFrom: { secretKeyRef: { name: NAME, key: secretKey } } });
    }
  });

  it('has development keys of at least 32 characters even with a one-letter release', () => {
    const ctx = { release: 'a' } as PlatformContext;
    for (const { secretKey } of Object.values(KIBANA_ENCRYPTION_KEYS)) {
      expect(developmentCredential(ctx, { name: 'kibana', component: 'logs-ui' }, secretKey).length).toBeGreaterThanOrEqual(32);
    }
  });

  it('rejects an encryption key shorter than 32 characters in the values', () => {
    expect(() => loadValues({ files: [{ name: 'v.yaml', text: 'kibana: {encryptionKeys: {security: too-short}}' }], sets: [] })).toThrow(
      /kibana\.encryptionKeys\.security[\s\S]*at least 32 characters[\s\S]*found 9/,
    );
  });

  it('reads the keys from kibana.existingSecret and renders no Secret of its own', () => {
    const r = render('kibana: {existingSecret: kibana-keys}');
    expect(ofKind(r.objects, 'Secret')).toEqual([]);
    expect(env(r, 'KIBANA_SECURITY_ENCRYPTION_KEY').valueFrom.secretKeyRef).toEqual({ name: 'kibana-keys', key: 'security-encryption-key' });
  });

  it('renders no development keys in production and says which Secret to create', () => {
    const r = render('global: {development: false}');
    expect(ofKind(r.objects, 'Secret')).toEqual([]);
    expect(r.warnings.join('\n')).toMatch(/kibana\.encryptionKeys\.security.*kibana\.existingSecret.*create secret generic aiops-platform-kibana/);
  });

  it('probes readiness at /kibana/api/status and liveness and startup on the port, with a long startup window', () => {
    const c = container(defaults);
    expect(c.readinessProbe.httpGet).toEqual({ path: '/kibana/api/status', port: 'http' });
    expect(c.livenessProbe.tcpSocket).toEqual({ port: 'http' });
    expect(c.livenessProbe.httpGet).toBeUndefined();
    expect(c.startupProbe.tcpSocket).toEqual({ port: 'http' });
    expect(c.startupProbe.periodSeconds * c.startupProbe.failureThreshold).toBeGreaterThanOrEqual(300);
  });

  it('runs as the image kibana user 1000 on a read-only root filesystem, writing only to data/ and /tmp', () => {
    expect(pod(defaults).securityContext).toMatchObject({ runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000, runAsNonRoot: true });
    expect(container(defaults).securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    const writable = container(defaults).volumeMounts.filter((m: any) => !m.readOnly).map((m: any) => m.mountPath);
    expect(writable.sort()).toEqual(['/tmp', '/usr/share/kibana/data']);
    expect(container(defaults).volumeMounts).toContainEqual({ name: 'config', mountPath: '/usr/share/kibana/config/kibana.yml', subPath: 'kibana.yml', readOnly: true });
  });

  it('takes resources from values and sizes the Node.js heap at 75 % of the memory limit', () => {
    expect(container(defaults).resources).toEqual({ requests: { cpu: '100m', memory: '1Gi' }, limits: { memory: '1Gi' } });
    expect(env(defaults, 'NODE_OPTIONS').value).toBe('--max-old-space-size=768');
    const prod = render('global: {development: false}');
    expect(container(prod).resources.limits).toEqual({ memory: '2Gi' });
    expect(env(prod, 'NODE_OPTIONS').value).toBe('--max-old-space-size=1536');
    const noMemoryLimit = render('kibana: {resources: {requests: {cpu: 200m, memory: 1Gi}, limits: {cpu: "1"}}}');
    expect(env(noMemoryLimit, 'NODE_OPTIONS')).toBeUndefined();
  });

  it('stays offline and logs at global.logLevel', () => {
    expect(kibanaYml(defaults)).toMatchObject({
      'telemetry.optIn': false,
      'telemetry.allowChangingOptInStatus': false,
      'newsfeed.enabled': false,
      'logging.root.level': 'debug',
    });
    expect(kibanaYml(render('global: {logLevel: warn}'))['logging.root.level']).toBe('warn');
  });

  it('rolls pods when kibana.yml changes and carries no scrape annotations (Kibana has no Prometheus endpoint)', () => {
    const annotations = (r: Render) => deployment(r).spec.template.metadata.annotations;
    expect(annotations(defaults)).toEqual({ 'checksum/config': expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(annotations(render('global: {logLevel: warn}'))['checksum/config']).not.toBe(annotations(defaults)['checksum/config']);
  });

  it('runs 2 replicas with a PodDisruptionBudget in production; no budget in development, even with 2 replicas', () => {
    const prod = render('global: {development: false}\nkibana: {existingSecret: kibana-keys}');
    expect(deployment(prod).spec.replicas).toBe(2);
    expect(find(prod.objects, 'PodDisruptionBudget', NAME).spec).toEqual({
      maxUnavailable: 1,
      selector: { matchLabels: { 'app.kubernetes.io/name': 'kibana', 'app.kubernetes.io/instance': 'aiops-platform', 'app.kubernetes.io/component': 'logs-ui' } },
    });
    expect(pod(prod).affinity.podAntiAffinity).toBeDefined();
    expect(ofKind(defaults.objects, 'PodDisruptionBudget')).toEqual([]);
    expect(ofKind(render('kibana: {replicas: 2}').objects, 'PodDisruptionBudget')).toEqual([]);
    expect(ofKind(render('global: {development: false}\nkibana: {replicas: 1}').objects, 'PodDisruptionBudget')).toEqual([]);
  });

  it('makes an ExternalSecret for the keys with secrets.external', () => {
    const r = render('secrets: {external: true}');
    const external = find(r.objects, 'ExternalSecret', NAME);
    expect(external.spec.data.map((d: any) => d.remoteRef)).toEqual([
      { key: 'secret/aiops/kibana', property: 'security-encryption-key' },
      { key: 'secret/aiops/kibana', property: 'saved-objects-encryption-key' },
      { key: 'secret/aiops/kibana', property: 'reporting-encryption-key' },
    ]);
  });
});

describe('kibanaNodeOptions', () => {
  it('gives the heap 75 % of the memory limit in MiB, rounded down', () => {
    expect(kibanaNodeOptions('1Gi')).toBe('--max-old-space-size=768');
    expect(kibanaNodeOptions('2Gi')).toBe('--max-old-space-size=1536');
    expect(kibanaNodeOptions('1500Mi')).toBe('--max-old-space-size=1125');
    // 1G = 10^9 bytes = 953 MiB (rounded down) → 714.75 → 714
    expect(kibanaNodeOptions('1G')).toBe('--max-old-space-size=714');
  });

  it('leaves the heap to Node without a memory limit', () => {
    expect(kibanaNodeOptions(undefined)).toBeUndefined();
  });
});
