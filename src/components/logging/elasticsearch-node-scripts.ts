import { shellQuote, shellScript } from '../../lib/shell-scripts.js';
import { ELASTIC_PASSWORD_ENV, ES_CONFIG_DIR, ES_HOME, ES_HTTP_PORT, type KeystoreSetting } from './elasticsearch-config.js';

/** Where the Elasticsearch container mounts its scripts (from the ConfigMap, read-only). */
export const ES_SCRIPTS_DIR = `${ES_HOME}/aiops-scripts`;
/** The start script (the container's args) and the readiness probe script, files of the ConfigMap. */
export const START_SCRIPT = 'start.sh';
export const READINESS_SCRIPT = 'readiness.sh';
/** The image's entrypoint behind tini; `eswrapper` makes it start Elasticsearch (any other argument is run instead). */
export const IMAGE_ENTRYPOINT = '/usr/local/bin/docker-entrypoint.sh';
/**
 * The environment variable the image turns into `cluster.initial_master_nodes` (Docker builds read
 * `ES_SETTING_<NAME>`, `_` for `.` and `__` for `_`; unlike `cluster.initial_master_nodes=…`, a name
 * every shell passes on).
 */
const INITIAL_MASTER_NODES_ENV = 'ES_SETTING_CLUSTER_INITIAL__MASTER__NODES';
/**
 * Marker of the first readiness of the running container: until it exists, readiness waits for the
 * cluster's health. In /tmp (an emptyDir that outlives a container restart), so {@link startScript}
 * removes it at every start.
 */
export const READY_MARKER = '/tmp/elasticsearch-ready-once';
/**
 * Marker, on the data volume, that this node has been part of a formed cluster (a master answered).
 * Written by the readiness probe; with it the node starts without `cluster.initial_master_nodes`.
 */
export const CLUSTER_FORMED_MARKER = `${ES_HOME}/data/.aiops-cluster-formed`;

/**
 * The container's start: removes {@link READY_MARKER}, then runs the image's entrypoint. With more
 * than one node, `cluster.initial_master_nodes` (every pod name) is set, through
 * {@link INITIAL_MASTER_NODES_ENV}, only while the data volume has no {@link CLUSTER_FORMED_MARKER}:
 * the first bootstrap of the cluster. Elastic's guidance: the setting must not stay once the cluster
 * has formed (Elasticsearch warns at every start, and a node with an empty volume could bootstrap a
 * second cluster). The marker is written once the node has seen an elected master, not when its
 * data path was first used: a node that crashed before the cluster first formed keeps the setting,
 * so a cluster whose pods all restarted before forming still bootstraps.
 */
export function startScript(initialMasterNodes: readonly string[], keystore: readonly KeystoreSetting[] = []): string {
  const start = `exec ${IMAGE_ENTRYPOINT} eswrapper`;
  const bootstrap =
    initialMasterNodes.length > 1
      ? [
          `if [ -f ${shellQuote(CLUSTER_FORMED_MARKER)} ]; then`,
          '  echo "this node has been part of the formed cluster: starting without cluster.initial_master_nodes"',
          `  ${start}`,
          'fi',
          `echo ${shellQuote(`first bootstrap of the cluster: starting with cluster.initial_master_nodes=${initialMasterNodes.join(',')}`)}`,
          `export ${INITIAL_MASTER_NODES_ENV}=${shellQuote(initialMasterNodes.join(','))}`,
          start,
        ]
      : [start];
  const what = initialMasterNodes.length > 1 ? '; the initial master nodes for the first bootstrap only' : ' (single-node discovery)';
  return shellScript(`Starts Elasticsearch through the image entrypoint${what}.`, [
    `rm -f ${shellQuote(READY_MARKER)}`,
    ...keystoreLines(keystore),
    ...bootstrap,
  ]);
}

/**
 * Adds secure settings to the keystore from environment variables (set from a Secret), then unsets
 * them, so the Elasticsearch process does not carry them. The config directory (and with it the
 * keystore) is a fresh copy of the image's at every pod start, and each start adds the current
 * values (`--force` replaces), so a changed Secret takes effect with the next restart of the
 * nodes (`kubectl rollout restart statefulset/<release>-elasticsearch`). The values go through
 * stdin, never a command line; the image's entrypoint adds the bootstrap password to the same keystore.
 */
