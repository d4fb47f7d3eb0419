import { LOG_LEVEL_PATH } from '../../core/log-level.js';
import type { SnapshotRepository } from '../../plan/logging.js';
import { SNAPSHOT_MANAGER, type ElasticsearchConnection } from './connection.js';
import { ES_SNAPSHOTS_DIR } from './elasticsearch-config.js';

/** Name of the ILM policy and of the composable index template of the platform's log indices. */
const LOG_POLICY_NAME = 'aiops-logs';
/**
 * Index template priority above every built-in template (Elastic's guidance for custom templates is
 * above 500). The prefix `aiops-logs` matches no built-in pattern (unlike `logs-*-*`, which would
 * make an early write create a data stream), so this is only a safeguard.
 */
const LOG_TEMPLATE_PRIORITY = 501;
/** Where the setup ConfigMap (scripts and request bodies) is mounted. */
export const SETUP_CONFIG_DIR = '/etc/elasticsearch-setup';
/** In-memory scratch directory: curl config with the elastic password, bodies with passwords, responses. */
export const SETUP_WORK_DIR = '/run/elasticsearch-setup';
/** Environment variables of the script's passwords, keyed like {@link ElasticsearchConnection.keys}. */
export const SETUP_PASSWORD_ENV = {
  elastic: 'ELASTIC_PASSWORD', kibanaSystem: 'KIBANA_SYSTEM_PASSWORD', logstashWriter: 'LOGSTASH_WRITER_PASSWORD', logsReader: 'LOGS_READER_PASSWORD', metricsReader: 'METRICS_READER_PASSWORD',
} as const satisfies Record<keyof ElasticsearchConnection['keys'], string>;
/** Environment variable of the snapshot_manager password (snapshots and security on only). */
export const SNAPSHOT_MANAGER_PASSWORD_ENV = 'SNAPSHOT_MANAGER_PASSWORD';

/**
 * Cluster privileges of the snapshot CronJob's user: `create_snapshot` (create snapshots in the
 * registered repositories, list and inspect them) and the one action that deletes a snapshot,
 * which no named privilege short of `manage` grants. No index privilege: a snapshot reads the
 * shards as a cluster action.
 */
const SNAPSHOT_CLUSTER_PRIVILEGES = ['create_snapshot', 'cluster:admin/snapshot/delete'] as const;

/** The cluster actions Grafana's Elasticsearch datasource calls: health check and cluster info (Elasticsearch accepts action names as cluster privileges). */
const GRAFANA_CLUSTER_ACTIONS = ['cluster:monitor/health', 'cluster:monitor/main'] as const;

type Meta = { managed_by: string };
type IlmPhase<Actions> = { min_age: string; actions: Actions };
type FieldMapping = { type: 'date' | 'text' | 'keyword'; ignore_above?: number } | { properties: Record<string, FieldMapping> };

/** `PUT _ilm/policy/<name>`: daily indices (no rollover), deleted `retentionDays` after their creation. */
interface IlmPolicyBody {
  policy: { _meta: Meta; phases: { hot: IlmPhase<{ set_priority: { priority: number } }>; delete: IlmPhase<{ delete: Record<string, never> }> } };
}

/** `PUT _index_template/<name>` (composable; no `data_stream`, so matching indices are plain indices). */
interface IndexTemplateBody {
  index_patterns: string[];
  priority: number;
  template: {
    settings: { index: { lifecycle: { name: string }; number_of_shards: number; number_of_replicas: number } };
    mappings: {
      dynamic_templates: Record<string, { path_match: string; match_mapping_type: 'string'; mapping: FieldMapping }>[];
      properties: Record<string, FieldMapping>;
    };
  };
  _meta: Meta;
}

/** `PUT _snapshot/<name>`: the repository, verified on every node when registered. */
type RepositoryBody =
  | { type: 'fs'; settings: { location: string; compress: boolean } }
  | { type: 's3'; settings: { bucket: string; client: string; base_path?: string; compress: boolean } };

/** `PUT _security/role/<name>`. */
interface RoleBody { cluster: string[]; indices: { names: string[]; privileges: string[] }[]; metadata: Meta }
/** `PUT _security/user/<name>` without its password, which the script adds from the Secret at run time. */
interface UserBodyWithoutPassword { roles: string[]; full_name: string; enabled: boolean; metadata: Meta }

