/**
 * Real redis-server processes on loopback addresses (127.0.0.x) for the Redis server tests: start
 * them as the rendered pods do, talk to them with redis-cli, read cluster views, stop them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { onPath, runProcess, type RunResult } from './process.js';

/** The tools the Redis server tests need (the rendered scripts use the rest of them). */
export const REDIS_TEST_TOOLS = ['redis-server', 'redis-cli', 'sh', 'sed', 'awk', 'sort', 'grep', 'timeout', 'getent'];

/** A clean environment: PATH (optionally prefixed) and `extra` only, no REDISCLI_AUTH leaking from the caller. */
export function cleanEnv(extra: Record<string, string> = {}, pathPrefix?: string): NodeJS.ProcessEnv {
  const path = process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin';
  return { PATH: pathPrefix ? `${pathPrefix}${delimiter}${path}` : path, LANG: 'C.UTF-8', ...extra };
}

/** Runs a command with exactly `env`. */
export const run = (cmd: string, args: readonly string[], env: NodeJS.ProcessEnv, timeoutMs = 20_000): Promise<RunResult> =>
  runProcess(cmd, args, { env, timeoutMs });

/** `redis-cli` with the password (if any) in REDISCLI_AUTH, as the probes and the Job pass it. */
export function cli(host: string, args: readonly string[], password?: string): Promise<RunResult> {
  return run('redis-cli', ['-h', host, '-p', '6379', ...args], cleanEnv(password === undefined ? {} : { REDISCLI_AUTH: password }), 10_000);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Rewrites the absolute paths of the rendered files to per-node temp dirs, in one pass. Nothing else changes. */
export function rewritePaths(text: string, dirs: { data: string; run: string }): string {
  return text.replace(/\/run\/redis|\/data\b/g, (m) => (m === '/data' ? dirs.data : dirs.run));
}

/** A redis-server (maybe behind a start-up script, in its own process group) with its output kept for failure messages. */
export interface Server {
  readonly host: string;
  readonly child: ChildProcess;
  output(): string;
}

const exited = (s: Server) => s.child.exitCode !== null || s.child.signalCode !== null;

/** The processes and temp dirs of one test file; {@link stopAll} in afterAll. */
export class LocalRedis {
  private readonly servers: Server[] = [];
  private readonly tempDirs: string[] = [];

  constructor() {
    // Last resort if the worker goes away without running afterAll: never leave servers behind.
    process.once('exit', () => {
      for (const s of this.servers) this.signal(s, 'SIGKILL');
    });
  }

  tempDir(prefix: string): string {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    this.tempDirs.push(dir);
    return dir;
  }

  /** Starts `cmd args` in its own process group (a start-up script's background loop is stopped with it). */
  start(host: string, cmd: string, args: readonly string[], env: NodeJS.ProcessEnv = cleanEnv()): Server {
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let log = '';
    const keep = (d: Buffer) => {
      log = (log + d.toString()).slice(-20_000);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    child.on('error', (e) => keep(Buffer.from(`spawn error: ${e.message}\n`)));
    const server = { host, child, output: () => log };
    this.servers.push(server);
    return server;
  }

  /**
   * Stops servers (default: all) as a pod stop does: SIGTERM to the process group, SIGKILL after
   * `graceMs`. Returns once all have exited.
   */
  async stop(which: readonly Server[] = [...this.servers], graceMs = 1_000): Promise<void> {
    await Promise.all(
      which.map(async (s) => {
        const at = this.servers.indexOf(s);
        if (at >= 0) this.servers.splice(at, 1);
        if (exited(s)) return this.signal(s, 'SIGKILL');
        const done = new Promise<void>((r) => s.child.once('exit', () => r()));
        this.signal(s, 'SIGTERM');
        const timer = setTimeout(() => this.signal(s, 'SIGKILL'), graceMs);
        await done;
        clearTimeout(timer);
        // The rest of the group (a start-up script's background loop) goes with the server.
        this.signal(s, 'SIGKILL');
      }),
    );
  }

  /** Stops everything and removes the temp dirs. */
  async stopAll(): Promise<void> {
    await this.stop();
    for (const dir of this.tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  }

  private signal(s: Server, sig: NodeJS.Signals): void {
    try {
      process.kill(-s.child.pid!, sig);
    } catch {
      // The group is gone already.
    }
  }
}

/** Waits (bounded) until the server answers PING with PONG; fails with its log when it exits or never answers. */
export async function waitForPong(server: Server, password: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: RunResult | undefined;
  while (Date.now() < deadline) {
    if (exited(server)) throw new Error(`redis-server on ${server.host} exited (${server.child.exitCode ?? server.child.signalCode}):\n${server.output()}`);
    last = await cli(server.host, ['ping'], password);
    if (last.stdout.trim() === 'PONG') return;
    await sleep(100);
  }
  throw new Error(`redis-server on ${server.host} did not answer PONG within ${timeoutMs} ms (last: ${last?.stdout}${last?.stderr}):\n${server.output()}`);
}

/**
 * Writes a `getent` into `dir` that answers as the cluster's DNS would: `hosts <ip>` for the test
 * IPs (glibc answers an IP literal only with a reverse entry, which 127.0.0.x has not), and
 * `ahosts`/`ahostsv4 <name>` with one record per line of `liveFile` (the pods that have an IP now;
 * none: not found, exit 2). Anything else goes to the real getent.
 */
export function writeGetentShim(dir: string, ips: readonly string[], name: string, liveFile: string): void {
  writeFileSync(liveFile, '');
  writeFileSync(
    join(dir, 'getent'),
    [
      '#!/bin/sh',
      `if [ "$1" = hosts ]; then case "$2" in ${ips.join('|')}) echo "$2      $2"; exit 0 ;; esac; fi`,
      `if [ "$2" = '${name}' ]; then case "$1" in ahosts|ahostsv4)`,
      `  [ -s '${liveFile}' ] || exit 2`,
      `  while read -r ip; do printf '%s STREAM %s\\n%s DGRAM\\n%s RAW\\n' "$ip" "$2" "$ip" "$ip"; done < '${liveFile}'`,
      '  exit 0 ;; esac; fi',
      `exec ${onPath('getent')} "$@"`,
      '',
    ].join('\n'),
    { mode: 0o755 },
  );
}

/** One node of `CLUSTER NODES`: id, announced IP, role, master id (`-` for a master), flags, link state, slot ranges. */
export interface ClusterNode {
  readonly id: string;
  readonly ip: string;
  readonly role: string;
  readonly master: string;
  readonly flags: readonly string[];
  readonly link: string;
  readonly slots: readonly string[];
}

export function parseClusterNodes(text: string): ClusterNode[] {
  return text
    .trim()
    .split('\n')
    .map((l) => l.trim().split(' '))
    .map((f) => {
      const flags = f[2]!.split(',');
      const role = flags.includes('slave') ? 'replica' : flags.includes('master') ? 'master' : f[2]!;
      return { id: f[0]!, ip: f[1]!.split(':')[0]!, role, master: f[3]!, flags, link: f[7]!, slots: f.slice(8) };
    });
}

/** A node's own view of the cluster. */
export async function clusterNodesOf(host: string, password: string): Promise<ClusterNode[]> {
  return parseClusterNodes((await cli(host, ['cluster', 'nodes'], password)).stdout);
}

/** What a Redis Cluster pod runs, taken from the render. */
export interface RedisClusterPod {
  /** The auth-config init container's script. */
  readonly authScript: string;
  /** redis.conf of the ConfigMap. */
  readonly conf: string;
  /** The `redis` container's command and args (`$(POD_IP)` not yet expanded). */
  readonly command: readonly string[];
  readonly args: readonly string[];
}

/** A node's directories: data (AOF, nodes.conf: kept across restarts like the PVC) and run (auth.conf, redis.conf). */
export interface NodeDirs {
  readonly data: string;
  readonly run: string;
}

/**
 * Starts one cluster node as its pod does: the auth init script, then the container's command and
 * args as rendered, with `$(POD_IP)` expanded as Kubernetes does, the ConfigMap path pointing at the
 * rewritten redis.conf and the listen address overridden last (`--bind <ip>`). The env has
 * POD_IP, REDISCLI_AUTH and PATH with `shimDir` (the fake getent) first. Waits for PONG.
 */
export async function startClusterNode(
  local: LocalRedis,
  pod: RedisClusterPod,
  ip: string,
  dirs: NodeDirs,
  password: string,
  shimDir: string,
): Promise<Server> {
  const auth = await run('sh', ['-c', rewritePaths(pod.authScript, dirs)], cleanEnv({ REDIS_PASSWORD: password }));
  if (auth.code !== 0) throw new Error(`auth init script failed: ${auth.stderr}`);
  const confFile = join(dirs.run, 'redis.conf');
  writeFileSync(confFile, rewritePaths(pod.conf, dirs));
  const args = pod.args.map((a) => (a === '$(POD_IP)' ? ip : a === '/etc/redis/redis.conf' ? confFile : a));
  if (args.includes('/etc/redis/redis.conf') || !args.includes(ip)) throw new Error(`unexpected container args: ${pod.args.join(' ')}`);
  const [cmd, ...rest] = [...pod.command, ...args, '--bind', ip];
  const server = local.start(ip, cmd!, rest, cleanEnv({ POD_IP: ip, REDISCLI_AUTH: password }, shimDir));
  await waitForPong(server, password);
  return server;
}
