import type { PlatformContext } from '../../lib/context.js';
import type { ScrapedSources } from '../../plan/index.js';
import { SELF_HEALING_METRICS } from '../../core/self-healing-metrics.js';
import type { Values } from '../../values/schema/index.js';
import { counterIncrease } from './counter-increase.js';
import { ruleFileYaml, type AlertAnnotations, type AlertingRule, type AlertLabels, type RuleFile, type RuleGroup } from './rule-files.js';
import { KUBELET_JOB } from '../../plan/index.js';

/** The namespaces of the platform's pods; every rule only looks at series from them. */
export type AlertScope = Pick<PlatformContext, 'namespace' | 'agentsNamespace'>;

/** Window of the rate()-based rules: ten scrapes at the default 30 s interval. */
const RATE_WINDOW = '5m';
/** Window in which `alerting.thresholds.crashLoopRestarts` restarts mean crash looping. */
const RESTART_WINDOW = '15m';
/** Pseudo and image filesystems that are full by design (container layers, snaps, RAM disks). */
const IGNORED_FS_TYPES = 'tmpfs|overlay|squashfs';
/** How long SelfHealingGaveUp fires after a give-up. */
const GAVE_UP_WINDOW = '1h';
/** Window of SelfHealingActionsFailing. */
const FAILED_WINDOW = '15m';

/** What every group builder receives. */
interface RuleContext {
  readonly values: Values;
  readonly t: Values['alerting']['thresholds'];
  /** `namespace=~"…"` matcher of the platform's namespaces. */
  readonly ns: string;
  readonly rule: (alert: string, expr: string, labels: AlertLabels, annotations: AlertAnnotations) => AlertingRule;
}

/**
 * The platform's alerting rules (Prometheus rule file), thresholds from `alerting.*`, only for
 * the sources of metrics the plan has (`scraped`). Rules select by the `namespace`/`app` labels Prometheus' relabeling gives
 * every target, never by `job`. Each rule carries `severity`, `component` and the `action` the
 * self-healing executor routes on.
 */
export function alertRules(values: Values, scope: AlertScope, scraped: ScrapedSources): RuleFile {
  const ctx: RuleContext = {
    values,
    t: values.alerting.thresholds,
    ns: `namespace=~"${scope.namespace}|${scope.agentsNamespace}"`,
    rule: (alert, expr, labels, annotations) => ({ alert, expr, for: values.alerting.for, labels, annotations }),
  };
  const groups: RuleGroup[] = [];
  const add = (enabled: boolean, name: string, build: (c: RuleContext) => AlertingRule[]) => {
    if (enabled) groups.push({ name: `aiops-${name}`, rules: build(ctx) });
  };
  add(scraped.nodeExporter, 'node', nodeRules);
  add(scraped.traefik, 'http', httpRules);
  add(scraped.postgresql, 'postgresql', postgresqlRules);
  add(scraped.redis, 'redis', redisRules);
  add(scraped.elasticsearch, 'elasticsearch', elasticsearchRules);
  add(scraped.kubeStateMetrics, 'kubernetes', kubernetesRules);
  add(scraped.selfHealing, 'self-healing', selfHealingRules);
  add(true, 'monitoring', monitoringRules);
  add(scraped.kubelet, 'kubelet', kubeletRules);
  return { groups };
}

/** {@link alertRules} as the YAML rule file Prometheus loads. */
export function alertRulesYaml(values: Values, scope: AlertScope, scraped: ScrapedSources): string {
  return ruleFileYaml(alertRules(values, scope, scraped));
}

