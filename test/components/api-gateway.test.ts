import { describe, expect, it } from 'vitest';
import { AiEngine } from '../../src/components/aiops/ai-engine.js';
import { ApiGateway } from '../../src/components/aiops/api-gateway.js';
import { approvalTokenRef } from '../../src/components/aiops/approval-token.js';
import type { PlatformServiceConnection } from '../../src/components/aiops/platform-service.js';
import { PostgreSql } from '../../src/components/data/postgresql.js';
import { Redis } from '../../src/components/data/redis.js';
import { renderConstruct, type ConstructRender } from '../support/construct.js';
import { registerCrdValidators } from '../support/crd-validate.js';
import { assertValidK8sObjects } from '../support/k8s-validate.js';
import { platformService, secretRef, SVC } from '../support/platform-service.js';
import { find, ofKind } from '../support/render.js';

registerCrdValidators(); // the secrets.external render has ExternalSecrets

const { name: NAME, own, deployment, container, ownEnv } = platformService('api-gateway');
const SELF_HEALING_URL = `http://${SVC('self-healing')}:8080`;
const PROMETHEUS_URL = `http://${SVC('prometheus')}:9090/prometheus`;
const ALERTMANAGER_URL = `http://${SVC('alertmanager')}:9093/alertmanager`;
type Peer = 'prometheus' | 'alertmanager' | 'aiEngine' | 'selfHealing' | 'redis' | 'postgresql';
const ALL: readonly Peer[] = ['prometheus', 'alertmanager', 'aiEngine', 'selfHealing', 'redis', 'postgresql'];

/** Renders the gateway with the given peers (the AI engine, Redis and PostgreSQL as real constructs); schema-checked. */
const render = (valuesYaml = '', peers: readonly Peer[] = ALL, tls = false): ConstructRender & { connection: PlatformServiceConnection } => {
  const r = renderConstruct(valuesYaml, (chart, ctx, values) => {
    const has = (p: Peer) => peers.includes(p);
    return new ApiGateway(chart, 'api-gateway', {
      ctx,
      values: values.apiGateway,
      prometheus: has('prometheus') ? { url: PROMETHEUS_URL } : undefined,
      alertmanager: has('alertmanager') ? { url: ALERTMANAGER_URL } : undefined,
      aiEngine: has('aiEngine') ? new AiEngine(chart, 'ai-engine', { ctx, values: values.aiEngine }).connection : undefined,
      selfHealing: has('selfHealing') ? { url: SELF_HEALING_URL } : undefined,
      redis: has('redis') ? new Redis(chart, 'redis', { ctx, values: values.redis }).connection : undefined,
      postgresql: has('postgresql') ? new PostgreSql(chart, 'postgresql', { ctx, values: values.postgresql }).connection : undefined,
      tls,
    }).connection;
  });
  assertValidK8sObjects(r.objects);
  return { ...r, connection: r.built };
};
/** The gateway's Secret of a render (undefined when none is rendered). */
const secret = (r: ConstructRender) => r.objects.find((o: any) => o.kind === 'Secret' && o.metadata.name === NAME) as any;

