import type { k8s } from '../../lib/k8s.js';
import { Construct } from 'constructs';
import { baseContainer } from '../../lib/container.js';
import type { PlatformContext } from '../../lib/context.js';
import { objectLabels } from '../../lib/labels.js';
import { createServiceAccount } from '../../lib/rbac.js';
import type { RunAs } from '../../lib/security.js';
import { emptyDirVolume } from '../../lib/storage.js';
import { createJob, jobPodTemplate } from '../../lib/workloads.js';
import { CATALOG } from '../../plan/catalog.js';
import { workloadPlan } from '../../plan/served.js';
import type { Values } from '../../values/schema/index.js';
import { CERTS_STAGING, transportCaScript, transportCertsScript, TLS_WORK_DIR, type TransportCertsOptions } from './elasticsearch-tls-scripts.js';

/** Props of {@link TransportCaJob}. */
export interface TransportCaJobProps {
  readonly ctx: PlatformContext;
  /** The `elasticsearch.*` values slice (image, scheduling, transportCaJob.resources). */
  readonly values: Values['elasticsearch'];
  /** The identity the Elasticsearch pods run as (the image's uid 1000). */
  readonly runAs: RunAs;
}

/** Distinct from the server's identity, so the Elasticsearch Services never select the Job's pod. */
const ID = CATALOG.transportCa.id;
/** Name of the in-memory volume with the node's transport certificate, key and the CA certificate. */
export const TRANSPORT_CERTS_VOLUME = 'certs';

/**
 * The CA of the transport TLS certificates, made without a manual step: the Job
 * `<release>-elasticsearch-transport-ca` (Elasticsearch image, restricted) creates the Secret of the
 * same name (keys ca.crt, ca.key) through the Kubernetes API when it does not exist, and does
 * nothing when it does, so it is idempotent and keeps the CA across upgrades. Its ServiceAccount may
 * only `create` Secrets and `get` that one. The Secret is not part of the manifests: deleting the
 * release leaves it (delete it by hand to rotate the CA, then restart the Elasticsearch pods).
 */
export class TransportCaJob extends Construct {
  /** Name of the Secret holding ca.crt and ca.key. */
  readonly secretName: string;

  constructor(scope: Construct, id: string, props: TransportCaJobProps) {
    super(scope, id);
    const { ctx, values } = props;
    const { name } = workloadPlan(ctx, ID, { role: CATALOG.transportCa.role });
    this.secretName = name;
    const version = values.image.tag;

    const serviceAccountName = createServiceAccount(this, ctx, {
      name,
      id: ID,
      apiCalls: 'creates the Secret of the transport CA and node certificate once, and reads it back to see whether it exists',
      namespaceRules: [
        { apiGroups: [''], resources: ['secrets'], verbs: ['create'] },
        { apiGroups: [''], resources: ['secrets'], verbs: ['get'], resourceNames: [name] },
      ],
    });

    const container: k8s.Container = {
      ...baseContainer(ctx, 'transport-ca', { image: values.image, resources: values.transportCaJob.resources }),
      command: ['sh', '-c', transportCaScript(ctx, name, objectLabels(ctx, ID, version))],
      volumeMounts: [{ name: 'work', mountPath: TLS_WORK_DIR }],
    };

    // A later `kubectl apply` recreates the finished Job, and the idempotent script then does nothing.
    createJob(this, ctx, {
      name,
      id: ID,
      version,
      jobSpec: {
        backoffLimit: 6,
        activeDeadlineSeconds: 600,
        template: jobPodTemplate(ctx, {
          id: ID,
          version,
          scheduling: values,
          runAs: props.runAs,
          serviceAccountName,
          containers: [container],
          // The CA key exists only in memory until it is in the Secret.
          volumes: [emptyDirVolume('work', { memory: true, sizeLimit: '64Mi' })],
        }),
      },
    });
  }
}

/**
 * The Elasticsearch pod's part of transport TLS: the init container `transport-certs` (on `base`,
 * the Elasticsearch image; `env` must set the pod name and IP; it also mounts the pod's `tmp` volume
 * for the JVM) and its two volumes: the CA Secret (the pod waits in ContainerCreating until the Job
 * has created it) and the in-memory certificate volume.
 */
export function transportCertsPod(base: k8s.Container, env: k8s.EnvVar[], caSecret: string, o: TransportCertsOptions): { initContainer: k8s.Container; volumes: k8s.Volume[] } {
  return {
    initContainer: {
      ...base,
      command: ['sh', '-c', transportCertsScript(o)],
      env,
      volumeMounts: [
        { name: 'transport-ca', mountPath: CERTS_STAGING.ca, readOnly: true },
        { name: TRANSPORT_CERTS_VOLUME, mountPath: CERTS_STAGING.certs },
        { name: 'tmp', mountPath: TLS_WORK_DIR },
      ],
    },
    volumes: [
      { name: 'transport-ca', secret: { secretName: caSecret, defaultMode: 0o440 } },
      emptyDirVolume(TRANSPORT_CERTS_VOLUME, { memory: true, sizeLimit: '8Mi' }),
    ],
  };
}