/** Node-exporter: CPU, memory and filesystem usage per node. */
function nodeRules({ t, ns, rule }: RuleContext): AlertingRule[] {
  const by = 'by (node, instance)';
  const fsBy = 'by (node, instance, device, mountpoint)';
  const fs = `fstype!~"${IGNORED_FS_TYPES}", ${ns}`;
  return [
    rule(
      'NodeHighCPU',
      `100 * (1 - avg ${by} (rate(node_cpu_seconds_total{mode="idle", ${ns}}[${RATE_WINDOW}]))) > ${t.cpuPercent}`,
      { severity: 'warning', component: 'node', action: 'scale-out' },
      {
        summary: 'High CPU usage on node {{ $labels.node }}',
        description: `CPU usage of node {{ $labels.node }} ({{ $labels.instance }}) is {{ $value | humanize }}%, above ${t.cpuPercent}%.`,
        runbook: 'Node-wide: the HorizontalPodAutoscalers scale the platform services on their own CPU; the executor acts only on alerts that name a workload. If it persists, add nodes or move workloads: kubectl top pods -A --sort-by=cpu.',
      },
    ),
    rule(
      'NodeHighMemory',
      `100 * (1 - sum ${by} (node_memory_MemAvailable_bytes{${ns}}) / sum ${by} (node_memory_MemTotal_bytes{${ns}})) > ${t.memoryPercent}`,
      { severity: 'warning', component: 'node', action: 'none' },
      {
        summary: 'High memory usage on node {{ $labels.node }}',
        description: `Memory usage of node {{ $labels.node }} ({{ $labels.instance }}) is {{ $value | humanize }}%, above ${t.memoryPercent}%.`,
        runbook: 'No automatic action: containers above their memory limit are OOM-killed and restarted by Kubernetes. Find the consumers with kubectl top pods -A --sort-by=memory and lower requests or add nodes.',
      },
    ),
    rule(
      'NodeDiskAlmostFull',
      `100 * (1 - max ${fsBy} (node_filesystem_avail_bytes{${fs}}) / max ${fsBy} (node_filesystem_size_bytes{${fs}})) > ${t.diskPercent}` +
        ` unless on (node, instance, device, mountpoint) max ${fsBy} (node_filesystem_readonly{${fs}}) == 1`,
      // Not actionable: no Job of the platform frees a node's filesystem; each platform volume has its own bound.
      { severity: 'critical', component: 'node', action: 'none' },
      {
        summary: 'Filesystem {{ $labels.mountpoint }} on node {{ $labels.node }} is almost full',
        description: `Filesystem {{ $labels.mountpoint }} ({{ $labels.device }}) of node {{ $labels.node }} is {{ $value | humanize }}% full, above ${t.diskPercent}%.`,
        runbook:
          "No automatic action: nothing the platform runs can free a node's filesystem. The platform's own volumes are bounded on their own: Elasticsearch's by index retention and ElasticsearchDiskAlmostFull (the executor deletes the oldest log indices), Prometheus' by its size-based retention (prometheus.retentionSize, 85 % of the volume by default), so it never fills its volume. Find what fills {{ $labels.mountpoint }} with du -xh on the node (container images: crictl rmi --prune; logs: journalctl --vacuum-size) or add disk.",
      },
    ),
  ];
}

/** Traefik: response time and 5xx share per service, for services with real traffic only. */
function httpRules({ t, ns, values, rule }: RuleContext): AlertingRule[] {
  const minRate = values.alerting.minimumTraffic.httpRequestsPerSecond;
  const requests = (selector: string) => `sum by (service) (rate(traefik_service_requests_total{${selector}}[${RATE_WINDOW}]))`;
  // The 95th percentile rather than "share of requests slower than the threshold": it works for
  // any threshold below the highest bucket (a root schema refinement rejects the others), is exact
  // when the threshold is a bucket boundary (the default 5 s is one; histogram_quantile then answers
  // "is the 95th percentile above the boundary" from counts alone) and interpolates otherwise,
  // whereas the share needs the threshold to be a boundary.
  const p95 = `histogram_quantile(0.95, sum by (service, le) (rate(traefik_service_request_duration_seconds_bucket{${ns}}[${RATE_WINDOW}])))`;
  return [
    rule(
      'HighResponseTime',
      `${p95} > ${t.responseTimeSeconds}` +
        ` and on (service) sum by (service) (rate(traefik_service_request_duration_seconds_count{${ns}}[${RATE_WINDOW}])) >= ${minRate}`,
      { severity: 'warning', component: 'http', action: 'scale-out' },
      {
        summary: 'Slow responses from service {{ $labels.service }}',
        description: `95th percentile response time of service {{ $labels.service }} is {{ $value | humanizeDuration }}, above ${t.responseTimeSeconds}s.`,
        runbook: "The self-healing executor scales out the service by one replica within selfHealing.limits (with a cooldown) unless a HorizontalPodAutoscaler already scales it. Check the service's CPU and the database and cache dashboards.",
      },
    ),
    rule(
      'HighErrorRate',
      `100 * ${requests(`code=~"5..", ${ns}`)} / ${requests(ns)} > ${t.errorRatePercent} and on (service) ${requests(ns)} >= ${minRate}`,
      { severity: 'critical', component: 'http', action: 'none' },
      {
        summary: 'High 5xx error rate of service {{ $labels.service }}',
        description: `{{ $value | humanize }}% of the requests to service {{ $labels.service }} fail with 5xx, above ${t.errorRatePercent}%.`,
        runbook: 'No automatic action (crash-looping pods are restarted through PodCrashLooping). Check the service logs in Kibana and recent deployments.',
      },
    ),
  ];
}

