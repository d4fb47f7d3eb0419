import * as z from 'zod';
import { parseQuantity } from '../../core/quantity.js';
import { defaultText, resourcesText, type ResourceDefaults } from './describe.js';
import { annotationMap, extraLabelMap, labelMap, labelValueProblem, qualifiedNameProblem } from './metadata.js';
import { isDnsSubdomain, objectName, pullPolicy, quantityOrNumber } from './primitives.js';
import { topologySpreadOverride } from './scheduling-policy.js';
import type { Profile } from './profile.js';

/** A container image reference; `global.imageRegistry` replaces `registry` for mirrored registries. */
export interface ImageDefaults {
  registry: string;
  repository: string;
  tag: string;
}

/** A registry host with an optional port and path (`registry.example.com:5000/mirror`), or empty: none. */
const REGISTRY = /^((?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:]+\])(?::\d{1,5})?(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*\/?)?$/;
/** A repository path of the OCI distribution spec: lower-case components joined by `/`. */
const REPOSITORY = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;
/** An image tag: at most 128 word characters, '.' and '-', not starting with either. */
const TAG = /^\w[\w.-]{0,127}$/;

/** A registry as image references spell it, or empty (`what` names the key in messages). */
export const imageRegistry = (what: string) =>
  z.string().regex(REGISTRY, {
    error: (i) => `expected ${what} as host[:port][/path] such as registry.example.com:5000/mirror, found ${JSON.stringify(i.input)}`,
  });

// The keys every image has, a fresh schema per use (as each slice had its own before).
const repository = () =>
  z.string().regex(REPOSITORY, { error: (i) => `expected a repository path of lower-case components such as library/redis, found ${JSON.stringify(i.input)}` });
const tag = () =>
  z
    .string()
    .regex(TAG, { error: (i) => `expected an image tag (letters, digits, '_', '.' and '-', at most 128), found ${JSON.stringify(i.input)}` })
    .refine((t) => t !== 'latest', { error: 'the "latest" tag is not allowed: pin a version' });
const digest = () =>
  z
    .string()
    .regex(/^sha256:[a-f0-9]{64}$/)
    .optional()
    .describe('Image digest (sha256:…) appended after the tag, to pin the exact image (default: none).');
const imagePullPolicy = () =>
  pullPolicy
    .optional()
    .describe(
      'Kubernetes imagePullPolicy of the container (default: Always for an image pinned by tag, which its publisher may push again; IfNotPresent for one pinned by digest, which cannot change).',
    );

/** `image.{registry,repository,tag,digest,pullPolicy}` with the component's pinned default; `whose` names the container. */
export const image = (whose: string, d: ImageDefaults) =>
  z
    .strictObject({
      registry: imageRegistry('a registry').default(d.registry).describe(`Registry host; global.imageRegistry replaces it when set (default ${d.registry}).`),
      repository: repository().default(d.repository).describe(`Repository path inside the registry (default ${d.repository}).`),
      tag: tag().default(d.tag).describe(`Pinned image tag; latest is refused (default ${d.tag}).`),
      digest: digest(),
      pullPolicy: imagePullPolicy(),
    })
    .prefault({})
    .describe(`Image of ${whose}.`);

/**
 * `image` of a platform service whose code the chart bundles (src/services/<name>/): unset by
 * default, the bundle runs from a ConfigMap on the official Node.js image; set, a user-built
 * image replaces both, with the same keys as every image but no default repository and tag.
 */
export const userBuiltImage = (whose: string) =>
  z
    .strictObject({
      registry: imageRegistry('a registry')
        .default('')
        .describe('Registry host; global.imageRegistry replaces it when set (default "": none, the container runtime\'s default registry).'),
      repository: repository().describe('Repository path inside the registry, e.g. my-team/self-healing (required).'),
      tag: tag().describe('Pinned image tag; latest is refused (required).'),
      digest: digest(),
      pullPolicy: imagePullPolicy(),
    })
    .optional()
    .describe(
      `A user-built image of ${whose} instead of the bundled code: node on its PATH and /app/main.js, which the chart runs (README, "Platform service images") (default: none: the chart's bundle on the official Node.js image).`,
    );

export type ImageValues = z.output<ReturnType<typeof image>>;

