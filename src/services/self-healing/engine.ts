import { durationMillis as durationMs } from '../../core/duration.js';
import { SELF_HEALING_OUTCOMES } from '../../core/self-healing-metrics.js';
import { type CreateJobRule, type EvictPodRule, type RulesFile, type ScaleRule, type ScaleTargetEntry, type SelfHealingRule } from '../../core/self-healing-rules.js';
import type { WebhookAlert } from './alerts.js';

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
 * Scale-outs are undone: once the alert resolved and the rule's cooldown passed,
 * {@link DecisionEngine.dueScaleBacks} hands out the scale-back to the replica count (or HPA
 * minReplicas) found before the first scale-out. Scale-backs pass the give-up bound and the circuit
 * breaker (they restore, they do not add), not the concurrency bound.
 */

/** What became of an alert. */
export type Outcome =
  /** The action ran. */
  | 'acted'
  /** Dry run: the action was decided, its API call logged and checked by a server-side dry run, nothing changed. */
  | 'dry-run'
  /** Not acted on; `reason` says why. */
  | 'skipped'
  /** Prometheus does not confirm the alert as firing: it came from somewhere else, or is over. */
  | 'not-confirmed'
  /** The API refused for a reason that is not an error: a PodDisruptionBudget blocks the eviction. */
  | 'blocked'
  /** The API call failed. */
  | 'failed'
  /** Attempts on this target exhausted: escalated to people. */
  | 'gave-up'
  /** Too many actions running: the webhook is answered 503 so that Alertmanager sends it again. */
  | 'busy';

export const OUTCOMES: readonly Outcome[] = SELF_HEALING_OUTCOMES;

/** The object an action is about. */
export interface TargetRef {
  readonly kind: 'Pod' | 'Deployment' | 'StatefulSet' | 'Job';
  readonly namespace: string;
  /** Pod or workload name; for Jobs the generateName prefix. */
  readonly name: string;
}

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
}

/** A decision to act, holding its reservation until {@link DecisionEngine.finish}. */
export interface Ticket {
  readonly decision: Decision;
  readonly plan: PlannedAction;
  /** `kind/namespace/name` of the target. */
  readonly targetKey: string;
  readonly incident: string;
  readonly cooldownKey: string;
}

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
  private readonly windowMs: number;

  constructor(
    readonly rules: RulesFile,
    private readonly opts: EngineOptions = {},
  ) {
    this.windowMs = durationMs(rules.guardrails.window);
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
    if (this.handled.has(incident)) return skip('already acted on this incident', target);
    if (this.handledBefore.has(`${alert.fingerprint}|${rule.name}|${targetKey}`)) return skip('an earlier executor already acted on this alert', target);
    if (this.inFlight.has(targetKey)) return skip('an action on this target is running', target);

    const attempts = this.attempts.get(targetKey) ?? [];
    const { attemptsPerTarget, actionsPerHour, maxConcurrent } = this.rules.guardrails;
    if (attempts.length >= attemptsPerTarget) {
      const until = new Date(attempts[0]! + this.windowMs).toISOString();
      if (this.gaveUp.has(targetKey)) return skip(`gave up on this target until ${until}`, target);
      this.gaveUp.set(targetKey, now);
      return skip(`${attempts.length} attempts within ${this.rules.guardrails.window} did not heal it: giving up until ${until}`, target, rule.name, 'gave-up');
    }
    const cooldownKey = `${rule.name}|${targetKey}`;
    const last = this.lastAttempt.get(cooldownKey);
    if (last !== undefined && now < last + durationMs(rule.cooldown)) {
      return skip(`cooldown of ${rule.cooldown} until ${new Date(last + durationMs(rule.cooldown)).toISOString()}`, target);
    }
    if (this.attemptLog.length >= actionsPerHour) {
      return skip(`circuit breaker open: ${this.attemptLog.length} actions in the last hour (limit ${actionsPerHour})`, target);
    }
    if (this.inFlight.size >= maxConcurrent) {
      return skip(`${this.inFlight.size} actions running (limit ${maxConcurrent}): Alertmanager will send it again`, target, rule.name, 'busy');
    }
    this.inFlight.add(targetKey);
    const decision = this.decision(now, { ...base, rule: rule.name, action, target, outcome: 'skipped', reason: 'in progress' });
    return { act: true, ticket: { decision, plan, targetKey, incident, cooldownKey } };
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
