import * as z from 'zod';
import type { Profile } from './profile.js';
import { IMAGES } from './images.js';
import { annotationMap } from './metadata.js';
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
          annotations: annotationMap.default({}).describe('Service annotations, e.g. for cloud load balancers (default {}).'),
        })
        .prefault({})
        .describe('The Service in front of Traefik (web on 80, websecure on 443).'),
      latencyBuckets: z
        .array(z.number().positive())
        .min(1)
        .superRefine((buckets, ctx) => {
          // Prometheus histograms need strictly increasing bucket bounds; Traefik passes them through.
          const at = buckets.findIndex((b, i) => i > 0 && b <= buckets[i - 1]!);
          if (at > 0) {
            ctx.addIssue({
              code: 'custom',
              path: [at],
              input: buckets[at],
              message: `latency buckets must be strictly increasing: ${buckets[at]} follows ${buckets[at - 1]} (${buckets[at] === buckets[at - 1] ? 'a duplicate' : 'out of order'}); sort them and remove duplicates`,
            });
          }
        })
        .default([0.1, 0.3, 1.2, 5, 10, 30])
        .describe('Request latency histogram buckets in seconds; they go above alerting.thresholds.responseTimeSeconds so the alert can fire (default [0.1, 0.3, 1.2, 5, 10, 30]).'),
    })
    .prefault({})
    .describe('Traefik, the edge router and Ingress controller.');
