import { k8s } from '../../lib/k8s.js';
import { Construct } from 'constructs';
import { checksum, yamlFile } from '../../lib/config-files.js';
import { baseContainer } from '../../lib/container.js';
import { createDisruptionBudget } from '../../lib/disruption.js';
import { metadata } from '../../lib/metadata.js';
import { serviceHost } from '../../lib/names.js';
import { fieldEnv, podTemplate, scrapeAnnotations, secretEnv } from '../../lib/pod.js';
import { execAction, probes, tcpAction } from '../../lib/probes.js';
import type { RunAs } from '../../lib/security.js';
import { createService } from '../../lib/service.js';
import { createStatefulSet } from '../../lib/statefulset.js';
import { claimSpec, emptyDirVolume } from '../../lib/storage.js';
import { CATALOG } from '../../plan/catalog.js';
import type { ComponentProps } from '../../plan/component.js';
import { elasticsearchPlan, type ElasticsearchPlan } from '../../plan/logging.js';
import type { Values } from '../../values/schema/index.js';
import { CredentialSecret, derivedPassword } from '../shared/credential-secret.js';
import { exporterSidecar } from '../shared/exporter-sidecar.js';
import { ELASTICSEARCH_CREDENTIALS, LOG_INDEX_PREFIX, SNAPSHOT_MANAGER, type ElasticsearchConnection } from './connection.js';
import * as cfg from './elasticsearch-config.js';
import { configCopyScript, ES_SCRIPTS_DIR, READINESS_SCRIPT, readinessScript, START_SCRIPT, startScript } from './elasticsearch-node-scripts.js';
import { ELASTICSEARCH_UID, sysctlInitContainer, warnAboutTopology } from './elasticsearch-pod.js';
import { TRANSPORT_CERTS_VOLUME, TransportCaJob, transportCertsPod } from './elasticsearch-tls.js';

/** Props of {@link Elasticsearch}. */
export type ElasticsearchProps = ComponentProps<Values['elasticsearch'], ElasticsearchPlan>;


const { id: ID, exporterPort: EXPORTER_PORT } = CATALOG.elasticsearch;
/** The image's `elasticsearch` user (its files belong to 1000:0 and are world-readable, so gid 1000 suffices). */
const RUN_AS: RunAs = { user: ELASTICSEARCH_UID, group: ELASTICSEARCH_UID, fsGroup: ELASTICSEARCH_UID };
const KEYS = ELASTICSEARCH_CREDENTIALS.keys;
/** Liveness and startup only need the HTTP port open (300 s for a first start). */
const PORT_PROBES = { livenessAction: tcpAction('http'), startupAction: tcpAction('http'), startupSeconds: 300 };
/** Where the config init container mounts the writable config volume. */
const CONFIG_STAGING = '/mnt/config';

/**
 * Elasticsearch 8 on the official image: StatefulSet `<release>-elasticsearch` (pods
 * `<release>-elasticsearch-N`), client Service (9200) and headless Service (9200, 9300, not-ready
 * addresses published for discovery). One replica forms a single-node cluster; N replicas start in
 * parallel and bootstrap from the headless Service with every pod as initial master node, a setting
 * the start script gives only until the node has seen its cluster formed. Readiness waits for the
 * cluster's health once per start (green; yellow for one node), then only asks the node. Security
 * on: the `elastic` bootstrap password and the client users' passwords in one Secret, plain HTTP with
 * basic auth in the cluster, and for N > 1 transport TLS whose node certificates an init container
 * signs at every start with the CA that {@link TransportCaJob} keeps in a Secret (until that Secret
 * exists the pods wait in ContainerCreating). Read-only root: the config directory is a copy of the
 * image's in an emptyDir (Elasticsearch writes its keystore there), elasticsearch.yml comes from the
 * ConfigMap. mmap is off unless the privileged sysctl init container is enabled. The
 * elasticsearch_exporter sidecar (9114) signs in as `metrics_reader` (monitor privileges only),
 * which the setup Job creates. With snapshots (`backup.elasticsearch`): for `fs`, the claim
 * `<release>-elasticsearch-snapshots` mounted at `path.repo` on every node (ReadWriteMany for more
 * than one node, which the values refuse otherwise); for `s3`, the client's settings in
 * elasticsearch.yml and its keys, from the Secret named in values, added to the keystore by the
 * start script (a changed Secret applies at the nodes' next restart).
 */
export class Elasticsearch extends Construct {
  readonly connection: ElasticsearchConnection;

