// The inhibitions of alertmanager.yml (Alertmanager v0.28), and why each is there.

/** An inhibition: alerts matching `target_matchers` are muted while one matching `source_matchers` fires with the same `equal` labels. */
export interface AmInhibitRule {
  source_matchers: string[];
  target_matchers: string[];
  equal: string[];
}

/**
 * Inhibitions, by what a warning means once a critical alert fires. Every alert name has a single
 * severity, so an inhibition must match across alert names (the former `equal: [alertname, …]`
 * never matched), and across components: PodCrashLooping and TargetDown are `kubernetes` and
 * `monitoring` alerts about a `postgresql` or `redis` pod. An inhibited alert is muted for every
 * receiver, the self-healing executor included, so a warning is muted only where its action is
 * pointless while the critical alert lasts:
 * - a critical alert naming a pod (PodCrashLooping, TargetDown) mutes the warnings naming the same
 *   pod in the same namespace (PostgreSQLTooManyConnections → no VACUUM run against a crash-looping
 *   database; RedisLowHitRate): `equal: [namespace, pod]`, with `pod` required non-empty on both
 *   sides, because Alertmanager counts two missing labels as equal and would otherwise let any
 *   pod-less critical alert mute every pod-less warning;
 * - nothing else: NodeDiskAlmostFull (a node's filesystem) says nothing about its CPU or memory;
 *   HighErrorRate of a service does not mute its HighResponseTime, whose scale-out is the remedy
 *   when the errors are timeouts under load; node and HTTP alerts carry no namespace, so an
 *   `equal: [namespace, component]` rule would let one node's or service's critical alert mute the
 *   warnings of all the others.
 */
export const INHIBIT_RULES: AmInhibitRule[] = [
  {
    source_matchers: ['severity="critical"', 'pod=~".+"'],
    target_matchers: ['severity="warning"', 'pod=~".+"'],
    equal: ['namespace', 'pod'],
  },
];
