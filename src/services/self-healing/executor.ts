import type { Logger } from '../kit/log.js';
import { randomUUID } from 'node:crypto';
import type { WebhookAlert } from './alerts.js';
import type { Approval, ApprovalState, Decider } from './approvals.js';
import { DecisionEngine, scaleOutTo, type ApiCall, type ApprovalStep, type Decision, type Outcome, type PlannedAction, type Ticket } from './engine.js';
import type { ExecutorMetrics } from './metrics.js';
import { isEngineAlert, type EngineClient } from './engine-confirmation.js';
import { confirmationQuery, type PrometheusClient } from './prometheus.js';
import type { RulesFile } from '../../core/self-healing-rules.js';

/**
 * The executor's effects around the pure {@link DecisionEngine}: for each alert it asks the engine,
 * confirms the alert with Prometheus, runs the action through the Kubernetes API (or its
 * server-side dry run), reports the outcome back to the engine and audits the decision (JSON log
 * line, Event on the target, recent list, PostgreSQL). In approval mode a confirmed live action is
 * held instead ({@link Executor.approve}, {@link Executor.reject}; expiries in {@link Executor.tick}).
 */

/** The Kubernetes calls the executor makes (src/services/kit/kubernetes/ implements them). */
export interface KubeApi {
  getPod(namespace: string, name: string): Promise<{ metadata?: { labels?: Record<string, string> } } | undefined>;
  evictPod(namespace: string, name: string, opts: { dryRun: boolean }): Promise<{ outcome: 'evicted' } | { outcome: 'blocked'; message: string } | { outcome: 'not-found' }>;
  getScale(namespace: string, kind: 'Deployment' | 'StatefulSet', name: string): Promise<{ replicas: number } | undefined>;
  patchScale(namespace: string, kind: 'Deployment' | 'StatefulSet', name: string, replicas: number, opts: { dryRun: boolean }): Promise<unknown>;
  getAutoscaler(namespace: string, name: string): Promise<
    | { spec?: { minReplicas?: number; maxReplicas?: number; scaleTargetRef?: { kind?: string; name?: string } }; status?: { currentReplicas?: number } }
    | undefined
  >;
  patchAutoscalerMinReplicas(namespace: string, name: string, minReplicas: number, opts: { dryRun: boolean }): Promise<unknown>;
  listJobs(namespace: string, labelSelector: Record<string, string>): Promise<{ metadata?: { name?: string }; status?: { active?: number; completionTime?: unknown; conditions?: { type?: string; status?: string }[] } }[]>;
  createJob(namespace: string, job: unknown, opts: { dryRun: boolean }): Promise<{ metadata?: { name?: string } }>;
}

/** Where decisions go besides the log: Events, the recent list, PostgreSQL. */
export interface DecisionSink {
  record(decision: Decision): void | Promise<void>;
}

export interface ExecutorOptions {
  readonly rules: RulesFile;
  readonly kube: KubeApi;
  /** Confirms alerts; undefined: no alert can be confirmed, the executor acts on nothing. */
  readonly prometheus: PrometheusClient | undefined;
  /** Confirms the AI engine's alerts (label `source` metrics/logs/queries); undefined: those are not confirmed. */
  readonly engine?: EngineClient | undefined;
  readonly log: Logger;
  readonly metrics: ExecutorMetrics;
  readonly sinks: readonly DecisionSink[];
  /** The executor's pod name (never evicted). */
  readonly ownPod?: string | undefined;
  /** Clock (default Date.now). */
  readonly now?: () => number;
  /** Ids of new approvals (default random UUIDs). */
  readonly newApprovalId?: () => string;
}

/** What became of an approve or reject call: the engine's step and, when the action ran, its decision. */
export type ApprovalResult = ApprovalStep & { readonly decision?: Decision };

