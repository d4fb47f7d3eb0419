import * as z from 'zod';
import { addCrossFieldIssue } from '../issues.js';
import { objectName } from './primitives.js';

/**
 * `global.priorityClasses` and `global.topologySpread`, and the per-component `topologySpread`
 * override: how the scheduler ranks and places the platform's pods.
 */

/** The most a user-defined PriorityClass may have: higher values are reserved for the system classes. */
export const MAX_USER_PRIORITY = 1_000_000_000;

const priorityClassName = objectName.refine((name) => !name.startsWith('system-'), {
  error: (issue) => `"${String(issue.input)}" starts with system-, a prefix Kubernetes reserves for its own PriorityClasses`,
});

const priorityClass = (tier: 'critical' | 'standard', value: number, who: string) =>
  z
    .strictObject({
      name: priorityClassName
        .optional()
        .describe(`Name of the class (default: <release>-${tier}); with create: false, a PriorityClass that exists in the cluster.`),
      value: z
        .number()
        .int()
        .min(0)
        .max(MAX_USER_PRIORITY)
        .default(value)
        .describe(`Priority of the rendered class, 0 to ${MAX_USER_PRIORITY} (default ${value}); higher is scheduled first and evicted last.`),
    })
    .prefault({})
    .describe(`The class of ${who}.`);

/** `global.priorityClasses.*`. */
export const priorityClassesSchema = z
  .strictObject({
    enabled: z
      .boolean()
      .default(true)
      .describe('Give every pod of the platform a PriorityClass (default true); false leaves the cluster\'s default priority.'),
    create: z
      .boolean()
      .default(true)
      .describe('Render the two PriorityClasses (default true); false: the names refer to classes that already exist in the cluster.'),
    critical: priorityClass('critical', 1_000_000, 'the data stores (PostgreSQL, Redis, Elasticsearch), Prometheus, Alertmanager and the self-healing executor'),
    standard: priorityClass('standard', 100_000, 'every other pod, Jobs included'),
  })
  .prefault({})
  .superRefine((v, ctx) => {
    if (v.enabled && v.create && v.critical.value <= v.standard.value) {
      addCrossFieldIssue(ctx, {
        path: ['critical', 'value'],
        involves: [['standard', 'value']],
        input: v.critical.value,
        message: `the critical class (${v.critical.value}) must rank above the standard class (${v.standard.value}): raise critical.value or lower standard.value`,
      });
    }
    if (v.enabled && v.critical.name !== undefined && v.critical.name === v.standard.name) {
      addCrossFieldIssue(ctx, {
        path: ['standard', 'name'],
        involves: [['critical', 'name']],
        input: v.standard.name,
        message: `critical and standard name the same class "${v.standard.name}": give them two names`,
      });
    }
  })
  .describe('PriorityClasses of the platform\'s pods: under node pressure the scheduler evicts the data stores, monitoring and the executor last.');

const WHEN_UNSATISFIABLE = ['ScheduleAnyway', 'DoNotSchedule'] as const;

const spreadRule = (what: string) =>
  z
    .strictObject({
      enabled: z.boolean().default(true).describe(`Spread the pods of every multi-replica workload over ${what} (default true).`),
      whenUnsatisfiable: z
        .enum(WHEN_UNSATISFIABLE)
        .default('ScheduleAnyway')
        .describe(`ScheduleAnyway (default) prefers an even spread over ${what}; DoNotSchedule leaves a pod pending rather than exceed maxSkew.`),
      maxSkew: z.number().int().min(1).max(100).default(1).describe(`How many more pods one of the ${what} may have than the emptiest (default 1).`),
    })
    .prefault({});

/** `global.topologySpread.*`: the defaults of every workload. */
export const topologySpreadSchema = z
  .strictObject({
    zone: spreadRule('zones (topology.kubernetes.io/zone)').describe('The spread over zones (topology.kubernetes.io/zone): one zone lost takes at most its share of the pods.'),
    hostname: spreadRule('nodes (kubernetes.io/hostname)').describe('The spread over nodes (kubernetes.io/hostname), beside the pod anti-affinity of the production profile.'),
  })
  .prefault({})
  .describe('topologySpreadConstraints of every workload that runs more than one pod: one zone or node lost takes at most its share. Nothing is rendered for single replicas.');

const spreadOverride = (what: string) =>
  z
    .strictObject({
      enabled: z.boolean().optional().describe(`Spread over ${what} (default: global.topologySpread).`),
      whenUnsatisfiable: z.enum(WHEN_UNSATISFIABLE).optional().describe('ScheduleAnyway or DoNotSchedule (default: global.topologySpread).'),
      maxSkew: z.number().int().min(1).max(100).optional().describe('Largest allowed skew (default: global.topologySpread).'),
    })
    .optional();

/** `<component>.topologySpread`: this component's changes to `global.topologySpread`. */
export const topologySpreadOverride = z
  .strictObject({
    zone: spreadOverride('zones').describe('Changes to global.topologySpread.zone (default: none).'),
    hostname: spreadOverride('nodes').describe('Changes to global.topologySpread.hostname (default: none).'),
  })
  .optional()
  .describe('This component\'s changes to global.topologySpread, key by key (default: none, the global settings).');

export type TopologySpreadValues = z.output<typeof topologySpreadSchema>;
export type TopologySpreadOverride = z.output<typeof topologySpreadOverride>;
export type PriorityClassesValues = z.output<typeof priorityClassesSchema>;
