import { LABEL_KEY } from '../core/label-keys.js';
import { WORKLOAD_KINDS, workloadPodSpec } from '../core/rendered-workloads.js';
import { parseQuantity } from '../core/quantity.js';

/**
 * What a render asks of the cluster, read from the rendered objects themselves (no second list of
 * sizes): each workload's replicas, its pods' CPU and memory requests and limits, and its storage.
 * A pod's request is what the scheduler reserves: the larger of its containers' sum (sidecars, i.e.
 * init containers that keep running, included) and its largest init container. A Deployment an
 * HPA scales counts its minimum; a DaemonSet counts one pod (per node); Jobs and CronJobs run now
 * and then and are listed apart from the totals.
 */

/** One workload's footprint. CPU in cores, memory and storage in bytes; a limit is null when a container has none (unbounded). */
export interface WorkloadFootprint {
  readonly name: string;
  readonly kind: string;
  /** `app.kubernetes.io/component`, or the name. */
  readonly component: string;
  readonly replicas: number;
  /** A DaemonSet: one pod on every node (counted once in the totals). */
  readonly perNode: boolean;
  /** A Job or CronJob: not running all the time, not in the totals. */
  readonly transient: boolean;
  readonly requests: { readonly cpu: number; readonly memory: number };
  readonly limits: { readonly cpu: number | null; readonly memory: number | null };
  readonly storage: number;
}

/** A render's footprint: every workload, storage claims of their own, and the totals of what runs all the time. */
export interface Footprint {
  readonly workloads: readonly WorkloadFootprint[];
  readonly totals: {
    readonly requests: { readonly cpu: number; readonly memory: number };
    /** Null when some running container has no limit. */
    readonly limits: { readonly cpu: number | null; readonly memory: number | null };
    readonly storage: number;
  };
}

type Json = Record<string, unknown>;

/** The footprint of rendered objects. */
export function footprint(objects: readonly Json[]): Footprint {
  const minReplicas = hpaMinimums(objects);
  const workloads: WorkloadFootprint[] = [];
  for (const object of objects) {
    const kind = String(object.kind);
    const metadata = (object.metadata ?? {}) as { name?: string; labels?: Record<string, string> };
    const name = String(metadata.name);
    const component = metadata.labels?.[LABEL_KEY.component] ?? name;
    if (kind === 'PersistentVolumeClaim') {
      workloads.push({ name, kind, component, replicas: 0, perNode: false, transient: false, requests: { cpu: 0, memory: 0 }, limits: { cpu: 0, memory: 0 }, storage: claimSize(object) });
      continue;
    }
    if (!WORKLOAD_KINDS.has(kind)) continue;
    const spec = (object.spec ?? {}) as Json;
    const podSpec = workloadPodSpec<Json>(object) ?? {};
    const replicas = kind === 'Deployment' || kind === 'StatefulSet' ? (typeof spec.replicas === 'number' ? spec.replicas : (minReplicas.get(`${kind}/${name}`) ?? 1)) : 1;
    const pod = podResources(podSpec);
    const claims = kind === 'StatefulSet' ? ((spec.volumeClaimTemplates ?? []) as Json[]).reduce((sum, claim) => sum + claimSize(claim), 0) : 0;
    workloads.push({
      name,
      kind,
      component,
      replicas,
      perNode: kind === 'DaemonSet',
      transient: kind === 'Job' || kind === 'CronJob',
      requests: { cpu: pod.requests.cpu * replicas, memory: pod.requests.memory * replicas },
      limits: { cpu: times(pod.limits.cpu, replicas), memory: times(pod.limits.memory, replicas) },
      storage: claims * replicas,
    });
  }
  const running = workloads.filter((w) => !w.transient);
  const sum = (values: readonly (number | null)[]) => (values.includes(null) ? null : (values as number[]).reduce((a, b) => a + b, 0));
  return {
    workloads,
    totals: {
      requests: { cpu: round(running.reduce((n, w) => n + w.requests.cpu, 0)), memory: running.reduce((n, w) => n + w.requests.memory, 0) },
      limits: { cpu: nullableRound(sum(running.map((w) => w.limits.cpu))), memory: sum(running.map((w) => w.limits.memory)) },
      storage: running.reduce((n, w) => n + w.storage, 0),
    },
  };
}

/** minReplicas of every HorizontalPodAutoscaler, by the `Kind/name` it scales. */
function hpaMinimums(objects: readonly Json[]): Map<string, number> {
  const minimums = new Map<string, number>();
  for (const object of objects) {
    if (object.kind !== 'HorizontalPodAutoscaler') continue;
    const spec = object.spec as { minReplicas?: number; scaleTargetRef: { kind: string; name: string } };
    minimums.set(`${spec.scaleTargetRef.kind}/${spec.scaleTargetRef.name}`, spec.minReplicas ?? 1);
  }
  return minimums;
}


