import { z } from 'zod';
import { parseQuantity } from '../../lib/quantity.js';
import { objectName, pullPolicy, quantityOrNumber, stringMap } from './primitives.js';

/** A container image reference; `global.imageRegistry` replaces `registry` for mirrored registries. */
export interface ImageDefaults {
  registry: string;
  repository: string;
  tag: string;
}

/** `image.{registry,repository,tag,digest,pullPolicy}` with the component's pinned default. */
export const image = (d: ImageDefaults) =>
  z
    .strictObject({
      /** Registry host; default per component (docker.io, quay.io, registry.k8s.io, ghcr.io). */
      registry: z.string().default(d.registry).describe(`registry host (default ${d.registry})`),
      /** Repository path inside the registry. */
      repository: z.string().min(1).default(d.repository).describe(`repository (default ${d.repository})`),
      /** Pinned tag; `latest` is refused. */
      tag: z
        .string()
        .min(1)
        .refine((t) => t !== 'latest', { error: 'the "latest" tag is not allowed: pin a version' })
        .default(d.tag)
        .describe(`tag (default ${d.tag})`),
      /** Optional digest (`sha256:…`), appended after the tag. */
      digest: z.string().regex(/^sha256:[a-f0-9]{64}$/).optional().describe('optional sha256 digest'),
      /** Kubernetes imagePullPolicy (default IfNotPresent). */
      pullPolicy: pullPolicy.default('IfNotPresent'),
    })
    .prefault({});

export type ImageValues = z.output<ReturnType<typeof image>>;

const resourceList = z.strictObject({
  cpu: quantityOrNumber.optional(),
  memory: quantityOrNumber.optional(),
  'ephemeral-storage': quantityOrNumber.optional(),
});

export interface ResourceDefaults {
  requests: { cpu: string; memory: string };
  limits: { cpu?: string; memory: string };
}

type ResourceList = z.output<typeof resourceList>;

/**
 * `resources.{requests,limits}`. The component's profile default applies only when `resources` is
 * absent; a given `resources` replaces it whole (as in the well-known charts), a missing `limits`
 * gets a memory limit equal to the memory request, missing `requests` equal the limits (as
 * Kubernetes does). A request above its limit is an error.
 */
export const resources = (d: ResourceDefaults) =>
  z
    .strictObject({
      requests: resourceList.optional(),
      limits: resourceList.optional(),
    })
    .default(d)
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
    });

export type ResourceValues = z.output<ReturnType<typeof resources>>;

/** `persistence.{enabled,size,storageClass}` as the well-known charts spell it. */
const persistenceInput = z.strictObject({
  /** Use a PersistentVolumeClaim (default true); false uses an emptyDir. */
  enabled: z.boolean().default(true),
  /** Volume size; `storage.size` is the seed's other spelling of the same key. */
  size: quantityOrNumber.optional(),
  /** Storage class; empty uses `global.storageClass`, then the cluster default. */
  storageClass: z.string().optional(),
});

/** The seed's `storage.size` spelling. */
const storageInput = z.strictObject({
  size: quantityOrNumber.optional(),
  storageClass: z.string().optional(),
});

/** Resolved persistence of a component. */
export interface PersistenceValues {
  enabled: boolean;
  size: string;
  /** Empty means: use `global.storageClass`. */
  storageClass: string;
}

/**
 * Both spellings of the seed (`storage.size` and `persistence.size`) for one component. They mean
 * the same; giving both with different values is an error.
 */
export const persistenceFields = {
  storage: storageInput.optional(),
  persistence: persistenceInput.prefault({}),
};

type PersistenceInputs = {
  storage?: z.output<typeof storageInput> | undefined;
  persistence: z.output<typeof persistenceInput>;
};

/** Resolves `storage` + `persistence` into one {@link PersistenceValues}; reports conflicts at their paths. */
export function resolvePersistence<T extends PersistenceInputs>(
  value: T,
  defaultSize: string,
  ctx: z.RefinementCtx,
): Omit<T, 'storage' | 'persistence'> & { persistence: PersistenceValues } {
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

const toleration = z.strictObject({
  key: z.string().optional(),
  operator: z.enum(['Exists', 'Equal']).optional(),
  value: z.string().optional(),
  effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']).optional(),
  tolerationSeconds: z.number().int().optional(),
});

/** Pod placement and metadata keys every workload accepts. */
export const schedulingFields = {
  /** Node selector (default {}). */
  nodeSelector: stringMap.default({}),
  /** Tolerations (default []). */
  tolerations: z.array(toleration).default([]),
  /** Affinity, passed through as Kubernetes `affinity` (default: the chart's anti-affinity in production). */
  affinity: z.record(z.string(), z.unknown()).optional(),
  /** Extra pod annotations (default {}). */
  podAnnotations: stringMap.default({}),
  /** Extra pod labels (default {}). */
  podLabels: stringMap.default({}),
};

/** A reference to a Secret the user created; the chart then renders no Secret of its own. */
export const existingSecret = objectName.optional().describe('name of an existing Secret holding the credentials');
