import type { TopologySpreadOverride } from '../values/schema/scheduling-policy.js';
import type { PlatformContext } from './context.js';
import type { k8s } from './k8s.js';
import { selectorLabels, type ComponentIdentity } from './labels.js';

/**
 * The scheduler's view of the platform's pods: their PriorityClass and how their replicas spread
 * over zones and nodes (`global.priorityClasses`, `global.topologySpread`, `<component>.topologySpread`).
 */

/**
 * The two tiers. `critical`: what must survive node pressure because the rest depends on it or
 * repairs it (the data stores, Prometheus, Alertmanager, the self-healing executor); `standard`:
 * every other pod, Jobs included.
 */
export type PriorityTier = 'critical' | 'standard';

/** The class name of each tier, or undefined when `global.priorityClasses.enabled` is false. */
export function priorityClassNames(ctx: PlatformContext): Record<PriorityTier, string> | undefined {
  const p = ctx.global.priorityClasses;
  if (!p.enabled) return undefined;
  return { critical: p.critical.name ?? `${ctx.release}-critical`, standard: p.standard.name ?? `${ctx.release}-standard` };
}

/** The topology keys of the two spreads. */
const TOPOLOGY_KEY = { zone: 'topology.kubernetes.io/zone', hostname: 'kubernetes.io/hostname' } as const;

/**
 * `topologySpreadConstraints` of a workload that may run `maxReplicas` pods: none for one pod; else
 * one per enabled spread (zones, then nodes), each selecting exactly this workload's pods (its
 * selector labels, as its controller selects them), with the component's override applied over
 * `global.topologySpread` key by key.
 */
export function spreadConstraints(ctx: PlatformContext, id: ComponentIdentity, maxReplicas: number, override: TopologySpreadOverride): k8s.TopologySpreadConstraint[] {
  if (maxReplicas <= 1) return [];
  return (['zone', 'hostname'] as const).flatMap((key) => {
    const rule = { ...ctx.global.topologySpread[key], ...definedOnly(override?.[key]) };
    if (!rule.enabled) return [];
    return [{ maxSkew: rule.maxSkew, topologyKey: TOPOLOGY_KEY[key], whenUnsatisfiable: rule.whenUnsatisfiable, labelSelector: { matchLabels: selectorLabels(ctx, id) } }];
  });
}

function definedOnly<T extends object>(value: T | undefined): Partial<T> {
  return Object.fromEntries(Object.entries(value ?? {}).filter(([, v]) => v !== undefined)) as Partial<T>;
}
