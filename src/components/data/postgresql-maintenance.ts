import { k8s } from '../../lib/k8s.js';
import { Construct } from 'constructs';
import { baseContainer } from '../../lib/container.js';
import { metadata } from '../../lib/metadata.js';
import { createCronJob, jobPodTemplate } from '../../lib/workloads.js';
import { CRONJOB_NAME_MAX } from '../../lib/names.js';
import { CATALOG } from '../../plan/catalog.js';
import type { ComponentPlan, ComponentProps } from '../../plan/component.js';
import { workloadPlan } from '../../plan/served.js';
import type { Values } from '../../values/schema/index.js';
import { POSTGRES_UID, superuserClientEnv, type PostgreSqlConnection } from './postgresql.js';
import {
  MAINTENANCE_SQL_DIR,
  MAINTENANCE_SQL_FILE,
  MAINTENANCE_STATEMENT_TIMEOUT_SECONDS,
  maintenancePsqlCommand,
  maintenanceSql,
} from './postgresql-scripts.js';

/** Props of {@link PostgreSqlMaintenance}. */
export interface PostgreSqlMaintenanceProps extends ComponentProps<Values['postgresql'], ComponentPlan> {
  /** The database to maintain: its Service, application database and user, and the Secret with the superuser's password. */
  readonly connection: PostgreSqlConnection;
}

/** Distinct from the server's identity, so the PostgreSQL Services never select the maintenance pods. */
const ID = CATALOG.postgresqlMaintenance.id;

/**
 * Scheduled PostgreSQL maintenance: the CronJob `<release>-postgresql-maintenance` runs psql of the
 * official image as the `postgres` superuser against the Service, with the script of
 * {@link maintenanceSql} from the ConfigMap of the same name: the `aiops_query_stats` view over
 * pg_stat_statements for the application user, then VACUUM (ANALYZE) of the application database.
 * The self-healing executor creates Jobs from {@link jobSpec} on `optimize-db` alerts.
 */
export class PostgreSqlMaintenance extends Construct {
  /** Name of the CronJob and ConfigMap; `kubectl create job --from=cronjob/<name>` runs it on demand. */
  readonly cronJobName: string;
  /** The Job of each run (the self-healing executor embeds it to create Jobs on demand). */
  readonly jobSpec: k8s.JobSpec;

  constructor(scope: Construct, id: string, props: PostgreSqlMaintenanceProps) {
    super(scope, id);
    const { ctx, values, connection } = props;
    const { name } = props.plan ?? workloadPlan(ctx, ID, { role: CATALOG.postgresqlMaintenance.role, maxName: CRONJOB_NAME_MAX });
    const version = values.image.tag;

    // The script lives in the ConfigMap, not in the pod template: every run reads the current one.
    new k8s.KubeConfigMap(this, 'config', {
      metadata: metadata(ctx, name, ID, { version }),
      data: { [MAINTENANCE_SQL_FILE]: maintenanceSql() },
    });

    const container: k8s.Container = {
      ...baseContainer(ctx, 'maintenance', { image: values.image, resources: values.maintenance.resources }),
      command: maintenancePsqlCommand(connection.username),
      env: [
        ...superuserClientEnv(connection, name),
      ],
      volumeMounts: [{ name: 'sql', mountPath: MAINTENANCE_SQL_DIR, readOnly: true }],
    };
    const template = jobPodTemplate(ctx, {
      id: ID,
      version,
      scheduling: values,
      runAs: { user: POSTGRES_UID },
      containers: [container],
      volumes: [{ name: 'sql', configMap: { name, defaultMode: 0o444 } }],
    });
    // Up to three attempts, each bounded by the session's statement_timeout.
    this.jobSpec = { backoffLimit: 2, activeDeadlineSeconds: 3 * MAINTENANCE_STATEMENT_TIMEOUT_SECONDS, template };

    createCronJob(this, ctx, { name, id: ID, version, schedule: values.maintenance.schedule, jobSpec: this.jobSpec });
    this.cronJobName = name;
  }
}