/** One idempotent API call of the setup script; `passwordEnv` adds `"password": $<env>` to the body at run time. */
export interface SetupRequest {
  readonly method: 'PUT' | 'POST';
  readonly path: string;
  /** The body's file in the ConfigMap. */
  readonly file: string;
  readonly body: IlmPolicyBody | IndexTemplateBody | RoleBody | UserBodyWithoutPassword | RepositoryBody | Record<string, never>;
  readonly passwordEnv?: string;
}

/** What the setup applies. */
export interface SetupOptions {
  readonly connection: ElasticsearchConnection;
  /** Delete log indices this many days after their creation. */
  readonly retentionDays: number;
  /** Elasticsearch nodes: the template asks for one replica when there is a second node to hold it. */
  readonly nodes: number;
  /** Name of the CronJob, recorded as `managed_by` in every object the setup owns. */
  readonly managedBy: string;
}

const keyword: FieldMapping = { type: 'keyword', ignore_above: 1024 };
const named: FieldMapping = { properties: { name: keyword } };

/**
 * The requests, in order: ILM policy, index template, then (security on) the kibana_system password
 * and the logstash_writer role and user, last, so Logstash cannot write before the template exists.
 */
export function setupRequests(o: SetupOptions): SetupRequest[] {
  const meta: Meta = { managed_by: o.managedBy };
  const pattern = `${o.connection.indexPrefix}-*`;
  const { kibana, logstash, logsReader, metricsReader } = o.connection.users;
  const ilmPolicy: IlmPolicyBody = {
    policy: {
      _meta: meta,
      phases: { hot: { min_age: '0ms', actions: { set_priority: { priority: 100 } } }, delete: { min_age: `${o.retentionDays}d`, actions: { delete: {} } } },
    },
  };
  const indexTemplate: IndexTemplateBody = {
    index_patterns: [pattern],
    priority: LOG_TEMPLATE_PRIORITY,
    template: {
      settings: { index: { lifecycle: { name: LOG_POLICY_NAME }, number_of_shards: 1, number_of_replicas: Math.min(1, o.nodes - 1) } },
      mappings: {
        // Kubernetes metadata (labels, owner names…) is for filtering and aggregating: keywords, not text.
        dynamic_templates: [{ kubernetes_strings: { path_match: 'kubernetes.*', match_mapping_type: 'string', mapping: keyword } }],
        properties: {
          '@timestamp': { type: 'date' },
          message: { type: 'text' },
          // log.level: the level the Logstash pipeline parses (lowercase words: log-level-rules.ts), for filtering.
          [LOG_LEVEL_PATH[0]]: { properties: { [LOG_LEVEL_PATH[1]]: keyword } },
          kubernetes: { properties: { namespace: keyword, node: named, pod: named, container: named } },
        },
      },
    },
    _meta: meta,
  };
  const requests: SetupRequest[] = [
    { method: 'PUT', path: `/_ilm/policy/${LOG_POLICY_NAME}`, file: 'ilm-policy.json', body: ilmPolicy },
    { method: 'PUT', path: `/_index_template/${LOG_POLICY_NAME}`, file: 'index-template.json', body: indexTemplate },
  ];
  const snapshots = o.connection.snapshots ? snapshotRequests(o.connection.snapshots, o.connection.authEnabled, meta) : [];
  if (!o.connection.authEnabled) return [...requests, ...snapshots];
  // Least privilege for Logstash's elasticsearch output with manage_template and ILM off: `monitor`
  // for its version and license checks (GET /, GET /_license); `create_index` for the first event of
  // each day; `create` to index (bulk) without update or delete; `auto_configure` for dynamic
  // mapping updates. No manage_ilm: the template assigns the policy, which ILM runs as its owner.
  const role: RoleBody = {
    cluster: ['monitor'],
    indices: [{ names: [pattern], privileges: ['create_index', 'create', 'auto_configure'] }],
    metadata: meta,
  };
  const user: UserBodyWithoutPassword = { roles: [logstash], full_name: 'Logstash writer of the platform logs', enabled: true, metadata: meta };
  // Grafana's log datasource: its health check is GET /_cluster/health (cluster:monitor/health) and
  // it reads the cluster's version and build flavour from GET / (cluster:monitor/main); its panels
  // search (read) and list fields (view_index_metadata). Those two cluster actions rather than the
  // whole `monitor` privilege (node stats, tasks, every index's settings through the cluster state).
  const readerRole: RoleBody = {
    cluster: [...GRAFANA_CLUSTER_ACTIONS],
    indices: [{ names: [pattern], privileges: ['read', 'view_index_metadata'] }],
    metadata: meta,
  };
  const reader: UserBodyWithoutPassword = { roles: [logsReader], full_name: 'Read-only reader of the platform logs', enabled: true, metadata: meta };
  // The exporter reads cluster health, node and index statistics: the monitor privileges only.
  const metricsRole: RoleBody = { cluster: ['monitor'], indices: [{ names: ['*'], privileges: ['monitor'] }], metadata: meta };
  const metrics: UserBodyWithoutPassword = { roles: [metricsReader], full_name: 'Prometheus exporter of the cluster', enabled: true, metadata: meta };
  return [
    ...requests,
    { method: 'PUT', path: `/_security/role/${metricsReader}`, file: 'metrics-reader-role.json', body: metricsRole },
    { method: 'PUT', path: `/_security/user/${metricsReader}`, file: 'metrics-reader-user.json', body: metrics, passwordEnv: SETUP_PASSWORD_ENV.metricsReader },
    { method: 'POST', path: `/_security/user/${kibana}/_password`, file: 'kibana-system-user.json', body: {}, passwordEnv: SETUP_PASSWORD_ENV.kibanaSystem },
    { method: 'PUT', path: `/_security/role/${logsReader}`, file: 'logs-reader-role.json', body: readerRole },
    { method: 'PUT', path: `/_security/user/${logsReader}`, file: 'logs-reader-user.json', body: reader, passwordEnv: SETUP_PASSWORD_ENV.logsReader },
    { method: 'PUT', path: `/_security/role/${logstash}`, file: 'logstash-writer-role.json', body: role },
    { method: 'PUT', path: `/_security/user/${logstash}`, file: 'logstash-writer-user.json', body: user, passwordEnv: SETUP_PASSWORD_ENV.logstashWriter },
    ...snapshots,
  ];
}

