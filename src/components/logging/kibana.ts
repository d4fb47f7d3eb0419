import { k8s } from '../../lib/k8s.js';
import { Construct } from 'constructs';
import { checksum, yamlFile } from '../../lib/config-files.js';
import { baseContainer } from '../../lib/container.js';
import { createDisruptionBudget } from '../../lib/disruption.js';
import { metadata } from '../../lib/metadata.js';
import { externalUrl } from '../../lib/names.js';
import { podTemplate, secretEnv } from '../../lib/pod.js';
import { httpAction, probes, tcpAction } from '../../lib/probes.js';
import { createService } from '../../lib/service.js';
import { emptyDirVolume } from '../../lib/storage.js';
import { createDeployment } from '../../lib/workloads.js';
import { CATALOG } from '../../plan/catalog.js';
import type { ComponentProps, ServedPlan } from '../../plan/component.js';
import { servedComponent } from '../../plan/served.js';
import type { Values } from '../../values/schema/index.js';
import { CredentialSecret } from '../shared/credential-secret.js';
import type { ElasticsearchConnection } from './connection.js';
import { KIBANA_ENCRYPTION_KEYS, KIBANA_SYSTEM_PASSWORD_ENV, kibanaNodeOptions, kibanaYml } from './kibana-config.js';

/** Props of {@link Kibana}. */
export interface KibanaProps extends ComponentProps<Values['kibana'], ServedPlan> {
  /** The Elasticsearch cluster Kibana reads from and keeps its saved objects in. */
  readonly elasticsearch: ElasticsearchConnection;
}

/** How the Ingress and other components reach Kibana. */
export interface KibanaConnection {
  /** Service name, `<release>-kibana`. */
  readonly serviceName: string;
  readonly port: typeof PORT;
  /** Path Kibana is served under, in-cluster and through the Ingress. */
  readonly basePath: typeof KIBANA_BASE_PATH;
}

const { id: ID, port: PORT } = CATALOG.kibana;
/** The path Kibana is served under. */
export const KIBANA_BASE_PATH = '/kibana';
/** uid of the `kibana` user of the official image; its files belong to 1000:0. */
const KIBANA_UID = 1000;
const KIBANA_HOME = '/usr/share/kibana';
const ENCRYPTION_KEYS = Object.keys(KIBANA_ENCRYPTION_KEYS) as (keyof typeof KIBANA_ENCRYPTION_KEYS)[];

/**
 * Kibana on the official image: Deployment + Service `<release>-kibana` on 5601, served under
 * `/kibana` (basePath + rewriteBasePath + publicBaseUrl). It signs in to Elasticsearch as the
 * built-in `kibana_system` user (Kibana 8 refuses the `elastic` superuser); the Elasticsearch setup
 * Job sets that user's password from the Elasticsearch Secret, which Kibana reads through an
 * environment variable. The encryption keys, identical on every replica, live in the Secret
 * `<release>-kibana`. Read-only root filesystem: Kibana writes only to data/ (uuid, report browser
 * profiles) and /tmp, both emptyDirs. Kibana has no Prometheus endpoint, so its pods carry no scrape annotations.
 *
 * Through the Ingress, `/kibana` sits behind the API gateway's ForwardAuth like every UI. With
 * Elasticsearch security on, Kibana's own login (an Elasticsearch user of the native realm, which
 * the basic license has) follows the platform's: Kibana trusts no proxy header as Grafana does, its
 * single sign-on realms (SAML, OpenID Connect, JWT) need a paid license, and its anonymous provider
 * would sign every platform user in as one Elasticsearch user, which needs a role with Kibana
 * feature privileges and a data view that the setup Job does not create. Without security, Kibana
 * has no login and the gateway's is the only one.
 */
export class Kibana extends Construct {
  readonly connection: KibanaConnection;

