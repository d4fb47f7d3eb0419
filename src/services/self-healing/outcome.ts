import { SELF_HEALING_OUTCOMES } from '../../core/self-healing-metrics.js';

/** The executor's outcomes, targets and held alerts: the vocabulary the engine, the approvals and the audit share. */

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
  | 'busy'
  /** Approval mode: a live action held for a person (approvals.ts). */
  | 'pending'
  /** A person approved a held action: it is confirmed and checked again, then runs (its own decision follows). */
  | 'approved'
  /** A person rejected a held action: not acted on. */
  | 'rejected'
  /** Nobody decided a held action within the approval TTL: not acted on. */
  | 'expired';

export const OUTCOMES: readonly Outcome[] = SELF_HEALING_OUTCOMES;

/** The object an action is about. */
export interface TargetRef {
  readonly kind: 'Pod' | 'Deployment' | 'StatefulSet' | 'Job';
  readonly namespace: string;
  /** Pod or workload name; for Jobs the generateName prefix. */
  readonly name: string;
}

/** The alert a held action answers: kept to confirm it again at approval and to know its incident. */
export interface HeldAlert {
  readonly labels: Readonly<Record<string, string>>;
  readonly startsAt: string;
  readonly fingerprint: string;
}
