import * as z from 'zod';
import { addCrossFieldIssue } from '../issues.js';
import { elasticsearchBackupSchema } from './backup-elasticsearch.js';
import { persistence, resources, storageClassName } from './common.js';
import { defaultText } from './describe.js';
import { quantityOrNumber } from './primitives.js';
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
      enabled: z.boolean().default(false).describe('Back the stores up on a schedule (default false): PostgreSQL with pg_dump, Elasticsearch with snapshots (backup.elasticsearch), Prometheus with TSDB snapshots when backup.prometheus.enabled.'),
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
      prometheus: prometheusBackupSchema(p),
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

/**
 * `backup.prometheus.*`: TSDB snapshots of Prometheus, off unless asked for: they need its admin
 * API (`--web.enable-admin-api`), which also deletes series, on the port its in-cluster clients
 * reach (README: who can reach it).
 */
export function prometheusBackupSchema(p: Profile) {
  return z
    .strictObject({
      enabled: z
        .boolean()
        .default(false)
        .describe(
          "With backup.enabled, snapshot Prometheus' TSDB on backup.schedule, keeping backup.keep copies on a volume of their own (default false: it turns on Prometheus' admin API, which the Ingress refuses but in-cluster clients of Prometheus' port could call).",
        ),
      size: quantityOrNumber.default(p.pick('20Gi', '100Gi')).describe(`Size of the copies' volume, the PersistentVolumeClaim <release>-prometheus-backup (default ${defaultText('20Gi', '100Gi')}).`),
      storageClass: storageClassName
        .default('')
        .describe('Storage class of that volume; empty uses global.storageClass, then the cluster default (default ""). The CronJob runs on the node of the pod <release>-prometheus-0, so the volume must be attachable there.'),
    })
    .prefault({})
    .describe("Prometheus TSDB snapshots (with backup.enabled): the CronJob <release>-prometheus-backup asks replica 0's admin API for a snapshot, copies it from its data volume to its own and removes it there.");
}

/** Root rule: the backup CronJob reads the snapshot from Prometheus' data volume, which an emptyDir is not. */
export function refinePrometheusSnapshotVolume(
  v: { prometheus: { enabled: boolean; persistence: { enabled: boolean } }; backup: { enabled: boolean; prometheus: { enabled: boolean } } },
  ctx: z.RefinementCtx,
): void {
  if (!v.prometheus.enabled || !v.backup.enabled || !v.backup.prometheus.enabled || v.prometheus.persistence.enabled) return;
  addCrossFieldIssue(ctx, {
    path: ['backup', 'prometheus', 'enabled'],
    involves: [['prometheus', 'persistence', 'enabled'], ['backup', 'enabled']],
    input: true,
    message: "Prometheus snapshots are copied from its data volume, and prometheus.persistence.enabled is false (an emptyDir no other pod can mount): enable Prometheus' persistence, or set backup.prometheus.enabled: false",
  });
}
