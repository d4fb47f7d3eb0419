import { durationMillis as durationMs } from '../../core/duration.js';
import { type CreateJobRule, type EvictPodRule, type RulesFile, type ScaleRule, type ScaleTargetEntry, type SelfHealingRule } from '../../core/self-healing-rules.js';
import type { WebhookAlert } from './alerts.js';
import { ApprovalBook, type Approval, type ApprovalState, type Decider, type HeldAlert } from './approvals.js';

/**
 * The executor's decisions, pure: which alert leads to which action on which target, within the
 * guardrails of the rules file. No I/O and no clock: every method takes `now` (ms since the
 * epoch). The executor (executor.ts) verifies, acts and reports the outcome back with
 * {@link DecisionEngine.finish}. Guardrails, in the order they are checked for a firing alert:
 *
 * 1. a rule for the alert's `action` label, and a target the alert names that the rule allows;
 * 2. once per incident: an incident is the alert's fingerprint and `startsAt` (a new firing after
 *    a resolve is a new incident), per rule and target; one action per target at a time;
 * 3. give up: after `attemptsPerTarget` attempts on a target within `window`, the next incident is
 *    answered with `gave-up` once (the executor escalates: Warning Event, metric, alert), later
 *    ones are skipped until the window has room again;
 * 4. the rule's cooldown per target, counted from the last attempt;
 * 5. the circuit breaker: at most `actionsPerHour` attempts in the last hour, all targets together;
 * 6. at most `maxConcurrent` actions at once (`busy`: the executor asks Alertmanager to retry).
 *
 * In approval mode (`mode: approval`), a live action that passed confirmation and every guardrail
 * is held instead ({@link DecisionEngine.hold}, outcome `pending`; approvals.ts): once per incident,
 * one per rule and target at a time. {@link DecisionEngine.approve} checks the guardrails again at
 * that moment and hands out a ticket like {@link DecisionEngine.evaluate} (the executor confirms
 * the alert again before acting); {@link DecisionEngine.reject} and {@link DecisionEngine.expireDue}
 * close it. Nothing held counts as an attempt.
 *
 * Scale-outs are undone: once the alert resolved and the rule's cooldown passed,
 * {@link DecisionEngine.dueScaleBacks} hands out the scale-back to the replica count (or HPA
 * minReplicas) found before the first scale-out. Scale-backs pass the give-up bound and the circuit
 * breaker (they restore, they do not add), not the concurrency bound; they are never held for
 * approval (they undo a scale-out that was).
 */

import type { Outcome, TargetRef } from './outcome.js';

export { OUTCOMES, type Outcome, type TargetRef } from './outcome.js';

/** An action to run, fully decided. */
export type PlannedAction =
  | { readonly type: 'evict-pod'; readonly namespace: string; readonly pod: string; readonly excludePods: Readonly<Record<string, string>> }
  | { readonly type: 'scale-out'; readonly namespace: string; readonly target: ScaleTargetEntry; readonly rule: ScaleRule['action'] }
  | { readonly type: 'scale-back'; readonly namespace: string; readonly target: ScaleTargetEntry; readonly replicas: number; readonly via: ScaleVia }
  | { readonly type: 'create-job'; readonly namespace: string; readonly rule: CreateJobRule['action'] };

/** How a workload was scaled: its scale subresource, or its HPA's minReplicas. */
export type ScaleVia = 'scale' | 'autoscaler';

/** The API call an action made (or would make in a dry run), for the audit. */
export interface ApiCall {
  readonly method: string;
  readonly path: string;
  readonly body?: unknown;
}

/** One decision, as logged, kept for `GET /api/v1/actions` and stored in PostgreSQL. */
export interface Decision {
  /** Increasing number within the process. */
  readonly id: number;
  /** When it was decided, ISO 8601. */
  readonly at: string;
  /** Rule name, or `none` when no rule applies. */
  readonly rule: string;
  /** The alert's action label (`restart-pod`, …) or `scale-back`. */
  readonly action: string;
  readonly alertname: string;
  readonly fingerprint: string;
  readonly target?: TargetRef;
  outcome: Outcome;
  reason: string;
  readonly dryRun: boolean;
  calls?: ApiCall[];
  durationMs?: number;
  error?: string;
  /** Approval mode: the approval this decision is a step of, or the result of. */
  approval?: DecisionApproval;
}

