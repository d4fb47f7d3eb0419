import { k8s } from '../../lib/k8s.js';
import { Construct } from 'constructs';
import { checksum, yamlFile } from '../../lib/config-files.js';
import { baseContainer } from '../../lib/container.js';
import type { PlatformContext } from '../../lib/context.js';
import { createDisruptionBudget } from '../../lib/disruption.js';
import { ConfigError, reportProblem } from '../../lib/errors.js';
import { metadata } from '../../lib/metadata.js';
import { externalUrl, podHost } from '../../lib/names.js';
import { fieldEnv, podTemplate } from '../../lib/pod.js';
import { httpAction, probes } from '../../lib/probes.js';
import { createService, type ServicePort } from '../../lib/service.js';
import { createStatefulSet } from '../../lib/statefulset.js';
import { emptyDirVolume } from '../../lib/storage.js';
import { CATALOG } from '../../plan/catalog.js';
import type { ComponentProps } from '../../plan/component.js';
import { prefixedPlan, type PrefixedPlan } from '../../plan/monitoring.js';
import type { Values } from '../../values/schema/index.js';
import { CredentialSecret, type CredentialEntry } from '../shared/credential-secret.js';
import { alertmanagerConfig, CREDENTIAL_KEYS, receiverCredentials } from './alertmanager-config.js';

/** Props of {@link Alertmanager}. */
export interface AlertmanagerProps extends ComponentProps<Values['alertmanager'], PrefixedPlan> {
  /**
   * The self-healing executor's webhook (`http://<release>-self-healing.<ns>.svc.<domain>:8080/api/v1/alerts`)
   * and the Secret key of its bearer token, mounted and sent as `Authorization: Bearer`; given by
   * the chart when `selfHealing.enabled` (default: none, no self-healing route).
   */
  readonly selfHealing?: { readonly url: string; readonly token: { readonly secretName: string; readonly key: string } } | undefined;
}

/** How Prometheus, Grafana and the Ingress reach Alertmanager. */
export interface AlertmanagerConnection {
  /** Name of the client Service. */
  readonly serviceName: string;
  /** HTTP port of the Service, named `http`. */
  readonly port: 9093;
  /** Route prefix of the UI, API and metrics: `/alertmanager/api/v2/…`, `/alertmanager/metrics`. */
  readonly pathPrefix: '/alertmanager';
}

const { id: ID, port: PORT, meshPort: MESH_PORT } = CATALOG.alertmanager;
const PATH_PREFIX = '/alertmanager';
/** uid/gid of `nobody`, the user of the upstream image. */
const NOBODY = 65534;
const CONFIG_DIR = '/etc/alertmanager/config';
const SECRETS_DIR = '/etc/alertmanager/secrets';
/** The executor's webhook token (its own Secret, owned by the self-healing component). */
const SELF_HEALING_TOKEN_DIR = '/etc/alertmanager/self-healing';
/** Silences and the notification log. */
const DATA_DIR = '/alertmanager';

/**
 * Alertmanager on the upstream image: StatefulSet `<release>-alertmanager` served under
 * `/alertmanager` on 9093; more than one replica forms a gossip cluster over the headless Service
 * (9094 TCP+UDP) so silences and notification state are shared and every alert is notified once.
 * alertmanager.yml lives in a ConfigMap and references the receiver credentials as files of a
 * mounted Secret, so it holds no secret.
 */
export class Alertmanager extends Construct {
  readonly connection: AlertmanagerConnection;

