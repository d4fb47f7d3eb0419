import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { PlatformService, underBasePath, type PlatformServiceConnection, type PlatformServiceProps } from '../../src/components/aiops/platform-service.js';
import { ConfigError } from '../../src/lib/errors.js';
import { NO_SERVICE_CODE, type ServiceCode } from '../../src/lib/service-code.js';
import { ValuesError } from '../../src/values/issues.js';
import { loadValues } from '../../src/values/load.js';
import { IMAGES } from '../../src/values/schema/images.js';
import { renderConstruct, type ConstructRender } from '../support/construct.js';
import { assertValidK8sObjects } from '../support/k8s-validate.js';
import { find, ofKind, RESTRICTED_CONTAINER, workload } from '../support/render.js';
import { STAND_IN_CODE } from '../support/service-code.js';
import { issuesOf } from '../support/values-issues.js';

const NAME = 'aiops-platform-demo';
const PRODUCTION = 'global: {development: false}\n';
type Extra = Partial<Omit<PlatformServiceProps, 'ctx' | 'values'>>;

/** A user-built image, so that these renders show the image path (the bundled-code path has its own tests below). */
const DEMO_IMAGE = { registry: 'registry.example.com', repository: 'team/demo', tag: '1.0.0', pullPolicy: 'IfNotPresent' as const };

/** Renders a PlatformService `demo` with the `aiEngine` slice as its values (and DEMO_IMAGE unless it sets one); every render is schema-checked. */
const render = (valuesYaml = '', extra: Extra = {}): ConstructRender & { connection: PlatformServiceConnection } => {
  const r = renderConstruct(valuesYaml, (chart, ctx, values) => {
    return new PlatformService(chart, 'demo', {
      ctx,
      values: { ...values.aiEngine, image: values.aiEngine.image ?? DEMO_IMAGE },
      valuesPath: 'aiEngine',
      component: 'demo',
      role: 'demo-role',
      basePath: '/demo',
      env: [{ name: 'PROMETHEUS_URL', value: 'x' }],
      ...extra,
    }).connection;
  });
  assertValidK8sObjects(r.objects);
  return { ...r, connection: r.built };
};
const { object: deployment, pod, container } = workload('Deployment', NAME);