/** The approval a decision belongs to, as the audit stores it. */
export interface DecisionApproval {
  readonly id: string;
  /** Pending: what would be done, the alert held and when the approval expires (ISO 8601). */
  readonly summary?: string;
  readonly alert?: HeldAlert;
  readonly expiresAt?: string;
  /** Approved and rejected, and the action after an approval: who decided (as the API gateway authenticated them), their reason, when. */
  readonly actor?: string;
  readonly role?: string;
  readonly comment?: string;
  readonly decidedAt?: string;
}

/** A decision to act, holding its reservation until {@link DecisionEngine.finish}. */
export interface Ticket {
  readonly decision: Decision;
  readonly plan: PlannedAction;
  /** `kind/namespace/name` of the target. */
  readonly targetKey: string;
  readonly incident: string;
  readonly cooldownKey: string;
  /** The alert it answers (none for scale-backs): confirmed before acting, kept when held for approval. */
  readonly alert?: WebhookAlert;
  /** The approval it carries out: never held again. */
  readonly approval?: Approval;
}

/** What {@link DecisionEngine.approve} and {@link DecisionEngine.reject} decided; `decisions` are to be audited, in order. */
export type ApprovalStep =
  | { readonly status: 'not-found' }
  /** Already decided, or expired (then `decisions` holds the expiries of this moment). */
  | { readonly status: 'conflict'; readonly approval: Approval; readonly decisions: readonly Decision[] }
  /** Too many actions running: the approval stays pending, ask again. */
  | { readonly status: 'busy'; readonly approval: Approval; readonly decisions: readonly Decision[] }
  /** Rejected, or approved and refused by a guardrail at this moment: final. */
  | { readonly status: 'decided'; readonly approval: Approval; readonly decisions: readonly Decision[] }
  /** Approved and within the guardrails: confirm and run the ticket. */
  | { readonly status: 'act'; readonly approval: Approval; readonly decisions: readonly Decision[]; readonly ticket: Ticket };

/** A guardrail's answer: go, or the outcome and reason of not acting. */
type Verdict = { readonly ok: true } | { readonly ok: false; readonly outcome: Outcome; readonly reason: string };

/** The result of evaluating one alert: act (with a ticket) or a final decision. */
export type Evaluation = { readonly act: true; readonly ticket: Ticket } | { readonly act: false; readonly decision: Decision };

/** A past decision, as the audit table keeps it: what {@link DecisionEngine.restore} reads. */
export interface PastDecision {
  /** Epoch ms. */
  readonly at: number;
  readonly rule: string;
  readonly outcome: string;
  readonly target: TargetRef;
  readonly fingerprint: string;
}

/** A workload the executor scaled out, to be scaled back. */
interface Scaled {
  readonly target: ScaleTargetEntry;
  readonly namespace: string;
  readonly rule: ScaleRule;
  readonly original: number;
  readonly via: ScaleVia;
  /** When its alert resolved; undefined while it fires. */
  resolvedAt?: number;
}

const HOUR_MS = 3_600_000;

/** The replica count a scale-out goes to: `current + step` within the bounds; undefined when that adds nothing. */
export function scaleOutTo(current: number, action: Pick<ScaleRule['action'], 'step' | 'minReplicas' | 'maxReplicas'>, ceiling = Infinity): number | undefined {
  const to = Math.max(action.minReplicas, Math.min(action.maxReplicas, ceiling, current + action.step));
  return to > current ? to : undefined;
}

/** `^(?:re)$`: an anchored pattern like Prometheus' label regexes. */
function fullMatch(pattern: string, value: string): boolean {
  try {
    return new RegExp(`^(?:${pattern})$`).test(value);
  } catch {
    return false;
  }
}

/** A Kubernetes object name (DNS-1123 subdomain): what a pod label of a real alert holds. */
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

const keyOf = (t: TargetRef) => `${t.kind}/${t.namespace}/${t.name}`;

export interface EngineOptions {
  /** The executor's own pod name (it never evicts itself); default none. */
  readonly ownPod?: string | undefined;
  /** Ids of new approvals (the executor passes random UUIDs); default `approval-1`, `approval-2`, … */
  readonly newApprovalId?: () => string;
}