  constructor(scope: Construct, id: string, props: AlertmanagerProps) {
    super(scope, id);
    const { ctx, values, selfHealing } = props;
    const { name, headless } = props.plan ?? prefixedPlan(ctx, CATALOG.alertmanager, PATH_PREFIX);
    const version = values.image.tag;
    const clustered = values.replicas > 1;

    const credentials = receiverCredentials(values);
    requireReceiverUrls(ctx, values, credentials);
    const secretName =
      credentials.length > 0
        ? new CredentialSecret(this, 'credentials', {
            ctx,
            name,
            id: ID,
            existingSecret: values.existingSecret,
            existingSecretPath: 'alertmanager.existingSecret',
            entries: credentials,
          }).secretName
        : undefined;

    const config = {
      'alertmanager.yml': yamlFile(
        alertmanagerConfig(values, {
          selfHealing: selfHealing && { url: selfHealing.url, tokenFile: `${SELF_HEALING_TOKEN_DIR}/${selfHealing.token.key}` },
          credentialFile: (key) => `${SECRETS_DIR}/${key}`,
        }),
      ),
    };
    new k8s.KubeConfigMap(this, 'config', { metadata: metadata(ctx, name, ID, { version }), data: config });

    const meshPorts: ServicePort[] = clustered
      ? [
          { name: 'mesh-tcp', port: MESH_PORT, protocol: 'TCP' },
          { name: 'mesh-udp', port: MESH_PORT, protocol: 'UDP' },
        ]
      : [];
    const ports: ServicePort[] = [{ name: 'http', port: PORT }, ...meshPorts];
    const peers = Array.from({ length: values.replicas }, (_, i) => `--cluster.peer=${podHost(ctx, name, i, headless)}:${MESH_PORT}`);

    const alertmanager: k8s.Container = {
      ...baseContainer(ctx, 'alertmanager', values),
      args: [
        `--config.file=${CONFIG_DIR}/alertmanager.yml`,
        `--storage.path=${DATA_DIR}`,
        `--web.listen-address=:${PORT}`,
        `--web.route-prefix=${PATH_PREFIX}`,
        `--web.external-url=${externalUrl(ctx, PATH_PREFIX, { service: name, port: PORT })}`,
        `--log.level=${ctx.global.logLevel}`,
        // An empty listen address turns clustering off; Kubernetes expands $(POD_IP).
        ...(clustered
          ? [`--cluster.listen-address=0.0.0.0:${MESH_PORT}`, `--cluster.advertise-address=$(POD_IP):${MESH_PORT}`, ...peers]
          : ['--cluster.listen-address=']),
      ],
      ports: ports.map((p) => ({ name: p.name, containerPort: p.port, protocol: p.protocol ?? 'TCP' })),
      ...(clustered ? { env: [fieldEnv('POD_IP', 'status.podIP')] } : {}),
      ...probes(httpAction(`${PATH_PREFIX}/-/ready`, 'http'), { livenessAction: httpAction(`${PATH_PREFIX}/-/healthy`, 'http') }),
      volumeMounts: [
        { name: 'data', mountPath: DATA_DIR },
        { name: 'config', mountPath: CONFIG_DIR, readOnly: true },
        ...(secretName ? [{ name: 'credentials', mountPath: SECRETS_DIR, readOnly: true }] : []),
        ...(selfHealing ? [{ name: 'self-healing-token', mountPath: SELF_HEALING_TOKEN_DIR, readOnly: true }] : []),
      ],
    };

    const template = podTemplate(ctx, {
      priority: 'critical',
      maxReplicas: values.replicas,
      id: ID,
      version,
      scheduling: values,
      runAs: { user: NOBODY },
      containers: [alertmanager],
      volumes: [
        { name: 'config', configMap: { name, defaultMode: 0o444 } },
        // Only the keys the config references: a missing key keeps the pod from starting instead of failing notifications later.
        ...(secretName
          ? [{ name: 'credentials', secret: { secretName, defaultMode: 0o440, items: credentials.map((c) => ({ key: c.key, path: c.key })) } }]
          : []),
        ...(selfHealing
          ? [
              {
                name: 'self-healing-token',
                secret: { secretName: selfHealing.token.secretName, defaultMode: 0o440, items: [{ key: selfHealing.token.key, path: selfHealing.token.key }] },
              },
            ]
          : []),
        ...(values.persistence.enabled ? [] : [emptyDirVolume('data')]),
      ],
      annotations: { 'checksum/config': checksum(config) },
    });

    createStatefulSet(this, ctx, {
      name,
      id: ID,
      version,
      serviceName: headless,
      replicas: values.replicas,
      // Peers gossip with each other while starting: start them together.
      podManagementPolicy: clustered ? 'Parallel' : 'OrderedReady',
      template,
      persistence: values.persistence,
    });

    createService(this, 'headless', ctx, { name: headless, id: ID, ports, headless: true, publishNotReadyAddresses: true });
    createService(this, 'service', ctx, { name, id: ID, ports: [{ name: 'http', port: PORT }] });
    if (clustered) createDisruptionBudget(this, ctx, name, ID);

    this.connection = { serviceName: name, port: PORT, pathPrefix: PATH_PREFIX };
  }
}

/**
 * A receiver URL has no development stand-in (a made-up URL would only fail at notification
 * time): in development it must come from values, `existingSecret` or `secrets.external`. In
 * production a missing one is the usual warning telling which Secret to create.
 */
function requireReceiverUrls(ctx: PlatformContext, values: Values['alertmanager'], credentials: readonly CredentialEntry[]): void {
  if (!ctx.development || values.existingSecret || ctx.secrets.external) return;
  const missing = credentials.filter((c) => c.key !== CREDENTIAL_KEYS.smtpPassword && !c.value);
  if (missing.length === 0) return;
  // The values schema refuses this first (refineReceiverUrls); kept as the construct's own guard.
  for (const c of missing) {
    reportProblem(
      ctx,
      new ConfigError(`${c.valuesPath} is empty while the receiver is enabled: set the URL, or name a Secret holding it (key ${c.key}) in alertmanager.existingSecret`, {
        path: c.valuesPath.split('.'),
      }),
    );
  }
}