/** postgres_exporter (default collectors): connections in percent of max_connections. */
function postgresqlRules({ t, ns, rule }: RuleContext): AlertingRule[] {
  const by = 'by (namespace, pod, instance)';
  return [
    rule(
      'PostgreSQLTooManyConnections',
      `100 * sum ${by} (pg_stat_database_numbackends{${ns}}) / max ${by} (pg_settings_max_connections{${ns}}) > ${t.postgresqlConnectionsPercent}`,
      { severity: 'warning', component: 'postgresql', action: 'optimize-db' },
      {
        summary: 'PostgreSQL {{ $labels.pod }} is running out of connections',
        description: `PostgreSQL {{ $labels.namespace }}/{{ $labels.pod }} uses {{ $value | humanize }}% of max_connections, above ${t.postgresqlConnectionsPercent}%.`,
        runbook: 'The self-healing executor runs the database maintenance (VACUUM ANALYZE, statistics). Look for connection leaks and idle-in-transaction sessions in pg_stat_activity; raise postgresql.maxConnections if the load is real.',
      },
    ),
  ];
}

/** redis_exporter: keyspace hit rate, for instances with real lookup traffic only. */
function redisRules({ t, ns, values, rule }: RuleContext): AlertingRule[] {
  const rate = (metric: string) => `sum by (namespace, pod, instance) (rate(${metric}{${ns}}[${RATE_WINDOW}]))`;
  const lookups = `(${rate('redis_keyspace_hits_total')} + ${rate('redis_keyspace_misses_total')})`;
  return [
    rule(
      'RedisLowHitRate',
      `100 * ${rate('redis_keyspace_hits_total')} / ${lookups} < ${t.redisHitRatePercent}` +
        ` and on (namespace, pod, instance) ${lookups} >= ${values.alerting.minimumTraffic.redisLookupsPerSecond}`,
      { severity: 'warning', component: 'redis', action: 'none' },
      {
        summary: 'Low cache hit rate of Redis {{ $labels.pod }}',
        description: `Only {{ $value | humanize }}% of the key lookups of Redis {{ $labels.namespace }}/{{ $labels.pod }} hit, below ${t.redisHitRatePercent}%.`,
        runbook: 'No automatic action. Check key expiry (TTLs) and evictions (redis_evicted_keys_total): maxmemory may be too small for the working set.',
      },
    ),
  ];
}

/** elasticsearch_exporter (its node stats): the data volume of each Elasticsearch node. */
function elasticsearchRules({ t, ns, values, rule }: RuleContext): AlertingRule[] {
  const by = 'by (namespace, pod, instance)';
  const target = values.elasticsearch.diskCleanup.targetPercent;
  return [
    rule(
      'ElasticsearchDiskAlmostFull',
      `100 * (1 - sum ${by} (elasticsearch_filesystem_data_available_bytes{${ns}}) / sum ${by} (elasticsearch_filesystem_data_size_bytes{${ns}})) > ${t.diskPercent}`,
      { severity: 'critical', component: 'elasticsearch', action: 'clean-disk' },
      {
        summary: 'Elasticsearch data volume of {{ $labels.pod }} is almost full',
        description: `The data volume of Elasticsearch {{ $labels.namespace }}/{{ $labels.pod }} is {{ $value | humanize }}% full, above ${t.diskPercent}%.`,
        runbook:
          `The self-healing executor runs the disk cleanup Job (with a cooldown): it deletes the oldest daily log indices until the data volumes are at most ${target}% full, at most ${values.elasticsearch.diskCleanup.maxIndicesPerRun} per run, never today's or the newest index (kubectl logs -n {{ $labels.namespace }} -l app.kubernetes.io/component=setup). ` +
          'At 95% Elasticsearch blocks writes to every index on the node (flood stage). If the logs of the retention period do not fit, raise elasticsearch.persistence.size or lower elasticsearch.retentionDays.',
      },
    ),
  ];
}

