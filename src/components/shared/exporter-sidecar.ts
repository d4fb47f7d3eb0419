import type { k8s } from 'cdk8s-plus-27';
import type { PlatformContext } from '../../lib/context.js';
import { containerImage } from '../../lib/images.js';
import { httpAction, probes } from '../../lib/probes.js';
import { resourceRequirements } from '../../lib/resources.js';
import { restrictedContainerSecurityContext } from '../../lib/security.js';
import type { ImageValues, ResourceValues } from '../../values/schema/common.js';

/** Options of a Prometheus exporter sidecar. */
export interface ExporterSidecarOptions {
  /** The component's `exporter.*` values. */
  readonly values: { image: ImageValues; resources: ResourceValues };
  /** Metrics port, named `metrics`. */
  readonly port: number;
  /** Environment of the exporter (connection and credentials). */
  readonly env: k8s.EnvVar[];
  /** Path answering health checks without touching the data store (default /). */
  readonly healthPath?: string;
}

/** A Prometheus exporter container next to a data store: port `metrics`, probes, restricted context. */
export function exporterSidecar(ctx: PlatformContext, o: ExporterSidecarOptions): k8s.Container {
  return {
    name: 'metrics',
    ...containerImage(ctx, o.values.image),
    ports: [{ name: 'metrics', containerPort: o.port, protocol: 'TCP' }],
    env: o.env,
    ...probes(httpAction(o.healthPath ?? '/', 'metrics')),
    resources: resourceRequirements(o.values.resources),
    securityContext: restrictedContainerSecurityContext(),
  };
}