const resourceList = z.strictObject({
  cpu: quantityOrNumber.optional().describe('CPU as a Kubernetes quantity, e.g. 500m or 2.'),
  memory: quantityOrNumber.optional().describe('Memory as a Kubernetes quantity, e.g. 512Mi or 2Gi.'),
  'ephemeral-storage': quantityOrNumber.optional().describe('Ephemeral (scratch) storage as a Kubernetes quantity, e.g. 1Gi.'),
});

type ResourceList = z.output<typeof resourceList>;

/**
 * `resources.{requests,limits}` of the container `whose`, with the development and production
 * defaults. The component's profile default applies only when `resources` is absent; a given
 * `resources` replaces it whole (as in the well-known charts), a missing `limits` gets a memory
 * limit equal to the memory request, missing `requests` equal the limits (as Kubernetes does). A
 * request above its limit is an error.
 */
export const resources = (p: Profile, whose: string, development: ResourceDefaults, production: ResourceDefaults = development) =>
  z
    .strictObject({
      requests: resourceList
        .optional()
        .describe('Requests the pod is scheduled with; cpu and memory are required, missing requests equal the limits.'),
      limits: resourceList.optional().describe('Limits; when missing, a memory limit equal to the memory request.'),
    })
    .default(p.pick(development, production))
    .transform((r, ctx) => {
      const limits: ResourceList = r.limits ?? (r.requests?.memory ? { memory: r.requests.memory } : {});
      const requests: ResourceList = r.requests ?? { ...limits };
      for (const key of ['cpu', 'memory', 'ephemeral-storage'] as const) {
        const request = requests[key];
        const limit = limits[key];
        if (request === undefined || limit === undefined) continue;
        if ((parseQuantity(request) ?? 0) > (parseQuantity(limit) ?? Infinity)) {
          ctx.addIssue({
            code: 'custom',
            path: ['requests', key],
            input: request,
            message: `request ${request} is above the limit ${limit} (resources.limits.${key}): raise the limit or lower the request`,
          });
        }
      }
      if (!requests.cpu || !requests.memory) {
        ctx.addIssue({
          code: 'custom',
          path: ['requests'],
          input: r.requests,
          message: 'resources need requests.cpu and requests.memory (every container is scheduled with requests)',
        });
      }
      return { requests, limits };
    })
    .describe(`Resources of ${whose}; a given value replaces the default whole (default ${resourcesText(development, production)}).`);

export type ResourceValues = z.output<ReturnType<typeof resources>>;

/** A StorageClass name (a DNS-1123 subdomain), or empty: the default. */
export const storageClassName = z.string().refine((name) => name === '' || isDnsSubdomain(name), {
  error: (i) => `expected a StorageClass name (a DNS-1123 name of lower-case letters, digits, '-' and '.') or "", found ${JSON.stringify(i.input)}`,
});

/** `persistence.{enabled,size,storageClass}` as the well-known charts spell it. */
const persistenceInput = z.strictObject({
  enabled: z.boolean().default(true).describe('Keep the data on a PersistentVolumeClaim; false uses an emptyDir, lost with the pod (default true).'),
  size: quantityOrNumber.optional().describe('Volume size, e.g. 20Gi; storage.size is the same setting (default: the component\'s, see persistence).'),
  storageClass: storageClassName
    .optional()
    .describe('Storage class of the volume; empty uses global.storageClass, then the cluster default (default "").'),
});

/** The seed's `storage.{size,storageClass}` spelling. */
const storageInput = z.strictObject({
  size: quantityOrNumber.optional().describe('Volume size; the same setting as persistence.size.'),
  storageClass: storageClassName.optional().describe('Storage class; the same setting as persistence.storageClass.'),
});

/** Resolved persistence of a component. */
export interface PersistenceValues {
  enabled: boolean;
  size: string;
  /** Empty means: use `global.storageClass`. */
  storageClass: string;
}

type PersistenceInputs = {
  storage?: z.output<typeof storageInput> | undefined;
  persistence: z.output<typeof persistenceInput>;
};

type Persisted<T> = Omit<T, 'storage' | 'persistence'> & { persistence: PersistenceValues };

/**
 * The volume of one component (`whose`, e.g. "the PostgreSQL data"): the `storage` and
 * `persistence` fields, both spellings of the seed, and `resolve`, the slice's transform that
 * merges them into one {@link PersistenceValues} with the profile's default size. The spellings
 * mean the same; giving both with different values is an error.
 */
