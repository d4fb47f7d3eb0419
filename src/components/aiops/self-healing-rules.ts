import { k8s } from 'cdk8s-plus-27';
import type { PlatformContext } from '../../lib/context.js';
import { convertJson } from '../../lib/opaque-maps.js';
import { ConfigError, reportProblem } from '../../lib/errors.js';
import { SELECTOR_LABEL_KEYS } from '../../core/label-keys.js';
import type { SelfHealingAction } from '../../core/self-healing-actions.js';
import type { Values } from '../../values/schema/index.js';

/** A workload the executor may scale; the chart passes only those NOT managed by an HPA (the plan's `hpaManaged`). */
export interface ScaleTarget {
  readonly kind: 'Deployment' | 'StatefulSet';
  /** Object name, e.g. `<release>-ai-engine`. */
  readonly name: string;
  /** The pods' app.kubernetes.io/name, e.g. `ai-engine`: the alerts' `app` label. */
  readonly app: string;
}

/** A Job the executor creates on demand: a full Job spec and the prefix of the generated names. */
export interface JobTemplate {
  /** Job names are `<namePrefix>-<5 random characters>` (generateName), e.g. `aiops-platform-postgresql-maintenance`. */
  readonly namePrefix: string;
  readonly spec: k8s.JobSpec;
}

/** Jobs the executor creates on demand; a missing one leaves its rule out. */
export interface SelfHealingJobs {
  /** The Elasticsearch disk cleanup Job: deletes the oldest log indices until the data volumes are under the target. */
  readonly cleanDisk?: JobTemplate | undefined;
  /** The PostgreSQL maintenance Job. */
  readonly optimizeDatabase?: JobTemplate | undefined;
}

/** Objects with all of these labels. */
type LabelSelector = { readonly matchLabels: Readonly<Record<string, string>> };

interface RuleBase {
  /** Rule name, also the value of the {@link RULE_LABEL} label on created Jobs and in Events. */
  readonly name: string;
  readonly description: string;
  /** Which alerts the rule acts on: firing ones (never resolved) whose labels equal `labels`. */
  readonly match: { readonly status: 'firing'; readonly labels: { readonly action: SelfHealingAction } };
  /** Pause between two actions of the rule on the same target (pod, workload, Job template). */
  readonly cooldown: string;
}

/** Deletes the pod an alert names, so that its controller recreates it. */
export interface DeletePodRule extends RuleBase {
  readonly action: {
    readonly type: 'delete-pod';
    /** Alert labels naming the pod and its namespace. */
    readonly podLabel: 'pod';
    readonly namespaceLabel: 'namespace';
    /** Only pods in these namespaces (the platform namespace, where the Role applies). */
    readonly namespaces: readonly string[];
    /** Never pods with these labels (the executor's own). */
    readonly excludePods: LabelSelector;
    /** At most `maxActions` deletions per `window`, all pods together. */
    readonly maxActions: number;
    readonly window: string;
  };
}

/** A workload a scale-out alert may name, with the alert labels that name it (either one). */
export interface ScaleTargetEntry extends Omit<ScaleTarget, 'app'> {
  readonly alertLabels: {
    /** Equal to the alert's `app` label (the pods' app.kubernetes.io/name). */
    readonly app: string;
    /** Anchored RE2 matched against the alert's `service` label (Traefik's `<namespace>-<service>-<port>@kubernetes`). */
    readonly serviceRegex: string;
  };
}

/** Adds `step` replicas to the workload an alert names, within [minReplicas, maxReplicas]. */
export interface ScaleRule extends RuleBase {
  readonly action: {
    readonly type: 'scale';
    readonly step: number;
    /** Bounds of the replica count after scaling. */
    readonly minReplicas: number;
    readonly maxReplicas: number;
    /** Alerts naming any other workload (e.g. one with an HPA) cause no action. */
    readonly targets: readonly ScaleTargetEntry[];
  };
}

/** Creates a Job from the embedded manifest, unless one with the same labels is still active. */
export interface CreateJobRule extends RuleBase {
  readonly action: {
    readonly type: 'create-job';
    /** Skip while a Job with these labels (a CronJob's run or an earlier one) is active. */
    readonly skipWhileActive: LabelSelector;
    /** The Job manifest as the API takes it (JSON field names and plain quantities). */
    readonly job: { readonly apiVersion: 'batch/v1'; readonly kind: 'Job'; readonly metadata: k8s.ObjectMeta; readonly spec: Record<string, unknown> };
  };
}

export type SelfHealingRule = DeletePodRule | ScaleRule | CreateJobRule;

/** The executor's rules file (`rules.yaml`): what it may do, and the bounds of each action. */
export interface SelfHealingRulesFile {
  readonly version: 1;
  /** Log and record an Event for each intended action without acting. */
  readonly dryRun: boolean;
  /** The namespace it acts in (its Role's). */
  readonly namespace: string;
  /** All rules together: at most this many actions per minute. */
  readonly rateLimit: { readonly actionsPerMinute: number };
  readonly rules: readonly SelfHealingRule[];
}

