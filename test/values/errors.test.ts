import { describe, expect, it } from 'vitest';
import { loadValues } from '../../src/values/load.js';
import { issuesOf, issuesThrownBy } from '../support/values-issues.js';

describe('values errors', () => {
  it('rejects an unknown top-level key with its line, column and a suggestion', () => {
    const [issue] = issuesOf('global:\n  development: true\nelasticseach:\n  replicas: 3\n');
    expect(issue).toEqual({
      location: 'values.yaml:3:1',
      path: 'elasticseach',
      message: 'unknown key "elasticseach"; did you mean "elasticsearch"?',
    });
  });

  it('rejects a nested unknown key and suggests the right spelling', () => {
    const [issue] = issuesOf('redis:\n  cluster:\n    enabeld: true\n');
    expect(issue).toMatchObject({ location: 'values.yaml:3:5', path: 'redis.cluster.enabeld' });
    expect(issue!.message).toContain('did you mean "enabled"?');
  });

  it('lists the allowed keys when nothing is close', () => {
    const [issue] = issuesOf('networkPolicy:\n  zzz: 1\n');
    expect(issue!.message).toMatch(/^unknown key "zzz" \(allowed: defaultDeny, dns, enabled, [a-zA-Z, ]*kubeApiServerCidrs, nodeCidrs\)$/);
  });

  it('names the expected and the found type', () => {
    const [issue] = issuesOf('elasticsearch:\n  replicas: three\n');
    expect(issue).toEqual({ location: 'values.yaml:2:13', path: 'elasticsearch.replicas', message: 'expected number, found string "three"' });
  });

  it('explains YAML 1.1 booleans', () => {
    const [issue] = issuesOf('grafana:\n  enabled: yes\n');
    expect(issue!.message).toContain('YAML 1.2 booleans are true and false');
  });

  it('rejects 50GB and suggests 50Gi', () => {
    const [issue] = issuesOf('prometheus:\n  storage:\n    size: 50GB\n');
    expect(issue).toMatchObject({ location: 'values.yaml:3:11', path: 'prometheus.storage.size' });
    expect(issue!.message).toContain('did you mean "50Gi"?');
  });

  it('rejects a bad CPU quantity', () => {
    const [issue] = issuesOf('aiEngine:\n  resources:\n    requests: {cpu: 1 core, memory: 1Gi}\n');
    expect(issue!.path).toBe('aiEngine.resources.requests.cpu');
    expect(issue!.message).toContain('expected a Kubernetes quantity');
  });

  it('rejects negative and zero replicas', () => {
    expect(issuesOf('aiEngine: {replicas: -1}')[0]).toMatchObject({ path: 'aiEngine.replicas', message: 'expected a number at least 1, found number -1' });
    expect(issuesOf('kibana: {replicas: 0}')[0]!.path).toBe('kibana.replicas');
  });

  it('rejects a Redis cluster of 5 nodes and of 7 nodes', () => {
    for (const nodes of [5, 7]) {
      const [issue] = issuesOf(`redis:\n  cluster:\n    enabled: true\n    nodes: ${nodes}\n`);
      expect(issue).toMatchObject({ location: 'values.yaml:4:12', path: 'redis.cluster.nodes' });
      expect(issue!.message).toContain('even number of at least 6 nodes');
    }
  });

  it('accepts 5 Redis nodes while cluster mode is off', () => {
    expect(() => loadValues({ files: [{ name: 'v.yaml', text: 'redis: {cluster: {nodes: 5}}' }], sets: [] })).not.toThrow();
  });

  it('rejects a host name that is not a DNS name', () => {
    const [issue] = issuesOf('ingress:\n  hosts:\n    - host: Aiops_Example\n');
    expect(issue).toMatchObject({ location: 'values.yaml:3:13', path: 'ingress.hosts[0].host' });
  });

  it('suggests the right enum spelling', () => {
    const [issue] = issuesOf('ingress:\n  hosts:\n    - host: a.example.com\n      paths: [{path: /, pathType: prefix}]\n');
    expect(issue!.message).toBe('expected one of "Prefix" | "Exact" | "ImplementationSpecific", found string "prefix"; did you mean "Prefix"?');
  });

  it('rejects a request above its limit', () => {
    const [issue] = issuesOf('aiEngine:\n  resources:\n    requests: {cpu: "4", memory: 1Gi}\n    limits: {cpu: "2", memory: 1Gi}\n');
    expect(issue).toMatchObject({ path: 'aiEngine.resources.requests.cpu' });
    expect(issue!.message).toContain('above the limit 2');
  });

  it('rejects the latest tag', () => {
    expect(issuesOf('grafana: {image: {tag: latest}}')[0]!.message).toContain('pin a version');
  });

  it('rejects conflicting storage.size and persistence.size', () => {
    const [issue] = issuesOf('prometheus:\n  storage: {size: 50Gi}\n  persistence: {size: 60Gi}\n');
    expect(issue).toMatchObject({ path: 'prometheus.storage.size', location: 'values.yaml:2:19' });
    expect(issue!.message).toContain('conflicts with persistence.size (60Gi)');
  });

  it('reports every problem at once, in file order', () => {
    const issues = issuesOf('elasticseach: {}\nprometheus:\n  retention: 30x\nredis: {cluster: {enabled: true, nodes: 3}}\n');
    expect(issues.map((i) => i.path)).toEqual(['elasticseach', 'prometheus.retention', 'redis.cluster.nodes']);
  });

  it('reports malformed YAML with its position', () => {
    const [issue] = issuesOf('global:\n  development: [true\n');
    expect(issue!.location).toMatch(/^values\.yaml:\d+:\d+$/);
    expect(issue!.message).toMatch(/^malformed YAML/);
  });

  it('rejects duplicate keys', () => {
    expect(issuesOf('global: {}\nglobal: {}\n')[0]!.message).toMatch(/malformed YAML: Map keys must be unique/);
  });

  it('rejects a file whose top level is not a mapping', () => {
    expect(issuesOf('- a\n- b\n')[0]!.message).toBe('expected a mapping of values at the top, found a list');
  });

  it('names the --set flag that set a bad value', () => {
    const [issue] = issuesOf('', ['redis.cluster.enabled=true', 'redis.cluster.nodes=5']);
    expect(issue).toMatchObject({ location: '--set redis.cluster.nodes=5', path: 'redis.cluster.nodes' });
  });

  it('rejects a malformed --set flag', () => {
    expect(issuesOf('', ['prometheus.retention'])[0]).toEqual({
      location: '--set prometheus.retention',
      path: '',
      message: 'expected key=value, found "prometheus.retention"',
    });
    expect(issuesOf('', ['a.b={x,y'])[0]!.message).toContain('unclosed list');
  });

  it('attributes an error to the later file that set the key', () => {
    const issues = issuesThrownBy(() =>
      loadValues({ files: [{ name: 'a.yaml', text: 'elasticsearch: {replicas: 3}' }, { name: 'b.yaml', text: '\nelasticsearch:\n  replicas: 0\n' }], sets: [] }),
    );
    expect(issues[0]!.location).toBe('b.yaml:3:13');
  });
});

describe('PostgreSQL names the server would refuse', () => {
  it('rejects a pg_ role and a template database', () => {
    const issues = issuesOf('postgresql:\n  auth:\n    username: pg_app\n    database: template1\n');
    expect(issues.map((i) => [i.path, i.message])).toEqual([
      ['postgresql.auth.username', 'role names starting with pg_ are reserved by PostgreSQL'],
      ['postgresql.auth.database', 'template0 and template1 are PostgreSQL templates, not application databases'],
    ]);
  });
});
