import { jvmHeapMi, jvmHeapOptions } from '../../lib/jvm.js';
import { CATALOG } from '../../plan/catalog.js';
import type { Values } from '../../values/schema/index.js';
import type { SnapshotRepository } from '../../plan/logging.js';
import { ELASTICSEARCH_MIN_HEAP_MI } from '../../values/schema/elasticsearch.js';

/** Home of Elasticsearch in the official image. */
export const ES_HOME = '/usr/share/elasticsearch';
/** The config directory: a writable copy of the image's (see {@link configCopyScript}). */
export const ES_CONFIG_DIR = `${ES_HOME}/config`;
/** Where the node's transport certificate, key and the CA certificate are, relative to the config directory. */
export const ES_CERTS_SUBDIR = 'certs';
/** HTTP port (named http). */
export const ES_HTTP_PORT = CATALOG.elasticsearch.port;
/** Transport port between nodes (named transport). */
export const ES_TRANSPORT_PORT = CATALOG.elasticsearch.transportPort;
/** Where every node mounts the fs snapshot repository's volume (`path.repo`). */
export const ES_SNAPSHOTS_DIR = `${ES_HOME}/snapshots`;
/** Environment variables the config refers to (`${NODE_NAME}`, `${POD_IP}`), set from the downward API. */
export const NODE_NAME_ENV = 'NODE_NAME';
export const POD_IP_ENV = 'POD_IP';
/** The official image sets the `elastic` bootstrap password from this variable (its keystore's bootstrap.password). */
export const ELASTIC_PASSWORD_ENV = 'ELASTIC_PASSWORD';

/** Largest heap that keeps compressed object pointers, in MiB (31 GiB). */
const MAX_HEAP_MI = 31 * 1024;

/** The settings of elasticsearch.yml the chart writes (flat dotted keys, as Elasticsearch accepts them). */
export interface ElasticsearchYml {
  'cluster.name': string;
  'node.name': string;
  'network.host': string;
  'network.publish_host': string;
  'http.port': number;
  'transport.port': number;
  'path.data': string;
  'discovery.type'?: 'single-node';
  'discovery.seed_hosts'?: string[];
  'node.store.allow_mmap'?: boolean;
  'xpack.security.enabled': boolean;
  'xpack.security.http.ssl.enabled'?: boolean;
  'xpack.security.transport.ssl.enabled'?: boolean;
  'xpack.security.transport.ssl.verification_mode'?: 'full' | 'certificate';
  'xpack.security.transport.ssl.key'?: string;
  'xpack.security.transport.ssl.certificate'?: string;
  'xpack.security.transport.ssl.certificate_authorities'?: string[];
  /** The fs snapshot repository's location ({@link ES_SNAPSHOTS_DIR}). */
  'path.repo'?: string[];
  /** The s3 repository's client (endpoint, protocol, path_style_access, region); its keys are in the keystore. */
  [s3ClientSetting: `s3.client.${string}`]: string | boolean;
}

/** What elasticsearch.yml depends on besides values. */
export interface ElasticsearchYmlOptions {
  /** Cluster name (the release). */
  readonly clusterName: string;
  /** Number of nodes (one: single-node discovery). */
  readonly nodes: number;
  /** FQDN of the headless Service: the seed host that resolves to every pod, ready or not. */
  readonly seedHost: string;
  /** TLS on the transport layer (security on and more than one node). */
  readonly transportTls: boolean;
  /** The snapshot repository (default none). */
  readonly snapshots?: SnapshotRepository | undefined;
}

/**
 * elasticsearch.yml (no secret in it). One node: single-node discovery. N nodes: the headless
 * Service as seed host; `cluster.initial_master_nodes` is not here but set by the start script for
 * the first bootstrap only (see startScript in elasticsearch-node-scripts.ts). Binds 0.0.0.0 (loopback included, for the probes and the
 * exporter; pod IPs are not always site-local) and publishes the pod IP, which the node's transport
 * certificate names. HTTP stays plain inside the cluster (basic auth when security is on).
 * Without the privileged sysctl init container, mmap is off, so the vm.max_map_count bootstrap check does not apply.
 */
