import { k8s } from './k8s.js';
import type { Construct } from 'constructs';
import type { PlatformContext } from './context.js';
import { selectorLabels, type ComponentIdentity } from './labels.js';
import { metadata } from './metadata.js';

/** A named Service port; `targetPort` defaults to the container port of the same name. */
export interface ServicePort {
  readonly name: string;
  readonly port: number;
  readonly targetPort?: string | number;
  /** Transport protocol (default TCP); a port serving both needs two entries with different names. */
  readonly protocol?: 'TCP' | 'UDP';
}

/** Options of a Service in front of one component's pods. */
export interface ServiceOptions {
  readonly name: string;
  readonly id: ComponentIdentity;
  readonly ports: readonly ServicePort[];
  /** Headless Service for StatefulSet pod DNS (default false). */
  readonly headless?: boolean;
  /** Publish pods before they are ready (default false; true for peer discovery). */
  readonly publishNotReadyAddresses?: boolean;
  /** Service type (default ClusterIP). */
  readonly type?: string;
  readonly annotations?: Record<string, string>;
}

/** Creates a Service selecting the component's pods by their stable selector labels. */
export function createService(scope: Construct, id: string, ctx: PlatformContext, o: ServiceOptions): k8s.KubeService {
  return new k8s.KubeService(scope, id, {
    metadata: metadata(ctx, o.name, o.id, o.annotations ? { annotations: o.annotations } : {}),
    spec: {
      type: o.type ?? 'ClusterIP',
      ...(o.headless ? { clusterIp: 'None' } : {}),
      ...(o.publishNotReadyAddresses ? { publishNotReadyAddresses: true } : {}),
      selector: selectorLabels(ctx, o.id),
      ports: o.ports.map((p) => ({
        name: p.name,
        port: p.port,
        protocol: p.protocol ?? 'TCP',
        targetPort: typeof p.targetPort === 'number' ? k8s.IntOrString.fromNumber(p.targetPort) : k8s.IntOrString.fromString(p.targetPort ?? p.name),
      })),
    },
  });
}
