/**
 * The values of the `action` label every alert rule of the platform carries: the self-healing
 * executor acts on the first four (Alertmanager routes those alerts to its webhook, and each of its
 * rules matches one), `none` marks an alert it leaves to people.
 */

/** What the self-healing executor does with a firing alert, by its `action` label. */
export const SELF_HEALING_ACTIONS = ['restart-pod', 'scale-out', 'clean-disk', 'optimize-db'] as const;

/** An action the executor takes (one of {@link SELF_HEALING_ACTIONS}). */
export type SelfHealingAction = (typeof SELF_HEALING_ACTIONS)[number];

/** The `action` label of an alert rule: an executor action, or `none` for an alert no automatic action answers. */
export type AlertAction = SelfHealingAction | 'none';
