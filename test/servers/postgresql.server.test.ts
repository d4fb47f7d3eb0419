/**
 * Runs the rendered PostgreSQL config and first-start script against a real server on loopback:
 * the rendered postgresql.conf must be accepted as a whole (every setting applied, none in error)
 * and init-app-user.sh must create a role that logs in over TCP with SCRAM and a database it owns,
 * with pg_stat_statements and the query statistics view working; the maintenance CronJob's SQL,
 * run with the CronJob's psql command and environment, must vacuum, analyze and (re)create that
 * view, idempotently. Only absolute paths are rewritten (to temp dirs); the listen address and
 * port are overridden on the command line (the maintenance connects to 127.0.0.1 instead of the
 * Service).
 *
 * Needs the PostgreSQL server binaries (Debian: `apt-get install postgresql`; found through
 * $PG_BINDIR, `pg_config --bindir` or /usr/lib/postgresql/<version>/bin). As root the server and
 * the script run as the `postgres` OS user, as in the image. Skipped with a warning when the
 * binaries are missing locally; fails when they are missing in CI (`CI=true`).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgreSql } from '../../src/components/data/postgresql.js';
import { PostgreSqlMaintenance } from '../../src/components/data/postgresql-maintenance.js';
import { renderConstruct } from '../support/construct.js';
import { giveToPostgres, pgEnv, postgresPresent, PostgresCluster, runAsPostgres } from '../support/postgresql-server.js';
import { output } from '../support/process.js';
import { envOf, envValues, find, renderYaml, workload } from '../support/render.js';

const havePostgres = postgresPresent('the PostgreSQL server tests');

/** The value a postgresql.conf line sets, without quotes (`shared_buffers = '128MB'` → `128MB`). */
function confValue(conf: string, key: string): string {
  const line = conf.split('\n').find((l) => l.startsWith(`${key} = `));
  if (!line) throw new Error(`no ${key} in the rendered postgresql.conf:\n${conf}`);
  return line.slice(key.length + 3).replace(/^'(.*)'$/, '$1');
}

// ---------------------------------------------------------------------------------------------

