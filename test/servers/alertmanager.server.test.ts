/**
 * Runs the rendered alertmanager.yml in a real Alertmanager (Debian's prometheus-alertmanager on
 * 127.0.0.41) and proves the inhibitions with alerts POSTed to /api/v2/alerts and read back: an
 * inhibited alert shows `status.inhibitedBy`, the others do not. amtool cannot test inhibition.
 * The alerts carry the severity, component and action labels of the rendered Prometheus rules, and
 * the instance labels (namespace, pod, node, service) those rules keep.
 *
 * Debian ships Alertmanager 0.25 (the chart pins v0.28.1): the people webhook's `url_file` (not in
 * 0.25) becomes an inline `url`, and the executor's URL and token file point at loopback and a temp
 * file. Everything else runs as rendered.
 *
 * Needs prometheus-alertmanager (Debian: `apt-get install prometheus-alertmanager`). Skipped with a
 * warning when it is missing locally; fails when it is missing in CI (`CI=true`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import type { AlertmanagerConfig } from '../../src/components/monitoring/alertmanager-config.js';
import { onPath, toolsPresent } from '../support/process.js';
import { ofKind, renderYaml } from '../support/render.js';

const BINARY = onPath('prometheus-alertmanager') ?? onPath('alertmanager');
const haveAlertmanager = toolsPresent('the Alertmanager server tests', BINARY ? [] : ['prometheus-alertmanager'], 'Debian: apt-get install prometheus-alertmanager');

const ADDRESS = '127.0.0.41:9093';
const BASE = `http://${ADDRESS}`;
const NS = 'aiops-platform';
const dir = mkdtempSync(join(tmpdir(), 'alertmanager-server-'));
let child: ChildProcess | undefined;
let log = '';

const render = renderYaml('alertmanager: {receivers: {webhook: {enabled: true, url: "https://hooks.example.com/alerts"}}}\n');

/** The rendered config, made runnable by Alertmanager 0.25 on loopback (see the file comment). */
function runnableConfig(): string {
  const cm = ofKind(render.objects, 'ConfigMap').find((c) => c.data?.['alertmanager.yml']);
  const config = parse(cm.data['alertmanager.yml']) as AlertmanagerConfig;
  const token = join(dir, 'webhook-token');
  writeFileSync(token, 'test-token\n');
  for (const receiver of config.receivers) {
    receiver.webhook_configs = receiver.webhook_configs?.map(({ url_file, ...rest }) => {
      const adapted: Record<string, unknown> = { ...rest, url: 'http://127.0.0.1:9/' };
      const http = (rest as { http_config?: { authorization?: { credentials_file?: string } } }).http_config;
      if (http?.authorization?.credentials_file) adapted.http_config = { ...http, authorization: { ...http.authorization, credentials_file: token } };
      void url_file;
      return adapted as never;
    });
  }
  return stringify(config);
}