/** Label on the Jobs the executor creates: the rule's name. */
export const RULE_LABEL = 'self-healing.aiops-platform.io/rule';
/** Finished Jobs the executor created are removed after a day (it has no right to delete Jobs). */
const JOB_TTL_SECONDS = 86_400;

/**
 * The rules file for the seed's four self-healing rules; a rule without a target is left out.
 * `ownPods`: the labels of the executor's own pods, which it never deletes.
 */
export function selfHealingRules(
  ctx: PlatformContext,
  values: Values['selfHealing'],
  targets: { readonly scaleTargets: readonly ScaleTarget[]; readonly jobs: SelfHealingJobs },
  ownPods: Readonly<Record<string, string>>,
): SelfHealingRulesFile {
  const { limits } = values;
  const match = (action: SelfHealingAction): RuleBase['match'] => ({ status: 'firing', labels: { action } });
  const rules: SelfHealingRule[] = [
    {
      name: 'restart-abnormal-pods',
      description: 'Deletes a crash-looping pod of the platform namespace so that its controller recreates it; never the executor itself.',
      match: match('restart-pod'),
      cooldown: limits.cooldown,
      action: {
        type: 'delete-pod',
        podLabel: 'pod',
        namespaceLabel: 'namespace',
        namespaces: [ctx.namespace],
        excludePods: { matchLabels: { ...ownPods } },
        maxActions: limits.maxPodRestartsPerWindow,
        window: limits.window,
      },
    },
  ];
  if (targets.scaleTargets.length > 0) {
    rules.push({
      name: 'scale-out-high-load',
      description:
        "Adds one replica to the workload the alert names (label app or service), within the bounds. Only workloads without a HorizontalPodAutoscaler are targets: with an HPA, scaling out is the HPA's job, and an alert naming such a workload causes no action.",
      match: match('scale-out'),
      cooldown: limits.cooldown,
      action: { type: 'scale', step: 1, minReplicas: limits.minReplicas, maxReplicas: limits.maxReplicas, targets: targets.scaleTargets.map((t) => scaleTargetEntry(ctx, t)) },
    });
  }
  for (const [name, action, template, description] of [
    ['clean-disk-space', 'clean-disk', targets.jobs.cleanDisk, "Runs the Elasticsearch disk cleanup Job on ElasticsearchDiskAlmostFull: it deletes the oldest daily log indices until the data volumes are under elasticsearch.diskCleanup.targetPercent, a bounded number per run, never today's or the newest index. Node filesystems are not cleaned (nothing of the platform frees them); Prometheus bounds its own volume with size-based retention."],
    ['optimize-database-queries', 'optimize-db', targets.jobs.optimizeDatabase, 'Runs the PostgreSQL maintenance Job: VACUUM (ANALYZE) of the application database and the query statistics view.'],
  ] as const) {
    if (template) rules.push({ name, description, match: match(action), cooldown: limits.jobCooldown, action: createJob(ctx, name, template) });
  }
  return { version: 1, dryRun: values.dryRun, namespace: ctx.namespace, rateLimit: { actionsPerMinute: limits.actionsPerMinute }, rules };
}

/** The alert labels that name a target: its app or its Traefik service. */
function scaleTargetEntry(ctx: PlatformContext, target: ScaleTarget): ScaleTargetEntry {
  // Names and namespaces are DNS labels: no regex metacharacters. Port names of the platform have no '-'.
  const serviceRegex = `${ctx.namespace}-${target.name}-[a-z0-9]+@kubernetes`;
  return { kind: target.kind, name: target.name, alertLabels: { app: target.app, serviceRegex } };
}

/** A create-job action: the Job manifest with generateName, the rule label and a TTL. */
function createJob(ctx: PlatformContext, rule: string, template: JobTemplate): CreateJobRule['action'] {
  const generateName = `${template.namePrefix}-`;
  if (generateName.length + 5 > 63) {
    const excess = generateName.length + 5 - 63;
    reportProblem(
      ctx,
      new ConfigError(`Job name prefix "${template.namePrefix}" of rule ${rule} is too long: generated Job names would exceed 63 characters; use a release name at least ${excess} characters shorter`, {
        flag: '--release',
        group: { id: 'release-length', weight: excess },
      }),
    );
  }
  const podLabels = template.spec.template.metadata?.labels ?? {};
  const selector: Record<string, string> = {};
  for (const key of SELECTOR_LABEL_KEYS) {
    const value = podLabels[key];
    if (value === undefined) throw new Error(`the Job template of rule ${rule} has no pod label ${key}: its active Jobs could not be found`);
    selector[key] = value;
  }
  return {
    type: 'create-job',
    skipWhileActive: { matchLabels: selector },
    job: {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { generateName, namespace: ctx.namespace, labels: { ...podLabels, [RULE_LABEL]: rule } },
      spec: convertJson({ ...template.spec, ttlSecondsAfterFinished: JOB_TTL_SECONDS }, k8s.toJson_JobSpec)!,
    },
  };
}
