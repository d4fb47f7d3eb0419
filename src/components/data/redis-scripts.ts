import { shellQuote, shellScript } from '../../lib/shell-scripts.js';
import { REDIS_AUTH_FILE, REDIS_BUS_PORT, REDIS_PORT } from './redis-config.js';

// The scripts of the Redis pods: the password init container's and the cluster node's start.

/** Pause between two checks while some known node is not connected (a restart is being healed). */
const REDIS_HEAL_PAUSE_SECONDS = 1;
/** Pause between two checks while every known node is connected (one local CLUSTER NODES each time). */
const REDIS_IDLE_PAUSE_SECONDS = 10;
/** Bound on asking a peer for its node id (coreutils `timeout`). */
const ASK_TIMEOUT_SECONDS = 3;

/**
 * Start-up script of a Redis Cluster node: `sh -c <script> redis-cluster-start redis-server …`.
 * It starts, in the background, a loop that re-meets the peers of this node at their current pod
 * IPs, then execs its arguments (redis-server, which stays PID 1 and gets the signals).
 *
 * Why: every node keeps its peers' IPs in nodes.conf. When all pods restart at once they all get
 * new IPs, every node only knows stale addresses, nobody reaches anybody and the cluster stays
 * `fail` for good. (When one pod restarts, it still knows the others' addresses and gossip spreads
 * its new one; the loop covers that case too.)
 *
 * The loop, every {@link REDIS_HEAL_PAUSE_SECONDS} s while some node this node knows is not
 * connected (failing, disconnected or without address; else every {@link REDIS_IDLE_PAUSE_SECONDS} s):
 * resolves the headless Service (`getent ahostsv4`, `ahostsv6` when `$POD_IP` is IPv6: one A/AAAA
 * record per pod, not-ready pods included as the Service publishes them); for each address that no
 * node of this node's `CLUSTER NODES` has, asks the pod there for its node id (`CLUSTER MYID`) and,
 * only when this node already knows that id, sends `CLUSTER MEET <ip> <port> <bus port>`. Redis
 * then updates the known node's address (handshake with a known id). So:
 * - node ids, not host names or ordinals, decide who is who: IPs swapped between pods are fine;
 * - a pod that is not a member (a new pod before the cluster Job adds it, a node removed by hand)
 *   is never joined; a fresh node (nodes.conf knows only itself) does nothing;
 * - a node that starts while others are still down keeps trying: they are met when their pods get
 *   an IP; a node that stays down does not hold the others back.
 *
 * Not chosen: rewriting nodes.conf before redis-server starts (the Bitnami chart maps host names to
 * IPs and `sed`s them): it needs every peer's DNS record at that moment, so it blocks or stays stale
 * while other pods are still starting. `cluster-announce-hostname` with
 * `cluster-preferred-endpoint-type hostname` only changes what clients are told (MOVED, CLUSTER
 * SLOTS); the cluster bus still connects to the IPs in nodes.conf, so it does not heal a full
 * restart, and it would make every client (redis_exporter, the platform services) follow host-name
 * redirects. The nodes keep announcing their pod IP (`--cluster-announce-ip $(POD_IP)`).
 *
 * Needs `$POD_IP`, `$REDISCLI_AUTH` (with auth; redis-cli reads it, never on a command line),
 * redis-cli, getent, awk, sort, grep and timeout (all in the official image); writes no file.
 */
export function redisClusterStartScript(headlessHost: string): string {
  return shellScript('Re-meets cluster peers that restarted on new IPs (in the background), then starts redis-server.', [
    `peers=${shellQuote(headlessHost)}`,
    `port=${shellQuote(String(REDIS_PORT))}`,
    `bus=${shellQuote(String(REDIS_BUS_PORT))}`,
    `heal_pause=${shellQuote(String(REDIS_HEAL_PAUSE_SECONDS))}`,
    `idle_pause=${shellQuote(String(REDIS_IDLE_PAUSE_SECONDS))}`,
    `ask_timeout=${shellQuote(String(ASK_TIMEOUT_SECONDS))}`,
    'case "$POD_IP" in *:*) family=ahostsv6 ;; *) family=ahostsv4 ;; esac',
    '# heal: returns 0 when every node this node knows is connected; else re-meets the known nodes',
    '# found at addresses it does not know, and returns 1.',
    'heal() {',
    '  view=$(redis-cli -h "$POD_IP" -p "$port" cluster nodes 2>/dev/null) || return 1',
    "  printf '%s\\n' \"$view\" | awk '$3 !~ /myself/ && ($8 != \"connected\" || $3 ~ /fail|noaddr/) { bad = 1 } END { exit !bad }' || return 0",
    '  for ip in $(getent "$family" "$peers" | awk \'{ print $1 }\' | sort -u); do',
    '    [ "$ip" != "$POD_IP" ] || continue',
    '    # An address a node already has (maybe mid-handshake): its own link reconnects or corrects it.',
    "    if printf '%s\\n' \"$view\" | awk -v ip=\"$ip\" '{ a = $2; sub(/@.*/, \"\", a); sub(/:[0-9]*$/, \"\", a) } a == ip { f = 1 } END { exit !f }'; then continue; fi",
    '    # Bounded: an address of a pod being deleted may drop packets instead of refusing.',
    '    id=$(timeout "$ask_timeout" redis-cli -h "$ip" -p "$port" cluster myid 2>/dev/null) || continue',
    "    printf '%s\\n' \"$id\" | grep -Eqx '[0-9a-f]{40}' || continue",
    '    # Only a node this node knows: never joins a pod that is not a member.',
    "    printf '%s\\n' \"$view\" | awk -v id=\"$id\" '$1 == id && $3 !~ /myself/ { f = 1 } END { exit !f }' || continue",
    '    echo "redis-cluster-start: node $id is at $ip now: CLUSTER MEET"',
    '    redis-cli -h "$POD_IP" -p "$port" cluster meet "$ip" "$port" "$bus" >/dev/null || true',
    '  done',
    '  return 1',
    '}',
    'while :; do if heal; then sleep "$idle_pause"; else sleep "$heal_pause"; fi; done &',
    'exec "$@"',
  ]);
}

/**
 * Init-container script: writes {@link REDIS_AUTH_FILE} (mode 0600, in-memory volume) with
 * `requirepass` and `masterauth` from `$REDIS_PASSWORD` (a Secret key), quoted as a redis.conf
 * string (double quotes; backslash and double quote escaped). Refuses an empty password and one
 * with a line break, which redis.conf cannot hold.
 */
export function redisAuthScript(): string {
  return shellScript('Writes the Redis password into auth.conf, which redis.conf includes.', [
    'if [ -z "${REDIS_PASSWORD:-}" ]; then',
    '  echo "the Redis password (Secret key redis-password) is empty: set it in the credentials Secret" >&2',
    '  exit 1',
    'fi',
    "nl=$(printf '\\nx'); nl=${nl%x}",
    'case "$REDIS_PASSWORD" in',
    '  *"$nl"*) echo "the Redis password contains a line break, which redis.conf cannot hold: choose another" >&2; exit 1 ;;',
    'esac',
    "quoted=$(printf '%s' \"$REDIS_PASSWORD\" | sed 's/[\\\\\"]/\\\\&/g')",
    'umask 077',
    `printf 'requirepass "%s"\\nmasterauth "%s"\\n' "$quoted" "$quoted" > ${REDIS_AUTH_FILE}.tmp`,
    `chmod 0600 ${REDIS_AUTH_FILE}.tmp`,
    `mv -f ${REDIS_AUTH_FILE}.tmp ${REDIS_AUTH_FILE}`,
  ]);
}
