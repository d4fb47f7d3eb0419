import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { ElasticsearchConnection } from '../../src/components/logging/connection.js';
import { Elasticsearch } from '../../src/components/logging/elasticsearch.js';
import { elasticsearchHeapMi, elasticsearchJavaOpts, type ElasticsearchYml } from '../../src/components/logging/elasticsearch-config.js';
import { loadValues } from '../../src/values/load.js';
import { ValuesError } from '../../src/values/issues.js';
import { renderConstruct, type ConstructRender } from '../support/construct.js';
import { SEED_DIR } from '../support/fixtures.js';
import { assertValidK8sObjects } from '../support/k8s-validate.js';
import { find, ofKind, workload } from '../support/render.js';

const NAME = 'aiops-platform-elasticsearch';
const HEADLESS = 'aiops-platform-elasticsearch-headless';
const CA = 'aiops-platform-elasticsearch-transport-ca';
const HEADLESS_FQDN = `${HEADLESS}.aiops-platform.svc.cluster.local`;
const SEED = readFileSync(join(SEED_DIR, 'my-values.yaml'), 'utf8');
const SEED_PASSWORD = 'your-elastic-password';

type Render = ConstructRender & { connection: ElasticsearchConnection };

/** Renders the construct alone and validates every object against the Kubernetes 1.27 schema. */
function render(valuesYaml = ''): Render {
  const r = renderConstruct(valuesYaml, (chart, ctx, values) => {
    return new Elasticsearch(chart, 'elasticsearch', { ctx, values: values.elasticsearch }).connection;
  });
  assertValidK8sObjects(r.objects);
  return { ...r, connection: r.built };
}

const { object: sts, pod, container, env } = workload('StatefulSet', NAME);
const files = (r: Render): Record<string, string> => find(r.objects, 'ConfigMap', NAME).data;
const yml = (r: Render): ElasticsearchYml => parse(files(r)['elasticsearch.yml']!);
const script = (r: Render, c: string): string => container(r, c).command[2];
const job = (r: Render) => find(r.objects, 'Job', CA);
const memory = (limit: string) => ({ resources: { requests: { cpu: '1', memory: limit }, limits: { memory: limit } } });

/** `sh -n`: parses a script without running it. */
function shellSyntaxErrors(text: string): string {
  const result = spawnSync('sh', ['-n'], { input: text, encoding: 'utf8' });
  return result.status === 0 ? '' : result.stderr || `exit ${result.status}`;
}

function issuePaths(valuesYaml: string): string[] {
  try {
    loadValues({ files: [{ name: 'values.yaml', text: valuesYaml }], sets: [] });
  } catch (e) {
    if (e instanceof ValuesError) return e.issues.map((i) => `${i.path}: ${i.message}`);
    throw e;
  }
  return [];
}

