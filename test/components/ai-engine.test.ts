import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Chart } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { AiEngine } from '../../src/components/aiops/ai-engine.js';
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
import { find, ofKind } from '../support/render.js';

const { name: NAME, own, deployment, container, ownEnv } = platformService('ai-engine');
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
    expect(own(defaults).map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([`ConfigMap/${NAME}-code`, `Deployment/${NAME}`, `Service/${NAME}`]);
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
