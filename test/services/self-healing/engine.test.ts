import { describe, expect, it } from 'vitest';
import { DecisionEngine, scaleOutTo, type Evaluation, type Ticket } from '../../../src/services/self-healing/engine.js';
import { alert, rulesFixture } from './rules-fixture.js';

/**
 * The pure decision engine alone: every rule, every bound, cooldown, give-up, dedupe, resolved
 * alerts, HPA-owned targets and dry run. Time is passed in (ms); nothing here sleeps.
 */

const T0 = Date.parse('2026-12-06T10:00:00Z');
const MIN = 60_000;

const crash = (pod: string, o: Parameters<typeof alert>[2] = {}) => alert('restart-pod', { namespace: 'aiops', pod }, o);

function ticketOf(e: Evaluation): Ticket {
  if (!e.act) throw new Error(`expected to act, got ${e.decision.outcome}: ${e.decision.reason}`);
  return e.ticket;
}
function decisionOf(e: Evaluation) {
  if (e.act) throw new Error(`expected a final decision, got a ticket for ${e.ticket.targetKey}`);
  return e.decision;
}

describe('rules and targets', () => {
  it('evicts the pod a crash-loop alert names, in an allowed namespace, never its own', () => {
    const engine = new DecisionEngine(rulesFixture(), { ownPod: 'rel-self-healing-abc' });
    const t = ticketOf(engine.evaluate(crash('rel-api-gateway-1'), T0));
    expect(t.plan).toEqual({ type: 'evict-pod', namespace: 'aiops', pod: 'rel-api-gateway-1', excludePods: { 'app.kubernetes.io/name': 'self-healing' } });
    expect(t.decision.target).toEqual({ kind: 'Pod', namespace: 'aiops', name: 'rel-api-gateway-1' });
    expect(decisionOf(engine.evaluate(alert('restart-pod', { namespace: 'kube-system', pod: 'coredns-1' }), T0)).reason).toMatch(/namespace kube-system is not one the rule acts in/);
    expect(decisionOf(engine.evaluate(crash('rel-self-healing-abc'), T0)).reason).toMatch(/never evicts its own pod/);
    expect(decisionOf(engine.evaluate(alert('restart-pod', { namespace: 'aiops' }), T0)).reason).toMatch(/no namespace and pod labels/);
    // Hostile pod labels never reach an API path.
    for (const pod of ['../../secrets/x', 'web-1/eviction', 'Web-1', 'web-1?dryRun=', 'a'.repeat(254), 'web 1', '-web']) {
      expect(decisionOf(engine.evaluate(crash(pod), T0)).reason).toMatch(/ is not a pod name$/);
    }
  });

  it('skips alerts without a rule: unknown or missing action label, action none', () => {
    const engine = new DecisionEngine(rulesFixture());
    expect(decisionOf(engine.evaluate(alert('none', {}), T0))).toMatchObject({ outcome: 'skipped', rule: 'none', reason: 'no rule acts on action "none"' });
    const noLabel = { ...alert('x', {}), labels: { alertname: 'Foo' } };
    expect(decisionOf(engine.evaluate(noLabel, T0)).reason).toBe('the alert has no action label');
  });

  it('scales the workload named by app or by the Traefik service label, nothing else', () => {
    const engine = new DecisionEngine(rulesFixture());
    expect(ticketOf(engine.evaluate(alert('scale-out', { app: 'api-gateway' }), T0)).plan).toMatchObject({ type: 'scale-out', target: { name: 'rel-api-gateway' } });
    expect(ticketOf(engine.evaluate(alert('scale-out', { service: 'aiops-rel-ai-engine-http@kubernetes' }), T0)).plan).toMatchObject({ target: { name: 'rel-ai-engine', autoscaler: 'rel-ai-engine' } });
    for (const labels of [{ node: 'n1' }, { service: 'aiops-rel-ai-engine-http@kubernetes-evil' }, { service: 'x|aiops-rel-ai-engine-http@kubernetes' }, { app: 'grafana' }] as Record<string, string>[]) {
      expect(decisionOf(engine.evaluate(alert('scale-out', labels), T0)).reason).toMatch(/names no workload the rule may scale/);
    }
  });

  it('creates the Job of a create-job rule, one target per rule', () => {
    const engine = new DecisionEngine(rulesFixture());
    const t = ticketOf(engine.evaluate(alert('optimize-db', { pod: 'rel-postgresql-0' }), T0));
    expect(t.plan.type).toBe('create-job');
    expect(t.decision.target).toEqual({ kind: 'Job', namespace: 'aiops', name: 'rel-postgresql-maintenance' });
  });

  it('scaleOutTo stays within [min, max] and the HPA ceiling, undefined at the bound', () => {
    const a = { step: 1, minReplicas: 2, maxReplicas: 4 };
    expect(scaleOutTo(1, a)).toBe(2);
    expect(scaleOutTo(2, a)).toBe(3);
    expect(scaleOutTo(3, { ...a, step: 5 })).toBe(4);
    expect(scaleOutTo(4, a)).toBeUndefined();
    expect(scaleOutTo(9, a)).toBeUndefined();
    expect(scaleOutTo(2, a, 2)).toBeUndefined();
  });
});

