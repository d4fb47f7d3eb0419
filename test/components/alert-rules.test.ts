import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { alertRules, alertRulesYaml } from '../../src/components/monitoring/alert-rules.js';
import { isKnownMetric, METRICS } from '../../src/components/monitoring/metrics-catalog.js';
import { metricNames, vectorSelectors } from '../../src/components/monitoring/promql.js';
import type { AlertingRule } from '../../src/components/monitoring/rule-files.js';
import { SELF_HEALING_ACTIONS, type AlertAction } from '../../src/core/self-healing-actions.js';
import { SELF_HEALING_METRICS } from '../../src/core/self-healing-metrics.js';
import { platformPlan } from '../../src/plan/index.js';
import { loadValues } from '../../src/values/load.js';
import { buildValuesSchema, profileFor, type Values, type ValuesInput } from '../../src/values/schema/index.js';

const SCOPE = { namespace: 'aiops-platform', agentsNamespace: 'aiops-platform-node-agents' };
/** What the plan says Prometheus scrapes for these values. */
const scrapedOf = (values: Values) => platformPlan(values, SCOPE.namespace, SCOPE.namespace).scraped;
const rulesFor = (values: Values, scope: typeof SCOPE) => alertRules(values, scope, scrapedOf(values));
const valuesOf = (input: ValuesInput = {}) => buildValuesSchema(profileFor(true)).parse(input);
const rulesOf = (input: ValuesInput = {}): AlertingRule[] => rulesFor(valuesOf(input), SCOPE).groups.flatMap((g) => g.rules);
const ruleNamed = (rules: AlertingRule[], alert: string): AlertingRule => {
  const found = rules.find((r) => r.alert === alert);
  if (!found) throw new Error(`no rule ${alert}`);
  return found;
};

/** Every rule with the component and self-healing action it must carry. */
const EXPECTED: Record<string, { component: string; action: AlertAction }> = {
  NodeHighCPU: { component: 'node', action: 'scale-out' },
  NodeHighMemory: { component: 'node', action: 'none' },
  // Nothing the platform runs frees a node's filesystem: not routed to the executor.
  NodeDiskAlmostFull: { component: 'node', action: 'none' },
  // The disk cleanup Job frees exactly this volume (it deletes log indices).
  ElasticsearchDiskAlmostFull: { component: 'elasticsearch', action: 'clean-disk' },
  HighResponseTime: { component: 'http', action: 'scale-out' },
  HighErrorRate: { component: 'http', action: 'none' },
  PostgreSQLTooManyConnections: { component: 'postgresql', action: 'optimize-db' },
  RedisLowHitRate: { component: 'redis', action: 'none' },
  PodCrashLooping: { component: 'kubernetes', action: 'restart-pod' },
  TargetDown: { component: 'monitoring', action: 'none' },
  // About the executor itself: never routed back to it.
  SelfHealingGaveUp: { component: 'self-healing', action: 'none' },
  SelfHealingCircuitBreakerOpen: { component: 'self-healing', action: 'none' },
  SelfHealingNoLeader: { component: 'self-healing', action: 'none' },
  SelfHealingActionsFailing: { component: 'self-healing', action: 'none' },
};
/** Rules whose `for` is not `alerting.for`: a give-up is an event of the last hour (it cannot flap), escalated at once. */
const OWN_FOR: Record<string, string> = { SelfHealingGaveUp: '0s' };

