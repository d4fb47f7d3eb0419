import * as z from 'zod';
import {
  DEFAULT_ENGINE_SERIES,
  DEFAULT_FORECAST_HORIZON,
  DEFAULT_SERIES_STEP,
  DEFAULT_SERIES_WINDOW,
  ENGINE_SERIES_DIRECTIONS,
  ENGINE_SERIES_KINDS,
  ENGINE_SERIES_SEVERITIES,
  FORECAST_APPROACHES,
} from '../../core/ai-engine-series.js';
import { SERIES_ACTIONS, SERIES_LIMITS, SERIES_NAME, seriesProblems, seriesTextProblem, type SeriesProblem } from '../../core/ai-engine-series-file.js';
import { durationMs } from '../../core/duration.js';
import { GATEWAY_PASSWORD_MIN_LENGTH, GATEWAY_USERNAME } from '../../core/gateway-auth.js';
import { APPROVAL_MODES } from '../../core/self-healing-rules.js';
import { addCrossFieldIssue } from '../issues.js';
import { existingSecret, userBuiltImage } from './common.js';
import { CREDENTIAL_DEFAULT } from './describe.js';
import { MANAGED_ENV, type ManagedEnvSlice } from './managed-env.js';
import type { Profile } from './profile.js';
import { positiveDuration } from './primitives.js';
import { CONTROL } from './text.js';
import { autoscaling, replicaField, sized, withMinReplicas, workloadFieldsWithImage, type WorkloadDefaults } from './workload.js';

/** Fields of one of the platform's own HTTP services, `name` in descriptions, `imageKey` its `image`. */
const appServiceFields = <I extends z.ZodType>(
  p: Profile,
  name: string,
  imageKey: I,
  slice: ManagedEnvSlice,
  resources: WorkloadDefaults['resources'] = { development: sized('100m', '256Mi', '512Mi'), production: sized('500m', '512Mi', '1Gi') },
) => ({
  ...workloadFieldsWithImage(p, { name, resources }, imageKey),
  ...replicaField(p, 1, 2),
  autoscaling: autoscaling(p, { development: 3, production: 10 }).describe(
    `HorizontalPodAutoscaler of the ${name} on CPU and memory utilisation (default off; production on).`,
  ),
  extraEnv: z
    .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string())
    .superRefine((env, ctx) => {
      for (const key of Object.keys(env).sort()) {
        if (!(MANAGED_ENV[slice] as readonly string[]).includes(key)) continue;
        ctx.addIssue({
          code: 'custom',
          path: [key],
          input: env[key],
          message: `${key} is set by the chart on the ${name} (from the values and connections): remove it from extraEnv`,
        });
      }
    })
    .default({})
    .describe('Extra environment variables, appended after the chart\'s own (sorted by name); a chart-managed name is an error (default {}).'),
});

/** `value` quoted for a message, at most 40 characters of it. */
const shown = (value: unknown): string => {
  const text = String(value);
  return text.length > 40 ? `${JSON.stringify(text.slice(0, 40))}… (${text.length} characters)` : JSON.stringify(text);
};

/** A series id or component: a DNS label (`what` names it in messages). */
const seriesName = (what: string) =>
  z.string().regex(SERIES_NAME, {
    error: (issue) => `expected ${what}: a DNS label (lower-case letters, digits and '-', at most 63 characters), found ${shown(issue.input)}`,
  });

/** Text of a series that reaches alert annotations and JSON: `min` to `max` characters, one line unless `multiline`. */
const seriesText = (what: string, max: number, o: { multiline?: boolean; min?: number } = {}) =>
  z.string().superRefine((value, ctx) => {
    const problem =
      value.length < (o.min ?? 0)
        ? `${what} is empty`
        : value.length > max
          ? `${what} has ${value.length} characters, more than ${max}`
          : seriesTextProblem(value, o.multiline) && `${what} ${seriesTextProblem(value, o.multiline)}`;
    if (problem) ctx.addIssue({ code: 'custom', input: value, message: problem });
  });