export function elasticsearchYml(values: Values['elasticsearch'], o: ElasticsearchYmlOptions): ElasticsearchYml {
  const certs = (file: string) => `${ES_CERTS_SUBDIR}/${file}`;
  return {
    'cluster.name': o.clusterName,
    'node.name': `\${${NODE_NAME_ENV}}`,
    'network.host': '0.0.0.0',
    'network.publish_host': `\${${POD_IP_ENV}}`,
    'http.port': ES_HTTP_PORT,
    'transport.port': ES_TRANSPORT_PORT,
    'path.data': `${ES_HOME}/data`,
    ...(o.nodes === 1
      ? { 'discovery.type': 'single-node' as const }
      : { 'discovery.seed_hosts': [o.seedHost] }),
    ...(values.sysctlInitContainer.enabled ? {} : { 'node.store.allow_mmap': false }),
    'xpack.security.enabled': values.auth.enabled,
    ...(values.auth.enabled ? { 'xpack.security.http.ssl.enabled': false } : {}),
    ...(o.transportTls
      ? {
          'xpack.security.transport.ssl.enabled': true,
          'xpack.security.transport.ssl.verification_mode': 'full' as const,
          'xpack.security.transport.ssl.key': certs('node.key'),
          'xpack.security.transport.ssl.certificate': certs('node.crt'),
          'xpack.security.transport.ssl.certificate_authorities': [certs('ca.crt')],
        }
      : {}),
    ...snapshotSettings(o.snapshots),
  };
}

/**
 * The node settings of the snapshot repository: `path.repo` for fs; for s3 the client's endpoint,
 * protocol, path-style access and region (its access and secret keys go into the keystore, see
 * keystoreSettings). Every value was checked by the schema for what S3 accepts, which leaves no
 * `${…}` for Elasticsearch to expand.
 */
function snapshotSettings(repository: SnapshotRepository | undefined): Partial<ElasticsearchYml> {
  if (!repository) return {};
  if (repository.values.type === 'fs') return { 'path.repo': [ES_SNAPSHOTS_DIR] };
  const s3 = repository.values.s3;
  const client = `s3.client.${repository.s3Client}` as const;
  return {
    ...(s3.endpoint ? { [`${client}.endpoint`]: s3.endpoint } : {}),
    [`${client}.protocol`]: s3.protocol,
    [`${client}.path_style_access`]: s3.pathStyleAccess,
    ...(s3.region ? { [`${client}.region`]: s3.region } : {}),
  };
}

/** A secure setting the start script adds to the keystore from an environment variable (set from a Secret). */
export interface KeystoreSetting {
  readonly setting: string;
  readonly env: string;
}

/** The s3 client's access and secret keys, from the Secret `s3.existingSecret` through these variables. */
export function keystoreSettings(repository: SnapshotRepository | undefined): KeystoreSetting[] {
  if (repository?.values.type !== 's3') return [];
  return [
    { setting: `s3.client.${repository.s3Client}.access_key`, env: 'S3_ACCESS_KEY' },
    { setting: `s3.client.${repository.s3Client}.secret_key`, env: 'S3_SECRET_KEY' },
  ];
}

/**
 * JVM heap in MiB: `heapSize` when set; else half the memory limit (the request without a
 * limit), at least {@link ELASTICSEARCH_MIN_HEAP_MI} and at most 31 GiB, above which the JVM loses
 * compressed object pointers. The other half is left to Lucene's file cache and off-heap memory.
 */
export function elasticsearchHeapMi(values: Pick<Values['elasticsearch'], 'heapSize' | 'resources'>): number {
  return jvmHeapMi(values.resources, values.heapSize, { minMi: ELASTICSEARCH_MIN_HEAP_MI, maxMi: MAX_HEAP_MI }, 'elasticsearch');
}

/**
 * ES_JAVA_OPTS: the heap (-Xms = -Xmx), and the JVM's own logs on stderr instead of the rotating
 * GC log files in logs/ (up to 2 GiB on an ephemeral volume; GC activity is in the exporter's
 * metrics), as Elastic documents for containers.
 */
export function elasticsearchJavaOpts(values: Pick<Values['elasticsearch'], 'heapSize' | 'resources'>): string {
  return `${jvmHeapOptions(elasticsearchHeapMi(values))} -Xlog:disable -Xlog:all=warning:stderr:utctime,level,tags`;
}
