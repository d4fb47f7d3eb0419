import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './postgresql-server.js';
import { onPath } from './process.js';

/**
 * Debian's Prometheus and Alertmanager as throwaway servers on 127.0.0.1 for tests: a temp
 * directory, a free port, ready when `/-/ready` answers. Each runs under `timeout`, so a server
 * whose test process died stops by itself.
 */

export const PROMETHEUS_BINARY = onPath('prometheus');
/** promtool (Debian's prometheus package), for backfilled history. */
export const PROMTOOL_BINARY = onPath('promtool');
export const ALERTMANAGER_BINARY = onPath('prometheus-alertmanager') ?? onPath('alertmanager');
const TIMEOUT = onPath('timeout');

/** Longest life of a test server (seconds), after which `timeout` stops it. */
const MAX_LIFE_SECONDS = 600;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A running server. */
export interface TestServer {
  /** `http://127.0.0.1:<port>` plus the route prefix, if any. */
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  /** The server's output so far (last 20 KB). */
  log(): string;
  stop(): Promise<void>;
}

async function startServer(name: string, binary: string | undefined, args: (dir: string, port: number) => string[], prefix: string, files: Record<string, string>, fixedPort?: number, prepare?: (dir: string) => void): Promise<TestServer> {
  if (!binary) throw new Error(`${name} is not installed`);
  const dir = mkdtempSync(join(tmpdir(), `${name}-`));
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
  prepare?.(dir);
  const port = fixedPort ?? (await freePort());
  const argv = args(dir, port);
  const child: ChildProcess = TIMEOUT
    ? spawn(TIMEOUT, ['--signal=TERM', '--kill-after=5', String(MAX_LIFE_SECONDS), binary, ...argv], { env: { PATH: process.env.PATH, HOME: dir, LANG: 'C.UTF-8' }, stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn(binary, argv, { env: { PATH: process.env.PATH, HOME: dir, LANG: 'C.UTF-8' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (d: Buffer) => (output = (output + d.toString()).slice(-20_000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const url = `http://127.0.0.1:${port}${prefix}`;
  const server: TestServer = {
    url,
    port,
    dir,
    log: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([exited, sleep(5_000)]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited (${child.exitCode}):\n${output}`);
    if (await fetch(`${url}/-/ready`).then((r) => r.ok, () => false)) return server;
    if (Date.now() > deadline) {
      await server.stop();
      throw new Error(`${name} never became ready:\n${output}`);
    }
    await sleep(100);
  }
}

/**
 * Prometheus with `config` (prometheus.yml text; `rules.yml` beside it holds `rules`), on `port` (default a free one).
 * `backfill` (OpenMetrics text with timestamps, ending in `# EOF`) becomes history in its TSDB before it starts
 * (`promtool tsdb create-blocks-from openmetrics`): Prometheus cannot take history by scraping.
 */
export function startPrometheus(o: { config: string; rules?: string; routePrefix?: string; port?: number; backfill?: string }): Promise<TestServer> {
  const prefix = o.routePrefix ?? '';
  return startServer(
    'prometheus',
    PROMETHEUS_BINARY,
    (dir, port) => [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      ...(prefix ? [`--web.route-prefix=${prefix}`, `--web.external-url=http://127.0.0.1:${port}${prefix}`] : []),
      '--log.level=warn',
    ],
    prefix,
    { 'prometheus.yml': o.config, 'rules.yml': o.rules ?? 'groups: []\n', ...(o.backfill ? { 'backfill.om': o.backfill } : {}) },
    o.port,
    o.backfill
      ? (dir) => {
          if (!PROMTOOL_BINARY) throw new Error('promtool is not installed');
          execFileSync(PROMTOOL_BINARY, ['tsdb', 'create-blocks-from', 'openmetrics', '--quiet', join(dir, 'backfill.om'), join(dir, 'data')], { stdio: 'pipe' });
        }
      : undefined,
  );
}

/** Alertmanager with `config` (alertmanager.yml text) and extra files beside it (e.g. a token file), no clustering; under `routePrefix` if given. */
export function startAlertmanager(o: { config: string; files?: Record<string, string>; routePrefix?: string }): Promise<TestServer> {
  const prefix = o.routePrefix ?? '';
  return startServer(
    'alertmanager',
    ALERTMANAGER_BINARY,
    (dir, port) => [
      `--config.file=${join(dir, 'alertmanager.yml')}`,
      `--storage.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address=',
      '--log.level=warn',
      ...(prefix ? [`--web.route-prefix=${prefix}`] : []),
    ],
    prefix,
    { 'alertmanager.yml': o.config, ...o.files },
  );
}
