import { describe, expect, it } from 'vitest';
import { approvalsFromRecords, type Approval } from '../../../src/services/self-healing/approvals.js';
import { toAuditRecord } from '../../../src/services/self-healing/decision-log.js';
import { DecisionEngine, describePlan, type ApprovalStep, type Decision, type Evaluation, type Ticket } from '../../../src/services/self-healing/engine.js';
import { alert, rulesFixture } from './rules-fixture.js';

/**
 * Approval mode in the pure decision engine: what is held (a confirmed live action, once per
 * incident, one per rule and target), what approve re-checks, reject, expiry, and the takeover of
 * approvals by a new Lease holder from the audit rows. Time is passed in (ms); nothing sleeps.
 */

const T0 = Date.parse('2026-12-06T10:00:00Z');
const MIN = 60_000;
const ALICE = { actor: 'alice', role: 'admin', reason: 'known flaky pod' };
const BOB = { actor: 'bob@example.org', role: 'operator' };

const crash = (pod: string, o: Parameters<typeof alert>[2] = {}) => alert('restart-pod', { namespace: 'aiops', pod }, o);
const approvalEngine = (o: Parameters<typeof rulesFixture>[0] = {}) => new DecisionEngine(rulesFixture({ mode: 'approval', ...o }));

function ticketOf(e: Evaluation): Ticket {
  if (!e.act) throw new Error(`expected to act, got ${e.decision.outcome}: ${e.decision.reason}`);
  return e.ticket;
}
function decisionOf(e: Evaluation): Decision {
  if (e.act) throw new Error(`expected a final decision, got a ticket for ${e.ticket.targetKey}`);
  return e.decision;
}
/** Evaluates `a` and holds its ticket (as the executor does once Prometheus confirmed it). */
function held(engine: DecisionEngine, a: ReturnType<typeof crash>, now: number): Decision {
  const t = ticketOf(engine.evaluate(a, now));
  expect(engine.needsApproval(t)).toBe(true);
  return engine.hold(t, now);
}
function stepOf<S extends ApprovalStep['status']>(step: ApprovalStep, status: S): Extract<ApprovalStep, { status: S }> {
  if (step.status !== status) throw new Error(`expected ${status}, got ${JSON.stringify(step)}`);
  return step as Extract<ApprovalStep, { status: S }>;
}

