import { describe, expect, it } from 'vitest';
import { buildValuesSchema, profileFor } from '../../src/values/schema/index.js';
import { loadValues } from '../../src/values/load.js';
import { fixtures, SEED_DIR } from '../support/fixtures.js';

const parse = (raw: unknown, development = true) => buildValuesSchema(profileFor(development)).parse(raw);
const load = (text: string, sets: string[] = []) => loadValues({ files: [{ name: 'v.yaml', text }], sets }).values;

describe('values schema defaults', () => {
  it('applies the seed table defaults when no values are given', () => {
    const v = parse(undefined);
    expect(v.global.storageClass).toBe('');
    expect(v.global.development).toBe(true);
    expect(v.ingress.enabled).toBe(true);
    expect(v.ingress.hosts[0]!.host).toBe('aiops.local');
    expect(v.prometheus.enabled).toBe(true);
    expect(v.prometheus.retention).toBe('15d');
    expect(v.grafana.enabled).toBe(true);
    expect(v.elasticsearch.enabled).toBe(true);
    expect(v.elasticsearch.replicas).toBe(1);
    expect(v.aiEngine.enabled).toBe(true);
    expect(v.selfHealing.enabled).toBe(true);
    expect(v.redis.cluster).toMatchObject({ enabled: false, nodes: 6 });
    expect(v.networkPolicy).toMatchObject({ enabled: false, defaultDeny: false });
    expect(v.podSecurityPolicy.enabled).toBe(false);
    expect(v.secrets).toMatchObject({ external: false, provider: 'vault' });
  });

  it('enables every component by default', () => {
    const v = parse({});
    const components = ['traefik', 'prometheus', 'alertmanager', 'grafana', 'nodeExporter', 'kubeStateMetrics', 'elasticsearch', 'logstash', 'filebeat', 'kibana', 'redis', 'postgresql', 'aiEngine', 'apiGateway', 'selfHealing'] as const;
    for (const c of components) expect(v[c].enabled, c).toBe(true);
  });

  it('picks production defaults when global.development is false', () => {
    const dev = load('global: {development: true}');
    const prod = load('global: {development: false}');
    expect(dev.selfHealing.dryRun).toBe(true);
    expect(prod.selfHealing.dryRun).toBe(false);
    expect(dev.elasticsearch.retentionDays).toBe(7);
    expect(prod.elasticsearch.retentionDays).toBe(30);
    expect(prod.aiEngine.replicas).toBe(2);
    expect(prod.networkPolicy.enabled).toBe(true);
    expect(prod.postgresql.resources.requests.memory).toBe('2Gi');
    expect(dev.postgresql.resources.requests.memory).toBe('256Mi');
  });

  it('pins every default image to a version and never to latest', () => {
    const v = parse({});
    const images = JSON.stringify(v).match(/"tag":"[^"]*"/g) ?? [];
    expect(images.length).toBeGreaterThan(14);
    for (const tag of images) expect(tag).not.toMatch(/latest|"tag":""/);
  });
});

describe('seed values blocks', () => {
  const blocks = fixtures(SEED_DIR);

  it('has all 8 values blocks of the seed', () => {
    expect(blocks.map((b) => b.name)).toHaveLength(8);
  });

  it.each(blocks.map((b) => [b.name, b] as const))('accepts %s as a values file', (_name, block) => {
    expect(() => loadValues({ files: [block], sets: [] })).not.toThrow();
  });

  it('maps the my-values block onto the schema', () => {
    const v = loadValues({ files: blocks.filter((b) => b.name === 'my-values.yaml'), sets: [] }).values;
    expect(v.global).toMatchObject({ storageClass: 'fast-ssd', development: false });
    expect(v.ingress.tls).toEqual([{ secretName: 'aiops-tls', hosts: ['aiops.example.com'] }]);
    expect(v.prometheus.retention).toBe('30d');
    expect(v.prometheus.persistence.size).toBe('50Gi');
    expect(v.elasticsearch.persistence.size).toBe('100Gi');
    expect(v.postgresql.persistence.size).toBe('20Gi');
    expect(v.aiEngine.resources).toEqual({ requests: { memory: '2Gi', cpu: '1000m' }, limits: { memory: '4Gi', cpu: '2000m' } });
  });
});

describe('values semantics', () => {
  it('treats storage.size and persistence.size as the same key', () => {
    expect(load('prometheus: {storage: {size: 50Gi}}').prometheus.persistence.size).toBe('50Gi');
    expect(load('prometheus: {persistence: {size: 60Gi, storageClass: fast-ssd}}').prometheus.persistence).toEqual({
      enabled: true,
      size: '60Gi',
      storageClass: 'fast-ssd',
    });
  });

  it('replaces the default resources whole and derives the missing memory limit from the request', () => {
    const v = load('redis: {resources: {requests: {memory: 2Gi, cpu: 500m}}}');
    expect(v.redis.resources).toEqual({ requests: { memory: '2Gi', cpu: '500m' }, limits: { memory: '2Gi' } });
  });

  it('accepts bare numbers as CPU quantities', () => {
    expect(load('postgresql: {resources: {requests: {cpu: 2, memory: 1Gi}}}').postgresql.resources.requests.cpu).toBe('2');
  });

  it('merges files as Helm does: maps merge, lists replace, null deletes', () => {
    const v = loadValues({
      files: [
        { name: 'a.yaml', text: 'ingress: {hosts: [{host: a.example.com}, {host: b.example.com}]}\nprometheus: {retention: 30d, scrapeInterval: 15s}' },
        { name: 'b.yaml', text: 'ingress: {hosts: [{host: c.example.com}]}\nprometheus: {retention: 60d, scrapeInterval: null}' },
      ],
      sets: [],
    }).values;
    expect(v.ingress.hosts.map((h) => h.host)).toEqual(['c.example.com']);
    expect(v.prometheus.retention).toBe('60d');
    expect(v.prometheus.scrapeInterval).toBe('30s');
  });

  it('lets --set win over files, with typed values and lists', () => {
    const v = load('elasticsearch: {replicas: 3}', [
      'elasticsearch.replicas=5',
      'redis.cluster.enabled=true,redis.cluster.nodes=8',
      'alertmanager.route.groupBy={alertname,severity}',
      'ingress.hosts[0].host=x.example.com',
    ]);
    expect(v.elasticsearch.replicas).toBe(5);
    expect(v.redis.cluster).toMatchObject({ enabled: true, nodes: 8 });
    expect(v.alertmanager.route.groupBy).toEqual(['alertname', 'severity']);
    expect(v.ingress.hosts[0]!.host).toBe('x.example.com');
  });

  it('accepts image pull secrets as names or {name} objects', () => {
    expect(load('global: {imagePullSecrets: [a, {name: b}]}').global.imagePullSecrets).toEqual(['a', 'b']);
  });
});
