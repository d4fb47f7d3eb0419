import { z } from 'zod';
import type { Profile } from './profile.js';
import { IMAGES } from './images.js';
import { stringMap } from './primitives.js';
import { replicaField, sized, workloadFields } from './workload.js';

/** `traefik.*`: the edge router. */
export const traefikSchema = (p: Profile) =>
  z
    .strictObject({
      ...workloadFields(p, {
        name: 'Traefik',
        image: IMAGES.traefik,
        resources: { development: sized('50m', '64Mi', '128Mi'), production: sized('200m', '128Mi', '256Mi') },
      }),
      ...replicaField(p, 1, 2),
      service: z
        .strictObject({
          type: z
            .enum(['LoadBalancer', 'NodePort', 'ClusterIP'])
            .default('LoadBalancer')
            .describe('Kubernetes Service type (default LoadBalancer).'),
          annotations: stringMap.default({}).describe('Service annotations, e.g. for cloud load balancers (default {}).'),
        })
        .prefault({})
        .describe('The Service in front of Traefik (web on 80, websecure on 443).'),
      latencyBuckets: z
        .array(z.number().positive())
        .min(1)
        .default([0.1, 0.3, 1.2, 5, 10, 30])
        .describe('Request latency histogram buckets in seconds; they go above alerting.thresholds.responseTimeSeconds so the alert can fire (default [0.1, 0.3, 1.2, 5, 10, 30]).'),
    })
    .prefault({})
    .describe('Traefik, the edge router and Ingress controller.');
