import { shellQuote, shellScript } from '../../lib/shell-scripts.js';
import { REDIS_PORT } from './redis-config.js';

/**
 * Script of the cluster Job: forms the Redis Cluster, then grows it to the desired hosts. Idempotent:
 * on a cluster that has exactly the desired nodes it changes nothing and exits 0.
 * 1. Waits until every host answers PING, resolves each to its IP (getent) and reads its node id
 *    (`cluster myid`; kept in nodes.conf, so it names a node across pod IP changes).
 * 2. Forms: node 0 reports `cluster_state:ok` → formed; node 0 knows other nodes → only waits for
 *    ok; else `redis-cli --cluster create` with one replica per master, then waits for ok.
 * 3. Shrinking is NOT automated: when node 0 knows nodes that are not desired hosts, the script
 *    lists them with the manual steps (`redis-cli --cluster reshard` their slots to the remaining
 *    masters, then `redis-cli --cluster del-node`, then lower `redis.cluster.nodes`) and exits 0
 *    without changing anything.
 * 4. Grows: every desired host that knows no other node is added with `redis-cli --cluster add-node`,
 *    once all nodes agree (same peers, `redis-cli --cluster check` passes): as the replica of a
 *    master that has none (the master added just before, so hosts join in pairs, and a run that
 *    stopped between the two completes the pair), else as an empty master.
 * 5. Balances: when masters have no slots, `redis-cli --cluster rebalance --cluster-use-empty-masters`
 *    once all nodes agree, then waits until they agree again and the state is ok.
 * Roles and slots are read from each node's own `CLUSTER NODES` line, which gossip does not delay.
 * All waits share one deadline, `waitSeconds` after the start (then exit 1 with the reason; the Job
 * retries). Credentials come from `$REDISCLI_AUTH`, which redis-cli reads (never on a command line).
 */
