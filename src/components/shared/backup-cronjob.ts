import { k8s } from '../../lib/k8s.js';
import type { Construct } from 'constructs';
import { baseContainer } from '../../lib/container.js';
import type { PlatformContext } from '../../lib/context.js';
import type { ComponentIdentity } from '../../lib/labels.js';
import { metadata } from '../../lib/metadata.js';
import type { SchedulingValues } from '../../lib/pod.js';
import type { RunAs } from '../../lib/security.js';
import { claimSpec } from '../../lib/storage.js';
import { createCronJob, jobPodTemplate } from '../../lib/workloads.js';
import type { ImageValues, PersistenceValues } from '../../values/schema/common.js';
import type { Values } from '../../values/schema/index.js';

/** One store's backup CronJob: what differs between the stores. */
export interface BackupCronJobOptions {
  /** Name of the CronJob, its ConfigMap and (with `claim`) its PersistentVolumeClaim. */
  readonly name: string;
  readonly id: ComponentIdentity;
  /** The `backup` slice: schedule, resources (and `keep`, which the script reads from `env`). */
  readonly values: Values['backup'];
  /** The store's own image: its tools run the script, and its tag is the version label. */
  readonly image: ImageValues;
  readonly scheduling: SchedulingValues;
  readonly runAs: RunAs;
  /** The script: its file name in the ConfigMap, its text, and the folder it is mounted at. */
  readonly script: { readonly file: string; readonly text: string; readonly dir: string };
  readonly env: readonly k8s.EnvVar[];
  /** The backups' own claim (named like the CronJob), mounted at `mountPath` (default none). */
  readonly claim?: { readonly persistence: PersistenceValues; readonly mountPath: string };
  /** Further volumes and where the container mounts them (default none). */
  readonly volumes?: readonly { readonly volume: k8s.Volume; readonly mount: Omit<k8s.VolumeMount, 'name'> }[];
}

/**
 * A store's scheduled backup: the script in a ConfigMap (every run reads the current one), the
 * backups' claim, and a CronJob on `backup.schedule` whose restricted pod runs the script with
 * the store's own image. Two more attempts after a failure; a run still going after six hours is
 * stopped (each script cleans up the partial work of a stopped run).
 */
export function createBackupCronJob(scope: Construct, ctx: PlatformContext, o: BackupCronJobOptions): void {
  const version = o.image.tag;
  const meta = metadata(ctx, o.name, o.id, { version });
  if (o.claim) new k8s.KubePersistentVolumeClaim(scope, 'volume', { metadata: meta, spec: claimSpec(ctx, o.claim.persistence) });
  new k8s.KubeConfigMap(scope, 'config', { metadata: meta, data: { [o.script.file]: o.script.text } });
  const volumes = [
    { volume: { name: 'script', configMap: { name: o.name, defaultMode: 0o444 } }, mount: { mountPath: o.script.dir, readOnly: true } },
    ...(o.claim ? [{ volume: { name: 'backup', persistentVolumeClaim: { claimName: o.name } }, mount: { mountPath: o.claim.mountPath } }] : []),
    ...(o.volumes ?? []),
  ];
  const container: k8s.Container = {
    ...baseContainer(ctx, 'backup', { image: o.image, resources: o.values.resources }),
    command: ['sh', `${o.script.dir}/${o.script.file}`],
    env: [...o.env],
    volumeMounts: volumes.map((v) => ({ name: v.volume.name, ...v.mount })),
  };
  const template = jobPodTemplate(ctx, { id: o.id, version, scheduling: o.scheduling, runAs: o.runAs, containers: [container], volumes: volumes.map((v) => v.volume) });
  const jobSpec: k8s.JobSpec = { backoffLimit: 2, activeDeadlineSeconds: 6 * 3600, template };
  createCronJob(scope, ctx, { name: o.name, id: o.id, version, schedule: o.values.schedule, jobSpec });
}
