import { describe, expect, it } from 'vitest';
import { dashboards, expandGrafanaMacros, type DashboardComponents } from '../../src/components/monitoring/dashboards/index.js';
import { isKnownMetric } from '../../src/components/monitoring/metrics-catalog.js';
import { SELF_HEALING_METRICS } from '../../src/core/self-healing-metrics.js';
import { metricNames, vectorSelectors } from '../../src/components/monitoring/promql.js';
import { loadValues } from '../../src/values/load.js';

const ALL: DashboardComponents = { nodeExporter: true, traefik: true, postgresql: true, redis: true, aiEngine: true, selfHealing: true };
const THRESHOLDS = loadValues({ files: [], sets: [] }).values.alerting.thresholds;
const build = (components = ALL, thresholds = THRESHOLDS) => dashboards({ components, thresholds });

/** Every panel of a dashboard model, rows and their nested panels included, in layout order. */
function panelsOf(model: any): any[] {
  return (model.panels ?? []).flatMap((p: any) => [p, ...panelsOf(p)]);
}
const files = build();
const models = files.map((f) => JSON.parse(f.json));
const dataPanels = (model: any) => panelsOf(model).filter((p) => p.type !== 'row');

describe('dashboards', () => {
  it('renders the five metric areas and self-healing with stable uids and file names', () => {
    expect(files.map((f) => [f.uid, f.fileName])).toEqual([
      ['aiops-system', 'aiops-system.json'],
      ['aiops-application', 'aiops-application.json'],
      ['aiops-database', 'aiops-database.json'],
      ['aiops-cache', 'aiops-cache.json'],
      ['aiops-ai', 'aiops-ai.json'],
      ['aiops-self-healing', 'aiops-self-healing.json'],
    ]);
    expect(models.map((m) => m.uid)).toEqual(files.map((f) => f.uid));
  });

  it('renders only the dashboards of running metric sources', () => {
    expect(build({ ...ALL, traefik: false, aiEngine: false }).map((f) => f.uid)).toEqual(['aiops-system', 'aiops-database', 'aiops-cache', 'aiops-self-healing']);
    expect(build({ ...ALL, selfHealing: false }).map((f) => f.uid)).not.toContain('aiops-self-healing');
    expect(build({ nodeExporter: false, traefik: false, postgresql: false, redis: false, aiEngine: false, selfHealing: false })).toEqual([]);
  });

  it('builds byte-identical JSON twice, without timestamps', () => {
    expect(build().map((f) => f.json)).toEqual(files.map((f) => f.json));
    for (const f of files) expect(f.json).not.toMatch(/\d{4}-\d{2}-\d{2}T\d{2}:/);
  });

  it('gives every panel a unique id and a place on the 24-column grid without overlaps', () => {
    for (const model of models) {
      const panels = panelsOf(model);
      expect(panels.map((p) => p.id)).toEqual(panels.map((_, i) => i + 1));
      const cells = new Set<string>();
      for (const { gridPos: g } of panels) {
        expect(g.x + g.w).toBeLessThanOrEqual(24);
        for (let x = g.x; x < g.x + g.w; x++) {
          for (let y = g.y; y < g.y + g.h; y++) {
            expect(cells.has(`${x},${y}`), `${model.uid}: overlap at ${x},${y}`).toBe(false);
            cells.add(`${x},${y}`);
          }
        }
      }
    }
  });

  it('gives every panel Prometheus targets with a non-empty expression on the datasource variable', () => {
    for (const model of models) {
      expect(dataPanels(model).length).toBeGreaterThanOrEqual(8);
      for (const panel of dataPanels(model)) {
        expect(panel.datasource, `${model.uid} ${panel.title}`).toEqual({ type: 'prometheus', uid: '${datasource}' });
        expect(panel.targets.length, `${model.uid} ${panel.title}`).toBeGreaterThan(0);
        for (const t of panel.targets) expect(t.expr.trim(), `${model.uid} ${panel.title}`).not.toBe('');
      }
    }
  });

  it('lists every panel target expression in queries, in layout order', () => {
    files.forEach((file, i) => {
      expect(file.queries).toEqual(dataPanels(models[i]).flatMap((p) => p.targets.map((t: any) => t.expr)));
    });
  });

  it('queries only catalogued metrics, in valid PromQL, never by job label', () => {
    for (const query of files.flatMap((f) => f.queries)) {
      const promql = expandGrafanaMacros(query);
      expect(promql).not.toContain('$__');
      const unknown = metricNames(promql).filter((name) => !isKnownMetric(name));
      expect(unknown, query).toEqual([]);
      expect(vectorSelectors(promql).flatMap((s) => s.matchers.map((m) => m.name)), query).not.toContain('job');
    }
  });

  it('offers a datasource variable first and label variables on metrics the panels use', () => {
    files.forEach((file, i) => {
      const [datasource, ...labels] = models[i].templating.list;
      expect(datasource).toMatchObject({ type: 'datasource', name: 'datasource', query: 'prometheus', current: { value: 'prometheus' } });
      expect(labels.length).toBe(1);
      const [, metric, label] = /^label_values\((\w+), (\w+)\)$/.exec(labels[0].query)!;
      expect(file.queries.some((q) => q.includes(metric!)), `${file.uid}: ${metric}`).toBe(true);
      expect(file.queries.some((q) => q.includes(`${label}=~"$${labels[0].name}"`)), `${file.uid}: $${labels[0].name}`).toBe(true);
    });
  });

  it('draws the alert thresholds from alerting.thresholds', () => {
    const steps = (uid: string, title: string, thresholds = THRESHOLDS) => {
      const model = JSON.parse(build(ALL, thresholds).find((f) => f.uid === uid)!.json);
      return dataPanels(model).find((p) => p.title === title).fieldConfig.defaults.thresholds.steps;
    };
    expect(steps('aiops-system', 'CPU usage by node')).toEqual([{ value: null, color: 'green' }, { value: 0.8, color: 'red' }]);
    expect(steps('aiops-system', 'CPU usage by node', { ...THRESHOLDS, cpuPercent: 70 })[1].value).toBe(0.7);
    expect(steps('aiops-application', 'Response time p95')[1].value).toBe(5);
    expect(steps('aiops-application', 'Error rate (5xx)')[1].value).toBe(0.05);
    expect(steps('aiops-database', 'Connections in use')[1].value).toBe(0.8);
    // A hit rate below the threshold is the bad side.
    expect(steps('aiops-cache', 'Hit rate')).toEqual([{ value: null, color: 'red' }, { value: 0.8, color: 'green' }]);
  });

  it('covers the seed metric areas with the expected metrics', () => {
    const metrics = (uid: string) => new Set(files.find((f) => f.uid === uid)!.queries.flatMap((q) => metricNames(expandGrafanaMacros(q))));
    expect([...metrics('aiops-system')]).toEqual(
      expect.arrayContaining(['node_cpu_seconds_total', 'node_memory_MemAvailable_bytes', 'node_filesystem_avail_bytes', 'node_network_receive_bytes_total']),
    );
    expect([...metrics('aiops-application')]).toEqual(expect.arrayContaining(['traefik_service_request_duration_seconds_bucket', 'traefik_service_requests_total']));
    expect([...metrics('aiops-database')]).toEqual(
      expect.arrayContaining(['pg_stat_database_numbackends', 'pg_settings_max_connections', 'pg_locks_count', 'pg_stat_database_deadlocks', 'pg_stat_database_xact_commit']),
    );
    expect([...metrics('aiops-cache')]).toEqual(
      expect.arrayContaining(['redis_keyspace_hits_total', 'redis_commands_duration_seconds_total', 'redis_connected_clients', 'redis_memory_max_bytes']),
    );
    expect([...metrics('aiops-ai')]).toEqual(
      expect.arrayContaining(['aiops_inference_requests_total', 'aiops_inference_duration_seconds_bucket', 'aiops_anomalies_detected_total', 'aiops_model_loaded']),
    );
    // Every metric of the executor has a panel.
    expect([...metrics('aiops-self-healing')].sort()).toEqual(
      Object.values(SELF_HEALING_METRICS)
        .map((name) => (name === SELF_HEALING_METRICS.actionDuration ? `${name}_bucket` : name))
        .concat(`${SELF_HEALING_METRICS.actionDuration}_count`)
        .sort(),
    );
  });

  it('shows the self-healing decisions, give-ups, action duration, circuit breaker, Lease holder and audit failures', () => {
    const file = files.find((f) => f.uid === 'aiops-self-healing')!;
    const panels = dataPanels(JSON.parse(file.json));
    const panel = (title: string) => {
      const found = panels.find((p) => p.title === title);
      if (!found) throw new Error(`no panel ${title}`);
      return found;
    };
    const exprs = (title: string) => panel(title).targets.map((t: any) => t.expr);
    expect(panels.map((p) => [p.type, p.title])).toEqual([
      ['stat', 'Acted in range'],
      ['stat', 'Dry runs in range'],
      ['stat', 'Failed in range'],
      ['stat', 'Gave up in range'],
      ['stat', 'Circuit breaker open'],
      ['stat', 'Replicas holding the Lease'],
      ['timeseries', 'Decisions by outcome'],
      ['timeseries', 'Decisions by rule'],
      ['timeseries', 'Action duration by rule'],
      ['timeseries', 'Actions by action'],
      ['timeseries', 'Pending approvals'],
      ['timeseries', 'Approval steps'],
      ['timeseries', 'Circuit breaker open'],
      ['timeseries', 'Lease holder'],
      ['timeseries', 'Audit write failures'],
    ]);
    expect(JSON.parse(file.json).title).toBe('AIOps / Self-healing');
    expect(exprs('Decisions by outcome')).toEqual(['sum by (outcome) (rate(aiops_self_healing_decisions_total{rule=~"$rule"}[$__rate_interval])) * 60']);
    // In range: a series born within the range (a rule's first failure) counts with its value.
    expect(exprs('Failed in range')).toEqual([
      'sum((aiops_self_healing_decisions_total{outcome="failed", rule=~"$rule"} unless aiops_self_healing_decisions_total{outcome="failed", rule=~"$rule"} offset $__range) + 0' +
        ' or increase(aiops_self_healing_decisions_total{outcome="failed", rule=~"$rule"}[$__range]))',
    ]);
    expect(exprs('Pending approvals')).toEqual(['sum(aiops_self_healing_pending_approvals)']);
    expect(exprs('Approval steps')).toEqual(['sum by (outcome) (rate(aiops_self_healing_decisions_total{outcome=~"pending|approved|rejected|expired", rule=~"$rule"}[$__rate_interval])) * 60']);
    expect(exprs('Gave up in range')[0]).toContain('increase(aiops_self_healing_gave_up_total{rule=~"$rule"}[$__range])');
    expect(exprs('Action duration by rule')).toEqual([0.5, 0.95].map(
      (q) => `histogram_quantile(${q}, sum by (rule, le) (rate(aiops_self_healing_action_duration_seconds_bucket{rule=~"$rule"}[$__rate_interval])))`,
    ));
    expect(panel('Action duration by rule').targets.map((t: any) => t.legendFormat)).toEqual(['{{rule}} p50', '{{rule}} p95']);
    expect(exprs('Lease holder')).toEqual(['max by (pod) (aiops_self_healing_leader)']);
    expect(panel('Lease holder').targets[0].legendFormat).toBe('{{pod}}');
    expect(panel('Replicas holding the Lease').fieldConfig.defaults.thresholds.steps).toEqual([{ value: null, color: 'red' }, { value: 1, color: 'green' }]);
    expect(exprs('Audit write failures')).toEqual(['sum by (pod) (increase(aiops_self_healing_audit_write_failures_total[$__rate_interval]))']);
  });
});

describe('expandGrafanaMacros', () => {
  it('replaces Grafana range macros by durations and keeps variables inside strings', () => {
    expect(expandGrafanaMacros('sum(rate(x{node=~"$node"}[$__rate_interval])) + increase(y[$__range])')).toBe(
      'sum(rate(x{node=~"$node"}[2m])) + increase(y[6h])',
    );
  });
});
