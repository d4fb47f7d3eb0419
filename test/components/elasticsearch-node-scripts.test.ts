/**
 * The Elasticsearch container's rendered start and readiness scripts, run with sh (dash) and bash
 * against a fake Elasticsearch whose cluster health is green, yellow, red or without a master:
 * the first readiness after a start waits for the cluster's health, later ones only ask the node;
 * `cluster.initial_master_nodes` is set only until the node has seen its cluster formed.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Elasticsearch } from '../../src/components/logging/elasticsearch.js';
import { CLUSTER_FORMED_MARKER, IMAGE_ENTRYPOINT, READY_MARKER } from '../../src/components/logging/elasticsearch-node-scripts.js';
import { renderConstruct } from '../support/construct.js';
import { basicAuth, startFakeElasticsearch, type FakeElasticsearch } from '../support/fake-elasticsearch.js';
import { find } from '../support/render.js';
import { onPath, output, runProcess, toolsPresent } from '../support/process.js';

const NAME = 'aiops-platform-elasticsearch';
const PASSWORD = `el "q" \\ $HOME \`x\` 'single'`;
const SHELLS = ['sh', ...(onPath('bash') ? ['bash'] : [])];
const haveTools = toolsPresent('the Elasticsearch start and readiness scripts', ['sh', 'curl'].filter((b) => !onPath(b)), 'Debian: apt-get install curl');

/** The ConfigMap files of the Elasticsearch construct rendered from `valuesYaml`. */
function scripts(valuesYaml: string): Record<string, string> {
  const r = renderConstruct(valuesYaml, (chart, ctx, values) => new Elasticsearch(chart, 'es', { ctx, values: values.elasticsearch }));
  return find(r.objects, 'ConfigMap', NAME).data;
}

type Health = 'green' | 'yellow' | 'red' | 'no-master';
const RANK = { red: 0, yellow: 1, green: 2 } as const;

const cleanups: (() => unknown)[] = [];
afterAll(async () => {
  for (const c of cleanups) await c();
});

/** A fake node: `_cluster/health` answers as Elasticsearch does for the current `health`. */
async function fakeNode(auth: string | undefined) {
  const state = { health: 'green' as Health };
  const es: FakeElasticsearch = await startFakeElasticsearch((r) => {
    if (r.authorization !== auth) return [401, { error: 'unauthenticated' }];
    const url = new URL(r.url, 'http://x');
    if (url.pathname !== '/_cluster/health') return [404, {}];
    if (url.searchParams.get('local') === 'true') return [200, { status: state.health === 'no-master' ? 'red' : state.health }];
    if (state.health === 'no-master') return [503, { error: { type: 'master_not_discovered_exception' } }];
    const wanted = url.searchParams.get('wait_for_status') as keyof typeof RANK;
    const reached = RANK[state.health] >= RANK[wanted];
    return [reached ? 200 : 408, { status: state.health, timed_out: !reached }];
  });
  cleanups.push(() => es.close());
  return { es, state };
}