  constructor(scope: Construct, id: string, props: KibanaProps) {
    super(scope, id);
    const { ctx, values, elasticsearch: es } = props;
    const { name } = props.plan ?? servedComponent(ctx, ID, PORT);
    const version = values.image.tag;
    // Elasticsearch security on: Kibana signs in as kibana_system with the password from this Secret.
    const esSecretName = es.authEnabled ? es.secretName : undefined;
    if (es.authEnabled && !esSecretName) {
      throw new Error('ElasticsearchConnection has authEnabled but no secretName: Kibana has no kibana_system password to read');
    }

    const keysSecret = new CredentialSecret(this, 'encryption-keys', {
      ctx,
      name,
      id: ID,
      existingSecret: values.existingSecret,
      existingSecretPath: 'kibana.existingSecret',
      entries: ENCRYPTION_KEYS.map((key) => ({
        key: KIBANA_ENCRYPTION_KEYS[key].secretKey,
        value: values.encryptionKeys[key],
        valuesPath: `kibana.encryptionKeys.${key}`,
      })),
    }).secretName;

    const config = {
      'kibana.yml': yamlFile(
        kibanaYml({
          name,
          port: PORT,
          basePath: KIBANA_BASE_PATH,
          publicBaseUrl: externalUrl(ctx, KIBANA_BASE_PATH, { service: name, port: PORT }),
          elasticsearchUrl: es.url,
          elasticsearchUsername: esSecretName ? es.users.kibana : undefined,
          logLevel: ctx.global.logLevel,
        }),
      ),
    };
    new k8s.KubeConfigMap(this, 'config', { metadata: metadata(ctx, name, ID, { version }), data: config });

    const nodeOptions = kibanaNodeOptions(values.resources.limits.memory);
    const kibana: k8s.Container = {
      ...baseContainer(ctx, 'kibana', values),
      ports: [{ name: 'http', containerPort: PORT, protocol: 'TCP' }],
      // kibana.yml references these as ${VAR}: no password or key is ever in the ConfigMap.
      env: [
        ...(esSecretName ? [secretEnv(KIBANA_SYSTEM_PASSWORD_ENV, esSecretName, es.keys.kibanaSystem)] : []),
        ...ENCRYPTION_KEYS.map((key) => secretEnv(KIBANA_ENCRYPTION_KEYS[key].env, keysSecret, KIBANA_ENCRYPTION_KEYS[key].secretKey)),
        ...(nodeOptions ? [{ name: 'NODE_OPTIONS', value: nodeOptions }] : []),
      ],
      // Readiness: /api/status under the base path (anything else is a 404 with rewriteBasePath). It
      // needs no credentials (unauthenticated callers get a redacted body) and answers 503 while
      // Elasticsearch or saved objects are unavailable. Startup and liveness only check the port, so an
      // Elasticsearch outage never restarts Kibana; the first start (plugins, migrations) may take minutes.
      ...probes(httpAction(`${KIBANA_BASE_PATH}/api/status`, 'http'), {
        startupSeconds: 600,
        startupAction: tcpAction('http'),
        livenessAction: tcpAction('http'),
      }),
      volumeMounts: [
        { name: 'config', mountPath: `${KIBANA_HOME}/config/kibana.yml`, subPath: 'kibana.yml', readOnly: true },
        { name: 'data', mountPath: `${KIBANA_HOME}/data` },
        { name: 'tmp', mountPath: '/tmp' },
      ],
    };

    const template = podTemplate(ctx, {
      maxReplicas: values.replicas,
      id: ID,
      version,
      scheduling: values,
      runAs: { user: KIBANA_UID, group: KIBANA_UID, fsGroup: KIBANA_UID },
      containers: [kibana],
      volumes: [
        { name: 'config', configMap: { name, defaultMode: 0o444 } },
        emptyDirVolume('data', { sizeLimit: '1Gi' }),
        emptyDirVolume('tmp', { sizeLimit: '512Mi' }),
      ],
      annotations: { 'checksum/config': checksum(config) },
    });

    createDeployment(this, ctx, { name, id: ID, version, template, replicas: values.replicas });
    createService(this, 'service', ctx, { name, id: ID, ports: [{ name: 'http', port: PORT }] });
    if (!ctx.development && values.replicas > 1) createDisruptionBudget(this, ctx, name, ID);

    this.connection = { serviceName: name, port: PORT, basePath: KIBANA_BASE_PATH };
  }
}