/** What a planned action would do, in words, for the people who approve it: `evict pod aiops/web-1`. */
export function describePlan(plan: PlannedAction): string {
  switch (plan.type) {
    case 'evict-pod':
      return `evict pod ${plan.namespace}/${plan.pod}`;
    case 'scale-out': {
      const via = plan.target.autoscaler ? `, by raising the minReplicas of HPA ${plan.target.autoscaler}` : '';
      return `scale ${plan.target.kind} ${plan.namespace}/${plan.target.name} out by ${plan.rule.step} (at most ${plan.rule.maxReplicas} replicas${via})`;
    }
    case 'scale-back':
      return `scale ${plan.target.kind} ${plan.namespace}/${plan.target.name} back to ${plan.replicas} replicas`;
    case 'create-job':
      return `create a Job ${plan.namespace}/${plan.rule.job.metadata.generateName}…`;
  }
}

/** Why an incident that was held is not held again. */
function heldReason(a: Approval): string {
  const by = a.decidedBy ? ` by ${a.decidedBy.actor} (${a.decidedBy.role})` : '';
  switch (a.state) {
    case 'pending':
      return `awaiting approval ${a.id} until ${a.expiresAt}`;
    case 'rejected':
      return `rejected${by} at ${a.decidedAt}: this incident is not acted on (approval ${a.id})`;
    case 'expired':
      return `approval ${a.id} expired unanswered at ${a.decidedAt}: this incident is not held again`;
    case 'approved':
      return `approved${by} at ${a.decidedAt} (approval ${a.id}): this incident is not held again`;
  }
}

/** The decision state of one executor (the Lease holder): incidents, attempts, cooldowns, scale-outs. */
export class DecisionEngine {
  private nextId = 1;
  private readonly handled = new Map<string, number>();
  /** Incidents acted on by an earlier Lease holder (the audit keeps the fingerprint, not startsAt): fingerprint|rule|target. */
  private readonly handledBefore = new Map<string, number>();
  private readonly attempts = new Map<string, number[]>();
  private readonly gaveUp = new Map<string, number>();
  private readonly lastAttempt = new Map<string, number>();
  private attemptLog: number[] = [];
  private readonly inFlight = new Set<string>();
  private readonly scaled = new Map<string, Scaled>();
  private readonly approvals = new ApprovalBook();
  private readonly windowMs: number;
  private readonly newApprovalId: () => string;

  constructor(
    readonly rules: RulesFile,
    private readonly opts: EngineOptions = {},
  ) {
    this.windowMs = durationMs(rules.guardrails.window);
    let approvalCount = 0;
    this.newApprovalId = opts.newApprovalId ?? (() => `approval-${++approvalCount}`);
  }

  /** Decides what to do with one alert of a webhook. */
  evaluate(alert: WebhookAlert, now: number): Evaluation {
    this.prune(now);
    const action = alert.labels['action'] ?? '';
    const rule = this.rules.rules.find((r) => r.match.action === action);
    const base = { alertname: alert.labels['alertname'] ?? '', fingerprint: alert.fingerprint, dryRun: this.rules.dryRun };
    const skip = (reason: string, target?: TargetRef, ruleName = rule?.name ?? 'none', outcome: Outcome = 'skipped'): Evaluation => ({
      act: false,
      decision: this.decision(now, { ...base, rule: ruleName, action, target, outcome, reason }),
    });
    if (!rule) return skip(action ? `no rule acts on action "${action}"` : 'the alert has no action label');

    const resolved = this.resolveTarget(rule, alert);
    if ('problem' in resolved) return skip(resolved.problem);
    const { target, plan } = resolved;
    const targetKey = keyOf(target);

    if (alert.status === 'resolved') {
      const scaled = this.scaled.get(targetKey);
      if (rule.action.type === 'scale' && scaled) {
        scaled.resolvedAt ??= now;
        const at = new Date(scaled.resolvedAt + durationMs(rule.cooldown)).toISOString();
        return skip(`alert resolved: back to ${scaled.original} replicas${scaled.via === 'autoscaler' ? ' (HPA minReplicas)' : ''} after the cooldown, at ${at}`, target);
      }
      return skip('alert resolved: nothing to undo', target);
    }
    // Firing again: a pending scale-back waits for the next resolve.
    const scaled = this.scaled.get(targetKey);
    if (scaled) delete scaled.resolvedAt;

    const incident = `${alert.fingerprint}|${alert.startsAt}|${rule.name}|${targetKey}`;
    const verdict = this.guard(rule, targetKey, incident, alert.fingerprint, now);
    if (!verdict.ok) return skip(verdict.reason, target, rule.name, verdict.outcome);
    this.inFlight.add(targetKey);
    const decision = this.decision(now, { ...base, rule: rule.name, action, target, outcome: 'skipped', reason: 'in progress' });
    return { act: true, ticket: { decision, plan, targetKey, incident, cooldownKey: `${rule.name}|${targetKey}`, alert } };
  }