/** Seconds of a (valid) duration; NaN for an invalid one (its own issue is reported). */
const seconds = (duration: string): number => {
  const ms = durationMs(duration);
  return ms === undefined ? NaN : Number(ms) / 1000;
};

/** One entry of `aiEngine.series.extra`. */
const extraSeries = z.strictObject({
  id: seriesName('a series id').describe(
    'Id of the series: the series label of its alerts and the id of GET /ai/api/v1/series?id=; unique among the built-in series kept and the extra ones (required).',
  ),
  description: seriesText('description', SERIES_LIMITS.descriptionLength, { min: 1 }).describe(
    `One line for people, the start of its alerts' summaries (required; at most ${SERIES_LIMITS.descriptionLength} characters, no control characters).`,
  ),
  query: seriesText('query', SERIES_LIMITS.queryLength, { min: 1, multiline: true }).describe(
    `PromQL expression returning an instant vector or a scalar, run with query_range every step; it must parse (checked when rendering; required; at most ${SERIES_LIMITS.queryLength} characters).`,
  ),
  kind: z
    .enum(ENGINE_SERIES_KINDS)
    .describe('What the engine does: AnomalyDetected scores each point; DiskFullPredicted and ConnectionsExhaustionPredicted forecast when the trend reaches forecast.limit (required).'),
  direction: z
    .enum(ENGINE_SERIES_DIRECTIONS)
    .default('both')
    .describe('Which side is anomalous for AnomalyDetected and its level shifts: up (latency, errors), down (a hit rate) or both (default both).'),
  component: seriesName('a component name').describe('The component label of its alerts, e.g. http, node or postgresql (required).'),
  severity: z.enum(ENGINE_SERIES_SEVERITIES).default('warning').describe('The severity label of its alerts: warning or critical (default warning).'),
  action: z
    .enum(SERIES_ACTIONS)
    .default('none')
    .describe(
      `The action label of its alerts: ${SERIES_ACTIONS.join(', ')}; the self-healing executor acts on all but none (restart-pod needs pod and namespace labels in the result, scale-out an app or service label) (default none).`,
    ),
  unit: seriesText('unit', SERIES_LIMITS.unitLength).default('').describe(`Unit of the values for people, e.g. %, req/s or s (default "": at most ${SERIES_LIMITS.unitLength} characters).`),
  step: positiveDuration
    .default(DEFAULT_SERIES_STEP)
    .describe(
      `Resolution of query_range and how often the series is fetched, whole seconds from ${SERIES_LIMITS.minStepSeconds}s to 1h (default ${DEFAULT_SERIES_STEP}).`,
    ),
  window: positiveDuration
    .default(DEFAULT_SERIES_WINDOW)
    .describe(
      `History fetched at start and kept for forecasts, up to 7d: at least ${SERIES_LIMITS.minScoredWindowSteps} steps for AnomalyDetected; ${SERIES_LIMITS.minForecastWindowSteps} to ${SERIES_LIMITS.maxForecastWindowSteps} steps and 1h at least for a forecast (default ${DEFAULT_SERIES_WINDOW}).`,
    ),
  forecast: z
    .strictObject({
      limit: z.number().describe('The value the series must not reach, e.g. 100 for a percentage (required).'),
      approach: z.enum(FORECAST_APPROACHES).default('rising').describe('rising toward a ceiling or falling toward a floor (default rising).'),
      horizon: positiveDuration.default(DEFAULT_FORECAST_HORIZON).describe(`Crossings later than this count as none, up to 30d (default ${DEFAULT_FORECAST_HORIZON}).`),
    })
    .optional()
    .describe('When the robust trend reaches the limit: required for DiskFullPredicted and ConnectionsExhaustionPredicted, refused for AnomalyDetected (default: none).'),
});

