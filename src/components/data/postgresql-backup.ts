import { Construct } from 'constructs';
import { CRONJOB_NAME_MAX } from '../../lib/names.js';
import type { SchedulingValues } from '../../lib/pod.js';
import { CATALOG } from '../../plan/catalog.js';
import type { ComponentPlan, ComponentProps } from '../../plan/component.js';
import { workloadPlan } from '../../plan/served.js';
import type { Values } from '../../values/schema/index.js';
import { createBackupCronJob } from '../shared/backup-cronjob.js';
import { POSTGRES_UID, superuserClientEnv, type PostgreSqlConnection } from './postgresql.js';
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
    this.name = name;
    createBackupCronJob(this, ctx, {
      name,
      id: ID,
      values,
      image,
      scheduling,
      runAs: { user: POSTGRES_UID },
      script: { file: BACKUP_SCRIPT_FILE, text: postgresqlBackupScript(), dir: SCRIPT_DIR },
      env: [...superuserClientEnv(connection, name), { name: 'BACKUP_DIR', value: POSTGRESQL_BACKUP_DIR }, { name: 'KEEP', value: String(values.keep) }],
      claim: { persistence: values.persistence, mountPath: BACKUP_MOUNT },
    });
  }
}