interface Resources {
  requests: { cpu: number; memory: number };
  limits: { cpu: number | null; memory: number | null };
}

/** A pod's requests and limits as the scheduler counts them. */
function podResources(podSpec: Json): Resources {
  const containers = (podSpec.containers ?? []) as Json[];
  const inits = (podSpec.initContainers ?? []) as Json[];
  const sidecars = inits.filter((c) => c.restartPolicy === 'Always');
  const running = [...containers, ...sidecars].map(containerResources);
  const oneShot = inits.filter((c) => c.restartPolicy !== 'Always').map(containerResources);
  const total = (pick: (r: Resources) => number | null): number | null => {
    const values = running.map(pick);
    return values.includes(null) ? null : (values as number[]).reduce((a, b) => a + b, 0);
  };
  const largest = (pick: (r: Resources) => number | null, sum: number | null): number | null =>
    oneShot.reduce<number | null>((max, r) => (max === null || pick(r) === null ? null : Math.max(max, pick(r)!)), sum);
  const cpu = total((r) => r.requests.cpu)!;
  const memory = total((r) => r.requests.memory)!;
  return {
    requests: { cpu: Math.max(cpu, ...oneShot.map((r) => r.requests.cpu)), memory: Math.max(memory, ...oneShot.map((r) => r.requests.memory)) },
    limits: { cpu: largest((r) => r.limits.cpu, total((r) => r.limits.cpu)), memory: largest((r) => r.limits.memory, total((r) => r.limits.memory)) },
  };
}

function containerResources(container: Json): Resources {
  const resources = (container.resources ?? {}) as { requests?: Record<string, string>; limits?: Record<string, string> };
  const amount = (value: string | undefined) => (value === undefined ? undefined : parseQuantity(value));
  // Kubernetes defaults a missing request to the limit.
  const cpuLimit = amount(resources.limits?.cpu);
  const memoryLimit = amount(resources.limits?.memory);
  return {
    requests: { cpu: amount(resources.requests?.cpu) ?? cpuLimit ?? 0, memory: amount(resources.requests?.memory) ?? memoryLimit ?? 0 },
    limits: { cpu: cpuLimit ?? null, memory: memoryLimit ?? null },
  };
}

function claimSize(claim: Json): number {
  const requests = ((claim.spec as Json | undefined)?.resources as { requests?: { storage?: string } } | undefined)?.requests;
  return (requests?.storage && parseQuantity(requests.storage)) || 0;
}

const times = (value: number | null, n: number) => (value === null ? null : value * n);
/** Cores to the millicore (sums of decimals drift: 0.1 + 0.2). */
const round = (cores: number) => Math.round(cores * 1000) / 1000;
const nullableRound = (cores: number | null) => (cores === null ? null : round(cores));

/** The footprint as a table (one row per workload, then the totals), for the synth summary. */
export function footprintTable(f: Footprint): string {
  const cpu = (cores: number | null) => (cores === null ? '-' : `${round(cores)}`);
  const bytes = (n: number | null) => (n === null ? '-' : n === 0 ? '0' : n >= 2 ** 30 ? `${(n / 2 ** 30).toFixed(1)}Gi` : `${Math.round(n / 2 ** 20)}Mi`);
  const rows = [
    ['WORKLOAD', 'KIND', 'PODS', 'CPU REQ', 'CPU LIM', 'MEM REQ', 'MEM LIM', 'STORAGE'],
    ...f.workloads.map((w) => [
      w.name,
      w.kind,
      w.kind === 'PersistentVolumeClaim' ? '' : w.perNode ? '1/node' : w.transient ? `${w.replicas} (job)` : String(w.replicas),
      w.kind === 'PersistentVolumeClaim' ? '' : cpu(w.requests.cpu),
      w.kind === 'PersistentVolumeClaim' ? '' : cpu(w.limits.cpu),
      w.kind === 'PersistentVolumeClaim' ? '' : bytes(w.requests.memory),
      w.kind === 'PersistentVolumeClaim' ? '' : bytes(w.limits.memory),
      bytes(w.storage),
    ]),
    ['TOTAL (running)', '', '', cpu(f.totals.requests.cpu), cpu(f.totals.limits.cpu), bytes(f.totals.requests.memory), bytes(f.totals.limits.memory), bytes(f.totals.storage)],
  ];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((cells) => cells[column]!.length)));
  return rows.map((cells) => cells.map((cell, column) => (column >= 2 ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!))).join('  ').trimEnd()).join('\n');
}
