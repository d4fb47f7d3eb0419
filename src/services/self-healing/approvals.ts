import type { AuditRecord } from './audit-store.js';
import type { HeldAlert, Outcome, TargetRef } from './outcome.js';

export type { HeldAlert } from './outcome.js';

/**
 * The approvals of approval mode (`mode: approval` in the rules file), pure: a live action that
 * passed confirmation and every guardrail is held as `pending` until a person approves or rejects
 * it, or it expires. An incident is held once: after its approval was decided or expired, the same
 * incident (alert fingerprint and startsAt, rule, target) is not held again; a new firing is a new
 * incident. At most one approval per rule and target is pending at a time. The decision engine
 * (engine.ts) owns one {@link ApprovalBook}; the executor (executor.ts) runs what it decides.
 */

/** Where an approval stands. */
export type ApprovalState = 'pending' | 'approved' | 'rejected' | 'expired';

export const APPROVAL_STATES: readonly ApprovalState[] = ['pending', 'approved', 'rejected', 'expired'];


/** Who decided, as the API gateway authenticated them, and the reason they gave. */
export interface Decider {
  readonly actor: string;
  readonly role: string;
  readonly reason?: string | undefined;
}

/** One approval, as `GET /api/v1/approvals` shows it. */
export interface Approval {
  /** Opaque id (a UUID from the executor). */
  readonly id: string;
  state: ApprovalState;
  readonly rule: string;
  /** The alert's action label (`restart-pod`, …). */
  readonly action: string;
  readonly target: TargetRef;
  /** What would be done, in words: `evict pod aiops/web-1`. */
  readonly summary: string;
  readonly alert: HeldAlert;
  /** ISO 8601. */
  readonly createdAt: string;
  readonly expiresAt: string;
  /** When a person decided or it expired. */
  decidedAt?: string;
  /** The person who approved or rejected it (absent for expired). */
  decidedBy?: { readonly actor: string; readonly role: string };
  /** The reason the person gave. */
  comment?: string;
  /** After an approval: what became of the action (acted, dry-run, failed, skipped by a guardrail, not-confirmed…). */
  result?: { readonly outcome: Outcome; readonly reason: string };
}

/** Decided approvals kept for the list: a day at most, and at most this many. */
const KEEP_DECIDED_MS = 24 * 3_600_000;
const KEEP_DECIDED = 500;

interface Entry {
  readonly approval: Approval;
  /** fingerprint|startsAt|rule|target: the incident it holds. */
  readonly incident: string;
  /** rule|target: one pending approval per slot. */
  readonly slot: string;
}

/** The approvals of one executor (the Lease holder), by id, incident and rule+target. */
export class ApprovalBook {
  private readonly entries = new Map<string, Entry>();
  private readonly byIncident = new Map<string, Entry>();

  /** Adds a pending approval (or one restored in any state). */
  add(approval: Approval, incident: string, slot: string): void {
    const entry = { approval, incident, slot };
    this.entries.set(approval.id, entry);
    this.byIncident.set(incident, entry);
  }

  get(id: string): Approval | undefined {
    return this.entries.get(id)?.approval;
  }

  /** The approval that held this incident, in any state. */
  forIncident(incident: string): Approval | undefined {
    return this.byIncident.get(incident)?.approval;
  }

  /** The pending approval of this rule and target. */
  pendingIn(slot: string): Approval | undefined {
    for (const e of this.entries.values()) if (e.slot === slot && e.approval.state === 'pending') return e.approval;
    return undefined;
  }

  /** Records a decision on a pending approval. */
  decide(approval: Approval, state: Exclude<ApprovalState, 'pending'>, at: number, who?: Decider): void {
    approval.state = state;
    approval.decidedAt = new Date(at).toISOString();
    if (who) {
      approval.decidedBy = { actor: who.actor, role: who.role };
      if (who.reason) approval.comment = who.reason;
    }
  }

  /** Pending approvals whose expiry has come, marked expired. */
  expire(now: number): Approval[] {
    const due = [...this.entries.values()].map((e) => e.approval).filter((a) => a.state === 'pending' && Date.parse(a.expiresAt) <= now);
    for (const a of due) this.decide(a, 'expired', now);
    return due;
  }

