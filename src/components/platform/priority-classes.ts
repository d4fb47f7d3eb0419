import { k8s } from '../../lib/k8s.js';
import { Construct } from 'constructs';
import type { PlatformContext } from '../../lib/context.js';
import { clusterMetadata } from '../../lib/metadata.js';
import { priorityClassNames, type PriorityTier } from '../../lib/scheduling-policy.js';

/** Why each tier ranks where it does: the classes' descriptions (`kubectl get priorityclass` shows them). */
const DESCRIPTION: Record<PriorityTier, string> = {
  critical: 'aiops-platform: the data stores, Prometheus, Alertmanager and the self-healing executor, evicted last under node pressure because every other part depends on them or is repaired by them',
  standard: 'aiops-platform: every other pod of the platform, Jobs included',
};

/**
 * The PriorityClasses `<release>-critical` and `<release>-standard` (`global.priorityClasses`):
 * rendered unless the values point at classes that exist (`create: false`) or turn priorities off.
 * Neither is the global default nor preempts by force beyond the scheduler's normal preemption.
 */
export class PriorityClasses extends Construct {
  constructor(scope: Construct, id: string, ctx: PlatformContext) {
    super(scope, id);
    const names = priorityClassNames(ctx);
    if (!names || !ctx.global.priorityClasses.create) return;
    for (const tier of ['critical', 'standard'] as const) {
      new k8s.KubePriorityClass(this, tier, {
        metadata: clusterMetadata(ctx, names[tier], { name: 'aiops-platform', component: 'priority' }),
        value: ctx.global.priorityClasses[tier].value,
        globalDefault: false,
        description: DESCRIPTION[tier],
      });
    }
  }
}