/** The labels of an alert that name its target, for the confirmation query. */
function targetLabels(plan: PlannedAction, alert: WebhookAlert): Record<string, string> {
  const keep = (names: string[]) => Object.fromEntries(names.filter((n) => alert.labels[n] !== undefined).map((n) => [n, alert.labels[n]!]));
  switch (plan.type) {
    case 'evict-pod':
      return keep(['action', 'namespace', 'pod']);
    case 'scale-out':
      return keep(['action', 'app', 'service']);
    default:
      return keep(['action']);
  }
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** Labels of `have` include all of `want`. */
const matches = (have: Record<string, string> | undefined, want: Readonly<Record<string, string>>) =>
  Object.keys(want).length > 0 && Object.entries(want).every(([k, v]) => have?.[k] === v);

/** Runs decisions; one per process, acting only while it holds the Lease (the caller checks). */
export class Executor {
  readonly engine: DecisionEngine;
  private readonly now: () => number;

  constructor(private readonly o: ExecutorOptions) {
    this.engine = new DecisionEngine(o.rules, { ownPod: o.ownPod, newApprovalId: o.newApprovalId ?? randomUUID });
    this.now = o.now ?? Date.now;
    o.metrics.circuitOpen.set(0);
    o.metrics.pendingApprovals.set(0);
  }

  /** Every alert of one webhook, one after the other (a message holds at most a few). */
  async handle(alerts: readonly WebhookAlert[]): Promise<Decision[]> {
    const decisions: Decision[] = [];
    for (const alert of alerts) decisions.push(await this.handleAlert(alert));
    this.gauges();
    return decisions;
  }

  /** Scale-backs that are due, approvals that expired, and the gauges (called every second by the service). */
  async tick(): Promise<Decision[]> {
    const done: Decision[] = this.engine.expireDue(this.now()).map((d) => this.audit(d));
    for (const ticket of this.engine.dueScaleBacks(this.now())) done.push(await this.run(ticket));
    // The breaker closes as attempts age out of the hour, without a webhook: keep the gauge current.
    this.gauges();
    return done;
  }

  /**
   * A person approves the held action `id` (`who`: as the API gateway authenticated them): the
   * guardrails are checked again now, the alert confirmed again, then the action runs as in auto
   * mode (dry run honoured). Every step is audited: approved, then the action's own outcome.
   */
  async approve(id: string, who: Decider): Promise<ApprovalResult> {
    const step = this.engine.approve(id, who, this.now());
    for (const d of 'decisions' in step ? step.decisions : []) this.audit(d);
    if (step.status !== 'act') {
      this.gauges();
      return step;
    }
    const decision = await this.run(step.ticket);
    this.gauges();
    return { ...step, decision };
  }

  /** A person rejects the held action `id`: audited, not acted on. */
  reject(id: string, who: Decider): ApprovalResult {
    const step = this.engine.reject(id, who, this.now());
    for (const d of 'decisions' in step ? step.decisions : []) this.audit(d);
    this.gauges();
    return step;
  }

  /** The approvals this executor holds, newest first. */
  approvals(opts: { state?: ApprovalState | undefined; limit: number }): Approval[] {
    return this.engine.listApprovals(opts);
  }

  private gauges(): void {
    this.o.metrics.circuitOpen.set(this.engine.circuitOpen(this.now()) ? 1 : 0);
    this.o.metrics.pendingApprovals.set(this.engine.pendingApprovals);
  }

  private async handleAlert(alert: WebhookAlert): Promise<Decision> {
    const evaluation = this.engine.evaluate(alert, this.now());
    if (!evaluation.act) return this.audit(evaluation.decision);
    return this.run(evaluation.ticket);
  }

  /** Confirms (alerts only), holds it for approval (approval mode) or acts, finishes the ticket and audits it. */
  private async run(ticket: Ticket): Promise<Decision> {
    const alert = ticket.alert;
    const started = this.now();
    const dryRun = this.o.rules.dryRun;
    const calls: ApiCall[] = [];
    let outcome: Outcome;
    let reason: string;
    let error: string | undefined;
    try {
      if (alert) {
        const unconfirmed = await this.confirm(ticket, alert);
        if (unconfirmed) return this.audit(this.engine.finish(ticket, 'not-confirmed', unconfirmed, this.now()));
      }
      if (this.engine.needsApproval(ticket)) return this.audit(this.engine.hold(ticket, this.now()));
      ({ outcome, reason } = await this.act(ticket, calls, dryRun));
    } catch (e) {
      outcome = 'failed';
      error = message(e);
      reason = `failed: ${error}`;
    }
    const decision = this.engine.finish(ticket, outcome, reason, this.now());
    if (calls.length > 0) decision.calls = calls;
    decision.durationMs = this.now() - started;
    if (error) decision.error = error;
    if (outcome !== 'skipped') this.o.metrics.actionDuration.observe({ rule: decision.rule, action: decision.action }, decision.durationMs / 1000);
    return this.audit(decision);
  }

  /** Why the alert is not confirmed, or undefined when it is: Prometheus' ALERTS, or the AI engine for its own alerts. */
  private async confirm(ticket: Ticket, alert: WebhookAlert): Promise<string | undefined> {
    const alertname = alert.labels['alertname']!;
    if (isEngineAlert(alert.labels)) {
      if (!this.o.engine) return 'no AI engine to confirm its alert (AI_ENGINE_URL unset)';
      const id = alert.labels['anomaly']!;
      const active = await this.o.engine.isActive(id, alertname, alert.labels['action'] ?? '');
      return active ? undefined : `the AI engine has no active ${alertname} anomaly ${JSON.stringify(id)}`;
    }
    const query = confirmationQuery(alertname, targetLabels(ticket.plan, alert));
    if (!this.o.prometheus) return 'no Prometheus to confirm the alert (PROMETHEUS_URL unset)';
    return (await this.o.prometheus.count(query)) > 0 ? undefined : `Prometheus has no firing ${query}`;
  }

  /** The action of `ticket` through the Kubernetes API; `calls` receives each mutating call. */
  private async act(ticket: Ticket, calls: ApiCall[], dryRun: boolean): Promise<{ outcome: Outcome; reason: string }> {
    const { kube } = this.o;
    const done = (what: string): { outcome: Outcome; reason: string } => ({ outcome: dryRun ? 'dry-run' : 'acted', reason: dryRun ? `dry run: would have ${what}` : what });
    const plan = ticket.plan;
    switch (plan.type) {
      case 'evict-pod': {
        const pod = await kube.getPod(plan.namespace, plan.pod);
        if (!pod) return { outcome: 'skipped', reason: 'the pod no longer exists' };
        if (matches(pod.metadata?.labels, plan.excludePods)) return { outcome: 'skipped', reason: 'the pod is protected (the executor never evicts its own pods)' };
        calls.push({ method: 'POST', path: `/api/v1/namespaces/${plan.namespace}/pods/${plan.pod}/eviction` });
        const result = await kube.evictPod(plan.namespace, plan.pod, { dryRun });
        if (result.outcome === 'blocked') return { outcome: 'blocked', reason: `a PodDisruptionBudget allows no disruption now: ${result.message}` };
        if (result.outcome === 'not-found') return { outcome: 'skipped', reason: 'the pod no longer exists' };
        return done('evicted the pod (its controller recreates it)');
      }
      case 'scale-out': {
        const { target, rule, namespace } = plan;
        const hpa = target.autoscaler ? await kube.getAutoscaler(namespace, target.autoscaler) : undefined;
        const ref = hpa?.spec?.scaleTargetRef;
        if (hpa && ref?.kind === target.kind && ref.name === target.name) {
          const original = hpa.spec?.minReplicas ?? 1;
          const current = Math.max(original, hpa.status?.currentReplicas ?? 0);
          const to = scaleOutTo(current, rule, hpa.spec?.maxReplicas);
          if (to === undefined) return { outcome: 'skipped', reason: `already at the bound: ${current} replicas (rule max ${rule.maxReplicas}, HPA max ${hpa.spec?.maxReplicas})` };
          calls.push({ method: 'PATCH', path: `/apis/autoscaling/v2/namespaces/${namespace}/horizontalpodautoscalers/${target.autoscaler}`, body: { spec: { minReplicas: to } } });
          await kube.patchAutoscalerMinReplicas(namespace, target.autoscaler!, to, { dryRun });
          this.engine.noteScaledOut(ticket, original, 'autoscaler');
          return done(`raised the HPA's minReplicas from ${original} to ${to} (the HPA owns the replica count)`);
        }
        const scale = await kube.getScale(namespace, target.kind, target.name);
        if (!scale) return { outcome: 'skipped', reason: `${target.kind} ${target.name} does not exist` };
        const to = scaleOutTo(scale.replicas, rule);
        if (to === undefined) return { outcome: 'skipped', reason: `already at the bound: ${scale.replicas} replicas (max ${rule.maxReplicas})` };
        calls.push({ method: 'PATCH', path: `/apis/apps/v1/namespaces/${namespace}/${target.kind.toLowerCase()}s/${target.name}/scale`, body: { spec: { replicas: to } } });
        await kube.patchScale(namespace, target.kind, target.name, to, { dryRun });
        this.engine.noteScaledOut(ticket, scale.replicas, 'scale');
        return done(`scaled ${target.kind} ${target.name} from ${scale.replicas} to ${to} replicas`);
      }
      case 'scale-back': {
        const { target, namespace, replicas, via } = plan;
        if (via === 'autoscaler') {
          calls.push({ method: 'PATCH', path: `/apis/autoscaling/v2/namespaces/${namespace}/horizontalpodautoscalers/${target.autoscaler}`, body: { spec: { minReplicas: replicas } } });
          await kube.patchAutoscalerMinReplicas(namespace, target.autoscaler!, replicas, { dryRun });
          return done(`set the HPA's minReplicas back to ${replicas}`);
        }
        calls.push({ method: 'PATCH', path: `/apis/apps/v1/namespaces/${namespace}/${target.kind.toLowerCase()}s/${target.name}/scale`, body: { spec: { replicas } } });
        await kube.patchScale(namespace, target.kind, target.name, replicas, { dryRun });
        return done(`scaled ${target.kind} ${target.name} back to ${replicas} replicas`);
      }
      case 'create-job': {
        const { rule, namespace } = plan;
        const running = (await kube.listJobs(namespace, rule.skipWhileActive.matchLabels)).find(
          (job) => (job.status?.active ?? 0) > 0 || (!job.status?.completionTime && !job.status?.conditions?.some((c) => (c.type === 'Failed' || c.type === 'Complete') && c.status === 'True')),
        );
        if (running) return { outcome: 'skipped', reason: `Job ${running.metadata?.name ?? '?'} is still running` };
        calls.push({ method: 'POST', path: `/apis/batch/v1/namespaces/${namespace}/jobs`, body: rule.job });
        const job = await kube.createJob(namespace, rule.job, { dryRun });
        return done(`created Job ${job.metadata?.name ?? rule.job.metadata.generateName}`);
      }
    }
  }

  private audit(decision: Decision): Decision {
    this.o.metrics.decisions.inc({ rule: decision.rule, outcome: decision.outcome });
    if (decision.outcome === 'gave-up') this.o.metrics.gaveUp.inc({ rule: decision.rule });
    const level = decision.outcome === 'failed' || decision.outcome === 'gave-up' ? 'warn' : 'info';
    this.o.log[level]({ decision }, `self-healing ${decision.outcome}: ${decision.reason}`);
    for (const sink of this.o.sinks) {
      try {
        void Promise.resolve(sink.record(decision)).catch((e: unknown) => this.o.log.error({ err: e }, 'recording a decision failed'));
      } catch (e) {
        this.o.log.error({ err: e }, 'recording a decision failed');
      }
    }
    return decision;
  }
}
