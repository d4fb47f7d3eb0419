import { k8s } from './k8s.js';
import type { Construct } from 'constructs';
import type { PlatformContext } from './context.js';
import { selectorLabels, type ComponentIdentity } from './labels.js';
import { metadata } from './metadata.js';

/**
 * A PodDisruptionBudget that lets voluntary disruptions (drains, upgrades) take at most
 * `maxUnavailable` pods at a time (default 1): a drain never blocks, and never takes two at once.
 */
export function createDisruptionBudget(
  scope: Construct,
  ctx: PlatformContext,
  name: string,
  id: ComponentIdentity,
  maxUnavailable = 1,
): k8s.KubePodDisruptionBudget {
  return new k8s.KubePodDisruptionBudget(scope, 'pdb', {
    metadata: metadata(ctx, name, id),
    spec: {
      maxUnavailable: k8s.IntOrString.fromNumber(maxUnavailable),
      selector: { matchLabels: selectorLabels(ctx, id) },
    },
  });
}
