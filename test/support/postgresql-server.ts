/**
 * Throwaway PostgreSQL clusters for the server tests: Debian's server binaries (initdb, pg_ctl,
 * postgres, psql) run a cluster in a temp dir, listening on 127.0.0.1 at a free port. As root the
 * server and its tools run as the `postgres` OS user (PostgreSQL refuses root), as in the image.
 *
 * Binaries: $PG_BINDIR, `pg_config --bindir`, /usr/lib/postgresql/<version>/bin (newest first) or
 * PATH. {@link postgresPresent} skips a suite with a warning when they are missing locally and
 * fails in CI (`CI=true`), where .ci/run installs them.
 */
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { isExecutable, onPath, output, runProcess, toolsPresent, type RunResult } from './process.js';

const SERVER_BINARIES = ['initdb', 'pg_ctl', 'postgres', 'psql'];

/** The directory with initdb, pg_ctl, postgres and psql: $PG_BINDIR, pg_config, Debian's layout, PATH. */
function findBinDir(): string | undefined {
  const candidates: string[] = [];
  if (process.env.PG_BINDIR) candidates.push(process.env.PG_BINDIR);
  const pgConfig = onPath('pg_config');
  if (pgConfig) {
    try {
      candidates.push(execFileSync(pgConfig, ['--bindir'], { encoding: 'utf8', timeout: 5_000 }).trim());
    } catch {
      // no server dev files
    }
  }
  if (existsSync('/usr/lib/postgresql')) {
    const versions = readdirSync('/usr/lib/postgresql').filter((v) => /^\d+$/.test(v));
    versions.sort((a, b) => Number(b) - Number(a));
    candidates.push(...versions.map((v) => `/usr/lib/postgresql/${v}/bin`));
  }
  const initdb = onPath('initdb');
  if (initdb) candidates.push(initdb.slice(0, -'/initdb'.length));
  return candidates.find((dir) => SERVER_BINARIES.every((b) => isExecutable(join(dir, b))));
}

const isRoot = process.getuid?.() === 0;
const binDir = findBinDir();
const runuser = isRoot ? onPath('runuser', ['/usr/sbin', '/sbin']) : undefined;
let postgresUser: { uid: number; gid: number } | undefined;
if (isRoot) {
  try {
    const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8', timeout: 5_000 }).trim());
    postgresUser = { uid: id('-u'), gid: id('-g') };
  } catch {
    // no postgres user
  }
}

/** True when the server binaries (and, as root, runuser and the postgres user) are here; see {@link toolsPresent}. */
export function postgresPresent(suite: string): boolean {
  const problems = [
    ...(binDir ? [] : [`PostgreSQL server binaries (${SERVER_BINARIES.join(', ')})`]),
    ...(isRoot && !runuser ? ['runuser (to run as the postgres user)'] : []),
    ...(isRoot && !postgresUser ? ['the postgres OS user (PostgreSQL refuses to run as root)'] : []),
  ];
  return toolsPresent(suite, problems, 'Debian: apt-get install postgresql');
}

/** A clean environment (no PG* variables leaking from the caller), server binaries first on PATH. */
export function pgEnv(extra: Record<string, string> = {}): Record<string, string> {
  return { PATH: `${binDir}${delimiter}${process.env.PATH ?? '/usr/bin:/bin'}`, LANG: 'C.UTF-8', PGPASSFILE: '/dev/null', ...extra };
}

/**
 * Runs a command with exactly `env`, as the postgres OS user when root (through `runuser … env`,
 * so nothing of the caller's environment is kept), as the current user otherwise.
 */
export function runAsPostgres(cmd: string, args: readonly string[], env: Record<string, string>, timeoutMs = 20_000): Promise<RunResult> {
  const assignments = Object.entries(env).map(([k, v]) => `${k}=${v}`);
  const [file, argv] = isRoot ? [runuser!, ['-u', 'postgres', '--', 'env', '-i', ...assignments, cmd, ...args]] : ['env', ['-i', ...assignments, cmd, ...args]];
  return runProcess(file, argv, { cwd: '/', timeoutMs });
}

/** Makes `path` belong to the postgres OS user when running as root (a no-op otherwise). */
export function giveToPostgres(path: string): void {
  if (postgresUser) chownSync(path, postgresUser.uid, postgresUser.gid);
}

/** A free TCP port on 127.0.0.1 (released before use; the server binds it right after). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * One throwaway cluster: {@link create} makes its temp dir, {@link initdb} the data directory,
 * {@link start} runs it on 127.0.0.1 (the port is chosen once and kept across restarts),
 * {@link stop} stops it, {@link destroy} stops it and removes everything.
 */
export class PostgresCluster {
  /** The TCP port on 127.0.0.1 (0 before the first start). */
  port = 0;
  private running = false;

