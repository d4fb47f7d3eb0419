/**
 * Runs the rendered Redis config and scripts against real redis-server processes on loopback
 * (127.0.0.11 standalone, 127.0.0.21-28 cluster, grown from 6 nodes to 8): the rendered files must be accepted by Redis and
 * do what they claim, not merely render. Only absolute paths are rewritten (to temp dirs), the
 * listen address is overridden on the command line and DNS names are answered by a fake getent
 * (test/support/redis-servers.ts); every other line runs as rendered, the cluster nodes' start-up
 * script included (its re-meet loop must leave the forming and growing cluster alone).
 *
 * Needs redis-server and redis-cli (Debian: `apt-get install redis-server`). Skipped with a warning
 * when they are missing locally; fails when they are missing in CI (`CI=true`).
 */
import { appendFileSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onPath, output, toolsPresent, type RunResult } from '../support/process.js';
import {
  cleanEnv,
  cli,
  clusterNodesOf,
  LocalRedis,
  REDIS_TEST_TOOLS,
  rewritePaths,
  run,
  sleep,
  startClusterNode,
  waitForPong,
  writeGetentShim,
  type ClusterNode,
  type RedisClusterPod,
  type Server,
} from '../support/redis-servers.js';
import { find, renderYaml } from '../support/render.js';

const haveRedis = toolsPresent('the Redis server tests', REDIS_TEST_TOOLS.filter((b) => !onPath(b)), 'Debian: apt-get install redis-server');
const local = new LocalRedis();
const tempDir = (prefix: string) => local.tempDir(prefix);
/** The headless Service of the default release, which the start-up script resolves. */
const HEADLESS = 'aiops-platform-redis-headless.aiops-platform.svc.cluster.local';

/** The value a redis.conf line sets (`maxmemory 214748364` → `214748364`). */
function confValue(conf: string, key: string): string {
  const line = conf.split('\n').find((l) => l.startsWith(`${key} `));
  if (!line) throw new Error(`no ${key} in the rendered redis.conf:\n${conf}`);
  return line.slice(key.length + 1);
}

/** `CONFIG GET key` → value (redis-cli prints the key and the value on two lines). */
async function configGet(host: string, key: string, password: string): Promise<string> {
  const r = await cli(host, ['config', 'get', key], password);
  const lines = r.stdout.split('\n');
  expect(lines[0], `CONFIG GET ${key}: ${r.stdout}${r.stderr}`).toBe(key);
  return lines[1] ?? '';
}

const statefulSet = (objects: readonly Record<string, unknown>[]) => find(objects, 'StatefulSet', 'aiops-platform-redis');
const redisConfOf = (objects: readonly Record<string, unknown>[]): string => find(objects, 'ConfigMap', 'aiops-platform-redis').data['redis.conf'];
const authScriptOf = (objects: readonly Record<string, unknown>[]): string => {
  const init = statefulSet(objects).spec.template.spec.initContainers[0];
  expect(init.name).toBe('auth-config');
  expect(init.command.slice(0, 2)).toEqual(['sh', '-c']);
  return init.command[2];
};

afterAll(() => local.stopAll(), 30_000);

// ---------------------------------------------------------------------------------------------
// Standalone

