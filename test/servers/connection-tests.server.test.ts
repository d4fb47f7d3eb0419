/**
 * Runs the rendered connection test Pods' scripts (their `sh -c` script and env, as rendered) with
 * /bin/sh on this machine, with the real clients (redis-cli, psql, curl) against real servers on
 * loopback (redis-server, PostgreSQL, Prometheus, Alertmanager) and against small HTTP servers in
 * this process where no real one exists here (Elasticsearch, Grafana). Only the target variables
 * (host, port, URL: the host and port of a URL, never its path) are swapped for the loopback
 * server's, and the Secret-backed variables get the test's passwords. For the failing cases the
 * pause between attempts is made 0 (the only change to a script); one test keeps the script
 * whole and proves the retries, with a server that starts late.
 *
 * Needs redis-server, redis-cli, PostgreSQL's server binaries, Prometheus, Alertmanager and curl
 * (Debian: redis-server postgresql prometheus prometheus-alertmanager curl). Skipped with a warning
 * when they are missing locally; fails when they are missing in CI (`CI=true`).
 */
import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHECK_ATTEMPTS } from '../../src/components/tests/connection-test-scripts.js';
import { freePort, PostgresCluster, pgEnv, postgresPresent } from '../support/postgresql-server.js';
import { onPath, output, runProcess, toolsPresent, type RunResult } from '../support/process.js';
import { ALERTMANAGER_BINARY, PROMETHEUS_BINARY, startAlertmanager, startPrometheus, type TestServer } from '../support/prom-servers.js';
import { cleanEnv, cli as redisCli, LocalRedis, sleep, waitForPong, type Server } from '../support/redis-servers.js';
import { find, renderYaml } from '../support/render.js';

const NS = 'aiops-platform';
const haveTools = toolsPresent(
  'the connection test server tests',
  [
    ...['redis-server', 'redis-cli', 'curl', 'timeout'].filter((b) => !onPath(b)),
    ...(PROMETHEUS_BINARY ? [] : ['prometheus']),
    ...(ALERTMANAGER_BINARY ? [] : ['prometheus-alertmanager']),
  ],
  'Debian: apt-get install redis-server curl prometheus prometheus-alertmanager',
);
const havePostgres = postgresPresent('the connection test server tests (PostgreSQL)');

/** Production: every service, NetworkPolicies on. */
const rendered = renderYaml('global: {development: false}\n');
const podOf = (service: string): any => find(rendered.testObjects, 'Pod', `${NS}-test-${service}`);
const scriptOf = (pod: any): string => {
  const [sh, flag, script, name] = pod.spec.containers[0].command;
  expect([sh, flag, name]).toEqual(['sh', '-c', 'connection-test']);
  return script;
};

/**
 * The environment of a test Pod's container: its literal values, the target variables in
 * `targets` swapped (each must be one of the Pod's), its Secret-backed variables from `secrets`
 * (every one must be given; `null` leaves one out, as a Secret without the key would not start).
 */
function podEnv(pod: any, targets: Record<string, string>, secrets: Record<string, string | null> = {}): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of pod.spec.containers[0].env ?? []) {
    if (e.value !== undefined) out[e.name] = targets[e.name] ?? e.value;
    else {
      expect(e.name in secrets, `${pod.metadata.name}: env ${e.name} comes from a Secret: give it`).toBe(true);
      if (secrets[e.name] !== null) out[e.name] = secrets[e.name]!;
    }
  }
  for (const name of Object.keys(targets)) expect(out[name], `${pod.metadata.name} has no env ${name}`).toBeDefined();
  return out;
}

/** The rendered URL with the loopback server's host and port (its path kept). */
function onLoopback(url: string, port: number): string {
  const u = new URL(url);
  u.hostname = '127.0.0.1';
  u.port = String(port);
  return u.toString().replace(/\/$/, url.endsWith('/') ? '/' : '');
}

/** Runs the Pod's script with /bin/sh and exactly `env` (plus PATH); `fast`: no pause between attempts. */
function runTest(pod: any, env: Record<string, string>, o: { fast?: boolean; path?: string } = {}): Promise<RunResult> {
  const script = o.fast ? scriptOf(pod).replace(/^pause='\d+'$/m, "pause='0'") : scriptOf(pod);
  if (o.fast) expect(script).not.toBe(scriptOf(pod));
  return runProcess('/bin/sh', ['-c', script, 'connection-test'], { env: { ...cleanEnv({}, o.path), ...env }, timeoutMs: 90_000 });
}