describe('alert rules', () => {
  it('renders every rule once with severity, component, action, summary, description and runbook', () => {
    const rules = rulesOf();
    expect(rules.map((r) => r.alert).sort()).toEqual(Object.keys(EXPECTED).sort());
    for (const rule of rules) {
      expect(rule.labels, rule.alert).toEqual({ severity: expect.stringMatching(/^(warning|critical)$/), ...EXPECTED[rule.alert] });
      for (const text of Object.values(rule.annotations)) expect(text.length, rule.alert).toBeGreaterThan(20);
      expect(Object.keys(rule.annotations)).toEqual(['summary', 'description', 'runbook']);
      expect(rule.for, rule.alert).toBe(OWN_FOR[rule.alert] ?? '5m');
    }
  });

  it('gives every executor action an alert that asks for it, and every other alert the action none', () => {
    const actions = new Set(rulesOf().map((r) => r.labels.action));
    expect([...actions].sort()).toEqual([...SELF_HEALING_ACTIONS, 'none'].sort());
  });

  it('reads only metrics of the metrics catalog', () => {
    for (const rule of rulesOf()) {
      const names = metricNames(rule.expr);
      expect(names.length, rule.alert).toBeGreaterThan(0);
      expect(names.filter((n) => !isKnownMetric(n)), rule.alert).toEqual([]);
    }
  });

  it('selects every series by the platform namespaces and never by job', () => {
    for (const rule of rulesOf()) {
      for (const selector of vectorSelectors(rule.expr)) {
        expect(selector.matchers.map((m) => m.name), `${rule.alert}: ${selector.text}`).not.toContain('job');
        expect(selector.matchers, `${rule.alert}: ${selector.text}`).toContainEqual({
          name: 'namespace',
          op: '=~',
          value: 'aiops-platform|aiops-platform-node-agents',
        });
      }
    }
  });

  it('uses the default thresholds of the seed', () => {
    const rules = rulesOf();
    const comparison = (alert: string) => ruleNamed(rules, alert).expr;
    expect(comparison('NodeHighCPU')).toMatch(/\) > 80$/);
    expect(comparison('NodeHighMemory')).toMatch(/\) > 85$/);
    expect(comparison('NodeDiskAlmostFull')).toMatch(/\) > 90 unless /);
    expect(comparison('ElasticsearchDiskAlmostFull')).toMatch(/\) > 90$/);
    expect(comparison('HighResponseTime')).toMatch(/\) > 5 and on \(service\) .* >= 0\.1$/);
    expect(comparison('HighErrorRate')).toMatch(/\) > 5 and on \(service\) .* >= 0\.1$/);
    expect(comparison('PostgreSQLTooManyConnections')).toMatch(/\) > 80$/);
    expect(comparison('RedisLowHitRate')).toMatch(/\) < 80 and on .* >= 1$/);
    expect(comparison('PodCrashLooping')).toMatch(/\[15m\]\)\) >= 3$/);
  });

  it('takes every threshold, the minimum traffic and the for duration from values', () => {
    const rules = rulesOf({
      alerting: {
        thresholds: {
          cpuPercent: 61,
          memoryPercent: 62,
          diskPercent: 63,
          responseTimeSeconds: 2.5,
          errorRatePercent: 1.5,
          postgresqlConnectionsPercent: 64,
          redisHitRatePercent: 65,
          crashLoopRestarts: 7,
        },
        minimumTraffic: { httpRequestsPerSecond: 0.25, redisLookupsPerSecond: 3 },
        for: '2m',
      },
      // The disk cleanup's target must stay below the disk threshold.
      elasticsearch: { diskCleanup: { targetPercent: 55 } },
    });
    const expr = (alert: string) => ruleNamed(rules, alert).expr;
    expect(expr('NodeHighCPU')).toMatch(/\) > 61$/);
    expect(expr('NodeHighMemory')).toMatch(/\) > 62$/);
    expect(expr('NodeDiskAlmostFull')).toMatch(/\) > 63 unless /);
    expect(expr('ElasticsearchDiskAlmostFull')).toMatch(/\) > 63$/);
    expect(expr('HighResponseTime')).toMatch(/\) > 2\.5 and on \(service\) .* >= 0\.25$/);
    expect(expr('HighErrorRate')).toMatch(/\) > 1\.5 and on \(service\) .* >= 0\.25$/);
    expect(expr('PostgreSQLTooManyConnections')).toMatch(/\) > 64$/);
    expect(expr('RedisLowHitRate')).toMatch(/\) < 65 and on .* >= 3$/);
    expect(expr('PodCrashLooping')).toMatch(/\) >= 7$/);
    expect(ruleNamed(rules, 'NodeHighCPU').annotations.description).toContain('above 61%');
    expect(ruleNamed(rules, 'HighResponseTime').annotations.description).toContain('above 2.5s');
    expect(ruleNamed(rules, 'ElasticsearchDiskAlmostFull').annotations.runbook).toContain('at most 55% full');
    expect(new Set(rules.filter((r) => !OWN_FOR[r.alert]).map((r) => r.for))).toEqual(new Set(['2m']));
  });

  it.each([
    ['nodeExporter', { nodeExporter: { enabled: false } }, ['NodeHighCPU', 'NodeHighMemory', 'NodeDiskAlmostFull']],
    ['traefik', { traefik: { enabled: false } }, ['HighResponseTime', 'HighErrorRate']],
    ['postgresql', { postgresql: { enabled: false } }, ['PostgreSQLTooManyConnections']],
    ['postgresql.exporter', { postgresql: { exporter: { enabled: false } } }, ['PostgreSQLTooManyConnections']],
    ['redis', { redis: { enabled: false } }, ['RedisLowHitRate']],
    ['redis.exporter', { redis: { exporter: { enabled: false } } }, ['RedisLowHitRate']],
    ['kubeStateMetrics', { kubeStateMetrics: { enabled: false } }, ['PodCrashLooping']],
    ['elasticsearch', { elasticsearch: { enabled: false } }, ['ElasticsearchDiskAlmostFull']],
    ['elasticsearch.exporter', { elasticsearch: { exporter: { enabled: false } } }, ['ElasticsearchDiskAlmostFull']],
    ['selfHealing', { selfHealing: { enabled: false } }, ['SelfHealingGaveUp', 'SelfHealingCircuitBreakerOpen', 'SelfHealingNoLeader', 'SelfHealingActionsFailing']],
  ] as [string, ValuesInput, string[]][])('leaves out the rules of a disabled %s', (_, input, absent) => {
    const alerts = rulesOf(input).map((r) => r.alert);
    expect(alerts.filter((a) => absent.includes(a))).toEqual([]);
    expect(alerts.sort()).toEqual(Object.keys(EXPECTED).filter((a) => !absent.includes(a)).sort());
  });

  it('watches the self-healing executor: give-ups (critical, at once), its circuit breaker and failed actions', () => {
    const rules = rulesOf();
    const NS = 'namespace=~"aiops-platform|aiops-platform-node-agents"';
    const grown = (selector: string, range: string) =>
      `round(sum by (namespace, rule) ((${selector} unless ${selector} offset ${range}) + 0 or increase(${selector}[${range}]))) > 0`;
    const gaveUp = ruleNamed(rules, 'SelfHealingGaveUp');
    expect(gaveUp.expr).toBe(grown(`aiops_self_healing_gave_up_total{${NS}}`, '1h'));
    expect([gaveUp.labels.severity, gaveUp.for]).toEqual(['critical', '0s']);
    const breaker = ruleNamed(rules, 'SelfHealingCircuitBreakerOpen');
    expect(breaker.expr).toBe(`max by (namespace, pod) (aiops_self_healing_circuit_breaker_open{${NS}}) == 1`);
    expect([breaker.labels.severity, breaker.for]).toEqual(['warning', '5m']);
    const noLeader = ruleNamed(rules, 'SelfHealingNoLeader');
    expect(noLeader.expr).toBe(`max by (namespace) (aiops_self_healing_leader{${NS}}) == 0`);
    expect([noLeader.labels.severity, noLeader.for]).toEqual(['warning', '5m']);
    const failing = ruleNamed(rules, 'SelfHealingActionsFailing');
    expect(failing.expr).toBe(grown(`aiops_self_healing_decisions_total{outcome="failed", ${NS}}`, '15m'));
    expect([failing.labels.severity, failing.for]).toEqual(['warning', '5m']);
    // The runbook says how to read the decisions.
    for (const text of ['kubectl logs -n {{ $labels.namespace }} -l app.kubernetes.io/name=self-healing', '/api/v1/actions', '--field-selector reason=SelfHealingGaveUp']) {
      expect(gaveUp.annotations.runbook).toContain(text);
    }
    // A give-up names no pod: the inhibition of warnings by a critical alert on the same pod never applies.
    expect(gaveUp.expr).not.toMatch(/by \([^)]*pod/);
  });

  it('takes the executor bounds it names from selfHealing.limits', () => {
    const rules = rulesOf({ selfHealing: { limits: { attemptsPerTarget: 5, window: '2h', actionsPerHour: 40 } } });
    expect(ruleNamed(rules, 'SelfHealingGaveUp').annotations.description).toContain('5 actions within 2h did not heal them');
    expect(ruleNamed(rules, 'SelfHealingCircuitBreakerOpen').annotations.description).toContain('took 40 actions within the last hour');
  });

  it('scopes the rules to the namespaces of the release', () => {
    const rules = rulesFor(valuesOf(), { namespace: 'ops', agentsNamespace: 'ops-node-agents' }).groups.flatMap((g) => g.rules);
    expect(rules).toHaveLength(rulesOf().length);
    for (const rule of rules) expect(rule.expr, rule.alert).toContain('namespace=~"ops|ops-node-agents"');
  });

  it('serializes to a YAML rule file that reads back as the same rules', () => {
    const values = valuesOf();
    const yaml = alertRulesYaml(values, SCOPE, scrapedOf(values));
    expect(parse(yaml)).toEqual(rulesFor(values, SCOPE));
    expect(yaml).toBe(alertRulesYaml(values, SCOPE, scrapedOf(values)));
  });
});