describe('what is held', () => {
  it('only live actions of alerts in approval mode: not in auto mode, not in dry run, never a scale-back', () => {
    expect(new DecisionEngine(rulesFixture()).needsApproval(ticketOf(new DecisionEngine(rulesFixture()).evaluate(crash('p'), T0)))).toBe(false);
    const dry = approvalEngine({ dryRun: true });
    expect(dry.needsApproval(ticketOf(dry.evaluate(crash('p'), T0)))).toBe(false);
    const live = approvalEngine();
    expect(live.needsApproval(ticketOf(live.evaluate(crash('p'), T0)))).toBe(true);
    // A scale-out done (before approval mode, or approved) is scaled back without asking.
    const engine = approvalEngine({ cooldown: '1m' });
    const firing = alert('scale-out', { app: 'api-gateway' });
    const t = ticketOf(engine.evaluate(firing, T0));
    engine.noteScaledOut(t, 2, 'scale');
    engine.finish(t, 'acted', 'scaled', T0);
    engine.evaluate({ ...firing, status: 'resolved' }, T0 + MIN);
    const [back] = engine.dueScaleBacks(T0 + 3 * MIN);
    expect(engine.needsApproval(back!)).toBe(false);
  });

  it('holds instead of acting: outcome pending with an id, the rule, target, alert, createdAt and expiry; the reservation ends and nothing counts as an attempt', () => {
    const engine = approvalEngine({ guardrails: { actionsPerHour: 1, approvalTtl: '30m' } });
    const a = crash('web-1', { fingerprint: 'f00d' });
    const d = held(engine, a, T0);
    expect(d).toMatchObject({
      outcome: 'pending',
      rule: 'restart-abnormal-pods',
      action: 'restart-pod',
      target: { kind: 'Pod', namespace: 'aiops', name: 'web-1' },
      reason: 'awaiting approval until 2026-12-06T10:30:00.000Z: would evict pod aiops/web-1',
      approval: { id: 'approval-1', summary: 'evict pod aiops/web-1', expiresAt: '2026-12-06T10:30:00.000Z', alert: { labels: a.labels, startsAt: a.startsAt, fingerprint: 'f00d' } },
    });
    expect(engine.running).toBe(0);
    expect(engine.circuitOpen(T0)).toBe(false);
    expect(engine.pendingApprovals).toBe(1);
    expect(engine.listApprovals({ limit: 10 })).toEqual([
      {
        id: 'approval-1',
        state: 'pending',
        rule: 'restart-abnormal-pods',
        action: 'restart-pod',
        target: { kind: 'Pod', namespace: 'aiops', name: 'web-1' },
        summary: 'evict pod aiops/web-1',
        alert: { labels: a.labels, startsAt: a.startsAt, fingerprint: 'f00d' },
        createdAt: '2026-12-06T10:00:00.000Z',
        expiresAt: '2026-12-06T10:30:00.000Z',
      },
    ]);
    // The held action used none of the breaker's room: another target can be acted on (and held).
    held(engine, crash('web-2'), T0);
    expect(engine.pendingApprovals).toBe(2);
  });

  it('does not hold the same incident twice, nor a second one on the same rule and target while one is pending', () => {
    const engine = approvalEngine();
    const a = crash('p', { fingerprint: 'aa' });
    held(engine, a, T0);
    expect(decisionOf(engine.evaluate(a, T0 + MIN))).toMatchObject({ outcome: 'skipped', reason: 'awaiting approval approval-1 until 2026-12-06T11:00:00.000Z' });
    const next = crash('p', { fingerprint: 'aa', startsAt: '2026-12-06T10:05:00Z' });
    expect(decisionOf(engine.evaluate(next, T0 + MIN)).reason).toBe('approval approval-1 for this target is pending until 2026-12-06T11:00:00.000Z');
    expect(engine.pendingApprovals).toBe(1);
  });

  it('describes each kind of action for the people who approve it', () => {
    const engine = approvalEngine({ guardrails: { maxConcurrent: 10 } });
    expect(describePlan(ticketOf(engine.evaluate(alert('scale-out', { app: 'ai-engine' }), T0)).plan)).toBe(
      'scale Deployment aiops/rel-ai-engine out by 1 (at most 4 replicas, by raising the minReplicas of HPA rel-ai-engine)',
    );
    expect(describePlan(ticketOf(engine.evaluate(alert('scale-out', { app: 'api-gateway' }), T0)).plan)).toBe('scale Deployment aiops/rel-api-gateway out by 1 (at most 4 replicas)');
    expect(describePlan(ticketOf(engine.evaluate(alert('optimize-db', {}), T0)).plan)).toBe('create a Job aiops/rel-postgresql-maintenance-…');
  });
});

