import type { k8s } from '../../lib/k8s.js';
import { baseContainer, type ContainerValues } from '../../lib/container.js';
import type { PlatformContext } from '../../lib/context.js';
import { httpAction, probes } from '../../lib/probes.js';

/** Options of a Prometheus exporter sidecar. */
export interface ExporterSidecarOptions {
  /** The component's `exporter.*` values. */
  readonly values: ContainerValues;
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
    ...baseContainer(ctx, 'metrics', o.values),
    ports: [{ name: 'metrics', containerPort: o.port, protocol: 'TCP' }],
    env: o.env,
    ...probes(httpAction(o.healthPath ?? '/', 'metrics')),
  };
}
