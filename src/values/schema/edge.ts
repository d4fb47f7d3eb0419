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
        image: IMAGES.traefik,
        resources: { development: sized('50m', '64Mi', '128Mi'), production: sized('200m', '128Mi', '256Mi') },
      }),
      ...replicaField(p, 1, 2),
      service: z
        .strictObject({
          /** Service type (default LoadBalancer). */
          type: z.enum(['LoadBalancer', 'NodePort', 'ClusterIP']).default('LoadBalancer'),
          /** Service annotations, e.g. for cloud load balancers (default {}). */
          annotations: stringMap.default({}),
        })
        .prefault({}),
      /** Latency histogram buckets in seconds; they go above 5 s so the response-time alert can fire. */
      latencyBuckets: z.array(z.number().positive()).min(1).default([0.1, 0.3, 1.2, 5, 10, 30]),
    })
    .prefault({});