  /** Guardrails 2-6 for an incident of `rule` on `targetKey`; `approving`: the approval being carried out (its own hold does not count). */
  private guard(rule: SelfHealingRule, targetKey: string, incident: string, fingerprint: string, now: number, approving?: Approval): Verdict {
    const refuse = (reason: string, outcome: Outcome = 'skipped'): Verdict => ({ ok: false, outcome, reason });
    if (this.handled.has(incident)) return refuse('already acted on this incident');
    if (this.handledBefore.has(`${fingerprint}|${rule.name}|${targetKey}`)) return refuse('an earlier executor already acted on this alert');
    const held = this.approvals.forIncident(incident);
    if (held && held !== approving) return refuse(heldReason(held));
    const pending = this.approvals.pendingIn(`${rule.name}|${targetKey}`);
    if (pending && pending !== approving) return refuse(`approval ${pending.id} for this target is pending until ${pending.expiresAt}`);
    if (this.inFlight.has(targetKey)) return refuse('an action on this target is running');

    const attempts = this.attempts.get(targetKey) ?? [];
    const { attemptsPerTarget, actionsPerHour, maxConcurrent } = this.rules.guardrails;
    if (attempts.length >= attemptsPerTarget) {
      const until = new Date(attempts[0]! + this.windowMs).toISOString();
      if (this.gaveUp.has(targetKey)) return refuse(`gave up on this target until ${until}`);
      this.gaveUp.set(targetKey, now);
      return refuse(`${attempts.length} attempts within ${this.rules.guardrails.window} did not heal it: giving up until ${until}`, 'gave-up');
    }
    const last = this.lastAttempt.get(`${rule.name}|${targetKey}`);
    if (last !== undefined && now < last + durationMs(rule.cooldown)) {
      return refuse(`cooldown of ${rule.cooldown} until ${new Date(last + durationMs(rule.cooldown)).toISOString()}`);
    }
    if (this.attemptLog.length >= actionsPerHour) {
      return refuse(`circuit breaker open: ${this.attemptLog.length} actions in the last hour (limit ${actionsPerHour})`);
    }
    if (this.inFlight.size >= maxConcurrent) {
      const again = approving ? 'approve again later' : 'Alertmanager will send it again';
      return refuse(`${this.inFlight.size} actions running (limit ${maxConcurrent}): ${again}`, 'busy');
    }
    return { ok: true };
  }

  /** Whether the action of `ticket` waits for a person: approval mode, live (not a dry run), an alert's action (not a scale-back), not approved already. */
  needsApproval(ticket: Ticket): boolean {
    return this.rules.mode === 'approval' && !this.rules.dryRun && ticket.plan.type !== 'scale-back' && !ticket.approval && ticket.alert !== undefined;
  }

  /** Holds the action of `ticket` (confirmed, within the guardrails) for a person instead of running it: its reservation ends, nothing counts as an attempt. */
  hold(ticket: Ticket, now: number): Decision {
    const { alert, decision } = ticket;
    const target = decision.target;
    if (!alert || !target) throw new Error('only the action of an alert can be held');
    this.inFlight.delete(ticket.targetKey);
    const summary = describePlan(ticket.plan);
    const expiresAt = new Date(now + durationMs(this.rules.guardrails.approvalTtl)).toISOString();
    const held: HeldAlert = { labels: { ...alert.labels }, startsAt: alert.startsAt, fingerprint: alert.fingerprint };
    const approval: Approval = {
      id: this.newApprovalId(),
      state: 'pending',
      rule: decision.rule,
      action: decision.action,
      target,
      summary,
      alert: held,
      createdAt: new Date(now).toISOString(),
      expiresAt,
    };
    this.approvals.add(approval, ticket.incident, ticket.cooldownKey);
    decision.outcome = 'pending';
    decision.reason = `awaiting approval until ${expiresAt}: would ${summary}`;
    decision.approval = { id: approval.id, summary, alert: held, expiresAt };
    return decision;
  }

