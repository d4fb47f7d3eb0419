import { keyValueConfFile, type ConfValue } from '../../lib/config-files.js';
import { parseQuantity } from '../../core/quantity.js';
import { CATALOG } from '../../plan/catalog.js';
import type { Values } from '../../values/schema/index.js';

/** uid/gid of the `redis` user in the official image. */
export const REDIS_UID = 999;
/** Client port of every Redis node. */
export const REDIS_PORT = CATALOG.redis.port;
/** Cluster bus port (client port + 10000, Redis' fixed offset). */
export const REDIS_BUS_PORT = CATALOG.redis.busPort;
/** Directory of the mounted ConfigMap with redis.conf. */
export const REDIS_CONF_DIR = '/etc/redis';
/** Data directory: AOF files and, in cluster mode, nodes.conf. */
export const REDIS_DATA_DIR = '/data';
/** Directory of the in-memory volume that holds the generated auth.conf. */
export const REDIS_RUN_DIR = '/run/redis';
/** The file with requirepass/masterauth, written at pod start from the Secret, never in a ConfigMap. */
export const REDIS_AUTH_FILE = `${REDIS_RUN_DIR}/auth.conf`;

const LOG_LEVELS: Record<Values['global']['logLevel'], string> = { debug: 'debug', info: 'notice', warn: 'warning', error: 'warning' };

/** Share of the memory limit given to the dataset; the rest covers fork copy-on-write, buffers and fragmentation. */
const MAXMEMORY_SHARE = 0.8;

/** `maxmemory` in bytes: 80 % of the memory limit (of the memory request when no limit is set). */
function redisMaxMemoryBytes(resources: Values['redis']['resources']): number {
  const memory = resources.limits.memory ?? resources.requests.memory!;
  const bytes = parseQuantity(memory);
  if (bytes === undefined) throw new Error(`redis.resources memory "${memory}" is not a Kubernetes quantity: use e.g. 512Mi`);
  return Math.floor(bytes * MAXMEMORY_SHARE);
}

/**
 * redis.conf from values. Holds no secret: with auth on it ends with `include` of the auth.conf
 * that {@link redisAuthScript} writes at pod start. Cluster mode adds the cluster settings; the
 * announced IP is passed on the command line (it changes with every pod).
 */
export function redisConf(values: Values['redis'], logLevel: Values['global']['logLevel']): string {
  const auth = values.auth.enabled;
  const entries: [string, ConfValue][] = [
    ['port', REDIS_PORT],
    ['bind', ['*', '-::*']],
    // Without a password Redis refuses remote clients unless protected mode is off.
    ['protected-mode', auth],
    ['dir', REDIS_DATA_DIR],
    ['appendonly', true],
    ['appendfsync', 'everysec'],
    // RDB snapshots off: the AOF (with its RDB preamble on rewrite) is the persistence; snapshots
    // would fork and write the whole dataset a second time, against the same memory budget.
    ['save', ''],
    ['maxmemory', redisMaxMemoryBytes(values.resources)],
    // Cache semantics in both modes: evict the least recently used key rather than refuse writes.
    ['maxmemory-policy', 'allkeys-lru'],
    ['tcp-keepalive', 60],
    ['loglevel', LOG_LEVELS[logLevel]],
  ];
  if (values.cluster.enabled) {
    entries.push(
      ['cluster-enabled', true],
      ['cluster-config-file', `${REDIS_DATA_DIR}/nodes.conf`],
      ['cluster-node-timeout', 5000],
      ['cluster-require-full-coverage', false],
      ['cluster-allow-reads-when-down', false],
      // A cache: a replica always takes over a failed master, however long it was cut off from it.
      // With the default (10) a replica that restarted with the whole cluster never counts as
      // recent enough, so a master that stays down after a full restart keeps its slots down.
      ['cluster-replica-validity-factor', 0],
    );
  }
  if (auth) entries.push(['include', REDIS_AUTH_FILE]);
  return keyValueConfFile(entries);
}
