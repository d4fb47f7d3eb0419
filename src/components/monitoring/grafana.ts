import { k8s } from '../../lib/k8s.js';
import { Construct } from 'constructs';
import { checksum, iniFile, yamlFile } from '../../lib/config-files.js';
import { baseContainer } from '../../lib/container.js';
import { createDisruptionBudget } from '../../lib/disruption.js';
import { metadata } from '../../lib/metadata.js';
import { externalUrl, objectName } from '../../lib/names.js';
import { podTemplate, scrapeAnnotations, secretEnv } from '../../lib/pod.js';
import { httpAction, probes } from '../../lib/probes.js';
import { createService } from '../../lib/service.js';
import { claimSpec, emptyDirVolume } from '../../lib/storage.js';
import { createDeployment } from '../../lib/workloads.js';
import { CATALOG } from '../../plan/catalog.js';
import type { ComponentProps, ServedPlan } from '../../plan/component.js';
import { servedComponent } from '../../plan/served.js';
import type { Values } from '../../values/schema/index.js';
import { ROUTE_PREFIXES } from '../../values/schema/ingress-routes.js';
import { CredentialSecret } from '../shared/credential-secret.js';
import { dashboards, type DashboardComponents } from './dashboards/index.js';
import {
  dashboardProvidersFile,
  datasourcesFile,
  ES_PASSWORD_ENV,
  GRAFANA_DASHBOARDS_DIR,
  GRAFANA_DATA_DIR,
  GRAFANA_PROVISIONING_DIR,
  grafanaIni,
  type ElasticsearchSource,
  type PrometheusSource,
} from './grafana-config.js';

/** Props of {@link Grafana}. */
export interface GrafanaProps extends ComponentProps<Values['grafana'], ServedPlan> {
  /** The Prometheus datasource (default none: no Prometheus datasource and no dashboards). */
  readonly prometheus?: PrometheusSource | undefined;
  /** The Elasticsearch datasource (default none). */
  readonly elasticsearch?: ElasticsearchSource | undefined;
  /** Which metric sources run: one dashboard for each. */
  readonly components: DashboardComponents;
  /** `alerting.thresholds`, drawn on the dashboards. */
  readonly thresholds: Values['alerting']['thresholds'];
  /**
   * Serve `/grafana/metrics` and be scraped there (default true). Grafana's login does not cover
   * it: false where an Ingress would publish it without authentication.
   */
  readonly metrics?: boolean;
  /**
   * Grafana's route carries the gateway's ForwardAuth: the gateway's login is Grafana's (auth.proxy
   * from its user and role headers; no login form of its own) (default false).
   */
  readonly authProxy?: boolean;
}

const { id: ID, port: PORT } = CATALOG.grafana;
/** The path Grafana is served under, in-cluster and through the Ingress. */
export const GRAFANA_SUB_PATH = ROUTE_PREFIXES.grafana;
/** uid of the `grafana` user of the official image (its files are world-readable; it writes only to volumes). */
const GRAFANA_UID = 472;

/** How the Ingress and other components reach Grafana. */
export interface GrafanaConnection {
  /** Service name, `<release>-grafana`. */
  readonly serviceName: string;
  readonly port: typeof PORT;
  /** Path Grafana is served under (root_url, serve_from_sub_path), in-cluster and through the Ingress. */
  readonly basePath: string;
}

/**
 * Grafana on the official image: Deployment + Service `<release>-grafana` on 3000, served under
 * `/grafana` (root_url + serve_from_sub_path), admin credentials from a Secret, provisioned
 * Prometheus/Elasticsearch datasources and the platform's dashboards (ConfigMap
 * `<release>-grafana-dashboards`). Data in a PersistentVolumeClaim (one replica, Recreate) or an
 * emptyDir. Behind the gateway's ForwardAuth it signs users in from the gateway's headers
 * (auth.proxy, see {@link grafanaIni}); otherwise with its own login form. Without an Ingress, a
 * port-forward serves it at http://localhost:3000/grafana/.
 */
export class Grafana extends Construct {
  readonly connection: GrafanaConnection;

