import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { approvalsFromRecords } from '../../../src/services/self-healing/approvals.js';
import { toAuditRecord } from '../../../src/services/self-healing/decision-log.js';
import type { Decision } from '../../../src/services/self-healing/engine.js';
import { Executor, type KubeApi } from '../../../src/services/self-healing/executor.js';
import { createExecutorMetrics } from '../../../src/services/self-healing/metrics.js';
import type { PrometheusClient } from '../../../src/services/self-healing/prometheus.js';
import { createLogger } from '../../../src/services/kit/log.js';
import { alert, rulesFixture } from './rules-fixture.js';

/**
 * Approval mode in the executor, on an in-memory Kubernetes API and a Prometheus whose firing
 * alerts the test sets: a confirmed live action is held (no API call), approve confirms again and
 * acts (or dry-runs) as auto mode would, reject and expiry never call the API; metrics and every
 * decision recorded. The HTTP side is in approval-api.test.ts.
 */

const T0 = Date.parse('2026-12-06T10:00:00Z');
const ALICE = { actor: 'alice', role: 'admin' };

/** Pods that exist, the evictions asked for (with their dry-run flag). */
function fakeKube(pods: string[]) {
  const evictions: { pod: string; dryRun: boolean }[] = [];
  const kube: KubeApi = {
    getPod: async (_ns, name) => (pods.includes(name) ? { metadata: { labels: { 'app.kubernetes.io/name': 'web' } } } : undefined),
    evictPod: async (_ns, name, { dryRun }) => {
      evictions.push({ pod: name, dryRun });
      return { outcome: 'evicted' };
    },
    getScale: async () => undefined,
    patchScale: async () => undefined,
    getAutoscaler: async () => undefined,
    patchAutoscalerMinReplicas: async () => undefined,
    listJobs: async () => [],
    createJob: async () => ({ metadata: { name: 'job-x' } }),
  };
  return { kube, evictions };
}

function setup(o: Parameters<typeof rulesFixture>[0] = {}, pods = ['web-1', 'web-2', 'web-3']) {
  let now = T0;
  const firing = new Set<string>(pods);
  const queries: string[] = [];
  const prometheus = {
    count: async (query: string) => {
      queries.push(query);
      return [...firing].some((pod) => query.includes(`pod="${pod}"`)) ? 1 : 0;
    },
  } as unknown as PrometheusClient;
  const { kube, evictions } = fakeKube(pods);
  const registry = new Registry();
  const metrics = createExecutorMetrics(registry);
  const recorded: Decision[] = [];
  const executor = new Executor({
    rules: rulesFixture({ mode: 'approval', ...o }),
    kube,
    prometheus,
    log: createLogger({ service: 'self-healing', level: 'silent' }),
    metrics,
    sinks: [{ record: (d) => void recorded.push(structuredClone(d)) }],
    now: () => now,
  });
  const metric = async (name: string, labels: Record<string, string> = {}) =>
    (await registry.getSingleMetric(name)!.get()).values.find((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x))?.value ?? 0;
  return { executor, evictions, firing, queries, recorded, metric, advance: (ms: number) => (now += ms), registry };
}

const crash = (pod: string) => alert('restart-pod', { namespace: 'aiops', pod, alertname: 'PodCrashLooping' });

