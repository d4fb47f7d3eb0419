// Type-only: @kubernetes/client-node bundles to ≈2.3 MB; `import type` is erased and costs nothing.
import type {
  CoreV1Event,
  V1Eviction,
  V1Job,
  V1Lease,
  V1ObjectMeta,
  V1Pod,
  V1Scale,
  V1Status,
  V2HorizontalPodAutoscaler,
} from '@kubernetes/client-node';

/**
 * Kubernetes objects as they travel on the wire. client-node's model classes declare timestamps as
 * `Date` (its own deserializer converts them); over plain `fetch` they are RFC 3339 strings, so
 * `Json<T>` turns every `Date` into `string`, recursively.
 */
export type Json<T> = T extends Date
  ? string
  : T extends readonly (infer U)[]
    ? Json<U>[]
    : T extends object
      ? { [K in keyof T]: Json<T[K]> }
      : T;

export type ObjectMeta = Json<V1ObjectMeta>;
export type Pod = Json<V1Pod>;
export type Eviction = Json<V1Eviction>;
/** autoscaling/v1 Scale: the `scale` subresource of Deployments and StatefulSets. */
export type Scale = Json<V1Scale>;
export type HorizontalPodAutoscaler = Json<V2HorizontalPodAutoscaler>;
export type Job = Json<V1Job>;
/** core/v1 Event. */
export type KubeEvent = Json<CoreV1Event>;
export type Lease = Json<V1Lease>;
/** The `Status` object the API server answers errors with. */
export type Status = Json<V1Status>;

/** Options of every mutating call. */
export interface MutationOptions {
  /**
   * Server-side dry run (`?dryRun=All`): the API server authenticates, validates and runs
   * admission (for evictions: the PodDisruptionBudget check), then changes nothing.
   */
  readonly dryRun: boolean;
}