/** Where a {@link SeriesProblem} lies in an `extra` entry. */
const VALUES_KEYS: Record<SeriesProblem['field'], readonly string[]> = { step: ['step'], window: ['window'], forecast: ['forecast'], horizon: ['forecast', 'horizon'] };
const BUILT_IN_IDS = DEFAULT_ENGINE_SERIES.map((s) => s.id);

/** `aiEngine.series`: which Prometheus series the engine watches. */
const engineSeries = z
  .strictObject({
    defaults: z
      .boolean()
      .default(true)
      .describe(`Watch the built-in series (${BUILT_IN_IDS.join(', ')}; src/core/ai-engine-series.ts; the pod-* ones only where prometheus.kubelet.enabled scrapes cAdvisor) but those in disabled (default true).`),
    disabled: z.array(z.string()).default([]).describe('Ids of built-in series to leave out; an unknown id is an error (default []).'),
    extra: z
      .array(extraSeries)
      .max(SERIES_LIMITS.maxSeries)
      .default([])
      .describe(
        'Further series to watch. An id of a built-in series replaces it when that one is left out (in disabled, or defaults false) (default []).',
      ),
  })
  .superRefine((v, ctx) => {
    v.disabled.forEach((id, i) => {
      if (!BUILT_IN_IDS.includes(id)) {
        ctx.addIssue({ code: 'custom', path: ['disabled', i], input: id, message: `${shown(id)} is not a built-in series; the built-in ones are ${BUILT_IN_IDS.join(', ')}` });
      }
    });
    const kept = v.defaults ? BUILT_IN_IDS.filter((id) => !v.disabled.includes(id)) : [];
    if (kept.length + v.extra.length > SERIES_LIMITS.maxSeries) {
      ctx.addIssue({ code: 'custom', path: ['extra'], input: v.extra.length, message: `${kept.length} built-in and ${v.extra.length} extra series are more than ${SERIES_LIMITS.maxSeries}` });
    }
    const seen = new Map<string, number>();
    v.extra.forEach((s, i) => {
      const first = seen.get(s.id);
      if (first !== undefined) {
        addCrossFieldIssue(ctx, { path: ['extra', i, 'id'], involves: [['extra', first, 'id']], input: s.id, message: `the id "${s.id}" is used twice (also extra[${first}].id)` });
      } else if (kept.includes(s.id)) {
        addCrossFieldIssue(ctx, {
          path: ['extra', i, 'id'],
          involves: [['disabled']],
          input: s.id,
          message: `"${s.id}" is the id of a built-in series: choose another id, or add it to disabled to replace the built-in one`,
        });
      }
      seen.set(s.id, i);
      const stepSeconds = seconds(s.step);
      const windowSeconds = seconds(s.window);
      const horizonSeconds = s.forecast ? seconds(s.forecast.horizon) : undefined;
      // A step, window or horizon that is no duration above 0 has its own issue already.
      if ([stepSeconds, windowSeconds, horizonSeconds ?? 1].some((n) => !(n > 0))) return;
      for (const p of seriesProblems({ kind: s.kind, stepSeconds, windowSeconds, hasForecast: s.forecast !== undefined, horizonSeconds })) {
        const key = VALUES_KEYS[p.field];
        const input = key.reduce<unknown>((node, k) => (node as Record<string, unknown> | undefined)?.[k], s);
        addCrossFieldIssue(ctx, { path: ['extra', i, ...key], involves: [['extra', i, 'kind']], input, message: p.message });
      }
    });
  })
  .prefault({})
  .describe('The Prometheus series the AI engine watches: the built-in ones, some left out, plus extra ones (written to the ConfigMap <release>-ai-engine as series.json).');

/** `aiEngine.*` */
export const aiEngineSchema = (p: Profile) =>
  z
    .strictObject({
      ...appServiceFields(p, 'AI engine', userBuiltImage('the AI engine'), 'aiEngine', {
        development: sized('250m', '512Mi', '1Gi'),
        production: sized('1', '2Gi', '4Gi'),
      }),
      series: engineSeries,
    })
    .prefault({})
    .transform(withMinReplicas)
    .describe('The AI engine, the platform\'s anomaly detection service.');