describe('guardrails', () => {
  it('acts once per incident: the same fingerprint and startsAt again is a duplicate, a new startsAt a new incident', () => {
    const engine = new DecisionEngine(rulesFixture({ cooldown: '1s' }));
    const first = crash('p', { fingerprint: 'aa' });
    engine.finish(ticketOf(engine.evaluate(first, T0)), 'acted', 'evicted', T0);
    expect(decisionOf(engine.evaluate(first, T0 + MIN))).toMatchObject({ outcome: 'skipped', reason: 'already acted on this incident' });
    ticketOf(engine.evaluate(crash('p', { fingerprint: 'aa', startsAt: '2026-12-06T10:30:00Z' }), T0 + MIN));
  });

  it('one action per target at a time', () => {
    const engine = new DecisionEngine(rulesFixture());
    ticketOf(engine.evaluate(crash('p'), T0));
    expect(decisionOf(engine.evaluate(crash('p'), T0)).reason).toBe('an action on this target is running');
  });

  it('cooldown per rule and target, counted from the last attempt', () => {
    const engine = new DecisionEngine(rulesFixture({ cooldown: '5m' }));
    engine.finish(ticketOf(engine.evaluate(crash('p'), T0)), 'acted', 'ok', T0);
    expect(decisionOf(engine.evaluate(crash('p'), T0 + 4 * MIN)).reason).toMatch(/^cooldown of 5m until 2026-12-06T10:05:00.000Z/);
    ticketOf(engine.evaluate(crash('q'), T0 + 4 * MIN)); // another target is not cooling down
    ticketOf(engine.evaluate(crash('p'), T0 + 5 * MIN));
  });

  it('gives up after attemptsPerTarget attempts in the window: gave-up once, then skipped, room again after the window', () => {
    const engine = new DecisionEngine(rulesFixture({ cooldown: '1m', guardrails: { attemptsPerTarget: 2, window: '1h' } }));
    engine.finish(ticketOf(engine.evaluate(crash('p'), T0)), 'acted', 'ok', T0);
    engine.finish(ticketOf(engine.evaluate(crash('p'), T0 + 2 * MIN)), 'failed', 'boom', T0 + 2 * MIN);
    const gaveUp = decisionOf(engine.evaluate(crash('p'), T0 + 4 * MIN));
    expect(gaveUp).toMatchObject({ outcome: 'gave-up', rule: 'restart-abnormal-pods', target: { kind: 'Pod', name: 'p' } });
    expect(gaveUp.reason).toBe('2 attempts within 1h did not heal it: giving up until 2026-12-06T11:00:00.000Z');
    expect(decisionOf(engine.evaluate(crash('p'), T0 + 10 * MIN))).toMatchObject({ outcome: 'skipped', reason: 'gave up on this target until 2026-12-06T11:00:00.000Z' });
    // The first attempt leaves the window: one more is allowed.
    ticketOf(engine.evaluate(crash('p'), T0 + 61 * MIN));
  });

  it('not-confirmed and skipped outcomes count for nothing: a forged alert cannot use up attempts or open the breaker', () => {
    const engine = new DecisionEngine(rulesFixture({ guardrails: { attemptsPerTarget: 1, actionsPerHour: 1 } }));
    for (let i = 0; i < 5; i++) engine.finish(ticketOf(engine.evaluate(crash('p'), T0 + i)), 'not-confirmed', 'no ALERTS series', T0 + i);
    expect(engine.circuitOpen(T0 + 10)).toBe(false);
    engine.finish(ticketOf(engine.evaluate(crash('p'), T0 + 10)), 'acted', 'ok', T0 + 10);
  });

  it('the circuit breaker opens at actionsPerHour attempts in the last hour, all targets together, and closes as they age', () => {
    const engine = new DecisionEngine(rulesFixture({ guardrails: { actionsPerHour: 3 } }));
    for (const pod of ['a', 'b', 'c']) engine.finish(ticketOf(engine.evaluate(crash(pod), T0)), 'acted', 'ok', T0);
    expect(engine.circuitOpen(T0 + MIN)).toBe(true);
    expect(decisionOf(engine.evaluate(crash('d'), T0 + MIN)).reason).toBe('circuit breaker open: 3 actions in the last hour (limit 3)');
    expect(engine.circuitOpen(T0 + 60 * MIN + 1)).toBe(false);
    ticketOf(engine.evaluate(crash('d'), T0 + 60 * MIN + 1));
  });

  it('at most maxConcurrent actions at once: the next alert is busy (retried by Alertmanager), not lost', () => {
    const engine = new DecisionEngine(rulesFixture({ guardrails: { maxConcurrent: 2 } }));
    const a = ticketOf(engine.evaluate(crash('a'), T0));
    ticketOf(engine.evaluate(crash('b'), T0));
    const busy = decisionOf(engine.evaluate(crash('c'), T0));
    expect(busy).toMatchObject({ outcome: 'busy' });
    engine.finish(a, 'acted', 'ok', T0);
    ticketOf(engine.evaluate(crash('c'), T0));
    expect(engine.running).toBe(2);
  });

  it('blocked (PDB) and failed attempts keep the incident open for a retry after the cooldown', () => {
    const engine = new DecisionEngine(rulesFixture({ cooldown: '1m' }));
    const a = crash('p');
    engine.finish(ticketOf(engine.evaluate(a, T0)), 'blocked', 'pdb', T0);
    expect(decisionOf(engine.evaluate(a, T0 + 1000)).reason).toMatch(/^cooldown/);
    ticketOf(engine.evaluate(a, T0 + MIN));
  });
});

