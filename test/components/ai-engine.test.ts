import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Chart } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { AiEngine } from '../../src/components/aiops/ai-engine.js';
import { SelfHealing } from '../../src/components/aiops/self-healing.js';
import { render as renderChart } from '../../src/cli/render.js';
import { builtInSeriesFor, NO_OPTIONAL_SOURCES, type EngineSeries } from '../../src/core/ai-engine-series.js';
import { parseSeriesFile } from '../../src/core/ai-engine-series-file.js';
import { loadWatchedSeries } from '../../src/services/ai-engine/series-file.js';
import { ValuesError } from '../../src/values/issues.js';
import { loadValues } from '../../src/values/load.js';
import type { PlatformServiceConnection } from '../../src/components/aiops/platform-service.js';
import { PostgreSql } from '../../src/components/data/postgresql.js';
import { Redis } from '../../src/components/data/redis.js';
import { Elasticsearch } from '../../src/components/logging/elasticsearch.js';
import { Prometheus } from '../../src/components/monitoring/prometheus.js';
import type { PlatformContext } from '../../src/lib/context.js';
import type { Values } from '../../src/values/schema/index.js';
import { renderConstruct, type ConstructRender } from '../support/construct.js';
import { SEED_DIR } from '../support/fixtures.js';
import { assertValidK8sObjects } from '../support/k8s-validate.js';
import { platformService, secretRef, SVC } from '../support/platform-service.js';
import { allows } from '../support/network-policy-eval.js';
import { find, ofKind, workload } from '../support/render.js';
import { STAND_IN_CODE } from '../support/service-code.js';

const { name: NAME, own, deployment, container, ownEnv: allOwnEnv } = platformService('ai-engine');
/** The engine's own variables, before those of its connections. */
const ENGINE_ENV = ['SERIES_FILE', 'LEASE_NAME', 'NODE_EXTRA_CA_CERTS'];
/** The variables of its connections. */
const ownEnv = (r: ConstructRender) => allOwnEnv(r).filter((e: { name: string }) => !ENGINE_ENV.includes(e.name));
type Store = 'prometheus' | 'elasticsearch' | 'redis' | 'postgresql';
const ALL: readonly Store[] = ['prometheus', 'elasticsearch', 'redis', 'postgresql'];

/** The data stores' real constructs in the same chart, their connections handed to the AI engine. */
function connections(chart: Chart, ctx: PlatformContext, values: Values, stores: readonly Store[]) {
  const has = (s: Store) => stores.includes(s);
  return {
    prometheus: has('prometheus')
      ? new Prometheus(chart, 'prometheus', { ctx, values: values.prometheus, ruleFiles: {}, nodeExporter: false, kubeStateMetrics: false }).connection
      : undefined,
    elasticsearch: has('elasticsearch') ? new Elasticsearch(chart, 'elasticsearch', { ctx, values: values.elasticsearch }).connection : undefined,
    redis: has('redis') ? new Redis(chart, 'redis', { ctx, values: values.redis }).connection : undefined,
    postgresql: has('postgresql') ? new PostgreSql(chart, 'postgresql', { ctx, values: values.postgresql }).connection : undefined,
  };
}

/** Renders the AI engine (with the given stores); every object is checked against the Kubernetes schema. */
const render = (valuesYaml = '', stores: readonly Store[] = ALL): ConstructRender & { connection: PlatformServiceConnection } => {
  const r = renderConstruct(valuesYaml, (chart, ctx, values) => {
    return new AiEngine(chart, 'ai-engine', { ctx, values: values.aiEngine, ...connections(chart, ctx, values, stores) }).connection;
  });
  assertValidK8sObjects(r.objects);
  return { ...r, connection: r.built };
};