/** A one-route HTTP server in this process (run the scripts with async spawn only: never spawnSync while it serves). */
async function httpServer(handle: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ server: HttpServer; port: number; close(): Promise<void> }> {
  const server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return { server, port, close: () => new Promise((r) => server.close(() => r())) };
}

/** Hostile text: quotes, command substitutions, backticks, a line break, a colon (basic auth splits at the first). */
const HOSTILE = `p'a"ss $(touch MARK) \`touch MARK\` ; exit 0\nline2:colon\\n%s`;

describe.skipIf(!haveTools)('connection tests against real servers: Redis (redis-cli)', { timeout: 120_000 }, () => {
  const local = new LocalRedis();
  const host = '127.0.0.151';
  const password = 'right-pass';
  let server: Server;
  const pod = podOf('redis');
  const env = (auth: string | null) => podEnv(pod, { REDIS_HOST: host, REDIS_PORT: '6379' }, { REDISCLI_AUTH: auth });
  const start = async () => {
    server = local.start(host, 'redis-server', ['--port', '6379', '--bind', host, '--save', '', '--appendonly', 'no', '--requirepass', password]);
    await waitForPong(server, password);
  };

  beforeAll(start);
  afterAll(() => local.stopAll());

  it('succeeds against a healthy Redis with the right password, at once', async () => {
    const r = await runTest(pod, env(password));
    expect(r.code, output(r)).toBe(0);
    expect(r.stdout).toBe(`Redis: OK: PING to ${host}:6379 answered PONG\n`);
    expect(r.stderr).toBe('');
  });

  it('fails naming Redis and the refusal with a wrong password, and without one', async () => {
    for (const auth of ['wrong-pass', null]) {
      const r = await runTest(pod, env(auth), { fast: true });
      expect(r.code, output(r)).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`^Redis: FAILED after ${CHECK_ATTEMPTS} attempts: PING to ${host.replaceAll('.', '\\.')}:6379 answered: .*(WRONGPASS|NOAUTH)`, 'm'));
      expect(r.stdout).toBe('');
    }
  });

  it('keeps a hostile password one literal value: it is the password, and runs nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ct-redis-'));
    try {
      const set = await redisCli(host, ['config', 'set', 'requirepass', HOSTILE], password);
      expect(set.stdout.trim(), output(set)).toBe('OK');
      const r = await runProcess('/bin/sh', ['-c', scriptOf(pod), 'connection-test'], { env: { ...cleanEnv(), ...env(HOSTILE) }, cwd: dir });
      expect(r.code, output(r)).toBe(0);
      expect(existsSync(join(dir, 'MARK'))).toBe(false);
    } finally {
      await redisCli(host, ['config', 'set', 'requirepass', password], HOSTILE);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fails naming Redis when the server is stopped; retries and succeeds when it starts within the attempts', async () => {
    await local.stop([server]);
    const stopped = await runTest(pod, env(password), { fast: true });
    expect(stopped.code, output(stopped)).toBe(1);
    expect(stopped.stderr).toMatch(/^Redis: FAILED after \d+ attempts: (redis-cli PING to 127\.0\.0\.151:6379 failed|PING to 127\.0\.0\.151:6379 answered): .*(refused|Could not connect)/m);
    // The script as rendered (its pauses included), with Redis starting two seconds late.
    const late = runTest(pod, env(password));
    await sleep(2_000);
    await start();
    const r = await late;
    expect(r.code, output(r)).toBe(0);
    expect(r.stderr).toMatch(/^Redis: attempt 1 of 5 failed: /m);
    expect(r.stdout).toMatch(/^Redis: OK: /);
    expect(r.ms).toBeLessThan(60_000);
  });
});