describe('the executor in approval mode', () => {
  it('holds a confirmed live action instead of calling the API: pending, counted and gauged; an unconfirmed alert is not held', async () => {
    const t = setup();
    const [d] = await t.executor.handle([crash('web-1')]);
    expect(d).toMatchObject({ outcome: 'pending', approval: { summary: 'evict pod aiops/web-1' } });
    expect(d!.approval!.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(t.evictions).toEqual([]);
    expect(t.queries).toHaveLength(1); // confirmed before it was held
    expect(await t.metric('aiops_self_healing_pending_approvals')).toBe(1);
    expect(await t.metric('aiops_self_healing_decisions_total', { outcome: 'pending', rule: 'restart-abnormal-pods' })).toBe(1);
    t.firing.delete('web-2');
    expect((await t.executor.handle([crash('web-2')]))[0]).toMatchObject({ outcome: 'not-confirmed' });
    expect(t.executor.approvals({ limit: 10 })).toHaveLength(1);
  });

  it('approve: confirms the alert again and acts as auto mode; the approved step and the action are both recorded, with who', async () => {
    const t = setup();
    const [held] = await t.executor.handle([crash('web-1')]);
    t.advance(60_000);
    const result = await t.executor.approve(held!.approval!.id, { ...ALICE, reason: 'go' });
    expect(result.status).toBe('act');
    expect(result.decision).toMatchObject({ outcome: 'acted', reason: 'evicted the pod (its controller recreates it)', approval: { actor: 'alice', role: 'admin', comment: 'go' } });
    expect(t.evictions).toEqual([{ pod: 'web-1', dryRun: false }]);
    expect(t.queries).toHaveLength(2);
    expect(t.recorded.map((d) => d.outcome)).toEqual(['pending', 'approved', 'acted']);
    expect(await t.metric('aiops_self_healing_pending_approvals')).toBe(0);
    for (const outcome of ['pending', 'approved', 'acted']) expect(await t.metric('aiops_self_healing_decisions_total', { outcome }), outcome).toBe(1);
    expect(t.executor.approvals({ limit: 1 })[0]).toMatchObject({ state: 'approved', result: { outcome: 'acted' } });
    // Twice: a conflict, nothing called again.
    expect((await t.executor.approve(held!.approval!.id, ALICE)).status).toBe('conflict');
    expect(t.evictions).toHaveLength(1);
  });

  it('approve of an alert that stopped firing: not-confirmed, nothing called', async () => {
    const t = setup();
    const [held] = await t.executor.handle([crash('web-1')]);
    t.firing.delete('web-1');
    const result = await t.executor.approve(held!.approval!.id, ALICE);
    expect(result.decision).toMatchObject({ outcome: 'not-confirmed', reason: expect.stringMatching(/^Prometheus has no firing ALERTS\{/) });
    expect(t.evictions).toEqual([]);
    expect(t.executor.approvals({ limit: 1 })[0]).toMatchObject({ state: 'approved', result: { outcome: 'not-confirmed' } });
  });

  it('reject and expiry call nothing and are recorded; the tick expires at the TTL', async () => {
    const t = setup({ guardrails: { approvalTtl: '10m' } });
    const [a, b] = await t.executor.handle([crash('web-1'), crash('web-2')]);
    expect(t.executor.reject(a!.approval!.id, { ...ALICE, reason: 'not now' })).toMatchObject({ status: 'decided', approval: { state: 'rejected', comment: 'not now' } });
    t.advance(10 * 60_000 - 1);
    expect(await t.executor.tick()).toEqual([]);
    t.advance(1);
    expect((await t.executor.tick()).map((d) => [d.outcome, d.approval?.id])).toEqual([['expired', b!.approval!.id]]);
    expect(t.evictions).toEqual([]);
    expect(t.recorded.map((d) => d.outcome)).toEqual(['pending', 'pending', 'rejected', 'expired']);
    for (const outcome of ['rejected', 'expired']) expect(await t.metric('aiops_self_healing_decisions_total', { outcome }), outcome).toBe(1);
    expect(await t.metric('aiops_self_healing_pending_approvals')).toBe(0);
  });

  it('a dry-run executor that takes over a pending approval honours the dry-run flag when it is approved', async () => {
    const live = setup();
    await live.executor.handle([crash('web-3')]);
    const rows = live.recorded.map((d) => toAuditRecord(d, 'rel-self-healing-0'));
    const dry = setup({ dryRun: true });
    dry.executor.engine.restoreApprovals(approvalsFromRecords(rows), T0);
    const [pending] = dry.executor.approvals({ state: 'pending', limit: 1 });
    const result = await dry.executor.approve(pending!.id, ALICE);
    expect(result.decision).toMatchObject({ outcome: 'dry-run', dryRun: true, reason: 'dry run: would have evicted the pod (its controller recreates it)' });
    expect(dry.evictions).toEqual([{ pod: 'web-3', dryRun: true }]);
    // In dry run nothing new is held: the executor dry-runs right away.
    expect((await dry.executor.handle([crash('web-1')]))[0]!.outcome).toBe('dry-run');
  });

  it('in auto mode acts at once, as before', async () => {
    const t = setup({ mode: 'auto' });
    expect((await t.executor.handle([crash('web-1')]))[0]!.outcome).toBe('acted');
    expect(t.evictions).toEqual([{ pod: 'web-1', dryRun: false }]);
    expect(t.executor.approvals({ limit: 10 })).toEqual([]);
  });
});