describe('PlatformService', () => {
  const defaults = render();
  const production = render(PRODUCTION);

  it('renders Deployment and Service <release>-<component> on 8080 named http, and exposes the URL with its base path', () => {
    expect(defaults.objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([`Deployment/${NAME}`, `Service/${NAME}`]);
    expect(find(defaults.objects, 'Service', NAME).spec.ports).toEqual([{ name: 'http', port: 8080, protocol: 'TCP', targetPort: 'http' }]);
    expect(container(defaults).ports).toEqual([
      { name: 'http', containerPort: 8080, protocol: 'TCP' },
      { name: 'metrics', containerPort: 9464, protocol: 'TCP' },
    ]);
    expect(deployment(defaults).metadata.labels).toMatchObject({ 'app.kubernetes.io/name': 'demo', 'app.kubernetes.io/component': 'demo-role' });
    expect(defaults.connection).toEqual({
      serviceName: NAME,
      port: 8080,
      basePath: '/demo',
      url: `http://${NAME}.aiops-platform.svc.cluster.local:8080/demo`,
    });
    expect(render('', { basePath: '/' }).connection.url).toBe(`http://${NAME}.aiops-platform.svc.cluster.local:8080`);
  });

  it('probes under the base path, without a double slash at /, and is scraped at /metrics on its own port', () => {
    const paths = (r: ConstructRender) => {
      const c = container(r);
      return [c.readinessProbe, c.livenessProbe, c.startupProbe].map((p: any) => `${p.httpGet.port} ${p.httpGet.path}`);
    };
    expect(paths(defaults)).toEqual(['http /demo/healthz/ready', 'http /demo/healthz/live', 'http /demo/healthz/live']);
    expect(paths(render('', { basePath: '/' }))).toEqual(['http /healthz/ready', 'http /healthz/live', 'http /healthz/live']);
    expect(deployment(defaults).spec.template.metadata.annotations).toEqual({
      'prometheus.io/path': '/metrics',
      'prometheus.io/port': '9464',
      'prometheus.io/scrape': 'true',
    });
    // The metrics listener is on the pod only: the Service (and so any Ingress route) has just http.
    expect(container(defaults).ports.map((p: any) => `${p.name}:${p.containerPort}`)).toEqual(['http:8080', 'metrics:9464']);
    expect(defaults.objects.find((o) => o.kind === 'Service').spec.ports.map((p: any) => p.name)).toEqual(['http']);
    expect(underBasePath('/', '/metrics')).toBe('/metrics');
    expect(underBasePath('/ai', '/metrics')).toBe('/ai/metrics');
  });

  it('allows a first start of 120 seconds by default, or startupSeconds', () => {
    const window = (r: ConstructRender) => container(r).startupProbe.periodSeconds * container(r).startupProbe.failureThreshold;
    expect(window(defaults)).toBe(120);
    expect(window(render('', { startupSeconds: 300 }))).toBe(300);
  });

  it('refuses a base path with a trailing or double slash, or without a leading one', () => {
    for (const basePath of ['/ai/', 'ai', '//ai', '/a//b', '']) expect(() => render('', { basePath })).toThrow(/basePath/);
    expect(() => render('', { basePath: '/a/b' })).not.toThrow();
  });

  it('runs as uid 10001, restricted, read-only root, with an emptyDir on /tmp and no service account token', () => {
    expect(pod(defaults).securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001, seccompProfile: { type: 'RuntimeDefault' } });
    expect(container(defaults).securityContext).toEqual(RESTRICTED_CONTAINER);
    expect(container(defaults).volumeMounts).toEqual([{ name: 'tmp', mountPath: '/tmp' }]);
    expect(pod(defaults).volumes).toEqual([{ name: 'tmp', emptyDir: { sizeLimit: '256Mi' } }]);
    expect(pod(defaults).automountServiceAccountToken).toBe(false);
  });

  it('adds config volumes, mounts, pod annotations and a service account when given', () => {
    const r = render('', {
      volumes: [{ name: 'config', configMap: { name: 'cfg' } }],
      mounts: [{ name: 'config', mountPath: '/etc/demo', readOnly: true }],
      annotations: { 'checksum/config': 'abc' },
      serviceAccountName: 'demo-sa',
    });
    expect(pod(r).volumes.map((v: any) => v.name)).toEqual(['tmp', 'config']);
    expect(container(r).volumeMounts).toEqual([{ name: 'tmp', mountPath: '/tmp' }, { name: 'config', mountPath: '/etc/demo', readOnly: true }]);
    expect(deployment(r).spec.template.metadata.annotations['checksum/config']).toBe('abc');
    expect(pod(r)).toMatchObject({ serviceAccountName: 'demo-sa', automountServiceAccountToken: true });
  });

  it('sets the common variables, then its own, then extraEnv sorted by name', () => {
    const r = render('aiEngine: {extraEnv: {ZED: z, ALPHA: a}}');
    expect(container(r).env).toEqual([
      { name: 'BASE_PATH', value: '/demo' },
      { name: 'LOG_LEVEL', value: 'debug' },
      { name: 'PORT', value: '8080' },
      { name: 'METRICS_PORT', value: '9464' },
      { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
      { name: 'PROMETHEUS_URL', value: 'x' },
      { name: 'ALPHA', value: 'a' },
      { name: 'ZED', value: 'z' },
    ]);
    expect(container(production).env[1]).toEqual({ name: 'LOG_LEVEL', value: 'info' });
  });

  it('rejects an extraEnv key the chart manages, located by the values schema', () => {
    for (const key of ['PROMETHEUS_URL', 'PORT', 'POD_NAME', 'METRICS_PORT']) {
      const attempt = () => render(`aiEngine: {extraEnv: {${key}: x}}`);
      expect(attempt).toThrow(ValuesError);
      try {
        attempt();
      } catch (error) {
        expect((error as ValuesError).issues).toContainEqual(expect.objectContaining({ location: expect.stringMatching(/^values\.yaml:1:/), path: `aiEngine.extraEnv.${key}` }));
      }
    }
  });

  it('refuses to set a variable the schema\'s list of chart-managed names lacks (the list cannot fall behind)', () => {
    expect(() => render('', { env: [{ name: 'OWN', value: 'x' }] })).toThrow(/demo sets OWN, which MANAGED_ENV\.aiEngine does not list/);
  });

  it('refuses its own env setting a common variable again', () => {
    expect(() => render('', { env: [{ name: 'LOG_LEVEL', value: 'x' }] })).toThrow(/sets the environment variable LOG_LEVEL twice/);
  });

  it('takes resources from values', () => {
    expect(container(render('aiEngine: {resources: {requests: {cpu: 300m, memory: 700Mi}, limits: {cpu: 1, memory: 900Mi}}}')).resources).toEqual({
      requests: { cpu: '300m', memory: '700Mi' },
      limits: { cpu: '1', memory: '900Mi' },
    });
  });

  it('keeps a fixed replica count without HPA, PDB or anti-affinity in development', () => {
    expect(deployment(defaults).spec.replicas).toBe(1);
    expect(ofKind(defaults.objects, 'HorizontalPodAutoscaler')).toEqual([]);
    expect(ofKind(defaults.objects, 'PodDisruptionBudget')).toEqual([]);
    expect(pod(defaults).affinity).toBeUndefined();
  });

  it('lets an HPA own the replicas in production (no replicas field), with a PDB and preferred anti-affinity', () => {
    expect(production.objects.map((o) => o.kind)).toEqual(['Deployment', 'HorizontalPodAutoscaler', 'PodDisruptionBudget', 'Service']);
    expect('replicas' in deployment(production).spec).toBe(false);
    expect(find(production.objects, 'HorizontalPodAutoscaler', NAME).spec).toEqual({
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: NAME },
      minReplicas: 2,
      maxReplicas: 10,
      metrics: [
        { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } },
        { type: 'Resource', resource: { name: 'memory', target: { type: 'Utilization', averageUtilization: 80 } } },
      ],
    });
    const selector = deployment(production).spec.selector.matchLabels;
    expect(find(production.objects, 'PodDisruptionBudget', NAME).spec).toEqual({ maxUnavailable: 1, selector: { matchLabels: selector } });
    expect(pod(production).affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution).toEqual([
      { weight: 100, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: selector } } },
    ]);
  });

  it('takes HPA bounds and targets from values, minReplicas defaulting to replicas', () => {
    const hpa = (yaml: string) => find(render(yaml).objects, 'HorizontalPodAutoscaler', NAME).spec;
    expect(hpa('aiEngine: {autoscaling: {enabled: true, maxReplicas: 5, targetCPUUtilizationPercentage: 60, targetMemoryUtilizationPercentage: 90}}')).toMatchObject({
      minReplicas: 1,
      maxReplicas: 5,
      metrics: [{ resource: { target: { averageUtilization: 60 } } }, { resource: { target: { averageUtilization: 90 } } }],
    });
    expect(hpa(`${PRODUCTION}aiEngine: {replicas: 4}`).minReplicas).toBe(4);
    expect(hpa(`${PRODUCTION}aiEngine: {replicas: 4, autoscaling: {minReplicas: 3}}`).minReplicas).toBe(3);
    expect(() => render(`${PRODUCTION}aiEngine: {replicas: 12}`)).toThrow(/autoscaling\.maxReplicas \(10\) is below replicas \(12\)/);
    const off = render(`${PRODUCTION}aiEngine: {replicas: 3, autoscaling: {enabled: false}}`);
    expect(deployment(off).spec.replicas).toBe(3);
    expect(ofKind(off.objects, 'HorizontalPodAutoscaler')).toEqual([]);
  });
});