describe('approve', () => {
  it('hands out a ticket that runs as in auto mode, with who approved; the action closes the incident and is the result', () => {
    const engine = approvalEngine();
    const a = crash('p', { fingerprint: 'aa' });
    held(engine, a, T0);
    const step = stepOf(engine.approve('approval-1', ALICE, T0 + 5 * MIN), 'act');
    expect(step.decisions).toMatchObject([
      {
        outcome: 'approved',
        reason: 'approved by alice (admin): known flaky pod',
        target: { name: 'p' },
        approval: { id: 'approval-1', actor: 'alice', role: 'admin', comment: 'known flaky pod', decidedAt: '2026-12-06T10:05:00.000Z' },
      },
    ]);
    expect(step.ticket.plan).toMatchObject({ type: 'evict-pod', pod: 'p' });
    expect(step.ticket.alert).toMatchObject({ status: 'firing', fingerprint: 'aa', labels: a.labels });
    expect(step.ticket.decision.approval).toMatchObject({ actor: 'alice', role: 'admin' });
    expect(engine.needsApproval(step.ticket)).toBe(false);
    expect(engine.running).toBe(1);
    expect(step.approval).toMatchObject({ state: 'approved', decidedBy: { actor: 'alice', role: 'admin' }, comment: 'known flaky pod', decidedAt: '2026-12-06T10:05:00.000Z' });
    engine.finish(step.ticket, 'acted', 'evicted the pod', T0 + 5 * MIN);
    expect(step.approval.result).toEqual({ outcome: 'acted', reason: 'evicted the pod' });
    expect(engine.pendingApprovals).toBe(0);
    // Attempts count now: cooldown for the target, and the incident is closed.
    expect(decisionOf(engine.evaluate(a, T0 + 6 * MIN)).reason).toBe('already acted on this incident');
    expect(decisionOf(engine.evaluate(crash('p'), T0 + 6 * MIN)).reason).toMatch(/^cooldown of 5m until/);
  });

  it('re-runs the guardrails at that moment: a breaker that opened meanwhile refuses it (approved, result skipped)', () => {
    const engine = approvalEngine({ guardrails: { actionsPerHour: 1 } });
    held(engine, crash('p'), T0);
    held(engine, crash('q'), T0);
    // Meanwhile the executor acted: the other approval used the hour's only action.
    const other = stepOf(engine.approve('approval-1', ALICE, T0 + MIN), 'act');
    engine.finish(other.ticket, 'acted', 'ok', T0 + MIN);
    const refused = stepOf(engine.approve('approval-2', BOB, T0 + 3 * MIN), 'decided');
    expect(refused.decisions.map((d) => [d.outcome, d.reason])).toEqual([
      ['approved', 'approved by bob@example.org (operator)'],
      ['skipped', 'circuit breaker open: 1 actions in the last hour (limit 1)'],
    ]);
    expect(refused.approval).toMatchObject({ state: 'approved', result: { outcome: 'skipped', reason: 'circuit breaker open: 1 actions in the last hour (limit 1)' } });
    expect(engine.running).toBe(0);
  });

  it('re-runs the cooldown and the give-up bound (attempts an earlier Lease holder made while it waited)', () => {
    const pod = { kind: 'Pod' as const, namespace: 'aiops', name: 'p' };
    const engine = approvalEngine({ cooldown: '10m', guardrails: { attemptsPerTarget: 2 } });
    held(engine, crash('p'), T0);
    engine.restore([{ at: T0 + MIN, rule: 'restart-abnormal-pods', outcome: 'failed', target: pod, fingerprint: 'x1' }], T0 + 2 * MIN);
    const cooling = stepOf(engine.approve('approval-1', ALICE, T0 + 2 * MIN), 'decided');
    expect(cooling.decisions.map((d) => [d.outcome, d.reason])).toEqual([
      ['approved', 'approved by alice (admin): known flaky pod'],
      ['skipped', 'cooldown of 10m until 2026-12-06T10:11:00.000Z'],
    ]);
    const other = approvalEngine({ cooldown: '1m', guardrails: { attemptsPerTarget: 2 } });
    held(other, crash('p'), T0);
    other.restore(
      [
        { at: T0 + MIN, rule: 'restart-abnormal-pods', outcome: 'failed', target: pod, fingerprint: 'x1' },
        { at: T0 + 3 * MIN, rule: 'restart-abnormal-pods', outcome: 'blocked', target: pod, fingerprint: 'x2' },
      ],
      T0 + 5 * MIN,
    );
    expect(stepOf(other.approve('approval-1', ALICE, T0 + 5 * MIN), 'decided').decisions.map((d) => d.outcome)).toEqual(['approved', 'gave-up']);
  });

  it('busy: too many actions running keeps the approval pending, to approve again', () => {
    const engine = approvalEngine({ guardrails: { maxConcurrent: 1 } });
    held(engine, crash('p'), T0);
    const running = ticketOf(engine.evaluate(alert('optimize-db', {}), T0)); // an action under way (not held: the test takes its ticket)
    const busy = stepOf(engine.approve('approval-1', ALICE, T0 + MIN), 'busy');
    expect(busy.decisions).toMatchObject([{ outcome: 'busy', reason: '1 actions running (limit 1): approve again later', approval: { id: 'approval-1' } }]);
    expect(busy.approval.state).toBe('pending');
    engine.finish(running, 'acted', 'ok', T0 + MIN);
    stepOf(engine.approve('approval-1', ALICE, T0 + 2 * MIN), 'act');
  });

  it('an approval already decided, or expired, is a conflict; an unknown id is not found', () => {
    const engine = approvalEngine({ guardrails: { approvalTtl: '10m' } });
    held(engine, crash('p'), T0);
    held(engine, crash('q'), T0);
    stepOf(engine.approve('approval-1', ALICE, T0 + MIN), 'act');
    expect(stepOf(engine.approve('approval-1', BOB, T0 + MIN), 'conflict').approval).toMatchObject({ state: 'approved', decidedBy: { actor: 'alice' } });
    expect(stepOf(engine.reject('approval-1', BOB, T0 + MIN), 'conflict').approval.state).toBe('approved');
    // Expired at its expiry, even before a tick noticed: the conflict carries the expiry to audit.
    const late = stepOf(engine.approve('approval-2', ALICE, T0 + 10 * MIN), 'conflict');
    expect(late.approval.state).toBe('expired');
    expect(late.decisions).toMatchObject([{ outcome: 'expired', target: { name: 'q' }, approval: { id: 'approval-2' } }]);
    expect(engine.approve('approval-9', ALICE, T0)).toEqual({ status: 'not-found' });
    expect(engine.reject('approval-9', ALICE, T0)).toEqual({ status: 'not-found' });
  });

  it('a rule no longer in the rules file (a new executor took the approval over): approved, result skipped', () => {
    const engine = approvalEngine();
    engine.restoreApprovals([{ ...pendingApproval('x1'), rule: 'gone' }], T0);
    const step = stepOf(engine.approve('x1', ALICE, T0 + MIN), 'decided');
    expect(step.decisions.map((d) => [d.outcome, d.reason])).toEqual([
      ['approved', 'approved by alice (admin): known flaky pod'],
      ['skipped', 'the rule gone is no longer in the rules file'],
    ]);
  });
});