describe.runIf(havePostgres)('connection tests against real servers: PostgreSQL (psql)', { timeout: 120_000 }, () => {
  const pod = podOf('postgresql');
  const literal = (name: string) => pod.spec.containers[0].env.find((e: any) => e.name === name).value as string;
  const user = literal('PGUSER');
  const database = literal('PGDATABASE');
  let cluster: PostgresCluster;
  const env = (password: string, port = cluster.port) => podEnv(pod, { PGHOST: '127.0.0.1', PGPORT: String(port) }, { PGPASSWORD: password });
  const binDir = () => pgEnv().PATH!.split(':')[0]!;

  beforeAll(async () => {
    cluster = await PostgresCluster.forApplication('ct-pg-', user, HOSTILE);
    await cluster.psql('postgres', `CREATE DATABASE ${database} OWNER ${user}`);
  }, 90_000);
  afterAll(() => cluster?.destroy());

  it('signs in as the application user with its (hostile) password, with the rendered sslmode, and runs nothing else', async () => {
    expect(literal('PGSSLMODE')).toBe('disable');
    const dir = mkdtempSync(join(tmpdir(), 'ct-pg-'));
    try {
      const r = await runProcess('/bin/sh', ['-c', scriptOf(pod), 'connection-test'], { env: { ...cleanEnv({}, binDir()), PGPASSFILE: '/dev/null', ...env(HOSTILE) }, cwd: dir });
      expect(r.code, output(r)).toBe(0);
      expect(r.stdout).toBe(`PostgreSQL: OK: psql login as ${user} to database ${database} at 127.0.0.1:${cluster.port} (sslmode disable): SELECT 1 answered 1\n`);
      expect(existsSync(join(dir, 'MARK'))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fails naming PostgreSQL and the refusal with a wrong password', async () => {
    const r = await runTest(pod, { PGPASSFILE: '/dev/null', ...env('wrong-pass') }, { fast: true, path: binDir() });
    expect(r.code, output(r)).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^PostgreSQL: FAILED after ${CHECK_ATTEMPTS} attempts: psql login as ${user} .* failed: .*password authentication failed for user "${user}"`, 'm'));
  });

  it('fails naming PostgreSQL when no server listens', async () => {
    const r = await runTest(pod, { PGPASSFILE: '/dev/null', ...env(HOSTILE, await freePort()) }, { fast: true, path: binDir() });
    expect(r.code, output(r)).toBe(1);
    expect(r.stderr).toMatch(/^PostgreSQL: FAILED after \d+ attempts: psql login as .* failed: .*(Connection refused|connection refused)/m);
  });
});

describe.skipIf(!haveTools)('connection tests against real servers: Prometheus and Alertmanager (curl)', { timeout: 120_000 }, () => {
  const servers: TestServer[] = [];
  /** The route prefix the rendered StatefulSet serves under (its `--web.route-prefix`). */
  const prefixOf = (name: string) => {
    const args: string[] = find(rendered.objects, 'StatefulSet', `${NS}-${name}`).spec.template.spec.containers[0].args;
    return args.find((a) => a.startsWith('--web.route-prefix='))!.split('=')[1]!;
  };
  afterAll(async () => {
    for (const s of servers) await s.stop();
  });

  it.each([
    ['prometheus', 'Prometheus'],
    ['alertmanager', 'Alertmanager'],
  ] as const)('%s: ready under its route prefix; fails naming it when stopped', async (name, service) => {
    const routePrefix = prefixOf(name);
    expect(routePrefix).toBe(`/${name}`);
    const server =
      name === 'prometheus'
        ? await startPrometheus({ config: 'global: {scrape_interval: 1m}\nscrape_configs: []\n', routePrefix })
        : await startAlertmanager({ config: 'route: {receiver: none}\nreceivers: [{name: none}]\n', routePrefix });
    servers.push(server);
    const pod = podOf(name);
    const url = onLoopback(pod.spec.containers[0].env.find((e: any) => e.name === 'CHECK_URL').value, server.port);
    expect(url).toBe(`http://127.0.0.1:${server.port}/${name}/-/ready`);
    const ok = await runTest(pod, podEnv(pod, { CHECK_URL: url }));
    expect(ok.code, output(ok)).toBe(0);
    expect(ok.stdout).toBe(`${service}: OK: GET ${url} answered 2xx\n`);
    // Without the prefix the server answers 404: the check would fail (the prefix matters).
    const unprefixed = await runTest(pod, podEnv(pod, { CHECK_URL: `http://127.0.0.1:${server.port}/-/ready` }), { fast: true });
    expect(unprefixed.code, output(unprefixed)).toBe(1);
    expect(unprefixed.stderr).toMatch(new RegExp(`^${service}: FAILED after ${CHECK_ATTEMPTS} attempts: GET .* failed: curl: \\(22\\).*404`, 'm'));
    await server.stop();
    const stopped = await runTest(pod, podEnv(pod, { CHECK_URL: url }), { fast: true });
    expect(stopped.code, output(stopped)).toBe(1);
    expect(stopped.stderr).toMatch(new RegExp(`^${service}: FAILED after ${CHECK_ATTEMPTS} attempts: GET ${url.replaceAll('.', '\\.')} failed: curl: \\(7\\)`, 'm'));
  });
});

describe.skipIf(!haveTools)('connection tests with curl against HTTP servers in this process (Elasticsearch, Grafana)', { timeout: 120_000 }, () => {
  it('Elasticsearch: health green or yellow as logs_reader with the password; 401 with a wrong one; red fails', async () => {
    const pod = podOf('elasticsearch');
    let status = 'yellow';
    const seen: string[] = [];
    const es = await httpServer((req, res) => {
      const auth = Buffer.from((req.headers.authorization ?? '').replace(/^Basic /, ''), 'base64').toString('utf8');
      seen.push(`${req.method} ${req.url} ${auth}`);
      if (auth !== `logs_reader:${HOSTILE}`) {
        res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"unable to authenticate user [logs_reader]"}');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(`{"cluster_name":"aiops","status":"${status}","number_of_nodes":1}`);
    });
    const dir = mkdtempSync(join(tmpdir(), 'ct-es-'));
    try {
      const url = onLoopback(pod.spec.containers[0].env.find((e: any) => e.name === 'CHECK_URL').value, es.port);
      const env = (password: string) => podEnv(pod, { CHECK_URL: url }, { CHECK_PASSWORD: password });
      const ok = await runProcess('/bin/sh', ['-c', scriptOf(pod), 'connection-test'], { env: { ...cleanEnv(), ...env(HOSTILE) }, cwd: dir });
      expect(ok.code, output(ok)).toBe(0);
      expect(ok.stdout).toBe(`Elasticsearch: OK: GET ${url} answered cluster status green or yellow\n`);
      expect(seen).toEqual([`GET /_cluster/health logs_reader:${HOSTILE}`]);
      expect(existsSync(join(dir, 'MARK'))).toBe(false);
      const wrong = await runTest(pod, env('wrong-pass'), { fast: true });
      expect(wrong.code, output(wrong)).toBe(1);
      expect(wrong.stderr).toMatch(/^Elasticsearch: FAILED after 5 attempts: GET .* failed: curl: \(22\).*401/m);
      status = 'red';
      const red = await runTest(pod, env(HOSTILE), { fast: true });
      expect(red.code, output(red)).toBe(1);
      expect(red.stderr).toContain(`Elasticsearch: FAILED after 5 attempts: GET ${url} answered without cluster status green or yellow: {"cluster_name":"aiops","status":"red"`);
    } finally {
      await es.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('Grafana: /grafana/api/health with its database ok; a 503 or a failing database fails naming Grafana', async () => {
    const pod = podOf('grafana');
    let answer: [number, string] = [200, '{\n  "commit": "abc",\n  "database": "ok",\n  "version": "12.1.1"\n}'];
    const paths: string[] = [];
    const grafana = await httpServer((req, res) => {
      paths.push(req.url ?? '');
      res.writeHead(answer[0], { 'content-type': 'application/json' }).end(answer[1]);
    });
    try {
      const url = onLoopback(pod.spec.containers[0].env.find((e: any) => e.name === 'CHECK_URL').value, grafana.port);
      const ok = await runTest(pod, podEnv(pod, { CHECK_URL: url }));
      expect(ok.code, output(ok)).toBe(0);
      expect(paths).toEqual(['/grafana/api/health']);
      answer = [503, '{"database":"failing"}'];
      const down = await runTest(pod, podEnv(pod, { CHECK_URL: url }), { fast: true });
      expect(down.code, output(down)).toBe(1);
      expect(down.stderr).toMatch(/^Grafana: FAILED after 5 attempts: GET .* failed: curl: \(22\).*503/m);
      answer = [200, '{"database":"failing"}'];
      const failing = await runTest(pod, podEnv(pod, { CHECK_URL: url }), { fast: true });
      expect(failing.code, output(failing)).toBe(1);
      expect(failing.stderr).toContain('Grafana: FAILED after 5 attempts: GET');
      expect(failing.stderr).toContain('answered without database ok: {"database":"failing"}');
    } finally {
      await grafana.close();
    }
  });
});