/** Renders the PlatformService `demo` without `image` (its bundled code), with `serviceCode` as the render's bundles. */
const renderBundled = (valuesYaml = '', serviceCode: ServiceCode = STAND_IN_CODE, extra: Extra = {}) => {
  const r = renderConstruct(valuesYaml, (chart, ctx, values) => {
    return new PlatformService(chart, 'demo', {
      ctx: { ...ctx, serviceCode },
      values: { ...values.aiEngine, image: undefined },
      valuesPath: 'aiEngine',
      component: 'demo',
      role: 'demo-role',
      basePath: '/demo',
      env: [],
      ...extra,
    }).connection;
  });
  assertValidK8sObjects(r.objects);
  return r;
};
const CODE = `${NAME}-code`;
const NODE_IMAGE = `docker.io/library/node:${IMAGES.node.tag}`;

describe('PlatformService with its bundled code (no image in values)', () => {
  const bundled = renderBundled();
  const standIn = STAND_IN_CODE('demo')!;

  it('puts the bundle, gzipped, into the ConfigMap <release>-<component>-code, before the Deployment', () => {
    expect(bundled.objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([`ConfigMap/${CODE}`, `Deployment/${NAME}`, `Service/${NAME}`]);
    const configMap = find(bundled.objects, 'ConfigMap', CODE);
    expect(Object.keys(configMap.binaryData)).toEqual(['main.js.gz']);
    expect(configMap.data).toBeUndefined();
    expect(gunzipSync(Buffer.from(configMap.binaryData['main.js.gz'], 'base64'))).toEqual(Buffer.from(standIn));
    expect(configMap.metadata.labels).toMatchObject({ 'app.kubernetes.io/name': 'demo', 'app.kubernetes.io/version': '0.1.0' });
  });

  it('unpacks it with the init container unpack into an emptyDir that the service reads at /app, read-only', () => {
    const unpack = container(bundled, 'unpack');
    expect(pod(bundled).initContainers.map((c: any) => c.name)).toEqual(['unpack']);
    expect(unpack.image).toBe(NODE_IMAGE);
    expect(unpack.command.slice(0, 2)).toEqual(['node', '-e']);
    expect(unpack.command[2]).toContain('"/code/main.js.gz"');
    expect(unpack.command[2]).toContain('"/app/main.js"');
    expect(unpack.securityContext).toEqual(RESTRICTED_CONTAINER);
    expect(unpack.resources).toEqual({ requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '128Mi' } });
    expect(unpack.volumeMounts).toEqual([
      { name: 'code', mountPath: '/code', readOnly: true },
      { name: 'app', mountPath: '/app' },
    ]);
    expect(pod(bundled).volumes).toEqual([
      { name: 'tmp', emptyDir: { sizeLimit: '256Mi' } },
      { name: 'app', emptyDir: { sizeLimit: '64Mi' } },
      { name: 'code', configMap: { name: CODE, defaultMode: 0o444 } },
    ]);
    expect(container(bundled).volumeMounts).toEqual([
      { name: 'tmp', mountPath: '/tmp' },
      { name: 'app', mountPath: '/app', readOnly: true },
    ]);
  });

  it('unpacks for real: the init container\'s program, run on the ConfigMap\'s file, writes the bundle', () => {
    const dir = mkdtempSync(join(tmpdir(), 'aiops-unpack-'));
    try {
      mkdirSync(join(dir, 'code'));
      mkdirSync(join(dir, 'app'));
      writeFileSync(join(dir, 'code', 'main.js.gz'), Buffer.from(find(bundled.objects, 'ConfigMap', CODE).binaryData['main.js.gz'], 'base64'));
      // The same program with the pod's paths moved under the temporary folder.
      const program = container(bundled, 'unpack').command[2].replaceAll('"/code/', `"${dir}/code/`).replaceAll('"/app/', `"${dir}/app/`);
      const result = spawnSync(process.execPath, ['-e', program], { encoding: 'utf8' });
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
      expect(readFileSync(join(dir, 'app', 'main.js'))).toEqual(Buffer.from(standIn));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('runs node /app/main.js on the pinned official Node.js image, restricted, as uid 10001', () => {
    expect(container(bundled)).toMatchObject({ image: NODE_IMAGE, imagePullPolicy: 'Always', command: ['node', '/app/main.js'] });
    expect(IMAGES.node.tag).toMatch(/^22\.\d+\.\d+-bookworm-slim$/);
    expect(container(bundled).securityContext).toEqual(RESTRICTED_CONTAINER);
    expect(pod(bundled).securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001 });
    expect(deployment(bundled).spec.template.metadata.labels['app.kubernetes.io/version']).toBe('0.1.0');
  });

  it('rolls the pods when the code changes: checksum/code is the SHA-256 of the bundle', () => {
    const checksum = (r: ConstructRender) => deployment(r).spec.template.metadata.annotations['checksum/code'];
    expect(checksum(bundled)).toBe(createHash('sha256').update(standIn).digest('hex'));
    const other = renderBundled('', () => Buffer.from('// other code\n'));
    expect(checksum(other)).toBe(createHash('sha256').update('// other code\n').digest('hex'));
    expect(deployment(bundled).spec.template.metadata.annotations).toMatchObject({ 'prometheus.io/scrape': 'true' });
  });

  it('applies global.imageRegistry to the Node.js image of both containers', () => {
    const mirrored = renderBundled('global: {imageRegistry: registry.corp.example:5000/mirror}');
    expect(container(mirrored).image).toBe(`registry.corp.example:5000/mirror/library/node:${IMAGES.node.tag}`);
    expect(container(mirrored, 'unpack').image).toBe(`registry.corp.example:5000/mirror/library/node:${IMAGES.node.tag}`);
  });

  it('renders byte-identical objects for the same code', () => {
    expect(JSON.stringify(renderBundled().objects)).toBe(JSON.stringify(bundled.objects));
  });

  it('is a configuration problem at <slice>.image when the render has no bundle of the service', () => {
    const attempt = () => renderBundled('', NO_SERVICE_CODE);
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow('aiEngine.image is not set and the render has no bundle of demo (src/services/demo/main.ts)');
    try {
      attempt();
    } catch (error) {
      expect((error as ConfigError).source.path).toEqual(['aiEngine', 'image']);
    }
  });
});

describe('PlatformService on a user-built image (<slice>.image set)', () => {
  const own = render('aiEngine: {image: {registry: registry.example.com, repository: team/ai-engine, tag: 2.3.1}}');

  it('runs node /app/main.js of that image: no code ConfigMap, no init container, no checksum/code', () => {
    expect(container(own)).toMatchObject({ image: 'registry.example.com/team/ai-engine:2.3.1', command: ['node', '/app/main.js'] });
    expect(ofKind(own.objects, 'ConfigMap')).toEqual([]);
    expect(pod(own).initContainers).toBeUndefined();
    expect(pod(own).volumes).toEqual([{ name: 'tmp', emptyDir: { sizeLimit: '256Mi' } }]);
    expect(deployment(own).spec.template.metadata.annotations['checksum/code']).toBeUndefined();
    expect(deployment(own).spec.template.metadata.labels['app.kubernetes.io/version']).toBe('2.3.1');
  });

  it('selfHealing.image is unset by default (the bundle), and a set one needs repository and tag', () => {
    const { values } = loadValues({ files: [], sets: [] });
    expect(values.selfHealing.image).toBeUndefined();
    const own = loadValues({ files: [{ name: 'v.yaml', text: 'selfHealing: {image: {repository: team/self-healing, tag: 1.0.0}}' }], sets: [] }).values;
    expect(own.selfHealing.image).toEqual({ registry: '', repository: 'team/self-healing', tag: '1.0.0' });
    expect(issuesOf('selfHealing: {image: {repository: team/self-healing}}').map((i) => i.path)).toEqual(['selfHealing.image.tag']);
    expect(issuesOf('selfHealing: {image: {repository: team/self-healing, tag: latest}}').map((i) => i.message)).toEqual([
      expect.stringContaining('"latest" tag is not allowed'),
    ]);
  });
});
