import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { envOf, find, ofKind, renderYaml, workload } from '../support/render.js';

const { object: sts, container } = workload('StatefulSet', 'aiops-platform-postgresql');

describe('PostgreSql', () => {
  const defaults = renderYaml('');

  it('renders StatefulSet aiops-platform-postgresql with one pod and a data volume claim', () => {
    const s = sts(defaults);
    expect(s.spec.replicas).toBe(1);
    expect(s.spec.serviceName).toBe('aiops-platform-postgresql-headless');
    expect(s.spec.volumeClaimTemplates[0].metadata.name).toBe('data');
    expect(s.spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe('8Gi');
    expect(s.spec.volumeClaimTemplates[0].spec.storageClassName).toBeUndefined();
  });

  it('serves 5432 on the client and headless Services and 9187 for metrics', () => {
    const client = find(defaults.objects, 'Service', 'aiops-platform-postgresql');
    expect(client.spec.ports.map((p: any) => [p.name, p.port])).toEqual([['postgresql', 5432], ['metrics', 9187]]);
    const headless = find(defaults.objects, 'Service', 'aiops-platform-postgresql-headless');
    expect(headless.spec.clusterIP).toBe('None');
    expect(headless.spec.ports.map((p: any) => p.port)).toEqual([5432]);
  });

  it('runs as the image postgres user under the restricted profile', () => {
    const pod = sts(defaults).spec.template.spec;
    expect(pod.securityContext).toMatchObject({ runAsUser: 999, runAsGroup: 999, fsGroup: 999, runAsNonRoot: true });
    expect(container(defaults, 'postgresql').securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
    expect(envOf(container(defaults, 'postgresql'), 'PGDATA').value).toBe('/var/lib/postgresql/data/pgdata');
  });

  it('checks readiness and liveness with pg_isready', () => {
    const c = container(defaults, 'postgresql');
    expect(c.readinessProbe.exec.command.slice(0, 3)).toEqual(['pg_isready', '-U', 'postgres']);
    expect(c.livenessProbe.exec.command[0]).toBe('pg_isready');
    expect(c.startupProbe.failureThreshold).toBeGreaterThanOrEqual(60);
  });

  it('reads every password from the Secret and never from a plain value', () => {
    const c = container(defaults, 'postgresql');
    expect(envOf(c, 'POSTGRES_PASSWORD').valueFrom.secretKeyRef).toEqual({ name: 'aiops-platform-postgresql', key: 'postgres-password' });
    expect(envOf(c, 'APP_PASSWORD').valueFrom.secretKeyRef).toEqual({ name: 'aiops-platform-postgresql', key: 'password' });
    expect(envOf(container(defaults, 'metrics'), 'DATA_SOURCE_PASS').valueFrom.secretKeyRef.key).toBe('postgres-password');
    expect(c.env.filter((e: any) => /PASS/.test(e.name) && e.value !== undefined)).toEqual([]);
  });

  it('puts the values credentials into the Secret', () => {
    const r = renderYaml('postgresql:\n  auth: {username: app, password: s3cret, database: appdb, postgresPassword: root}\n');
    expect(find(r.objects, 'Secret', 'aiops-platform-postgresql').stringData).toEqual({ password: 's3cret', 'postgres-password': 'root' });
    expect(envOf(container(r, 'postgresql'), 'APP_USER').value).toBe('app');
    expect(envOf(container(r, 'postgresql'), 'APP_DATABASE').value).toBe('appdb');
  });

  it('uses auth.existingSecret and renders no Secret', () => {
    const r = renderYaml('postgresql: {auth: {existingSecret: pg-creds}}');
    expect(ofKind(r.objects, 'Secret').filter((s) => s.metadata.name.includes('postgresql'))).toEqual([]);
    expect(envOf(container(r, 'postgresql'), 'POSTGRES_PASSWORD').valueFrom.secretKeyRef.name).toBe('pg-creds');
  });

  it('warns in production when no credential is given and renders no Secret', () => {
    const r = renderYaml('global: {development: false}');
    expect(ofKind(r.objects, 'Secret').filter((s) => s.metadata.name === 'aiops-platform-postgresql')).toEqual([]);
    expect(r.warnings.join('\n')).toContain('kubectl -n aiops-platform create secret generic aiops-platform-postgresql --from-literal=password=… --from-literal=postgres-password=…');
  });

  it('makes an ExternalSecret instead of a Secret with secrets.external', () => {
    const r = renderYaml('secrets: {external: true, vaultPath: secret/aiops}');
    const es = find(r.objects, 'ExternalSecret', 'aiops-platform-postgresql');
    expect(es.spec.secretStoreRef).toEqual({ kind: 'ClusterSecretStore', name: 'vault' });
    expect(es.spec.data).toContainEqual({ secretKey: 'password', remoteRef: { key: 'secret/aiops/postgresql', property: 'password' } });
    expect(ofKind(r.objects, 'Secret')).toEqual([]);
  });

  it('takes size and storage class from storage.size and global.storageClass', () => {
    const r = renderYaml('global: {storageClass: fast-ssd}\npostgresql: {storage: {size: 20Gi}}');
    const claim = sts(r).spec.volumeClaimTemplates[0];
    expect(claim.spec.storageClassName).toBe('fast-ssd');
    expect(claim.spec.resources.requests.storage).toBe('20Gi');
  });

  it('uses an emptyDir when persistence is off', () => {
    const r = renderYaml('postgresql: {persistence: {enabled: false}}');
    expect(sts(r).spec.volumeClaimTemplates).toBeUndefined();
    expect(sts(r).spec.template.spec.volumes).toContainEqual({ name: 'data', emptyDir: {} });
  });

  it('derives memory settings and max_connections into postgresql.conf', () => {
    const r = renderYaml('postgresql:\n  maxConnections: 300\n  resources: {requests: {cpu: 1, memory: 2Gi}, limits: {memory: 4Gi}}\n');
    const conf: string = find(r.objects, 'ConfigMap', 'aiops-platform-postgresql').data['postgresql.conf'];
    expect(conf).toContain('max_connections = 300\n');
    expect(conf).toContain("shared_buffers = '1024MB'\n");
    expect(conf).toContain("shared_preload_libraries = 'pg_stat_statements'\n");
  });

  it('ships an init script that is valid shell and holds no credential', () => {
    const script: string = find(defaults.objects, 'ConfigMap', 'aiops-platform-postgresql').data['init-app-user.sh'];
    expect(() => execFileSync('sh', ['-n'], { input: script })).not.toThrow();
    expect(script).toContain(`CREATE ROLE :"app_user" LOGIN PASSWORD :'app_password';`);
    expect(script).not.toMatch(/dev-aiops-platform/);
  });

  it('annotates pods for scraping and for config rollouts', () => {
    const annotations = sts(defaults).spec.template.metadata.annotations;
    expect(annotations['prometheus.io/port']).toBe('9187');
    expect(annotations['checksum/config']).toMatch(/^[0-9a-f]{64}$/);
  });

  it('adds a PodDisruptionBudget only in production', () => {
    expect(ofKind(defaults.objects, 'PodDisruptionBudget').filter((p) => p.metadata.name === 'aiops-platform-postgresql')).toEqual([]);
    const prod = renderYaml('global: {development: false}\npostgresql: {auth: {existingSecret: pg}}');
    expect(find(prod.objects, 'PodDisruptionBudget', 'aiops-platform-postgresql').spec.maxUnavailable).toBe(1);
  });
});