describe('resolved alerts and scale-back', () => {
  it('never acts on a resolved alert', () => {
    const engine = new DecisionEngine(rulesFixture());
    for (const a of [crash('p', { status: 'resolved' }), alert('optimize-db', {}, { status: 'resolved' }), alert('scale-out', { app: 'api-gateway' }, { status: 'resolved' })]) {
      expect(decisionOf(engine.evaluate(a, T0))).toMatchObject({ outcome: 'skipped', reason: 'alert resolved: nothing to undo' });
    }
  });

  it('scales back to the original count once the alert resolved and the cooldown passed; a new firing cancels it', () => {
    const engine = new DecisionEngine(rulesFixture({ cooldown: '5m' }));
    const firing = alert('scale-out', { app: 'api-gateway' }, { fingerprint: 'bb' });
    const t = ticketOf(engine.evaluate(firing, T0));
    engine.noteScaledOut(t, 2, 'scale');
    engine.finish(t, 'acted', 'scaled 2 → 3', T0);
    expect(engine.scaledOut).toBe(1);
    expect(engine.dueScaleBacks(T0 + 60 * MIN)).toEqual([]); // still firing
    const resolved = decisionOf(engine.evaluate({ ...firing, status: 'resolved' }, T0 + MIN));
    expect(resolved.reason).toBe('alert resolved: back to 2 replicas after the cooldown, at 2026-12-06T10:06:00.000Z');
    expect(engine.dueScaleBacks(T0 + 5 * MIN)).toEqual([]);
    // Firing again (new incident) before the cooldown ends: no scale-back.
    engine.evaluate({ ...firing, startsAt: '2026-12-06T10:03:00Z' }, T0 + 3 * MIN);
    expect(engine.dueScaleBacks(T0 + 10 * MIN)).toEqual([]);
    engine.evaluate({ ...firing, status: 'resolved' }, T0 + 10 * MIN);
    const [back] = engine.dueScaleBacks(T0 + 15 * MIN);
    expect(back!.plan).toEqual({ type: 'scale-back', namespace: 'aiops', target: expect.objectContaining({ name: 'rel-api-gateway' }), replicas: 2, via: 'scale' });
    expect(engine.dueScaleBacks(T0 + 15 * MIN)).toEqual([]); // reserved
    engine.finish(back!, 'acted', 'scaled back', T0 + 15 * MIN);
    expect(engine.scaledOut).toBe(0);
  });

  it('keeps the original of the first scale-out across later ones, and retries a failed scale-back after another cooldown', () => {
    const engine = new DecisionEngine(rulesFixture({ cooldown: '1m' }));
    const firing = alert('scale-out', { app: 'ai-engine' }, { fingerprint: 'cc' });
    const t1 = ticketOf(engine.evaluate(firing, T0));
    engine.noteScaledOut(t1, 1, 'autoscaler');
    engine.finish(t1, 'acted', 'minReplicas 1 → 2', T0);
    const t2 = ticketOf(engine.evaluate({ ...firing, startsAt: '2026-12-06T10:02:00Z' }, T0 + 2 * MIN));
    engine.noteScaledOut(t2, 2, 'autoscaler');
    engine.finish(t2, 'acted', 'minReplicas 2 → 3', T0 + 2 * MIN);
    engine.evaluate({ ...firing, status: 'resolved' }, T0 + 3 * MIN);
    const [back] = engine.dueScaleBacks(T0 + 4 * MIN);
    expect(back!.plan).toMatchObject({ replicas: 1, via: 'autoscaler' });
    engine.finish(back!, 'failed', 'API down', T0 + 4 * MIN);
    expect(engine.dueScaleBacks(T0 + 4 * MIN + 1000)).toEqual([]);
    expect(engine.dueScaleBacks(T0 + 5 * MIN)).toHaveLength(1);
  });
});

