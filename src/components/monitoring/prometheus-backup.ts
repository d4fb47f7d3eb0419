import { k8s } from '../../lib/k8s.js';
import { Construct } from 'constructs';
import { CRONJOB_NAME_MAX } from '../../lib/names.js';
import type { SchedulingValues } from '../../lib/pod.js';
import { CATALOG } from '../../plan/catalog.js';
import type { ComponentPlan, ComponentProps } from '../../plan/component.js';
import { workloadPlan } from '../../plan/served.js';
import type { Values } from '../../values/schema/index.js';
import { createBackupCronJob } from '../shared/backup-cronjob.js';
import type { PrometheusSnapshotSource } from './prometheus.js';
import { PROMETHEUS_BACKUP_SCRIPT, prometheusBackupScript } from './prometheus-backup-scripts.js';

/** Props of {@link PrometheusBackup}: the `backup` slice (schedule, keep, resources, `prometheus`). */
export interface PrometheusBackupProps extends ComponentProps<Values['backup'], ComponentPlan> {
  /** Replica 0 of Prometheus: its URL, pod, data claim and uid. */
  readonly source: PrometheusSnapshotSource;
  /** Prometheus' image: its busybox sh, wget and cp. */
  readonly image: Values['prometheus']['image'];
  /** Prometheus' node selector and tolerations (the pod runs on replica 0's node), pod labels and annotations. */
  readonly scheduling: SchedulingValues;
}

/** Distinct from the server's identity, so the Prometheus Services never select the backup pods. */
const ID = CATALOG.prometheusBackup.id;
const SCRIPT_DIR = '/etc/prometheus-backup';
const BACKUP_MOUNT = '/backup';
const BACKUP_DIR = `${BACKUP_MOUNT}/prometheus`;
/** The label the StatefulSet controller puts on each of its pods, with the pod's name. */
const POD_NAME_LABEL = 'statefulset.kubernetes.io/pod-name';

/**
 * Prometheus TSDB snapshots (`backup.enabled`, `backup.prometheus.enabled`): the CronJob
 * `<release>-prometheus-backup` runs {@link prometheusBackupScript} on `backup.schedule` onto its
 * claim of the same name, keeping `backup.keep` copies.
 *
 * The snapshot is written by Prometheus into its own data volume, so the copying pod must mount
 * that volume: a ReadWriteOnce claim can be mounted by several pods of one node, so the pod has a
 * required podAffinity to replica 0 (`<name>-0`) on its node, mounts its claim `data-<name>-0` and
 * runs as Prometheus' uid. Simpler than a sidecar (which would need a scheduler of its own inside
 * the Prometheus pod, and a restart of Prometheus to add or change it) and it reuses the CronJob
 * machinery of the other stores; the cost: the run waits while replica 0 is not scheduled, and the
 * backup claim, attached to that node for the run, must be attachable there (a zonal disk follows
 * the pod's zone at its first run; when replica 0 moves to another zone, recreate the claim).
 * The pod touches only `<data>/snapshots/<name>` (hard links to Prometheus' blocks), never the live TSDB.
 */
export class PrometheusBackup extends Construct {
  /** Name of the CronJob, its ConfigMap and its PersistentVolumeClaim. */
  readonly name: string;

  constructor(scope: Construct, id: string, props: PrometheusBackupProps) {
    super(scope, id);
    const { ctx, values, source, image, scheduling } = props;
    const { name } = props.plan ?? workloadPlan(ctx, ID, { role: CATALOG.prometheusBackup.role, maxName: CRONJOB_NAME_MAX });
    this.name = name;
    const { size, storageClass } = values.prometheus;
    const onReplicaZero: k8s.Affinity = {
      podAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { [POD_NAME_LABEL]: source.podName } }, topologyKey: 'kubernetes.io/hostname' }],
      },
    };
    createBackupCronJob(this, ctx, {
      name,
      id: ID,
      values,
      image,
      scheduling: { ...scheduling, affinity: onReplicaZero as Record<string, unknown> },
      runAs: { user: source.uid },
      script: { file: PROMETHEUS_BACKUP_SCRIPT, text: prometheusBackupScript(), dir: SCRIPT_DIR },
      env: [
        { name: 'PROMETHEUS_URL', value: source.url },
        { name: 'DATA_DIR', value: source.dataDir },
        { name: 'BACKUP_DIR', value: BACKUP_DIR },
        { name: 'KEEP', value: String(values.keep) },
      ],
      claim: { persistence: { enabled: true, size, storageClass }, mountPath: BACKUP_MOUNT },
      volumes: [{ volume: { name: 'data', persistentVolumeClaim: { claimName: source.claimName } }, mount: { mountPath: source.dataDir } }],
    });
  }
}
