/**
 * Approvals across a Lease handover, on real servers: two executor replicas share a real
 * PostgreSQL (Debian's server binaries, SCRAM over TCP) and a Lease on the recording fake
 * Kubernetes API; Debian's Prometheus has the alerts firing. The holder holds an action; the
 * standby lists it from the audit table; the holder stops, the standby takes the Lease and the
 * pending approval over from the audit table, does not hold the same incident again, and acts
 * when a person approves, with the approver in the audit table.
 *
 * Needs prometheus and the PostgreSQL server binaries; skipped with a warning locally when
 * missing, fails in CI.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningService } from '../../src/services/kit/run.js';
import { actionRequests, startFakeKubeApi, type FakeKubeApi } from '../support/fake-kube-api.js';
import { postgresPresent, PostgresCluster } from '../support/postgresql-server.js';
import { toolsPresent } from '../support/process.js';
import { PROMETHEUS_BINARY, startPrometheus, type TestServer } from '../support/prom-servers.js';
import { until } from '../support/until.js';
import { request } from '../services/kit/http.js';
import { rulesFixture } from '../services/self-healing/rules-fixture.js';
import { startExecutorService } from '../support/executor-service.js';

const haveServers = postgresPresent('the self-healing approval takeover tests') && toolsPresent('the self-healing approval takeover tests', PROMETHEUS_BINARY ? [] : ['prometheus'], 'Debian: apt-get install prometheus');

const NS = 'aiops';
const USER = 'executor';
const PASSWORD = 'executor-password';
const DB = 'platform';
const WEBHOOK_TOKEN = 'webhook-token-0123456789abcdef';
const APPROVAL_TOKEN = 'approval-token-0123456789abcdef';
const RULES = `groups:
  - name: fixed
    interval: 1s
    rules:
      - alert: PodCrashLooping
        expr: vector(1)
        labels: { action: restart-pod, namespace: ${NS}, pod: web-1, severity: critical }
`;

const eventually = (what: string, check: () => Promise<boolean> | boolean, timeoutMs = 15_000) => until(what, async () => ((await check()) ? true : undefined), timeoutMs);

describe.runIf(haveServers)('approvals across a Lease handover (real PostgreSQL and Prometheus, fake Kubernetes API)', { timeout: 90_000 }, () => {
  let cluster: PostgresCluster;
  let prometheus: TestServer;
  let kube: FakeKubeApi;
  let dir: string;
  const replicas: RunningService[] = [];

  const start = async (pod: string): Promise<RunningService> => {
    const service = await startExecutorService({
      dir,
      rules: join(dir, 'rules.json'),
      pod,
      namespace: NS,
      lease: 'rel-self-healing',
      webhookToken: WEBHOOK_TOKEN,
      kube,
      prometheusUrl: prometheus.url,
      env: {
        APPROVAL_TOKEN,
        POSTGRES_HOST: '127.0.0.1',
        POSTGRES_PORT: String(cluster.port),
        POSTGRES_DB: DB,
        POSTGRES_USER: USER,
        POSTGRES_PASSWORD: PASSWORD,
        POSTGRES_SSLMODE: 'disable',
      },
    });
    replicas.push(service);
    return service;
  };
  const status = async (s: RunningService) => JSON.parse((await request(s.port, '/api/v1/status')).body) as { leader: boolean; audit: string; pendingApprovals: number };
  const approvals = async (s: RunningService) => {
    const res = await request(s.port, '/api/v1/approvals', { headers: { authorization: `Bearer ${APPROVAL_TOKEN}` } });
    return { status: res.status, body: res.status === 200 ? (JSON.parse(res.body) as { source: string; approvals: { id: string; state: string; decidedBy?: { actor: string } }[] }) : undefined };
  };
  const alert = {
    status: 'firing',
    labels: { alertname: 'PodCrashLooping', action: 'restart-pod', namespace: NS, pod: 'web-1', severity: 'critical' },
    annotations: {},
    startsAt: '2026-12-06T10:00:00Z',
    fingerprint: 'c0ffee0000000001',
  };
  const post = async (s: RunningService) => {
    const res = await request(s.port, '/api/v1/alerts', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${WEBHOOK_TOKEN}` },
      body: JSON.stringify({ version: '4', groupKey: '{}', status: 'firing', receiver: 'self-healing', alerts: [alert] }),
    });
    expect(res.status).toBe(200);
    return (JSON.parse(res.body) as { decisions: { outcome: string; reason: string; approval?: { id: string } }[] }).decisions[0]!;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'self-healing-takeover-'));
    cluster = await PostgresCluster.forApplication('pg-approvals-test-', USER, PASSWORD);
    await cluster.psql('postgres', `CREATE DATABASE ${DB} OWNER ${USER}`);
    prometheus = await startPrometheus({ config: 'global: { evaluation_interval: 1s }\nrule_files: [rules.yml]\n', rules: RULES });
    kube = await startFakeKubeApi();
    kube.seed({ pods: [{ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web-1', namespace: NS, labels: { 'app.kubernetes.io/name': 'web' } } }] });
    writeFileSync(join(dir, 'rules.json'), JSON.stringify(rulesFixture({ mode: 'approval' })));
    writeFileSync(join(dir, 'sa-token'), kube.clientOptions().token);
    await eventually('the alert to fire', async () => {
      const res = await fetch(`${prometheus.url}/api/v1/query?query=${encodeURIComponent('ALERTS{alertstate="firing"}')}`);
      return ((await res.json()) as { data: { result: unknown[] } }).data.result.length === 1;
    });
  }, 60_000);

  afterAll(async () => {
    await Promise.allSettled(replicas.map((s) => s.shutdown('test done')));
    await kube?.close();
    await prometheus?.stop();
    await cluster?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 40_000);

  it('the new Lease holder takes the pending approval over from the audit table and acts when it is approved', async () => {
    const first = await start('rel-self-healing-0');
    await eventually('the first replica to lead with its audit table', async () => {
      const s = await status(first);
      return s.leader && s.audit === 'postgresql';
    });
    const second = await start('rel-self-healing-1');
    await eventually('the second replica to migrate', async () => (await status(second)).audit === 'postgresql');
    expect((await status(second)).leader).toBe(false);

    const held = await post(first);
    expect(held.outcome).toBe('pending');
    const id = held.approval!.id;
    await eventually('the pending row', async () => (await cluster.psql(DB, `SELECT count(*) FROM self_healing_actions WHERE approval_id = '${id}' AND outcome = 'pending'`)) === '1');

    // The standby answers the list from the audit table.
    const fromTable = await approvals(second);
    expect(fromTable.body).toMatchObject({ source: 'postgresql', approvals: [{ id, state: 'pending' }] });

    // The holder stops (releasing the Lease); the standby takes it and the approval over.
    await first.shutdown('handover');
    await eventually('the second replica to take the Lease', async () => (await status(second)).leader, 30_000);
    await eventually('the approval to be taken over', async () => (await approvals(second)).body?.source === 'memory' && (await status(second)).pendingApprovals === 1);
    expect((await approvals(second)).body!.approvals).toMatchObject([{ id, state: 'pending' }]);
    // Alertmanager repeats the alert: not held a second time.
    expect(await post(second)).toMatchObject({ outcome: 'skipped', reason: expect.stringMatching(new RegExp(`^awaiting approval ${id} until `)) });
    expect(actionRequests(kube).filter((r) => r.path.endsWith('/eviction'))).toEqual([]);

    const res = await request(second.port, `/api/v1/approvals/${id}/approve`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${APPROVAL_TOKEN}` },
      body: JSON.stringify({ actor: 'alice', role: 'admin', reason: 'after the handover' }),
    });
    expect(res.status, res.body).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ approval: { id, state: 'approved', result: { outcome: 'acted' } }, decision: { outcome: 'acted' } });
    expect(actionRequests(kube).filter((r) => r.path.endsWith('/eviction'))).toMatchObject([{ method: 'POST', path: `/api/v1/namespaces/${NS}/pods/web-1/eviction` }]);

    await eventually('the approved and acted rows', async () => (await cluster.psql(DB, `SELECT count(*) FROM self_healing_actions WHERE approval_id = '${id}'`)) === '3');
    const rows = await cluster.psql(DB, `SELECT outcome, pod, coalesce(approver, '-'), coalesce(approver_role, '-'), coalesce(approver_reason, '-'), approved_at IS NOT NULL FROM self_healing_actions WHERE approval_id = '${id}' ORDER BY id`);
    expect(rows.split('\n')).toEqual([
      'pending|rel-self-healing-0|-|-|-|f',
      'approved|rel-self-healing-1|alice|admin|after the handover|t',
      'acted|rel-self-healing-1|alice|admin|after the handover|t',
    ]);
  });
});