describe.runIf(haveRedis)('Redis standalone with auth on a real redis-server', () => {
  const password = 'p"a\\ss $w0rd';
  const host = '127.0.0.11';
  // JSON is YAML: the password reaches the values exactly (one backslash).
  const { objects } = renderYaml(`redis: {auth: {password: ${JSON.stringify(password)}}}`);
  const conf = redisConfOf(objects);
  const authScript = authScriptOf(objects);
  let dirs: { data: string; run: string };
  let server: Server;
  let authScriptRun: RunResult;

  beforeAll(async () => {
    // The password is taken from the rendered Secret: the test checks the values round-trip too.
    const secret = find(objects, 'Secret', 'aiops-platform-redis');
    const fromSecret = secret.stringData?.['redis-password'] ?? Buffer.from(secret.data['redis-password'], 'base64').toString('utf8');
    expect(fromSecret).toBe(password);

    dirs = { data: tempDir('redis-data-'), run: tempDir('redis-run-') };
    authScriptRun = await run('sh', ['-c', rewritePaths(authScript, dirs)], cleanEnv({ REDIS_PASSWORD: password }));
    expect(authScriptRun.code, authScriptRun.stderr).toBe(0);

    const confFile = join(dirs.run, 'redis.conf');
    writeFileSync(confFile, rewritePaths(conf, dirs));
    // As the container runs it (`redis-server /etc/redis/redis.conf`), with the listen address
    // overridden after the file so the rendered `bind * -::*` line is still parsed.
    server = local.start(host, 'redis-server', [confFile, '--bind', host]);
    await waitForPong(server, password);
  }, 30_000);

  it('the init script writes a 0600 auth.conf that quotes the password for redis.conf', () => {
    const file = join(dirs.run, 'auth.conf');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8')).toBe('requirepass "p\\"a\\\\ss $w0rd"\nmasterauth "p\\"a\\\\ss $w0rd"\n');
  });

  it('refuses clients without the password and accepts the exact password', async () => {
    const anonymous = await cli(host, ['ping']);
    expect(anonymous.stdout + anonymous.stderr).toMatch(/NOAUTH/);
    const wrong = await cli(host, ['ping'], 'p"a\\ss $w0rd2');
    expect(wrong.stdout + wrong.stderr).toMatch(/WRONGPASS|invalid password/);
    const right = await cli(host, ['ping'], password);
    expect(right.stdout.trim()).toBe('PONG');
    // Byte for byte what the Secret holds: the quote, backslash, space and dollar survived.
    expect(await configGet(host, 'requirepass', password)).toBe(password);
    expect(await configGet(host, 'masterauth', password)).toBe(password);
  });

  it('applies the rendered memory, eviction and persistence settings', async () => {
    expect(await configGet(host, 'maxmemory', password)).toBe(confValue(conf, 'maxmemory'));
    expect(Number(confValue(conf, 'maxmemory'))).toBeGreaterThan(0);
    expect(await configGet(host, 'maxmemory-policy', password)).toBe('allkeys-lru');
    expect(await configGet(host, 'appendonly', password)).toBe('yes');
    expect(await configGet(host, 'appendfsync', password)).toBe('everysec');
    expect(await configGet(host, 'save', password)).toBe('');
    expect(await configGet(host, 'dir', password)).toBe(dirs.data);
    expect(await configGet(host, 'cluster-enabled', password)).toBe('no');
    // The AOF is written into the data dir.
    const set = await cli(host, ['set', 'k', 'v'], password);
    expect(set.stdout.trim()).toBe('OK');
    expect(statSync(join(dirs.data, 'appendonlydir')).isDirectory()).toBe(true);
  });

  it('the init script refuses an empty password and one with a line break', async () => {
    const scratch = { data: dirs.data, run: tempDir('redis-run-bad-') };
    const script = rewritePaths(authScript, scratch);
    const empty = await run('sh', ['-c', script], cleanEnv({ REDIS_PASSWORD: '' }));
    expect(empty.code).toBe(1);
    expect(empty.stderr).toMatch(/empty/);
    const unset = await run('sh', ['-c', script], cleanEnv());
    expect(unset.code).toBe(1);
    const newline = await run('sh', ['-c', script], cleanEnv({ REDIS_PASSWORD: 'a\nb' }));
    expect(newline.code).toBe(1);
    expect(newline.stderr).toMatch(/line break/);
    expect(() => statSync(join(scratch.run, 'auth.conf'))).toThrow();
  });
});

// ---------------------------------------------------------------------------------------------
// Cluster

