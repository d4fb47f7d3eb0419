import { k8s } from '../../lib/k8s.js';
import { Construct } from 'constructs';
import { baseContainer } from '../../lib/container.js';
import { ConfigError } from '../../lib/errors.js';
import { metadata } from '../../lib/metadata.js';
import { createCronJob, createJob, jobPodTemplate } from '../../lib/workloads.js';
import { CRONJOB_NAME_MAX, objectName } from '../../lib/names.js';
import { secretEnv } from '../../lib/pod.js';
import { emptyDirVolume } from '../../lib/storage.js';
import { CATALOG } from '../../plan/catalog.js';
import { ELASTICSEARCH_UID } from './elasticsearch-pod.js';
import type { ComponentPlan, ComponentProps } from '../../plan/component.js';
import { workloadPlan } from '../../plan/served.js';
import type { Values } from '../../values/schema/index.js';
import type { ElasticsearchConnection } from './connection.js';
import { SNAPSHOT_MANAGER } from './connection.js';
import { SETUP_CONFIG_DIR, SETUP_PASSWORD_ENV, SETUP_WORK_DIR, SNAPSHOT_MANAGER_PASSWORD_ENV } from './elasticsearch-setup-config.js';
import { DISK_CLEANUP_SCRIPT, diskCleanupScript, SETUP_SCRIPT, setupFiles } from './elasticsearch-setup-scripts.js';

/** A Job the self-healing executor creates on demand: its spec and the prefix of the generated names. */
export interface OnDemandJob {
  readonly namePrefix: string;
  readonly jobSpec: k8s.JobSpec;
}

/** Props of {@link ElasticsearchSetup}. */
export interface ElasticsearchSetupProps extends ComponentProps<Values['elasticsearch'], ComponentPlan> {
  /** How to reach Elasticsearch, with the credentials Secret when security is on. */
  readonly connection: ElasticsearchConnection;
}

/** Distinct from the server's identity, so the Elasticsearch Services never select the setup pods. */
const ID = CATALOG.elasticsearchSetup.id;

/**
 * Applies the log retention and the client users to Elasticsearch (see {@link setupFiles}): the Job
 * `<release>-elasticsearch-setup` after every install/upgrade, and the CronJob of the same name,
 * with the same pod, on `elasticsearch.setup.schedule`, so drift is corrected and a retention change
 * applies without a new install. The script is idempotent.
 */
export class ElasticsearchSetup extends Construct {
  /** The CronJob: `kubectl create job --from=cronjob/<name>` runs the setup on demand (e.g. on a disk alert). */
  readonly cronJobName: string;
  /** The Job spec the Job and the CronJob run. */
  readonly jobSpec: k8s.JobSpec;
  /**
   * The disk cleanup Job (`<release>-elasticsearch-disk-cleanup-xxxxx`), which the self-healing
   * executor creates on ElasticsearchDiskAlmostFull: the same pod (image, identity, network
   * policy) running the cleanup script with the `elastic` password only; one attempt, no restart.
   */
  readonly diskCleanup: OnDemandJob;

  constructor(scope: Construct, id: string, props: ElasticsearchSetupProps) {
    super(scope, id);
    const { ctx, values, connection } = props;
    const { name } = props.plan ?? workloadPlan(ctx, ID, { role: CATALOG.elasticsearchSetup.role, maxName: CRONJOB_NAME_MAX });
    const version = values.image.tag;
    const secretName = connection.authEnabled ? connection.secretName : undefined;
    if (connection.authEnabled && !secretName) {
      throw new ConfigError('the Elasticsearch setup needs the credentials Secret when security is on, but the connection names none');
    }

    new k8s.KubeConfigMap(this, 'config', {
      metadata: metadata(ctx, name, ID, { version }),
      data: {
        ...setupFiles({ connection, retentionDays: values.retentionDays, nodes: values.replicas, managedBy: name }),
        [DISK_CLEANUP_SCRIPT]: diskCleanupScript({
          auth: connection.authEnabled,
          indexPrefix: connection.indexPrefix,
          targetPercent: values.diskCleanup.targetPercent,
          maxIndices: values.diskCleanup.maxIndicesPerRun,
        }),
      },
    });

    const passwordEnv = secretName
      ? [
          ...(Object.keys(SETUP_PASSWORD_ENV) as (keyof typeof SETUP_PASSWORD_ENV)[]).map((key) =>
            secretEnv(SETUP_PASSWORD_ENV[key], secretName, connection.keys[key]),
          ),
          ...(connection.snapshots ? [secretEnv(SNAPSHOT_MANAGER_PASSWORD_ENV, secretName, SNAPSHOT_MANAGER.key)] : []),
        ]
      : [];
    const container: k8s.Container = {
      ...baseContainer(ctx, 'setup', { image: values.image, resources: values.setup.resources }),
      command: ['sh', `${SETUP_CONFIG_DIR}/${SETUP_SCRIPT}`],
      env: [
        { name: 'ES_URL', value: connection.url },
        { name: 'SETUP_CONFIG_DIR', value: SETUP_CONFIG_DIR },
        { name: 'SETUP_WORK_DIR', value: SETUP_WORK_DIR },
        ...passwordEnv,
      ],
      volumeMounts: [
        { name: 'config', mountPath: SETUP_CONFIG_DIR, readOnly: true },
        { name: 'work', mountPath: SETUP_WORK_DIR },
      ],
    };
    // The script lives in the ConfigMap, not in the pod template: a Job's template is immutable,
    // and every run reads the current script and bodies.
    const template = jobPodTemplate(ctx, {
      id: ID,
      version,
      scheduling: values,
      runAs: { user: ELASTICSEARCH_UID },
      containers: [container],
      volumes: [
        { name: 'config', configMap: { name, defaultMode: 0o444 } },
        emptyDirVolume('work', { memory: true, sizeLimit: '4Mi' }),
      ],
    });
    const jobSpec = { backoffLimit: 10, activeDeadlineSeconds: 1800, template } satisfies k8s.JobSpec;
    this.jobSpec = jobSpec;

    // Runs at every `kubectl apply` and on the schedule.
    createJob(this, ctx, { name, id: ID, version, jobSpec });
    createCronJob(this, ctx, { name, id: ID, version, schedule: values.setup.schedule, jobSpec });
    this.cronJobName = name;

    const cleanupEnv = new Set(['ES_URL', 'SETUP_WORK_DIR', SETUP_PASSWORD_ENV.elastic]);
    const cleanup: k8s.Container = {
      ...container,
      name: 'disk-cleanup',
      command: ['sh', `${SETUP_CONFIG_DIR}/${DISK_CLEANUP_SCRIPT}`],
      env: container.env!.filter((e) => cleanupEnv.has(e.name)),
    };
    // One attempt (restartPolicy Never, backoffLimit 0): a retry would be a second run, past the
    // per-run bound; the executor's cooldown spaces the runs.
    this.diskCleanup = {
      namePrefix: objectName(ctx, 'elasticsearch', 'disk-cleanup', CRONJOB_NAME_MAX),
      jobSpec: {
        backoffLimit: 0,
        activeDeadlineSeconds: 600,
        template: { ...template, spec: { ...template.spec!, containers: [cleanup], restartPolicy: 'Never' } },
      },
    };
  }
}