/** Labels of a rendered alert rule (severity, component, action) by name. */
function ruleLabels(name: string): { alertname: string; severity: string; [label: string]: string } {
  const cm = ofKind(render.objects, 'ConfigMap').find((c) => c.data?.['aiops-platform.rules.yml']);
  const groups = parse(cm.data['aiops-platform.rules.yml']).groups as { rules: { alert: string; labels: Record<string, string> }[] }[];
  const rule = groups.flatMap((g) => g.rules).find((r) => r.alert === name);
  if (!rule) throw new Error(`no rule ${name} in the render`);
  return { alertname: name, severity: '', ...rule.labels };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface ApiAlert {
  labels: Record<string, string>;
  fingerprint: string;
  status: { state: string; inhibitedBy: string[]; silencedBy: string[] };
}

async function alerts(): Promise<ApiAlert[]> {
  const res = await fetch(`${BASE}/api/v2/alerts`);
  expect(res.status).toBe(200);
  return (await res.json()) as ApiAlert[];
}

describe.skipIf(!haveAlertmanager)('Alertmanager inhibitions of the rendered config (real prometheus-alertmanager)', () => {
  beforeAll(async () => {
    const file = join(dir, 'alertmanager.yml');
    writeFileSync(file, runnableConfig());
    child = spawn(BINARY!, [`--config.file=${file}`, `--storage.path=${join(dir, 'data')}`, `--web.listen-address=${ADDRESS}`, '--cluster.listen-address=', '--log.level=warn'], {
      env: { PATH: process.env.PATH, HOME: dir, LANG: 'C.UTF-8' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (d: Buffer) => (log = (log + d.toString()).slice(-20_000));
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    const deadline = Date.now() + 15_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`alertmanager exited (${child.exitCode}):\n${log}`);
      const ready = await fetch(`${BASE}/-/ready`).then((r) => r.ok, () => false);
      if (ready) break;
      if (Date.now() > deadline) throw new Error(`alertmanager never became ready:\n${log}`);
      await sleep(100);
    }
  });

  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child!.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(5_000)]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    rmSync(dir, { recursive: true, force: true });
  });

  const CASES = {
    crashLoop: { ...ruleLabels('PodCrashLooping'), namespace: NS, pod: 'aiops-platform-postgresql-0', container: 'postgresql' },
    pgConnections: { ...ruleLabels('PostgreSQLTooManyConnections'), namespace: NS, pod: 'aiops-platform-postgresql-0', instance: '10.0.0.5:9187' },
    pgConnectionsElsewhere: { ...ruleLabels('PostgreSQLTooManyConnections'), namespace: 'other', pod: 'aiops-platform-postgresql-0', instance: '10.0.1.5:9187' },
    redisHitRate: { ...ruleLabels('RedisLowHitRate'), namespace: NS, pod: 'aiops-platform-redis-0', instance: '10.0.0.6:9121' },
    targetDown: { ...ruleLabels('TargetDown'), namespace: NS, app: 'redis', pod: 'aiops-platform-redis-1', instance: '10.0.0.7:9121' },
    redisHitRateDownPod: { ...ruleLabels('RedisLowHitRate'), namespace: NS, pod: 'aiops-platform-redis-1', instance: '10.0.0.7:9121' },
    diskFull: { ...ruleLabels('NodeDiskAlmostFull'), node: 'node-1', instance: '10.1.0.1:9100', device: '/dev/sda1', mountpoint: '/' },
    nodeCpu: { ...ruleLabels('NodeHighCPU'), node: 'node-1', instance: '10.1.0.1:9100' },
    nodeMemory: { ...ruleLabels('NodeHighMemory'), node: 'node-2', instance: '10.1.0.2:9100' },
    errorRate: { ...ruleLabels('HighErrorRate'), service: 'aiops-platform-api-gateway-http@kubernetes' },
    responseTime: { ...ruleLabels('HighResponseTime'), service: 'aiops-platform-api-gateway-http@kubernetes' },
  };
  /** Which alerts must be inhibited, and by which. */
  const INHIBITED: Partial<Record<keyof typeof CASES, keyof typeof CASES>> = { pgConnections: 'crashLoop', redisHitRateDownPod: 'targetDown' };

  it('mutes the warnings about a pod while a critical alert names that pod, and nothing else', async () => {
    // The severities the inhibition relies on, as rendered.
    expect([CASES.crashLoop.severity, CASES.targetDown.severity, CASES.diskFull.severity, CASES.errorRate.severity]).toEqual(['critical', 'critical', 'critical', 'critical']);
    expect([CASES.pgConnections.severity, CASES.redisHitRate.severity, CASES.nodeCpu.severity, CASES.nodeMemory.severity, CASES.responseTime.severity]).toEqual(
      ['warning', 'warning', 'warning', 'warning', 'warning'],
    );
    const startsAt = new Date().toISOString();
    const res = await fetch(`${BASE}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(Object.values(CASES).map((labels) => ({ labels, annotations: {}, startsAt }))),
    });
    expect(res.status, log).toBe(200);

    const key = (labels: Record<string, string>) => JSON.stringify(Object.entries(labels).sort());
    const byCase = async () => {
      const all = await alerts();
      const found = new Map(all.map((a) => [key(a.labels), a]));
      return Object.fromEntries(Object.entries(CASES).map(([name, labels]) => [name, found.get(key(labels))])) as Record<keyof typeof CASES, ApiAlert | undefined>;
    };
    const expected = Object.fromEntries(Object.keys(CASES).map((name) => [name, INHIBITED[name as keyof typeof CASES] ?? null]));
    // The inhibitor learns source alerts asynchronously: poll (bounded) until the state settles.
    let seen: Record<string, string | null | undefined> = {};
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const current = await byCase();
      const fingerprints = new Map(Object.entries(current).map(([name, a]) => [a?.fingerprint, name]));
      seen = Object.fromEntries(
        Object.entries(current).map(([name, a]) => [name, a === undefined ? undefined : a.status.inhibitedBy.length === 0 ? null : a.status.inhibitedBy.map((f) => fingerprints.get(f)).join(',')]),
      );
      if (JSON.stringify(seen) === JSON.stringify(expected)) break;
      await sleep(200);
    }
    expect(seen, log).toEqual(expected);
    const final = await byCase();
    expect(final.pgConnections!.status.state).toBe('suppressed');
    expect(final.redisHitRate!.status.state).toBe('active');
  });
});
