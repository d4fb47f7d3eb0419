import { k8s } from './k8s.js';
import type { ResourceValues } from '../values/schema/common.js';

/** Converts a values `resources` block into Kubernetes ResourceRequirements. */
export function resourceRequirements(values: ResourceValues): k8s.ResourceRequirements {
  return { requests: quantities(values.requests), limits: quantities(values.limits) };
}

function quantities(list: Record<string, string | undefined>): Record<string, k8s.Quantity> {
  const out: Record<string, k8s.Quantity> = {};
  for (const key of Object.keys(list).sort()) {
    const value = list[key];
    if (value !== undefined) out[key] = k8s.Quantity.fromString(value);
  }
  return out;
}
