import { execFileSync } from 'node:child_process';
import { k8s } from '../../src/lib/k8s.js';
import { describe, expect, it } from 'vitest';
import { PostgreSql } from '../../src/components/data/postgresql.js';
import { queryStatsSql } from '../../src/components/data/postgresql-scripts.js';
import { PostgreSqlMaintenance } from '../../src/components/data/postgresql-maintenance.js';
import { renderConstruct, type ConstructRender } from '../support/construct.js';
import { assertValidK8sObjects } from '../support/k8s-validate.js';
import { find, RESTRICTED_CONTAINER, workload } from '../support/render.js';

const NAME = 'aiops-platform-postgresql-maintenance';

/** Renders PostgreSQL and its maintenance; every object is schema-checked. */
function render(valuesYaml = ''): ConstructRender & { maintenance: PostgreSqlMaintenance } {
  const r = renderConstruct(valuesYaml, (chart, ctx, values) => {
    const pg = new PostgreSql(chart, 'postgresql', { ctx, values: values.postgresql });
    return new PostgreSqlMaintenance(chart, 'maintenance', { ctx, values: values.postgresql, connection: pg.connection });
  });
  assertValidK8sObjects(r.objects);
  return { ...r, maintenance: r.built };
}
const { object: cronJob, pod, container, env } = workload('CronJob', NAME);
const sql = (r: ConstructRender): string => find(r.objects, 'ConfigMap', NAME).data['maintenance.sql'];

