import { FIXTURES_DIR, fixtures, SEED_DIR, type Fixture } from './fixtures.js';

/** A named set of values files and flags to render. */
export interface RenderCase {
  readonly name: string;
  readonly files: readonly Fixture[];
  readonly sets: readonly string[];
  /** The case its golden diff is taken against; none for the cases with a whole golden. */
  readonly base?: string;
}

/** The cases with a whole golden render: the default profile, production, the seed's file and Redis Cluster in production. */
export const WHOLE_GOLDENS = ['defaults', 'production', 'seed-my-values', 'redis-cluster-production'];

/** Every other case is diffed against the whole golden closest to it: defaults unless named here. */
const BASE_OF: Record<string, string> = {
  'seed-production-security': 'seed-my-values',
  'cilium-3-node-elasticsearch': 'redis-cluster-production',
  backups: 'redis-cluster-production',
};

const withBase = (c: RenderCase): RenderCase => (WHOLE_GOLDENS.includes(c.name) ? c : { ...c, base: BASE_OF[c.name] ?? 'defaults' });

const inline = (name: string, text: string): RenderCase => ({ name, files: [{ name: `${name}.yaml`, text }], sets: [] });

/** The renders every golden file and invariant covers: defaults, each seed block, production, and edge cases. */
export function renderCases(): RenderCase[] {
  const cases: RenderCase[] = [
    { name: 'defaults', files: [], sets: [] },
    ...fixtures(SEED_DIR).map((f) => ({ name: `seed-${f.name.replace(/\.yaml$/, '')}`, files: [f], sets: [] })),
    ...fixtures(FIXTURES_DIR).map((f) => ({ name: f.name.replace(/\.yaml$/, ''), files: [f], sets: [] })),
    inline('redis-cluster-production', 'global: {development: false}\nredis:\n  cluster: {enabled: true, nodes: 8}\n  auth: {password: p}\n'),
    inline('no-persistence', 'postgresql: {persistence: {enabled: false}}\nredis: {persistence: {enabled: false}, auth: {enabled: false}}\n'),
    inline('external-secrets', 'secrets: {external: true, provider: vault, vaultPath: secret/aiops}\n'),
    inline('cilium-3-node-elasticsearch', 'global: {development: false}\nelasticsearch: {replicas: 3}\nnetworkPolicy: {flavor: cilium}\n'),
    // No node agents: their namespace is not rendered, so nothing may be put in it.
    inline('no-node-agents', 'nodeExporter: {enabled: false}\nfilebeat: {enabled: false}\n'),
    inline('exporters-off', 'postgresql: {exporter: {enabled: false}}\nredis: {exporter: {enabled: false}}\n'),
    // Production (NetworkPolicies on) with the same Redis as its base, plus the backups (Elasticsearch's three nodes snapshot to an S3-compatible service; Prometheus' TSDB snapshots).
    inline(
      'backups',
      'global: {development: false}\nredis:\n  cluster: {enabled: true, nodes: 8}\n  auth: {password: p}\nbackup:\n  enabled: true\n  keep: 14\n' +
        '  elasticsearch: {type: s3, s3: {bucket: aiops-backups, endpoint: "minio.backup.svc.cluster.local:9000", protocol: http, pathStyleAccess: true, existingSecret: aiops-backup-s3}}\n' +
        '  prometheus: {enabled: true}\n',
    ),
  ];
  return cases.map(withBase);
}
