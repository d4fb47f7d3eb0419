/**
 * The executor's approval API as a service, over real sockets on 127.0.0.1: the bearer
 * APPROVAL_TOKEN (503 when not configured, 401 without it), the bodies it refuses, pending actions
 * held instead of acted on, approve (confirmed again by a REAL Prometheus or by the AI engine, then
 * acted on the recording fake Kubernetes API), reject, 404/409, expiry, replicas without the Lease,
 * Events and metrics.
 *
 * Needs Debian's prometheus; skipped with a warning locally when missing, fails in CI.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RulesFile } from '../../../src/core/self-healing-rules.js';
import type { RunningService } from '../../../src/services/kit/run.js';
import { actionRequests, startFakeKubeApi, type FakeKubeApi } from '../../support/fake-kube-api.js';
import { toolsPresent } from '../../support/process.js';
import { PROMETHEUS_BINARY, startPrometheus, type TestServer } from '../../support/prom-servers.js';
import { until } from '../../support/until.js';
import { request } from '../kit/http.js';
import { rulesFixture } from './rules-fixture.js';
import { startExecutorService } from '../../support/executor-service.js';

const havePrometheus = toolsPresent('the executor approval API tests', PROMETHEUS_BINARY ? [] : ['prometheus'], 'Debian: apt-get install prometheus');

const WEBHOOK_TOKEN = 'webhook-token-0123456789abcdef';
const APPROVAL_TOKEN = 'approval-token-0123456789abcdef';
const NS = 'aiops';
const PODS = ['web-1', 'web-2', 'web-3', 'web-4', 'exp-1'];

/** Crash-loop alerts that always fire in the test Prometheus, one per pod. */
const FIRING = `groups:
  - name: fixed
    interval: 1s
    rules:
${PODS.map((pod) => `      - alert: PodCrashLooping\n        expr: vector(1)\n        labels: { action: restart-pod, namespace: ${NS}, pod: ${pod}, severity: critical }`).join('\n')}
`;

let prometheus: TestServer;
let kube: FakeKubeApi;
/** The AI engine's anomalies endpoint (shape of src/services/ai-engine/service.ts), to withdraw an anomaly between hold and approval. */
let engineAnomalies: { id: string; kind: string; action: string }[] = [];
const engine = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://x');
  if (url.pathname !== '/ai/api/v1/anomalies') return void res.writeHead(404).end();
  const kind = url.searchParams.get('kind');
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ anomalies: engineAnomalies.filter((a) => !kind || a.kind === kind) }));
});
let dir: string;
const running: RunningService[] = [];

/** Waits until `check` holds (until() waits for a value other than undefined). */
const eventually = (check: () => Promise<boolean> | boolean, timeoutMs: number, what: string) => until(what, async () => ((await check()) ? true : undefined), timeoutMs);

async function startExecutor(rules: RulesFile, pod: string, lease: string, approvalToken: string | null = APPROVAL_TOKEN): Promise<RunningService> {
  const service = await startExecutorService({
    dir,
    rules,
    pod,
    namespace: NS,
    lease,
    webhookToken: WEBHOOK_TOKEN,
    kube,
    prometheusUrl: prometheus.url,
    engineUrl: `http://127.0.0.1:${(engine.address() as AddressInfo).port}/ai`,
    env: approvalToken ? { APPROVAL_TOKEN: approvalToken } : {},
  });
  running.push(service);
  return service;
}

const status = async (s: RunningService) => JSON.parse((await request(s.port, '/api/v1/status')).body) as { leader: boolean; mode: string; pendingApprovals: number; approvalApi: string };

let fingerprints = 0;
const crash = (pod: string, fingerprint = (++fingerprints).toString(16).padStart(16, '0')) => ({
  status: 'firing',
  labels: { alertname: 'PodCrashLooping', action: 'restart-pod', namespace: NS, pod, severity: 'critical' },
  annotations: {},
  startsAt: '2026-12-06T10:00:00Z',
  endsAt: '0001-01-01T00:00:00Z',
  fingerprint,
});
const webhook = (alerts: unknown[]) => ({ version: '4', groupKey: '{}', truncatedAlerts: 0, status: 'firing', receiver: 'self-healing', groupLabels: {}, commonLabels: {}, externalURL: 'http://am', alerts });

type Decision = { outcome: string; reason: string; rule: string; approval?: { id: string; actor?: string; role?: string; comment?: string } };
type Approval = { id: string; state: string; decidedBy?: { actor: string; role: string }; comment?: string; result?: { outcome: string; reason: string } };