describe.runIf(havePostgres)('PostgreSQL on a real server with the rendered postgresql.conf and init-app-user.sh', () => {
  const { objects } = renderYaml('{}');
  const configMap = find(objects, 'ConfigMap', 'aiops-platform-postgresql');
  const conf: string = configMap.data['postgresql.conf'];
  const initScript: string = configMap.data['init-app-user.sh'];
  const container = workload('StatefulSet', 'aiops-platform-postgresql').container({ objects }, 'postgresql');
  const envValue = (name: string): string | undefined => envOf(container, name)?.value;
  // The settings overridden on the command line here (the rest must come from the file).
  const OVERRIDDEN = ['listen_addresses', 'port'];
  // The maintenance CronJob, rendered with the PostgreSQL it maintains.
  const maintenanceObjects = renderConstruct('{}', (chart, ctx, values) => {
    const pg = new PostgreSql(chart, 'postgresql', { ctx, values: values.postgresql });
    new PostgreSqlMaintenance(chart, 'maintenance', { ctx, values: values.postgresql, connection: pg.connection });
  }).objects;
  const maintenanceSql: string = find(maintenanceObjects, 'ConfigMap', 'aiops-platform-postgresql-maintenance').data['maintenance.sql'];
  const maintenanceContainer = find(maintenanceObjects, 'CronJob', 'aiops-platform-postgresql-maintenance').spec.jobTemplate.spec.template.spec.containers[0];

  let cluster: PostgresCluster | undefined;
  let socketDir = '';
  let confFile = '';
  let scriptFile = '';
  let maintenanceFile = '';
  let port = 0;

  /** psql as the superuser over the unix socket (trust, as in the image). */
  const superPsql = (db: string, sql: string) => cluster!.superPsql(db, sql);
  /** psql over TCP to 127.0.0.1 with a password (host lines of pg_hba.conf: scram-sha-256). */
  const tcpPsql = (user: string, password: string, db: string, sql: string) =>
    runAsPostgres('psql', ['-X', '-A', '-t', '-w', '-v', 'ON_ERROR_STOP=1', '-h', '127.0.0.1', '-p', String(port), '-U', user, '-d', db, '-c', sql], pgEnv({ PGPASSWORD: password }));
  /** The rendered script as the image runs it: executable, with the container's env, via the socket. */
  const runInitScript = (env: Record<string, string>) =>
    runAsPostgres('sh', [scriptFile], pgEnv({ PGHOST: socketDir, PGPORT: String(port), ...env }), 30_000);
  /**
   * The maintenance as the CronJob runs it: its psql command (the mounted script path replaced by
   * the temp file) and its environment, over TCP with the superuser's password (PGPASSWORD, which
   * the Job reads from the Secret), to 127.0.0.1 and the test port instead of the Service.
   */
  const runMaintenance = (superuserPassword: string) => {
    const mounted = `--file=${maintenanceContainer.volumeMounts[0].mountPath}/maintenance.sql`;
    expect(maintenanceContainer.command).toContain(mounted);
    const [cmd, ...args] = (maintenanceContainer.command as string[]).map((a) => (a === mounted ? `--file=${maintenanceFile}` : a));
    const env = envValues(maintenanceContainer);
    return runAsPostgres(cmd!, args, pgEnv({ ...env, PGHOST: '127.0.0.1', PGPORT: String(port), PGPASSWORD: superuserPassword }), 60_000);
  };

  beforeAll(async () => {
    // What the container passes: the env the script reads and the initdb arguments.
    expect(container.args).toEqual(['-c', 'config_file=/etc/postgresql/postgresql.conf']);
    expect(envValue('POSTGRES_USER')).toBe('postgres');
    expect(envValue('APP_USER')).toBe('aiops');
    expect(envValue('APP_DATABASE')).toBe('aiops');
    const initdbArgs = envValue('POSTGRES_INITDB_ARGS')!.split(' ');
    expect(initdbArgs).toEqual(['--auth-host=scram-sha-256', '--auth-local=trust']);

    cluster = await PostgresCluster.create('pg-server-test-');
    socketDir = cluster.socketDir;
    confFile = join(cluster.base, 'postgresql.conf');
    scriptFile = join(cluster.base, 'init-app-user.sh');
    maintenanceFile = join(cluster.base, 'maintenance.sql');

    // The rendered file sets the socket directory and the data directory (rewritten to the temp dirs).
    const rewritten = conf.replaceAll('/var/run/postgresql', socketDir).replaceAll('/var/lib/postgresql/data', cluster.dataDir);
    writeFileSync(confFile, rewritten, { mode: 0o644 });
    writeFileSync(scriptFile, initScript, { mode: 0o755 });
    writeFileSync(maintenanceFile, maintenanceSql, { mode: 0o644 });
    for (const f of [confFile, scriptFile, maintenanceFile]) giveToPostgres(f);

    await cluster.initdb(initdbArgs);
    // As the container starts it (`postgres -c config_file=…`), listening on loopback only.
    await cluster.start(`-c config_file=${confFile}`);
    port = cluster.port;
  }, 60_000);

  afterAll(async () => {
    await cluster?.destroy();
  }, 40_000);

  it('accepts every line of the rendered postgresql.conf', async () => {
    // The settings overridden on the command line show as "could not be applied"; any other error
    // (a parse error has no name) or unapplied line fails.
    const overridden = OVERRIDDEN.map((k) => `'${k}'`).join(', ');
    const errors = await superPsql(
      'postgres',
      `SELECT coalesce(name, '?') || ' (line ' || sourceline || '): ' || coalesce(error, 'not applied') FROM pg_file_settings ` +
        `WHERE coalesce(name, '') NOT IN (${overridden}) AND (error IS NOT NULL OR NOT applied)`,
    );
    expect(errors.code, output(errors)).toBe(0);
    expect(errors.stdout.trim()).toBe('');
    const keys = conf
      .trim()
      .split('\n')
      .map((l) => l.split(' = ')[0]!);
    // Every other setting of the file is in effect, with the file as its source (names are case-insensitive: TimeZone).
    const fromFile = await superPsql('postgres', `SELECT lower(name) FROM pg_settings WHERE sourcefile = '${confFile}'`);
    expect(fromFile.code, output(fromFile)).toBe(0);
    expect(fromFile.stdout.trim().split('\n').sort()).toEqual(keys.filter((k) => !OVERRIDDEN.includes(k)).sort());
  });

  it('init-app-user.sh creates the role and its database; the role logs in over TCP with SCRAM', async () => {
    const password = "pa'ss wörd";
    const script = await runInitScript({ POSTGRES_USER: 'postgres', APP_USER: 'aiops', APP_PASSWORD: password, APP_DATABASE: 'aiops' });
    expect(script.code, output(script)).toBe(0);

    const login = await tcpPsql('aiops', password, 'aiops', `SELECT current_user || ' ' || current_database()`);
    expect(login.code, output(login)).toBe(0);
    expect(login.stdout.trim()).toBe('aiops aiops');
    const wrong = await tcpPsql('aiops', 'pa ss wörd', 'aiops', 'SELECT 1');
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toMatch(/password authentication failed/);

    const stored = await superPsql('postgres', `SELECT left(rolpassword, 14), rolsuper, rolcanlogin FROM pg_authid WHERE rolname = 'aiops'`);
    expect(stored.stdout.trim()).toBe('SCRAM-SHA-256$|f|t');
    const owner = await superPsql('postgres', `SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'aiops'`);
    expect(owner.stdout.trim()).toBe('aiops');

    // The owner can work in its database (public schema is owned by pg_database_owner since PG 15).
    const ddl = await tcpPsql('aiops', password, 'aiops', 'CREATE TABLE t (id int); INSERT INTO t VALUES (1); SELECT count(*) FROM t');
    expect(ddl.code, output(ddl)).toBe(0);
    expect(ddl.stdout.trim().split('\n').at(-1)).toBe('1');
  });

  it('pg_stat_statements is preloaded and created in the application database', async () => {
    const stats = await tcpPsql('aiops', "pa'ss wörd", 'aiops', 'SELECT count(*) >= 0 FROM pg_stat_statements');
    expect(stats.code, output(stats)).toBe(0);
    expect(stats.stdout.trim()).toBe('t');
    const preload = await superPsql('aiops', 'SHOW shared_preload_libraries');
    expect(preload.stdout.trim()).toBe('pg_stat_statements');
    const track = await superPsql('aiops', 'SHOW pg_stat_statements.track');
    expect(track.stdout.trim()).toBe('all');
  });

  it('init-app-user.sh creates the query statistics view, readable by the application user', async () => {
    const view = await tcpPsql('aiops', "pa'ss wörd", 'aiops', 'SELECT count(*) >= 0 FROM aiops_query_stats');
    expect(view.code, output(view)).toBe(0);
    expect(view.stdout.trim()).toBe('t');
  });

  it('runs with the rendered connection and memory settings', async () => {
    const show = async (name: string) => (await superPsql('postgres', `SHOW ${name}`)).stdout.trim();
    expect(await show('max_connections')).toBe(confValue(conf, 'max_connections'));
    expect(await show('shared_buffers')).toBe(confValue(conf, 'shared_buffers'));
    expect(await show('effective_cache_size')).toBe(confValue(conf, 'effective_cache_size'));
    expect(await show('password_encryption')).toBe('scram-sha-256');
    expect(await show('unix_socket_directories')).toBe(socketDir);
    expect(await show('port')).toBe(String(port));
  });

  it('init-app-user.sh also succeeds when the application user and database are postgres', async () => {
    const script = await runInitScript({ POSTGRES_USER: 'postgres', APP_USER: 'postgres', APP_PASSWORD: 'unused', APP_DATABASE: 'postgres' });
    expect(script.code, output(script)).toBe(0);
    const ext = await superPsql('postgres', `SELECT extname FROM pg_extension WHERE extname = 'pg_stat_statements'`);
    expect(ext.stdout.trim()).toBe('pg_stat_statements');
    const stats = await superPsql('postgres', 'SELECT count(*) >= 0 FROM pg_stat_statements');
    expect(stats.stdout.trim()).toBe('t');
  });

  it('init-app-user.sh lets an application user work in the postgres database', async () => {
    const script = await runInitScript({ POSTGRES_USER: 'postgres', APP_USER: 'app2', APP_PASSWORD: 'pw2', APP_DATABASE: 'postgres' });
    expect(script.code, output(script)).toBe(0);
    const ddl = await tcpPsql('app2', 'pw2', 'postgres', 'CREATE TABLE app2_t (id int); SELECT count(*) FROM app2_t');
    expect(ddl.code, output(ddl)).toBe(0);
  });

  describe('the maintenance CronJob', () => {
    const appPassword = "pa'ss wörd";
    const superuserPassword = 'root pa$$ wörd';
    const tableStats = async () =>
      (await superPsql('aiops', `SELECT last_vacuum IS NOT NULL, last_analyze IS NOT NULL FROM pg_stat_user_tables WHERE relname = 'maint_t'`)).stdout.trim();
    const viewCount = async () =>
      (await superPsql('aiops', `SELECT count(*) FROM pg_views WHERE schemaname = 'public' AND viewname = 'aiops_query_stats'`)).stdout.trim();

    beforeAll(async () => {
      // The Job reads the superuser's password from the Secret; the image sets it from the same key.
      expect(maintenanceContainer.env).toContainEqual({ name: 'PGPASSWORD', valueFrom: { secretKeyRef: { name: 'aiops-platform-postgresql', key: 'postgres-password' } } });
      const password = await superPsql('postgres', `ALTER ROLE postgres PASSWORD '${superuserPassword}'`);
      expect(password.code, output(password)).toBe(0);
      // Work of the application, and of someone in another database (which the view must not show).
      const app = await tcpPsql(
        'aiops',
        appPassword,
        'aiops',
        'CREATE TABLE maint_t (id int PRIMARY KEY, v text); INSERT INTO maint_t SELECT g, md5(g::text) FROM generate_series(1, 2000) g; ' +
          'DELETE FROM maint_t WHERE id % 2 = 0; SELECT count(*) FROM maint_t WHERE id > 10',
      );
      expect(app.code, output(app)).toBe(0);
      const other = await superPsql('postgres', 'CREATE TABLE other_db_marker_t (id int); SELECT count(*) FROM other_db_marker_t');
      expect(other.code, output(other)).toBe(0);
      // The first start made the view already: drop it, so that the maintenance has to make it.
      const drop = await superPsql('aiops', 'DROP VIEW public.aiops_query_stats');
      expect(drop.code, output(drop)).toBe(0);
      expect(await tableStats()).toBe('f|f');
    }, 30_000);

    it('exits 0 having vacuumed and analyzed the application tables and created the view', async () => {
      const first = await runMaintenance(superuserPassword);
      expect(first.code, output(first)).toBe(0);
      expect(first.stdout).toContain('VACUUM (ANALYZE, SKIP_LOCKED);');
      expect(await tableStats()).toBe('t|t');
      expect(await viewCount()).toBe('1');
    }, 70_000);

    it('lets the application user read the statistics of its own statements, and none of other databases', async () => {
      const own = await tcpPsql(
        'aiops',
        appPassword,
        'aiops',
        `SELECT sum(calls) > 0, bool_and(query <> '<insufficient privilege>'), bool_and(total_exec_time >= mean_exec_time), sum(shared_blks_hit + shared_blks_read) > 0 ` +
          `FROM aiops_query_stats WHERE username = 'aiops' AND query LIKE '%maint_t%'`,
      );
      expect(own.code, output(own)).toBe(0);
      expect(own.stdout.trim()).toBe('t|t|t|t');
      const other = await tcpPsql('aiops', appPassword, 'aiops', `SELECT count(*) FROM aiops_query_stats WHERE query LIKE '%other_db_marker_t%'`);
      expect(other.stdout.trim()).toBe('0');
      // The superuser's statements in this database (the maintenance itself) are counted, their text hidden.
      const superuser = await tcpPsql('aiops', appPassword, 'aiops', `SELECT count(*) > 0, bool_and(query = '<insufficient privilege>') FROM aiops_query_stats WHERE username = 'postgres'`);
      expect(superuser.stdout.trim()).toBe('t|t');
    });

    it('can run again: the script is idempotent', async () => {
      const again = await runMaintenance(superuserPassword);
      expect(again.code, output(again)).toBe(0);
      expect(await viewCount()).toBe('1');
      const read = await tcpPsql('aiops', appPassword, 'aiops', 'SELECT count(*) > 0 FROM aiops_query_stats');
      expect(read.stdout.trim()).toBe('t');
    }, 70_000);

    it('fails without the superuser password (never prompts)', async () => {
      const wrong = await runMaintenance('wrong');
      expect(wrong.code).toBe(2);
      expect(wrong.stderr).toMatch(/password authentication failed for user "postgres"/);
    }, 30_000);
  });
});
