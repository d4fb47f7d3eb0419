import type { k8s } from './k8s.js';
import type { PlatformContext } from './context.js';
import { objectLabels, type ComponentIdentity } from './labels.js';

/** Metadata of a namespaced object: explicit name, the platform namespace and the full labels. */
export function metadata(
  ctx: PlatformContext,
  name: string,
  id: ComponentIdentity,
  extra: { version?: string; annotations?: Record<string, string> } = {},
): k8s.ObjectMeta {
  return {
    name,
    namespace: ctx.namespace,
    labels: objectLabels(ctx, id, extra.version),
    ...(extra.annotations && Object.keys(extra.annotations).length > 0 ? { annotations: extra.annotations } : {}),
  };
}

/** Metadata of a cluster-scoped object (no namespace). */
export function clusterMetadata(ctx: PlatformContext, name: string, id: ComponentIdentity): k8s.ObjectMeta {
  return { name, labels: objectLabels(ctx, id) };
}
