import type { k8s } from './k8s.js';
import type { ImageValues, ResourceValues } from '../values/schema/common.js';
import type { PlatformContext } from './context.js';
import { containerImage } from './images.js';
import { resourceRequirements } from './resources.js';
import { restrictedContainerSecurityContext } from './security.js';

/** The image and resources of a container, as a component's values slice gives them. */
export interface ContainerValues {
  readonly image: ImageValues;
  readonly resources: ResourceValues;
}

/**
 * The skeleton every container of the platform shares: its name, the image reference and pull
 * policy (`global.imageRegistry` applied), the resources from values and the security context
 * (default: the restricted profile with a read-only root file system). Spread it and add the
 * command, ports, probes and mounts.
 */
export function baseContainer(
  ctx: PlatformContext,
  name: string,
  values: ContainerValues,
  /** Replaces the restricted security context (a root node agent's, a privileged init container's). */
  securityContext: k8s.SecurityContext = restrictedContainerSecurityContext(),
): k8s.Container {
  return {
    name,
    ...containerImage(ctx, values.image),
    resources: resourceRequirements(values.resources),
    securityContext,
  };
}
