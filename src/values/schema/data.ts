import { z } from 'zod';
import { existingSecret, persistenceFields, resolvePersistence, resources } from './common.js';
import { IMAGES } from './images.js';
import type { Profile } from './profile.js';
import { passwordAuth, sidecarExporter, sized, workloadFields } from './workload.js';

/** `postgresql.*` */
export const postgresqlSchema = (p: Profile) =>
  z
    .strictObject({
      ...workloadFields(p, {
        image: IMAGES.postgresql,
        resources: { development: sized('100m', '256Mi', '512Mi'), production: sized('1', '2Gi', '4Gi') },
      }),
      auth: z
        .strictObject({
          /** Application user (default aiops). */
          username: z
            .string()
            .regex(/^[a-z_][a-z0-9_]{0,62}$/, { error: 'expected a PostgreSQL role name of lower-case letters, digits and _' })
            .refine((u) => !u.startsWith('pg_'), { error: 'role names starting with pg_ are reserved by PostgreSQL' })
            .default('aiops'),
          /** Application user's password (default: development password in development; in production the Secret must exist). */
          password: z.string().default(''),
          /** Application database (default aiops). */
          database: z
            .string()
            .regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, { error: 'expected a database name of letters, digits and _' })
            .refine((d) => d !== 'template0' && d !== 'template1', { error: 'template0 and template1 are PostgreSQL templates, not application databases' })
            .default('aiops'),
          /** Password of the `postgres` superuser (default: as password). */
          postgresPassword: z.string().default(''),
          /** Existing Secret with keys `password` and `postgres-password`. */
          existingSecret,
        })
        .prefault({}),
      /** `max_connections` of the server (default 100 in development, 200 in production). */
      maxConnections: z.number().int().min(10).default(p.pick(100, 200)),
      exporter: sidecarExporter(p, IMAGES.postgresExporter),
      maintenance: z
        .strictObject({
          /** Run the scheduled maintenance CronJob: VACUUM (ANALYZE) and the query statistics view (default true). */
          enabled: z.boolean().default(true),
          /** Cron schedule (default 03:30 every day). */
          schedule: z.string().default('30 3 * * *'),
          /** Resources of the maintenance Job's psql container, a client only (default requests 10m CPU, 32Mi; limit 64Mi). */
          resources: resources(sized('10m', '32Mi', '64Mi')),
        })
        .prefault({}),
      ...persistenceFields,
    })
    .prefault({})
    .transform((v, ctx) => resolvePersistence(v, p.pick('8Gi', '20Gi'), ctx));

/** `redis.*` */
export const redisSchema = (p: Profile) =>
  z
    .strictObject({
      ...workloadFields(p, {
        image: IMAGES.redis,
        resources: { development: sized('50m', '64Mi', '256Mi'), production: sized('250m', '1Gi', '2Gi') },
      }),
      auth: passwordAuth('require a password', 'redis-password'),
      cluster: z
        .strictObject({
          /** Redis Cluster mode (default false: one standalone node). */
          enabled: z.boolean().default(false),
          /** Cluster nodes: masters and one replica each, so at least 6 and even (default 6). */
          nodes: z.number().int().default(6),
          /** The Job that forms the cluster (a short redis-cli run, so small requests). */
          initJob: z.strictObject({ resources: resources(sized('10m', '32Mi', '64Mi')) }).prefault({}),
        })
        .prefault({})
        .superRefine((c, ctx) => {
          if (!c.enabled) return;
          if (c.nodes < 6 || c.nodes % 2 !== 0) {
            ctx.addIssue({
              code: 'custom',
              path: ['nodes'],
              input: c.nodes,
              message: `Redis Cluster with one replica per master needs an even number of at least 6 nodes (3 masters + 3 replicas), found ${c.nodes}`,
            });
          }
        }),
      exporter: sidecarExporter(p, IMAGES.redisExporter),
      ...persistenceFields,
    })
    .prefault({})
    .transform((v, ctx) => resolvePersistence(v, p.pick('2Gi', '8Gi'), ctx));
