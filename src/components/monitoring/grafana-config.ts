import { GATEWAY_AUTH } from '../../core/gateway-auth.js';
import type { Values } from '../../values/schema/index.js';

/** Grafana's data directory (SQLite database, sessions, plugins): a volume, never the image. */
export const GRAFANA_DATA_DIR = '/var/lib/grafana';
/** Provisioning root: `datasources/` and `dashboards/` below it come from the chart's ConfigMap. */
export const GRAFANA_PROVISIONING_DIR = '/etc/grafana/provisioning';
/** Folder the dashboard JSON files are mounted in (the `<release>-grafana-dashboards` ConfigMap). */
export const GRAFANA_DASHBOARDS_DIR = '/etc/grafana/dashboards';
/** Environment variable holding the Elasticsearch password; Grafana expands it in datasources.yaml. */
export const ES_PASSWORD_ENV = 'ES_PASSWORD';
/** Uid of the provisioned Prometheus datasource; dashboards default to it. */
export const PROMETHEUS_DATASOURCE_UID = 'prometheus';
/** Uid of the provisioned Elasticsearch datasource. */
const ELASTICSEARCH_DATASOURCE_UID = 'elasticsearch';

/**
 * The grafana.ini sections the chart sets (everything else keeps Grafana's defaults). The image
 * sets GF_PATHS_* environment variables, which win over `[paths]`: the values here equal them.
 */
export type GrafanaIni = {
  server: { http_port: number; protocol: 'http'; root_url: string; serve_from_sub_path: boolean; enable_gzip: boolean };
  paths: { data: string; logs: string; plugins: string; provisioning: string };
  security: { admin_user: string; cookie_secure: boolean; cookie_samesite: 'lax' | 'strict'; disable_gravatar: boolean };
  users: { allow_sign_up: boolean; allow_org_create: boolean; auto_assign_org_role: 'Viewer' };
  /** Present behind the gateway: no login form of Grafana's own, no sign-out (the console signs out). */
  auth?: { disable_login_form: boolean; disable_signout_menu: boolean };
  /** Present behind the gateway: Grafana's basic auth off, so the gateway's headers are the only way in. */
  'auth.basic'?: { enabled: boolean };
  'auth.anonymous': { enabled: boolean };
  /** Present behind the gateway: users and their roles from the headers Traefik copies from the gateway's answer. */
  'auth.proxy'?: {
    enabled: boolean;
    header_name: string;
    header_property: 'username';
    auto_sign_up: boolean;
    /** `Role:<header>`: the organisation role (Viewer, Editor, Admin) of every request, synced to the user. */
    headers: string;
    /** No Grafana session cookie: every request is signed in from the headers, so a gateway sign-out or role change applies at once. */
    enable_login_token: boolean;
  };
  analytics: { reporting_enabled: boolean; check_for_updates: boolean; check_for_plugin_updates: boolean; feedback_links_enabled: boolean };
  news: { news_feed_enabled: boolean };
  plugins: { preinstall_disabled: boolean };
  snapshots: { external_enabled: boolean };
  log: { mode: 'console'; level: Values['global']['logLevel'] };
  metrics: { enabled: boolean };
};

/** Inputs of {@link grafanaIni}. */
export interface GrafanaIniOptions {
  /** Port Grafana listens on. */
  readonly port: number;
  /** Public URL of Grafana, ending in `/grafana/`. */
  readonly rootUrl: string;
  readonly adminUser: string;
  readonly logLevel: Values['global']['logLevel'];
  /** Serve Prometheus metrics on `<sub-path>/metrics` (no login: Grafana does not protect it). */
  readonly metrics: boolean;
  /** Behind the gateway's ForwardAuth: sign users in from its headers ({@link grafanaIni}) (default false: Grafana's own login). */
  readonly authProxy?: boolean;
}

/**
 * grafana.ini: served under the sub-path of `rootUrl`, secure cookies behind HTTPS, no sign-up or
 * anonymous access, nothing that calls the internet (update checks, news, gravatar, plugin
 * preinstall, external snapshots), console logging only. The admin password is never here: it
 * comes from a Secret through GF_SECURITY_ADMIN_PASSWORD.
 *
 * With `authProxy` (Grafana behind the gateway's ForwardAuth), the gateway's login is Grafana's:
 * `[auth.proxy]` signs in, and creates on first sight, the user named by X-WEBAUTH-USER with the
 * organisation role of X-WEBAUTH-ROLE (Viewer, Editor, Admin for the platform's viewer, operator,
 * admin; Grafana's auth proxy syncs the organisation role from the `Role` entry of `headers`, as
 * Grafana 12's documentation and pkg/services/authn/clients/{proxy,grafana}.go show; a role header
 * never makes a server admin), on every request (no login token, so the gateway's
 * sign-out and role changes apply at once); Grafana's login form, sign-out menu and basic auth
 * are off. Grafana trusts those headers from any source (`whitelist` takes IP ranges, which pod
 * addresses are not): what makes them trustworthy is that Traefik strips them from every client
 * request and sets them only from the gateway's answer, and that the NetworkPolicies let only
 * Traefik (and Prometheus, scraping /grafana/metrics, which sends no such header) reach port 3000.
 * The user named like `grafana.adminUser` is Grafana's server admin: a platform user of that
 * name gets those rights too.
 */
