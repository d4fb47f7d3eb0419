import { z } from 'zod';
import { existingSecret, image, resources, schedulingFields, type ImageDefaults, type ResourceDefaults } from './common.js';
import type { Profile } from './profile.js';
import { percent, replicas } from './primitives.js';

/** Defaults of one workload in both profiles. */
export interface WorkloadDefaults {
  image: ImageDefaults;
  resources: { development: ResourceDefaults; production: ResourceDefaults };
}

/** `enabled`, `image`, `resources` and the scheduling keys every component has. */
export const workloadFields = (p: Profile, d: WorkloadDefaults) => ({
  /** Render this component (default true). */
  enabled: z.boolean().default(true),
  image: image(d.image),
  resources: resources(p.pick(d.resources.development, d.resources.production)),
  ...schedulingFields,
});

/** `replicas` with a development and a production default. */
export const replicaField = (p: Profile, development: number, production: number) => ({
  replicas: replicas(p.pick(development, production)),
});

/** `autoscaling.*` for a HorizontalPodAutoscaler (default on in production). */
export const autoscaling = (p: Profile, maxReplicas: { development: number; production: number }) =>
  z
    .strictObject({
      /** Create an HPA (default false in development, true in production). */
      enabled: z.boolean().default(p.pick(false, true)),
      /** Lower bound (default: the component's replicas). */
      minReplicas: z.number().int().min(1).optional(),
      /** Upper bound. */
      maxReplicas: z.number().int().min(1).default(p.pick(maxReplicas.development, maxReplicas.production)),
      /** Average CPU utilisation target in percent of requests (default 70). */
      targetCPUUtilizationPercentage: percent.default(70),
      /** Average memory utilisation target in percent of requests (default 80). */
      targetMemoryUtilizationPercentage: percent.default(80),
    })
    .prefault({})
    .superRefine((a, ctx) => {
      if (a.minReplicas !== undefined && a.minReplicas > a.maxReplicas) {
        ctx.addIssue({
          code: 'custom',
          path: ['minReplicas'],
          input: a.minReplicas,
          message: `minReplicas (${a.minReplicas}) is above maxReplicas (${a.maxReplicas})`,
        });
      }
    });

type AutoscalingInput = { enabled: boolean; minReplicas?: number | undefined; maxReplicas: number };

/**
 * Transform of a slice with `replicas` and {@link autoscaling}: `autoscaling.minReplicas` defaulted
 * to the slice's `replicas`; with autoscaling on, that default may not exceed `autoscaling.maxReplicas`.
 */
export function withMinReplicas<V extends { replicas: number; autoscaling: AutoscalingInput }>(
  v: V,
  ctx: z.RefinementCtx,
): Omit<V, 'autoscaling'> & { autoscaling: V['autoscaling'] & { minReplicas: number } } {
  const { autoscaling: a, replicas } = v;
  if (a.enabled && a.minReplicas === undefined && replicas > a.maxReplicas) {
    ctx.addIssue({
      code: 'custom',
      path: ['autoscaling', 'maxReplicas'],
      input: a.maxReplicas,
      message: `autoscaling.maxReplicas (${a.maxReplicas}) is below replicas (${replicas}), the default autoscaling.minReplicas: raise maxReplicas or set autoscaling.minReplicas`,
    });
  }
  return { ...v, autoscaling: { ...a, minReplicas: a.minReplicas ?? replicas } };
}

/** Small helper for resource defaults: requests cpu/memory and a memory limit. */
export const sized = (cpu: string, memory: string, memoryLimit: string, cpuLimit?: string): ResourceDefaults => ({
  requests: { cpu, memory },
  limits: cpuLimit ? { cpu: cpuLimit, memory: memoryLimit } : { memory: memoryLimit },
});

/** `auth.{enabled,password,existingSecret}` of a service protected by one password. */
export const passwordAuth = (what: string, secretKey: string) =>
  z
    .strictObject({
      /** Require authentication (default true). */
      enabled: z.boolean().default(true).describe(`${what} (default true)`),
      /** Password (default: a development password in development; in production the Secret must exist). */
      password: z.string().default(''),
      /** Existing Secret holding the password. */
      existingSecret: existingSecret.describe(`existing Secret with key ${secretKey}`),
    })
    .prefault({});

/** `exporter.*`: a Prometheus exporter sidecar next to a data store (on by default). */
export const sidecarExporter = (p: Profile, img: ImageDefaults) =>
  z
    .strictObject({
      /** Run the exporter sidecar (default true). */
      enabled: z.boolean().default(true),
      image: image(img),
      resources: resources(p.pick(sized('10m', '32Mi', '64Mi'), sized('50m', '64Mi', '128Mi'))),
    })
    .prefault({});