/** A temp root with the data dir, and the scripts with the pod's paths and URL pointed into it. */
function pod(files: Record<string, string>, esUrl: string) {
  const root = mkdtempSync(join(tmpdir(), 'es-node-'));
  cleanups.push(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(join(root, 'data'));
  const paths = { ready: join(root, 'ready-once'), formed: join(root, 'data', '.aiops-cluster-formed'), entrypoint: join(root, 'entrypoint') };
  // The image's entrypoint, faked: prints its arguments and the settings it would pass to Elasticsearch.
  writeFileSync(paths.entrypoint, `#!/bin/sh\necho "entrypoint $*"\necho "initial masters: \${ES_SETTING_CLUSTER_INITIAL__MASTER__NODES:-unset}"\n`);
  chmodSync(paths.entrypoint, 0o755);
  const localize = (text: string) =>
    text
      .replaceAll('http://127.0.0.1:9200', esUrl)
      .replaceAll(READY_MARKER, paths.ready)
      .replaceAll(CLUSTER_FORMED_MARKER, paths.formed)
      .replaceAll(IMAGE_ENTRYPOINT, paths.entrypoint);
  for (const file of ['start.sh', 'readiness.sh']) writeFileSync(join(root, file), localize(files[file]!));
  return { root, paths };
}

describe.runIf(haveTools).each(SHELLS)('Elasticsearch node scripts run by %s', (shell) => {
  const run = (root: string, file: string) =>
    runProcess(shell, [join(root, file)], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ELASTIC_PASSWORD: PASSWORD }, timeoutMs: 15_000 });

  it('gates the first readiness of a 3-node cluster on green, then only checks the local node', async () => {
    const { es, state } = await fakeNode(basicAuth('elastic', PASSWORD));
    const { root, paths } = pod(scripts('global: {development: false}'), es.url);
    const ready = async () => (await run(root, 'readiness.sh')).code === 0;

    state.health = 'no-master';
    expect(await ready()).toBe(false);
    expect(existsSync(paths.formed)).toBe(false);
    for (const health of ['red', 'yellow'] as const) {
      state.health = health;
      const r = await run(root, 'readiness.sh');
      expect(r.code, health).toBe(1);
      expect(r.stdout).toContain('first readiness waits for green cluster health (HTTP 408)');
    }
    // A master answered: the cluster has formed, though not green yet.
    expect(existsSync(paths.formed)).toBe(true);
    expect(existsSync(paths.ready)).toBe(false);
    state.health = 'green';
    expect(await ready()).toBe(true);
    expect(existsSync(paths.ready)).toBe(true);
    expect(es.calls().every((c) => c === 'GET /_cluster/health?wait_for_status=green&timeout=1s&master_timeout=1s')).toBe(true);

    // Ready once: a cluster that turns yellow or red later keeps this node in its Services.
    es.requests.length = 0;
    for (const health of ['yellow', 'red'] as const) {
      state.health = health;
      expect(await ready(), health).toBe(true);
    }
    expect(es.calls()).toEqual(['GET /_cluster/health?local=true', 'GET /_cluster/health?local=true']);

    // A restart of the container (the start script) gates on green again.
    const start = await run(root, 'start.sh');
    expect(start.code, output(start)).toBe(0);
    expect(existsSync(paths.ready)).toBe(false);
    state.health = 'yellow';
    expect(await ready()).toBe(false);
    state.health = 'green';
    expect(await ready()).toBe(true);
  });

  it('is not ready when the node does not answer or refuses the password', async () => {
    const files = scripts('global: {development: false}');
    const down = pod(files, 'http://127.0.0.1:1');
    const r = await run(down.root, 'readiness.sh');
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('(HTTP 000)');
    const { es } = await fakeNode(basicAuth('elastic', 'another password'));
    const refused = pod(files, es.url);
    const first = await run(refused.root, 'readiness.sh');
    expect(first.stdout).toContain('(HTTP 401)');
    // The cause a changed elasticsearch.auth.password has: said in the probe's message (kubectl describe pod).
    expect(first.stdout).toContain('the elastic password of the Secret is refused: Elasticsearch takes it at its first start only');
    // Once ready, the local check fails the same way.
    writeFileSync(refused.paths.ready, '');
    const local = await run(refused.root, 'readiness.sh');
    expect([local.code, local.stdout]).toEqual([
      1,
      'the node answers its local health with HTTP 401\nthe elastic password of the Secret is refused: Elasticsearch takes it at its first start only\n',
    ]);
  });

  it('accepts yellow for a single node, which can never assign replicas', async () => {
    const { es, state } = await fakeNode(basicAuth('elastic', PASSWORD));
    const { root } = pod(scripts(''), es.url);
    state.health = 'red';
    expect((await run(root, 'readiness.sh')).code).toBe(1);
    state.health = 'yellow';
    expect((await run(root, 'readiness.sh')).code).toBe(0);
    expect(es.calls()[0]).toBe('GET /_cluster/health?wait_for_status=yellow&timeout=1s&master_timeout=1s');
  });

  it('sends no credentials with security off', async () => {
    const { es } = await fakeNode(undefined);
    const { root } = pod(scripts('global: {development: false}\nelasticsearch: {auth: {enabled: false}}'), es.url);
    expect((await run(root, 'readiness.sh')).code).toBe(0);
    expect(es.requests.map((r) => r.authorization)).toEqual([undefined]);
  });

  it('sets cluster.initial_master_nodes for the first bootstrap only, until the node has seen its cluster formed', async () => {
    const { es, state } = await fakeNode(basicAuth('elastic', PASSWORD));
    const { root, paths } = pod(scripts('global: {development: false}'), es.url);
    const first = await run(root, 'start.sh');
    expect(first.code, output(first)).toBe(0);
    expect(first.stdout).toContain('entrypoint eswrapper\ninitial masters: aiops-platform-elasticsearch-0,aiops-platform-elasticsearch-1,aiops-platform-elasticsearch-2\n');
    // A restart before the cluster ever formed (no master yet) still bootstraps.
    state.health = 'no-master';
    await run(root, 'readiness.sh');
    expect((await run(root, 'start.sh')).stdout).toContain('initial masters: aiops-platform-elasticsearch-0,');
    // Once a master answered the readiness probe, every later start leaves the setting out.
    state.health = 'yellow';
    await run(root, 'readiness.sh');
    const later = await run(root, 'start.sh');
    expect(later.stdout).toContain('starting without cluster.initial_master_nodes');
    expect(later.stdout).toContain('entrypoint eswrapper\ninitial masters: unset\n');
    expect(existsSync(paths.formed)).toBe(true);
  });

  it('never sets it for a single node (single-node discovery)', async () => {
    const { root } = pod(scripts(''), 'http://127.0.0.1:1');
    const r = await run(root, 'start.sh');
    expect(r.code, output(r)).toBe(0);
    expect(r.stdout).toBe('entrypoint eswrapper\ninitial masters: unset\n');
  });
});