/** The body that registers the snapshot repository. */
export function repositoryBody(repository: SnapshotRepository): RepositoryBody {
  const v = repository.values;
  if (v.type === 'fs') return { type: 'fs', settings: { location: ES_SNAPSHOTS_DIR, compress: true } };
  return { type: 's3', settings: { bucket: v.s3.bucket, client: repository.s3Client, ...(v.s3.basePath ? { base_path: v.s3.basePath } : {}), compress: true } };
}

/**
 * Last, so a repository that cannot be verified (an unreachable bucket) fails the setup only after
 * the log users exist: the repository (PUT is idempotent: it replaces the settings), then with
 * security on the snapshot_manager role and user.
 */
function snapshotRequests(repository: SnapshotRepository, auth: boolean, meta: Meta): SetupRequest[] {
  const register: SetupRequest = { method: 'PUT', path: `/_snapshot/${repository.values.repository}`, file: 'snapshot-repository.json', body: repositoryBody(repository) };
  if (!auth) return [register];
  const role: RoleBody = { cluster: [...SNAPSHOT_CLUSTER_PRIVILEGES], indices: [], metadata: meta };
  const user: UserBodyWithoutPassword = { roles: [SNAPSHOT_MANAGER.user], full_name: 'Snapshot CronJob of the platform backups', enabled: true, metadata: meta };
  return [
    register,
    { method: 'PUT', path: `/_security/role/${SNAPSHOT_MANAGER.user}`, file: 'snapshot-manager-role.json', body: role },
    { method: 'PUT', path: `/_security/user/${SNAPSHOT_MANAGER.user}`, file: 'snapshot-manager-user.json', body: user, passwordEnv: SNAPSHOT_MANAGER_PASSWORD_ENV },
  ];
}
