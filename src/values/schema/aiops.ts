import { z } from 'zod';
import { addCrossFieldIssue } from '../issues.js';
import { existingSecret, image, userBuiltImage } from './common.js';
import { CREDENTIAL_DEFAULT } from './describe.js';
import { IMAGES } from './images.js';
import { MANAGED_ENV, type ManagedEnvSlice } from './managed-env.js';
import type { Profile } from './profile.js';
import { positiveDuration } from './primitives.js';
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

/** `aiEngine.*` */
export const aiEngineSchema = (p: Profile) =>
  z
    .strictObject({
      ...appServiceFields(p, 'AI engine', userBuiltImage('the AI engine'), 'aiEngine', {
        development: sized('250m', '512Mi', '1Gi'),
        production: sized('1', '2Gi', '4Gi'),
      }),
    })
    .prefault({})
    .transform(withMinReplicas)
    .describe('The AI engine, the platform\'s anomaly detection service.');

/** `apiGateway.*` */
export const apiGatewaySchema = (p: Profile) =>
  z
    .strictObject(appServiceFields(p, 'API gateway', image('the API gateway container', IMAGES.apiGateway), 'apiGateway'))
    .prefault({})
    .transform(withMinReplicas)
    .describe('The API gateway: the platform\'s public API behind the Ingress.');

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