  private constructor(
    /** The temp dir holding everything (owned by the postgres user when root). */
    readonly base: string,
  ) {}

  /** The data directory (made by {@link initdb}). */
  get dataDir(): string {
    return join(this.base, 'pgdata');
  }

  /** The unix socket directory (the superuser connects here, trust). */
  get socketDir(): string {
    return join(this.base, 'run');
  }

  /** The server's log file. */
  get logFile(): string {
    return join(this.base, 'server.log');
  }

  /** A temp dir for a cluster, with its socket directory. */
  static async create(prefix = 'pg-test-'): Promise<PostgresCluster> {
    const cluster = new PostgresCluster(mkdtempSync(join(tmpdir(), prefix)));
    giveToPostgres(cluster.base);
    const mkdir = await runAsPostgres('mkdir', ['-m', '0700', cluster.socketDir], pgEnv());
    if (mkdir.code !== 0) throw new Error(`mkdir ${cluster.socketDir}: ${output(mkdir)}`);
    return cluster;
  }

  /** `initdb` with superuser `postgres`, UTF8, locale C and `args` (e.g. the auth methods). */
  async initdb(args: readonly string[] = []): Promise<void> {
    const initdb = await runAsPostgres('initdb', ['-D', this.dataDir, '-U', 'postgres', '-E', 'UTF8', '--locale=C', '--no-instructions', ...args], pgEnv(), 40_000);
    if (initdb.code !== 0) throw new Error(`initdb failed: ${output(initdb)}`);
  }

  /**
   * Starts the server listening on 127.0.0.1 only, at {@link port}. `serverOptions` go after
   * `-c listen_addresses=… -c port=…` in pg_ctl's `-o` (default: the socket directory; a caller
   * passing its own config file sets the socket directory there).
   */
  async start(serverOptions = `-c unix_socket_directories=${this.socketDir}`): Promise<void> {
    if (this.port === 0) this.port = await freePort();
    const options = `${serverOptions} -c listen_addresses=127.0.0.1 -c port=${this.port}`;
    const start = await runAsPostgres('pg_ctl', ['-D', this.dataDir, '-l', this.logFile, '-w', '-t', '30', '-o', options, 'start'], pgEnv(), 40_000);
    this.running = true;
    if (start.code !== 0) throw new Error(`pg_ctl start failed: ${output(start)}\n${this.serverLog()}`);
  }

  /** Stops the server (`fast`: disconnects clients; `immediate`: as a crash). Falls back to SIGQUIT. */
  async stop(mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
    if (!this.running) return;
    const stop = await runAsPostgres('pg_ctl', ['-D', this.dataDir, '-w', '-t', '20', '-m', mode, 'stop'], pgEnv(), 30_000);
    if (stop.code !== 0) {
      // Last resort: the postmaster's pid is the first line of postmaster.pid.
      const pid = Number(readFileSync(join(this.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
      if (pid > 0) process.kill(pid, 'SIGQUIT');
    }
    this.running = false;
  }

  /** Stops the server if it runs and removes the temp dir. */
  async destroy(): Promise<void> {
    try {
      await this.stop();
    } finally {
      rmSync(this.base, { recursive: true, force: true });
    }
  }

  /** psql as the superuser over the unix socket (trust): unaligned, tuples only, stops at the first error. */
  superPsql(db: string, sql: string): Promise<RunResult> {
    return runAsPostgres('psql', ['-X', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-h', this.socketDir, '-p', String(this.port), '-U', 'postgres', '-d', db, '-c', sql], pgEnv());
  }

  /** {@link superPsql} that must succeed: its trimmed output (a failure shows psql's output). */
  async psql(db: string, sql: string): Promise<string> {
    const r = await this.superPsql(db, sql);
    if (r.code !== 0) throw new Error(`psql failed on ${db}: ${output(r)}`);
    return r.stdout.trim();
  }

  /**
   * A cluster for a service's store: scram-sha-256 over TCP, trust on the socket, `serverOptions`
   * after the socket directory, and the login role `user` with `password` (quoted for SQL here).
   */
  static async forApplication(prefix: string, user: string, password: string, serverOptions = ''): Promise<PostgresCluster> {
    const cluster = await PostgresCluster.create(prefix);
    await cluster.initdb(['--auth-host=scram-sha-256', '--auth-local=trust']);
    await cluster.start(`-c unix_socket_directories=${cluster.socketDir} ${serverOptions}`.trim());
    await cluster.psql('postgres', `CREATE ROLE ${user} LOGIN PASSWORD '${password.replaceAll("'", "''")}'`);
    return cluster;
  }

  /** The server's log so far (for failure messages). */
  serverLog(): string {
    return existsSync(this.logFile) ? readFileSync(this.logFile, 'utf8') : '(no server log)';
  }
}
