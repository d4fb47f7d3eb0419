import { workloadPodSpec } from './rendered-workloads.js';

/**
 * The platform's deliberate deviations from the checks of Fairwinds Polaris (an audit many
 * platform teams run in CI), in one table: each check the render knowingly fails, where it fails
 * it, and why. The render marks every object that fails one with Polaris' exemption annotation
 * (`polaris.fairwinds.com/<check>-exempt: "true"`) and the reason beside it
 * (`aiops-platform.io/<check>-exempt-reason`), so that an auditor reads the policy on the object
 * and a reviewer reads it here; the README prints the same table. A check not listed here the
 * render passes, or fails only by a user's choice in values (then nothing exempts it).
 */

type KubeObject = Record<string, unknown> & { kind?: unknown; metadata?: { name?: string; annotations?: Record<string, string>; labels?: Record<string, string> }; spec?: Record<string, unknown> };
type Container = { name: string; image?: string; imagePullPolicy?: string; resources?: { limits?: Record<string, unknown> } };
type PodSpec = {
  containers: Container[];
  initContainers?: Container[];
  hostNetwork?: boolean;
  volumes?: { hostPath?: unknown }[];
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number };
  automountServiceAccountToken?: boolean;
  topologySpreadConstraints?: unknown[];
};

/** What a check looks at: the object, its pod spec (workloads) and every object of the render (for cross-object checks). */
interface Subject {
  readonly object: KubeObject;
  readonly pod: PodSpec | undefined;
  readonly all: readonly KubeObject[];
}

/** One deliberate deviation. */
export interface Exemption {
  /** Polaris' check id. */
  readonly check: string;
  /** Where the render fails it (the objects that get the annotations). */
  readonly where: string;
  /** Why, for the reviewer and the auditor (the reason annotation). */
  readonly reason: string;
  /** True for an object that fails the check (as Polaris evaluates it) for this reason. */
  readonly applies: (subject: Subject) => boolean;
}

/** The table (order: the README's). */
export const EXEMPTIONS: readonly Exemption[] = [
  {
    check: 'cpuLimitsMissing',
    where: 'every container (unless values set a CPU limit)',
    reason:
      'No CPU limit by choice: a limit throttles the JVMs\' and Node.js\' start-up and GC bursts even on an idle node (CFS quota), which shows as latency and failed probes; CPU requests are set for scheduling and memory limits are set.',
    applies: ({ pod }) => (pod?.containers ?? []).some((c) => !c.resources?.limits?.cpu),
  },
  {
    check: 'pullPolicyNotAlways',
    where: 'containers whose image values pin a digest',
    reason: 'The image is pinned by digest, which cannot change: IfNotPresent never runs another image and spares the registry a request per pod start (images pinned by tag alone pull Always).',
    applies: ({ pod }) => allContainers(pod).some((c) => c.imagePullPolicy !== 'Always') && allContainers(pod).every((c) => c.imagePullPolicy === 'Always' || isDigestPinned(c.image)),
  },
  {
    check: 'deploymentMissingReplicas',
    where: 'Deployments an autoscaler scales, and those the values run with one pod',
    reason:
      'The replica count is deliberate: a HorizontalPodAutoscaler owns it (the Deployment leaves replicas unset, so that an apply never resets what the autoscaler chose), or the values run one pod (kube-state-metrics: a second would export every series twice; Grafana: its database lives on a ReadWriteOnce volume; everything in the development profile).',
    applies: ({ object }) => object.kind === 'Deployment' && !((object.spec?.replicas as number | undefined) !== undefined && (object.spec!.replicas as number) >= 2),
  },
  {
    check: 'missingPodDisruptionBudget',
    where: 'Deployments that run one pod',
    reason: 'One pod: a PodDisruptionBudget could only forbid evicting it, which would block every node drain; workloads with more pods have one in production.',
    applies: ({ object, all }) => object.kind === 'Deployment' && !all.some((pdb) => pdb.kind === 'PodDisruptionBudget' && selects(pdb, object)),
  },
  {
    check: 'topologySpreadConstraint',
    where: 'workloads that run one pod, and the DaemonSets',
    reason: 'Nothing to spread: one pod, or one pod per node by definition (DaemonSet); every workload that may run more pods spreads them over zones and nodes.',
    applies: ({ object, pod }) => pod !== undefined && object.kind !== 'Job' && object.kind !== 'CronJob' && !(pod.topologySpreadConstraints?.length),
  },
  {
    check: 'automountServiceAccountToken',
    where: 'pods that call the Kubernetes API (their ServiceAccount\'s aiops-platform.io/kubernetes-api-calls annotation says which calls)',
    reason: 'The pod calls the Kubernetes API with its ServiceAccount\'s token; the account itself mounts none, and every other pod gets no token at all.',
    applies: ({ pod }) => pod?.automountServiceAccountToken !== false,
  },
  {
    check: 'hostNetworkSet',
    where: 'node-exporter (node agents\' namespace)',
    reason: 'node-exporter reports the node\'s own network interfaces and listens on the node\'s address, as upstream runs it; in the privileged node agents\' namespace only.',
    applies: ({ pod }) => pod?.hostNetwork === true,
  },
  {
    check: 'hostPathSet',
    where: 'node-exporter and Filebeat (node agents\' namespace)',
    reason: 'Node agents read the node: node-exporter /proc, /sys and the root filesystem read-only; Filebeat the container log directories read-only and its registry directory; in the privileged node agents\' namespace only.',
    applies: ({ pod }) => (pod?.volumes ?? []).some((v) => v.hostPath !== undefined),
  },
  {
    check: 'runAsRootAllowed',
    where: 'Filebeat (node agents\' namespace)',
    reason: 'The container runtime writes the container logs as root with mode 0640: Filebeat reads them as uid 0, with every capability dropped, no privilege escalation and a read-only root filesystem; in the privileged node agents\' namespace only.',
    applies: ({ pod }) => pod !== undefined && !(pod.securityContext?.runAsNonRoot === true || (pod.securityContext?.runAsUser ?? 0) >= 1),
  },
];

