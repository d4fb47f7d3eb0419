/**
 * The names of the self-healing executor's own metrics, decided here once: the executor registers
 * them (src/services/self-healing/metrics.ts), the chart's metrics catalog, dashboard and alert
 * rules read them (src/components/monitoring/).
 */
export const SELF_HEALING_METRICS = {
  /** Counter `{rule,outcome}`: every decision; outcome is one of {@link SELF_HEALING_OUTCOMES}. */
  decisions: 'aiops_self_healing_decisions_total',
  /** Histogram `{rule,action}`: time from decision to the end of an action (confirmation + API calls). */
  actionDuration: 'aiops_self_healing_action_duration_seconds',
  /** Counter `{rule}`: targets given up on after attemptsPerTarget attempts within the window. */
  gaveUp: 'aiops_self_healing_gave_up_total',
  /** Gauge: 1 while the circuit breaker (actions per hour) is open. */
  circuitOpen: 'aiops_self_healing_circuit_breaker_open',
  /** Gauge: 1 on the replica holding the Lease. */
  leader: 'aiops_self_healing_leader',
  /** Gauge: actions held for a person's approval now (selfHealing.mode approval), on the Lease holder (0 on the others). */
  pendingApprovals: 'aiops_self_healing_pending_approvals',
  /** Counter: decisions that could not be written to the PostgreSQL audit table. */
  auditWriteFailures: 'aiops_self_healing_audit_write_failures_total',
} as const;

/**
 * Every outcome label value of {@link SELF_HEALING_METRICS.decisions}: the engine's (acted, dry-run,
 * skipped, not-confirmed, blocked, failed, gave-up, busy) and those of approval mode (pending: held
 * for a person; approved, rejected: a person decided; expired: nobody did within the TTL).
 */
export const SELF_HEALING_OUTCOMES = ['acted', 'dry-run', 'skipped', 'not-confirmed', 'blocked', 'failed', 'gave-up', 'busy', 'pending', 'approved', 'rejected', 'expired'] as const;
