import type { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { shellQuote, shellScript } from '../../lib/config-files.js';
import { baseContainer } from '../../lib/container.js';
import type { PlatformContext } from '../../lib/context.js';
import { objectLabels, type ComponentIdentity } from '../../lib/labels.js';
import { objectName } from '../../lib/names.js';
import { podTemplate } from '../../lib/pod.js';
import { createServiceAccount } from '../../lib/rbac.js';
import type { RunAs } from '../../lib/security.js';
import { emptyDirVolume } from '../../lib/storage.js';
import { createJob } from '../../lib/workloads.js';
import type { Values } from '../../values/schema/index.js';
import { NODE_NAME_ENV, POD_IP_ENV } from './elasticsearch-config.js';

/** Props of {@link TransportCaJob}. */
export interface TransportCaJobProps {
  readonly ctx: PlatformContext;
  /** The `elasticsearch.*` values slice (image, scheduling, transportCaJob.resources). */
  readonly values: Values['elasticsearch'];
  /** The identity the Elasticsearch pods run as (the image's uid 1000). */
  readonly runAs: RunAs;
}

/** Distinct from the server's identity, so the Elasticsearch Services never select the Job's pod. */
const ID: ComponentIdentity = { name: 'elasticsearch', component: 'transport-ca' };
/** Identity for the network graph (src/components/platform/network-graph.ts). */
export { ID as TRANSPORT_CA_ID };
/** Validity of the CA, in days (ten years; node certificates are re-signed at every pod start). */
const CA_DAYS = 3650;
const WORK_DIR = '/tmp';
/** Name of the in-memory volume with the node's transport certificate, key and the CA certificate. */
export const TRANSPORT_CERTS_VOLUME = 'certs';
/** Mount points of the CA Secret and of the certificate volume in the init container. */
const CERTS_STAGING = { ca: '/mnt/transport-ca', certs: '/mnt/certs' };
const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

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
    const name = objectName(ctx, 'elasticsearch', 'transport-ca');
    this.secretName = name;
    const version = values.image.tag;

    const serviceAccountName = createServiceAccount(this, ctx, {
      name,
      id: ID,
      namespaceRules: [
        { apiGroups: [''], resources: ['secrets'], verbs: ['create'] },
        { apiGroups: [''], resources: ['secrets'], verbs: ['get'], resourceNames: [name] },
      ],
    });

    const container: k8s.Container = {
      ...baseContainer(ctx, 'transport-ca', { image: values.image, resources: values.transportCaJob.resources }),
      command: ['sh', '-c', transportCaScript(ctx, name, objectLabels(ctx, ID, version))],
      volumeMounts: [{ name: 'work', mountPath: WORK_DIR }],
    };

    // A later `kubectl apply` recreates the finished Job, and the idempotent script then does nothing.
    createJob(this, ctx, {
      name,
      id: ID,
      version,
      jobSpec: {
        backoffLimit: 6,
        activeDeadlineSeconds: 600,
        template: podTemplate(ctx, {
          id: ID,
          version,
          scheduling: values,
          runAs: props.runAs,
          serviceAccountName,
          containers: [container],
          // The CA key exists only in memory until it is in the Secret.
          volumes: [emptyDirVolume('work', { memory: true, sizeLimit: '64Mi' })],
          restartPolicy: 'OnFailure',
          antiAffinity: 'none',
        }),
      },
    });
  }
}

/**
 * The Job's script: GET the Secret (200: done; 404: create; anything else: fail and retry), else
 * `elasticsearch-certutil ca --pem`, then POST the Secret; 409 (a concurrent run created it) is
 * success too. The service-account token goes to curl through a config on stdin, never on a
 * command line; the Secret body is written by the shell's printf builtin for the same reason.
 */
