/**
 * Synthetic input of the promtool unit tests, one case per alert rule: series that must fire
 * (plus series the rule must ignore) and series just on the silent side of the threshold. The
 * series carry the labels Prometheus' relabeling gives real targets (job included, so a rule that
 * depended on it would still pass only by accident: the alert-rules tests forbid job matchers).
 */

/** One input series of a promtool test (`values` in promtool's expanding notation, one per minute). */
export interface InputSeries {
  series: string;
  values: string;
}

/** An alert a case expects: its series labels (rule labels are added by the test) and shown value. */
export interface ExpectedAlert {
  labels: Record<string, string>;
  /** What `{{ $value | humanize… }}` renders to; absent for rules whose texts show no value. */
  value?: string;
}

/** The promtool test input of one rule at the default thresholds. */
export interface RuleCase {
  alert: string;
  /** Above the threshold from the first minutes on (and series the rule must ignore). */
  firing: InputSeries[];
  /** The alerts the firing series produce once the `for` duration has passed. */
  alerts: ExpectedAlert[];
  /** Just on the silent side of the threshold. */
  silent: InputSeries[];
}

/** A series in promtool's notation: `name{label="value",…}`. */
function series(name: string, labels: Record<string, string>, values: string): InputSeries {
  return { series: `${name}{${Object.entries(labels).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}}`, values };
}

/** Labels of a target discovered in namespace `namespace`, as the chart's relabeling sets them. */
const target = (namespace: string, app: string, pod: string, instance: string, job = 'kubernetes-pods') => ({
  namespace,
  pod,
  node: 'worker-1',
  app,
  component: 'metrics',
  instance,
  job,
});

const NODE = target('aiops-platform-node-agents', 'node-exporter', 'aiops-platform-node-exporter-x7k2p', '10.0.0.11:9100', 'node-exporter');
export const NODE_ALERT = { node: 'worker-1', instance: '10.0.0.11:9100' };
const TRAEFIK = target('aiops-platform', 'traefik', 'aiops-platform-traefik-5d9c7-abcde', '10.0.1.7:9100');
const POSTGRES = target('aiops-platform', 'postgresql', 'aiops-platform-postgresql-0', '10.0.1.8:9187');
const POSTGRES_ALERT = { namespace: 'aiops-platform', pod: 'aiops-platform-postgresql-0', instance: '10.0.1.8:9187' };
const REDIS = target('aiops-platform', 'redis', 'aiops-platform-redis-0', '10.0.1.9:9121');
const REDIS_ALERT = { namespace: 'aiops-platform', pod: 'aiops-platform-redis-0', instance: '10.0.1.9:9121' };
const ELASTICSEARCH = (pod: string, instance: string) => target('aiops-platform', 'elasticsearch', pod, instance);
/** One Elasticsearch node's data volume of 1000 bytes as elasticsearch_exporter reports it (node stats labels, data path). */
const esVolume = (pod: string, instance: string, available: number) => {
  const labels = { ...ELASTICSEARCH(pod, instance), cluster: 'aiops-platform', host: '10.0.1.11', name: pod, es_master_node: 'true', es_data_node: 'true', es_ingest_node: 'true', es_client_node: 'true', mount: '/usr/share/elasticsearch/data (/dev/sdb)', path: '/usr/share/elasticsearch/data' };
  return [series('elasticsearch_filesystem_data_size_bytes', labels, '1000x20'), series('elasticsearch_filesystem_data_available_bytes', labels, `${available}x20`)];
};
/** kube-state-metrics (honor_labels): namespace and pod describe the object, the rest the exporter. */
const KSM = target('aiops-platform', 'kube-state-metrics', 'aiops-platform-kube-state-metrics-0', '10.0.1.10:8080', 'kube-state-metrics');

const cpu = (idlePerMinute: number) =>
  ['0', '1'].flatMap((n) => [
    series('node_cpu_seconds_total', { ...NODE, cpu: n, mode: 'idle' }, `0+${idlePerMinute}x20`),
    series('node_cpu_seconds_total', { ...NODE, cpu: n, mode: 'user' }, `0+${60 - idlePerMinute}x20`),
  ]);
