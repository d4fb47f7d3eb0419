// zod/mini: this module is bundled into the executor (src/services/self-healing/), where bundle size counts.
import * as z from 'zod/mini';
import { durationMs } from './duration.js';
import { issueLine } from './zod-issue-text.js';
import { SELF_HEALING_ACTIONS } from './self-healing-actions.js';

/**
 * The format of the self-healing executor's rules file (`rules.yaml`), defined once: the chart
 * writes it (src/components/aiops/self-healing-rules.ts, which parses its own output with
 * {@link rulesFileSchema}) and the executor reads it with the same schema
 * (src/services/self-healing/). Durations are Prometheus durations (`30s`, `5m`, `1h`), read with
 * src/core/duration.ts.
 */

const duration = z.string().check(z.refine((d) => d !== '' && durationMs(d) !== undefined && durationMs(d)! > 0n, 'expected a Prometheus duration above 0 such as 30s, 5m or 1h'));
const positiveInt = z.int().check(z.minimum(1, 'expected an integer of at least 1'));
const name = z.string().check(z.regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'expected a DNS label'), z.maxLength(63));
const labelMap = z.record(z.string(), z.string());
/** Objects with all of these labels. */
const labelSelector = z.object({ matchLabels: labelMap });

/** What every rule has. */
const ruleBase = {
  /** Rule name: the `rule` label of the decision metrics, in Events and on created Jobs. */
  name,
  description: z.string(),
  /** The alerts it acts on: those whose `action` label is this action. */
  match: z.object({ action: z.enum(SELF_HEALING_ACTIONS) }),
  /** Pause after an action of the rule before the next one on the same target. */
  cooldown: duration,
};

/** Evicts the pod an alert names (Eviction API: PodDisruptionBudgets apply), so that its controller recreates it. */
export const evictPodRuleSchema = z.object({
  ...ruleBase,
  action: z.object({
    type: z.literal('evict-pod'),
    /** Alert labels naming the pod and its namespace. */
    podLabel: z.string(),
    namespaceLabel: z.string(),
    /** Only pods in these namespaces (where the executor's Role applies). */
    namespaces: z.array(name).check(z.minLength(1)),
    /** Never pods with all of these labels (the executor's own). */
    excludePods: labelSelector,
  }),
});

/** A workload a scale-out alert may name, and how it is scaled. */
export const scaleTargetSchema = z.object({
  kind: z.enum(['Deployment', 'StatefulSet']),
  /** Object name, e.g. `<release>-ai-engine`. */
  name,
  /**
   * The HorizontalPodAutoscaler that may own the workload (same name by the chart's convention):
   * when it exists and targets the workload, the executor raises its `minReplicas` instead of
   * scaling the workload (never fights the HPA).
   */
  autoscaler: z.optional(name),
  /** The alert labels that name the workload (either one). */
  alertLabels: z.object({
    /** Equal to the alert's `app` label (the pods' app.kubernetes.io/name). */
    app: z.string(),
    /** Anchored RE2/JS-compatible regex matched against the alert's `service` label (Traefik's `<ns>-<service>-<port>@kubernetes`). */
    serviceRegex: z.string(),
  }),
});

/** Adds `step` replicas to the workload an alert names, within [minReplicas, maxReplicas]; back to the original after the alert resolved and the cooldown passed. */
export const scaleRuleSchema = z.object({
  ...ruleBase,
  action: z.object({
    type: z.literal('scale'),
    step: positiveInt,
    minReplicas: positiveInt,
    maxReplicas: positiveInt,
    targets: z.array(scaleTargetSchema),
  }),
});

/** Creates a Job from the embedded manifest, unless one with the `skipWhileActive` labels is still active. */
export const createJobRuleSchema = z.object({
  ...ruleBase,
  action: z.object({
    type: z.literal('create-job'),
    skipWhileActive: labelSelector,
    /** The Job manifest as the API takes it (metadata.generateName, labels, spec). */
    job: z.object({
      apiVersion: z.literal('batch/v1'),
      kind: z.literal('Job'),
      metadata: z.object({ generateName: z.string(), namespace: name, labels: labelMap }),
      spec: z.record(z.string(), z.unknown()),
    }),
  }),
});