/** A bearer token (RFC 6750) of at least 16 characters, or empty: not given. */
const bearerToken = z.string().regex(/^([A-Za-z0-9._~+/-]{16,}=*)?$/, {
  error: () => 'expected a bearer token of at least 16 characters of A-Z a-z 0-9 . _ ~ + / - (RFC 6750), e.g. from openssl rand -hex 32; found (hidden)',
});

/** `apiGateway.admin.*`: the first admin of the single login. */
const gatewayAdmin = z
  .strictObject({
    username: z
      .string()
      .regex(GATEWAY_USERNAME, { error: (i) => `expected a user name of 1 to 64 characters A-Z a-z 0-9 . _ @ -, starting with a letter or digit, found ${shown(i.input)}` })
      .default('admin')
      .describe('User name of the first admin, created at start when no user has that name (never overwritten) (default admin).'),
    password: z
      .string()
      .superRefine((value, ctx) => {
        if (CONTROL.test(value)) ctx.addIssue({ code: 'custom', input: '(hidden)', message: 'the admin password contains a line break or another control character; choose another' });
        if (value && value.length < GATEWAY_PASSWORD_MIN_LENGTH) {
          ctx.addIssue({ code: 'custom', input: '(hidden)', message: `the admin password has ${value.length} characters; the gateway accepts ${GATEWAY_PASSWORD_MIN_LENGTH} at least` });
        }
      })
      .default('')
      .describe(
        `Password of the first admin, at least ${GATEWAY_PASSWORD_MIN_LENGTH} characters; kept in the Secret <release>-api-gateway under key admin-password ${CREDENTIAL_DEFAULT}.`,
      ),
    existingSecret: existingSecret.describe(
      'Existing Secret with keys admin-password (the first admin\'s password) and approval-token (the bearer token of the executor\'s approval API, read by the gateway and the executor); the chart then renders none (default: none).',
    ),
  })
  .prefault({})
  .describe('The first admin of the platform login; further users are managed in the console.');

/** `apiGateway.*` */
export const apiGatewaySchema = (p: Profile) =>
  z
    .strictObject({
      ...appServiceFields(p, 'API gateway', userBuiltImage('the API gateway'), 'apiGateway'),
      admin: gatewayAdmin,
      approvalToken: bearerToken
        .default('')
        .describe(
          `Bearer token the gateway presents to the self-healing executor's approval API (the executor refuses other callers); kept in the Secret <release>-api-gateway under key approval-token ${CREDENTIAL_DEFAULT}.`,
        ),
    })
    .prefault({})
    .transform(withMinReplicas)
    .describe('The API gateway: the one login in front of every UI (Traefik ForwardAuth), the console at / and the platform API at /api.');

/** Longest selfHealing.limits.approvalTtl: a held action older than a week describes a situation long gone. */
const MAX_APPROVAL_TTL = '7d';
const MAX_APPROVAL_TTL_MS = 7n * 86_400_000n;

