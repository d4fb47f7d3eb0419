import type { KubeJson } from './compare.js';

/** A workload's rollout as its controller reports it. */
export interface Rollout {
  /** Pods ready (and of the current template), of `desired`. */
  readonly ready: number;
  readonly desired: number;
  /** The controller saw the current spec and every desired pod is updated and ready. */
  readonly done: boolean;
  /** Why not done, e.g. `2 of 3 updated`, `waiting for the controller`. */
  readonly waitingFor?: string;
}

/** The kinds whose rollout `verify` waits for. */
export const ROLLOUT_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet']);

type Status = Record<string, number | string | undefined>;

/**
 * The rollout of a live Deployment, StatefulSet or DaemonSet, read as `kubectl rollout status`
 * reads it: the controller has observed the current generation, every desired pod runs the current
 * template, and as many are ready (available, for a Deployment).
 */
export function rolloutOf(live: KubeJson): Rollout {
  const metadata = live.metadata as { generation?: number };
  const status = (live.status ?? {}) as Status;
  const spec = (live.spec ?? {}) as { replicas?: number };
  const observed = typeof status.observedGeneration === 'number' && status.observedGeneration >= (metadata.generation ?? 0);
  const n = (key: string) => (typeof status[key] === 'number' ? (status[key] as number) : 0);
  let desired: number;
  let updated: number;
  let ready: number;
  switch (live.kind) {
    case 'Deployment':
      desired = spec.replicas ?? 1;
      updated = n('updatedReplicas');
      ready = n('availableReplicas');
      break;
    case 'StatefulSet':
      desired = spec.replicas ?? 1;
      updated = status.updateRevision !== undefined && status.currentRevision === status.updateRevision ? n('currentReplicas') : n('updatedReplicas');
      ready = n('readyReplicas');
      break;
    case 'DaemonSet':
      desired = n('desiredNumberScheduled');
      updated = n('updatedNumberScheduled');
      ready = n('numberAvailable');
      break;
    default:
      throw new Error(`no rollout for kind ${live.kind}`);
  }
  const waitingFor = !observed
    ? 'waiting for the controller to see the new spec'
    : updated < desired
      ? `${updated} of ${desired} updated`
      : ready < desired
        ? `${ready} of ${desired} ready`
        : undefined;
  return { ready, desired, done: waitingFor === undefined, ...(waitingFor ? { waitingFor } : {}) };
}
