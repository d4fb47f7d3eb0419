import { k8s } from '../../lib/k8s.js';
import { Construct } from 'constructs';
import { baseContainer } from '../../lib/container.js';
import { metadata } from '../../lib/metadata.js';
import { CRONJOB_NAME_MAX } from '../../lib/names.js';
import type { SchedulingValues } from '../../lib/pod.js';
import { claimSpec } from '../../lib/storage.js';
import { createCronJob, jobPodTemplate } from '../../lib/workloads.js';
import { CATALOG } from '../../plan/catalog.js';
import type { ComponentPlan, ComponentProps } from '../../plan/component.js';
import { workloadPlan } from '../../plan/served.js';
import type { Values } from '../../values/schema/index.js';
import { superuserClientEnv, type PostgreSqlConnection } from './postgresql.js';
import { BACKUP_MOUNT, BACKUP_SCRIPT_FILE, POSTGRESQL_BACKUP_DIR, postgresqlBackupScript } from './postgresql-scripts.js';

/** Props of {@link PostgreSqlBackup}: the `backup` slice, and the PostgreSQL image the dump tools come from. */
export interface PostgreSqlBackupProps extends ComponentProps<Values['backup'], ComponentPlan> {
  /** The database to back up: its Service, application database, and the Secret with the superuser's password. */
  readonly connection: PostgreSqlConnection;
  /** The server's image: pg_dump of the same major version as the server. */
  readonly image: Values['postgresql']['image'];
  /** Where the Job's pods may run: the server's node selector, tolerations, affinity, pod labels and annotations. */
  readonly scheduling: SchedulingValues;
}

/** Distinct from the server's identity, so the PostgreSQL Services never select the backup pods. */
const ID = CATALOG.postgresqlBackup.id;
/** uid/gid of the `postgres` user in the official image, whose pg_dump the Job runs. */
const POSTGRES_UID = 999;
const SCRIPT_DIR = '/etc/postgresql-backup';

/**
 * Scheduled PostgreSQL backups (`backup.enabled`): the CronJob `<release>-postgresql-backup` runs
 * {@link postgresqlBackupScript} with pg_dump of the server's own image as the `postgres` superuser
 * against the Service, onto the PersistentVolumeClaim of the same name, keeping `backup.keep`
 * backups. `kubectl create job --from=cronjob/<name>` takes one now; the README gives the restore.
 */
export class PostgreSqlBackup extends Construct {
  /** Name of the CronJob, its ConfigMap and its PersistentVolumeClaim. */
  readonly name: string;

  constructor(scope: Construct, id: string, props: PostgreSqlBackupProps) {
    super(scope, id);
    const { ctx, values, connection, image, scheduling } = props;
    const { name } = props.plan ?? workloadPlan(ctx, ID, { role: CATALOG.postgresqlBackup.role, maxName: CRONJOB_NAME_MAX });
    const version = image.tag;
    this.name = name;

    new k8s.KubePersistentVolumeClaim(this, 'volume', {
      metadata: metadata(ctx, name, ID, { version }),
      spec: claimSpec(ctx, values.persistence),
    });
    // The script lives in the ConfigMap: every run reads the current one.
    new k8s.KubeConfigMap(this, 'config', {
      metadata: metadata(ctx, name, ID, { version }),
      data: { [BACKUP_SCRIPT_FILE]: postgresqlBackupScript() },
    });

    const container: k8s.Container = {
      ...baseContainer(ctx, 'backup', { image, resources: values.resources }),
      command: ['sh', `${SCRIPT_DIR}/${BACKUP_SCRIPT_FILE}`],
      env: [
        ...superuserClientEnv(connection, name),
        { name: 'BACKUP_DIR', value: POSTGRESQL_BACKUP_DIR },
        { name: 'KEEP', value: String(values.keep) },
      ],
      volumeMounts: [
        { name: 'script', mountPath: SCRIPT_DIR, readOnly: true },
        { name: 'backup', mountPath: BACKUP_MOUNT },
      ],
    };
    const template = jobPodTemplate(ctx, {
      id: ID,
      version,
      scheduling,
      runAs: { user: POSTGRES_UID },
      containers: [container],
      volumes: [
        { name: 'script', configMap: { name, defaultMode: 0o444 } },
        { name: 'backup', persistentVolumeClaim: { claimName: name } },
      ],
    });
    // Two more attempts; a dump that runs for six hours is stopped (and its partial files removed).
    const jobSpec: k8s.JobSpec = { backoffLimit: 2, activeDeadlineSeconds: 6 * 3600, template };
    createCronJob(this, ctx, { name, id: ID, version, schedule: values.schedule, jobSpec });
  }
}
