import { isDeepStrictEqual } from 'node:util';
import { workloadPodSpec } from '../../core/rendered-workloads.js';

/** A rendered or live Kubernetes object, as JSON. */
export type KubeJson = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; [key: string]: unknown }; [key: string]: unknown };

/** One field that differs between the render and the cluster. */
export interface Drift {
  /** Where, e.g. `containers[aiops].image`, `replicas`, `spec`. */
  readonly field: string;
  readonly rendered: unknown;
  readonly live: unknown;
}

/**
 * The drift that matters between a rendered object and the live one: for workloads each
 * container's (init containers included) image and resources, and the replicas of a Deployment or
 * StatefulSet unless an HPA of the render scales it (`scaledByHpa`); for NetworkPolicies (and
 * Cilium's) the whole spec. Fields the API server defaults or controllers own are not compared.
 */
export function driftOf(rendered: KubeJson, live: KubeJson, scaledByHpa: boolean): Drift[] {
  const drift: Drift[] = [];
  const differ = (field: string, a: unknown, b: unknown) => {
    if (!isDeepStrictEqual(normalize(a), normalize(b))) drift.push({ field, rendered: a, live: b });
  };
  if (rendered.kind === 'NetworkPolicy' || rendered.kind === 'CiliumNetworkPolicy') differ('spec', rendered.spec, live.spec);
  const renderedPod = workloadPodSpec(rendered);
  if (renderedPod) {
    const livePod = workloadPodSpec(live) ?? {};
    for (const list of ['initContainers', 'containers'] as const) {
      const liveByName = new Map(((livePod[list] ?? []) as Container[]).map((c) => [c.name, c]));
      for (const container of (renderedPod[list] ?? []) as Container[]) {
        const other = liveByName.get(container.name);
        const at = `${list}[${container.name}]`;
        if (!other) {
          drift.push({ field: at, rendered: 'present', live: 'missing' });
          continue;
        }
        differ(`${at}.image`, container.image, other.image);
        differ(`${at}.resources`, container.resources ?? {}, other.resources ?? {});
      }
    }
    const spec = rendered.spec as { replicas?: number } | undefined;
    if ((rendered.kind === 'Deployment' || rendered.kind === 'StatefulSet') && !scaledByHpa) {
      differ('replicas', spec?.replicas ?? 1, (live.spec as { replicas?: number } | undefined)?.replicas ?? 1);
    }
  }
  return drift;
}

type Container = { name: string; image?: string; resources?: unknown };

/**
 * The API server returns quantities canonicalised (`1Gi` stays, `1024Mi` becomes `1Gi`, `0.5`
 * becomes `500m`): quantities are compared by value, everything else as is.
 */
function normalize(value: unknown): unknown {
  if (typeof value === 'string') return quantityValue(value) ?? value;
  if (Array.isArray(value)) return value.map(normalize);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined).map(([k, v]) => [k, normalize(v)]));
  return value;
}

const SUFFIX: Record<string, number> = { m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };

function quantityValue(text: string): string | undefined {
  const match = /^(\d+(?:\.\d+)?)(m|k|M|G|T|Ki|Mi|Gi|Ti)?$/.exec(text);
  if (!match) return undefined;
  return `quantity:${Number(match[1]) * SUFFIX[match[2] ?? '']!}`;
}
