/**
 * "Clean disk space" frees the disk that is full: ElasticsearchDiskAlmostFull (the data volumes)
 * runs the disk cleanup Job, which deletes the oldest daily log indices, bounded; NodeDiskAlmostFull
 * is not routed to the executor. The rendered cleanup script runs with sh (dash) and bash against
 * a fake Elasticsearch that records every request.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { problemsOf } from '../support/values-issues.js';
import { ElasticsearchSetup } from '../../src/components/logging/elasticsearch-setup.js';
import { loadValues } from '../../src/values/load.js';
import { sampleElasticsearch } from '../support/connections.js';
import { renderConstruct } from '../support/construct.js';
import { basicAuth, startFakeElasticsearch, type FakeAnswer, type RecordedRequest } from '../support/fake-elasticsearch.js';
import { find, renderYaml } from '../support/render.js';
import { onPath, output, runProcess, toolsPresent } from '../support/process.js';

const SECRET = 'aiops-platform-elasticsearch';
const GB = 1_000_000_000;
const PASSWORD = `el "q" \\ $HOME \`x\` 'single' ü`;

/** The setup construct alone: the cleanup Job spec and the ConfigMap files it reads. */
function renderCleanup(valuesYaml = '', auth = true) {
  const { objects, built: setup } = renderConstruct(valuesYaml, (chart, ctx, values) => {
    return new ElasticsearchSetup(chart, 'setup', { ctx, values: values.elasticsearch, connection: sampleElasticsearch({ authEnabled: auth, secretName: SECRET }) });
  });
  const files: Record<string, string> = find(objects, 'ConfigMap', 'aiops-platform-elasticsearch-setup').data;
  return { setup: setup, files, container: setup.diskCleanup.jobSpec.template.spec!.containers[0]! };
}

/** `aiops-logs-YYYY.MM.dd` of `days` after today (UTC, as Logstash names its indices). */
const daily = (days: number) => `aiops-logs-${new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10).replaceAll('-', '.')}`;

describe('disk alerts and the executor', () => {
  const { objects } = renderYaml('');
  const rules = parse(find(objects, 'ConfigMap', 'aiops-platform-prometheus').data['aiops-platform.rules.yml']).groups.flatMap((g: any) => g.rules);
  const executor = JSON.parse(find(objects, 'ConfigMap', 'aiops-platform-self-healing').data['rules.json']);

  it('routes only the Elasticsearch data-volume alert to clean-disk; the node filesystem alert is not actionable', () => {
    const action = (alert: string) => rules.find((r: any) => r.alert === alert).labels.action;
    expect(rules.filter((r: any) => r.labels.action === 'clean-disk').map((r: any) => r.alert)).toEqual(['ElasticsearchDiskAlmostFull']);
    expect(action('NodeDiskAlmostFull')).toBe('none');
    const node = rules.find((r: any) => r.alert === 'NodeDiskAlmostFull').annotations.runbook;
    expect(node).toMatch(/^No automatic action/);
    expect(node).toContain("Prometheus' by its size-based retention");
    expect(node).toContain('ElasticsearchDiskAlmostFull');
  });

  it('has an executor rule for every action an alert names, and an alert for every executor rule', () => {
    const alertActions = new Set(rules.map((r: any) => r.labels.action).filter((a: string) => a !== 'none'));
    const ruleActions = new Set(executor.rules.map((r: any) => r.match.action));
    expect([...ruleActions].sort()).toEqual([...alertActions].sort());
  });

  it('runs the disk cleanup script of the setup ConfigMap, once, with the elastic password only', () => {
    const clean = executor.rules.find((r: any) => r.name === 'clean-disk-space');
    expect(clean.description).toContain('deletes the oldest daily log indices');
    const { job } = clean.action;
    expect(job.metadata.generateName).toBe('aiops-platform-elasticsearch-disk-cleanup-');
    expect(job.spec).toMatchObject({ backoffLimit: 0, activeDeadlineSeconds: 600 });
    const pod = job.spec.template.spec;
    expect(pod.restartPolicy).toBe('Never');
    expect(pod.containers[0].command).toEqual(['sh', '/etc/elasticsearch-setup/disk-cleanup.sh']);
    expect(pod.containers[0].env.map((e: any) => e.name)).toEqual(['ES_URL', 'SETUP_WORK_DIR', 'ELASTIC_PASSWORD']);
    expect(pod.volumes.find((v: any) => v.name === 'config').configMap.name).toBe('aiops-platform-elasticsearch-setup');
    expect(find(objects, 'ConfigMap', 'aiops-platform-elasticsearch-setup').data).toHaveProperty(['disk-cleanup.sh']);
    // The setup pods' identity: their NetworkPolicy already allows Elasticsearch's HTTP port.
    expect(job.spec.template.metadata.labels['app.kubernetes.io/component']).toBe('setup');
  });
});