const memory = (available: number) => [
  series('node_memory_MemTotal_bytes', NODE, '1000x20'),
  series('node_memory_MemAvailable_bytes', NODE, `${available}x20`),
];
const filesystem = (device: string, mountpoint: string, fstype: string, avail: number, readonly = 0) => {
  const labels = { ...NODE, device, mountpoint, fstype };
  return [
    series('node_filesystem_size_bytes', labels, '1000x20'),
    series('node_filesystem_avail_bytes', labels, `${avail}x20`),
    series('node_filesystem_readonly', labels, `${readonly}x20`),
  ];
};
/** Latency histogram of one service: cumulative requests per minute at or below each bucket. */
const latency = (service: string, perMinute: Record<string, number>) => [
  ...Object.entries(perMinute).map(([le, n]) => series('traefik_service_request_duration_seconds_bucket', { ...TRAEFIK, service, le }, `0+${n}x20`)),
  series('traefik_service_request_duration_seconds_count', { ...TRAEFIK, service }, `0+${perMinute['+Inf']}x20`),
];
const requests = (service: string, code: string, perMinute: number) =>
  series('traefik_service_requests_total', { ...TRAEFIK, service, code, method: 'GET', protocol: 'http' }, `0+${perMinute}x20`);
const backends = (aiops: number, postgres: number) => [
  series('pg_stat_database_numbackends', { ...POSTGRES, datid: '16384', datname: 'aiops' }, `${aiops}x20`),
  series('pg_stat_database_numbackends', { ...POSTGRES, datid: '5', datname: 'postgres' }, `${postgres}x20`),
  series('pg_settings_max_connections', POSTGRES, '100x20'),
];
const lookups = (labels: Record<string, string>, hits: number, misses: number) => [
  series('redis_keyspace_hits_total', labels, `0+${hits}x20`),
  series('redis_keyspace_misses_total', labels, `0+${misses}x20`),
];
const container = (pod: string, name: string) => ({ ...KSM, pod, container: name, uid: `uid-${pod}` });
/** The self-healing executor's replicas (kubernetes-pods job, metrics port 9464): the Lease holder and a standby. */
const EXECUTOR = target('aiops-platform', 'self-healing', 'aiops-platform-self-healing-6b8f9c-k2m4n', '10.0.1.20:9464');
const STANDBY = target('aiops-platform', 'self-healing', 'aiops-platform-self-healing-6b8f9c-p7r8s', '10.0.1.21:9464');
const RESTART_RULE = 'restart-abnormal-pods';
const SCALE_RULE = 'scale-out-high-load';
/**
 * `aiops_self_healing_gave_up_total{rule}` of the executor. prom-client creates a labelled series at
 * its first increment, so a rule's first give-up is a series born at 1 (`_x6 1x20`: absent for 6
 * minutes); a series the executor set to 0 at start grows from 0 (`0x7 1x20`).
 */
export const gaveUp = (rule: string, values: string, labels: Record<string, string> = EXECUTOR) => series('aiops_self_healing_gave_up_total', { ...labels, rule }, values);
/** `aiops_self_healing_decisions_total{rule,outcome}` of the executor. */
export const decisions = (rule: string, outcome: string, values: string) => series('aiops_self_healing_decisions_total', { ...EXECUTOR, rule, outcome }, values);
const breaker = (labels: Record<string, string>, values: string) => series('aiops_self_healing_circuit_breaker_open', labels, values);
const leader = (labels: Record<string, string>, values: string) => series('aiops_self_healing_leader', labels, values);

const API = 'aiops-platform-api-gateway-http@kubernetes';
const QUIET = 'aiops-platform-kibana-http@kubernetes';

export const SELF_HEALING_ALERT = (rule: string) => ({ namespace: 'aiops-platform', rule });