describe('ApiGateway', () => {
  const defaults = render();

  it('renders Deployment, Service and its Secret api-gateway at / with the gateway role, from its bundle on the Node.js image', () => {
    expect(own(defaults).map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([`Secret/${NAME}`, `ConfigMap/${NAME}-code`, `Deployment/${NAME}`, `Service/${NAME}`]);
    expect(deployment(defaults).metadata.labels['app.kubernetes.io/component']).toBe('gateway');
    expect(container(defaults).env[0]).toEqual({ name: 'BASE_PATH', value: '/' });
    expect(container(defaults).image).toMatch(/^docker\.io\/library\/node:/);
    expect(JSON.stringify(defaults.objects)).not.toContain('ghcr.io');
    expect(defaults.connection).toEqual({ serviceName: NAME, port: 8080, basePath: '/', url: `http://${SVC('api-gateway')}:8080` });
  });

  it('runs a user-built image instead of the bundle when apiGateway.image is set', () => {
    const r = render('apiGateway: {image: {registry: registry.example.com, repository: ops/api-gateway, tag: "1.2.3"}}');
    expect(container(r).image).toBe('registry.example.com/ops/api-gateway:1.2.3');
    expect(ofKind(own(r), 'ConfigMap')).toEqual([]);
  });

  it('reaches Prometheus and Alertmanager under their prefixes, the AI engine, the executor, Redis and PostgreSQL; its credentials from its Secret', () => {
    expect(ownEnv(defaults)).toEqual([
      { name: 'PROMETHEUS_URL', value: PROMETHEUS_URL },
      { name: 'ALERTMANAGER_URL', value: ALERTMANAGER_URL },
      { name: 'AI_ENGINE_URL', value: `http://${SVC('ai-engine')}:8080/ai` },
      { name: 'SELF_HEALING_URL', value: SELF_HEALING_URL },
      { name: 'API_PREFIX', value: '/api' },
      { name: 'SESSION_STORE', value: 'redis' },
      { name: 'ADMIN_USERNAME', value: 'admin' },
      { name: 'ADMIN_PASSWORD', valueFrom: secretRef(NAME, 'admin-password') },
      { name: 'APPROVAL_TOKEN', valueFrom: secretRef(NAME, 'approval-token') },
      { name: 'COOKIE_SECURE', value: 'auto' },
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

  it('marks the session cookie always Secure when the Ingress serves TLS', () => {
    expect(ownEnv(render('', ALL, true)).find((e: any) => e.name === 'COOKIE_SECURE').value).toBe('true');
  });

  it('takes the first admin\'s name from values', () => {
    expect(ownEnv(render('apiGateway: {admin: {username: ops@example.com}}')).find((e: any) => e.name === 'ADMIN_USERNAME').value).toBe('ops@example.com');
  });

  it('holds the development credentials in development, and reads the approval token where the executor reads it', () => {
    expect(secret(defaults).stringData).toEqual({
      'admin-password': 'dev-aiops-platform-api-gateway-admin-password',
      'approval-token': 'dev-aiops-platform-api-gateway-approval-token',
    });
    expect(ownEnv(defaults).find((e: any) => e.name === 'APPROVAL_TOKEN').valueFrom.secretKeyRef).toEqual({ name: approvalTokenRef(defaults.ctx).secretName, key: approvalTokenRef(defaults.ctx).key });
  });

  it('renders no Secret in production without credentials and says which to create; takes them from values with a warning', () => {
    const production = render('global: {development: false}');
    expect(secret(production)).toBeUndefined();
    expect(production.warnings).toContain(
      `apiGateway.admin.password, apiGateway.approvalToken not set and no apiGateway.admin.existingSecret: no Secret is rendered; create it before applying: kubectl -n aiops-platform create secret generic ${NAME} --from-literal=admin-password=… --from-literal=approval-token=…`,
    );
    // The Deployment still reads it: the gateway waits for the Secret rather than starting without an admin.
    expect(ownEnv(production).find((e: any) => e.name === 'ADMIN_PASSWORD').valueFrom).toEqual(secretRef(NAME, 'admin-password'));
    const given = render('global: {development: false}\napiGateway: {admin: {password: correct-horse-battery}, approvalToken: 0123456789abcdef0123}');
    expect(secret(given).stringData).toEqual({ 'admin-password': 'correct-horse-battery', 'approval-token': '0123456789abcdef0123' });
    expect(given.warnings.join('\n')).toContain('apiGateway.admin.password is a plaintext credential while global.development is false');
  });

  it('reads apiGateway.admin.existingSecret (both keys), or makes an ExternalSecret with secrets.external, instead of its own Secret', () => {
    const existing = render('global: {development: false}\napiGateway: {admin: {existingSecret: ops-gateway}}');
    expect(secret(existing)).toBeUndefined();
    expect(existing.warnings.filter((w) => w.includes('apiGateway'))).toEqual([]);
    const refs = ownEnv(existing).filter((e: any) => e.valueFrom?.secretKeyRef?.name === 'ops-gateway').map((e: any) => `${e.name}=${e.valueFrom.secretKeyRef.key}`);
    expect(refs).toEqual(['ADMIN_PASSWORD=admin-password', 'APPROVAL_TOKEN=approval-token']);
    expect(approvalTokenRef(existing.ctx, 'ops-gateway').secretName).toBe('ops-gateway');
    const external = render('secrets: {external: true, provider: vault, vaultPath: secret/aiops}');
    const es = find(external.objects, 'ExternalSecret', NAME);
    expect(es.spec.data.map((d: any) => `${d.secretKey}←${d.remoteRef.key}#${d.remoteRef.property}`)).toEqual([
      'admin-password←secret/aiops/api-gateway#admin-password',
      'approval-token←secret/aiops/api-gateway#approval-token',
    ]);
  });

  it('needs no approval token without the executor', () => {
    const r = render('', ['prometheus', 'redis', 'postgresql']);
    expect(Object.keys(secret(r).stringData)).toEqual(['admin-password']);
    expect(ownEnv(r).map((e: any) => e.name)).not.toContain('APPROVAL_TOKEN');
  });

  it('keeps sessions in memory without Redis and warns that they are per pod', () => {
    const r = render('', ['aiEngine', 'postgresql']);
    const names = ownEnv(r).map((e: any) => e.name);
    expect(ownEnv(r).find((e: any) => e.name === 'SESSION_STORE').value).toBe('memory');
    expect(names.filter((n: string) => n.startsWith('REDIS_'))).toEqual([]);
    expect(r.warnings).toEqual([expect.stringMatching(/API gateway keeps sessions in memory \(SESSION_STORE=memory\), per pod/)]);
  });

  it('warns that it cannot start without PostgreSQL, where its users live', () => {
    expect(render('', ['prometheus', 'redis']).warnings).toEqual([expect.stringMatching(/^postgresql\.enabled is false: the API gateway keeps its users, API keys and audit in PostgreSQL and refuses to start without it/)]);
  });

  it('leaves out the variables of every peer that is not rendered', () => {
    expect(ownEnv(render('', []))).toEqual([
      { name: 'API_PREFIX', value: '/api' },
      { name: 'SESSION_STORE', value: 'memory' },
      { name: 'ADMIN_USERNAME', value: 'admin' },
      { name: 'ADMIN_PASSWORD', valueFrom: secretRef(NAME, 'admin-password') },
      { name: 'COOKIE_SECURE', value: 'auto' },
    ]);
    expect(ownEnv(render('', ['selfHealing'])).map((e: any) => e.name)).toEqual([
      'SELF_HEALING_URL',
      'API_PREFIX',
      'SESSION_STORE',
      'ADMIN_USERNAME',
      'ADMIN_PASSWORD',
      'APPROVAL_TOKEN',
      'COOKIE_SECURE',
    ]);
  });

  it('never holds a password as a plain value', () => {
    const r = render('postgresql: {auth: {password: pg-s3cret}}\nredis: {auth: {password: redis-s3cret}}\napiGateway: {admin: {password: admin-s3cret-pass}, approvalToken: approval-s3cret-token}');
    const text = JSON.stringify(own(r).filter((o) => o.kind !== 'Secret'));
    for (const value of ['pg-s3cret', 'redis-s3cret', 'admin-s3cret-pass', 'approval-s3cret-token', 'dev-aiops-platform']) expect(text).not.toContain(value);
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
      'checksum/code': expect.stringMatching(/^[0-9a-f]{64}$/),
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