describe('AiEngine', () => {
  const defaults = render();

  it('renders Deployment and Service ai-engine under /ai with the anomaly-detection role', () => {
    // Its code from the bundle (src/services/ai-engine/), run by the official node image: no image of its own.
    expect(own(defaults).map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      `ConfigMap/${NAME}`,
      `ServiceAccount/${NAME}`,
      `Role/${NAME}`,
      `RoleBinding/${NAME}`,
      `ConfigMap/${NAME}-code`,
      `Deployment/${NAME}`,
      `Service/${NAME}`,
    ]);
    expect(container(defaults).image).toMatch(/^docker\.io\/library\/node:22\.\d+\.\d+-bookworm-slim$/);
    expect(container(defaults).command).toEqual(['node', '/app/main.js']);
    expect(deployment(defaults).metadata.labels['app.kubernetes.io/component']).toBe('anomaly-detection');
    expect(container(defaults).env.slice(0, 1)).toEqual([{ name: 'BASE_PATH', value: '/ai' }]);
    expect(defaults.connection).toEqual({ serviceName: NAME, port: 8080, basePath: '/ai', url: `http://${SVC('ai-engine')}:8080/ai` });
  });

  it('injects every data store with the documented variables, credentials as secretKeyRefs', () => {
    expect(ownEnv(defaults)).toEqual([
      { name: 'PROMETHEUS_URL', value: `http://${SVC('prometheus')}:9090/prometheus` },
      { name: 'ELASTICSEARCH_URL', value: `http://${SVC('elasticsearch')}:9200` },
      { name: 'ELASTICSEARCH_USERNAME', value: 'logs_reader' },
      { name: 'ELASTICSEARCH_PASSWORD', valueFrom: secretRef('aiops-platform-elasticsearch', 'logs-reader-password') },
      { name: 'ELASTICSEARCH_INDEX_PATTERN', value: 'aiops-logs-*' },
      { name: 'REDIS_HOST', value: SVC('redis') },
      { name: 'REDIS_PORT', value: '6379' },
      { name: 'REDIS_PASSWORD', valueFrom: secretRef('aiops-platform-redis', 'redis-password') },
      { name: 'REDIS_CLUSTER', value: 'false' },
      { name: 'POSTGRES_HOST', value: SVC('postgresql') },
      { name: 'POSTGRES_PORT', value: '5432' },
      { name: 'POSTGRES_DB', value: 'aiops' },
      { name: 'POSTGRES_USER', value: 'aiops' },
      { name: 'POSTGRES_PASSWORD', valueFrom: secretRef('aiops-platform-postgresql', 'password') },
      { name: 'POSTGRES_SSLMODE', value: 'disable' },
      { name: 'POSTGRES_QUERY_STATS_VIEW', value: 'aiops_query_stats' },
    ]);
  });

  it('pushes its anomalies to Alertmanager: ALERTMANAGER_URL with the route prefix, only when handed', () => {
    const url = `http://${SVC('alertmanager')}:9093/alertmanager`;
    const r = renderConstruct('', (chart, ctx, values) => new AiEngine(chart, 'ai-engine', { ctx, values: values.aiEngine, alertmanager: { url } }).connection);
    expect(ownEnv(r)).toEqual([{ name: 'ALERTMANAGER_URL', value: url }]);
    expect(ownEnv(defaults).some((e: any) => e.name === 'ALERTMANAGER_URL')).toBe(false);
  });

  it('leaves out the variables of every component that is not rendered', () => {
    const names = (stores: readonly Store[]) => ownEnv(render('', stores)).map((e: any) => e.name);
    expect(names([])).toEqual([]);
    expect(names(['prometheus'])).toEqual(['PROMETHEUS_URL']);
    expect(names(['elasticsearch'])).toEqual(['ELASTICSEARCH_URL', 'ELASTICSEARCH_USERNAME', 'ELASTICSEARCH_PASSWORD', 'ELASTICSEARCH_INDEX_PATTERN']);
    expect(names(['redis'])).toEqual(['REDIS_HOST', 'REDIS_PORT', 'REDIS_PASSWORD', 'REDIS_CLUSTER']);
    expect(names(['postgresql']).filter((n: string) => !n.startsWith('POSTGRES_'))).toEqual([]);
    expect(names(['prometheus', 'elasticsearch', 'redis']).some((n: string) => n.startsWith('POSTGRES_'))).toBe(false);
  });

  it('signs in to nothing where authentication is off, and tells a Redis Cluster apart', () => {
    const r = render('elasticsearch: {auth: {enabled: false}}\nredis: {auth: {enabled: false}, cluster: {enabled: true, nodes: 6}}', ['elasticsearch', 'redis']);
    expect(ownEnv(r)).toEqual([
      { name: 'ELASTICSEARCH_URL', value: `http://${SVC('elasticsearch')}:9200` },
      { name: 'ELASTICSEARCH_INDEX_PATTERN', value: 'aiops-logs-*' },
      { name: 'REDIS_HOST', value: SVC('redis') },
      { name: 'REDIS_PORT', value: '6379' },
      { name: 'REDIS_CLUSTER', value: 'true' },
    ]);
  });

  it('refuses a connection with authentication on but no Secret', () => {
    const attempt = (store: 'redis' | 'elasticsearch') =>
      renderConstruct('', (chart, ctx, values) => {
        const c = connections(chart, ctx, values, [store]);
        new AiEngine(chart, 'ai-engine', { ctx, values: values.aiEngine, [store]: { ...c[store]!, secretName: undefined } });
      });
    expect(() => attempt('redis')).toThrow('RedisConnection has authentication on but no secretName');
    expect(() => attempt('elasticsearch')).toThrow('ElasticsearchConnection has authentication on but no secretName');
  });

  it('reads passwords from existing Secrets and never holds one as a plain value', () => {
    const r = render(
      'postgresql: {auth: {password: pg-s3cret, existingSecret: my-pg}}\nredis: {auth: {password: redis-s3cret}}\nelasticsearch: {auth: {password: es-s3cret-elastic}}',
    );
    expect(container(r).env.find((e: any) => e.name === 'POSTGRES_PASSWORD').valueFrom).toEqual(secretRef('my-pg', 'password'));
    const text = JSON.stringify(own(r));
    for (const secret of ['pg-s3cret', 'redis-s3cret', 'es-s3cret-elastic', 'dev-aiops-platform']) expect(text).not.toContain(secret);
    for (const e of container(r).env.filter((v: any) => /PASSWORD/.test(v.name))) expect(e.value).toBeUndefined();
  });

  it('probes /ai/healthz/* on 8080 and is scraped at /metrics on the metrics port 9464, allowing five minutes to load its models', () => {
    const c = container(defaults);
    expect([c.readinessProbe.httpGet.path, c.livenessProbe.httpGet.path, c.startupProbe.httpGet.path]).toEqual([
      '/ai/healthz/ready',
      '/ai/healthz/live',
      '/ai/healthz/live',
    ]);
    expect(c.startupProbe.periodSeconds * c.startupProbe.failureThreshold).toBe(300);
    expect(deployment(defaults).spec.template.metadata.annotations).toMatchObject({
      'prometheus.io/scrape': 'true',
      'prometheus.io/port': '9464',
      'prometheus.io/path': '/metrics',
    });
  });

  it('takes extraEnv after its own variables and rejects one that collides with the contract', () => {
    expect(container(render('aiEngine: {extraEnv: {MODEL: isolation-forest}}')).env.at(-1)).toEqual({ name: 'MODEL', value: 'isolation-forest' });
    expect(() => render('aiEngine: {extraEnv: {REDIS_HOST: elsewhere}}')).toThrow(
      'aiEngine.extraEnv.REDIS_HOST: REDIS_HOST is set by the chart on the AI engine (from the values and connections): remove it from extraEnv',
    );
  });

  it("renders the seed's my-values block: HPA from 2 to 10 pods, no replicas field, a PDB, the seed's resources", () => {
    const r = render(readFileSync(join(SEED_DIR, 'my-values.yaml'), 'utf8'));
    expect(r.values.aiEngine.replicas).toBe(2);
    expect('replicas' in deployment(r).spec).toBe(false);
    const hpa = find(r.objects, 'HorizontalPodAutoscaler', NAME).spec;
    expect(hpa).toMatchObject({ scaleTargetRef: { kind: 'Deployment', name: NAME }, minReplicas: 2, maxReplicas: 10 });
    expect(hpa.metrics.map((m: any) => [m.resource.name, m.resource.target.averageUtilization])).toEqual([['cpu', 70], ['memory', 80]]);
    expect(find(r.objects, 'PodDisruptionBudget', NAME).spec.maxUnavailable).toBe(1);
    expect(container(r).resources).toEqual({ requests: { cpu: '1000m', memory: '2Gi' }, limits: { cpu: '2000m', memory: '4Gi' } });
    expect(container(r).env.find((e: any) => e.name === 'LOG_LEVEL').value).toBe('info');
  });

  it('keeps the development default: one pod, no HPA, no PDB', () => {
    expect(deployment(defaults).spec.replicas).toBe(1);
    expect(ofKind(own(defaults), 'HorizontalPodAutoscaler')).toEqual([]);
    expect(ofKind(own(defaults), 'PodDisruptionBudget')).toEqual([]);
  });
});

