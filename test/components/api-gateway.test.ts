import { describe, expect, it } from 'vitest';
import { AiEngine } from '../../src/components/aiops/ai-engine.js';
import { ApiGateway } from '../../src/components/aiops/api-gateway.js';
import type { PlatformServiceConnection } from '../../src/components/aiops/platform-service.js';
import { PostgreSql } from '../../src/components/data/postgresql.js';
import { Redis } from '../../src/components/data/redis.js';
import { renderConstruct, type ConstructRender } from '../support/construct.js';
import { assertValidK8sObjects } from '../support/k8s-validate.js';
import { platformService, secretRef, SVC } from '../support/platform-service.js';
import { find, ofKind } from '../support/render.js';

const { name: NAME, own, deployment, container, ownEnv } = platformService('api-gateway');
const SELF_HEALING_URL = `http://${SVC('self-healing')}:8080`;
type Peer = 'aiEngine' | 'selfHealing' | 'redis' | 'postgresql';
const ALL: readonly Peer[] = ['aiEngine', 'selfHealing', 'redis', 'postgresql'];

/** Renders the gateway with the given peers (the AI engine, Redis and PostgreSQL as real constructs); schema-checked. */
const render = (valuesYaml = '', peers: readonly Peer[] = ALL): ConstructRender & { connection: PlatformServiceConnection } => {
  const r = renderConstruct(valuesYaml, (chart, ctx, values) => {
    const has = (p: Peer) => peers.includes(p);
    return new ApiGateway(chart, 'api-gateway', {
      ctx,
      values: values.apiGateway,
      aiEngine: has('aiEngine') ? new AiEngine(chart, 'ai-engine', { ctx, values: values.aiEngine }).connection : undefined,
      selfHealing: has('selfHealing') ? { url: SELF_HEALING_URL } : undefined,
      redis: has('redis') ? new Redis(chart, 'redis', { ctx, values: values.redis }).connection : undefined,
      postgresql: has('postgresql') ? new PostgreSql(chart, 'postgresql', { ctx, values: values.postgresql }).connection : undefined,
    }).connection;
  });
  assertValidK8sObjects(r.objects);
  return { ...r, connection: r.built };
};

describe('ApiGateway', () => {
  const defaults = render();

  it('renders Deployment and Service api-gateway at / with the gateway role', () => {
    expect(own(defaults).map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([`Deployment/${NAME}`, `Service/${NAME}`]);
    expect(deployment(defaults).metadata.labels['app.kubernetes.io/component']).toBe('gateway');
    expect(container(defaults).env[0]).toEqual({ name: 'BASE_PATH', value: '/' });
    expect(defaults.connection).toEqual({ serviceName: NAME, port: 8080, basePath: '/', url: `http://${SVC('api-gateway')}:8080` });
  });

  it('reaches the AI engine under /ai, the executor, Redis as session store and PostgreSQL', () => {
    expect(ownEnv(defaults)).toEqual([
      { name: 'AI_ENGINE_URL', value: `http://${SVC('ai-engine')}:8080/ai` },
      { name: 'SELF_HEALING_URL', value: SELF_HEALING_URL },
      { name: 'API_PREFIX', value: '/api' },
      { name: 'SESSION_STORE', value: 'redis' },
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
    ]);
    expect(defaults.warnings).toEqual([]);
  });

  it('keeps sessions in memory without Redis and warns that they are per pod', () => {
    const r = render('', ['aiEngine', 'postgresql']);
    const names = ownEnv(r).map((e: any) => e.name);
    expect(ownEnv(r).find((e: any) => e.name === 'SESSION_STORE').value).toBe('memory');
    expect(names.filter((n: string) => n.startsWith('REDIS_'))).toEqual([]);
    expect(r.warnings).toEqual([expect.stringMatching(/API gateway keeps sessions in memory \(SESSION_STORE=memory\), per pod/)]);
  });

  it('leaves out the variables of every peer that is not rendered', () => {
    expect(ownEnv(render('', []))).toEqual([
      { name: 'API_PREFIX', value: '/api' },
      { name: 'SESSION_STORE', value: 'memory' },
    ]);
    expect(ownEnv(render('', ['selfHealing'])).map((e: any) => e.name)).toEqual(['SELF_HEALING_URL', 'API_PREFIX', 'SESSION_STORE']);
  });

  it('never holds a password as a plain value', () => {
    const r = render('postgresql: {auth: {password: pg-s3cret}}\nredis: {auth: {password: redis-s3cret}}');
    const text = JSON.stringify(own(r));
    for (const secret of ['pg-s3cret', 'redis-s3cret', 'dev-aiops-platform']) expect(text).not.toContain(secret);
    for (const e of container(r).env.filter((v: any) => /PASSWORD/.test(v.name))) expect(Object.keys(e.valueFrom)).toEqual(['secretKeyRef']);
  });

  it('probes /healthz/* and is scraped at /metrics on the metrics port 9464, which no route reaches (not even the / catch-all)', () => {
    const c = container(defaults);
    expect([c.readinessProbe.httpGet.path, c.livenessProbe.httpGet.path, c.startupProbe.httpGet.path]).toEqual([
      '/healthz/ready',
      '/healthz/live',
      '/healthz/live',
    ]);
    expect(deployment(defaults).spec.template.metadata.annotations).toEqual({
      'prometheus.io/path': '/metrics',
      'prometheus.io/port': '9464',
      'prometheus.io/scrape': 'true',
    });
    expect(container(defaults).ports).toEqual([
      { name: 'http', containerPort: 8080, protocol: 'TCP' },
      { name: 'metrics', containerPort: 9464, protocol: 'TCP' },
    ]);
    expect(find(defaults.objects, 'Service', NAME).spec.ports.map((p: any) => p.port)).toEqual([8080]);
  });

  it('autoscales from 2 to 10 pods with a PDB in production, without a replicas field', () => {
    const r = render('global: {development: false}');
    expect(ofKind(own(r), 'HorizontalPodAutoscaler').map((h) => [h.spec.minReplicas, h.spec.maxReplicas])).toEqual([[2, 10]]);
    expect('replicas' in deployment(r).spec).toBe(false);
    expect(ofKind(own(r), 'PodDisruptionBudget')).toHaveLength(1);
    expect(container(r).resources).toEqual({ requests: { cpu: '500m', memory: '512Mi' }, limits: { memory: '1Gi' } });
  });

  it('appends extraEnv and rejects a key the gateway sets', () => {
    expect(container(render('apiGateway: {extraEnv: {CORS_ORIGINS: "*"}}')).env.at(-1)).toEqual({ name: 'CORS_ORIGINS', value: '*' });
    expect(() => render('apiGateway: {extraEnv: {SESSION_STORE: memory}}')).toThrow(
      'apiGateway.extraEnv.SESSION_STORE: SESSION_STORE is set by the chart on the API gateway (from the values and connections): remove it from extraEnv',
    );
  });
});