function keystoreLines(keystore: readonly KeystoreSetting[]): string[] {
  if (keystore.length === 0) return [];
  const tool = shellQuote(`${ES_HOME}/bin/elasticsearch-keystore`);
  return [
    `[ -f ${shellQuote(`${ES_CONFIG_DIR}/elasticsearch.keystore`)} ] || ${tool} create`,
    ...keystore.flatMap(({ setting, env }) => [
      `[ -n "\${${env}:-}" ] || { echo ${shellQuote(`${env} is empty: the Secret must hold the value of the secure setting ${setting}`)} >&2; exit 1; }`,
      `printf '%s' "$${env}" | ${tool} add --stdin --force ${shellQuote(setting)}`,
      `unset ${env}`,
    ]),
    `echo ${shellQuote(`keystore: ${keystore.map((k) => k.setting).join(', ')} added`)}`,
  ];
}

/** What {@link readinessScript} depends on. */
export interface ReadinessOptions {
  /** Security on: authenticate as `elastic` with the password from the environment. */
  readonly auth: boolean;
  /** The health the first readiness waits for: green, or yellow for a single node (its replicas can never be assigned). */
  readonly firstStatus: 'green' | 'yellow';
}

/**
 * Readiness, as Elastic's Helm chart does it: until the container has been ready once, the cluster
 * must report `firstStatus` (`wait_for_status`, 1 s); then only this node's own answer to
 * `_cluster/health?local=true` counts. So a restarted node is ready, and a rolling restart or a
 * drain takes the next node, only once its shards have recovered; and a cluster that turns red
 * later does not take every node out of its Services. Any answer of a master (200, or 408 when the
 * colour is not reached) also writes {@link CLUSTER_FORMED_MARKER}. The password is read from the
 * environment inside the shell (not in the pod spec), and curl hides `-u` from the process list.
 */
export function readinessScript(o: ReadinessOptions): string {
  const user = o.auth ? ` -u "elastic:\${${ELASTIC_PASSWORD_ENV}}"` : '';
  return shellScript('Readiness of the Elasticsearch node: the cluster health once after every start, then the local node.', [
    `url=http://127.0.0.1:${ES_HTTP_PORT}`,
    `ready=${shellQuote(READY_MARKER)}`,
    `formed=${shellQuote(CLUSTER_FORMED_MARKER)}`,
    '# status PATH: the HTTP status of GET PATH on this node (000 when it does not answer).',
    `status() { curl -s -o /dev/null -w '%{http_code}' --max-time 3${user} "$url$1" || true; }`,
    ...(o.auth
      ? ['# A 401: the Secret\'s elastic password is not the cluster\'s (Elasticsearch takes it at its first start only).', 'refused() { [ "$1" != 401 ] || echo "the elastic password of the Secret is refused: Elasticsearch takes it at its first start only"; }']
      : ['refused() { :; }']),
    'if [ -f "$ready" ]; then',
    `  code=$(status '/_cluster/health?local=true')`,
    '  [ "$code" = 200 ] || { echo "the node answers its local health with HTTP $code"; refused "$code"; exit 1; }',
    '  exit 0',
    'fi',
    `code=$(status '/_cluster/health?wait_for_status=${o.firstStatus}&timeout=1s&master_timeout=1s')`,
    'case "$code" in',
    '  200|408) [ -f "$formed" ] || : > "$formed" ;;',
    'esac',
    'if [ "$code" = 200 ]; then',
    '  : > "$ready"',
    '  exit 0',
    'fi',
    `echo "first readiness waits for ${o.firstStatus} cluster health (HTTP $code)"`,
    'refused "$code"',
    'exit 1',
  ]);
}

/**
 * Init-container script: replaces the writable config volume's content with the image's config
 * directory (jvm.options, log4j2.properties, …). Elasticsearch writes its keystore there at start,
 * so the directory must be writable while the root file system stays read-only.
 */
export function configCopyScript(target: string): string {
  return shellScript("Copies the image's config directory into the writable config volume.", [
    `find ${target} -mindepth 1 -delete`,
    `cp -R ${ES_CONFIG_DIR}/. ${target}/`,
    `chmod -R u+w ${target}`,
  ]);
}

/** The vm.max_map_count Elasticsearch requires when it memory-maps its indices. */
export const MAX_MAP_COUNT = 262144;

/**
 * Privileged init-container script: raises the node's vm.max_map_count to {@link MAX_MAP_COUNT}
 * (what `sysctl -w` does, through /proc/sys, which needs no sysctl binary in the image); never
 * lowers a higher value set by the node's administrator.
 */
export function maxMapCountScript(): string {
  return shellScript(`Raises vm.max_map_count to ${MAX_MAP_COUNT} unless it is higher already.`, [
    'current=$(cat /proc/sys/vm/max_map_count)',
    `if [ "$current" -lt ${MAX_MAP_COUNT} ]; then`,
    `  echo ${MAX_MAP_COUNT} > /proc/sys/vm/max_map_count`,
    'fi',
    'echo "vm.max_map_count = $(cat /proc/sys/vm/max_map_count)"',
  ]);
}