/** The series file of a render, as the ConfigMap holds it. */
const seriesJson = (r: ConstructRender): string => find(r.objects, 'ConfigMap', NAME).data['series.json'];

/** Problems of a full render of `valuesYaml`, located like the CLI's (`values.yaml:L:C path: message`). */
function renderProblems(valuesYaml: string): string[] {
  const { values, source } = loadValues({ files: [{ name: 'values.yaml', text: valuesYaml }], sets: [] });
  try {
    renderChart(values, 'aiops-platform', 'aiops-platform', source, STAND_IN_CODE);
  } catch (error) {
    if (error instanceof ValuesError) return error.issues.map((i) => `${i.location} ${i.path}: ${i.message}`);
    throw error;
  }
  throw new Error('expected the render to fail');
}

/** Values with one extra series of `query` (valid otherwise). */
const withQuery = (query: string) =>
  `aiEngine:\n  series:\n    extra:\n      - {id: custom, description: Custom, kind: AnomalyDetected, component: worker, query: ${JSON.stringify(query)}}\n`;

describe('AiEngine series, Lease and API access', () => {
  const defaults = render();
  const custom = render(`aiEngine:
  series:
    disabled: [node-cpu, redis-hit-rate]
    extra:
      - id: queue-depth
        description: Depth of the work queue
        query: sum by (queue) (queue_depth)
        kind: AnomalyDetected
        direction: up
        component: worker
        unit: jobs
        step: 30s
        window: 1h
      - id: wal-full
        description: The WAL volume fills up
        query: 100 * (1 - pg_wal_free_bytes / pg_wal_size_bytes)
        kind: DiskFullPredicted
        component: postgresql
        severity: critical
        action: clean-disk
        unit: "%"
        step: 5m
        window: 12h
        forecast: {limit: 95, horizon: 2d}
`);

  it('writes the built-in series to series.json of the ConfigMap <release>-ai-engine by default', () => {
    const cm = find(defaults.objects, 'ConfigMap', NAME);
    expect(Object.keys(cm.data)).toEqual(['series.json']);
    // Development: Prometheus scrapes no cAdvisor (prometheus.kubelet.enabled false), so no per-pod series.
    expect(JSON.parse(seriesJson(defaults))).toEqual({ version: 1, series: builtInSeriesFor(NO_OPTIONAL_SOURCES) });
    // Not the code ConfigMap: both exist, under their own names.
    expect(find(defaults.objects, 'ConfigMap', `${NAME}-code`).binaryData).toBeDefined();
  });

  it('holds exactly the built-in series minus the disabled ones, in their order, then the extra ones with durations in seconds', () => {
    const expected: EngineSeries[] = [
      ...builtInSeriesFor(NO_OPTIONAL_SOURCES).filter((s) => s.id !== 'node-cpu' && s.id !== 'redis-hit-rate'),
      {
        id: 'queue-depth',
        description: 'Depth of the work queue',
        query: 'sum by (queue) (queue_depth)',
        stepSeconds: 30,
        windowSeconds: 3600,
        kind: 'AnomalyDetected',
        direction: 'up',
        component: 'worker',
        severity: 'warning',
        action: 'none',
        unit: 'jobs',
      },
      {
        id: 'wal-full',
        description: 'The WAL volume fills up',
        query: '100 * (1 - pg_wal_free_bytes / pg_wal_size_bytes)',
        stepSeconds: 300,
        windowSeconds: 43_200,
        kind: 'DiskFullPredicted',
        direction: 'both',
        component: 'postgresql',
        severity: 'critical',
        action: 'clean-disk',
        forecast: { limit: 95, approach: 'rising', horizonSeconds: 172_800 },
        unit: '%',
      },
    ];
    expect(JSON.parse(seriesJson(custom))).toEqual({ version: 1, series: expected });
    expect(JSON.parse(seriesJson(render('aiEngine: {series: {defaults: false}}')))).toEqual({ version: 1, series: [] });
  });

  it('watches CPU and memory per pod where its Prometheus scrapes cAdvisor (prometheus.kubelet.enabled), and only there', () => {
    const ids = (r: ConstructRender) => (JSON.parse(seriesJson(r)) as { series: EngineSeries[] }).series.map((s) => s.id);
    const kubelet = render('prometheus: {kubelet: {enabled: true}}');
    expect(ids(kubelet)).toEqual(builtInSeriesFor({ cadvisor: true }).map((s) => s.id));
    expect(ids(kubelet)).toEqual(expect.arrayContaining(['pod-cpu', 'pod-memory']));
    expect(ids(render('global: {development: false}'))).toEqual(ids(kubelet));
    expect(ids(defaults)).not.toContain('pod-cpu');
    // Without Prometheus nothing is scraped; a disabled per-pod series is no problem either way.
    expect(ids(render('prometheus: {kubelet: {enabled: true}}', ['redis']))).not.toContain('pod-memory');
    expect(ids(render('prometheus: {kubelet: {enabled: true}}\naiEngine: {series: {disabled: [pod-memory]}}'))).toEqual(ids(kubelet).filter((id) => id !== 'pod-memory'));
    expect(ids(render('aiEngine: {series: {disabled: [pod-memory]}}'))).toEqual(ids(defaults));
  });

  it("writes a file the engine's own loader takes, as it reads it from SERIES_FILE", () => {
    const dir = mkdtempSync(join(tmpdir(), 'aiops-engine-series-'));
    try {
      for (const r of [defaults, custom]) {
        const path = join(dir, 'series.json');
        writeFileSync(path, seriesJson(r));
        expect(loadWatchedSeries({ SERIES_FILE: path })).toEqual(parseSeriesFile(JSON.parse(seriesJson(r))).series);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('mounts the file read-only and points SERIES_FILE at it; pods roll when the series change', () => {
    const pod = deployment(defaults).spec.template.spec;
    expect(pod.volumes).toContainEqual({ name: 'config', configMap: { name: NAME, defaultMode: 0o444 } });
    expect(container(defaults).volumeMounts).toContainEqual({ name: 'config', mountPath: '/etc/ai-engine', readOnly: true });
    expect(allOwnEnv(defaults).find((e: any) => e.name === 'SERIES_FILE')).toEqual({ name: 'SERIES_FILE', value: '/etc/ai-engine/series.json' });
    const annotation = (r: ConstructRender) => deployment(r).spec.template.metadata.annotations['checksum/config'];
    expect(annotation(defaults)).toMatch(/^[0-9a-f]{64}$/);
    expect(annotation(custom)).not.toBe(annotation(defaults));
    expect(annotation(render('aiEngine: {replicas: 1}'))).toBe(annotation(defaults));
  });

  it('runs under its own ServiceAccount, token mounted, allowed only to create its Lease and get and update it by name', () => {
    const pod = deployment(defaults).spec.template.spec;
    expect(pod.serviceAccountName).toBe(NAME);
    expect(pod.automountServiceAccountToken).toBe(true);
    expect(find(defaults.objects, 'ServiceAccount', NAME).automountServiceAccountToken).toBe(false);
    expect(find(defaults.objects, 'Role', NAME).rules).toEqual([
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'update'], resourceNames: [NAME] },
    ]);
    const binding = find(defaults.objects, 'RoleBinding', NAME);
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: NAME });
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: NAME, namespace: 'aiops-platform' }]);
    expect(ofKind(defaults.objects, 'ClusterRole')).toEqual([]);
  });

  it('names its Lease LEASE_NAME and trusts the API server by the same CA file as the executor', () => {
    const envOf = (r: ConstructRender, name: string) => allOwnEnv(r).find((e: any) => e.name === name)?.value;
    expect(allOwnEnv(defaults).slice(0, 3).map((e: any) => e.name)).toEqual(ENGINE_ENV);
    expect(envOf(defaults, 'LEASE_NAME')).toBe(NAME);
    const executor = renderConstruct('', (chart, ctx, values) =>
      new SelfHealing(chart, 'self-healing', { ctx, values: values.selfHealing, scaleTargets: [], jobs: {}, prometheus: undefined, postgresql: undefined }),
    );
    const executorCa = workload('Deployment', 'aiops-platform-self-healing').container(executor).env.find((e: any) => e.name === 'NODE_EXTRA_CA_CERTS').value;
    expect(envOf(defaults, 'NODE_EXTRA_CA_CERTS')).toBe(executorCa);
    expect(executorCa).toBe('/var/run/secrets/kubernetes.io/serviceaccount/ca.crt');
  });

  it('may reach the Kubernetes API through the NetworkPolicies (443 and 6443 to kubeApiServerCidrs), as the executor may', () => {
    const { values } = loadValues({ files: [{ name: 'values.yaml', text: 'networkPolicy: {enabled: true, defaultDeny: true, kubeApiServerCidrs: [192.0.2.10/32]}\n' }], sets: [] });
    const objects = renderChart(values, 'aiops-platform', 'aiops-platform', undefined, STAND_IN_CODE).objects as any[];
    const policies = ofKind(objects, 'NetworkPolicy');
    const namespaces = Object.fromEntries(ofKind(objects, 'Namespace').map((n) => [n.metadata.name, n.metadata.labels]));
    const pods = (name: string) => {
      const d = find(objects, 'Deployment', name);
      return { namespace: d.metadata.namespace, labels: d.spec.template.metadata.labels };
    };
    for (const workloadName of [NAME, 'aiops-platform-self-healing']) {
      expect(allows(policies, namespaces, pods(workloadName), { ip: '192.0.2.10' }, 6443), workloadName).toBe(true);
      expect(allows(policies, namespaces, pods(workloadName), { ip: '192.0.2.10' }, 443), workloadName).toBe(true);
      expect(allows(policies, namespaces, pods(workloadName), { ip: '192.0.2.11' }, 6443), workloadName).toBe(false);
    }
    // The API gateway, which calls no API, may not.
    expect(allows(policies, namespaces, pods('aiops-platform-api-gateway'), { ip: '192.0.2.10' }, 6443)).toBe(false);
  });

  it('refuses an extra query that does not parse or is no query_range query, located at its query', () => {
    const at = 'values.yaml:4:92 aiEngine.series.extra[0].query: expected a PromQL expression for query_range: ';
    expect(renderProblems(withQuery('sum(rate(x[5m])'))).toEqual([`${at}invalid PromQL at character 16 (near "the end of the expression") in: sum(rate(x[5m])`]);
    expect(renderProblems(withQuery('up{job="a" | 1'))).toEqual([`${at}invalid PromQL at character 12 (near "| 1") in: up{job="a" | 1`]);
    expect(renderProblems(withQuery('up[5m]'))).toEqual([`${at}its result is a range vector; query_range takes an instant vector or a scalar`]);
    expect(renderProblems(withQuery('"text"'))).toEqual([`${at}its result is a string; query_range takes an instant vector or a scalar`]);
    expect(renderProblems(withQuery('rate(http_requests_total)'))).toEqual([`${at}rate() takes a range vector such as x[5m], found rate(http_requests_total)`]);
    expect(renderProblems(withQuery('sum(x[5m])'))).toEqual([`${at}an aggregation takes no range vector, found x[5m]`]);
    // Every bad query at once, each at its own key.
    const both = `aiEngine:
  series:
    extra:
      - {id: a, description: A, kind: AnomalyDetected, component: c, query: "up +"}
      - {id: b, description: B, kind: AnomalyDetected, component: c, query: "up"}
      - {id: c, description: C, kind: AnomalyDetected, component: c, query: "abs(up[1m])"}
`;
    expect(renderProblems(both).map((p) => p.split(': expected')[0])).toEqual(['values.yaml:4:77 aiEngine.series.extra[0].query', 'values.yaml:6:77 aiEngine.series.extra[2].query']);
  });

  it('takes the queries PromQL allows: several lines, functions of range vectors, subqueries, offsets, @, scalars', () => {
    for (const query of [
      'sum by (job) (\n  rate(http_requests_total{code=~"5.."}[5m])\n)',
      'max_over_time(rate(x[5m])[1h:1m])',
      'quantile_over_time(0.95, latency_seconds[10m])',
      'predict_linear(node_filesystem_avail_bytes[6h], 86400) < 0',
      'up offset 1h',
      'up @ start()',
      'scalar(sum(up))',
      'label_replace(up, "host", "$1", "instance", "(.*):.*")',
      'histogram_quantile(0.99, sum by (le) (rate(h_bucket[5m])))',
    ]) {
      expect(JSON.parse(seriesJson(render(withQuery(query)))).series.at(-1).query, query).toBe(query);
    }
  });

  it('keeps series.json under 200 KiB, so that its ConfigMap fits the last-applied annotation; more is located at extra', () => {
    const series = (n: number) =>
      Array.from({ length: n }, (_, i) => ({ id: `s${i}`, description: 'Long', kind: 'AnomalyDetected', component: 'c', query: `up{job="${'j'.repeat(4000)}"}` }));
    const values = (n: number) => `aiEngine:\n  series:\n    defaults: false\n    extra: ${JSON.stringify(series(n))}\n`;
    expect(Buffer.byteLength(seriesJson(render(values(45))))).toBeLessThan(200 * 1024);
    const [problem, ...rest] = renderProblems(values(50));
    expect(rest).toEqual([]);
    expect(problem).toMatch(
      /^values\.yaml:4:12 aiEngine\.series\.extra: the series file would have 2\d\d,?\d{3} bytes, more than 204800 \(its ConfigMap must stay under 256 KiB\): fewer or shorter extra series$/,
    );
  });

  it('warns when it watches no series at all', () => {
    expect(render('aiEngine: {series: {defaults: false}}').warnings).toContain(
      'aiEngine.series watches no series (defaults is false and extra is empty): the AI engine reads no metrics',
    );
    expect(defaults.warnings.filter((w) => w.startsWith('aiEngine.series'))).toEqual([]);
  });
});