async function post(s: RunningService, alerts: unknown[]): Promise<Decision[]> {
  const res = await request(s.port, '/api/v1/alerts', { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${WEBHOOK_TOKEN}` }, body: JSON.stringify(webhook(alerts)) });
  expect(res.status).toBe(200);
  return (JSON.parse(res.body) as { decisions: Decision[] }).decisions;
}
/** Holds one alert and returns its approval id. */
async function hold(s: RunningService, a: unknown): Promise<string> {
  const [d] = await post(s, [a]);
  expect(d).toMatchObject({ outcome: 'pending' });
  return d!.approval!.id;
}
const auth = (token = APPROVAL_TOKEN) => ({ authorization: `Bearer ${token}` });
function decide(s: RunningService, id: string, verb: 'approve' | 'reject', body: unknown, headers: Record<string, string> = auth()) {
  return request(s.port, `/api/v1/approvals/${id}/${verb}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
}
const list = async (s: RunningService, query = '') => {
  const res = await request(s.port, `/api/v1/approvals${query}`, { headers: auth() });
  expect(res.status, res.body).toBe(200);
  return JSON.parse(res.body) as { mode: string; source: string; approvals: (Approval & Record<string, unknown>)[] };
};
const events = () => kube.list('events', NS) as { reason?: string; message?: string; involvedObject?: { name?: string } }[];
const evictions = () => actionRequests(kube).filter((r) => r.path.endsWith('/eviction'));

describe.skipIf(!havePrometheus)('the executor approval API (real Prometheus, fake Kubernetes API)', { timeout: 60_000 }, () => {
  let live: RunningService;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'self-healing-approvals-'));
    prometheus = await startPrometheus({ config: 'global: { evaluation_interval: 1s }\nrule_files: [rules.yml]\n', rules: FIRING });
    await new Promise<void>((resolve) => engine.listen(0, '127.0.0.1', resolve));
    kube = await startFakeKubeApi();
    kube.seed({ pods: PODS.map((name) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: NS, labels: { 'app.kubernetes.io/name': 'web' } } })) });
    live = await startExecutor(rulesFixture({ mode: 'approval', cooldown: '1s' }), 'rel-self-healing-0', 'lease-approval');
    await eventually(async () => (await status(live)).leader, 30_000, 'the executor never took the Lease');
    await eventually(async () => {
      const res = await fetch(`${prometheus.url}/api/v1/query?query=${encodeURIComponent('count(ALERTS{alertstate="firing"})')}`);
      const body = (await res.json()) as { data: { result: { value: [number, string] }[] } };
      return body.data.result[0]?.value[1] === String(PODS.length);
    }, 15_000, 'the fixed alerts never fired');
  });

  afterAll(async () => {
    await Promise.all(running.splice(0).map((s) => s.shutdown('test done')));
    await kube?.close();
    await new Promise((r) => engine.close(r));
    await prometheus?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('answers 503 on every approval route while APPROVAL_TOKEN is not set, whatever the request carries', async () => {
    const bare = await startExecutor(rulesFixture({ mode: 'approval' }), 'rel-self-healing-bare', 'lease-bare', null);
    expect((await status(bare)).approvalApi).toBe('not configured');
    for (const res of [
      await request(bare.port, '/api/v1/approvals', { headers: auth() }),
      await decide(bare, 'approval-1', 'approve', { actor: 'alice', role: 'admin' }),
      await decide(bare, 'approval-1', 'reject', { actor: 'alice', role: 'admin' }, {}),
    ]) {
      expect(res.status).toBe(503);
      expect(JSON.parse(res.body)).toMatchObject({ error: 'the approval API is not configured: APPROVAL_TOKEN is not set' });
    }
  });

  it('refuses calls without the approval bearer token (401, constant-time compare), the webhook token included; the approval token opens no webhook', async () => {
    expect((await status(live)).approvalApi).toBe('configured');
    const wrong = [{}, auth('wrong-token-0123456789abcdef'), auth(WEBHOOK_TOKEN), auth(`${APPROVAL_TOKEN}x`), auth(APPROVAL_TOKEN.slice(0, -1)), { authorization: APPROVAL_TOKEN }, { authorization: `Basic ${Buffer.from(`a:${APPROVAL_TOKEN}`).toString('base64')}` }] as Record<string, string>[];
    for (const headers of wrong) {
      for (const res of [await request(live.port, '/api/v1/approvals', { headers }), await decide(live, 'approval-1', 'approve', { actor: 'alice', role: 'admin' }, headers)]) {
        expect(res.status, JSON.stringify(headers)).toBe(401);
        expect(res.headers['www-authenticate']).toBe('Bearer realm="self-healing-approvals"');
        expect(res.body).not.toContain(APPROVAL_TOKEN);
      }
    }
    const webhookWithApprovalToken = await request(live.port, '/api/v1/alerts', { method: 'POST', headers: { 'content-type': 'application/json', ...auth() }, body: JSON.stringify(webhook([crash('web-1')])) });
    expect(webhookWithApprovalToken.status).toBe(401);
    // The scheme is case-insensitive.
    expect((await request(live.port, '/api/v1/approvals', { headers: { authorization: `bearer ${APPROVAL_TOKEN}` } })).status).toBe(200);
  });

  it('holds a confirmed live action as pending instead of evicting: Event SelfHealingPending, listed with its expiry, gauged', async () => {
    kube.clearRequests();
    const alert = crash('web-1', 'a1a1a1a1a1a1a1a1');
    const [d] = await post(live, [alert]);
    expect(d).toMatchObject({ outcome: 'pending', rule: 'restart-abnormal-pods' });
    expect(d!.reason).toMatch(/^awaiting approval until \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z: would evict pod aiops\/web-1$/);
    expect(evictions()).toEqual([]);
    await eventually(() => events().some((e) => e.reason === 'SelfHealingPending' && e.involvedObject?.name === 'web-1'), 5000, 'no SelfHealingPending Event');
    expect(events().find((e) => e.reason === 'SelfHealingPending')!.message).toContain(`[approval ${d!.approval!.id}]`);

    const body = await list(live);
    expect(body.mode).toBe('approval');
    expect(body.source).toBe('memory');
    const approval = body.approvals.find((a) => a.id === d!.approval!.id)!;
    expect(Object.keys(approval).sort()).toEqual(['action', 'alert', 'createdAt', 'dryRun', 'expiresAt', 'id', 'rule', 'state', 'summary', 'target'].sort());
    expect(approval).toMatchObject({
      state: 'pending',
      dryRun: false,
      rule: 'restart-abnormal-pods',
      action: 'restart-pod',
      target: { kind: 'Pod', namespace: NS, name: 'web-1' },
      summary: 'evict pod aiops/web-1',
      alert: { labels: alert.labels, startsAt: alert.startsAt, fingerprint: alert.fingerprint },
    });
    expect(Date.parse(approval['expiresAt'] as string) - Date.parse(approval['createdAt'] as string)).toBe(3_600_000);
    // The same incident again (Alertmanager repeats): not held twice.
    expect((await post(live, [alert]))[0]).toMatchObject({ outcome: 'skipped', reason: expect.stringMatching(/^awaiting approval /) });
    expect((await list(live, '?state=pending')).approvals.filter((a) => a.target === undefined || (a['target'] as { name: string }).name === 'web-1')).toHaveLength(1);
    expect((await status(live)).pendingApprovals).toBeGreaterThanOrEqual(1);
    const metrics = await (await fetch(`http://127.0.0.1:${live.metricsPort}/metrics`)).text();
    expect(metrics).toMatch(/aiops_self_healing_pending_approvals\{service="self-healing"\} [1-9]/);
    expect(metrics).toMatch(/aiops_self_healing_decisions_total\{rule="restart-abnormal-pods",outcome="pending",service="self-healing"\} 1/);
    expect(metrics).toMatch(/aiops_self_healing_decisions_total\{rule="restart-abnormal-pods",outcome="approved",service="self-healing"\} 0/);
  });

  it('refuses bodies with a bad actor, role or reason, unknown fields or no JSON (400), unknown ids (404); the approval stays pending', async () => {
    const id = await hold(live, crash('web-4'));
    const cases: [unknown, string][] = [
      [{ role: 'admin' }, 'actor: required'],
      [{ actor: 'alice', role: 'admin', comment: 'x' }, '(body): unknown key "comment": expected actor, role, reason'],
      [['alice', 'admin'], '(body): expected a JSON object with actor, role, reason'],
      ['null', '(body): expected a JSON object'],
      [{ actor: 'al ice', role: 'admin' }, 'actor: expected 1-128 characters of A-Z a-z 0-9 . _ @ + -, starting with a letter or digit'],
      [{ actor: 'alice\nadmin', role: 'admin' }, 'actor: expected 1-128'],
      [{ actor: '<script>', role: 'admin' }, 'actor: expected 1-128'],
      [{ actor: 'a'.repeat(129), role: 'admin' }, 'actor: expected 1-128'],
      [{ actor: '-alice', role: 'admin' }, 'actor: expected 1-128'],
      [{ actor: 'alice', role: 'Admin' }, 'role: expected 1-32 characters'],
      [{ actor: 'alice', role: 'admin', reason: 'x'.repeat(501) }, 'reason: expected at most 500 characters'],
      [{ actor: 'alice', role: 'admin', reason: 'line\nbreak' }, 'reason: expected text without control characters'],
      [{ actor: 'alice', role: 'admin', reason: 'safe \u202e evil' }, 'reason: expected text without control characters'],
      [{ actor: 42, role: 'admin' }, 'actor: expected a string'],
      [{ actor: 'alice', role: 'admin', reason: ['x'] }, 'reason: expected a string'],
      ['{not json', 'request body is not valid JSON'],
    ];
    for (const [body, problem] of cases) {
      const res = await decide(live, id, 'approve', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(JSON.parse(res.body).error, JSON.stringify(body)).toContain(problem);
    }
    for (const missing of ['approval-999', '00000000-0000-4000-8000-000000000000', '..%2F..%2Fx', 'x'.repeat(65)]) {
      const res = await decide(live, missing, 'approve', { actor: 'alice', role: 'admin' });
      expect(res.status, missing).toBe(404);
    }
    expect((await list(live)).approvals.find((a) => a.id === id)!.state).toBe('pending');
    expect(evictions()).toEqual([]);
  });

  it('approve: confirms again, evicts as auto mode would, records who (Events Approved and Acted); a second approve or a reject is 409', async () => {
    kube.clearRequests();
    const id = await hold(live, crash('web-2'));
    const res = await decide(live, id, 'approve', { actor: 'alice@example.org', role: 'admin', reason: 'runbook 12' });
    expect(res.status, res.body).toBe(200);
    const body = JSON.parse(res.body) as { approval: Approval; decision: Decision };
    expect(body.approval).toMatchObject({ id, state: 'approved', decidedBy: { actor: 'alice@example.org', role: 'admin' }, comment: 'runbook 12', result: { outcome: 'acted' } });
    expect(body.decision).toMatchObject({ outcome: 'acted', reason: 'evicted the pod (its controller recreates it)', approval: { id, actor: 'alice@example.org', role: 'admin', comment: 'runbook 12' } });
    expect(evictions()).toMatchObject([{ method: 'POST', path: `/api/v1/namespaces/${NS}/pods/web-2/eviction` }]);
    expect(evictions()[0]!.query['dryRun']).toBeUndefined();
    await eventually(() => ['SelfHealingApproved', 'SelfHealingActed'].every((r) => events().some((e) => e.reason === r && e.involvedObject?.name === 'web-2')), 5000, 'no Approved and Acted Events');
    expect(events().find((e) => e.reason === 'SelfHealingApproved')!.message).toContain('approved by alice@example.org (admin): runbook 12');

    for (const verb of ['approve', 'reject'] as const) {
      const again = await decide(live, id, verb, { actor: 'bob', role: 'admin' });
      expect(again.status).toBe(409);
      const conflict = JSON.parse(again.body) as { error: string; approval: Approval };
      expect(conflict.error).toMatch(new RegExp(`^approval ${id} is approved by alice@example.org \\(at .+\\): it can no longer be ${verb === 'approve' ? 'approved' : 'rejected'}$`));
      expect(conflict.approval.state).toBe('approved');
    }
    expect(evictions()).toHaveLength(1);
  });

  it('reject: records who and why, evicts nothing (Event SelfHealingRejected); the incident is not held again', async () => {
    kube.clearRequests();
    const alert = crash('web-3', 'b2b2b2b2b2b2b2b2');
    const id = await hold(live, alert);
    const res = await decide(live, id, 'reject', { actor: 'carol', role: 'operator', reason: 'deploy in progress' });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({
      approval: { id, state: 'rejected', decidedBy: { actor: 'carol', role: 'operator' }, comment: 'deploy in progress' },
      decision: { outcome: 'rejected', reason: 'rejected by carol (operator): deploy in progress; not acted on' },
    });
    expect(evictions()).toEqual([]);
    await eventually(() => events().some((e) => e.reason === 'SelfHealingRejected' && e.involvedObject?.name === 'web-3'), 5000, 'no SelfHealingRejected Event');
    expect((await post(live, [alert]))[0]!.reason).toMatch(/^rejected by carol \(operator\) at .*: this incident is not acted on/);
    expect((await decide(live, id, 'approve', { actor: 'alice', role: 'admin' })).status).toBe(409);
  });

  it("confirms the AI engine's alert again at approval: an anomaly that ended meanwhile is not acted on", async () => {
    kube.clearRequests();
    engineAnomalies = [{ id: 'metrics:pg/aiops', kind: 'ConnectionsExhaustionPredicted', action: 'optimize-db' }];
    const id = await hold(live, {
      ...crash('x'),
      labels: { alertname: 'ConnectionsExhaustionPredicted', action: 'optimize-db', source: 'metrics', anomaly: 'metrics:pg/aiops', namespace: NS, severity: 'warning' },
    });
    engineAnomalies = [];
    const res = await decide(live, id, 'approve', { actor: 'alice', role: 'admin' });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({
      approval: { state: 'approved', result: { outcome: 'not-confirmed' } },
      decision: { outcome: 'not-confirmed', reason: 'the AI engine has no active ConnectionsExhaustionPredicted anomaly "metrics:pg/aiops"' },
    });
    expect(kube.mutations().filter((r) => r.path.endsWith('/jobs'))).toEqual([]);
  });

  it('a replica without the Lease answers approve, reject and (without PostgreSQL) the list with 503, so that the gateway asks again', async () => {
    const standby = await startExecutor(rulesFixture({ mode: 'approval' }), 'rel-self-healing-1', 'lease-approval');
    await new Promise((r) => setTimeout(r, 300));
    expect((await status(standby)).leader).toBe(false);
    const id = (await list(live, '?state=pending')).approvals[0]!.id;
    for (const res of [await decide(standby, id, 'approve', { actor: 'alice', role: 'admin' }), await decide(standby, id, 'reject', { actor: 'alice', role: 'admin' }), await request(standby.port, '/api/v1/approvals', { headers: auth() })]) {
      expect(res.status).toBe(503);
      expect(res.headers['retry-after']).toBe('5');
    }
    expect((await list(live)).approvals.find((a) => a.id === id)!.state).toBe('pending');
  });

  it('expires an unanswered approval at its TTL (Event SelfHealingApprovalExpired); approving it then is 409', async () => {
    const short = await startExecutor(rulesFixture({ mode: 'approval', guardrails: { approvalTtl: '1s' } }), 'rel-self-healing-exp', 'lease-expiry');
    await eventually(async () => (await status(short)).leader, 30_000, 'the short-TTL executor never took the Lease');
    const id = await hold(short, crash('exp-1'));
    await eventually(async () => (await list(short)).approvals.find((a) => a.id === id)!.state === 'expired', 5000, 'the approval never expired');
    const res = await decide(short, id, 'approve', { actor: 'alice', role: 'admin' });
    expect(res.status).toBe(409);
    expect(JSON.parse(res.body).error).toMatch(new RegExp(`^approval ${id} is expired \\(at .+\\): it can no longer be approved$`));
    await eventually(() => events().some((e) => e.reason === 'SelfHealingApprovalExpired' && e.involvedObject?.name === 'exp-1'), 5000, 'no expiry Event');
    const metrics = await (await fetch(`http://127.0.0.1:${short.metricsPort}/metrics`)).text();
    expect(metrics).toMatch(/aiops_self_healing_decisions_total\{rule="restart-abnormal-pods",outcome="expired",service="self-healing"\} 1/);
    expect(metrics).toMatch(/aiops_self_healing_pending_approvals\{service="self-healing"\} 0/);
    expect(evictions().filter((r) => r.path.includes('exp-1'))).toEqual([]);
  });

  it('lists by state and limit; refuses an unknown state or a bad limit', async () => {
    const all = await list(live);
    expect(all.approvals.map((a) => a.state).sort()).toEqual(expect.arrayContaining(['approved', 'rejected', 'pending']));
    const created = all.approvals.map((a) => Date.parse(a['createdAt'] as string));
    expect(created).toEqual([...created].sort((a, b) => b - a));
    expect((await list(live, '?state=rejected')).approvals.every((a) => a.state === 'rejected')).toBe(true);
    expect((await list(live, '?limit=1')).approvals).toHaveLength(1);
    for (const query of ['?state=done', '?limit=0', '?limit=1001', '?limit=x']) expect((await request(live.port, `/api/v1/approvals${query}`, { headers: auth() })).status, query).toBe(400);
  });
});
