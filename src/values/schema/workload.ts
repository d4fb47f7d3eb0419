import * as z from 'zod';
import { existingSecret, image, resources, schedulingFields, type ImageDefaults } from './common.js';
import { CREDENTIAL_DEFAULT, defaultText, type ResourceDefaults } from './describe.js';
import type { Profile } from './profile.js';
import { INT32_MAX, replicas, utilizationPercent } from './primitives.js';
import { password } from './text.js';

/** Defaults of one workload in both profiles. */
export interface WorkloadDefaults {
  /** The component's name in descriptions, e.g. `Traefik` or `AI engine`. */
  name: string;
  image: ImageDefaults;
  resources: { development: ResourceDefaults; production: ResourceDefaults };
}

/** `enabled`, `image`, `resources` and the scheduling keys every component has. */
export const workloadFields = (p: Profile, d: WorkloadDefaults) => workloadFieldsWithImage(p, d, image(`the ${d.name} container`, d.image));

/** {@link workloadFields} with another `image` key, e.g. a bundled platform service's `userBuiltImage`. */
export const workloadFieldsWithImage = <I extends z.ZodType>(p: Profile, d: Omit<WorkloadDefaults, 'image'>, imageKey: I) => ({
  enabled: z.boolean().default(true).describe(`Render the ${d.name} component (default true).`),
  image: imageKey,
  resources: resources(p, `the ${d.name} container`, d.resources.development, d.resources.production),
  ...schedulingFields,
});

/**
 * {@link workloadFields} of a component that never runs more than one pod, or one per node (a
 * DaemonSet): no `topologySpread`, which would have nothing to spread.
 */
export const singlePodWorkloadFields = (p: Profile, d: WorkloadDefaults) => {
  const { topologySpread: _none, ...fields } = workloadFields(p, d);
  return fields;
};

/** `replicas` with a development and a production default; `note` says what more pods mean for this component. */
export const replicaField = (p: Profile, development: number, production: number, note?: string) => ({
  replicas: replicas(p.pick(development, production)).describe(
    `Number of pods${note ? `; ${note}` : ''} (default ${defaultText(development, production)}).`,
  ),
});

/** The keys of `autoscaling.*` every autoscaled workload has: bounds and the CPU target. */
const autoscalingCpuFields = (p: Profile, maxReplicas: { development: number; production: number }) => ({
  enabled: z
    .boolean()
    .default(p.pick(false, true))
    .describe('Create a HorizontalPodAutoscaler, which then owns the number of pods (default false; production true).'),
  minReplicas: z.number().int().min(1).max(INT32_MAX).optional().describe('Lower bound of the autoscaler (default: the slice\'s replicas).'),
  maxReplicas: z
    .number()
    .int()
    .min(1)
    .max(INT32_MAX)
    .default(p.pick(maxReplicas.development, maxReplicas.production))
    .describe(`Upper bound of the autoscaler (default ${defaultText(maxReplicas.development, maxReplicas.production)}).`),
  targetCPUUtilizationPercentage: utilizationPercent
    .default(70)
    .describe('Average CPU utilisation target, a whole percentage of the CPU request from 1 to 1000 (default 70).'),
});

/** minReplicas ≤ maxReplicas. */
function refineBounds(a: { minReplicas?: number | undefined; maxReplicas: number }, ctx: z.RefinementCtx): void {
  if (a.minReplicas !== undefined && a.minReplicas > a.maxReplicas) {
    ctx.addIssue({
      code: 'custom',
      path: ['minReplicas'],
      input: a.minReplicas,
      message: `minReplicas (${a.minReplicas}) is above maxReplicas (${a.maxReplicas})`,
    });
  }
}

/** `autoscaling.*` for a HorizontalPodAutoscaler on CPU and memory (default on in production); the slice describes the key. */
export const autoscaling = (p: Profile, maxReplicas: { development: number; production: number }) =>
  z
    .strictObject({
      ...autoscalingCpuFields(p, maxReplicas),
      targetMemoryUtilizationPercentage: utilizationPercent
        .default(80)
        .describe('Average memory utilisation target, a whole percentage of the memory request from 1 to 1000 (default 80).'),
    })
    .prefault({})
    .superRefine(refineBounds);

/**
 * `autoscaling.*` on CPU only, for a JVM with a fixed heap (-Xms = -Xmx): its memory use never
 * falls, so a memory target would only ever scale out; the slice describes the key.
 */
export const cpuAutoscaling = (p: Profile, maxReplicas: { development: number; production: number }) =>
  z.strictObject(autoscalingCpuFields(p, maxReplicas)).prefault({}).superRefine(refineBounds);

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

/** `auth.{enabled,password,existingSecret}` of a service protected by one password; the Secret key is `secretKey`. */
export const passwordAuth = (what: string, secretKey: string) =>
  z
    .strictObject({
      enabled: z.boolean().default(true).describe(`Require a password for ${what} (default true).`),
      password: password(`the ${what} password`, `${what} reads it from a one-line config directive`)
        .default('')
        .describe(`Password of ${what}, one line without control characters, kept in a Secret ${CREDENTIAL_DEFAULT}.`),
      existingSecret: existingSecret.describe(`Existing Secret with key ${secretKey}; the chart then renders none (default: none).`),
    })
    .prefault({})
    .describe(`Authentication of ${what}.`);

/** `exporter.*`: a Prometheus exporter sidecar (`name`, e.g. postgres_exporter) next to a data store (on by default). */
export const sidecarExporter = (p: Profile, name: string, img: ImageDefaults) =>
  z
    .strictObject({
      enabled: z.boolean().default(true).describe(`Run the ${name} sidecar that Prometheus scrapes (default true).`),
      image: image(`the ${name} sidecar`, img),
      resources: resources(p, `the ${name} sidecar`, sized('10m', '32Mi', '64Mi'), sized('50m', '64Mi', '128Mi')),
    })
    .prefault({})
    .describe(`The ${name} sidecar: Prometheus metrics of the data store.`);