describe('reject and expiry', () => {
  it('reject records who and why; the incident is not held again, a new incident is', () => {
    const engine = approvalEngine();
    const a = crash('p', { fingerprint: 'aa' });
    held(engine, a, T0);
    const step = stepOf(engine.reject('approval-1', { actor: 'carol', role: 'admin', reason: 'maintenance window' }, T0 + MIN), 'decided');
    expect(step.decisions).toMatchObject([
      { outcome: 'rejected', reason: 'rejected by carol (admin): maintenance window; not acted on', approval: { id: 'approval-1', actor: 'carol', role: 'admin', comment: 'maintenance window' } },
    ]);
    expect(engine.running).toBe(0);
    expect(decisionOf(engine.evaluate(a, T0 + 2 * MIN)).reason).toBe('rejected by carol (admin) at 2026-12-06T10:01:00.000Z: this incident is not acted on (approval approval-1)');
    held(engine, crash('p', { fingerprint: 'aa', startsAt: '2026-12-06T10:30:00Z' }), T0 + 31 * MIN);
  });

  it('expires unanswered approvals at their TTL, once; the incident is not held again', () => {
    const engine = approvalEngine({ guardrails: { approvalTtl: '15m' } });
    const a = crash('p');
    held(engine, a, T0);
    expect(engine.expireDue(T0 + 15 * MIN - 1)).toEqual([]);
    const [expired] = engine.expireDue(T0 + 15 * MIN);
    expect(expired).toMatchObject({ outcome: 'expired', rule: 'restart-abnormal-pods', target: { name: 'p' }, reason: 'nobody approved or rejected it by 2026-12-06T10:15:00.000Z: not acted on' });
    expect(engine.expireDue(T0 + 16 * MIN)).toEqual([]);
    expect(engine.pendingApprovals).toBe(0);
    expect(engine.listApprovals({ state: 'expired', limit: 5 })).toMatchObject([{ id: 'approval-1', decidedAt: '2026-12-06T10:15:00.000Z' }]);
    expect(decisionOf(engine.evaluate(a, T0 + 20 * MIN)).reason).toBe('approval approval-1 expired unanswered at 2026-12-06T10:15:00.000Z: this incident is not held again');
  });

  it('lists newest first, by state, and forgets decided approvals after a day', () => {
    const engine = approvalEngine({ guardrails: { approvalTtl: '1h' } });
    held(engine, crash('a'), T0);
    held(engine, crash('b'), T0 + MIN);
    held(engine, crash('c'), T0 + 2 * MIN);
    engine.reject('approval-2', BOB, T0 + 3 * MIN);
    expect(engine.listApprovals({ limit: 10 }).map((a) => a.id)).toEqual(['approval-3', 'approval-2', 'approval-1']);
    expect(engine.listApprovals({ state: 'pending', limit: 10 }).map((a) => a.id)).toEqual(['approval-3', 'approval-1']);
    expect(engine.listApprovals({ limit: 1 }).map((a) => a.id)).toEqual(['approval-3']);
    engine.expireDue(T0 + 2 * 60 * MIN);
    engine.evaluate(crash('z'), T0 + 24 * 60 * MIN + 4 * MIN); // any evaluation prunes: approval-2 was decided a day ago
    expect(engine.listApprovals({ limit: 10 }).map((a) => a.id)).toEqual(['approval-3', 'approval-1']);
    engine.evaluate(crash('z'), T0 + 26 * 60 * MIN + 1);
    expect(engine.listApprovals({ limit: 10 })).toEqual([]);
  });
});

/** A pending approval of pod p as an earlier Lease holder stored it. */
function pendingApproval(id: string): Approval {
  const a = crash('p', { fingerprint: 'beef' });
  return {
    id,
    state: 'pending',
    rule: 'restart-abnormal-pods',
    action: 'restart-pod',
    target: { kind: 'Pod', namespace: 'aiops', name: 'p' },
    summary: 'evict pod aiops/p',
    alert: { labels: a.labels, startsAt: a.startsAt, fingerprint: a.fingerprint },
    createdAt: new Date(T0 - MIN).toISOString(),
    expiresAt: new Date(T0 + 59 * MIN).toISOString(),
  };
}