export function grafanaIni(o: GrafanaIniOptions): GrafanaIni {
  const { grafanaUser, grafanaRole } = GATEWAY_AUTH.headers;
  return {
    server: { http_port: o.port, protocol: 'http', root_url: o.rootUrl, serve_from_sub_path: true, enable_gzip: true },
    paths: {
      data: GRAFANA_DATA_DIR,
      logs: '/var/log/grafana',
      plugins: `${GRAFANA_DATA_DIR}/plugins`,
      provisioning: GRAFANA_PROVISIONING_DIR,
    },
    security: { admin_user: o.adminUser, cookie_secure: o.rootUrl.startsWith('https://'), cookie_samesite: 'lax', disable_gravatar: true },
    users: { allow_sign_up: false, allow_org_create: false, auto_assign_org_role: 'Viewer' },
    ...(o.authProxy
      ? {
          auth: { disable_login_form: true, disable_signout_menu: true },
          'auth.basic': { enabled: false },
        }
      : {}),
    'auth.anonymous': { enabled: false },
    ...(o.authProxy
      ? {
          'auth.proxy': {
            enabled: true,
            header_name: grafanaUser,
            header_property: 'username' as const,
            auto_sign_up: true,
            headers: `Role:${grafanaRole}`,
            enable_login_token: false,
          },
        }
      : {}),
    analytics: { reporting_enabled: false, check_for_updates: false, check_for_plugin_updates: false, feedback_links_enabled: false },
    news: { news_feed_enabled: false },
    plugins: { preinstall_disabled: true },
    snapshots: { external_enabled: false },
    log: { mode: 'console', level: o.logLevel },
    metrics: { enabled: o.metrics },
  };
}

/** One provisioned datasource (Grafana provisioning format, apiVersion 1). */
export interface ProvisionedDatasource {
  name: string;
  type: 'prometheus' | 'elasticsearch';
  uid: string;
  access: 'proxy';
  url: string;
  isDefault: boolean;
  editable: boolean;
  basicAuth?: boolean;
  basicAuthUser?: string;
  jsonData: Record<string, string | number | boolean>;
  /** Secret fields; only `$ENV_VAR` references, expanded by Grafana at start. */
  secureJsonData?: Record<string, string>;
}

/** provisioning/datasources/datasources.yaml. */
export interface DatasourcesFile {
  apiVersion: 1;
  datasources: ProvisionedDatasource[];
}

/** Where Prometheus is, for {@link datasourcesFile}. */
export interface PrometheusSource {
  /** In-cluster URL including the route prefix, e.g. `http://…:9090/prometheus`. */
  readonly url: string;
  /** Prometheus' scrape interval: Grafana's minimum step and the base of `$__rate_interval`. */
  readonly scrapeInterval: string;
}

/** Where Elasticsearch is and how to log in, for {@link datasourcesFile}. */
export interface ElasticsearchSource {
  /** In-cluster URL, e.g. `http://aiops-platform-elasticsearch.aiops-platform.svc.cluster.local:9200`. */
  readonly url: string;
  readonly username: string;
  /** Secret holding the password under {@link passwordKey}. */
  readonly secretName: string;
  readonly passwordKey: string;
  /** Index pattern of the logs, e.g. `logs-*`. */
  readonly indexPattern: string;
}

/**
 * datasources.yaml: Prometheus (uid `prometheus`, the default, POST queries, its scrape interval as
 * the minimum step) and, when given, Elasticsearch (uid `elasticsearch`, basic auth whose password
 * is `$ES_PASSWORD`, an environment variable from the Secret).
 */
export function datasourcesFile(prometheus: PrometheusSource | undefined, elasticsearch: ElasticsearchSource | undefined): DatasourcesFile {
  const datasources: ProvisionedDatasource[] = [];
  if (prometheus) {
    datasources.push({
      name: 'Prometheus',
      type: 'prometheus',
      uid: PROMETHEUS_DATASOURCE_UID,
      access: 'proxy',
      url: prometheus.url,
      isDefault: true,
      editable: false,
      jsonData: { httpMethod: 'POST', timeInterval: prometheus.scrapeInterval, prometheusType: 'Prometheus' },
    });
  }
  if (elasticsearch) {
    datasources.push({
      name: 'Elasticsearch',
      type: 'elasticsearch',
      uid: ELASTICSEARCH_DATASOURCE_UID,
      access: 'proxy',
      url: elasticsearch.url,
      isDefault: !prometheus,
      editable: false,
      basicAuth: true,
      basicAuthUser: elasticsearch.username,
      jsonData: { index: elasticsearch.indexPattern, timeField: '@timestamp', logMessageField: 'message', maxConcurrentShardRequests: 5 },
      secureJsonData: { basicAuthPassword: `$${ES_PASSWORD_ENV}` },
    });
  }
  return { apiVersion: 1, datasources };
}

/** provisioning/dashboards/dashboards.yaml (apiVersion 1). */
export interface DashboardProvidersFile {
  apiVersion: 1;
  providers: {
    name: string;
    orgId: number;
    folder: string;
    folderUid: string;
    type: 'file';
    disableDeletion: boolean;
    allowUiUpdates: boolean;
    updateIntervalSeconds: number;
    options: { path: string; foldersFromFilesStructure: boolean };
  }[];
}

/** One file provider: the mounted dashboards, read-only, in the folder "AIOps Platform". */
export function dashboardProvidersFile(): DashboardProvidersFile {
  return {
    apiVersion: 1,
    providers: [
      {
        name: 'aiops-platform',
        orgId: 1,
        folder: 'AIOps Platform',
        folderUid: 'aiops-platform',
        type: 'file',
        disableDeletion: true,
        allowUiUpdates: false,
        updateIntervalSeconds: 60,
        options: { path: GRAFANA_DASHBOARDS_DIR, foldersFromFilesStructure: false },
      },
    ],
  };
}