describe('the response-time threshold and the latency buckets', () => {
  const load = (text: string) => loadValues({ files: [{ name: 'values.yaml', text }], sets: [] }).values;

  it('rejects a threshold the 95th percentile of the buckets could never exceed', () => {
    expect(() => load('alerting:\n  thresholds:\n    responseTimeSeconds: 30\n')).toThrow(
      /values\.yaml:3:26 +alerting\.thresholds\.responseTimeSeconds: the response-time alert could never fire: 30 s is not below the highest Traefik latency bucket \(30 s/,
    );
  });

  it('accepts it with a larger bucket, or without Traefik', () => {
    expect(load('alerting: {thresholds: {responseTimeSeconds: 30}}\ntraefik: {latencyBuckets: [1, 30, 60]}\n').alerting.thresholds.responseTimeSeconds).toBe(30);
    expect(load('alerting: {thresholds: {responseTimeSeconds: 30}}\ntraefik: {enabled: false}\n').traefik.enabled).toBe(false);
  });
});

describe('metricNames', () => {
  it.each([
    ['functions and aggregations with by', 'sum by (job, mode) (rate(node_cpu_seconds_total{mode="idle"}[5m]))', ['node_cpu_seconds_total']],
    ['binary operators with on() and group_left', 'a_total / on (instance) group_left (node) b_info * 100 > 5', ['a_total', 'b_info']],
    ['ignoring() and set operators', 'x - ignoring (le) y unless z == 1 or absent(w)', ['w', 'x', 'y', 'z']],
    ['offset and @', 'rate(http_requests_total[5m] offset 1h) / rate(http_requests_total[5m] @ end())', ['http_requests_total']],
    ['subqueries', 'max_over_time(rate(requests_total[1m])[30m:1m])', ['requests_total']],
    ['histogram_quantile with a string-free number argument', 'histogram_quantile(0.95, sum by (le, service) (rate(d_bucket[5m])))', ['d_bucket']],
    ['__name__ and quoted names', '{__name__="from_matcher", job="x"} + {"quoted_name"} + label_replace(v, "dst", "$1", "src", "(.*)")', ['from_matcher', 'quoted_name', 'v']],
    ['metric names that look like keywords', 'rate + sum_total', ['rate', 'sum_total']],
  ])('lists the metrics, not labels or functions: %s', (_, expr, names) => {
    expect(metricNames(expr)).toEqual(names);
  });

  it('reads label matchers with their operators and unquoted values', () => {
    expect(vectorSelectors('m{a="1", b!="2", c=~"x|y", d!~`\\d+`}')).toEqual([
      {
        text: 'm{a="1", b!="2", c=~"x|y", d!~`\\d+`}',
        metric: 'm',
        matchers: [
          { name: 'a', op: '=', value: '1' },
          { name: 'b', op: '!=', value: '2' },
          { name: 'c', op: '=~', value: 'x|y' },
          { name: 'd', op: '!~', value: '\\d+' },
        ],
      },
    ]);
  });

  it.each([
    ['an unclosed call', 'rate(foo[5m]', /invalid PromQL at character 13/],
    ['two selectors in a row', 'foo bar', /invalid PromQL at character 5 \(near "bar"\)/],
    ['an empty expression', '', /invalid PromQL at character 1/],
    ['a name pattern', '{__name__=~"node_.*"}', /cannot tell the metric names of selector \{__name__=~"node_\.\*"\}/],
  ])('throws a clear error on %s', (_, expr, message) => {
    expect(() => metricNames(expr)).toThrow(message);
  });
});

describe('metrics catalog', () => {
  const all = Object.values(METRICS).flatMap((s) => s.metrics);

  it('names each metric once, with its source and version, in valid metric-name syntax', () => {
    expect(all.length).toBe(new Set(all).size);
    for (const name of all) expect(name).toMatch(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/);
    for (const source of Object.values(METRICS)) expect(source.version).toMatch(/^(v\d|contract v\d)/);
    expect(isKnownMetric('up')).toBe(true);
    expect(isKnownMetric('node_cpu_seconds')).toBe(false);
  });

  it('lists histograms by their _bucket, _sum and _count series and defines the AI engine contract', () => {
    for (const base of ['traefik_service_request_duration_seconds', 'aiops_inference_duration_seconds', 'aiops_self_healing_action_duration_seconds']) {
      for (const suffix of ['_bucket', '_sum', '_count']) expect(isKnownMetric(base + suffix), base + suffix).toBe(true);
      expect(isKnownMetric(base)).toBe(false);
    }
    expect(METRICS.aiEngine!.metrics).toEqual(
      expect.arrayContaining(['aiops_inference_requests_total', 'aiops_anomalies_detected_total', 'aiops_model_loaded']),
    );
  });

  it('lists the self-healing executor metrics from the names it registers', () => {
    const d = SELF_HEALING_METRICS.actionDuration;
    const { actionDuration: _, ...single } = SELF_HEALING_METRICS;
    expect([...METRICS.selfHealing!.metrics].sort()).toEqual([...Object.values(single), `${d}_bucket`, `${d}_sum`, `${d}_count`].sort());
  });
});
