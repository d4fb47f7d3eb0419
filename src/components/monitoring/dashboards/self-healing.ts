import { RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { SELF_HEALING_METRICS as M } from '../../../core/self-healing-metrics.js';
import { counterIncrease } from '../counter-increase.js';
import { dashboard, labelVariable, RATE, stat, timeseries } from './panels.js';

/** Uid of the self-healing dashboard. */
const SELF_HEALING_UID = 'aiops-self-healing';

const RULE = 'rule=~"$rule"';
/** Decisions with `outcome` over the time range of the dashboard (series born in the range included). */
const inRange = (selector: string) => counterIncrease(`${M.decisions}{${selector}, ${RULE}}`, '$__range');
/** Decisions per minute, by `by`. */
const perMinute = (by: string) => `sum by (${by}) (rate(${M.decisions}{${RULE}}${RATE})) * 60`;
const quantile = (q: number) => `histogram_quantile(${q}, sum by (rule, le) (rate(${M.actionDuration}_bucket{${RULE}}${RATE})))`;

/**
 * The self-healing executor from its own /metrics (src/core/self-healing-metrics.ts): decisions by
 * outcome and rule, actions and give-ups in the time range, action duration, approvals (approval
 * mode), the circuit breaker, which replica holds the Lease and audit rows PostgreSQL did not take.
 */
export function selfHealingDashboard() {
  return dashboard({
    uid: SELF_HEALING_UID,
    title: 'AIOps / Self-healing',
    description: 'Decisions, actions, give-ups, action duration, circuit breaker and Lease of the self-healing executor.',
    variables: [labelVariable('rule', 'Rule', M.decisions)],
  })
    .withRow(new RowBuilder('Overview'))
    .withPanel(stat('Acted in range', { unit: 'none', width: 4, targets: [{ expr: inRange('outcome="acted"'), legend: 'acted' }] }))
    .withPanel(
      stat('Dry runs in range', {
        unit: 'none',
        width: 4,
        description: 'Actions the executor would have taken (selfHealing.dryRun, the default in development).',
        targets: [{ expr: inRange('outcome="dry-run"'), legend: 'dry-run' }],
      }),
    )
    .withPanel(stat('Failed in range', { unit: 'none', width: 4, threshold: { value: 1 }, targets: [{ expr: inRange('outcome="failed"'), legend: 'failed' }] }))
    .withPanel(
      stat('Gave up in range', {
        unit: 'none',
        width: 4,
        threshold: { value: 1 },
        description: 'Targets left to people after selfHealing.limits.attemptsPerTarget actions within the window (the SelfHealingGaveUp alert).',
        targets: [{ expr: counterIncrease(`${M.gaveUp}{${RULE}}`, '$__range'), legend: 'gave up' }],
      }),
    )
    .withPanel(
      stat('Circuit breaker open', {
        unit: 'bool_yes_no',
        width: 4,
        threshold: { value: 1 },
        description: 'Yes while selfHealing.limits.actionsPerHour actions were taken within the last hour: the executor acts on nothing.',
        targets: [{ expr: `max(${M.circuitOpen})`, legend: 'open' }],
      }),
    )
    .withPanel(
      stat('Replicas holding the Lease', {
        unit: 'none',
        width: 4,
        threshold: { value: 1, bad: 'below' },
        description: 'Exactly one replica acts; 0 means no replica acts on alerts.',
        targets: [{ expr: `sum(${M.leader})`, legend: 'leader' }],
      }),
    )
    .withRow(new RowBuilder('Decisions'))
    .withPanel(
      timeseries('Decisions by outcome', {
        unit: 'opm',
        description: 'acted, dry-run, skipped (and why: see the decision log), not-confirmed (Prometheus has no such firing alert), blocked (PodDisruptionBudget), failed, gave-up, busy.',
        targets: [{ expr: perMinute('outcome'), legend: '{{outcome}}' }],
      }),
    )
    .withPanel(timeseries('Decisions by rule', { unit: 'opm', targets: [{ expr: perMinute('rule'), legend: '{{rule}}' }] }))
    .withRow(new RowBuilder('Actions'))
    .withPanel(
      timeseries('Action duration by rule', {
        unit: 's',
        description: 'From the decision to the end of the action: Prometheus confirmation and Kubernetes API calls.',
        targets: [
          { expr: quantile(0.5), legend: '{{rule}} p50' },
          { expr: quantile(0.95), legend: '{{rule}} p95' },
        ],
      }),
    )
    .withPanel(
      timeseries('Actions by action', {
        unit: 'opm',
        targets: [{ expr: `sum by (action) (rate(${M.actionDuration}_count{${RULE}}${RATE})) * 60`, legend: '{{action}}' }],
      }),
    )
    .withRow(new RowBuilder('Approvals'))
    .withPanel(
      timeseries('Pending approvals', {
        unit: 'short',
        min: 0,
        description: 'Actions held for a person to approve or reject through the API gateway (selfHealing.mode approval); they expire after selfHealing.limits.approvalTtl.',
        targets: [{ expr: `sum(${M.pendingApprovals})`, legend: 'pending' }],
      }),
    )
    .withPanel(
      timeseries('Approval steps', {
        unit: 'opm',
        description: 'pending (held), approved, rejected, expired (nobody decided within the TTL); what an approved action did is under Decisions.',
        targets: [{ expr: `sum by (outcome) (rate(${M.decisions}{outcome=~"pending|approved|rejected|expired", ${RULE}}${RATE})) * 60`, legend: '{{outcome}}' }],
      }),
    )
    .withRow(new RowBuilder('Executor'))
    .withPanel(
      timeseries('Circuit breaker open', { unit: 'bool_yes_no', width: 8, min: 0, max: 1, targets: [{ expr: `max by (pod) (${M.circuitOpen})`, legend: '{{pod}}' }] }),
    )
    .withPanel(
      timeseries('Lease holder', {
        unit: 'bool_yes_no',
        width: 8,
        min: 0,
        max: 1,
        description: 'Which replica holds the Lease and acts.',
        targets: [{ expr: `max by (pod) (${M.leader})`, legend: '{{pod}}' }],
      }),
    )
    .withPanel(
      timeseries('Audit write failures', {
        unit: 'short',
        width: 8,
        threshold: { value: 1 },
        description: 'Decisions PostgreSQL did not take (table self_healing_actions): they are only in the logs and the memory of the replica.',
        targets: [{ expr: `sum by (pod) (increase(${M.auditWriteFailures}${RATE}))`, legend: '{{pod}}' }],
      }),
    );
}