export function persistence(p: Profile, whose: string, development: string, production: string = development) {
  const defaultSize = p.pick(development, production);
  return {
    fields: {
      storage: storageInput.optional().describe('The seed\'s spelling of persistence.size and persistence.storageClass (default: none).'),
      persistence: persistenceInput
        .prefault({})
        .describe(`Volume of ${whose} (default size ${defaultText(development, production)}).`),
    },
    resolve: <T extends PersistenceInputs>(value: T, ctx: z.RefinementCtx): Persisted<T> => resolvePersistence(value, defaultSize, ctx),
  };
}

/** Resolves `storage` + `persistence` into one {@link PersistenceValues}; reports conflicts at their paths. */
function resolvePersistence<T extends PersistenceInputs>(value: T, defaultSize: string, ctx: z.RefinementCtx): Persisted<T> {
  const { storage, persistence, ...rest } = value;
  for (const key of ['size', 'storageClass'] as const) {
    const a = storage?.[key];
    const b = persistence[key];
    if (a !== undefined && b !== undefined && a !== b) {
      ctx.addIssue({
        code: 'custom',
        path: ['storage', key],
        input: a,
        message: `storage.${key} (${a}) conflicts with persistence.${key} (${b}): they are the same setting, keep one`,
      });
    }
  }
  return {
    ...rest,
    persistence: {
      enabled: persistence.enabled,
      size: persistence.size ?? storage?.size ?? defaultSize,
      storageClass: persistence.storageClass ?? storage?.storageClass ?? '',
    },
  };
}

const toleration = z
  .strictObject({
    key: z.string().optional().describe('Taint key the toleration matches; empty with operator Exists matches every taint.'),
    operator: z.enum(['Exists', 'Equal']).optional().describe('How the taint\'s value is matched: Exists matches any, Equal matches value (default Equal).'),
    value: z.string().optional().describe('Taint value matched with operator Equal.'),
    effect: z
      .enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute'])
      .optional()
      .describe('Taint effect the toleration matches; empty matches every effect.'),
    tolerationSeconds: z
      .number()
      .int()
      .optional()
      .describe('With effect NoExecute, how long the pod stays on a node after the taint appears (default: forever).'),
  })
  .superRefine((t, ctx) => {
    // The API server's validateTolerations, field by field.
    const problem = (path: string, input: unknown, message: string) => ctx.addIssue({ code: 'custom', path: [path], input, message });
    const keyProblem = t.key ? qualifiedNameProblem(t.key) : undefined;
    if (keyProblem) problem('key', t.key, keyProblem);
    if (!t.key && t.operator !== 'Exists') {
      problem('operator', t.operator, 'a toleration without key must have operator Exists (it then matches every taint)');
    }
    if (t.operator === 'Exists' && t.value) {
      problem('value', t.value, `operator Exists matches any value: remove value "${t.value}", or use operator Equal`);
    }
    const valueProblem = t.operator !== 'Exists' && t.value ? labelValueProblem(t.value) : undefined;
    if (valueProblem) problem('value', t.value, valueProblem);
    if (t.tolerationSeconds !== undefined && t.effect !== 'NoExecute') {
      problem('tolerationSeconds', t.tolerationSeconds, 'tolerationSeconds applies to effect NoExecute only: set effect: NoExecute, or remove it');
    }
  });

/** Pod placement and metadata keys every workload accepts. */
export const schedulingFields = {
  nodeSelector: labelMap.default({}).describe('Node labels the pods must match (default {}).'),
  tolerations: z.array(toleration).default([]).describe('Taints the pods tolerate, as Kubernetes tolerations (default []).'),
  affinity: z
    .record(z.string(), z.unknown())
    .optional()
    .describe('Kubernetes affinity of the pods, passed through (default: none; production: the chart\'s pod anti-affinity).'),
  podAnnotations: annotationMap.default({}).describe('Extra annotations on the pods (default {}).'),
  podLabels: extraLabelMap.default({}).describe('Extra labels on the pods (default {}).'),
  topologySpread: topologySpreadOverride,
};

/** A reference to a Secret the user created; the chart then renders no Secret of its own. */
export const existingSecret = objectName
  .optional()
  .describe('Name of an existing Secret holding the credentials; the chart then renders none (default: none).');
