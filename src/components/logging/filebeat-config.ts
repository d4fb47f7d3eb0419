import { yamlFile } from '../../lib/config-files.js';
import type { Values } from '../../values/schema/index.js';

/** The `container` parser of a filestream input: CRI and Docker JSON log lines to plain messages. */
interface ContainerParser {
  container: { stream: 'all' | 'stdout' | 'stderr'; format: 'auto' | 'docker' | 'cri' };
}

/** The `add_kubernetes_metadata` processor: pod, namespace and node metadata by container id. */
interface AddKubernetesMetadata {
  add_kubernetes_metadata: {
    /** The node whose pods are watched (scope node). */
    host: string;
    /** The container id comes from the log file name under this path. */
    matchers: { logs_path: { logs_path: string } }[];
    /** Deployment and CronJob names would need cluster-wide ReplicaSet and Job watchers. */
    add_resource_metadata: { deployment: boolean; cronjob: boolean };
    /** Cluster name from kube-system/kubeadm-config (needs a Role there). */
    use_kubeadm: boolean;
  };
}

/** A `filestream` input (the `container` input is a preset of the `log` input, deprecated since 7.16). */
export interface FilestreamInput {
  type: 'filestream';
  /** Unique per input: the registry keys its file states by it. */
  id: string;
  paths: string[];
  /** /var/log/containers/*.log are symlinks to /var/log/pods/…; filestream skips symlinks otherwise. */
  'prospector.scanner.symlinks': boolean;
  /** Regular expressions of paths not to read. */
  'prospector.scanner.exclude_files': string[];
  parsers: ContainerParser[];
  processors: AddKubernetesMetadata[];
}

/** filebeat.yml, as typed flat keys. */
export interface FilebeatConfig {
  'filebeat.inputs': FilestreamInput[];
  'path.data': string;
  'filebeat.registry.path': string;
  'http.enabled': boolean;
  'http.host': string;
  'http.port': number;
  'logging.level': 'debug' | 'info' | 'warning' | 'error';
  'output.logstash': {
    hosts: string[];
    /** Reconnect after this long, so connections spread over Logstash pods the HPA adds. */
    ttl: string;
    /** ttl works only with the synchronous client (no pipelining). */
    pipelining: number;
  };
}

/** The kubelet's per-container log symlinks: `<pod>_<namespace>_<container>-<container id>.log`. */
export const CONTAINER_LOGS = '/var/log/containers';

/** Filebeat's log level names for `global.logLevel` (Filebeat says warning, not warn). */
const LOG_LEVELS: Record<Values['global']['logLevel'], FilebeatConfig['logging.level']> = {
  debug: 'debug',
  info: 'info',
  warn: 'warning',
  error: 'error',
};

/** What {@link filebeatYml} needs. */
export interface FilebeatYmlOptions {
  readonly logstash: { readonly host: string; readonly port: number };
  readonly logLevel: Values['global']['logLevel'];
  /** Filebeat's data directory: the registry (read offsets) lives under it. */
  readonly dataDir: string;
  /** Port of the HTTP monitoring endpoint (probes). */
  readonly httpPort: number;
  /** Filebeat's own pods: DaemonSet name and namespace, whose logs are not shipped. */
  readonly self: { readonly name: string; readonly namespace: string };
}

/**
 * filebeat.yml: one filestream input over every container log of the node, with the container
 * parser and Kubernetes metadata, shipped to Logstash. The file identity is filestream's default
 * (inode and device), not the fingerprint, which leaves files under 1 KiB unread (short Jobs).
 * Filebeat's own logs are excluded: at debug level it logs every event it publishes, so shipping
 * those lines would feed each event back into the pipeline, growing without end. The HTTP
 * endpoint answers the kubelet's probes on the pod IP.
 */
export function filebeatYml(o: FilebeatYmlOptions): string {
  const ownLogs = `^${CONTAINER_LOGS}/${o.self.name}-[a-z0-9]+_${o.self.namespace}_filebeat-[0-9a-f]+\\.log$`;
  const config: FilebeatConfig = {
    'filebeat.inputs': [
      {
        type: 'filestream',
        id: 'kubernetes-container-logs',
        paths: [`${CONTAINER_LOGS}/*.log`],
        'prospector.scanner.symlinks': true,
        'prospector.scanner.exclude_files': [ownLogs],
        parsers: [{ container: { stream: 'all', format: 'auto' } }],
        processors: [
          {
            add_kubernetes_metadata: {
              host: '${NODE_NAME}',
              matchers: [{ logs_path: { logs_path: `${CONTAINER_LOGS}/` } }],
              add_resource_metadata: { deployment: false, cronjob: false },
              use_kubeadm: false,
            },
          },
        ],
      },
    ],
    'path.data': o.dataDir,
    'filebeat.registry.path': `${o.dataDir}/registry`,
    'http.enabled': true,
    'http.host': '0.0.0.0',
    'http.port': o.httpPort,
    'logging.level': LOG_LEVELS[o.logLevel],
    'output.logstash': { hosts: [`${o.logstash.host}:${o.logstash.port}`], ttl: '60s', pipelining: 0 },
  };
  return yamlFile(config);
}
