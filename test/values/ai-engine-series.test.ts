import { describe, expect, it } from 'vitest';
import { DEFAULT_ENGINE_SERIES } from '../../src/core/ai-engine-series.js';
import { loadValues } from '../../src/values/load.js';
import { issuesOf } from '../support/values-issues.js';

/**
 * `aiEngine.series` in values: what the engine watches (defaults, disabled, extra), every field of
 * an extra series validated for where it goes (alert labels and annotations, a JSON file, a
 * query_range URL), each problem located at its key. The PromQL of `query` is parsed at render
 * (test/components/ai-engine.test.ts): the values layer cannot import the parser.
 */

const load = (text: string) => loadValues({ files: [{ name: 'values.yaml', text }], sets: [] }).values.aiEngine.series;

/** A valid extra series as YAML flow mapping fields, with `fields` added or replaced. */
function extra(fields: Record<string, unknown> = {}): Record<string, unknown> {
  return { id: 'queue-depth', description: 'Depth of the work queue', query: 'sum by (queue) (queue_depth)', kind: 'AnomalyDetected', component: 'worker', ...fields };
}

/** Values with `aiEngine.series` set to `series` (JSON is YAML). */
const valuesWith = (series: unknown) => `aiEngine:\n  series: ${JSON.stringify(series)}\n`;

/** The `path: message` of every issue of values with these series. */
const problems = (series: unknown) => issuesOf(valuesWith(series)).map((i) => `${i.path}: ${i.message}`);