  constructor(scope: Construct, id: string, props: ElasticsearchProps) {
    super(scope, id);
    const { ctx, values } = props;
    const plan = props.plan ?? elasticsearchPlan(ctx, values);
    const { name, headless, transportTls, snapshots } = plan;
    const version = values.image.tag;
    const auth = plan.authEnabled;
    const nodeNames = Array.from({ length: values.replicas }, (_, i) => `${name}-${i}`);

    const secretName = auth
      ? new CredentialSecret(this, 'credentials', {
          ctx,
          name,
          id: ID,
          existingSecret: values.auth.existingSecret,
          existingSecretPath: 'elasticsearch.auth.existingSecret',
          entries: [
            { key: KEYS.elastic, value: values.auth.password, valuesPath: 'elasticsearch.auth.password' },
            {
              key: KEYS.kibanaSystem,
              value: values.auth.kibanaPassword || derivedPassword(values.auth.password, 'kibana_system'),
              valuesPath: values.auth.kibanaPassword ? 'elasticsearch.auth.kibanaPassword' : 'elasticsearch.auth.password',
            },
            {
              key: KEYS.metricsReader,
              value: derivedPassword(values.auth.password, 'metrics_reader'),
              valuesPath: 'elasticsearch.auth.password',
            },
            {
              key: KEYS.logsReader,
              value: derivedPassword(values.auth.password, 'logs_reader'),
              valuesPath: 'elasticsearch.auth.password',
            },
            {
              key: KEYS.logstashWriter,
              value: values.auth.logstashPassword || derivedPassword(values.auth.password, 'logstash_writer'),
              valuesPath: values.auth.logstashPassword ? 'elasticsearch.auth.logstashPassword' : 'elasticsearch.auth.password',
            },
            ...(snapshots
              ? [{ key: SNAPSHOT_MANAGER.key, value: derivedPassword(values.auth.password, SNAPSHOT_MANAGER.user), valuesPath: 'elasticsearch.auth.password' }]
              : []),
          ],
        }).secretName
      : undefined;
    const caSecret = transportTls ? new TransportCaJob(this, 'transport-ca', { ctx, values, runAs: RUN_AS }).secretName : undefined;

    const yml = cfg.elasticsearchYml(values, { clusterName: ctx.release, nodes: values.replicas, seedHost: serviceHost(ctx, headless), transportTls, snapshots });
    const keystore = cfg.keystoreSettings(snapshots);
    const config = {
      'elasticsearch.yml': yamlFile(yml),
      [START_SCRIPT]: startScript(nodeNames, keystore),
      // A single node can never assign replicas: yellow is its best first health.
      [READINESS_SCRIPT]: readinessScript({ auth, firstStatus: values.replicas === 1 ? 'yellow' : 'green' }),
    };
    new k8s.KubeConfigMap(this, 'config', { metadata: metadata(ctx, name, ID, { version }), data: config });

    const image = (container: string): k8s.Container => baseContainer(ctx, container, values);
    const podEnv = [fieldEnv(cfg.NODE_NAME_ENV, 'metadata.name'), fieldEnv(cfg.POD_IP_ENV, 'status.podIP')];
    const passwordEnv = (env: string) => (secretName ? [secretEnv(env, secretName, KEYS.elastic)] : []);
    // The s3 repository's keys, which the start script moves into the keystore.
    const s3 = snapshots?.values.s3;
    const keystoreEnv = s3?.existingSecret
      ? keystore.map(({ env }, i) => secretEnv(env, s3.existingSecret!, i === 0 ? s3.accessKeyKey : s3.secretKeyKey))
      : [];
    const fsRepository = snapshots?.values.type === 'fs' ? snapshots : undefined;
    if (fsRepository) {
      const { size, storageClass, accessMode } = fsRepository.values.fs;
      new k8s.KubePersistentVolumeClaim(this, 'snapshots', {
        metadata: metadata(ctx, fsRepository.claimName, ID, { version }),
        spec: claimSpec(ctx, { enabled: true, size, storageClass }, accessMode),
      });
    }

    const tls = caSecret
      ? transportCertsPod(image('transport-certs'), podEnv, caSecret, { headlessHost: serviceHost(ctx, headless), clientHost: serviceHost(ctx, name) })
      : undefined;
    const initContainers: k8s.Container[] = [
      ...(values.sysctlInitContainer.enabled ? [sysctlInitContainer(ctx, values)] : []),
      { ...image('config'), command: ['sh', '-c', configCopyScript(CONFIG_STAGING)], volumeMounts: [{ name: 'config', mountPath: CONFIG_STAGING }] },
      ...(tls ? [tls.initContainer] : []),
    ];

    const elasticsearch: k8s.Container = {
      ...image('elasticsearch'),
      // The image's entrypoint (tini, docker-entrypoint.sh) runs the start script, which runs it again with eswrapper.
      args: ['sh', `${ES_SCRIPTS_DIR}/${START_SCRIPT}`],
      ports: [
        { name: 'http', containerPort: cfg.ES_HTTP_PORT, protocol: 'TCP' },
        { name: 'transport', containerPort: cfg.ES_TRANSPORT_PORT, protocol: 'TCP' },
      ],
      env: [...podEnv, { name: 'ES_JAVA_OPTS', value: cfg.elasticsearchJavaOpts(values) }, ...passwordEnv(cfg.ELASTIC_PASSWORD_ENV), ...keystoreEnv],
      // Readiness waits for the cluster's health once per start, then asks the node itself
      // (authenticated when security is on); liveness and startup only need the HTTP port open,
      // so a red cluster or an unavailable security index never makes Kubernetes restart healthy nodes.
      ...probes(execAction(['sh', `${ES_SCRIPTS_DIR}/${READINESS_SCRIPT}`]), PORT_PROBES),
      volumeMounts: [
        { name: 'data', mountPath: `${cfg.ES_HOME}/data` },
        { name: 'config', mountPath: cfg.ES_CONFIG_DIR },
        { name: 'elasticsearch-yml', mountPath: `${cfg.ES_CONFIG_DIR}/elasticsearch.yml`, subPath: 'elasticsearch.yml', readOnly: true },
        { name: 'scripts', mountPath: ES_SCRIPTS_DIR, readOnly: true },
        ...(tls ? [{ name: TRANSPORT_CERTS_VOLUME, mountPath: `${cfg.ES_CONFIG_DIR}/${cfg.ES_CERTS_SUBDIR}`, readOnly: true }] : []),
        { name: 'tmp', mountPath: '/tmp' },
        { name: 'logs', mountPath: `${cfg.ES_HOME}/logs` },
        ...(fsRepository ? [{ name: 'snapshots', mountPath: cfg.ES_SNAPSHOTS_DIR }] : []),
      ],
    };

    const containers = [elasticsearch];
    if (plan.exporter) {
      containers.push({
        ...exporterSidecar(ctx, {
          values: values.exporter,
          port: EXPORTER_PORT,
          // The setup Job creates metrics_reader; until it ran, scrapes fail with 401 and recover.
          env: secretName
            ? [{ name: 'ES_USERNAME', value: ELASTICSEARCH_CREDENTIALS.users.metricsReader }, secretEnv('ES_PASSWORD', secretName, KEYS.metricsReader)]
            : [],
          healthPath: '/healthz',
        }),
        // --es.all=false: each sidecar reports its own node (no duplicates); --es.indices: per-index sizes and counts.
        args: [`--es.uri=http://localhost:${cfg.ES_HTTP_PORT}`, '--es.all=false', '--es.indices', `--web.listen-address=:${EXPORTER_PORT}`],
      });
    }

    const template = podTemplate(ctx, {
      priority: 'critical',
      maxReplicas: values.replicas,
      id: ID,
      version,
      scheduling: values,
      runAs: RUN_AS,
      initContainers,
      containers,
      volumes: [
        { name: 'elasticsearch-yml', configMap: { name, defaultMode: 0o444 } },
        { name: 'scripts', configMap: { name, defaultMode: 0o555, items: [START_SCRIPT, READINESS_SCRIPT].map((key) => ({ key, path: key })) } },
        emptyDirVolume('config', { sizeLimit: '64Mi' }),
        ...(tls ? tls.volumes : []),
        emptyDirVolume('tmp', { sizeLimit: '1Gi' }),
        emptyDirVolume('logs', { sizeLimit: '256Mi' }),
        ...(values.persistence.enabled ? [] : [emptyDirVolume('data')]),
        ...(fsRepository ? [{ name: 'snapshots', persistentVolumeClaim: { claimName: fsRepository.claimName } }] : []),
      ],
      annotations: { 'checksum/config': checksum(config), ...(plan.exporter ? scrapeAnnotations(EXPORTER_PORT) : {}) },
      // One node needs no spreading; production requires one node per host, development prefers it.
      antiAffinity: values.replicas === 1 ? 'none' : ctx.development ? 'preferred' : 'required',
      terminationGracePeriodSeconds: 120,
    });

    createStatefulSet(this, ctx, {
      name,
      id: ID,
      version,
      serviceName: headless,
      replicas: values.replicas,
      // The nodes must all be up to discover each other and elect the first master.
      podManagementPolicy: values.replicas > 1 ? 'Parallel' : 'OrderedReady',
      template,
      persistence: values.persistence,
    });

    const http = { name: 'http', port: cfg.ES_HTTP_PORT };
    createService(this, 'headless', ctx, {
      name: headless,
      id: ID,
      ports: [http, { name: 'transport', port: cfg.ES_TRANSPORT_PORT }],
      headless: true,
      publishNotReadyAddresses: true,
    });
    createService(this, 'service', ctx, { name, id: ID, ports: plan.exporter ? [http, { name: 'metrics', port: EXPORTER_PORT }] : [http] });
    if (!ctx.development || values.replicas > 1) createDisruptionBudget(this, ctx, name, ID);
    warnAboutTopology(ctx, values);

    this.connection = {
      serviceName: name,
      host: plan.host,
      port: plan.port,
      url: plan.url,
      authEnabled: auth,
      secretName,
      keys: KEYS,
      users: ELASTICSEARCH_CREDENTIALS.users,
      indexPrefix: LOG_INDEX_PREFIX,
      snapshots,
    };
  }
}
