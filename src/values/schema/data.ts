import * as z from 'zod';
import { addCrossFieldIssue } from '../issues.js';
import { existingSecret, persistence, resources } from './common.js';
import { cronSchedule } from './cron.js';
import { CREDENTIAL_DEFAULT } from './describe.js';
import { IMAGES } from './images.js';
import type { Profile } from './profile.js';
import { passwordAuth, sidecarExporter, singlePodWorkloadFields, sized, workloadFields } from './workload.js';

/** `postgresql.*` */
export const postgresqlSchema = (p: Profile) => {
  const volume = persistence(p, 'the PostgreSQL data', '8Gi', '20Gi');
  return z
    .strictObject({
      ...singlePodWorkloadFields(p, {
        name: 'PostgreSQL',
        image: IMAGES.postgresql,
        resources: { development: sized('100m', '256Mi', '512Mi'), production: sized('1', '2Gi', '4Gi') },
      }),
      auth: z
        .strictObject({
          username: z
            .string()
            .regex(/^[a-z_][a-z0-9_]{0,62}$/, { error: 'expected a PostgreSQL role name of lower-case letters, digits and _' })
            .refine((u) => !u.startsWith('pg_'), { error: 'role names starting with pg_ are reserved by PostgreSQL' })
            .default('aiops')
            .describe('Application user the platform connects as (default aiops).'),
          password: z.string().default('').describe(`Password of the application user ${CREDENTIAL_DEFAULT}.`),
          database: z
            .string()
            .regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, { error: 'expected a database name of letters, digits and _' })
            .refine((d) => d !== 'template0' && d !== 'template1', { error: 'template0 and template1 are PostgreSQL templates, not application databases' })
            .default('aiops')
            .describe('Application database, owned by the application user (default aiops).'),
          postgresPassword: z
            .string()
            .default('')
            .describe('Password of the postgres superuser (default "": the same as password).'),
          existingSecret: existingSecret.describe(
            'Existing Secret with keys password and postgres-password; the chart then renders none (default: none).',
          ),
        })
        .prefault({})
        .superRefine((auth, ctx) => {
          // With username postgres, the application user is the superuser: one role, one password.
          if (auth.username === 'postgres' && auth.postgresPassword !== '' && auth.postgresPassword !== auth.password) {
            addCrossFieldIssue(ctx, {
              path: ['postgresPassword'],
              involves: [['username'], ['password']],
              input: '(hidden)',
              message:
                'username is postgres, so the application user is the superuser and has one password: postgresPassword differs from password; remove postgresPassword or choose another username',
            });
          }
        })
        .describe('The application user and database, and the passwords.'),
      maxConnections: z
        .number()
        .int()
        .min(10)
        .max(262143, { error: (i) => `expected at most 262143 (PostgreSQL's limit of max_connections), found ${String(i.input)}` })
        .default(p.pick(100, 200))
        .describe('max_connections of the server (default 100; production 200).'),
      exporter: sidecarExporter(p, 'postgres_exporter', IMAGES.postgresExporter),
      maintenance: z
        .strictObject({
          enabled: z
            .boolean()
            .default(true)
            .describe('Run the maintenance CronJob: VACUUM (ANALYZE) and the query statistics view (default true).'),
          schedule: cronSchedule.default('30 3 * * *').describe('Cron schedule of the maintenance CronJob (default 30 3 * * *: 03:30 every day).'),
          resources: resources(p, 'the maintenance Job\'s psql container, a client only', sized('10m', '32Mi', '64Mi')),
        })
        .prefault({})
        .describe('Scheduled database maintenance (the CronJob <release>-postgresql-maintenance).'),
      ...volume.fields,
    })
    .prefault({})
    .transform(volume.resolve)
    .describe('PostgreSQL, the platform\'s relational database (a StatefulSet).');
};

/** `redis.*` */
export const redisSchema = (p: Profile) => {
  const volume = persistence(p, 'the Redis append-only file', '2Gi', '8Gi');
  return z
    .strictObject({
      ...workloadFields(p, {
        name: 'Redis',
        image: IMAGES.redis,
        resources: { development: sized('50m', '64Mi', '256Mi'), production: sized('250m', '1Gi', '2Gi') },
      }),
      auth: passwordAuth('Redis', 'redis-password'),
      cluster: z
        .strictObject({
          enabled: z.boolean().default(false).describe('Redis Cluster mode; false runs one standalone node (default false).'),
          nodes: z
            .number()
            .int()
            .max(1000, { error: (i) => `expected at most 1000 nodes (Redis Cluster's documented upper bound), found ${String(i.input)}` })
            .default(6)
            .describe('Cluster nodes: masters with one replica each, so an even number of at least 6 (default 6); raising it adds the new pods to the cluster, lowering it is manual.'),
          initJob: z
            .strictObject({ resources: resources(p, 'the Job that forms and grows the cluster, a short redis-cli run', sized('10m', '32Mi', '64Mi')) })
            .prefault({})
            .describe('The Job that forms the cluster once its nodes are up, and adds nodes when cluster.nodes grows (shrinking is manual).'),
        })
        .prefault({})
        .superRefine((c, ctx) => {
          if (!c.enabled) return;
          if (c.nodes < 6 || c.nodes % 2 !== 0) {
            addCrossFieldIssue(ctx, {
              path: ['nodes'],
              involves: [['enabled']],
              input: c.nodes,
              message: `Redis Cluster with one replica per master needs an even number of at least 6 nodes (3 masters + 3 replicas), found ${c.nodes}`,
            });
          }
        })
        .describe('Redis Cluster mode instead of one standalone node.'),
      exporter: sidecarExporter(p, 'redis_exporter', IMAGES.redisExporter),
      ...volume.fields,
    })
    .prefault({})
    .transform(volume.resolve)
    .describe('Redis, the platform\'s cache (a StatefulSet).');
};