export function transportCaScript(ctx: PlatformContext, secretName: string, labels: Record<string, string>): string {
  const body = JSON.stringify({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: secretName, namespace: ctx.namespace, labels },
    type: 'Opaque',
    data: { 'ca.crt': '@CRT@', 'ca.key': '@KEY@' },
  });
  // A printf format: % and \ are literal characters of the body, the two data values its arguments.
  const format = body.replace(/[%\\]/g, (c) => c + c).replace('"@CRT@"', '"%s"').replace('"@KEY@"', '"%s"');
  const work = `${WORK_DIR}/ca`;
  // Every value from outside the script is one quoted shell word (release, namespace, names).
  return shellScript('Creates the transport CA Secret of Elasticsearch unless it exists.', [
    `url=${shellQuote(`https://kubernetes.default.svc/api/v1/namespaces/${ctx.namespace}/secrets`)}`,
    `secret=${shellQuote(secretName)}`,
    'api() {',
    `  printf 'header = "Authorization: Bearer %s"\\n' "$(cat ${SERVICE_ACCOUNT_DIR}/token)" |`,
    `    curl -sS --max-time 30 -K - --cacert ${SERVICE_ACCOUNT_DIR}/ca.crt "$@"`,
    '}',
    `code=$(api -o /dev/null -w '%{http_code}' "$url/$secret")`,
    'case "$code" in',
    '  200) echo "the Secret $secret exists: nothing to do"; exit 0 ;;',
    '  404) ;;',
    '  *) echo "cannot read the Secret $secret: HTTP $code" >&2; exit 1 ;;',
    'esac',
    `rm -rf ${work} && mkdir -p ${work}`,
    `elasticsearch-certutil ca --silent --pem --days ${CA_DAYS} --ca-dn ${shellQuote(`CN=${ctx.release} Elasticsearch transport CA`)} --out ${work}/ca.zip`,
    `unzip -q ${work}/ca.zip -d ${work}`,
    `crt=$(base64 -w0 ${work}/ca/ca.crt)`,
    `key=$(base64 -w0 ${work}/ca/ca.key)`,
    `printf ${shellQuote(format)} "$crt" "$key" > ${work}/secret.json`,
    `code=$(api -o ${work}/response -w '%{http_code}' -X POST -H 'Content-Type: application/json' --data-binary @${work}/secret.json "$url")`,
    'case "$code" in',
    '  201) echo "created the Secret $secret" ;;',
    '  409) echo "the Secret $secret was created concurrently: nothing to do" ;;',
    `  *) echo "cannot create the Secret $secret: HTTP $code" >&2; cat ${work}/response >&2; rm -rf ${work}; exit 1 ;;`,
    'esac',
    `rm -rf ${work}`,
  ]);
}

/** Where the transport certificates are made and what they name. */
export interface TransportCertsOptions {
  /** FQDN of the headless Service; the pod's own name is `$NODE_NAME.<headless FQDN>`. */
  readonly headlessHost: string;
  /** FQDN of the client Service. */
  readonly clientHost: string;
}

/**
 * Init-container script: signs this node's transport certificate with the cluster CA, for the
 * pod's DNS name, the headless and client Service names and the pod IP (so `verification_mode:
 * full` holds for seed-host and published-address connections alike). Key and zip stay on the
 * in-memory volume; the CA key is never copied there.
 */
export function transportCertsScript(o: TransportCertsOptions): string {
  const { ca: caDir, certs: certsDir } = CERTS_STAGING;
  const work = `${certsDir}/.work`;
  return shellScript('Signs the transport certificate of this node with the cluster CA.', [
    `rm -rf ${work} && mkdir -p ${work}`,
    `elasticsearch-certutil cert --silent --pem --ca-cert ${caDir}/ca.crt --ca-key ${caDir}/ca.key \\`,
    `  --name "$${NODE_NAME_ENV}" --dns "$${NODE_NAME_ENV}"${shellQuote(`.${o.headlessHost},${o.headlessHost},${o.clientHost}`)} --ip "$${POD_IP_ENV}" \\`,
    `  --out ${work}/node.zip`,
    `unzip -q -o ${work}/node.zip -d ${work}`,
    `rm -f ${certsDir}/node.crt ${certsDir}/node.key ${certsDir}/ca.crt`,
    `cp "${work}/$${NODE_NAME_ENV}/$${NODE_NAME_ENV}.crt" ${certsDir}/node.crt`,
    `cp "${work}/$${NODE_NAME_ENV}/$${NODE_NAME_ENV}.key" ${certsDir}/node.key`,
    `cp ${caDir}/ca.crt ${certsDir}/ca.crt`,
    `chmod 0400 ${certsDir}/node.key`,
    `rm -rf ${work}`,
  ]);
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
        { name: 'tmp', mountPath: WORK_DIR },
      ],
    },
    volumes: [
      { name: 'transport-ca', secret: { secretName: caSecret, defaultMode: 0o440 } },
      emptyDirVolume(TRANSPORT_CERTS_VOLUME, { memory: true, sizeLimit: '8Mi' }),
    ],
  };
}
