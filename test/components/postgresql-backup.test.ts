import { describe, expect, it } from 'vitest';
import { ValuesError } from '../../src/values/issues.js';
import { assertValidK8sObjects } from '../support/k8s-validate.js';
import { find, ofKind, RESTRICTED_CONTAINER, renderYaml, workload } from '../support/render.js';

const NAME = 'aiops-platform-postgresql-backup';
const { object: cronJob, pod, container, env } = workload('CronJob', NAME);
const enabled = (extra = '') => renderYaml(`backup: {enabled: true${extra}}\n`);

describe('PostgreSqlBackup (backup.enabled)', () => {
  const defaults = enabled();

  it('renders nothing by default', () => {
    expect(renderYaml('{}').objects.filter((o) => JSON.stringify(o).includes('postgresql-backup'))).toEqual([]);
  });

  it('runs CronJob <release>-postgresql-backup at 02:15 daily, never two at once, onto its own 20Gi claim (100Gi in production)', () => {
    assertValidK8sObjects(defaults.objects.filter((o: any) => o.metadata.name === NAME));
    expect(cronJob(defaults).spec).toMatchObject({ schedule: '15 2 * * *', concurrencyPolicy: 'Forbid' });
    expect(cronJob(defaults).spec.jobTemplate.spec).toMatchObject({ backoffLimit: 2, activeDeadlineSeconds: 21600 });
    const claim = find(defaults.objects, 'PersistentVolumeClaim', NAME);
    expect(claim.spec).toEqual({ accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '20Gi' } } });
    expect(pod(defaults).volumes).toContainEqual({ name: 'backup', persistentVolumeClaim: { claimName: NAME } });
    // Production's three Elasticsearch nodes need a ReadWriteMany snapshot volume (or s3), chosen explicitly.
    const production = 'global: {development: false}\nbackup: {enabled: true, elasticsearch: {fs: {accessMode: ReadWriteMany}}}\n';
    expect(find(renderYaml(production).objects, 'PersistentVolumeClaim', NAME).spec.resources.requests.storage).toBe('100Gi');
    const tuned = enabled(', schedule: "0 */6 * * *", keep: 30, persistence: {size: 5Gi, storageClass: fast}');
    expect(cronJob(tuned).spec.schedule).toBe('0 */6 * * *');
    expect(env(tuned, 'KEEP').value).toBe('30');
    expect(find(tuned.objects, 'PersistentVolumeClaim', NAME).spec).toMatchObject({ storageClassName: 'fast', resources: { requests: { storage: '5Gi' } } });
  });

  it('runs pg_dump of the server\'s own image as uid 999 under the restricted profile, as postgres with the password from the Secret', () => {
    expect(container(defaults).image).toBe('docker.io/library/postgres:17.6-bookworm');
    expect(pod(defaults).securityContext).toMatchObject({ runAsUser: 999, runAsGroup: 999, fsGroup: 999, runAsNonRoot: true });
    expect(container(defaults).securityContext).toEqual(RESTRICTED_CONTAINER);
    expect(container(defaults).resources).toEqual({ requests: { cpu: '50m', memory: '128Mi' }, limits: { memory: '512Mi' } });
    expect(container(defaults).command).toEqual(['sh', '/etc/postgresql-backup/backup.sh']);
    const values = Object.fromEntries(container(defaults).env.filter((e: any) => e.value !== undefined).map((e: any) => [e.name, e.value]));
    expect(values).toEqual({
      PGHOST: 'aiops-platform-postgresql.aiops-platform.svc.cluster.local',
      PGPORT: '5432',
      PGDATABASE: 'aiops',
      PGUSER: 'postgres',
      PGAPPNAME: NAME,
      PGCONNECT_TIMEOUT: '10',
      BACKUP_DIR: '/backup/postgresql',
      KEEP: '7',
    });
    expect(env(defaults, 'PGPASSWORD')).toEqual({ name: 'PGPASSWORD', valueFrom: { secretKeyRef: { name: 'aiops-platform-postgresql', key: 'postgres-password' } } });
    // A hostile database name reaches the script only through the environment.
    const script: string = find(defaults.objects, 'ConfigMap', NAME).data['backup.sh'];
    expect(script).not.toContain('aiops');
  });

  it('is allowed to reach PostgreSQL, and only PostgreSQL and DNS, when NetworkPolicies are on', () => {
    const r = renderYaml('backup: {enabled: true}\nnetworkPolicy: {enabled: true}\n');
    const policies = ofKind(r.objects, 'NetworkPolicy');
    const own = policies.find((p: any) => p.metadata.name === NAME);
    expect(own.spec.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(own.spec.ingress ?? []).toEqual([]);
    const server = policies.find((p: any) => p.metadata.name === 'aiops-platform-postgresql');
    expect(JSON.stringify(server.spec.ingress)).toContain('"app.kubernetes.io/component":"backup"');
  });

  it('refuses backups without a persistent volume, at the key', () => {
    let error: unknown;
    try {
      enabled(', persistence: {enabled: false}');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValuesError);
    expect((error as ValuesError).issues.map((i) => `${i.path}: ${i.message}`)).toEqual([
      expect.stringMatching(/^backup\.persistence\.enabled: backups need a persistent volume/),
    ]);
  });
});