describe.runIf(haveRedis)('Redis Cluster on real redis-server processes: form 6 nodes, grow to 8, refuse to shrink, finish a stopped growth', () => {
  const password = 'clusterpw';
  const allIps = [21, 22, 23, 24, 25, 26, 27, 28, 29, 30].map((n) => `127.0.0.${n}`);
  const ips = allIps.slice(0, 6);
  const ips8 = allIps.slice(0, 8);
  const render = (nodes: number) => renderYaml(`redis: {cluster: {enabled: true, nodes: ${nodes}}, auth: {password: '${password}'}}`).objects;
  const objects = render(6);
  const conf = redisConfOf(objects);
  const authScript = authScriptOf(objects);
  const serverContainer = statefulSet(objects).spec.template.spec.containers.find((c: { name: string }) => c.name === 'redis');
  const jobContainerOf = (objs: readonly Record<string, unknown>[]) => find(objs, 'Job', 'aiops-platform-redis-cluster-init').spec.template.spec.containers[0];
  const jobContainer = jobContainerOf(objects);
  let shimDir: string;
  let liveFile: string;

  /** The Job script rendered in `objs`, with its pods' DNS names replaced by `hostIps` (same count). */
  function jobScriptFor(objs: readonly Record<string, unknown>[], hostIps: readonly string[]): string {
    const rendered: string = jobContainerOf(objs).command[2];
    // Each pod's DNS name becomes its IP, wherever the script names it (highest ordinal first, so
    // that -1 never matches inside -10); no name of a pod beyond the desired ones may be left.
    let script = rendered;
    for (let i = hostIps.length - 1; i >= 0; i--) {
      const host = `aiops-platform-redis-${i}.${HEADLESS}`;
      expect(script, `the Job script for ${hostIps.length} nodes names ${host}`).toContain(host);
      script = script.replaceAll(host, hostIps[i]!);
    }
    expect(script).not.toContain(HEADLESS);
    return script;
  }
  const jobScript6 = jobScriptFor(objects, ips);
  const jobScript8 = jobScriptFor(render(8), ips8);
  const jobScript10 = jobScriptFor(render(10), allIps);

  const pod: RedisClusterPod = { authScript, conf, command: serverContainer.command, args: serverContainer.args };
  /** Starts a node as its pod does (the rendered start-up script runs redis-server) and publishes its IP in the fake DNS. */
  async function startNode(ip: string): Promise<void> {
    await startClusterNode(local, pod, ip, { data: tempDir(`redis-${ip}-data-`), run: tempDir(`redis-${ip}-run-`) }, password, shimDir);
    appendFileSync(liveFile, `${ip}\n`);
  }

  const clusterNodes = (): Promise<ClusterNode[]> => clusterNodesOf(ips[0]!, password);
  /** What a Job run must not change: every node's id, role, master and slots. */
  const topology = (view: readonly ClusterNode[]) => view.map((n) => [n.id, n.role, n.master, n.slots.join(' ')].join('|')).sort();

  /** Node 0's view once it shows `replicas` replicas (bounded wait: roles spread by gossip). */
  async function viewWithReplicas(replicas: number): Promise<ClusterNode[]> {
    const deadline = Date.now() + 15_000;
    let view = await clusterNodes();
    while (Date.now() < deadline && view.filter((n) => n.role === 'replica').length !== replicas) {
      await sleep(200);
      view = await clusterNodes();
    }
    return view;
  }

  /** `count` masters, each serving slots and replicated by exactly one replica. */
  function expectMastersWithSlotsAndOneReplica(view: readonly ClusterNode[], count: number): void {
    const masters = view.filter((n) => n.role === 'master');
    expect(masters).toHaveLength(count);
    for (const m of masters) {
      expect(m.slots.length, `${m.ip} has no slots`).toBeGreaterThan(0);
      expect(view.filter((n) => n.role === 'replica' && n.master === m.id), `replicas of ${m.ip}`).toHaveLength(1);
    }
  }

  beforeAll(async () => {
    expect(serverContainer.command.slice(0, 2)).toEqual(['sh', '-c']);
    expect(serverContainer.args).toEqual(['redis-server', '/etc/redis/redis.conf', '--cluster-announce-ip', '$(POD_IP)']);
    expect(jobContainer.command.slice(0, 2)).toEqual(['sh', '-c']);
    expect(jobContainer.env.map((e: { name: string }) => e.name)).toEqual(['REDISCLI_AUTH']);

    // In the cluster the hosts are DNS names, which `getent` resolves: the shim answers the Job's
    // host IPs, and the headless Service name with the IPs of the started nodes (the start-up
    // scripts' re-meet loop resolves it; here it must leave nodes that are not members alone).
    shimDir = tempDir('redis-shim-');
    liveFile = join(shimDir, 'live');
    writeGetentShim(shimDir, allIps, HEADLESS, liveFile);
    await Promise.all(ips.map(startNode));
  }, 30_000);

  const runJob = (script: string) => run('sh', ['-c', script], cleanEnv({ REDISCLI_AUTH: password }, shimDir), 45_000);
  const keys = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot'];

  it('the Job script forms the cluster: 3 masters with one replica each, state ok, writes follow redirects', async () => {
    const first = await runJob(jobScript6);
    expect(first.code, `${first.stdout}\n${first.stderr}`).toBe(0);
    expect(first.stdout).toContain(`creating the Redis Cluster from ${ips.map((ip) => `${ip}:6379`).join(' ')}`);
    expect(first.stdout).toContain('[OK] All 16384 slots covered');
    expect(first.stdout).toContain('the Redis Cluster is formed: cluster_state:ok');
    expect(first.stdout).toContain('the Redis Cluster has the 6 desired nodes: nothing to add');

    const info = await cli(ips[0]!, ['-c', 'cluster', 'info'], password);
    expect(info.stdout).toMatch(/^cluster_state:ok\r?$/m);
    expect(info.stdout).toMatch(/^cluster_size:3\r?$/m);
    expect(info.stdout).toMatch(/^cluster_known_nodes:6\r?$/m);
    expect(info.stdout).toMatch(/^cluster_slots_assigned:16384\r?$/m);

    // Every node announces its own IP (the --cluster-announce-ip arg of the StatefulSet), and node 0
    // learns the replica roles by gossip.
    const view = await viewWithReplicas(3);
    expect(view.map((n) => n.ip).sort()).toEqual(ips);
    expect(view.map((n) => n.role).sort()).toEqual(['master', 'master', 'master', 'replica', 'replica', 'replica']);

    // Keys in different slots, so some writes land on other masters through MOVED redirects.
    for (const key of keys) {
      const set = await cli(ips[0]!, ['-c', 'set', key, `value-${key}`], password);
      expect(set.stdout.trim(), set.stderr).toBe('OK');
    }
    for (const ip of ips) {
      const get = await cli(ip, ['-c', 'get', 'charlie'], password);
      expect(get.stdout.trim(), get.stderr).toBe('value-charlie');
    }
  });

  it('replicas sync from their masters with the masterauth of auth.conf', async () => {
    const deadline = Date.now() + 15_000;
    let links: string[] = [];
    while (Date.now() < deadline) {
      const infos = await Promise.all(ips.map((ip) => cli(ip, ['info', 'replication'], password)));
      links = infos.filter((r) => /^role:slave\r?$/m.test(r.stdout)).map((r) => r.stdout.match(/^master_link_status:(\w+)/m)?.[1] ?? '?');
      if (links.length === 3 && links.every((l) => l === 'up')) break;
      await sleep(200);
    }
    expect(links).toEqual(['up', 'up', 'up']);
  });

  it('running the Job script again exits 0 at once: the cluster is already formed', async () => {
    const again = await runJob(jobScript6);
    expect(again.code, `${again.stdout}\n${again.stderr}`).toBe(0);
    expect(again.stdout).toContain('the Redis Cluster is already formed and ok');
    expect(again.stdout).toContain('nothing to add');
    expect(again.stdout).not.toContain('creating');
    expect(again.ms).toBeLessThan(3_000);
  });

  it('the script for nodes: 8 adds two new nodes as a master/replica pair and gives the new master slots', async () => {
    const [ip7, ip8] = [allIps[6]!, allIps[7]!];
    await Promise.all([ip7, ip8].map(startNode));
    const id7 = (await cli(ip7, ['cluster', 'myid'], password)).stdout.trim();

    const grow = await runJob(jobScript8);
    expect(grow.code, output(grow)).toBe(0);
    expect(grow.stdout).toContain('the Redis Cluster is already formed and ok');
    expect(grow.stdout).toContain(`adding ${ip7} as an empty master`);
    expect(grow.stdout).toContain(`adding ${ip8} as a replica of ${id7}`);
    expect(grow.stdout).toContain('moving slots to the 1 master(s) without slots');
    expect(grow.stdout).toContain('the Redis Cluster has grown to the 8 desired nodes: cluster_state:ok');

    const info = await cli(ips[0]!, ['cluster', 'info'], password);
    expect(info.stdout).toMatch(/^cluster_state:ok\r?$/m);
    expect(info.stdout).toMatch(/^cluster_known_nodes:8\r?$/m);
    expect(info.stdout).toMatch(/^cluster_size:4\r?$/m);
    expect(info.stdout).toMatch(/^cluster_slots_assigned:16384\r?$/m);

    const view = await viewWithReplicas(4);
    expect(view.map((n) => n.ip).sort()).toEqual(ips8);
    expectMastersWithSlotsAndOneReplica(view, 4);
    expect(view.find((n) => n.ip === ip8)).toMatchObject({ role: 'replica', master: id7 });
    // The keys survived the slot moves (MIGRATE with the password) and are found through the new replica.
    for (const key of keys) {
      const get = await cli(ip8, ['-c', 'get', key], password);
      expect(get.stdout.trim(), get.stderr).toBe(`value-${key}`);
    }
  });

  it('running the 8-node script again changes nothing and exits 0 at once', async () => {
    const before = await clusterNodes();
    const again = await runJob(jobScript8);
    expect(again.code, output(again)).toBe(0);
    expect(again.stdout).toContain('the Redis Cluster has the 8 desired nodes: nothing to add');
    expect(again.stdout).not.toMatch(/adding|moving slots|creating/);
    expect(again.ms).toBeLessThan(3_000);
    expect(topology(await clusterNodes())).toEqual(topology(before));
  });

  it('the 6-node script on the 8-node cluster prints the manual scale-in steps, changes nothing and exits 0', async () => {
    const before = await clusterNodes();
    const shrink = await runJob(jobScript6);
    expect(shrink.code, output(shrink)).toBe(0);
    expect(shrink.stdout).toContain('the Redis Cluster knows nodes beyond the 6 desired hosts; removing nodes is not automated, nothing was changed:');
    const extras = before.filter((n) => !ips.includes(n.ip));
    expect(extras.map((n) => n.ip).sort()).toEqual([allIps[6], allIps[7]]);
    for (const extra of extras) expect(shrink.stdout).toContain(`  ${extra.id} ${extra.ip}:6379`);
    expect(shrink.stdout).toContain(`redis-cli --cluster reshard ${ips[0]}:6379 --cluster-from <its id>`);
    expect(shrink.stdout).toContain(`redis-cli --cluster del-node ${ips[0]}:6379 <its id>`);
    expect(shrink.stdout).not.toMatch(/adding|moving slots|creating/);
    expect(topology(await clusterNodes())).toEqual(topology(before));
  });

  it('completes a growth that stopped after the first add-node: the next host becomes the replica of the new master', async () => {
    const [ip9, ip10] = [allIps[8]!, allIps[9]!];
    await Promise.all([ip9, ip10].map(startNode));
    // A Job attempt that died right after adding the empty master.
    const partial = await run('redis-cli', ['--cluster', 'add-node', `${ip9}:6379`, `${ips[0]}:6379`], cleanEnv({ REDISCLI_AUTH: password }));
    expect(partial.code, output(partial)).toBe(0);
    const id9 = (await cli(ip9, ['cluster', 'myid'], password)).stdout.trim();

    const resume = await runJob(jobScript10);
    expect(resume.code, output(resume)).toBe(0);
    expect(resume.stdout).not.toContain(`adding ${ip9}`);
    expect(resume.stdout).toContain(`adding ${ip10} as a replica of ${id9}`);
    expect(resume.stdout).toContain('moving slots to the 1 master(s) without slots');
    const info = await cli(ips[0]!, ['cluster', 'info'], password);
    expect(info.stdout).toMatch(/^cluster_state:ok\r?$/m);
    expect(info.stdout).toMatch(/^cluster_size:5\r?$/m);
    const view = await viewWithReplicas(5);
    expect(view.map((n) => n.ip).sort()).toEqual(allIps);
    expectMastersWithSlotsAndOneReplica(view, 5);
  });
});