/** `selfHealing.*`: the executor of the seed's self-healing rules. */
export const selfHealingSchema = (p: Profile) =>
  z
    .strictObject({
      ...appServiceFields(p, 'self-healing executor', userBuiltImage('the self-healing executor'), 'selfHealing'),
      ...replicaField(p, 1, 2, 'one acts (it holds the Lease <release>-self-healing), the others stand by and take over within 15 s'),
      autoscaling: autoscaling(p, { development: 2, production: 2 })
        .prefault({ enabled: false })
        .describe('HorizontalPodAutoscaler: refused for the executor, whose replicas only stand by; enabled must stay false (default off in both profiles).'),
      webhookToken: z
        .string()
        .regex(/^([A-Za-z0-9._~+/-]{16,}=*)?$/, {
          error: () => 'expected a bearer token of at least 16 characters of A-Z a-z 0-9 . _ ~ + / - (RFC 6750), e.g. from openssl rand -hex 32; found (hidden)',
        })
        .default('')
        .describe(
          `Bearer token Alertmanager sends to the executor's webhook, which refuses requests without it; kept in the Secret <release>-self-healing under key webhook-token ${CREDENTIAL_DEFAULT}.`,
        ),
      existingSecret: existingSecret.describe('Existing Secret with key webhook-token (the webhook bearer token); the chart then renders none (default: none).'),
      dryRun: z
        .boolean()
        .default(p.pick(true, false))
        .describe('Log the intended actions without acting (default true; production false).'),
      mode: z
        .enum(APPROVAL_MODES)
        .default('auto')
        .describe(
          'auto: the executor acts on a confirmed alert within its limits. approval: such a live action (not a dry run) is held as pending until a person approves it (it is then re-confirmed and re-checked against the limits before it runs) or rejects it through the API gateway, or it expires after limits.approvalTtl; needs apiGateway, whose Secret holds the approval token (default auto).',
        ),
      limits: z
        .strictObject({
          attemptsPerTarget: z
            .number()
            .int()
            .min(1)
            .max(100)
            .default(3)
            .describe('Actions on one target (pod, workload, Job rule) within the window at most; then the executor gives up on it: a Warning Event, aiops_self_healing_gave_up_total and the SelfHealingGaveUp alert (default 3).'),
          window: positiveDuration.default('1h').describe('Window of attemptsPerTarget (default 1h).'),
          minReplicas: z.number().int().min(1).default(1).describe('Replica floor when the executor scales a workload (default 1).'),
          maxReplicas: z.number().int().min(1).default(10).describe('Replica ceiling when the executor scales a workload or raises its HPA minReplicas (default 10).'),
          cooldown: positiveDuration.default('5m').describe('Pause between two actions on the same target, and after a scale-out alert resolved before scaling back (default 5m).'),
          actionsPerHour: z
            .number()
            .int()
            .min(1)
            .max(10000)
            .default(20)
            .describe('Circuit breaker: actions per hour at most, all targets together; while it is open the executor acts on nothing and aiops_self_healing_circuit_breaker_open is 1 (default 20).'),
          maxConcurrent: z.number().int().min(1).max(50).default(2).describe('Actions running at once at most; more alerts get a 503 and Alertmanager sends them again (default 2).'),
          jobCooldown: positiveDuration.default('1h').describe('Pause between two Jobs of the same rule, e.g. clean-disk or optimize-db (default 1h).'),
          approvalTtl: positiveDuration
            .refine((d) => (durationMs(d) ?? 0n) <= MAX_APPROVAL_TTL_MS, { error: `expected at most ${MAX_APPROVAL_TTL}` })
            .default('1h')
            .describe(`With mode approval: how long a held action waits for a person before it expires unanswered, at most ${MAX_APPROVAL_TTL}; an incident is held once (default 1h).`),
        })
        .superRefine((l, ctx) => {
          if (l.minReplicas > l.maxReplicas) {
            addCrossFieldIssue(ctx, {
              path: ['minReplicas'],
              involves: [['maxReplicas']],
              input: l.minReplicas,
              message: `minReplicas (${l.minReplicas}) is above maxReplicas (${l.maxReplicas}): the executor could never scale; lower minReplicas or raise maxReplicas`,
            });
          }
        })
        .prefault({})
        .describe('Safety bounds of the executor\'s actions.'),
    })
    .superRefine((v, ctx) => {
      if (v.autoscaling.enabled) {
        ctx.addIssue({
          code: 'custom',
          path: ['autoscaling', 'enabled'],
          input: true,
          message: 'expected false: one executor replica acts (the Lease holder), the others only stand by, so an HPA would add idle pods',
        });
      }
    })
    .prefault({})
    .transform(withMinReplicas)
    .describe('The self-healing executor: acts on alerts from Alertmanager by the seed\'s self-healing rules.');