export const RULE_CASES: RuleCase[] = [
  {
    alert: 'NodeHighCPU',
    firing: cpu(6),
    alerts: [{ labels: NODE_ALERT, value: '90' }],
    silent: cpu(12.6),
  },
  {
    alert: 'NodeHighMemory',
    firing: memory(100),
    alerts: [{ labels: NODE_ALERT, value: '90' }],
    silent: memory(151),
  },
  {
    alert: 'NodeDiskAlmostFull',
    firing: [
      ...filesystem('/dev/sda1', '/', 'ext4', 50),
      ...filesystem('tmpfs', '/run', 'tmpfs', 1),
      ...filesystem('/dev/sr0', '/media/cdrom', 'iso9660', 0, 1),
    ],
    alerts: [{ labels: { ...NODE_ALERT, device: '/dev/sda1', mountpoint: '/' }, value: '95' }],
    silent: filesystem('/dev/sda1', '/', 'ext4', 101),
  },
  {
    alert: 'ElasticsearchDiskAlmostFull',
    firing: [
      ...esVolume('aiops-platform-elasticsearch-0', '10.0.1.11:9114', 50),
      // Another node at 89.9 %: below the threshold.
      ...esVolume('aiops-platform-elasticsearch-1', '10.0.1.12:9114', 101),
    ],
    alerts: [{ labels: { namespace: 'aiops-platform', pod: 'aiops-platform-elasticsearch-0', instance: '10.0.1.11:9114' }, value: '95' }],
    silent: esVolume('aiops-platform-elasticsearch-0', '10.0.1.11:9114', 101),
  },
  {
    alert: 'HighResponseTime',
    firing: [
      ...latency(API, { '0.1': 30, '0.3': 40, '1.2': 50, '5': 54, '10': 60, '30': 60, '+Inf': 60 }),
      ...latency(QUIET, { '0.1': 0, '0.3': 0, '1.2': 0, '5': 0, '10': 3, '30': 3, '+Inf': 3 }),
    ],
    alerts: [{ labels: { service: API }, value: '7.5s' }],
    silent: latency(API, { '0.1': 30, '0.3': 40, '1.2': 50, '5': 58, '10': 60, '30': 60, '+Inf': 60 }),
  },
  {
    alert: 'HighErrorRate',
    firing: [requests(API, '200', 940), requests(API, '502', 60), requests(QUIET, '200', 2), requests(QUIET, '500', 1)],
    alerts: [{ labels: { service: API }, value: '6' }],
    silent: [requests(API, '200', 951), requests(API, '500', 49)],
  },
  {
    alert: 'PostgreSQLTooManyConnections',
    firing: backends(70, 15),
    alerts: [{ labels: POSTGRES_ALERT, value: '85' }],
    silent: backends(65, 14),
  },
  {
    alert: 'RedisLowHitRate',
    firing: [...lookups(REDIS, 600, 400), ...lookups({ ...REDIS, pod: 'aiops-platform-redis-1', instance: '10.0.1.12:9121' }, 0, 30)],
    alerts: [{ labels: REDIS_ALERT, value: '60' }],
    silent: lookups(REDIS, 805, 195),
  },
  {
    alert: 'PodCrashLooping',
    firing: [
      series('kube_pod_container_status_waiting_reason', { ...container('aiops-platform-ai-engine-7c9f-q2w3e', 'ai-engine'), reason: 'CrashLoopBackOff' }, '1x20'),
      series('kube_pod_container_status_restarts_total', container('aiops-platform-ai-engine-7c9f-q2w3e', 'ai-engine'), '0+1x20'),
      series('kube_pod_container_status_restarts_total', container('aiops-platform-api-gateway-6f7d-x2x4z', 'api-gateway'), '0+1x20'),
      series('kube_pod_container_status_waiting_reason', { ...container('other-app-0', 'app'), namespace: 'other-team', reason: 'CrashLoopBackOff' }, '1x20'),
    ],
    alerts: [
      { labels: { namespace: 'aiops-platform', pod: 'aiops-platform-ai-engine-7c9f-q2w3e', container: 'ai-engine' } },
      { labels: { namespace: 'aiops-platform', pod: 'aiops-platform-api-gateway-6f7d-x2x4z', container: 'api-gateway' } },
    ],
    silent: [
      series('kube_pod_container_status_waiting_reason', { ...container('aiops-platform-ai-engine-7c9f-q2w3e', 'ai-engine'), reason: 'ContainerCreating' }, '1x20'),
      series('kube_pod_container_status_restarts_total', container('aiops-platform-ai-engine-7c9f-q2w3e', 'ai-engine'), '0 0 0 1 1 1 1 1 2 2 2 2 2 2 2 2 2 2 2 2 2'),
    ],
  },
  {
    alert: 'TargetDown',
    firing: [
      series('up', POSTGRES, '0x20'),
      series('up', REDIS, '1x20'),
      series('up', target('other-team', 'billing', 'billing-0', '10.0.9.1:8080'), '0x20'),
    ],
    alerts: [{ labels: { namespace: 'aiops-platform', app: 'postgresql', pod: 'aiops-platform-postgresql-0', instance: '10.0.1.8:9187' } }],
    silent: [series('up', POSTGRES, '1x20'), series('up', target('other-team', 'billing', 'billing-0', '10.0.9.1:8080'), '0x20')],
  },
  {
    alert: 'KubeletScrapeDown',
    firing: [
      series('up', { job: 'kubelet', node: 'node-a', instance: '10.0.0.11:10250' }, '0x20'),
      series('up', { job: 'kubelet', node: 'node-b', instance: '10.0.0.12:10250' }, '1x20'),
      // Another job's target down is TargetDown's, not this rule's.
      series('up', { job: 'kubernetes-pods', namespace: 'other-team', node: 'node-c', instance: '10.0.9.1:8080' }, '0x20'),
    ],
    alerts: [{ labels: { job: 'kubelet', node: 'node-a', instance: '10.0.0.11:10250' } }],
    silent: [series('up', { job: 'kubelet', node: 'node-a', instance: '10.0.0.11:10250' }, '1x20')],
  },
  {
    alert: 'SelfHealingGaveUp',
    firing: [
      // A rule's first give-up: the series is born at 1.
      gaveUp(RESTART_RULE, '_x6 1x20'),
      // Set to 0 at start, then a give-up.
      gaveUp(SCALE_RULE, '0x7 1x20'),
      gaveUp(RESTART_RULE, '0x20', STANDBY),
      gaveUp(RESTART_RULE, '1x20', target('other-team', 'self-healing', 'self-healing-0', '10.0.9.2:9464')),
    ],
    alerts: [
      { labels: SELF_HEALING_ALERT(RESTART_RULE), value: '1' },
      { labels: SELF_HEALING_ALERT(SCALE_RULE), value: '1' },
    ],
    silent: [gaveUp(RESTART_RULE, '0x20'), gaveUp(SCALE_RULE, '0x20'), decisions(RESTART_RULE, 'acted', '0+1x20')],
  },
  {
    alert: 'SelfHealingCircuitBreakerOpen',
    firing: [breaker(EXECUTOR, '0 0 1x18'), breaker(STANDBY, '0x20')],
    alerts: [{ labels: { namespace: 'aiops-platform', pod: EXECUTOR.pod } }],
    // Open for four minutes, then closed again.
    silent: [breaker(EXECUTOR, '0 0 1 1 1 1 0x14'), breaker(STANDBY, '0x20')],
  },
  {
    alert: 'SelfHealingNoLeader',
    // Both replicas stand by for the whole time: nothing acts.
    firing: [leader(EXECUTOR, '1 0x19'), leader(STANDBY, '0x20')],
    alerts: [{ labels: { namespace: 'aiops-platform' } }],
    // A failover: the standby takes the Lease within a minute.
    silent: [leader(EXECUTOR, '1 1 1 0x17'), leader(STANDBY, '0 0 0 0 1x16')],
  },
  {
    alert: 'SelfHealingActionsFailing',
    firing: [
      // The rule's first failure: the series is born at 1.
      decisions(RESTART_RULE, 'failed', '_x2 1x18'),
      decisions(RESTART_RULE, 'acted', '0+1x20'),
      decisions(SCALE_RULE, 'failed', '0x20'),
      decisions(SCALE_RULE, 'blocked', '0+1x20'),
    ],
    alerts: [{ labels: SELF_HEALING_ALERT(RESTART_RULE), value: '1' }],
    silent: [decisions(RESTART_RULE, 'failed', '0x20'), decisions(RESTART_RULE, 'acted', '0+1x20'), decisions(SCALE_RULE, 'blocked', '0+1x20'), decisions(SCALE_RULE, 'skipped', '0+2x20')],
  },
];

/** Input for the non-default-threshold run: 60 % CPU, silent at the default 80 %, firing at 50 %. */
export const CPU_AT_60_PERCENT = cpu(24);
