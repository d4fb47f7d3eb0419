import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CHECK_ATTEMPTS, CHECK_PAUSE_SECONDS, CHECK_TIMEOUT_SECONDS } from '../../src/components/tests/connection-test-scripts.js';
import { cli } from '../support/cli.js';
import { assertValidK8sObjects } from '../support/k8s-validate.js';
import { find, parseManifests, podSpecOf, renderValues, renderYaml, RESTRICTED_CONTAINER, type TestRender } from '../support/render.js';
import { renderCases } from '../support/renders.js';

/*
 * The connection tests (`helm test`, `dist/tests/`): one Pod per rendered service, restricted,
 * pinned, with resources and the Helm test hook, aimed at what the real clients of each service use.
 */

const NS = 'aiops-platform';
/** The checked services, by the suffix of their test Pod, which is also their workload's. */
const CHECKED = ['prometheus', 'alertmanager', 'grafana', 'elasticsearch', 'kibana', 'redis', 'postgresql', 'traefik', 'ai-engine', 'api-gateway', 'self-healing'];

const testPods = (r: Pick<TestRender, 'testObjects'>): any[] => r.testObjects.filter((o) => o.kind === 'Pod');
const testPod = (r: Pick<TestRender, 'testObjects'>, service: string): any => find(r.testObjects, 'Pod', `${NS}-test-${service}`);
const container = (pod: any) => pod.spec.containers[0];
const env = (pod: any, name: string): any => container(pod).env?.find((e: any) => e.name === name);
const workloadOf = (r: TestRender, name: string) => r.objects.find((o: any) => ['Deployment', 'StatefulSet'].includes(o.kind as string) && (o.metadata as any).name === `${NS}-${name}`) as any;
/** The container of a workload that serves `name`'s probes (the first). */
const served = (r: TestRender, name: string) => podSpecOf(workloadOf(r, name)).containers[0];
const urlOf = (pod: any) => new URL(env(pod, 'CHECK_URL').value);

const defaults = renderValues();
const production = renderYaml('global: {development: false}\n');

describe('connection tests: which Pods', () => {
  it('renders one test Pod per checked service of the default render, named <release>-test-<service>', () => {
    expect(testPods(defaults).map((p) => p.metadata.name)).toEqual(CHECKED.map((s) => `${NS}-test-${s}`));
  });

  it.each(renderCases().map((c) => [c.name, c] as const))('%s: a test Pod exactly for each rendered service', (_name, c) => {
    const r = renderValues(c.files, c.sets);
    const rendered = CHECKED.filter((s) => workloadOf(r, s));
    expect(testPods(r).map((p) => p.metadata.name.slice(`${NS}-test-`.length))).toEqual(rendered);
    assertValidK8sObjects(r.testObjects);
  });

  it('renders none for a disabled service, and no tests file when nothing is checked', () => {
    const noGrafana = renderYaml('grafana: {enabled: false}\n');
    expect(testPods(noGrafana).map((p) => p.metadata.name)).not.toContain(`${NS}-test-grafana`);
    expect(testPods(noGrafana)).toHaveLength(CHECKED.length - 1);
    const noTraefik = renderYaml('traefik: {enabled: false}\n');
    expect(noTraefik.testObjects.filter((o) => o.kind === 'Service')).toEqual([]);
    const nothing = renderYaml(
      [...CHECKED.map((s) => s.replace(/-(\w)/g, (_, l: string) => l.toUpperCase())), 'logstash', 'filebeat', 'nodeExporter', 'kubeStateMetrics'].map((k) => `${k}: {enabled: false}`).join('\n') + '\n',
    );
    expect(nothing.testObjects).toEqual([]);
    expect(Object.keys(nothing.files).filter((f) => f.startsWith('tests/'))).toEqual([]);
  });

  it('puts them apart from the platform\'s objects: those hold no Pod and no Helm hook; the tests file holds every hook', () => {
    for (const r of [defaults, production]) {
      expect(r.objects.filter((o) => o.kind === 'Pod')).toEqual([]);
      expect(JSON.stringify(r.objects)).not.toContain('helm.sh/hook');
      expect(parseManifests(r.files[`tests/${NS}-tests.k8s.yaml`]!)).toEqual(r.testObjects);
      expect(r.testObjects.filter((o) => o.kind === 'Pod')).toHaveLength(CHECKED.length);
      expect(r.testObjects.every((o: any) => o.metadata.annotations['helm.sh/hook'] === 'test')).toBe(true);
    }
  });

  it('follows the release and namespace', () => {
    const r = renderValues([], [], 'shop', 'ops');
    expect(testPods(r).map((p) => `${p.metadata.namespace}/${p.metadata.name}`)).toContain('ops/shop-test-redis');
    expect(env(find(r.testObjects, 'Pod', 'shop-test-redis'), 'REDIS_HOST').value).toBe('shop-redis.ops.svc.cluster.local');
    expect(Object.keys(r.files)).toContain('tests/shop-tests.k8s.yaml');
  });
});