describe('elasticsearch.diskCleanup values', () => {
  const problems = problemsOf;

  it('defaults to 80 % and 5 indices per run, taken into the script', () => {
    const { files } = renderCleanup('elasticsearch: {diskCleanup: {targetPercent: 70, maxIndicesPerRun: 2}}');
    expect(files['disk-cleanup.sh']).toContain('at most 70 % full: at most 2 per run');
    expect(renderCleanup().files['disk-cleanup.sh']).toContain('at most 80 % full: at most 5 per run');
  });

  it.each([
    ['a target at or above the disk alert threshold', 'elasticsearch: {diskCleanup: {targetPercent: 90}}', /diskCleanup\.targetPercent: the disk cleanup target \(90 %\) must be below .*diskPercent \(90 %\)/],
    ['a lowered threshold above the default target', 'alerting: {thresholds: {diskPercent: 75}}', /targetPercent: the disk cleanup target \(80 %\) must be below/],
    ['a target below 50 %', 'elasticsearch: {diskCleanup: {targetPercent: 10}}', /diskCleanup\.targetPercent: /],
    ['a fractional target', 'elasticsearch: {diskCleanup: {targetPercent: 79.5}}', /diskCleanup\.targetPercent: /],
    ['no index per run', 'elasticsearch: {diskCleanup: {maxIndicesPerRun: 0}}', /diskCleanup\.maxIndicesPerRun: /],
    ['an unknown key', 'elasticsearch: {diskCleanup: {keepDays: 3}}', /diskCleanup\.keepDays: unknown key "keepDays"/],
  ])('rejects %s', (_, text, message) => {
    expect(problems(text).join('\n')).toMatch(message);
  });

  it('locates the target in the values file', () => {
    const text = 'alerting:\n  thresholds:\n    diskPercent: 75\nelasticsearch:\n  diskCleanup:\n    targetPercent: 85\n';
    expect(() => loadValues({ files: [{ name: 'values.yaml', text }], sets: [] })).toThrow(/values\.yaml:6:20 +elasticsearch\.diskCleanup\.targetPercent: the disk cleanup target \(85 %\)/);
  });

  it('accepts a lower threshold with a lower target, and any target with Elasticsearch off', () => {
    expect(problems('alerting: {thresholds: {diskPercent: 75}}\nelasticsearch: {diskCleanup: {targetPercent: 70}}')).toEqual([]);
    expect(problems('alerting: {thresholds: {diskPercent: 75}}\nelasticsearch: {enabled: false}')).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// The rendered script against a fake Elasticsearch

const SHELLS = ['sh', ...(onPath('bash') ? ['bash'] : [])];
const haveTools = toolsPresent('the disk cleanup script', ['sh', 'curl', 'sed', 'tr', 'sort'].filter((b) => !onPath(b)), 'Debian: apt-get install curl');

const cleanups: (() => unknown)[] = [];
afterAll(async () => {
  for (const c of cleanups) await c();
});

/** A fake cluster: `_cat/allocation` rows (used, total per node), daily indices and their sizes; DELETE answers `deleteStatus`. */
async function fakeCluster(o: { nodes: readonly [number, number][]; indices: Record<string, number>; auth?: string; deleteStatus?: number }) {
  const respond = (r: RecordedRequest): FakeAnswer => {
    if (r.authorization !== o.auth) return [401, { error: 'unauthenticated' }];
    if (r.method === 'GET' && r.url === '/_cat/allocation?h=disk.used,disk.total&bytes=b') {
      // A row per data node and one for unassigned shards, whose disk columns are empty.
      return [200, [...o.nodes.map(([used, total]) => `${used} ${total}`), '      '].join('\n') + '\n', 'text'];
    }
    if (r.method === 'GET' && r.url === '/_cat/indices/aiops-logs-*?h=index,store.size&bytes=b&expand_wildcards=open,closed') {
      return [200, Object.entries(o.indices).map(([index, size]) => `${index} ${size}`).join('\n') + '\n', 'text'];
    }
    if (r.method === 'DELETE') return o.deleteStatus ? [o.deleteStatus, { error: { reason: 'cluster block' } }] : [200, { acknowledged: true }];
    return [404, { error: `unexpected ${r.method} ${r.url}` }];
  };
  const es = await startFakeElasticsearch(respond);
  cleanups.push(() => es.close());
  return es;
}

describe.runIf(haveTools).each(SHELLS)('the disk cleanup script run by %s', (shell) => {
  async function run(rendered: ReturnType<typeof renderCleanup>, esUrl: string) {
    const root = mkdtempSync(join(tmpdir(), 'es-cleanup-'));
    cleanups.push(() => rmSync(root, { recursive: true, force: true }));
    const [config, work] = [join(root, 'config'), join(root, 'work')];
    mkdirSync(config);
    mkdirSync(work);
    for (const [file, text] of Object.entries(rendered.files)) writeFileSync(join(config, file), text);
    const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
    const overrides: Record<string, string> = { ES_URL: esUrl, SETUP_WORK_DIR: work, ELASTIC_PASSWORD: PASSWORD };
    for (const e of rendered.container.env ?? []) env[e.name] = overrides[e.name] ?? e.value!;
    return runProcess(shell, [join(config, 'disk-cleanup.sh')], { env, timeoutMs: 20_000 });
  }
  /** Ten days of 3 GB indices and today's 2 GB one, in shuffled order. */
  const tenDays = Object.fromEntries([-3, -9, 0, -1, -5, -7, -2, -8, -4, -6].map((d) => [daily(d), d === 0 ? 2 * GB : 3 * GB]));
  const deletes = (calls: string[]) => calls.filter((c) => c.startsWith('DELETE ')).map((c) => c.slice('DELETE /'.length));

  it('deletes the oldest indices, oldest first, until the volumes are under 80 %: 92 % of two nodes needs 12 GB, four indices', async () => {
    const es = await fakeCluster({ nodes: [[46 * GB, 50 * GB], [46 * GB, 50 * GB]], indices: tenDays, auth: basicAuth('elastic', PASSWORD) });
    const r = await run(renderCleanup(), es.url);
    expect(r.code, output(r)).toBe(0);
    expect(es.calls()).toEqual([
      'GET /_cat/allocation?h=disk.used,disk.total&bytes=b',
      'GET /_cat/indices/aiops-logs-*?h=index,store.size&bytes=b&expand_wildcards=open,closed',
      ...[-9, -8, -7, -6].map((d) => `DELETE /${daily(d)}`),
    ]);
    expect(r.stdout).toContain(`data volumes: ${92 * GB} of ${100 * GB} bytes used (92 %), target 80 %`);
    expect(r.stdout).toContain(`deleted ${daily(-9)} (${3 * GB} bytes)`);
    expect(r.stdout).toContain(`deleted 4 indices, ${12 * GB} bytes: the data volumes are back under 80 %`);
  });

  it('deletes at most maxIndicesPerRun and says the volumes need more space', async () => {
    const es = await fakeCluster({ nodes: [[99 * GB, 100 * GB]], indices: tenDays, auth: basicAuth('elastic', PASSWORD) });
    const r = await run(renderCleanup('elasticsearch: {diskCleanup: {maxIndicesPerRun: 2}}'), es.url);
    expect(r.code, output(r)).toBe(0);
    expect(deletes(es.calls())).toEqual([daily(-9), daily(-8)]);
    expect(r.stdout).toContain('stopping after 2 indices, the most one run deletes');
    expect(r.stdout).toContain(`deleted 2 indices, ${6 * GB} of the ${19 * GB} bytes above 80 %`);
  });

  it("never deletes today's index nor the newest one, whatever the need", async () => {
    const full = { nodes: [[99 * GB, 100 * GB]] as [number, number][], auth: basicAuth('elastic', PASSWORD) };
    // Only yesterday's and today's: yesterday goes, today stays.
    let es = await fakeCluster({ ...full, indices: { [daily(0)]: 50 * GB, [daily(-1)]: 40 * GB } });
    expect((await run(renderCleanup(), es.url)).code).toBe(0);
    expect(deletes(es.calls())).toEqual([daily(-1)]);
    // No index today (Logstash stopped): the newest, from two days ago, stays.
    es = await fakeCluster({ ...full, indices: { [daily(-2)]: 40 * GB, [daily(-5)]: 40 * GB } });
    expect((await run(renderCleanup(), es.url)).code).toBe(0);
    expect(deletes(es.calls())).toEqual([daily(-5)]);
    // A single index, or indices dated today and later (clock skew): nothing.
    for (const indices of [{ [daily(-3)]: 90 * GB }, { [daily(0)]: 40 * GB, [daily(1)]: 40 * GB }]) {
      es = await fakeCluster({ ...full, indices });
      const r = await run(renderCleanup(), es.url);
      expect(r.code, output(r)).toBe(0);
      expect(deletes(es.calls())).toEqual([]);
      expect(r.stdout).toContain('deleted 0 indices, 0 of the');
    }
  });

  it('deletes only indices named like the daily indices', async () => {
    const es = await fakeCluster({
      nodes: [[99 * GB, 100 * GB]],
      indices: { 'aiops-logs-archive': GB, [`${daily(-20)}-reindexed`]: GB, 'aiops-logs-2020.1.1': GB, [daily(-4)]: GB, [daily(0)]: GB },
      auth: basicAuth('elastic', PASSWORD),
    });
    expect((await run(renderCleanup(), es.url)).code).toBe(0);
    expect(deletes(es.calls())).toEqual([daily(-4)]);
  });

  it('deletes nothing below the target', async () => {
    const es = await fakeCluster({ nodes: [[80 * GB, 100 * GB]], indices: tenDays, auth: basicAuth('elastic', PASSWORD) });
    const r = await run(renderCleanup(), es.url);
    expect(r.code, output(r)).toBe(0);
    expect(r.stdout).toContain('nothing to delete');
    expect(es.calls()).toEqual(['GET /_cat/allocation?h=disk.used,disk.total&bytes=b']);
  });

  it('stops at the first failed deletion with its response, and at a refused password', async () => {
    let es = await fakeCluster({ nodes: [[99 * GB, 100 * GB]], indices: tenDays, auth: basicAuth('elastic', PASSWORD), deleteStatus: 403 });
    let r = await run(renderCleanup(), es.url);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`DELETE /${daily(-9)} failed with HTTP 403:`);
    expect(r.stderr).toContain('cluster block');
    expect(deletes(es.calls())).toEqual([daily(-9)]);
    es = await fakeCluster({ nodes: [[99 * GB, 100 * GB]], indices: tenDays, auth: basicAuth('elastic', 'other') });
    r = await run(renderCleanup(), es.url);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('GET /_cat/allocation?h=disk.used,disk.total&bytes=b failed with HTTP 401:');
    expect(es.requests).toHaveLength(1);
  });

  it('sends no credentials with security off', async () => {
    const es = await fakeCluster({ nodes: [[95 * GB, 100 * GB]], indices: tenDays });
    const r = await run(renderCleanup('', false), es.url);
    expect(r.code, output(r)).toBe(0);
    expect(deletes(es.calls())).toEqual([daily(-9), daily(-8), daily(-7), daily(-6), daily(-5)]);
    expect(es.requests.every((q) => q.authorization === undefined)).toBe(true);
  });
});