/** The executor's bounds, all rules together. */
export const guardrailsSchema = z.object({
  /** Attempts per target within `window` at most; then the executor gives up on it (Event + SelfHealingGaveUp) until the window passes. */
  attemptsPerTarget: positiveInt,
  window: duration,
  /** Circuit breaker: at most this many actions per hour, all targets together; above, it opens and acts on nothing until the hour has room again. */
  actionsPerHour: positiveInt,
  /** Actions running at the same time at most. */
  maxConcurrent: positiveInt,
  /** In approval mode: how long a held action waits for a person; then it expires unanswered (Event, outcome `expired`). */
  approvalTtl: duration,
});

/**
 * How the executor acts on a decision that passed confirmation and every guardrail:
 * - `auto`: it acts (or dry-runs);
 * - `approval`: a live action (not a dry run) is held as `pending` until a person approves it
 *   through the approval API (the API gateway), is rejected, or expires after `approvalTtl`.
 */
export const APPROVAL_MODES = ['auto', 'approval'] as const;
export type ApprovalMode = (typeof APPROVAL_MODES)[number];

/** The rules file. */
export const rulesFileSchema = z.object({
  version: z.literal(1),
  /** Decide and log the exact API call of each action, verify it with a server-side dry run, never change anything. */
  dryRun: z.boolean(),
  /** `auto` or `approval` ({@link APPROVAL_MODES}). */
  mode: z.enum(APPROVAL_MODES),
  /** The platform namespace: where the executor's Role applies, its Lease and its Events live. */
  namespace: name,
  guardrails: guardrailsSchema,
  /** Each rule is checked by the schema its `action.type` names (see {@link parseRulesFile}). */
  rules: z.array(z.unknown()),
});

const RULE_SCHEMAS = { 'evict-pod': evictPodRuleSchema, scale: scaleRuleSchema, 'create-job': createJobRuleSchema } as const;

export type EvictPodRule = z.infer<typeof evictPodRuleSchema>;
export type ScaleRule = z.infer<typeof scaleRuleSchema>;
export type ScaleTargetEntry = z.infer<typeof scaleTargetSchema>;
export type CreateJobRule = z.infer<typeof createJobRuleSchema>;
export type Guardrails = z.infer<typeof guardrailsSchema>;
export type SelfHealingRule = EvictPodRule | ScaleRule | CreateJobRule;
export type RulesFile = Omit<z.infer<typeof rulesFileSchema>, 'rules'> & { rules: SelfHealingRule[] };

/** Label on the Jobs the executor creates and its Events: the rule's name. */
export const RULE_LABEL = 'self-healing.aiops-platform.io/rule';

/** The rules file parsed and checked; throws an Error naming every problem (`rules.2.cooldown: …`). */
export function parseRulesFile(input: unknown): RulesFile {
  const problems: string[] = [];
  const report = (prefix: (string | number)[], issues: readonly z.core.$ZodIssue[]) => {
    for (const issue of issues) problems.push(issueLine(issue, prefix, '(file)'));
  };
  const file = z.safeParse(rulesFileSchema, input);
  if (!file.success) report([], file.error.issues);
  const rules: SelfHealingRule[] = [];
  const rawRules = file.success ? file.data.rules : (input as { rules?: unknown } | null)?.rules;
  (Array.isArray(rawRules) ? rawRules : []).forEach((raw, index) => {
    const type = (raw as { action?: { type?: unknown } } | null)?.action?.type;
    const schema = typeof type === 'string' ? RULE_SCHEMAS[type as keyof typeof RULE_SCHEMAS] : undefined;
    if (!schema) {
      problems.push(`rules.${index}.action.type: expected one of ${Object.keys(RULE_SCHEMAS).join(', ')}, found ${JSON.stringify(type)}`);
      return;
    }
    const rule = z.safeParse(schema as z.core.$ZodType, raw);
    if (rule.success) rules.push(rule.data as SelfHealingRule);
    else report(['rules', index], rule.error.issues);
  });
  const names = rules.map((r) => r.name);
  for (const dup of new Set(names.filter((n, i) => names.indexOf(n) !== i))) problems.push(`rules: the name "${dup}" is used twice`);
  if (problems.length > 0 || !file.success) throw new Error(`invalid self-healing rules file:\n${problems.join('\n')}`);
  return { ...file.data, rules };
}