/** kube-state-metrics: crash-looping containers of the platform. */
function kubernetesRules({ t, ns, rule }: RuleContext): AlertingRule[] {
  const by = 'by (namespace, pod, container)';
  return [
    rule(
      'PodCrashLooping',
      `max ${by} (max_over_time(kube_pod_container_status_waiting_reason{reason="CrashLoopBackOff", ${ns}}[${RATE_WINDOW}])) == 1` +
        ` or sum ${by} (increase(kube_pod_container_status_restarts_total{${ns}}[${RESTART_WINDOW}])) >= ${t.crashLoopRestarts}`,
      { severity: 'critical', component: 'kubernetes', action: 'restart-pod' },
      {
        summary: 'Pod {{ $labels.namespace }}/{{ $labels.pod }} is crash looping',
        description: `Container {{ $labels.container }} of pod {{ $labels.namespace }}/{{ $labels.pod }} is in CrashLoopBackOff or restarted at least ${t.crashLoopRestarts} times within ${RESTART_WINDOW}.`,
        runbook: 'The self-healing executor deletes the pod so that its controller recreates it (rate-limited, with a cooldown). If it keeps crashing: kubectl logs --previous -n {{ $labels.namespace }} {{ $labels.pod }} -c {{ $labels.container }}.',
      },
    ),
  ];
}

/**
 * The self-healing executor's own metrics (src/core/self-healing-metrics.ts): targets it gave up
 * on, its circuit breaker, failed actions. None of them is routed back to it (action none).
 */
function selfHealingRules({ ns, values, rule }: RuleContext): AlertingRule[] {
  const M = SELF_HEALING_METRICS;
  const { attemptsPerTarget, window, actionsPerHour } = values.selfHealing.limits;
  const reading =
    'Read its decisions: kubectl logs -n {{ $labels.namespace }} -l app.kubernetes.io/name=self-healing (one JSON line per decision), ' +
    'GET /api/v1/actions on port 8080 of its Service (kubectl port-forward -n {{ $labels.namespace }} svc/<release>-self-healing 8080, then curl -s localhost:8080/api/v1/actions; without PostgreSQL only the Lease holder has them), ';
  return [
    {
      // Critical, and at once: the executor stopped acting on a target that is still broken, and the
      // alert that asked for the action may be a mere warning (HighResponseTime, PostgreSQLTooManyConnections):
      // this is the escalation to people. An event in the last hour cannot flap, so no `for`. It has
      // no pod label, so the critical-mutes-warnings inhibition of the same pod never applies to it.
      ...rule(
        'SelfHealingGaveUp',
        `round(${counterIncrease(`${M.gaveUp}{${ns}}`, GAVE_UP_WINDOW, 'namespace, rule')}) > 0`,
        { severity: 'critical', component: 'self-healing', action: 'none' },
        {
          summary: 'Self-healing gave up on a target of rule {{ $labels.rule }}',
          description: `The self-healing executor gave up on {{ $value | humanize }} target(s) of rule {{ $labels.rule }} in namespace {{ $labels.namespace }} within the last ${GAVE_UP_WINDOW}: ${attemptsPerTarget} actions within ${window} did not heal them.`,
          runbook:
            `The executor acted ${attemptsPerTarget} times on the same target (pod, workload or Job rule) within ${window} and the alert kept firing: it now leaves that target to people until the first of those attempts is ${window} old (alerts on it are audited as skipped). ` +
            reading +
            'and the Warning Event on the target: kubectl get events -n {{ $labels.namespace }} --field-selector reason=SelfHealingGaveUp. ' +
            'Find why the action did not help (kubectl describe and kubectl logs --previous of the target, the alert that asked for it) and fix the cause; repeated actions would only hide it. This alert clears ' +
            `${GAVE_UP_WINDOW} after the last give-up of the rule, whether or not the target was fixed.`,
        },
      ),
      for: '0s',
    },
    rule(
      'SelfHealingCircuitBreakerOpen',
      `max by (namespace, pod) (${M.circuitOpen}{${ns}}) == 1`,
      { severity: 'warning', component: 'self-healing', action: 'none' },
      {
        summary: 'Self-healing circuit breaker is open in {{ $labels.namespace }}',
        description: `The self-healing executor {{ $labels.namespace }}/{{ $labels.pod }} took ${actionsPerHour} actions within the last hour (selfHealing.limits.actionsPerHour) and acts on nothing until the oldest of them is an hour old.`,
        runbook:
          'So many actions in an hour mean an alert storm or actions that do not help. ' +
          reading +
          'and the Self-healing dashboard (decisions by rule and outcome). Fix the alerts that keep asking for actions; raise selfHealing.limits.actionsPerHour only if that many actions an hour are expected.',
      },
    ),
    rule(
      'SelfHealingNoLeader',
      `max by (namespace) (${M.leader}{${ns}}) == 0`,
      { severity: 'warning', component: 'self-healing', action: 'none' },
      {
        summary: 'No self-healing executor holds the Lease in {{ $labels.namespace }}',
        description: 'The self-healing executors of {{ $labels.namespace }} run but none holds the Lease: alerts are not acted on (webhooks get 503).',
        runbook:
          'A replica takes the Lease within 15 s when the holder stops renewing. When none does, the executors cannot read or write their Lease: check their logs (kubectl logs -n {{ $labels.namespace }} -l app.kubernetes.io/name=self-healing, "Lease round failed"), the API server, and the Role (leases get/create/update) and NetworkPolicy of the executor.',
      },
    ),
    rule(
      'SelfHealingActionsFailing',
      `round(${counterIncrease(`${M.decisions}{outcome="failed", ${ns}}`, FAILED_WINDOW, 'namespace, rule')}) > 0`,
      { severity: 'warning', component: 'self-healing', action: 'none' },
      {
        summary: 'Self-healing actions of rule {{ $labels.rule }} fail',
        description: `{{ $value | humanize }} action(s) of self-healing rule {{ $labels.rule }} in namespace {{ $labels.namespace }} failed within the last ${FAILED_WINDOW}.`,
        runbook:
          'An action failed when the Prometheus confirmation or a Kubernetes API call returned an error (an eviction a PodDisruptionBudget refuses is blocked, not failed); failed attempts count towards the give-up bound. ' +
          reading +
          'and the Warning Events: kubectl get events -n {{ $labels.namespace }} --field-selector reason=SelfHealingFailed. The error of each decision says which call failed: a 403 is a call the executor Role does not allow, a timeout an API server or Prometheus that did not answer.',
      },
    ),
  ];
}