  /** Approvals newest first (by creation), optionally of one state. */
  list(opts: { state?: ApprovalState | undefined; limit: number }): Approval[] {
    return [...this.entries.values()]
      .map((e) => e.approval)
      .filter((a) => !opts.state || a.state === opts.state)
      .sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt) || (b.id < a.id ? -1 : 1))
      .slice(0, opts.limit);
  }

  get pending(): number {
    let n = 0;
    for (const e of this.entries.values()) if (e.approval.state === 'pending') n += 1;
    return n;
  }

  /**
   * Takes over approvals an earlier Lease holder wrote (see {@link approvalsFromRecords}): unknown
   * ones are added; a known pending one takes the stored decision (the other holder decided it).
   */
  restore(restored: readonly { approval: Approval; incident: string; slot: string }[]): void {
    for (const r of restored) {
      const known = this.entries.get(r.approval.id);
      if (!known) this.add(r.approval, r.incident, r.slot);
      else if (known.approval.state === 'pending' && r.approval.state !== 'pending') Object.assign(known.approval, r.approval);
    }
  }

  /** Forgets decided approvals older than a day, and the oldest decided ones beyond the cap. */
  prune(now: number): void {
    const decided = [...this.entries.values()].filter((e) => e.approval.state !== 'pending');
    const old = (e: Entry) => Date.parse(e.approval.decidedAt ?? e.approval.createdAt) < now - KEEP_DECIDED_MS;
    const byAge = decided.sort((a, b) => Date.parse(b.approval.decidedAt ?? '') - Date.parse(a.approval.decidedAt ?? ''));
    byAge.forEach((e, i) => {
      if (i >= KEEP_DECIDED || old(e)) {
        this.entries.delete(e.approval.id);
        if (this.byIncident.get(e.incident) === e) this.byIncident.delete(e.incident);
      }
    });
  }
}

/** Outcomes that are steps of an approval, not the result of its action. */
const STEPS = new Set<string>(['pending', 'approved', 'rejected', 'expired', 'busy']);

/**
 * Approvals rebuilt from the audit rows that carry an approval id (any order): the `pending` row
 * gives what was held, an `approved`, `rejected` or `expired` row the decision, and the first other
 * outcome after the approval the action's result. Rows of an approval whose `pending` row is missing
 * (pruned) are left out.
 */
export function approvalsFromRecords(records: readonly AuditRecord[]): Approval[] {
  // Steps written in the same millisecond: the hold, then the decision, then the action's result.
  const rank = (outcome: string) => (outcome === 'pending' ? 0 : STEPS.has(outcome) ? 1 : 2);
  const rows = [...records].filter((r) => r.approval?.id).sort((a, b) => a.at.getTime() - b.at.getTime() || rank(a.outcome) - rank(b.outcome));
  const out = new Map<string, Approval>();
  for (const r of rows) {
    const a = r.approval!;
    if (r.outcome === 'pending') {
      if (!a.alert || !a.expiresAt) continue;
      out.set(a.id, {
        id: a.id,
        state: 'pending',
        rule: r.rule,
        action: r.action,
        target: r.target as TargetRef,
        summary: a.summary ?? '',
        alert: a.alert,
        createdAt: r.at.toISOString(),
        expiresAt: a.expiresAt.toISOString(),
      });
      continue;
    }
    const approval = out.get(a.id);
    if (!approval) continue;
    if (r.outcome === 'approved' || r.outcome === 'rejected' || r.outcome === 'expired') {
      if (approval.state !== 'pending') continue;
      approval.state = r.outcome;
      approval.decidedAt = (a.decidedAt ?? r.at).toISOString();
      if (a.actor && a.role) approval.decidedBy = { actor: a.actor, role: a.role };
      if (a.comment) approval.comment = a.comment;
    } else if (!STEPS.has(r.outcome) && approval.state === 'approved' && !approval.result) {
      approval.result = { outcome: r.outcome as Outcome, reason: r.reason };
    }
  }
  return [...out.values()];
}
