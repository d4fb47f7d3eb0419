import { z } from 'zod';
import { addCrossFieldIssue } from '../issues.js';
import { existingSecret, type ImageDefaults } from './common.js';
import { CREDENTIAL_DEFAULT } from './describe.js';
import { IMAGES } from './images.js';
import { MANAGED_ENV, type ManagedEnvSlice } from './managed-env.js';
import type { Profile } from './profile.js';
import { positiveDuration, promDuration } from './primitives.js';
import { autoscaling, replicaField, sized, withMinReplicas, workloadFields, type WorkloadDefaults } from './workload.js';

/** Fields of one of the platform's own HTTP services, `name` in descriptions. */
const appServiceFields = (
  p: Profile,
  name: string,
  image: ImageDefaults,
  slice: ManagedEnvSlice,
  resources: WorkloadDefaults['resources'] = { development: sized('100m', '256Mi', '512Mi'), production: sized('500m', '512Mi', '1Gi') },
) => ({
  ...workloadFields(p, { name, image, resources }),
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
      ...appServiceFields(p, 'AI engine', IMAGES.aiEngine, 'aiEngine', {
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
    .strictObject(appServiceFields(p, 'API gateway', IMAGES.apiGateway, 'apiGateway'))
    .prefault({})
    .transform(withMinReplicas)
    .describe('The API gateway: the platform\'s public API behind the Ingress.');

/** `selfHealing.*`: the executor of the seed's self-healing rules. */
export const selfHealingSchema = (p: Profile) =>
  z
    .strictObject({
      ...appServiceFields(p, 'self-healing executor', IMAGES.selfHealing, 'selfHealing'),
      ...replicaField(p, 1, 1, 'exactly 1: the rate limits and cooldowns are kept per process'),
      autoscaling: autoscaling(p, { development: 3, production: 10 })
        .prefault({ enabled: false })
        .describe('HorizontalPodAutoscaler: refused for the executor, which runs one pod; enabled must stay false (default off in both profiles).'),
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
          maxPodRestartsPerWindow: z.number().int().min(0).default(3).describe('Pod deletions per window at most (default 3).'),
          window: positiveDuration.default('1h').describe('Window of the pod restart bound (default 1h).'),
          minReplicas: z.number().int().min(1).default(1).describe('Replica floor when the executor scales a workload (default 1).'),
          maxReplicas: z.number().int().min(1).default(10).describe('Replica ceiling when the executor scales a workload (default 10).'),
          cooldown: promDuration.default('5m').describe('Pause between two actions on the same target (default 5m).'),
          actionsPerMinute: z.number().int().min(1).default(10).describe('Actions per minute at most, all targets together (default 10).'),
          jobCooldown: promDuration.default('1h').describe('Pause between two Jobs of the same rule, e.g. clean-disk or optimize-db (default 1h).'),
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
      const why = 'the self-healing executor keeps its rate limits and cooldowns in memory, so more than one pod would multiply every bound';
      if (v.replicas !== 1) {
        ctx.addIssue({ code: 'custom', path: ['replicas'], input: v.replicas, message: `expected 1 replica, found ${v.replicas}: ${why}` });
      }
      if (v.autoscaling.enabled) {
        ctx.addIssue({ code: 'custom', path: ['autoscaling', 'enabled'], input: true, message: `expected false: ${why}; an HPA would add pods` });
      }
    })
    .prefault({})
    .transform(withMinReplicas)
    .describe('The self-healing executor: acts on alerts from Alertmanager by the seed\'s self-healing rules.');