export function redisClusterInitScript(hosts: readonly string[], waitSeconds: number): string {
  const info = `redis-cli -h "$first" -p ${REDIS_PORT} cluster info`;
  const knownNodes = "sed -n 's/^cluster_known_nodes:\\([0-9]*\\).*/\\1/p'";
  // Every host is one shell word, whatever it holds.
  const hostWords = hosts.map(shellQuote).join(' ');
  return shellScript('Forms the Redis Cluster and adds the desired nodes it lacks; never removes nodes; idempotent.', [
    `first=${shellQuote(hosts[0]!)}`,
    `deadline=$(( $(date +%s) + ${waitSeconds} ))`,
    '# wait_or_fail <reason> [pause in seconds, default 1]',
    'wait_or_fail() {',
    '  if [ "$(date +%s)" -ge "$deadline" ]; then echo "gave up after ' + waitSeconds + ' s: $1" >&2; exit 1; fi',
    '  sleep "${2:-1}"',
    '}',
    `nodes() { redis-cli -h "$first" -p ${REDIS_PORT} cluster nodes; }`,
    '# known_ids <host>: the ids of the nodes <host> is connected to (itself included), sorted.',
    `known_ids() { redis-cli -h "$1" -p ${REDIS_PORT} cluster nodes | awk '$3 !~ /handshake/ && $8 == "connected" { print $1 }' | sort; }`,
    '# knows <id>: node 0 knows the node and is connected to it.',
    'knows() { known_ids "$first" | grep -qx "$1"; }',
    '# all_connected: every node that node 0 knows is connected to the same nodes as node 0.',
    'all_connected() {',
    '  ids=$(known_ids "$first")',
    `  for a in $(nodes | awk '$3 !~ /handshake/ { sub(/@.*/, "", $2); print $2 }'); do`,
    '    [ "$(known_ids "${a%:*}")" = "$ids" ] || return 1',
    '  done',
    '}',
    '# agreed: waits until all_connected and all nodes agree on the slots (redis-cli --cluster check);',
    '# before, --cluster add-node refuses to run and --cluster rebalance can fail midway.',
    'agreed() {',
    `  until all_connected && redis-cli --cluster check "$first_ip:${REDIS_PORT}" >/dev/null; do`,
    `    wait_or_fail "the nodes do not agree on the cluster: see redis-cli --cluster check $first_ip:${REDIS_PORT} (open slots: --cluster fix)"`,
    '  done',
    '}',
    '# own: the line about itself (role, master, slots: authoritative there) of every desired node that node 0 knows.',
    'own() {',
    '  for o in $members; do',
    `    if knows "\${o#*=}"; then redis-cli -h "\${o%%=*}" -p ${REDIS_PORT} cluster nodes | grep myself; fi`,
    '  done',
    '}',
    `for host in ${hostWords}; do`,
    `  until redis-cli -h "$host" -p ${REDIS_PORT} ping 2>/dev/null | grep -q PONG; do`,
    '    echo "waiting for $host to answer PING"',
    '    wait_or_fail "$host does not answer PING" 5',
    '  done',
    'done',
    '# Every desired host as <ip>=<node id>.',
    'members=""',
    `for host in ${hostWords}; do`,
    '  ip=$(getent hosts "$host" | head -n 1 | cut -d " " -f 1)',
    '  if [ -z "$ip" ]; then echo "cannot resolve $host" >&2; exit 1; fi',
    `  id=$(redis-cli -h "$ip" -p ${REDIS_PORT} cluster myid)`,
    "  if ! printf '%s\\n' \"$id\" | grep -Eq '^[0-9a-f]{40}$'; then echo \"cannot read the node id of $host ($ip): $id\" >&2; exit 1; fi",
    '  members="$members $ip=$id"',
    'done',
    'first_ip=${members# }; first_ip=${first_ip%%=*}',
    `state=$(${info})`,
    `known=$(printf '%s\\n' "$state" | ${knownNodes})`,
    "if printf '%s\\n' \"$state\" | grep -q '^cluster_state:ok'; then",
    '  echo "the Redis Cluster is already formed and ok"',
    'else',
    '  if [ "${known:-0}" -gt 1 ]; then',
    '    echo "the Redis Cluster is already formed ($known known nodes): waiting for cluster_state:ok"',
    '  else',
    '    addresses=""',
    `    for m in $members; do addresses="$addresses \${m%%=*}:${REDIS_PORT}"; done`,
    '    echo "creating the Redis Cluster from$addresses"',
    '    # $addresses is split on purpose: one argument per node.',
    '    redis-cli --cluster create $addresses --cluster-replicas 1 --cluster-yes',
    '  fi',
    `  until ${info} | grep -q '^cluster_state:ok'; do`,
    '    wait_or_fail "cluster_state is not ok"',
    '  done',
    '  echo "the Redis Cluster is formed: cluster_state:ok"',
    'fi',
    ...shrinkMessage(hosts.length),
    'added=0',
    'for m in $members; do',
    '  ip=${m%%=*}; id=${m#*=}',
    `  if [ "$(redis-cli -h "$ip" -p ${REDIS_PORT} cluster info | ${knownNodes})" != 1 ]; then`,
    '    # It knows other nodes: joined (maybe by an earlier attempt, its handshake still running).',
    '    until knows "$id"; do wait_or_fail "$ip knows other nodes but $first does not know $ip"; done',
    '    continue',
    '  fi',
    '  agreed',
    '  master=$(own | awk \'$3 ~ /slave/ { r[$4] = 1 } $3 ~ /master/ { m[++n] = $1 } END { for (i = 1; i <= n; i++) if (!(m[i] in r)) { print m[i]; exit } }\')',
    '  if [ -n "$master" ]; then',
    '    echo "adding $ip as a replica of $master, a master without replica"',
    `    redis-cli --cluster add-node "$ip:${REDIS_PORT}" "$first_ip:${REDIS_PORT}" --cluster-slave --cluster-master-id "$master"`,
    '  else',
    '    echo "adding $ip as an empty master"',
    `    redis-cli --cluster add-node "$ip:${REDIS_PORT}" "$first_ip:${REDIS_PORT}"`,
    '  fi',
    '  until knows "$id"; do wait_or_fail "$first does not know $ip, which was just added"; done',
    '  added=$((added + 1))',
    'done',
    "empty=$(own | awk '$3 ~ /master/ && NF == 8 { n++ } END { print n + 0 }')",
    'if [ "$added" -eq 0 ] && [ "$empty" -eq 0 ]; then',
    `  echo "the Redis Cluster has the ${hosts.length} desired nodes: nothing to add"`,
    '  exit 0',
    'fi',
    'agreed',
    'if [ "$empty" -gt 0 ]; then',
    '  echo "moving slots to the $empty master(s) without slots"',
    `  redis-cli --cluster rebalance "$first_ip:${REDIS_PORT}" --cluster-use-empty-masters --cluster-yes`,
    '  agreed',
    `  until ${info} | grep -q '^cluster_state:ok'; do wait_or_fail "cluster_state is not ok"; done`,
    'fi',
    `echo "the Redis Cluster has grown to the ${hosts.length} desired nodes: cluster_state:ok"`,
  ]);
}

/**
 * Lines that stop the script with the manual scale-in steps (exit 0, nothing changed) when node 0
 * knows nodes (not in handshake) whose ids are not those of the `count` desired hosts.
 */
function shrinkMessage(count: number): string[] {
  const port = REDIS_PORT;
  return [
    'extra=$(nodes | awk -v want="$members" \'BEGIN { n = split(want, w, " "); for (i = 1; i <= n; i++) { sub(/^[^=]*=/, "", w[i]); d[w[i]] = 1 } } $3 !~ /handshake/ && !($1 in d) { print "  " $1, $2, $3 }\')',
    'if [ -n "$extra" ]; then',
    `  echo "the Redis Cluster knows nodes beyond the ${count} desired hosts; removing nodes is not automated, nothing was changed:"`,
    "  printf '%s\\n' \"$extra\"",
    '  echo "to shrink by hand, for each node to remove: move its slots (if it has any) to masters that stay with"',
    `  echo "  redis-cli --cluster reshard $first_ip:${port} --cluster-from <its id> --cluster-to <id of a master that stays> --cluster-slots <its slot count> --cluster-yes"`,
    '  echo "then remove it from the cluster with"',
    `  echo "  redis-cli --cluster del-node $first_ip:${port} <its id>"`,
    '  echo "and only then lower redis.cluster.nodes. A node whose pod is already gone is dropped with"',
    `  echo "  redis-cli --cluster call $first_ip:${port} cluster forget <its id>"`,
    '  exit 0',
    'fi',
  ];
}
