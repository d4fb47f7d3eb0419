/**
 * The backup CronJob's script on a real PostgreSQL (Debian's): run with the rendered Job's
 * environment (the Service replaced by 127.0.0.1 and the test port, the mounted paths by temp
 * folders) over TCP with the superuser's password, it writes a pg_dump and the roles; the
 * README's restore (pg_restore --clean --if-exists into the damaged database; the roles and a
 * new database on an empty server) brings the data back; and it keeps the newest `KEEP` backups.
 * Skipped with a warning without the PostgreSQL binaries locally; fails without them in CI.
 */
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { giveToPostgres, pgEnv, postgresPresent, PostgresCluster, runAsPostgres } from '../support/postgresql-server.js';
import { output } from '../support/process.js';
import { parse } from 'yaml';
import { envValues, find, renderYaml, workload } from '../support/render.js';

const havePostgres = postgresPresent('the PostgreSQL backup tests');

/** The restore Job of the README (the manifest piped to `kubectl apply -f -`). */
function readmeRestoreJob(): any {
  const readme = readFileSync(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8');
  const manifest = /kubectl -n aiops-platform apply -f - <<'EOF'\n([\s\S]*?)\nEOF\n/.exec(readme);
  if (!manifest) throw new Error('no restore Job in the README');
  return parse(manifest[1]!);
}
const NAME = 'aiops-platform-postgresql-backup';
const SUPERUSER_PASSWORD = "su'per pass";
const APP_PASSWORD = 'app-pass';

describe.runIf(havePostgres)('PostgreSQL backups with the rendered CronJob script on a real server', () => {
  const r = renderYaml('backup: {enabled: true, keep: 2}\n');
  const script: string = find(r.objects, 'ConfigMap', NAME).data['backup.sh'];
  const container = workload('CronJob', NAME).container(r);
  let cluster: PostgresCluster | undefined;
  let scriptFile = '';
  let backupDir = '';

  /** The script as the Job runs it: its environment, to the test server over TCP with the superuser's password. */
  const runBackup = () =>
    runAsPostgres('sh', [scriptFile], pgEnv({ ...envValues(container), PGHOST: '127.0.0.1', PGPORT: String(cluster!.port), PGPASSWORD: SUPERUSER_PASSWORD, BACKUP_DIR: backupDir }), 60_000);
  const dumps = () => readdirSync(backupDir).filter((n) => n.endsWith('.dump')).sort();

  beforeAll(async () => {
    cluster = await PostgresCluster.forApplication('pg-backup-test-', 'aiops', APP_PASSWORD);
    await cluster.psql('postgres', `ALTER ROLE postgres PASSWORD '${SUPERUSER_PASSWORD.replaceAll("'", "''")}'`);
    await cluster.psql('postgres', 'CREATE DATABASE aiops OWNER aiops');
    await cluster.psql('aiops', `SET ROLE aiops; CREATE TABLE "odd ""name"" table" (id int PRIMARY KEY, note text); INSERT INTO "odd ""name"" table" SELECT g, 'row ' || g FROM generate_series(1, 500) g`);
    const work = mkdtempSync(join(tmpdir(), 'pg-backup-files-'));
    giveToPostgres(work);
    scriptFile = join(work, 'backup.sh');
    writeFileSync(scriptFile, script, { mode: 0o755 });
    giveToPostgres(scriptFile);
    backupDir = join(work, 'backup', 'postgresql');
  }, 60_000);

  afterAll(async () => {
    await cluster?.destroy();
  }, 40_000);

  it('writes the dump and the roles, owner-only, under final names only when complete', async () => {
    expect(envValues(container)).toMatchObject({ PGUSER: 'postgres', PGDATABASE: 'aiops', KEEP: '2', BACKUP_DIR: '/backup/postgresql' });
    const run = await runBackup();
    expect(run.code, output(run)).toBe(0);
    const files = readdirSync(backupDir).sort();
    expect(files).toHaveLength(2);
    expect(files[0]).toMatch(/^\d{8}T\d{6}Z\.dump$/);
    expect(files[1]).toBe(files[0]!.replace(/\.dump$/, '.globals.sql'));
    for (const file of files) expect(statSync(join(backupDir, file)).mode & 0o777).toBe(0o600);
    expect(run.stdout).toMatch(/^backup \d{8}T\d{6}Z\.dump: \d+ bytes$/m);
  });

  it('restores the damaged database with the README\'s restore Job: its command, its environment, the backup Job\'s pod labels and volume', async () => {
    const job = readmeRestoreJob();
    const backupPod = workload('CronJob', NAME).pod(r);
    const restorePod = job.spec.template.spec;
    // The labels the NetworkPolicies select the backup pods by, the same volume, image, user and restrictions.
    const selector = ['app.kubernetes.io/name', 'app.kubernetes.io/component', 'app.kubernetes.io/instance'];
    for (const key of selector) expect(job.spec.template.metadata.labels[key], key).toBe(workload('CronJob', NAME).object(r).spec.jobTemplate.spec.template.metadata.labels[key]);
    expect(restorePod.volumes).toEqual([{ name: 'backup', persistentVolumeClaim: { claimName: NAME } }]);
    expect(restorePod.containers[0].image).toBe(container.image);
    expect(restorePod.securityContext).toMatchObject({ runAsUser: backupPod.securityContext.runAsUser, fsGroup: backupPod.securityContext.fsGroup, runAsNonRoot: true });
    const env = Object.fromEntries(restorePod.containers[0].env.map((e: any) => [e.name, e.value ?? e.valueFrom]));
    expect(env).toEqual({ PGHOST: 'aiops-platform-postgresql', PGDATABASE: 'aiops', PGUSER: 'postgres', PGPASSWORD: container.env.find((e: any) => e.name === 'PGPASSWORD').valueFrom });

    await cluster!.psql('aiops', `DELETE FROM "odd ""name"" table" WHERE id > 10; UPDATE "odd ""name"" table" SET note = 'damaged'`);
    const [shell, flag, command] = restorePod.containers[0].command as string[];
    const restore = await runAsPostgres(shell!, [flag!, command!.replaceAll('/backup/postgresql', backupDir)], pgEnv({ PGHOST: '127.0.0.1', PGPORT: String(cluster!.port), PGDATABASE: env.PGDATABASE, PGUSER: 'postgres', PGPASSWORD: SUPERUSER_PASSWORD }));
    expect(restore.code, output(restore)).toBe(0);
    expect(restore.stdout).toContain(`restoring ${backupDir}/${dumps().at(-1)}`);
    expect(await cluster!.psql('aiops', `SELECT count(*) || ' ' || count(*) FILTER (WHERE note = 'row ' || id) FROM "odd ""name"" table"`)).toBe('500 500');
  });

  it('restores onto an empty server: the roles from the globals file, then the database, owned by the application role', async () => {
    const empty = await PostgresCluster.create('pg-backup-empty-');
    try {
      await empty.initdb(['--auth-host=scram-sha-256', '--auth-local=trust']);
      await empty.start();
      const latest = dumps().at(-1)!;
      const globals = await runAsPostgres('psql', ['-X', '-v', 'ON_ERROR_STOP=0', '-h', empty.socketDir, '-p', String(empty.port), '-U', 'postgres', '-d', 'postgres', '-f', join(backupDir, latest.replace(/\.dump$/, '.globals.sql'))], pgEnv());
      expect(globals.code, output(globals)).toBe(0);
      const restore = await runAsPostgres('pg_restore', ['--create', '--no-password', '-h', empty.socketDir, '-p', String(empty.port), '-U', 'postgres', '--dbname=postgres', join(backupDir, latest)], pgEnv());
      expect(restore.code, output(restore)).toBe(0);
      expect(await empty.psql('aiops', `SELECT pg_get_userbyid(relowner) || ' ' || (SELECT count(*) FROM "odd ""name"" table") FROM pg_class WHERE relname = 'odd "name" table'`)).toBe('aiops 500');
      // The application role logs in with its password (the globals carry its SCRAM hash).
      const login = await runAsPostgres('psql', ['-X', '-A', '-t', '-w', '-h', '127.0.0.1', '-p', String(empty.port), '-U', 'aiops', '-d', 'aiops', '-c', 'SELECT current_user'], pgEnv({ PGPASSWORD: APP_PASSWORD }));
      expect(login.stdout.trim(), output(login)).toBe('aiops');
    } finally {
      await empty.destroy();
    }
  }, 60_000);

  it('keeps the newest KEEP backups (2 here) and removes the older ones with their roles files', async () => {
    for (let i = 0; i < 2; i++) {
      // Backups are named by the second.
      await new Promise((resolve) => setTimeout(resolve, 1100));
      const run = await runBackup();
      expect(run.code, output(run)).toBe(0);
    }
    const names = dumps();
    expect(names).toHaveLength(2);
    expect(readdirSync(backupDir).sort()).toEqual(names.flatMap((n) => [n, n.replace(/\.dump$/, '.globals.sql')]).sort());
    expect(readdirSync(backupDir).filter((n) => n.startsWith('.'))).toEqual([]);
  }, 30_000);

  it('leaves no partial file and fails when the server refuses the password', async () => {
    const before = readdirSync(backupDir).sort();
    const run = await runAsPostgres('sh', [scriptFile], pgEnv({ ...envValues(container), PGHOST: '127.0.0.1', PGPORT: String(cluster!.port), PGPASSWORD: 'wrong', BACKUP_DIR: backupDir }));
    expect(run.code).not.toBe(0);
    expect(output(run)).toMatch(/password authentication failed/);
    expect(readdirSync(backupDir).sort()).toEqual(before);
  });
});
