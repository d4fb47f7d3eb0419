import { buildEvent, type KubeClient } from '../kit/kubernetes.js';
import type { Logger } from '../kit/log.js';
import type { AuditApproval, AuditRecord } from './audit-store.js';
import type { Decision, DecisionApproval, Outcome, TargetRef } from './engine.js';
import type { DecisionSink } from './executor.js';

/** Where the executor's decisions are kept and told: the recent list, Kubernetes Events, the audit table. */

/** The last decisions of this process, for `GET /api/v1/actions` without PostgreSQL. */
export class DecisionLog implements DecisionSink {
  private readonly items: Decision[] = [];

  /** Keeps at most `capacity` decisions (default 200). */
  constructor(private readonly capacity = 200) {}

  record(decision: Decision): void {
    this.items.push(decision);
    if (this.items.length > this.capacity) this.items.splice(0, this.items.length - this.capacity);
  }

  /** Up to `limit` decisions, newest first. */
  newestFirst(limit: number): Decision[] {
    return this.items.slice(-limit).reverse();
  }
}

/** A decision as the audit table stores it and `GET /api/v1/actions` shows it. */
export function toAuditRecord(d: Decision, pod: string): AuditRecord {
  return {
    at: new Date(d.at),
    rule: d.rule,
    action: d.action,
    outcome: d.outcome,
    reason: d.reason,
    target: d.target ?? { kind: '', namespace: '', name: '' },
    alertname: d.alertname,
    fingerprint: d.fingerprint,
    dryRun: d.dryRun,
    ...(d.durationMs !== undefined ? { durationMs: d.durationMs } : {}),
    ...(d.calls ? { request: d.calls } : {}),
    ...(d.error ? { error: d.error } : {}),
    pod,
    ...(d.approval ? { approval: auditApproval(d.approval) } : {}),
  };
}

/** The approval of a decision as the audit table stores it (ISO times as dates). */
function auditApproval(a: DecisionApproval): AuditApproval {
  return {
    id: a.id,
    ...(a.summary !== undefined ? { summary: a.summary } : {}),
    ...(a.alert ? { alert: a.alert } : {}),
    ...(a.expiresAt ? { expiresAt: new Date(a.expiresAt) } : {}),
    ...(a.actor !== undefined ? { actor: a.actor } : {}),
    ...(a.role !== undefined ? { role: a.role } : {}),
    ...(a.comment !== undefined ? { comment: a.comment } : {}),
    ...(a.decidedAt ? { decidedAt: new Date(a.decidedAt) } : {}),
  };
}

/** Event reason and type of each outcome that is told on the target; the others (skipped, busy, not-confirmed) are only logged. */
const EVENTS: Partial<Record<Outcome, { reason: string; type: 'Normal' | 'Warning' }>> = {
  acted: { reason: 'SelfHealingActed', type: 'Normal' },
  'dry-run': { reason: 'SelfHealingDryRun', type: 'Normal' },
  blocked: { reason: 'SelfHealingBlocked', type: 'Warning' },
  failed: { reason: 'SelfHealingFailed', type: 'Warning' },
  'gave-up': { reason: 'SelfHealingGaveUp', type: 'Warning' },
  pending: { reason: 'SelfHealingPending', type: 'Normal' },
  approved: { reason: 'SelfHealingApproved', type: 'Normal' },
  rejected: { reason: 'SelfHealingRejected', type: 'Normal' },
  expired: { reason: 'SelfHealingApprovalExpired', type: 'Warning' },
};

const API_VERSIONS: Record<TargetRef['kind'], string> = { Pod: 'v1', Deployment: 'apps/v1', StatefulSet: 'apps/v1', Job: 'batch/v1' };

/** Records a core/v1 Event on the decision's target (`kubectl describe` shows it) for acted, dry-run, blocked, failed, gave-up and the approval steps pending, approved, rejected, expired. */
export function eventSink(kube: Pick<KubeClient, 'createEvent'>, pod: string, log: Logger): DecisionSink {
  return {
    async record(d: Decision) {
      const kind = EVENTS[d.outcome];
      if (!kind || !d.target) return;
      const event = buildEvent({
        involvedObject: { ...d.target, apiVersion: API_VERSIONS[d.target.kind] },
        reason: kind.reason,
        action: d.action,
        message: `${d.rule}${d.alertname ? ` (alert ${d.alertname})` : ''}${d.approval ? ` [approval ${d.approval.id}]` : ''}: ${d.reason}`,
        type: kind.type,
        reportingInstance: pod,
        time: Date.parse(d.at),
      });
      try {
        await kube.createEvent(d.target.namespace, event);
      } catch (err) {
        log.warn({ err, decision: d.id }, 'recording the Event failed');
      }
    },
  };
}
