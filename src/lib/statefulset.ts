import { k8s } from './k8s.js';
import type { Construct } from 'constructs';
import type { PersistenceValues } from '../values/schema/common.js';
import type { PlatformContext } from './context.js';
import { objectLabels, selectorLabels, type ComponentIdentity } from './labels.js';
import { metadata } from './metadata.js';
import { volumeClaimTemplate } from './storage.js';

/** Options of a StatefulSet with one `data` volume per pod. */
export interface StatefulSetOptions {
  readonly name: string;
  readonly id: ComponentIdentity;
  readonly version: string;
  /** The headless Service that gives pods their DNS names. */
  readonly serviceName: string;
  readonly replicas: number;
  /** `Parallel` when peers must start together (default OrderedReady). */
  readonly podManagementPolicy?: 'OrderedReady' | 'Parallel';
  readonly template: k8s.PodTemplateSpec;
  /** A `data` PersistentVolumeClaim per pod when enabled; otherwise the template must carry a `data` volume. */
  readonly persistence: PersistenceValues;
}

/** Creates a StatefulSet selecting its pods by the stable selector labels, with rolling updates. */
export function createStatefulSet(scope: Construct, ctx: PlatformContext, o: StatefulSetOptions): k8s.KubeStatefulSet {
  return new k8s.KubeStatefulSet(scope, 'statefulset', {
    metadata: metadata(ctx, o.name, o.id, { version: o.version }),
    spec: {
      serviceName: o.serviceName,
      replicas: o.replicas,
      podManagementPolicy: o.podManagementPolicy ?? 'OrderedReady',
      updateStrategy: { type: 'RollingUpdate' },
      selector: { matchLabels: selectorLabels(ctx, o.id) },
      template: o.template,
      ...(o.persistence.enabled ? { volumeClaimTemplates: [volumeClaimTemplate(ctx, o.persistence, objectLabels(ctx, o.id))] } : {}),
    },
  });
}
