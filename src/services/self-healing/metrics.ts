import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { SELF_HEALING_METRICS as M } from '../../core/self-healing-metrics.js';

/**
 * The executor's own metrics (beside the kit's process and request metrics), named in
 * src/core/self-healing-metrics.ts, which the chart's metrics catalog, dashboard and alerts read.
 */
export interface ExecutorMetrics {
  /** `aiops_self_healing_decisions_total{rule,outcome}`: every decision, by rule and outcome. */
  readonly decisions: Counter<'rule' | 'outcome'>;
  /** `aiops_self_healing_action_duration_seconds{rule,action}`: verification + API calls of an action. */
  readonly actionDuration: Histogram<'rule' | 'action'>;
  /** `aiops_self_healing_gave_up_total{rule}`: targets given up on (attempts exhausted). */
  readonly gaveUp: Counter<'rule'>;
  /** `aiops_self_healing_circuit_breaker_open`: 1 while the actions-per-hour bound is reached. */
  readonly circuitOpen: Gauge;
  /** `aiops_self_healing_leader`: 1 on the replica holding the Lease. */
  readonly leader: Gauge;
  /** `aiops_self_healing_pending_approvals`: actions held for a person now (approval mode; 0 off the Lease). */
  readonly pendingApprovals: Gauge;
}

export function createExecutorMetrics(registry: Registry): ExecutorMetrics {
  const registers = [registry];
  return {
    decisions: new Counter({ name: M.decisions, help: 'Self-healing decisions by rule and outcome.', labelNames: ['rule', 'outcome'] as const, registers }),
    actionDuration: new Histogram({
      name: M.actionDuration,
      help: 'Time from decision to the end of an action (Prometheus confirmation and Kubernetes API calls).',
      labelNames: ['rule', 'action'] as const,
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    gaveUp: new Counter({ name: M.gaveUp, help: 'Targets the executor gave up on after its attempts within the window.', labelNames: ['rule'] as const, registers }),
    circuitOpen: new Gauge({ name: M.circuitOpen, help: '1 while the circuit breaker (actions per hour) is open.', registers }),
    leader: new Gauge({ name: M.leader, help: '1 on the executor replica that holds the Lease and acts.', registers }),
    pendingApprovals: new Gauge({ name: M.pendingApprovals, help: 'Actions held for a person to approve or reject (selfHealing.mode approval), on the Lease holder.', registers }),
  };
}
