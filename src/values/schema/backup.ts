import * as z from 'zod';
import { addCrossFieldIssue } from '../issues.js';
import { elasticsearchBackupSchema } from './backup-elasticsearch.js';
import { persistence, resources } from './common.js';
import { cronSchedule } from './cron.js';
import type { Profile } from './profile.js';
import { sized } from './workload.js';

/**
 * `backup.*`: scheduled backups of the stores, off by default: PostgreSQL (pg_dump of the
 * application database and the roles, the CronJob `<release>-postgresql-backup`, onto a volume of
 * its own) and Elasticsearch (snapshots, `backup.elasticsearch`); each store's backups are kept to `keep`.
 */
export function backupSchema(p: Profile) {
  const volume = persistence(p, 'the PostgreSQL backups (the PersistentVolumeClaim <release>-postgresql-backup)', '20Gi', '100Gi');
  return z
    .strictObject({
      enabled: z.boolean().default(false).describe('Back the stores up on a schedule (default false): PostgreSQL with pg_dump, Elasticsearch with snapshots (backup.elasticsearch).'),
      schedule: cronSchedule.default('15 2 * * *').describe('Cron schedule of the backup CronJobs (default 15 2 * * *: 02:15 every day).'),
      keep: z
        .number()
        .int()
        .min(1)
        .max(1000)
        .default(7)
        .describe('How many backups of each store to keep (default 7): the oldest are removed after each successful backup.'),
      resources: resources(p, 'a backup Job\'s container (pg_dump; curl for the Elasticsearch snapshots)', sized('50m', '128Mi', '512Mi')),
      elasticsearch: elasticsearchBackupSchema(p),
      ...volume.fields,
    })
    .prefault({})
    .transform(volume.resolve)
    .superRefine((v, ctx) => {
      if (v.enabled && !v.persistence.enabled) {
        addCrossFieldIssue(ctx, {
          path: ['persistence', 'enabled'],
          involves: [['enabled']],
          input: false,
          message: 'backups need a persistent volume: an emptyDir would lose them with the Job\'s pod; remove persistence.enabled: false',
        });
      }
    })
    .describe('Scheduled backups of the stores (PostgreSQL dumps, Elasticsearch snapshots), off by default; restore steps in the README.');
}