/** Prometheus itself: scrape targets of the platform that do not answer. */
function monitoringRules({ ns, rule }: RuleContext): AlertingRule[] {
  return [
    rule(
      'TargetDown',
      `min by (namespace, app, pod, instance) (up{${ns}}) == 0`,
      { severity: 'critical', component: 'monitoring', action: 'none' },
      {
        summary: 'Metrics target {{ $labels.app }} {{ $labels.instance }} is down',
        description: 'Prometheus cannot scrape {{ $labels.app }} at {{ $labels.instance }} (pod {{ $labels.namespace }}/{{ $labels.pod }}).',
        runbook: 'No automatic action: Prometheus retries every scrape interval. Check the pod (kubectl describe pod -n {{ $labels.namespace }} {{ $labels.pod }}) and that its metrics port answers.',
      },
    ),
  ];
}

/** The kubelets' cAdvisor: a node whose kubelet Prometheus cannot scrape (no per-pod CPU and memory from it). */
function kubeletRules({ rule }: RuleContext): AlertingRule[] {
  return [
    rule(
      'KubeletScrapeDown',
      // Its targets are nodes, without a namespace label: selected by the chart's own job name.
      `up{job="${KUBELET_JOB}"} == 0`,
      { severity: 'warning', component: 'monitoring', action: 'none' },
      {
        summary: 'The kubelet of node {{ $labels.node }} is not scraped',
        description: 'Prometheus cannot scrape cAdvisor at {{ $labels.instance }} (node {{ $labels.node }}): per-pod CPU and memory of that node are missing, and the AI engine does not watch them.',
        runbook:
          'Check the target on Prometheus /prometheus/targets: a 401/403 is a ClusterRole without nodes/metrics get (or a kubelet without webhook authorization), a certificate error a kubelet certificate the cluster CA did not sign (prometheus.kubelet.insecureSkipVerify), a timeout a NetworkPolicy or firewall between the pods and port 10250 of the nodes (networkPolicy.nodeCidrs).',
      },
    ),
  ];
}
