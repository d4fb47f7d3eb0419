import { SERVICE_ACCOUNT_DIR } from '../../core/service-account.js';
import { shellQuote, shellScript } from '../../lib/shell-scripts.js';
import type { PlatformContext } from '../../lib/context.js';
import { NODE_NAME_ENV, POD_IP_ENV } from './elasticsearch-config.js';

// The scripts of Elasticsearch transport TLS: the CA Job's and the nodes' certificate init container's.

/** Validity of the CA, in days (ten years; node certificates are re-signed at every pod start). */
const CA_DAYS = 3650;
/** `/tmp`: the CA Job's in-memory work volume (its script works in `/tmp/ca`), and the `tmp` the certificate init container mounts for the JVM. */
export const TLS_WORK_DIR = '/tmp';
/** Mount points of the CA Secret and of the certificate volume in the init container. */
export const CERTS_STAGING = { ca: '/mnt/transport-ca', certs: '/mnt/certs' };

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
  const work = `${TLS_WORK_DIR}/ca`;
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