  /**
   * A person approves `id`: the guardrails are checked again now (the incident's own hold aside);
   * within them, a ticket to confirm the alert again and run the action exactly as in auto mode
   * (dry run honoured). Refused by a guardrail: approved, and the refusal is its result; busy: the
   * approval stays pending.
   */
  approve(id: string, who: Decider, now: number): ApprovalStep {
    const open = this.open(id, now);
    if (open.status !== 'open') return open;
    const a = open.approval;
    const alert: WebhookAlert = { status: 'firing', labels: { ...a.alert.labels }, startsAt: a.alert.startsAt, fingerprint: a.alert.fingerprint };
    const rule = this.rules.rules.find((r) => r.name === a.rule);
    const resolved = rule ? this.resolveTarget(rule, alert) : { problem: `the rule ${a.rule} is no longer in the rules file` };
    const targetKey = 'problem' in resolved ? keyOf(a.target) : keyOf(resolved.target);
    const incident = `${alert.fingerprint}|${alert.startsAt}|${a.rule}|${targetKey}`;
    const verdict: Verdict = 'problem' in resolved ? { ok: false, outcome: 'skipped', reason: resolved.problem } : this.guard(rule!, targetKey, incident, alert.fingerprint, now, a);
    const base = this.approvalBase(a);
    if (!verdict.ok && verdict.outcome === 'busy') {
      return { status: 'busy', approval: a, decisions: [this.decision(now, { ...base, outcome: 'busy', reason: verdict.reason, approval: { id: a.id } })] };
    }
    this.approvals.decide(a, 'approved', now, who);
    const decided = this.decidedBy(a, who);
    const approved = this.decision(now, { ...base, outcome: 'approved', reason: `approved by ${who.actor} (${who.role})${who.reason ? `: ${who.reason}` : ''}`, approval: decided });
    if (!verdict.ok) {
      a.result = { outcome: verdict.outcome, reason: verdict.reason };
      return { status: 'decided', approval: a, decisions: [approved, this.decision(now, { ...base, outcome: verdict.outcome, reason: verdict.reason, approval: decided })] };
    }
    if ('problem' in resolved) throw new Error('a target problem is a refusal');
    this.inFlight.add(targetKey);
    const decision = this.decision(now, { ...base, target: resolved.target, outcome: 'skipped', reason: 'in progress', approval: decided });
    const ticket: Ticket = { decision, plan: resolved.plan, targetKey, incident, cooldownKey: `${a.rule}|${targetKey}`, alert, approval: a };
    return { status: 'act', approval: a, decisions: [approved], ticket };
  }

  /** A person rejects `id`: not acted on, and the incident is not held again. */
  reject(id: string, who: Decider, now: number): ApprovalStep {
    const open = this.open(id, now);
    if (open.status !== 'open') return open;
    const a = open.approval;
    this.approvals.decide(a, 'rejected', now, who);
    const reason = `rejected by ${who.actor} (${who.role})${who.reason ? `: ${who.reason}` : ''}; not acted on`;
    return { status: 'decided', approval: a, decisions: [this.decision(now, { ...this.approvalBase(a), outcome: 'rejected', reason, approval: this.decidedBy(a, who) })] };
  }

  /** Approvals whose TTL passed unanswered, as `expired` decisions (the executor calls it every second). */
  expireDue(now: number): Decision[] {
    return this.approvals.expire(now).map((a) =>
      this.decision(now, { ...this.approvalBase(a), outcome: 'expired', reason: `nobody approved or rejected it by ${a.expiresAt}: not acted on`, approval: { id: a.id } }),
    );
  }

  /** The approvals, newest first (pending ones and those decided within the last day). */
  listApprovals(opts: { state?: ApprovalState | undefined; limit: number }): Approval[] {
    return this.approvals.list(opts);
  }

  /** Approvals waiting for a person now. */
  get pendingApprovals(): number {
    return this.approvals.pending;
  }

  /**
   * Takes over the approvals an earlier Lease holder wrote to the audit table (approvalsFromRecords):
   * pending ones can be approved here, and no incident they held is held again.
   */
  restoreApprovals(restored: readonly Approval[], now: number): void {
    this.approvals.restore(
      restored.map((a) => {
        const targetKey = keyOf(a.target);
        return { approval: a, incident: `${a.alert.fingerprint}|${a.alert.startsAt}|${a.rule}|${targetKey}`, slot: `${a.rule}|${targetKey}` };
      }),
    );
    this.prune(now);
  }

