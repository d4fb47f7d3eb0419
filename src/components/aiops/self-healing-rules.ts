import { k8s } from '../../lib/k8s.js';
import { SELECTOR_LABEL_KEYS } from '../../core/label-keys.js';
import type { SelfHealingAction } from '../../core/self-healing-actions.js';
import { parseRulesFile, RULE_LABEL, type CreateJobRule, type RulesFile, type ScaleTargetEntry, type SelfHealingRule } from '../../core/self-healing-rules.js';
import type { PlatformContext } from '../../lib/context.js';
import { ConfigError, reportProblem } from '../../lib/errors.js';
import { convertJson } from '../../lib/opaque-maps.js';
import type { Values } from '../../values/schema/index.js';

export { RULE_LABEL };

/** A workload the executor may scale out. */
export interface ScaleTarget {
  readonly kind: 'Deployment' | 'StatefulSet';
  /** Object name, e.g. `<release>-ai-engine`. */
  readonly name: string;
  /** The pods' app.kubernetes.io/name, e.g. `ai-engine`: the alerts' `app` label. */
  readonly app: string;
  /** Name of the HPA that owns its replica count, when one does (the executor then raises the HPA's minReplicas). */
  readonly autoscaler?: string | undefined;
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

/** Finished Jobs the executor created are removed after a day (it has no right to delete Jobs). */
const JOB_TTL_SECONDS = 86_400;

/**
 * The rules file (format: src/core/self-healing-rules.ts, which the executor reads with the same
 * schema) for the seed's four self-healing rules; a rule without a target is left out.
 * `ownPods`: the labels of the executor's own pods, which it never evicts.
 */
export function selfHealingRules(
  ctx: PlatformContext,
  values: Values['selfHealing'],
  targets: { readonly scaleTargets: readonly ScaleTarget[]; readonly jobs: SelfHealingJobs },
  ownPods: Readonly<Record<string, string>>,
): RulesFile {
  const { limits } = values;
  const match = (action: SelfHealingAction) => ({ action });
  const rules: SelfHealingRule[] = [
    {
      name: 'restart-abnormal-pods',
      description:
        'Evicts a crash-looping pod of the platform namespace (Eviction API: PodDisruptionBudgets apply) so that its controller recreates it; never the executor itself.',
      match: match('restart-pod'),
      cooldown: limits.cooldown,
      action: { type: 'evict-pod', podLabel: 'pod', namespaceLabel: 'namespace', namespaces: [ctx.namespace], excludePods: { matchLabels: { ...ownPods } } },
    },
  ];
  if (targets.scaleTargets.length > 0) {
    rules.push({
      name: 'scale-out-high-load',
      description:
        "Adds one replica to the workload the alert names (label app or service), within the bounds; with a HorizontalPodAutoscaler it raises the HPA's minReplicas instead. Back to the original count once the alert resolved and the cooldown passed.",
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
  // The executor reads the file with this schema: a file it would refuse is a bug of the chart.
  return parseRulesFile({
    version: 1,
    dryRun: values.dryRun,
    mode: values.mode,
    namespace: ctx.namespace,
    guardrails: {
      attemptsPerTarget: limits.attemptsPerTarget,
      window: limits.window,
      actionsPerHour: limits.actionsPerHour,
      maxConcurrent: limits.maxConcurrent,
      approvalTtl: limits.approvalTtl,
    },
    rules,
  });
}

/** The alert labels that name a target: its app or its Traefik service. */
function scaleTargetEntry(ctx: PlatformContext, target: ScaleTarget): ScaleTargetEntry {
  // Names and namespaces are DNS labels: no regex metacharacters. Port names of the platform have no '-'.
  const serviceRegex = `${ctx.namespace}-${target.name}-[a-z0-9]+@kubernetes`;
  return {
    kind: target.kind,
    name: target.name,
    ...(target.autoscaler ? { autoscaler: target.autoscaler } : {}),
    alertLabels: { app: target.app, serviceRegex },
  };
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