describe('aiEngine.series values', () => {
  it('defaults to the built-in series, none disabled, no extra', () => {
    expect(load('')).toEqual({ defaults: true, disabled: [], extra: [] });
  });

  it('fills an extra series with the documented defaults (1m step, 6h window, both directions, warning, no action, no unit)', () => {
    expect(load(valuesWith({ extra: [extra()] })).extra).toEqual([
      { ...extra(), direction: 'both', severity: 'warning', action: 'none', unit: '', step: '1m', window: '6h' },
    ]);
    const forecast = load(valuesWith({ extra: [extra({ kind: 'DiskFullPredicted', step: '5m', window: '6h', forecast: { limit: 100 } })] })).extra[0]!;
    expect(forecast.forecast).toEqual({ limit: 100, approach: 'rising', horizon: '24h' });
  });

  it('takes a full example: built-ins left out, one replaced by an extra series of the same id, a forecast with every field', () => {
    const v = load(`aiEngine:
  series:
    disabled: [node-cpu, redis-hit-rate]
    extra:
      - id: node-cpu
        description: CPU of a node, busy cores
        query: |
          sum by (node, instance) (
            rate(node_cpu_seconds_total{mode!="idle"}[5m])
          )
        kind: AnomalyDetected
        direction: up
        component: node
        severity: critical
        action: scale-out
        unit: cores
        step: 30s
        window: 2h
      - id: wal-volume-full
        description: The PostgreSQL WAL volume fills up
        query: 100 * (1 - pg_wal_free_bytes / pg_wal_size_bytes)
        kind: DiskFullPredicted
        direction: up
        component: postgresql
        action: clean-disk
        unit: "%"
        step: 5m
        window: 12h
        forecast: {limit: 95, approach: rising, horizon: 2d}
`);
    expect(v.disabled).toEqual(['node-cpu', 'redis-hit-rate']);
    expect(v.extra.map((s) => [s.id, s.step, s.window, s.action])).toEqual([
      ['node-cpu', '30s', '2h', 'scale-out'],
      ['wal-volume-full', '5m', '12h', 'clean-disk'],
    ]);
  });

  it('refuses an unknown disabled id, naming the built-in ones', () => {
    const [issue, ...rest] = issuesOf(valuesWith({ disabled: ['node-cpu', 'node-cpus'] }));
    expect(rest).toEqual([]);
    expect(issue!.path).toBe('aiEngine.series.disabled[1]');
    expect(issue!.location).toBe('values.yaml:2:35');
    expect(issue!.message).toBe(`"node-cpus" is not a built-in series; the built-in ones are ${DEFAULT_ENGINE_SERIES.map((s) => s.id).join(', ')}`);
  });

  it('refuses an id used twice, and the id of a built-in series it keeps (not one it leaves out)', () => {
    expect(problems({ extra: [extra(), extra({ query: 'up' })] })).toEqual(['aiEngine.series.extra[1].id: the id "queue-depth" is used twice (also extra[0].id)']);
    expect(problems({ extra: [extra({ id: 'node-memory' })] })).toEqual([
      'aiEngine.series.extra[0].id: "node-memory" is the id of a built-in series: choose another id, or add it to disabled to replace the built-in one',
    ]);
    expect(load(valuesWith({ disabled: ['node-memory'], extra: [extra({ id: 'node-memory' })] })).extra[0]!.id).toBe('node-memory');
    expect(load(valuesWith({ defaults: false, extra: [extra({ id: 'node-memory' })] })).extra[0]!.id).toBe('node-memory');
  });

  it('refuses ids and components that are no DNS labels', () => {
    for (const id of ['Queue', 'queue_depth', '-queue', 'a'.repeat(40), '', 'q\nx']) {
      expect(problems({ extra: [extra({ id: id === 'a'.repeat(40) ? 'a'.repeat(64) : id })] }), JSON.stringify(id)).toEqual([
        `aiEngine.series.extra[0].id: expected a series id: a DNS label (lower-case letters, digits and '-', at most 63 characters), found ${JSON.stringify(id)}${id.length === 40 ? '… (64 characters)' : ''}`,
      ]);
    }
    expect(problems({ extra: [extra({ component: 'Worker Pool' })] })).toEqual([
      `aiEngine.series.extra[0].component: expected a component name: a DNS label (lower-case letters, digits and '-', at most 63 characters), found "Worker Pool"`,
    ]);
  });

  it('refuses control characters and line breaks in description and unit, and bounds their lengths', () => {
    expect(problems({ extra: [extra({ description: 'Queue\ndepth' })] })).toEqual(['aiEngine.series.extra[0].description: description contains a line break at position 6']);
    expect(problems({ extra: [extra({ description: 'Queue\rdepth' })] })).toEqual(['aiEngine.series.extra[0].description: description contains a carriage return at position 6']);
    expect(problems({ extra: [extra({ description: 'Queue\u001b[31m' })] })).toEqual(['aiEngine.series.extra[0].description: description contains the control character U+001B at position 6']);
    expect(problems({ extra: [extra({ description: 'Queue\u2028depth' })] })).toEqual(['aiEngine.series.extra[0].description: description contains the control character U+2028 at position 6']);
    expect(problems({ extra: [extra({ unit: 'req\t/s' })] })).toEqual(['aiEngine.series.extra[0].unit: unit contains a tab at position 4']);
    expect(problems({ extra: [extra({ unit: 'x'.repeat(17) })] })).toEqual(['aiEngine.series.extra[0].unit: unit has 17 characters, more than 16']);
    expect(problems({ extra: [extra({ description: 'x'.repeat(201) })] })).toEqual(['aiEngine.series.extra[0].description: description has 201 characters, more than 200']);
    expect(problems({ extra: [extra({ description: '' })] })).toEqual(['aiEngine.series.extra[0].description: description is empty']);
  });

  it('takes a query over several lines (PromQL whitespace) but no other control character, and bounds its length', () => {
    expect(load(valuesWith({ extra: [extra({ query: 'sum by (queue) (\n\tqueue_depth\r\n)' })] })).extra[0]!.query).toBe('sum by (queue) (\n\tqueue_depth\r\n)');
    expect(problems({ extra: [extra({ query: 'sum(up)\u0000' })] })).toEqual(['aiEngine.series.extra[0].query: query contains the control character U+0000 at position 8']);
    expect(problems({ extra: [extra({ query: `sum(${'x'.repeat(4096)})` })] })).toEqual(['aiEngine.series.extra[0].query: query has 4101 characters, more than 4096']);
  });

  it('refuses an unknown kind, direction, severity and action, naming the known ones', () => {
    const [kind, direction, severity, action] = [
      problems({ extra: [extra({ kind: 'Anomaly' })] }),
      problems({ extra: [extra({ direction: 'sideways' })] }),
      problems({ extra: [extra({ severity: 'page' })] }),
      problems({ extra: [extra({ action: 'reboot-node' })] }),
    ];
    expect(kind).toEqual(['aiEngine.series.extra[0].kind: expected one of "AnomalyDetected" | "DiskFullPredicted" | "ConnectionsExhaustionPredicted", found string "Anomaly"']);
    expect(direction).toEqual(['aiEngine.series.extra[0].direction: expected one of "up" | "down" | "both", found string "sideways"']);
    expect(severity).toEqual(['aiEngine.series.extra[0].severity: expected one of "warning" | "critical", found string "page"']);
    expect(action).toEqual(['aiEngine.series.extra[0].action: expected one of "none" | "restart-pod" | "scale-out" | "clean-disk" | "optimize-db", found string "reboot-node"']);
  });

  it('asks for a forecast exactly on the forecast kinds', () => {
    expect(problems({ extra: [extra({ kind: 'DiskFullPredicted' })] })).toEqual([
      'aiEngine.series.extra[0].forecast: kind DiskFullPredicted forecasts a limit: forecast (limit, approach, horizon) is required',
    ]);
    expect(problems({ extra: [extra({ kind: 'ConnectionsExhaustionPredicted', step: '5m' })] })).toEqual([
      'aiEngine.series.extra[0].forecast: kind ConnectionsExhaustionPredicted forecasts a limit: forecast (limit, approach, horizon) is required',
    ]);
    expect(problems({ extra: [extra({ forecast: { limit: 100 } })] })).toEqual([
      'aiEngine.series.extra[0].forecast: kind AnomalyDetected scores each point and forecasts nothing: remove forecast (or use DiskFullPredicted or ConnectionsExhaustionPredicted)',
    ]);
    expect(problems({ extra: [extra({ kind: 'DiskFullPredicted', step: '5m', forecast: {} })] })).toEqual(['aiEngine.series.extra[0].forecast.limit: expected number, found nothing']);
    expect(problems({ extra: [extra({ kind: 'DiskFullPredicted', step: '5m', forecast: { limit: 100, approach: 'up', horizon: '60d' } })] })).toEqual([
      'aiEngine.series.extra[0].forecast.approach: expected one of "rising" | "falling", found string "up"',
    ]);
    expect(problems({ extra: [extra({ kind: 'DiskFullPredicted', step: '5m', forecast: { limit: 100, horizon: '60d' } })] })).toEqual([
      'aiEngine.series.extra[0].forecast.horizon: expected a horizon of whole seconds above 0 and up to 30d, found 60d',
    ]);
  });

  it('needs 60 steps in the window of AnomalyDetected (the warm-up), and 10 to 720 steps over an hour for a forecast', () => {
    expect(problems({ extra: [extra({ window: '59m' })] })).toEqual([
      'aiEngine.series.extra[0].window: window 59m holds 59 steps of 1m: the detector scores a point only after 60 points of history; use a window of at least 1h or a shorter step',
    ]);
    expect(problems({ extra: [extra({ step: '5m', window: '4h' })] })).toEqual([
      'aiEngine.series.extra[0].window: window 4h holds 48 steps of 5m: the detector scores a point only after 60 points of history; use a window of at least 5h or a shorter step',
    ]);
    expect(load(valuesWith({ extra: [extra({ window: '1h' })] })).extra[0]!.window).toBe('1h');
    const disk = (step: string, window: string) => extra({ kind: 'DiskFullPredicted', step, window, forecast: { limit: 100 } });
    expect(problems({ extra: [disk('10m', '1h')] })).toEqual([
      'aiEngine.series.extra[0].window: window 1h is too short for a forecast: it needs 10 steps and 1h at least (1h holds 6 steps of 10m)',
    ]);
    expect(problems({ extra: [disk('1m', '13h')] })).toEqual([
      'aiEngine.series.extra[0].window: window 13h holds 780 steps of 1m, more than the 720 points the engine keeps per label set for a forecast; use a window of at most 12h or a longer step',
    ]);
    expect(load(valuesWith({ extra: [disk('1m', '12h')] })).extra[0]!.window).toBe('12h');
  });

  it('bounds step and window, and refuses what is no duration', () => {
    expect(problems({ extra: [extra({ step: '5s', window: '1h' })] })).toEqual(['aiEngine.series.extra[0].step: expected a step of whole seconds from 10s to 1h, found 5s']);
    expect(problems({ extra: [extra({ step: '1500ms' })] })).toEqual(['aiEngine.series.extra[0].step: expected a step of whole seconds from 10s to 1h, found 1.5 s']);
    expect(problems({ extra: [extra({ step: '2h', window: '5d' })] })).toEqual(['aiEngine.series.extra[0].step: expected a step of whole seconds from 10s to 1h, found 2h']);
    expect(problems({ extra: [extra({ window: '8d' })] })).toEqual(['aiEngine.series.extra[0].window: expected a window of whole seconds up to 7d, found 8d']);
    expect(problems({ extra: [extra({ step: 'one minute' })] })).toEqual(['aiEngine.series.extra[0].step: expected a Prometheus duration such as 15d, 12h or 90d, found "one minute"']);
    expect(problems({ extra: [extra({ window: '0s' })] })).toEqual(['aiEngine.series.extra[0].window: expected a duration above 0, found "0s"']);
    expect(problems({ extra: [extra({ kind: 'DiskFullPredicted', forecast: { limit: 1, horizon: '0s' } })] })).toEqual([
      'aiEngine.series.extra[0].forecast.horizon: expected a duration above 0, found "0s"',
    ]);
  });

  it('refuses unknown keys, missing required fields and more than 100 series in all', () => {
    expect(problems({ extra: [extra({ labels: { team: 'a' } })] })).toEqual([
      'aiEngine.series.extra[0].labels: unknown key "labels" (allowed: action, component, description, direction, forecast, id, kind, query, severity, step, unit, window)',
    ]);
    const { query: _query, ...noQuery } = extra();
    expect(problems({ extra: [noQuery] })).toEqual(['aiEngine.series.extra[0].query: expected string, found nothing']);
    // Every built-in series counts, also those left out for a source Prometheus does not scrape (the values cannot know).
    const builtIn = DEFAULT_ENGINE_SERIES.length;
    const many = Array.from({ length: 101 - builtIn }, (_, i) => extra({ id: `s${i}` }));
    expect(problems({ extra: many })).toEqual([`aiEngine.series.extra: ${builtIn} built-in and ${101 - builtIn} extra series are more than 100`]);
    expect(load(valuesWith({ defaults: false, extra: many })).extra).toHaveLength(101 - builtIn);
    expect(problems({ extra: Array.from({ length: 101 }, (_, i) => extra({ id: `s${i}` })) })[0]).toMatch(/^aiEngine\.series\.extra: /);
  });

  it('reports every problem of several series at once, each at its own key', () => {
    const issues = issuesOf(`aiEngine:
  series:
    disabled: [nope]
    extra:
      - {id: a, description: "x\\ny", query: up, kind: AnomalyDetected, component: c}
      - {id: b, description: ok, query: up, kind: DiskFullPredicted, component: c, step: 5m}
`);
    expect(issues.map((i) => `${i.location} ${i.path}`)).toEqual([
      'values.yaml:3:16 aiEngine.series.disabled[0]',
      'values.yaml:5:30 aiEngine.series.extra[0].description',
      // Located at the kind that asks for it (forecast is not set).
      'values.yaml:6:51 aiEngine.series.extra[1].forecast',
    ]);
  });
});
