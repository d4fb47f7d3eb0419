import { k8s } from './k8s.js';
import type { PersistenceValues } from '../values/schema/common.js';
import type { PlatformContext } from './context.js';

/**
 * The storage class of a volume: the component's, else `global.storageClass`, else none (the
 * cluster default). `-` means an explicit empty class (no dynamic provisioning), as in Helm charts.
 */
export function storageClassName(ctx: PlatformContext, persistence: PersistenceValues): string | undefined {
  const name = persistence.storageClass || ctx.global.storageClass;
  if (!name) return undefined;
  return name === '-' ? '' : name;
}

/** The spec of a claim (default ReadWriteOnce) of a component's persistence (size and storage class). */
export function claimSpec(
  ctx: PlatformContext,
  persistence: PersistenceValues,
  accessMode: 'ReadWriteOnce' | 'ReadWriteMany' = 'ReadWriteOnce',
): k8s.PersistentVolumeClaimSpec {
  const storageClass = storageClassName(ctx, persistence);
  return {
    accessModes: [accessMode],
    ...(storageClass !== undefined ? { storageClassName: storageClass } : {}),
    resources: { requests: { storage: k8s.Quantity.fromString(persistence.size) } },
  };
}

/** A StatefulSet volume claim template named `name` (default data) from a component's persistence. */
export function volumeClaimTemplate(
  ctx: PlatformContext,
  persistence: PersistenceValues,
  labels: Record<string, string>,
  name = 'data',
): k8s.KubePersistentVolumeClaimProps {
  return { metadata: { name, labels }, spec: claimSpec(ctx, persistence) };
}

/** An emptyDir volume; `memory` keeps it in RAM (for secrets and sockets). */
export function emptyDirVolume(name: string, opts: { memory?: boolean; sizeLimit?: string } = {}): k8s.Volume {
  return {
    name,
    emptyDir: {
      ...(opts.memory ? { medium: 'Memory' } : {}),
      ...(opts.sizeLimit ? { sizeLimit: k8s.Quantity.fromString(opts.sizeLimit) } : {}),
    },
  };
}
