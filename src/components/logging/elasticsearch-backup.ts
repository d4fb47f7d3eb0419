import { Construct } from 'constructs';
import { ConfigError } from '../../lib/errors.js';
import { CRONJOB_NAME_MAX } from '../../lib/names.js';
import { secretEnv, type SchedulingValues } from '../../lib/pod.js';
import { emptyDirVolume } from '../../lib/storage.js';
import { CATALOG } from '../../plan/catalog.js';
import { ELASTICSEARCH_UID } from './elasticsearch-pod.js';
import type { ComponentPlan, ComponentProps } from '../../plan/component.js';
import { workloadPlan } from '../../plan/served.js';
import type { Values } from '../../values/schema/index.js';
import { createBackupCronJob } from '../shared/backup-cronjob.js';
import { SNAPSHOT_MANAGER, type ElasticsearchConnection } from './connection.js';
import { SNAPSHOT_SCRIPT, snapshotScript } from './elasticsearch-backup-scripts.js';
import { SNAPSHOT_MANAGER_PASSWORD_ENV } from './elasticsearch-setup-config.js';

/** Props of {@link ElasticsearchBackup}: the `backup` slice (schedule, keep, resources). */
export interface ElasticsearchBackupProps extends ComponentProps<Values['backup'], ComponentPlan> {
  /** Elasticsearch, with its snapshot repository and credentials Secret. */
  readonly connection: ElasticsearchConnection;
  /** The server's image, whose curl the script uses. */
  readonly image: Values['elasticsearch']['image'];
  /** Where the Job's pods may run: the server's node selector, tolerations, affinity, pod labels and annotations. */
  readonly scheduling: SchedulingValues;
}

/** Distinct from the server's identity, so the Elasticsearch Services never select the backup pods. */
const ID = CATALOG.elasticsearchBackup.id;
const SCRIPT_DIR = '/etc/elasticsearch-backup';
const WORK_DIR = '/run/elasticsearch-backup';

/**
 * Elasticsearch snapshots (`backup.enabled`, `backup.elasticsearch.enabled`): the CronJob
 * `<release>-elasticsearch-backup` runs {@link snapshotScript} on `backup.schedule`, as the
 * least-privileged `snapshot_manager` user when security is on, into the repository the setup Job
 * registers (the Elasticsearch nodes write the snapshot, to their shared fs volume or to S3; this
 * pod only calls the API, so it needs no volume and reaches only Elasticsearch).
 *
 * A CronJob rather than an SLM policy: the schedule is `backup.schedule` as Kubernetes reads it,
 * the same for every store (SLM's cron has a seconds field and other day-of-week numbers, and runs
 * in UTC whatever the CronJob's time zone), `kubectl create job --from=cronjob/<name>` takes one
 * now as for PostgreSQL, the retention runs right after each snapshot and keeps exactly
 * `backup.keep` (SLM's runs on a cluster-wide schedule of its own), and a failed run is a failed Job
 * that `kube_job_status_failed` reports like every other.
 */
export class ElasticsearchBackup extends Construct {
  /** Name of the CronJob and its ConfigMap. */
  readonly name: string;

  constructor(scope: Construct, id: string, props: ElasticsearchBackupProps) {
    super(scope, id);
    const { ctx, values, connection, image, scheduling } = props;
    const { name } = props.plan ?? workloadPlan(ctx, ID, { role: CATALOG.elasticsearchBackup.role, maxName: CRONJOB_NAME_MAX });
    const repository = connection.snapshots;
    if (!repository) throw new ConfigError('the Elasticsearch backup needs the snapshot repository (backup.elasticsearch), but the connection has none');
    const secretName = connection.authEnabled ? connection.secretName : undefined;
    if (connection.authEnabled && !secretName) {
      throw new ConfigError('the Elasticsearch backup needs the credentials Secret when security is on, but the connection names none');
    }
    this.name = name;
    createBackupCronJob(this, ctx, {
      name,
      id: ID,
      values,
      image,
      scheduling,
      runAs: { user: ELASTICSEARCH_UID },
      script: {
        file: SNAPSHOT_SCRIPT,
        text: snapshotScript({ auth: secretName ? { user: SNAPSHOT_MANAGER.user, passwordEnv: SNAPSHOT_MANAGER_PASSWORD_ENV } : undefined }),
        dir: SCRIPT_DIR,
      },
      env: [
        { name: 'ES_URL', value: connection.url },
        { name: 'REPOSITORY', value: repository.values.repository },
        { name: 'SNAPSHOT_PREFIX', value: repository.snapshotPrefix },
        { name: 'KEEP', value: String(values.keep) },
        { name: 'WORK_DIR', value: WORK_DIR },
        ...(secretName ? [secretEnv(SNAPSHOT_MANAGER_PASSWORD_ENV, secretName, SNAPSHOT_MANAGER.key)] : []),
      ],
      volumes: [{ volume: emptyDirVolume('work', { memory: true, sizeLimit: '16Mi' }), mount: { mountPath: WORK_DIR } }],
    });
  }
}