/** Polaris' annotation that exempts an object from one check. */
export const exemptAnnotation = (check: string): string => `polaris.fairwinds.com/${check}-exempt`;
/** The annotation that says why. */
export const reasonAnnotation = (check: string): string => `aiops-platform.io/${check}-exempt-reason`;

/**
 * Adds the exemption and reason annotations of every check in {@link EXEMPTIONS} a workload fails
 * for the table's reason, in place (objects as the render emits them). Returns `objects`.
 */
export function annotateExemptions<T extends Record<string, unknown>>(objects: T[]): T[] {
  const all = objects as unknown as KubeObject[];
  for (const object of all) {
    const pod = workloadPodSpec<PodSpec>(object);
    const subject = { object, pod, all };
    const failed = pod ? EXEMPTIONS.filter((e) => e.applies(subject)) : [];
    if (failed.length === 0) continue;
    const metadata = (object.metadata ??= {});
    const annotations: Record<string, string> = { ...metadata.annotations };
    for (const e of failed) {
      annotations[exemptAnnotation(e.check)] = 'true';
      annotations[reasonAnnotation(e.check)] = e.reason;
    }
    metadata.annotations = annotations;
  }
  return objects;
}

const isDigestPinned = (image: string | undefined): boolean => /@sha256:[0-9a-f]{64}$/.test(image ?? '');

const allContainers = (pod: PodSpec | undefined): Container[] => [...(pod?.initContainers ?? []), ...(pod?.containers ?? [])];

/** A PodDisruptionBudget whose matchLabels select the workload's pods. */
function selects(pdb: KubeObject, workload: KubeObject): boolean {
  const matchLabels = (pdb.spec?.selector as { matchLabels?: Record<string, string> } | undefined)?.matchLabels ?? {};
  const labels = (workload.spec?.template as { metadata?: { labels?: Record<string, string> } } | undefined)?.metadata?.labels ?? {};
  return (pdb.metadata as { namespace?: string }).namespace === (workload.metadata as { namespace?: string }).namespace && Object.entries(matchLabels).every(([k, v]) => labels[k] === v);
}