describe('PostgreSqlMaintenance', () => {
  const defaults = render();

  it('runs CronJob <release>-postgresql-maintenance at 03:30 daily, never two at once', () => {
    const spec = cronJob(defaults).spec;
    expect(spec).toMatchObject({ schedule: '30 3 * * *', concurrencyPolicy: 'Forbid', successfulJobsHistoryLimit: 1, failedJobsHistoryLimit: 2 });
    expect(spec.jobTemplate.spec).toMatchObject({ backoffLimit: 2, activeDeadlineSeconds: 10800 });
    expect(pod(defaults).restartPolicy).toBe('OnFailure');
    expect(cronJob(render('postgresql: {maintenance: {schedule: "0 */6 * * *"}}')).spec.schedule).toBe('0 */6 * * *');
    expect(defaults.maintenance.cronJobName).toBe(NAME);
  });

  it('exposes the Job spec it schedules, for the self-healing executor', () => {
    expect(k8s.toJson_JobSpec(defaults.maintenance.jobSpec)).toEqual(cronJob(defaults).spec.jobTemplate.spec);
  });

  it('runs psql of the official image as uid 999 under the restricted profile with small resources', () => {
    expect(container(defaults).image).toBe('docker.io/library/postgres:17.6-bookworm');
    expect(pod(defaults).securityContext).toMatchObject({ runAsUser: 999, runAsGroup: 999, runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(container(defaults).securityContext).toEqual(RESTRICTED_CONTAINER);
    expect(pod(defaults).automountServiceAccountToken).toBe(false);
    expect(container(defaults).resources).toEqual({ requests: { cpu: '10m', memory: '32Mi' }, limits: { memory: '64Mi' } });
    const sized = render('postgresql: {maintenance: {resources: {requests: {cpu: 50m, memory: 64Mi}, limits: {memory: 128Mi}}}}');
    expect(container(sized).resources).toEqual({ requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '128Mi' } });
  });

  it('connects to the Service as postgres with the password from the Secret, stopping at the first error', () => {
    expect(container(defaults).command).toEqual([
      'psql',
      '--no-psqlrc',
      '--no-password',
      '--echo-queries',
      '--set=ON_ERROR_STOP=1',
      '--set=app_user=aiops',
      '--file=/etc/postgresql-maintenance/maintenance.sql',
    ]);
    const values = Object.fromEntries(container(defaults).env.filter((e: any) => e.value !== undefined).map((e: any) => [e.name, e.value]));
    expect(values).toEqual({
      PGHOST: 'aiops-platform-postgresql.aiops-platform.svc.cluster.local',
      PGPORT: '5432',
      PGDATABASE: 'aiops',
      PGUSER: 'postgres',
      PGAPPNAME: NAME,
      PGCONNECT_TIMEOUT: '10',
    });
    expect(env(defaults, 'PGPASSWORD')).toEqual({ name: 'PGPASSWORD', valueFrom: { secretKeyRef: { name: 'aiops-platform-postgresql', key: 'postgres-password' } } });
    const existing = render('postgresql: {auth: {existingSecret: pg-creds, username: app, database: appdb}}');
    expect(env(existing, 'PGPASSWORD').valueFrom.secretKeyRef).toEqual({ name: 'pg-creds', key: 'postgres-password' });
    expect(env(existing, 'PGDATABASE').value).toBe('appdb');
    expect(container(existing).command).toContain('--set=app_user=app');
  });

  it('mounts the SQL script from the ConfigMap where psql reads it', () => {
    expect(container(defaults).volumeMounts).toEqual([{ name: 'sql', mountPath: '/etc/postgresql-maintenance', readOnly: true }]);
    expect(pod(defaults).volumes).toEqual([{ name: 'sql', configMap: { name: NAME, defaultMode: 0o444 } }]);
  });

  it('vacuums and analyzes, and creates the query statistics view for the application user, with timeouts', () => {
    const lines = sql(defaults).trim().split('\n');
    expect(lines).toContain("SET statement_timeout = '3600s';");
    expect(lines).toContain("SET lock_timeout = '60s';");
    expect(lines).toContain('CREATE EXTENSION IF NOT EXISTS pg_stat_statements WITH SCHEMA public;');
    expect(lines).toContain('CREATE OR REPLACE VIEW public.aiops_query_stats AS');
    expect(sql(defaults)).toMatch(/SELECT s\.queryid, .*s\.query, s\.calls,\s+s\.total_exec_time, s\.mean_exec_time, s\.rows, s\.shared_blks_hit, s\.shared_blks_read/);
    expect(sql(defaults)).toContain('WHERE s.dbid = (SELECT d.oid FROM pg_catalog.pg_database AS d WHERE d.datname = pg_catalog.current_database())');
    expect(lines).toContain('GRANT SELECT ON public.aiops_query_stats TO :"app_user";');
    expect(lines.at(-1)).toBe('VACUUM (ANALYZE, SKIP_LOCKED);');
    // The timeouts come first, so they bound every statement.
    expect(lines.findIndex((l) => l.startsWith('SET statement_timeout'))).toBeLessThan(lines.findIndex((l) => l.startsWith('CREATE')));
  });

  it('shares the view SQL with the first-start script instead of copying it', () => {
    const init: string = find(defaults.objects, 'ConfigMap', 'aiops-platform-postgresql').data['init-app-user.sh'];
    const shared = queryStatsSql().join('\n');
    expect(init).toContain(shared);
    expect(sql(defaults)).toContain(shared);
    expect(init).toContain(`--dbname "$APP_DATABASE" --set=app_user="$APP_USER" <<'SQL'`);
    expect(() => execFileSync('sh', ['-n'], { input: init })).not.toThrow();
  });

  it('puts no password anywhere but in the secretKeyRef', () => {
    const r = render('postgresql: {auth: {password: app-s3cret, postgresPassword: root-s3cret}}');
    const own = r.objects.filter((o) => o.metadata.name === NAME);
    expect(own.map((o) => o.kind)).toEqual(['ConfigMap', 'CronJob']);
    expect(JSON.stringify(own)).not.toMatch(/s3cret/);
    expect(JSON.stringify(r.maintenance.jobSpec)).not.toMatch(/s3cret/);
    expect(container(r).env.filter((e: any) => /PASS/.test(e.name)).map((e: any) => e.valueFrom?.secretKeyRef?.key)).toEqual(['postgres-password']);
  });

  it('is never selected by the PostgreSQL Services', () => {
    const selector = find(defaults.objects, 'Service', 'aiops-platform-postgresql').spec.selector;
    const labels = cronJob(defaults).spec.jobTemplate.spec.template.metadata.labels;
    expect(Object.entries(selector).every(([k, v]) => labels[k] === v)).toBe(false);
    expect(labels['app.kubernetes.io/component']).toBe('maintenance');
  });
});