describe('takeover by a new Lease holder', () => {
  it('rebuilds the approvals from the audit rows of the earlier holder: pending, approved with its result, rejected, expired', () => {
    const before = approvalEngine({ guardrails: { approvalTtl: '30m' } });
    const decisions: Decision[] = [];
    const alerts = Object.fromEntries(['a', 'b', 'c', 'd'].map((pod) => [pod, crash(pod)]));
    for (const a of Object.values(alerts)) decisions.push(held(before, a, T0));
    const approved = stepOf(before.approve('approval-1', ALICE, T0 + MIN), 'act');
    decisions.push(...approved.decisions, before.finish(approved.ticket, 'acted', 'evicted', T0 + MIN));
    decisions.push(...stepOf(before.reject('approval-2', BOB, T0 + 2 * MIN), 'decided').decisions);
    decisions.push(...before.expireDue(T0 + 30 * MIN).filter((d) => d.approval?.id === 'approval-3'));
    const rows = decisions.map((d) => toAuditRecord(d, 'rel-self-healing-0'));
    // The store returns rows in any order.
    const rebuilt = approvalsFromRecords([...rows].reverse());
    const byId = Object.fromEntries(rebuilt.map((a) => [a.id, a]));
    expect(byId['approval-1']).toMatchObject({ state: 'approved', decidedBy: { actor: 'alice', role: 'admin' }, comment: 'known flaky pod', result: { outcome: 'acted', reason: 'evicted' } });
    expect(byId['approval-2']).toMatchObject({ state: 'rejected', decidedBy: { actor: 'bob@example.org', role: 'operator' } });
    expect(byId['approval-3']).toMatchObject({ state: 'expired', decidedAt: '2026-12-06T10:30:00.000Z' });
    // approval-4's expiry row is not written yet: pending, exactly as it was held.
    expect(byId['approval-4']).toEqual({ ...before.listApprovals({ limit: 10 }).find((a) => a.id === 'approval-4')!, state: 'pending', decidedAt: undefined });

    const after = approvalEngine({ guardrails: { approvalTtl: '30m' } });
    after.restoreApprovals(rebuilt, T0 + 3 * MIN);
    expect(after.pendingApprovals).toBe(1);
    // The incidents held before are not held again here.
    expect(decisionOf(after.evaluate(alerts['b']!, T0 + 4 * MIN)).reason).toMatch(/^rejected by bob@example.org \(operator\)/);
    expect(decisionOf(after.evaluate(alerts['c']!, T0 + 4 * MIN)).reason).toMatch(/^approval approval-3 expired unanswered/);
    expect(decisionOf(after.evaluate(alerts['d']!, T0 + 4 * MIN)).reason).toMatch(/^awaiting approval approval-4 until/);
    // Another incident on pod d waits too: one pending approval per rule and target.
    expect(decisionOf(after.evaluate(crash('d'), T0 + 4 * MIN)).reason).toMatch(/^approval approval-4 for this target is pending/);
    // The pending one can be approved here, and acts.
    const step = stepOf(after.approve('approval-4', ALICE, T0 + 5 * MIN), 'act');
    expect(step.ticket.plan).toMatchObject({ type: 'evict-pod', pod: 'd' });
    // A known pending approval takes the decision the other holder stored; a decided one stays decided.
    after.restoreApprovals([{ ...pendingApproval('approval-9') }], T0 + 5 * MIN);
    after.restoreApprovals([{ ...pendingApproval('approval-9'), state: 'rejected', decidedAt: new Date(T0).toISOString() }], T0 + 5 * MIN);
    expect(after.listApprovals({ state: 'rejected', limit: 10 }).map((a) => a.id)).toContain('approval-9');
  });

  it('leaves out rows of an approval whose pending row is gone (pruned), and rows without an approval', () => {
    const engine = approvalEngine();
    const d = held(engine, crash('p'), T0);
    const rejected = stepOf(engine.reject('approval-1', BOB, T0 + MIN), 'decided').decisions[0]!;
    const plain = engine.evaluate(crash('q'), T0);
    expect(approvalsFromRecords([toAuditRecord(rejected, 'x')])).toEqual([]);
    expect(approvalsFromRecords([toAuditRecord(d, 'x'), toAuditRecord(rejected, 'x')])).toHaveLength(1);
    expect(plain.act).toBe(true);
  });
});