describe('dry run', () => {
  it('decides like a live run and marks every decision dryRun; dry-run attempts count for the bounds', () => {
    const engine = new DecisionEngine(rulesFixture({ dryRun: true, guardrails: { attemptsPerTarget: 1 } }));
    const t = ticketOf(engine.evaluate(crash('p'), T0));
    expect(t.decision.dryRun).toBe(true);
    expect(engine.finish(t, 'dry-run', 'would evict', T0)).toMatchObject({ outcome: 'dry-run', dryRun: true });
    expect(decisionOf(engine.evaluate(crash('p'), T0 + 10 * MIN)).outcome).toBe('gave-up');
  });
});

describe('takeover', () => {
  it('restores attempts, cooldowns, the breaker, give-ups and acted alerts from the audit of an earlier Lease holder', () => {
    const engine = new DecisionEngine(rulesFixture({ cooldown: '5m', guardrails: { attemptsPerTarget: 2, actionsPerHour: 3 } }));
    const pod = (name: string) => ({ kind: 'Pod' as const, namespace: 'aiops', name });
    engine.restore(
      [
        { at: T0 - 2 * MIN, rule: 'restart-abnormal-pods', outcome: 'acted', target: pod('a'), fingerprint: 'f1' },
        { at: T0 - 30 * MIN, rule: 'restart-abnormal-pods', outcome: 'failed', target: pod('b'), fingerprint: 'f2' },
        { at: T0 - 20 * MIN, rule: 'restart-abnormal-pods', outcome: 'blocked', target: pod('b'), fingerprint: 'f3' },
        { at: T0 - 3 * 60 * MIN, rule: 'restart-abnormal-pods', outcome: 'acted', target: pod('c'), fingerprint: 'f4' },
        { at: T0 - MIN, rule: 'restart-abnormal-pods', outcome: 'skipped', target: pod('d'), fingerprint: 'f5' },
      ],
      T0,
    );
    // The alert acted on before: skipped even with the same fingerprint and another startsAt.
    expect(decisionOf(engine.evaluate(crash('a', { fingerprint: 'f1', startsAt: '2026-12-06T09:00:00Z' }), T0)).reason).toBe('an earlier executor already acted on this alert');
    // Pod a: cooldown from the earlier attempt.
    expect(decisionOf(engine.evaluate(crash('a'), T0)).reason).toMatch(/^cooldown of 5m/);
    // Pod b: two attempts within the window: give up.
    expect(decisionOf(engine.evaluate(crash('b'), T0)).outcome).toBe('gave-up');
    // Three attempts within the hour (a, b, b; c is older): the breaker is open.
    expect(engine.circuitOpen(T0)).toBe(true);
    expect(decisionOf(engine.evaluate(crash('e'), T0)).reason).toMatch(/^circuit breaker open: 3 actions/);
    expect(engine.circuitOpen(T0 + 41 * MIN)).toBe(false);
  });
});
