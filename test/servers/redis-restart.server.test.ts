/**
 * A Redis Cluster of real redis-server processes restarted on new addresses, as pods restart on new
 * pod IPs, keeping their data dirs (the PVCs: AOF and nodes.conf with the peers' old IPs). Every
 * node runs the rendered start-up script, whose re-meet loop resolves the headless Service (a fake
 * getent answers it with the addresses of the running nodes, as DNS answers with the running pods)
 * and meets the nodes it knows at their new addresses. Formed on 127.0.0.31-36 by the rendered Job
 * script; restarted without the script on 127.0.0.81-86 (the control: as before the fix, the
 * cluster stays `cluster_state:fail`, every node knowing only the old addresses), then with it on
 * 127.0.0.61-66 (all at once, then again with the addresses swapped between pods), 127.0.0.67 (one node), 127.0.0.71-75 (all but one master) and
 * 127.0.0.76 (that master, later).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onPath, output, toolsPresent } from '../support/process.js';
import {
  cleanEnv,
  cli,
  clusterNodesOf,
  LocalRedis,
  REDIS_TEST_TOOLS,
  run,
  sleep,
  startClusterNode,
  writeGetentShim,
  type ClusterNode,
  type NodeDirs,
  type RedisClusterPod,
  type Server,
} from '../support/redis-servers.js';
import { containerOf, find, renderYaml } from '../support/render.js';

const haveRedis = toolsPresent('the Redis restart tests', REDIS_TEST_TOOLS.filter((b) => !onPath(b)), 'Debian: apt-get install redis-server');
const HEADLESS = 'aiops-platform-redis-headless.aiops-platform.svc.cluster.local';
const ip = (n: number) => `127.0.0.${n}`;
const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => ip(from + i));

describe.runIf(haveRedis)('Redis Cluster restarted on new pod IPs: the start-up script re-meets the peers', () => {
  const password = 'restart-pw';
  const objects = renderYaml(`redis: {cluster: {enabled: true, nodes: 6}, auth: {password: '${password}'}}`).objects;
  const sts = find(objects, 'StatefulSet', 'aiops-platform-redis');
  const container = containerOf(sts.spec.template.spec, 'redis');
  const pod: RedisClusterPod = {
    authScript: sts.spec.template.spec.initContainers[0].command[2],
    conf: find(objects, 'ConfigMap', 'aiops-platform-redis').data['redis.conf'],
    command: container.command,
    args: container.args,
  };
  const formed = range(31, 6);
  const allIps = [...formed, ...range(61, 7), ...range(71, 6), ...range(81, 6)];
  const keys = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel'];
  const local = new LocalRedis();
  let shimDir: string;
  let liveFile: string;
  /** Pod i: its data and run dirs (kept across restarts), its address while it has one, its process, its node id. */
  const pods: { dirs: NodeDirs; ip?: string; server?: Server; id: string }[] = [];
  /** Node id → role|master id|slots, as formed. */
  let formedTopology: Map<string, string>;
  const timings: Record<string, number> = {};

  /** The fake DNS answers the headless Service name with the addresses of the pods that have one. */
  const publish = () => writeFileSync(liveFile, pods.filter((p) => p.ip).map((p) => `${p.ip}\n`).join(''));

  /** Starts pods on new addresses, as their pods do (`plain`: redis-server without the start-up script, as before the fix). */
  async function startPods(which: number[], ips: readonly string[], plain = false): Promise<void> {
    // A pod has its IP (and, the Service publishing not-ready pods, its DNS record) before redis-server starts.
    which.forEach((i, k) => (pods[i]!.ip = ips[k]!));
    publish();
    const spec = plain ? { ...pod, command: [] } : pod;
    await Promise.all(
      which.map(async (i) => {
        const p = pods[i]!;
        p.server = await startClusterNode(local, spec, p.ip!, p.dirs, password, shimDir);
      }),
    );
  }

  async function stopPods(which: number[]): Promise<number> {
    const started = Date.now();
    await local.stop(which.map((i) => pods[i]!.server!), 12_000);
    for (const i of which) pods[i] = { ...pods[i]!, ip: undefined, server: undefined };
    publish();
    return Date.now() - started;
  }

  const topology = (view: readonly ClusterNode[]) => new Map(view.map((n) => [n.id, [n.role, n.master, n.slots.join(' ')].join('|')]));
  const running = () => pods.filter((p) => p.server);

  /**
   * Waits (bounded) until every running pod reports `cluster_state:ok` and sees every running pod
   * at its current address, connected and not failing; returns the milliseconds it took.
   */
  async function converged(timeoutMs = 30_000): Promise<number> {
    const started = Date.now();
    let problems: string[] = [];
    while (Date.now() - started < timeoutMs) {
      problems = [];
      for (const p of running()) {
        const info = await cli(p.ip!, ['cluster', 'info'], password);
        if (!/^cluster_state:ok\r?$/m.test(info.stdout)) problems.push(`${p.ip}: ${info.stdout.match(/^cluster_state:\w+/m)?.[0] ?? info.stderr}`);
        const view = await clusterNodesOf(p.ip!, password);
        for (const q of running()) {
          const n = view.find((v) => v.id === q.id);
          const ok = n && n.ip === q.ip && n.link === 'connected' && !n.flags.some((f) => /fail|noaddr|handshake/.test(f));
          if (!ok) problems.push(`${p.ip} sees ${q.id} as ${n ? `${n.ip} ${n.flags.join(',')} ${n.link}` : 'unknown'}`);
        }
      }
      if (problems.length === 0) return Date.now() - started;
      await sleep(200);
    }
    throw new Error(`not converged after ${timeoutMs} ms:\n${problems.join('\n')}\n${running().map((p) => `--- ${p.ip}\n${p.server!.output().slice(-3_000)}`).join('\n')}`);
  }

  async function expectKeys(from: string): Promise<void> {
    for (const key of keys) {
      const get = await cli(from, ['-c', 'get', key], password);
      expect(get.stdout.trim(), `${key} via ${from}: ${get.stderr}`).toBe(`value-${key}`);
    }
  }

  /** Node 0's view once it shows `replicas` replicas (roles spread by gossip). */
  async function viewWithReplicas(host: string, replicas: number): Promise<ClusterNode[]> {
    const deadline = Date.now() + 15_000;
    let view = await clusterNodesOf(host, password);
    while (Date.now() < deadline && view.filter((n) => n.role === 'replica' && !n.flags.includes('fail')).length !== replicas) {
      await sleep(200);
      view = await clusterNodesOf(host, password);
    }
    return view;
  }

  /** Runs the rendered Job script with its pods' DNS names replaced by their current addresses. */
  function runJob() {
    let job: string = find(objects, 'Job', 'aiops-platform-redis-cluster-init').spec.template.spec.containers[0].command[2];
    for (let i = 5; i >= 0; i--) job = job.replaceAll(`aiops-platform-redis-${i}.${HEADLESS}`, pods[i]!.ip!);
    return run('sh', ['-c', job], cleanEnv({ REDISCLI_AUTH: password }, shimDir), 45_000);
  }

  beforeAll(async () => {
    expect(pod.command.slice(0, 2)).toEqual(['sh', '-c']);
    shimDir = local.tempDir('redis-restart-shim-');
    liveFile = join(shimDir, 'live');
    writeGetentShim(shimDir, allIps, HEADLESS, liveFile);
    for (let i = 0; i < 6; i++) {
      pods.push({ dirs: { data: local.tempDir(`redis-restart-${i}-data-`), run: local.tempDir(`redis-restart-${i}-run-`) }, id: '' });
    }
    await startPods([0, 1, 2, 3, 4, 5], formed);
    for (const p of pods) p.id = (await cli(p.ip!, ['cluster', 'myid'], password)).stdout.trim();

    // Formed by the rendered Job script.
    const formation = await runJob();
    expect(formation.code, output(formation)).toBe(0);
    for (const key of keys) {
      const set = await cli(formed[0]!, ['-c', 'set', key, `value-${key}`], password);
      expect(set.stdout.trim(), set.stderr).toBe('OK');
    }
    formedTopology = topology(await viewWithReplicas(formed[0]!, 3));
    expect([...formedTopology.values()].filter((t) => t.startsWith('replica')).length).toBe(3);
    await converged();
  }, 90_000);

  afterAll(async () => {
    console.log(`Redis Cluster restart timings (ms): ${JSON.stringify(timings)}`);
    await local.stopAll();
  }, 60_000);

  it('control: the same full restart with redis-server started directly (as before the fix) stays cluster_state:fail', async () => {
    await stopPods([0, 1, 2, 3, 4, 5]);
    await startPods([0, 1, 2, 3, 4, 5], range(81, 6), true);
    // Once cluster-node-timeout (5 s) has passed the nodes flag the stale addresses as failing, and
    // the state turns fail everywhere; it is still fail a while later, as nobody reaches anybody.
    const states = () => Promise.all(pods.map(async (p) => (await cli(p.ip!, ['cluster', 'info'], password)).stdout.match(/^cluster_state:(\w+)/m)?.[1]));
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline && !(await states()).every((st) => st === 'fail')) await sleep(500);
    await sleep(3_000);
    expect(await states()).toEqual(Array(6).fill('fail'));
    for (const p of pods) {
      const view = await clusterNodesOf(p.ip!, password);
      expect(view.filter((n) => !n.flags.includes('myself')).every((n) => formed.includes(n.ip)), `${p.ip} knows only the old addresses`).toBe(true);
    }
  });

  it('all six nodes restarted at once on new IPs: every node re-meets the others, cluster_state:ok, keys, masters and replicas as before; the Job changes nothing', async () => {
    timings.fullStop = await stopPods([0, 1, 2, 3, 4, 5]);
    const started = Date.now();
    await startPods([0, 1, 2, 3, 4, 5], range(61, 6));
    timings.fullStartToPong = Date.now() - started;
    await converged();
    timings.fullStartToConverged = Date.now() - started;

    const view = await viewWithReplicas(pods[0]!.ip!, 3);
    expect(view.map((n) => n.ip).sort()).toEqual(range(61, 6));
    expect(topology(view)).toEqual(formedTopology);
    await expectKeys(pods[3]!.ip!);
    // The start-up scripts said what they did.
    expect(pods.some((p) => /node [0-9a-f]{40} is at 127\.0\.0\.6\d now: CLUSTER MEET/.test(p.server!.output()))).toBe(true);
    // Replicas follow their masters at the new addresses.
    const deadline = Date.now() + 15_000;
    let links: string[] = [];
    while (Date.now() < deadline) {
      const infos = await Promise.all(pods.map((p) => cli(p.ip!, ['info', 'replication'], password)));
      links = infos.filter((r) => /^role:slave\r?$/m.test(r.stdout)).map((r) => `${r.stdout.match(/^master_host:(.*?)\r?$/m)?.[1]} ${r.stdout.match(/^master_link_status:(\w+)/m)?.[1]}`);
      if (links.length === 3 && links.every((l) => / up$/.test(l))) break;
      await sleep(200);
    }
    expect(links.map((l) => l.split(' ')[1])).toEqual(['up', 'up', 'up']);
    for (const l of links) expect(range(61, 6)).toContain(l.split(' ')[0]);
    // The Job, recreated by a later `kubectl apply`, finds the cluster formed and changes nothing.
    const job = await runJob();
    expect(job.code, output(job)).toBe(0);
    expect(job.stdout).toContain('the Redis Cluster is already formed and ok');
    expect(job.stdout).toContain('nothing to add');
  });

  it('all six restarted at once with their addresses swapped (each pod gets the old IP of another pod): same convergence', async () => {
    const previous = pods.map((p) => p.ip!);
    timings.swappedStop = await stopPods([0, 1, 2, 3, 4, 5]);
    const started = Date.now();
    const rotated = previous.map((_, i) => previous[(i + 1) % 6]!);
    await startPods([0, 1, 2, 3, 4, 5], rotated);
    await converged();
    timings.swappedStartToConverged = Date.now() - started;
    const view = await viewWithReplicas(pods[0]!.ip!, 3);
    for (const p of pods) expect(view.find((n) => n.id === p.id)?.ip).toBe(p.ip);
    expect(topology(view)).toEqual(formedTopology);
    await expectKeys(pods[5]!.ip!);
  });

  it('one pod restarted on a new IP rejoins: every node sees it at the new address, state ok, keys intact', async () => {
    const master = pods.findIndex((p) => formedTopology.get(p.id)!.startsWith('master'));
    await stopPods([master]);
    const started = Date.now();
    await startPods([master], [ip(67)]);
    await converged();
    timings.singleRestartToConverged = Date.now() - started;
    await expectKeys(ip(67));
  });

  it('a full restart with one master left down: the other five re-meet, its replica takes over, state ok; the master rejoins later as a replica', async () => {
    const view = await viewWithReplicas(pods[0]!.ip!, 3);
    const downIndex = pods.findIndex((p) => view.find((n) => n.id === p.id)?.role === 'master');
    const down = pods[downIndex]!;
    const replica = view.find((n) => n.role === 'replica' && n.master === down.id)!;
    await stopPods([0, 1, 2, 3, 4, 5]);
    const others = [0, 1, 2, 3, 4, 5].filter((i) => i !== downIndex);
    const started = Date.now();
    await startPods(others, range(71, 5));
    await converged();
    timings.partialReMeet = Date.now() - started;

    // The replica of the missing master takes its slots (cluster-replica-validity-factor 0): every key is served.
    const deadline = Date.now() + 30_000;
    let role = '';
    while (Date.now() < deadline) {
      role = (await clusterNodesOf(pods[others[0]!]!.ip!, password)).find((n) => n.id === replica.id)?.role ?? '';
      if (role === 'master') break;
      await sleep(200);
    }
    expect(role, 'the replica of the master that stayed down was promoted').toBe('master');
    timings.partialFailover = Date.now() - started;
    await converged();
    await expectKeys(pods[others[0]!]!.ip!);

    // The master comes back on yet another address and rejoins as a replica of its old replica.
    const back = Date.now();
    await startPods([downIndex], [ip(76)]);
    await converged();
    timings.lateRejoin = Date.now() - back;
    const final = await viewWithReplicas(pods[0]!.ip!, 3);
    expect(final.find((n) => n.id === down.id)).toMatchObject({ role: 'replica', master: replica.id, ip: ip(76) });
    await expectKeys(ip(76));
  });
});