  /** The approval `id` when it is pending and not expired; else what to answer (expiring it, and any other due, first). */
  private open(id: string, now: number): { status: 'open'; approval: Approval } | ApprovalStep {
    const a = this.approvals.get(id);
    if (!a) return { status: 'not-found' };
    const expired = this.expireDue(now);
    if (a.state !== 'pending') return { status: 'conflict', approval: a, decisions: expired };
    return { status: 'open', approval: a };
  }

  private approvalBase(a: Approval): Omit<Decision, 'id' | 'at' | 'outcome' | 'reason'> {
    return { rule: a.rule, action: a.action, alertname: a.alert.labels['alertname'] ?? '', fingerprint: a.alert.fingerprint, dryRun: this.rules.dryRun, target: a.target };
  }

  private decidedBy(a: Approval, who: Decider): DecisionApproval {
    return { id: a.id, actor: who.actor, role: who.role, ...(who.reason ? { comment: who.reason } : {}), ...(a.decidedAt ? { decidedAt: a.decidedAt } : {}) };
  }

  /**
   * Ends a ticket with the outcome of its action. Attempts (acted, dry-run, blocked, failed) count
   * for the cooldown, the give-up bound and the circuit breaker; acted and dry-run close the
   * incident; not-confirmed and skipped (e.g. a Job still running) count for nothing.
   */
  finish(ticket: Ticket, outcome: Outcome, reason: string, now: number): Decision {
    this.inFlight.delete(ticket.targetKey);
    const { decision, plan } = ticket;
    decision.outcome = outcome;
    decision.reason = reason;
    const attempted = outcome === 'acted' || outcome === 'dry-run' || outcome === 'blocked' || outcome === 'failed';
    if (plan.type === 'scale-back') {
      const scaled = this.scaled.get(ticket.targetKey);
      if (attempted && outcome !== 'failed' && outcome !== 'blocked') this.scaled.delete(ticket.targetKey);
      else if (scaled) scaled.resolvedAt = now;
      return decision;
    }
    if (attempted) {
      this.attempts.set(ticket.targetKey, [...(this.attempts.get(ticket.targetKey) ?? []), now]);
      this.lastAttempt.set(ticket.cooldownKey, now);
      this.attemptLog.push(now);
    }
    if (outcome === 'acted' || outcome === 'dry-run') this.handled.set(ticket.incident, now);
    if (ticket.approval) ticket.approval.result = { outcome, reason };
    return decision;
  }

  /** Records that a scale-out of `ticket` moved the workload from `original` (kept from the first scale-out until scaled back). */
  noteScaledOut(ticket: Ticket, original: number, via: ScaleVia): void {
    if (ticket.plan.type !== 'scale-out') throw new Error('noteScaledOut needs a scale-out ticket');
    const rule = this.rules.rules.find((r) => r.name === ticket.decision.rule) as ScaleRule;
    if (!this.scaled.has(ticket.targetKey)) {
      this.scaled.set(ticket.targetKey, { target: ticket.plan.target, namespace: ticket.plan.namespace, rule, original, via });
    }
  }

  /** Scale-backs whose alert resolved at least the rule's cooldown ago, reserved like {@link evaluate}'s tickets. */
  dueScaleBacks(now: number): Ticket[] {
    const due: Ticket[] = [];
    for (const [targetKey, s] of this.scaled) {
      if (s.resolvedAt === undefined || now < s.resolvedAt + durationMs(s.rule.cooldown) || this.inFlight.has(targetKey)) continue;
      this.inFlight.add(targetKey);
      const target: TargetRef = { kind: s.target.kind, namespace: s.namespace, name: s.target.name };
      const decision = this.decision(now, {
        rule: s.rule.name,
        action: 'scale-back',
        alertname: '',
        fingerprint: '',
        dryRun: this.rules.dryRun,
        target,
        outcome: 'skipped',
        reason: 'in progress',
      });
      const plan: PlannedAction = { type: 'scale-back', namespace: s.namespace, target: s.target, replicas: s.original, via: s.via };
      due.push({ decision, plan, targetKey, incident: '', cooldownKey: `${s.rule.name}|${targetKey}` });
    }
    return due;
  }

