import { z } from 'zod';
import type { ImageDefaults } from './common.js';
import { IMAGES } from './images.js';
import type { Profile } from './profile.js';
import { promDuration } from './primitives.js';
import { autoscaling, replicaField, sized, withMinReplicas, workloadFields, type WorkloadDefaults } from './workload.js';

/** Fields of one of the platform's own HTTP services. */
const appServiceFields = (
  p: Profile,
  image: ImageDefaults,
  resources: WorkloadDefaults['resources'] = { development: sized('100m', '256Mi', '512Mi'), production: sized('500m', '512Mi', '1Gi') },
) => ({
  ...workloadFields(p, { image, resources }),
  ...replicaField(p, 1, 2),
  /** HorizontalPodAutoscaler (default off in development, on in production; maxReplicas 3 / 10; minReplicas default: replicas). */
  autoscaling: autoscaling(p, { development: 3, production: 10 }),
  /** Extra environment variables, appended after the chart's own (sorted by name); a chart-managed name is an error (default {}). */
  extraEnv: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string()).default({}),
});

/** `aiEngine.*` */
export const aiEngineSchema = (p: Profile) =>
  z
    .strictObject({
      ...appServiceFields(p, IMAGES.aiEngine, {
        development: sized('250m', '512Mi', '1Gi'),
        production: sized('1', '2Gi', '4Gi'),
      }),
    })
    .prefault({})
    .transform(withMinReplicas);

/** `apiGateway.*` */
export const apiGatewaySchema = (p: Profile) => z.strictObject(appServiceFields(p, IMAGES.apiGateway)).prefault({}).transform(withMinReplicas);

/** `selfHealing.*`: the executor of the seed's self-healing rules. */
export const selfHealingSchema = (p: Profile) =>
  z
    .strictObject({
      ...appServiceFields(p, IMAGES.selfHealing),
      /** Executor pods: exactly 1, its rate limits and cooldowns are kept per process (default 1). */
      ...replicaField(p, 1, 1),
      /** Refused for the executor (one replica, see replicas): `enabled` defaults to false in both profiles. */
      autoscaling: autoscaling(p, { development: 3, production: 10 }).prefault({ enabled: false }),
      /** Log intended actions without acting (default true in development, false in production). */
      dryRun: z.boolean().default(p.pick(true, false)),
      limits: z
        .strictObject({
          /** Pod deletions per window at most (default 3). */
          maxPodRestartsPerWindow: z.number().int().min(0).default(3),
          /** Window of the restart bound (default 1h). */
          window: promDuration.default('1h'),
          /** Replica floor when scaling (default 1). */
          minReplicas: z.number().int().min(1).default(1),
          /** Replica ceiling when scaling (default 10). */
          maxReplicas: z.number().int().min(1).default(10),
          /** Pause between two actions on the same target (default 5m). */
          cooldown: promDuration.default('5m'),
          /** Actions per minute at most, all targets together (default 10). */
          actionsPerMinute: z.number().int().min(1).default(10),
          /** Pause between two Jobs of the same rule (clean-disk, optimize-db) (default 1h). */
          jobCooldown: promDuration.default('1h'),
        })
        .superRefine((l, ctx) => {
          if (l.minReplicas > l.maxReplicas) {
            ctx.addIssue({
              code: 'custom',
              path: ['minReplicas'],
              input: l.minReplicas,
              message: `minReplicas (${l.minReplicas}) is above maxReplicas (${l.maxReplicas}): the executor could never scale; lower minReplicas or raise maxReplicas`,
            });
          }
        })
        .prefault({}),
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
    .transform(withMinReplicas);