describe.each([
  ['default', defaults],
  ['production', production],
] as const)('connection tests: every %s test Pod', (_name, r) => {
  it('is a Helm test hook, deleted before the next run and once it succeeded, never restarted, with a deadline', () => {
    for (const pod of testPods(r)) {
      expect(pod.metadata.annotations, pod.metadata.name).toEqual({ 'helm.sh/hook': 'test', 'helm.sh/hook-delete-policy': 'before-hook-creation,hook-succeeded' });
      expect(pod.spec.restartPolicy).toBe('Never');
      expect(pod.spec.activeDeadlineSeconds).toBeGreaterThan(CHECK_ATTEMPTS * (CHECK_TIMEOUT_SECONDS + CHECK_PAUSE_SECONDS));
    }
  });

  it('runs restricted: non-root, RuntimeDefault seccomp, no capability or escalation, read-only root, no token', () => {
    for (const pod of testPods(r)) {
      expect(pod.spec.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
      expect(pod.spec.securityContext.runAsUser).toBeGreaterThan(0);
      expect(pod.spec.automountServiceAccountToken).toBe(false);
      expect(pod.spec.containers).toHaveLength(1);
      expect(container(pod).securityContext, pod.metadata.name).toEqual(RESTRICTED_CONTAINER);
    }
  });

  it('has requests and limits, and an official image pinned by tag (never latest)', () => {
    for (const pod of testPods(r)) {
      const c = container(pod);
      expect(c.resources.requests, pod.metadata.name).toMatchObject({ cpu: expect.any(String), memory: expect.any(String) });
      expect(c.resources.limits.memory).toEqual(expect.any(String));
      expect(c.image).toMatch(/^docker\.io\/(curlimages\/curl|library\/redis|library\/postgres):[0-9][\w.-]*$/);
      expect(c.image).not.toMatch(/:latest$/);
    }
  });

  it('selects with the labels of one NetworkPolicy, and runs its script through sh -c', () => {
    for (const pod of testPods(r)) {
      expect(pod.metadata.labels).toMatchObject({ 'app.kubernetes.io/name': 'test', 'app.kubernetes.io/component': 'connection-test', 'app.kubernetes.io/instance': NS });
      expect(container(pod).command.slice(0, 2)).toEqual(['sh', '-c']);
      expect(container(pod).command[2]).toMatch(/^#!\/bin\/sh\n/);
    }
  });
});

describe('connection tests: the targets are those of the real clients', () => {
  const r = production;

  it('Prometheus and Alertmanager: /-/ready under the route prefix, at the URL the platform services use', () => {
    const aiEngine = served(r, 'ai-engine');
    const envOf = (name: string) => aiEngine.env.find((e: any) => e.name === name).value;
    expect(env(testPod(r, 'prometheus'), 'CHECK_URL').value).toBe(`${envOf('PROMETHEUS_URL')}/-/ready`);
    expect(env(testPod(r, 'alertmanager'), 'CHECK_URL').value).toBe(`${envOf('ALERTMANAGER_URL')}/-/ready`);
    expect(urlOf(testPod(r, 'prometheus')).pathname).toBe(served(r, 'prometheus').readinessProbe.httpGet.path);
    expect(urlOf(testPod(r, 'alertmanager')).pathname).toBe(served(r, 'alertmanager').readinessProbe.httpGet.path);
  });

  it.each(['grafana', 'kibana', 'ai-engine', 'api-gateway', 'self-healing'])('%s: the path its own readiness probe uses, on its Service port', (service) => {
    const url = urlOf(testPod(r, service));
    expect(url.pathname).toBe(served(r, service).readinessProbe.httpGet.path);
    expect(url.hostname).toBe(`${NS}-${service}.${NS}.svc.cluster.local`);
    const svc = find(r.objects, 'Service', `${NS}-${service}`);
    expect(svc.spec.ports.map((p: any) => p.port)).toContain(Number(url.port));
  });

  it('Traefik: /ping on the port of its probes, through a test Service of its own that selects the Traefik pods', () => {
    const traefik = served(r, 'traefik');
    const url = urlOf(testPod(r, 'traefik'));
    expect(url.pathname).toBe(traefik.readinessProbe.httpGet.path);
    const pingPort = traefik.ports.find((p: any) => p.name === traefik.readinessProbe.httpGet.port).containerPort;
    const svc = find(r.testObjects, 'Service', `${NS}-test-traefik`);
    expect(url.hostname).toBe(`${NS}-test-traefik.${NS}.svc.cluster.local`);
    expect(svc.spec.ports).toEqual([{ name: 'ping', port: Number(url.port), protocol: 'TCP', targetPort: pingPort }]);
    expect(svc.spec.selector).toEqual(find(r.objects, 'Service', `${NS}-traefik`).spec.selector);
    expect(svc.metadata.annotations).toMatchObject({ 'helm.sh/hook': 'test', 'helm.sh/hook-weight': '-1' });
    // Traefik's own Service keeps the ping port out.
    expect(find(r.objects, 'Service', `${NS}-traefik`).spec.ports.map((p: any) => p.targetPort)).not.toContain(pingPort);
  });

  it('Elasticsearch: cluster health as logs_reader with its password from the Elasticsearch Secret (as Grafana reads logs)', () => {
    const pod = testPod(r, 'elasticsearch');
    expect(urlOf(pod).pathname).toBe('/_cluster/health');
    expect(env(pod, 'CHECK_URL').value).toMatch(/^http:\/\/aiops-platform-elasticsearch\.aiops-platform\.svc\.cluster\.local:9200\//);
    expect(env(pod, 'CHECK_USER').value).toBe('logs_reader');
    expect(env(pod, 'CHECK_PASSWORD').valueFrom.secretKeyRef).toEqual({ name: `${NS}-elasticsearch`, key: 'logs-reader-password' });
    const noAuth = testPod(renderYaml('elasticsearch: {auth: {enabled: false}}\n'), 'elasticsearch');
    expect(env(noAuth, 'CHECK_USER')).toBeUndefined();
    expect(env(noAuth, 'CHECK_PASSWORD')).toBeUndefined();
  });

  it('Redis: redis-cli of the Redis image, its Service, the password from the Redis Secret in REDISCLI_AUTH (none without auth)', () => {
    const pod = testPod(r, 'redis');
    const redis = served(r, 'redis');
    expect(container(pod).image).toBe(redis.image);
    expect(env(pod, 'REDIS_HOST').value).toBe(`${NS}-redis.${NS}.svc.cluster.local`);
    expect(env(pod, 'REDIS_PORT').value).toBe('6379');
    expect(env(pod, 'REDISCLI_AUTH').valueFrom.secretKeyRef).toEqual(redis.env.find((e: any) => e.name === 'REDISCLI_AUTH').valueFrom.secretKeyRef);
    expect(env(testPod(renderYaml('redis: {auth: {enabled: false}}\n'), 'redis'), 'REDISCLI_AUTH')).toBeUndefined();
    const pinned = testPod(renderYaml('redis: {image: {tag: 7.2.10-bookworm}}\n'), 'redis');
    expect(container(pinned).image).toBe('docker.io/library/redis:7.2.10-bookworm');
  });

  it('PostgreSQL: psql of the PostgreSQL image as the application user, its password from the Secret, the sslmode of the platform services', () => {
    const pod = testPod(r, 'postgresql');
    expect(container(pod).image).toBe(served(r, 'postgresql').image);
    const gateway = served(r, 'api-gateway');
    const gatewayEnv = (name: string) => gateway.env.find((e: any) => e.name === name);
    expect(env(pod, 'PGHOST').value).toBe(gatewayEnv('POSTGRES_HOST').value);
    expect(env(pod, 'PGPORT').value).toBe(gatewayEnv('POSTGRES_PORT').value);
    expect(env(pod, 'PGDATABASE').value).toBe(gatewayEnv('POSTGRES_DB').value);
    expect(env(pod, 'PGUSER').value).toBe(gatewayEnv('POSTGRES_USER').value);
    expect(env(pod, 'PGPASSWORD').valueFrom).toEqual(gatewayEnv('POSTGRES_PASSWORD').valueFrom);
    expect(env(pod, 'PGSSLMODE').value).toBe(gatewayEnv('POSTGRES_SSLMODE').value);
    expect(env(pod, 'PGUSER').value).not.toBe('postgres');
  });

  it('mirrors every test image with global.imageRegistry', () => {
    const mirrored = renderYaml('global: {imageRegistry: registry.corp.example:5000/mirror}\n');
    for (const pod of testPods(mirrored)) expect(container(pod).image, pod.metadata.name).toMatch(/^registry\.corp\.example:5000\/mirror\//);
  });

  it('never puts a credential of values into the tests file: passwords reach the scripts only through Secrets', () => {
    const hostile = renderYaml("postgresql: {auth: {password: \"pg'$(id)`x`\"}}\nredis: {auth: {password: \"rd'$(id)\"}}\n");
    const text = hostile.files[`tests/${NS}-tests.k8s.yaml`]!;
    expect(text).not.toContain('$(id)');
  });
});

describe('connection tests: the CLI', () => {
  const dir = mkdtempSync(join(tmpdir(), 'aiops-connection-tests-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the tests file under tests/, apart from the manifests kubectl apply -f <output>/ reads', () => {
    const out = join(dir, 'dist');
    const result = cli('--output', out);
    expect(result.code, result.stderr).toBe(0);
    expect(readdirSync(join(out, 'tests'))).toEqual([`${NS}-tests.k8s.yaml`]);
    const tests = parseManifests(readFileSync(join(out, 'tests', `${NS}-tests.k8s.yaml`), 'utf8')) as any[];
    expect(tests.filter((o) => o.kind === 'Pod')).toHaveLength(CHECKED.length);
    const top = readdirSync(out).filter((f) => f.endsWith('.yaml'));
    for (const file of top) expect(readFileSync(join(out, file), 'utf8')).not.toContain('helm.sh/hook');
  });
});