  /**
   * Takes over the bounds of an earlier Lease holder from its audited decisions (newest or oldest
   * first, any order): attempts within the window, cooldowns, the circuit breaker's hour, give-ups
   * and the alerts already acted on. Scale-outs to undo are not restored: their original counts are
   * not in the audit (a workload scaled out by a previous holder stays scaled until people or its
   * HPA act).
   */
  restore(past: readonly PastDecision[], now: number): void {
    const attempted = new Set(['acted', 'dry-run', 'blocked', 'failed']);
    for (const d of [...past].sort((a, b) => a.at - b.at)) {
      if (d.at > now || d.target.name === '') continue;
      const targetKey = keyOf(d.target);
      if (attempted.has(d.outcome) && d.at > now - this.windowMs) {
        this.attempts.set(targetKey, [...(this.attempts.get(targetKey) ?? []), d.at]);
        this.lastAttempt.set(`${d.rule}|${targetKey}`, d.at);
      }
      if (attempted.has(d.outcome) && d.at > now - HOUR_MS) this.attemptLog.push(d.at);
      if ((d.outcome === 'acted' || d.outcome === 'dry-run') && d.fingerprint) this.handledBefore.set(`${d.fingerprint}|${d.rule}|${targetKey}`, d.at);
      if (d.outcome === 'gave-up' && d.at > now - this.windowMs) this.gaveUp.set(targetKey, d.at);
    }
    this.prune(now);
  }

  /** Whether the circuit breaker is open (no room for another action within the hour). */
  circuitOpen(now: number): boolean {
    this.prune(now);
    return this.attemptLog.length >= this.rules.guardrails.actionsPerHour;
  }

  /** Actions running now. */
  get running(): number {
    return this.inFlight.size;
  }

  /** Workloads scaled out and not yet scaled back. */
  get scaledOut(): number {
    return this.scaled.size;
  }

  private decision(now: number, d: Omit<Decision, 'id' | 'at'>): Decision {
    return { id: this.nextId++, at: new Date(now).toISOString(), ...d };
  }

  /** Forgets attempts outside their windows and incidents older than a day. */
  private prune(now: number): void {
    this.attemptLog = this.attemptLog.filter((t) => t > now - HOUR_MS);
    for (const [key, times] of this.attempts) {
      const kept = times.filter((t) => t > now - this.windowMs);
      if (kept.length > 0) this.attempts.set(key, kept);
      else {
        this.attempts.delete(key);
        this.gaveUp.delete(key);
      }
    }
    for (const map of [this.handled, this.handledBefore]) for (const [key, at] of map) if (at < now - 24 * HOUR_MS) map.delete(key);
    this.approvals.prune(now);
  }

  /** The target the alert names under `rule`, or why there is none. */
  private resolveTarget(rule: SelfHealingRule, alert: WebhookAlert): { target: TargetRef; plan: PlannedAction } | { problem: string } {
    const { labels } = alert;
    const ns = this.rules.namespace;
    switch (rule.action.type) {
      case 'evict-pod': {
        const a = (rule as EvictPodRule).action;
        const namespace = labels[a.namespaceLabel];
        const pod = labels[a.podLabel];
        if (!namespace || !pod) return { problem: `the alert has no ${a.namespaceLabel} and ${a.podLabel} labels naming a pod` };
        if (!DNS_SUBDOMAIN.test(pod) || pod.length > 253) return { problem: `${JSON.stringify(pod.slice(0, 100))} is not a pod name` };
        if (!a.namespaces.includes(namespace)) return { problem: `namespace ${namespace} is not one the rule acts in (${a.namespaces.join(', ')})` };
        if (namespace === ns && pod === this.opts.ownPod) return { problem: 'the executor never evicts its own pod' };
        return { target: { kind: 'Pod', namespace, name: pod }, plan: { type: 'evict-pod', namespace, pod, excludePods: a.excludePods.matchLabels } };
      }
      case 'scale': {
        const a = (rule as ScaleRule).action;
        const app = labels['app'];
        const service = labels['service'];
        const target = a.targets.find((t) => (app !== undefined && app === t.alertLabels.app) || (service !== undefined && fullMatch(t.alertLabels.serviceRegex, service)));
        if (!target) return { problem: `the alert names no workload the rule may scale (app ${JSON.stringify(app ?? '')}, service ${JSON.stringify(service ?? '')})` };
        return { target: { kind: target.kind, namespace: ns, name: target.name }, plan: { type: 'scale-out', namespace: ns, target, rule: a } };
      }
      case 'create-job': {
        const a = (rule as CreateJobRule).action;
        return { target: { kind: 'Job', namespace: ns, name: a.job.metadata.generateName.replace(/-$/, '') }, plan: { type: 'create-job', namespace: ns, rule: a } };
      }
    }
  }
}
