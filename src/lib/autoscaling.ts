import { k8s } from './k8s.js';
import type { Construct } from 'constructs';
import type { PlatformContext } from './context.js';
import type { ComponentIdentity } from './labels.js';
import { metadata } from './metadata.js';

/** The resolved `autoscaling.*` values of a component (minReplicas already defaulted by the schema). */
export interface AutoscalingValues {
  readonly minReplicas: number;
  readonly maxReplicas: number;
  /** Average CPU utilisation target, percent of the CPU request. */
  readonly targetCPUUtilizationPercentage: number;
  /** Average memory utilisation target, percent of the memory request; absent: CPU only (a fixed JVM heap never shrinks). */
  readonly targetMemoryUtilizationPercentage?: number | undefined;
}

/**
 * A HorizontalPodAutoscaler (autoscaling/v2) `name` for the Deployment of the same name, scaling on
 * average CPU and (when it has a target) memory utilisation of the pods' requests within [minReplicas, maxReplicas]. The
 * Deployment must then leave `replicas` unset, so that applying the manifests does not undo scaling.
 */
export function createAutoscaler(
  scope: Construct,
  ctx: PlatformContext,
  o: { readonly name: string; readonly id: ComponentIdentity; readonly autoscaling: AutoscalingValues },
): k8s.KubeHorizontalPodAutoscalerV2 {
  const utilisation = (name: 'cpu' | 'memory', averageUtilization: number): k8s.MetricSpecV2 => ({
    type: 'Resource',
    resource: { name, target: { type: 'Utilization', averageUtilization } },
  });
  return new k8s.KubeHorizontalPodAutoscalerV2(scope, 'hpa', {
    metadata: metadata(ctx, o.name, o.id),
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: o.name },
      minReplicas: o.autoscaling.minReplicas,
      maxReplicas: o.autoscaling.maxReplicas,
      metrics: [
        utilisation('cpu', o.autoscaling.targetCPUUtilizationPercentage),
        ...(o.autoscaling.targetMemoryUtilizationPercentage === undefined ? [] : [utilisation('memory', o.autoscaling.targetMemoryUtilizationPercentage)]),
      ],
    },
  });
}