describe('Elasticsearch', () => {
  const defaults = render();
  const production = render('global: {development: false}');

  it('runs one single-node pod aiops-platform-elasticsearch-0 behind a client and a headless Service', () => {
    expect(sts(defaults).spec).toMatchObject({ replicas: 1, podManagementPolicy: 'OrderedReady', serviceName: HEADLESS });
    expect(yml(defaults)['discovery.type']).toBe('single-node');
    expect(yml(defaults)['discovery.seed_hosts']).toBeUndefined();
    expect(yml(defaults)).not.toHaveProperty('cluster.initial_master_nodes');
    expect(files(defaults)['start.sh']).not.toMatch(/initial_master_nodes|INITIAL__MASTER__NODES/);
    expect(yml(defaults)).toMatchObject({ 'cluster.name': 'aiops-platform', 'node.name': '${NODE_NAME}', 'network.host': '0.0.0.0', 'network.publish_host': '${POD_IP}' });
    expect(env(defaults, 'NODE_NAME', 'elasticsearch').valueFrom.fieldRef.fieldPath).toBe('metadata.name');
    expect(env(defaults, 'POD_IP', 'elasticsearch').valueFrom.fieldRef.fieldPath).toBe('status.podIP');
    const ports = (name: string) => find(defaults.objects, 'Service', name).spec.ports.map((p: any) => [p.name, p.port]);
    expect(ports(NAME)).toEqual([['http', 9200], ['metrics', 9114]]);
    expect(ports(HEADLESS)).toEqual([['http', 9200], ['transport', 9300]]);
    expect(find(defaults.objects, 'Service', HEADLESS).spec).toMatchObject({ clusterIP: 'None', publishNotReadyAddresses: true });
    expect(pod(defaults).affinity).toBeUndefined();
    expect(ofKind(defaults.objects, 'PodDisruptionBudget')).toEqual([]);
    expect(ofKind(defaults.objects, 'Job')).toEqual([]);
  });

  it('exposes the connection contract with the client Service URL and the one credentials Secret', () => {
    expect(defaults.connection).toEqual({
      serviceName: NAME,
      host: `${NAME}.aiops-platform.svc.cluster.local`,
      port: 9200,
      url: `http://${NAME}.aiops-platform.svc.cluster.local:9200`,
      authEnabled: true,
      secretName: NAME,
      keys: {
        elastic: 'elastic-password',
        kibanaSystem: 'kibana-system-password',
        logstashWriter: 'logstash-writer-password',
        logsReader: 'logs-reader-password',
        metricsReader: 'metrics-reader-password',
      },
      users: { kibana: 'kibana_system', logstash: 'logstash_writer', logsReader: 'logs_reader', metricsReader: 'metrics_reader' },
      indexPrefix: 'aiops-logs',
    });
    expect(Object.keys(find(defaults.objects, 'Secret', NAME).stringData)).toEqual([
      'elastic-password',
      'kibana-system-password',
      'logs-reader-password',
      'logstash-writer-password',
      'metrics-reader-password',
    ]);
  });

  it('forms a 3-node production cluster: seed hosts, every pod as initial master (first bootstrap only), parallel start, required anti-affinity, PDB', () => {
    expect(sts(production).spec).toMatchObject({ replicas: 3, podManagementPolicy: 'Parallel' });
    expect(yml(production)['discovery.type']).toBeUndefined();
    expect(yml(production)['discovery.seed_hosts']).toEqual([HEADLESS_FQDN]);
    // Not in elasticsearch.yml, where it would stay forever: the start script sets it (see elasticsearch-node-scripts.test.ts).
    expect(yml(production)).not.toHaveProperty('cluster.initial_master_nodes');
    expect(files(production)['start.sh']).toContain(`export ES_SETTING_CLUSTER_INITIAL__MASTER__NODES='${NAME}-0,${NAME}-1,${NAME}-2'`);
    const term = pod(production).affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0];
    expect(term.topologyKey).toBe('kubernetes.io/hostname');
    expect(term.labelSelector.matchLabels['app.kubernetes.io/name']).toBe('elasticsearch');
    expect(find(production.objects, 'PodDisruptionBudget', NAME).spec.maxUnavailable).toBe(1);
    const dev3 = render('elasticsearch: {replicas: 3}');
    expect(pod(dev3).affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution).toHaveLength(1);
    expect(render('global: {development: false}\nelasticsearch: {replicas: 1}').objects.some((o) => o.kind === 'StatefulSet' && o.spec.template.spec.affinity)).toBe(false);
    expect(render('elasticsearch: {replicas: 2}').warnings.join('\n')).toMatch(/replicas is 2: .*use 3/);
  });

  it('derives the heap from the memory limit: half, at least 256m, at most 31g, unless heapSize is set', () => {
    const slice = (yaml: string) => loadValues({ files: [{ name: 'v.yaml', text: yaml }], sets: [] }).values.elasticsearch;
    expect(elasticsearchHeapMi(slice('elasticsearch: {resources: {requests: {cpu: 1, memory: 2Gi}, limits: {memory: 2Gi}}}'))).toBe(1024);
    expect(elasticsearchHeapMi(slice('elasticsearch: {resources: {requests: {cpu: 1, memory: 64Gi}, limits: {memory: 64Gi}}}'))).toBe(31 * 1024);
    expect(elasticsearchHeapMi(slice('elasticsearch: {resources: {requests: {cpu: 1, memory: 384Mi}, limits: {memory: 384Mi}}}'))).toBe(256);
    expect(elasticsearchHeapMi(slice('elasticsearch: {resources: {requests: {cpu: 1, memory: 3Gi}, limits: {cpu: 2}}}'))).toBe(1536);
    expect(elasticsearchHeapMi(slice('elasticsearch: {heapSize: 3Gi, resources: {requests: {cpu: 1, memory: 8Gi}, limits: {memory: 8Gi}}}'))).toBe(3072);
    // The development default, 1536Mi: half of it.
    expect(elasticsearchJavaOpts(slice(''))).toMatch(/^-Xms768m -Xmx768m /);
    expect(env(defaults, 'ES_JAVA_OPTS', 'elasticsearch').value).toBe(elasticsearchJavaOpts(slice('')));
    expect(env(render(`elasticsearch: ${JSON.stringify(memory('64Gi'))}`), 'ES_JAVA_OPTS', 'elasticsearch').value).toMatch(/^-Xms31744m -Xmx31744m /);
    expect(env(production, 'ES_JAVA_OPTS', 'elasticsearch').value).toMatch(/^-Xms2048m -Xmx2048m /);
  });

  it('rejects a heapSize not below the memory limit, a bare-number heap and passwords shorter than 6 characters', () => {
    expect(issuePaths('elasticsearch: {heapSize: 1536Mi}').join('\n')).toMatch(/^elasticsearch\.heapSize: heapSize 1536Mi is not below the memory limit 1536Mi/);
    expect(issuePaths('elasticsearch: {heapSize: 2048}').join('\n')).toMatch(/elasticsearch\.heapSize: .*below 256Mi \(a bare number counts bytes\)/);
    expect(issuePaths('elasticsearch: {heapSize: 1Gi}')).toEqual([]);
    expect(issuePaths('elasticsearch: {heapSize: 2Gi}').join('\n')).toMatch(/^elasticsearch\.heapSize: heapSize 2Gi is not below the memory limit 1536Mi/);
    expect(issuePaths('elasticsearch: {auth: {kibanaPassword: abc}}').join('\n')).toMatch(/elasticsearch\.auth\.kibanaPassword: .*at least 6 characters/);
  });

  it('renders the seed my-values block: 3 nodes, 100Gi claims on fast-ssd, security on, transport TLS with its CA Job', () => {
    const seed = render(SEED);
    expect(sts(seed).spec.replicas).toBe(3);
    expect(sts(seed).spec.volumeClaimTemplates[0].spec).toMatchObject({ storageClassName: 'fast-ssd', resources: { requests: { storage: '100Gi' } } });
    expect(yml(seed)).toMatchObject({
      'xpack.security.enabled': true,
      'xpack.security.http.ssl.enabled': false,
      'xpack.security.transport.ssl.enabled': true,
      'xpack.security.transport.ssl.verification_mode': 'full',
      'xpack.security.transport.ssl.key': 'certs/node.key',
      'xpack.security.transport.ssl.certificate': 'certs/node.crt',
      'xpack.security.transport.ssl.certificate_authorities': ['certs/ca.crt'],
    });
    expect(pod(seed).initContainers.map((c: any) => c.name)).toEqual(['config', 'transport-certs']);
    expect(script(seed, 'transport-certs')).toContain(`--dns "$NODE_NAME"'.${HEADLESS_FQDN},${HEADLESS_FQDN},${NAME}.aiops-platform.svc.cluster.local' --ip "$POD_IP"`);
    expect(container(seed, 'elasticsearch').volumeMounts).toContainEqual({ name: 'certs', mountPath: '/usr/share/elasticsearch/config/certs', readOnly: true });
    expect(pod(seed).volumes).toContainEqual({ name: 'transport-ca', secret: { secretName: CA, defaultMode: 0o440 } });
    expect(pod(seed).volumes).toContainEqual({ name: 'certs', emptyDir: { medium: 'Memory', sizeLimit: '8Mi' } });
    expect(job(seed).spec.template.spec.serviceAccountName).toBe(CA);
    // The seed gives only the elastic password: it lands in the Secret (with a production warning),
    // and the client users' passwords are derived from it, distinct and not revealing it.
    expect(seed.warnings.join('\n')).toMatch(/elasticsearch\.auth\.password is a plaintext credential/);
    expect(seed.warnings.join('\n')).not.toMatch(/not set/);
    const data = find(seed.objects, 'Secret', NAME).stringData;
    expect(data['elastic-password']).toBe(SEED_PASSWORD);
    expect(data['kibana-system-password']).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(data['logstash-writer-password']).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(data['logs-reader-password']).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(data['metrics-reader-password']).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(new Set(Object.values(data)).size).toBe(5);
    const others = seed.objects.filter((o: any) => o.kind !== 'Secret');
    expect(JSON.stringify(others)).not.toContain(SEED_PASSWORD);
  });

  it('keeps every password in the Secret only: not in ConfigMaps, scripts, probes or env values', () => {
    const passwords = ['Es-el4stic-pw', 'Es-k1bana-pw', 'Es-l0gstash-pw'];
    const auth = `{password: ${passwords[0]}, kibanaPassword: ${passwords[1]}, logstashPassword: ${passwords[2]}}`;
    const r = render(`global: {development: false, storageClass: fast-ssd}\nelasticsearch: {replicas: 3, auth: ${auth}}\n`);
    expect(find(r.objects, 'Secret', NAME).stringData).toMatchObject({
      'elastic-password': passwords[0],
      'kibana-system-password': passwords[1],
      'logstash-writer-password': passwords[2],
    });
    for (const o of r.objects.filter((x) => x.kind !== 'Secret')) for (const p of passwords) expect(JSON.stringify(o)).not.toContain(p);
    for (const cm of ofKind(defaults.objects, 'ConfigMap')) expect(JSON.stringify(cm.data)).not.toContain('dev-aiops-platform-elasticsearch');
  });

  it('authenticates the readiness probe with the password from the environment; liveness and startup only check the port', () => {
    const es = container(defaults, 'elasticsearch');
    expect(env(defaults, 'ELASTIC_PASSWORD', 'elasticsearch').valueFrom).toEqual({ secretKeyRef: { name: NAME, key: 'elastic-password' } });
    expect(es.readinessProbe.exec.command).toEqual(['sh', '/usr/share/elasticsearch/aiops-scripts/readiness.sh']);
    const readiness = files(defaults)['readiness.sh'];
    expect(readiness).toContain('-u "elastic:${ELASTIC_PASSWORD}"');
    expect(readiness).toContain("'/_cluster/health?local=true'");
    expect(shellSyntaxErrors(readiness)).toBe('');
    // The image's entrypoint runs the start script (which runs the entrypoint again with eswrapper).
    expect(es.command).toBeUndefined();
    expect(es.args).toEqual(['sh', '/usr/share/elasticsearch/aiops-scripts/start.sh']);
    expect(es.volumeMounts).toContainEqual({ name: 'scripts', mountPath: '/usr/share/elasticsearch/aiops-scripts', readOnly: true });
    expect(pod(defaults).volumes.find((v: any) => v.name === 'scripts').configMap).toEqual({
      name: NAME,
      defaultMode: 0o555,
      items: [{ key: 'start.sh', path: 'start.sh' }, { key: 'readiness.sh', path: 'readiness.sh' }],
    });
    expect(es.livenessProbe.tcpSocket).toEqual({ port: 'http' });
    expect(es.startupProbe.tcpSocket).toEqual({ port: 'http' });
    expect(es.startupProbe.periodSeconds * es.startupProbe.failureThreshold).toBe(300);
  });

  it('renders no Secret, no TLS and no password with auth disabled, and probes readiness over plain HTTP', () => {
    const open = render('global: {development: false}\nelasticsearch: {auth: {enabled: false}}');
    expect(ofKind(open.objects, 'Secret')).toEqual([]);
    expect(ofKind(open.objects, 'Job')).toEqual([]);
    expect(yml(open)['xpack.security.enabled']).toBe(false);
    expect(Object.keys(yml(open)).filter((k) => k.startsWith('xpack.security.') && k !== 'xpack.security.enabled')).toEqual([]);
    expect(pod(open).initContainers.map((c: any) => c.name)).toEqual(['config']);
    expect(env(open, 'ELASTIC_PASSWORD', 'elasticsearch')).toBeUndefined();
    expect(container(open, 'metrics').env).toEqual([]);
    expect(container(open, 'elasticsearch').readinessProbe.exec.command).toEqual(['sh', '/usr/share/elasticsearch/aiops-scripts/readiness.sh']);
    expect(files(open)['readiness.sh']).not.toMatch(/ -u |PASSWORD/);
    expect(open.connection).toMatchObject({ authEnabled: false, secretName: undefined });
  });

  it('names each missing production credential once, with the command that creates the Secret', () => {
    const r = render('global: {development: false}');
    expect(ofKind(r.objects, 'Secret')).toEqual([]);
    const [warning] = r.warnings.filter((w) => w.includes('not set'));
    expect(warning).toMatch(/^elasticsearch\.auth\.password not set and no elasticsearch\.auth\.existingSecret: /);
    expect(warning).toContain('kubectl -n aiops-platform create secret generic aiops-platform-elasticsearch --from-literal=elastic-password=… --from-literal=kibana-system-password=…');
  });

  it('uses an existingSecret for the server and the exporter without rendering a Secret', () => {
    const r = render('elasticsearch: {auth: {existingSecret: my-es}}');
    expect(ofKind(r.objects, 'Secret')).toEqual([]);
    expect(env(r, 'ELASTIC_PASSWORD', 'elasticsearch').valueFrom.secretKeyRef.name).toBe('my-es');
    expect(env(r, 'ES_PASSWORD', 'metrics').valueFrom.secretKeyRef).toEqual({ name: 'my-es', key: 'metrics-reader-password' });
    expect(r.connection.secretName).toBe('my-es');
  });

  it('creates the transport CA once with a Job whose account may only create Secrets and read that one', () => {
    const seed = render(SEED);
    expect(find(seed.objects, 'Role', CA).rules).toEqual([
      { apiGroups: [''], resources: ['secrets'], verbs: ['create'] },
      { apiGroups: [''], resources: ['secrets'], verbs: ['get'], resourceNames: [CA] },
    ]);
    expect(find(seed.objects, 'RoleBinding', CA).subjects).toEqual([{ kind: 'ServiceAccount', name: CA, namespace: 'aiops-platform' }]);
    const spec = job(seed).spec.template.spec;
    expect(spec.automountServiceAccountToken).toBe(true);
    expect(spec.containers[0].securityContext).toMatchObject({ runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
    expect(spec.volumes).toEqual([{ name: 'work', emptyDir: { medium: 'Memory', sizeLimit: '64Mi' } }]);
    const text: string = spec.containers[0].command[2];
    expect(text).toContain(`secret='${CA}'`);
    expect(text).toContain('"$url/$secret"');
    expect(text).toMatch(/200\) echo .* exit 0 ;;\n {2}404\) ;;/);
    expect(text).toContain('elasticsearch-certutil ca --silent --pem --days 3650');
    expect(text).toContain('409) echo');
    expect(text).not.toMatch(/Bearer \$\(|-H "Authorization/);
    // The body printf, run as the shell will, prints a Secret manifest with the two values.
    const printf = text.split('\n').find((l) => l.startsWith('printf \'{"apiVersion"'))!.replace(/ > \S+$/, '');
    const out = spawnSync('sh', ['-c', `crt=Q1JU; key=S0VZ; ${printf}`], { encoding: 'utf8' });
    expect(JSON.parse(out.stdout)).toMatchObject({ kind: 'Secret', metadata: { name: CA, namespace: 'aiops-platform' }, type: 'Opaque', data: { 'ca.crt': 'Q1JU', 'ca.key': 'S0VZ' } });
    expect(find(seed.objects, 'ServiceAccount', CA).automountServiceAccountToken).toBe(false);
  });

  it('renders scripts that sh parses', () => {
    const seed = render(SEED);
    const sysctl = render('elasticsearch: {sysctlInitContainer: {enabled: true}}');
    for (const text of [
      script(seed, 'config'),
      script(seed, 'transport-certs'),
      job(seed).spec.template.spec.containers[0].command[2],
      script(sysctl, 'sysctl'),
      files(seed)['start.sh']!,
      files(seed)['readiness.sh']!,
      files(defaults)['start.sh']!,
    ]) {
      expect(shellSyntaxErrors(text)).toBe('');
    }
  });

  it('turns mmap off by default and needs no privileged container; the opt-in sysctl init container warns', () => {
    expect(yml(defaults)['node.store.allow_mmap']).toBe(false);
    expect(pod(defaults).initContainers.map((c: any) => c.name)).toEqual(['config']);
    expect(JSON.stringify(sts(defaults))).not.toContain('"privileged":true');
    const sysctl = render('elasticsearch: {sysctlInitContainer: {enabled: true}}');
    expect(yml(sysctl)['node.store.allow_mmap']).toBeUndefined();
    expect(pod(sysctl).initContainers[0]).toMatchObject({ name: 'sysctl', securityContext: { privileged: true, runAsUser: 0, runAsNonRoot: false } });
    expect(script(sysctl, 'sysctl')).toContain('echo 262144 > /proc/sys/vm/max_map_count');
    expect(sysctl.warnings.join('\n')).toMatch(/sysctlInitContainer\.enabled runs a privileged init container .* must not enforce restricted/);
    expect(defaults.warnings).toEqual([]);
  });

  it('refuses the sysctl init container together with podSecurityPolicy.enabled', () => {
    expect(issuePaths('podSecurityPolicy: {enabled: true}\nelasticsearch: {sysctlInitContainer: {enabled: true}}').join('\n')).toMatch(
      /^elasticsearch\.sysctlInitContainer\.enabled: the sysctl init container is privileged .*restricted Pod Security Standard/,
    );
    expect(issuePaths('podSecurityPolicy: {enabled: true}\nelasticsearch: {enabled: false, sysctlInitContainer: {enabled: true}}')).toEqual([]);
  });

  it('keeps the root filesystem read-only: config copied into an emptyDir, elasticsearch.yml by subPath, writable tmp and logs', () => {
    const es = container(defaults, 'elasticsearch');
    expect(pod(defaults).securityContext).toMatchObject({ runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000, runAsNonRoot: true });
    expect(es.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
    expect(es.volumeMounts.map((m: any) => [m.name, m.mountPath])).toEqual([
      ['data', '/usr/share/elasticsearch/data'],
      ['config', '/usr/share/elasticsearch/config'],
      ['elasticsearch-yml', '/usr/share/elasticsearch/config/elasticsearch.yml'],
      ['scripts', '/usr/share/elasticsearch/aiops-scripts'],
      ['tmp', '/tmp'],
      ['logs', '/usr/share/elasticsearch/logs'],
    ]);
    expect(es.volumeMounts[2]).toMatchObject({ subPath: 'elasticsearch.yml', readOnly: true });
    expect(script(defaults, 'config')).toContain('cp -R /usr/share/elasticsearch/config/. /mnt/config/');
    expect(sts(defaults).spec.template.metadata.annotations['checksum/config']).toMatch(/^[a-f0-9]{64}$/);
  });

  it('runs elasticsearch_exporter on 9114 against the local node as metrics_reader, scraped through annotations', () => {
    const metrics = container(defaults, 'metrics');
    expect(metrics.args).toEqual(['--es.uri=http://localhost:9200', '--es.all=false', '--es.indices', '--web.listen-address=:9114']);
    expect(metrics.readinessProbe.httpGet).toEqual({ path: '/healthz', port: 'metrics' });
    expect(env(defaults, 'ES_USERNAME', 'metrics').value).toBe('metrics_reader');
    expect(env(defaults, 'ES_PASSWORD', 'metrics').valueFrom.secretKeyRef).toEqual({ name: NAME, key: 'metrics-reader-password' });
    expect(sts(defaults).spec.template.metadata.annotations).toMatchObject({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': '9114' });
    const none = render('elasticsearch: {exporter: {enabled: false}}');
    expect(container(none, 'metrics')).toBeUndefined();
    expect(sts(none).spec.template.metadata.annotations['prometheus.io/scrape']).toBeUndefined();
  });
});