  constructor(scope: Construct, id: string, props: GrafanaProps) {
    super(scope, id);
    const { ctx, values, prometheus, elasticsearch } = props;
    const { name } = props.plan ?? servedComponent(ctx, ID, PORT);
    const dashboardsName = objectName(ctx, ID.name, 'dashboards');
    const version = values.image.tag;
    this.connection = { serviceName: name, port: PORT, basePath: GRAFANA_SUB_PATH };

    const secretName = new CredentialSecret(this, 'credentials', {
      ctx,
      name,
      id: ID,
      existingSecret: values.existingSecret,
      existingSecretPath: 'grafana.existingSecret',
      entries: [
        { key: 'admin-user', value: values.adminUser, valuesPath: 'grafana.adminUser', sensitive: false },
        { key: 'admin-password', value: values.adminPassword, valuesPath: 'grafana.adminPassword' },
      ],
    }).secretName;

    const rootUrl = `${externalUrl(ctx, GRAFANA_SUB_PATH, { service: name, port: PORT })}/`;
    const config = {
      'grafana.ini': iniFile(grafanaIni({ port: PORT, rootUrl, adminUser: values.adminUser, logLevel: ctx.global.logLevel, metrics: props.metrics ?? true, authProxy: props.authProxy ?? false })),
      'datasources.yaml': yamlFile(datasourcesFile(prometheus, elasticsearch)),
      'dashboards.yaml': yamlFile(dashboardProvidersFile()),
    };
    new k8s.KubeConfigMap(this, 'config', { metadata: metadata(ctx, name, ID, { version }), data: config });

    const files = prometheus ? dashboards({ components: props.components, thresholds: props.thresholds }) : [];
    const dashboardData = Object.fromEntries(files.map((f) => [f.fileName, f.json]));
    new k8s.KubeConfigMap(this, 'dashboards', { metadata: metadata(ctx, dashboardsName, ID, { version }), data: dashboardData });

    if (values.persistence.enabled) {
      new k8s.KubePersistentVolumeClaim(this, 'data', { metadata: metadata(ctx, name, ID), spec: claimSpec(ctx, values.persistence) });
    }

    const grafana: k8s.Container = {
      ...baseContainer(ctx, 'grafana', values),
      ports: [{ name: 'http', containerPort: PORT, protocol: 'TCP' }],
      // The Secret's keys win over grafana.ini; the password is never in a ConfigMap.
      env: [
        secretEnv('GF_SECURITY_ADMIN_USER', secretName, 'admin-user'),
        secretEnv('GF_SECURITY_ADMIN_PASSWORD', secretName, 'admin-password'),
        ...(elasticsearch ? [secretEnv(ES_PASSWORD_ENV, elasticsearch.secretName, elasticsearch.passwordKey)] : []),
      ],
      // Under serve_from_sub_path Grafana redirects paths without the sub-path to root_url (off the
      // pod), so the probes carry it: /grafana/api/health checks the database, /grafana/healthz only the server.
      ...probes(httpAction(`${GRAFANA_SUB_PATH}/api/health`, 'http'), {
        startupSeconds: 300,
        livenessAction: httpAction(`${GRAFANA_SUB_PATH}/healthz`, 'http'),
      }),
      volumeMounts: [
        { name: 'config', mountPath: '/etc/grafana/grafana.ini', subPath: 'grafana.ini', readOnly: true },
        { name: 'config', mountPath: `${GRAFANA_PROVISIONING_DIR}/datasources`, subPath: 'datasources', readOnly: true },
        { name: 'config', mountPath: `${GRAFANA_PROVISIONING_DIR}/dashboards`, subPath: 'dashboards', readOnly: true },
        { name: 'dashboards', mountPath: GRAFANA_DASHBOARDS_DIR, readOnly: true },
        { name: 'data', mountPath: GRAFANA_DATA_DIR },
        { name: 'tmp', mountPath: '/tmp' },
      ],
    };

    const template = podTemplate(ctx, {
      maxReplicas: values.replicas,
      id: ID,
      version,
      scheduling: values,
      runAs: { user: GRAFANA_UID, group: GRAFANA_UID, fsGroup: GRAFANA_UID },
      containers: [grafana],
      volumes: [
        {
          name: 'config',
          configMap: {
            name,
            defaultMode: 0o444,
            items: [
              { key: 'grafana.ini', path: 'grafana.ini' },
              { key: 'datasources.yaml', path: 'datasources/datasources.yaml' },
              { key: 'dashboards.yaml', path: 'dashboards/dashboards.yaml' },
            ],
          },
        },
        { name: 'dashboards', configMap: { name: dashboardsName, defaultMode: 0o444 } },
        values.persistence.enabled ? { name: 'data', persistentVolumeClaim: { claimName: name } } : emptyDirVolume('data'),
        emptyDirVolume('tmp', { sizeLimit: '128Mi' }),
      ],
      annotations: {
        'checksum/config': checksum(config),
        'checksum/dashboards': checksum(dashboardData),
        ...((props.metrics ?? true) ? scrapeAnnotations(PORT, `${GRAFANA_SUB_PATH}/metrics`) : {}),
      },
    });

    createDeployment(this, ctx, {
      name,
      id: ID,
      version,
      template,
      replicas: values.replicas,
      // A ReadWriteOnce volume cannot be attached to the old and the new pod at once.
      strategy: values.persistence.enabled ? 'Recreate' : 'RollingUpdate',
    });
    createService(this, 'service', ctx, { name, id: ID, ports: [{ name: 'http', port: PORT }] });
    if (values.replicas > 1) createDisruptionBudget(this, ctx, name, ID);
  }
}
