import { describe, expect, it } from 'vitest';
import { AI_ENGINE_METRICS } from '../../src/core/ai-engine-metrics.js';
import { BUILT_IN_SERIES, builtInSeriesFor, DEFAULT_ENGINE_SERIES, NO_OPTIONAL_SOURCES, OPTIONAL_METRIC_SOURCES } from '../../src/core/ai-engine-series.js';
import { aiEngineSeriesFile } from '../../src/components/aiops/ai-engine-series.js';
import { METRICS, isKnownMetric, OPTIONAL_SOURCE_METRICS } from '../../src/components/monitoring/metrics-catalog.js';
import { metricNames, vectorSelectors } from '../../src/components/monitoring/promql.js';
import { renderConstruct } from '../support/construct.js';

describe('the AI engine default series', () => {
  it.each(DEFAULT_ENGINE_SERIES.map((s) => [s.id, s] as const))('%s parses and reads only metrics of the catalog', (_id, series) => {
    expect(vectorSelectors(series.query).length).toBeGreaterThan(0);
    const unknown = metricNames(series.query).filter((name) => !isKnownMetric(name));
    expect(unknown).toEqual([]);
  });

  it('has unique DNS-label ids and sane steps and windows', () => {
    const ids = DEFAULT_ENGINE_SERIES.map((s) => s.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const s of DEFAULT_ENGINE_SERIES) {
      expect(s.id).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
      expect(s.stepSeconds).toBeGreaterThan(0);
      // Enough points for the detector's warm-up (60) and the forecast's 1 h span.
      expect(s.windowSeconds / s.stepSeconds).toBeGreaterThanOrEqual(60);
      expect(s.windowSeconds).toBeGreaterThanOrEqual(3600);
    }
  });

  it('forecasts exactly the forecast kinds, with an action only where the executor has one', () => {
    for (const s of DEFAULT_ENGINE_SERIES) expect(s.forecast !== undefined).toBe(s.kind !== 'AnomalyDetected');
    const actions = Object.fromEntries(DEFAULT_ENGINE_SERIES.filter((s) => s.forecast).map((s) => [s.id, s.action]));
    expect(actions).toEqual({ 'node-disk-full': 'none', 'elasticsearch-disk-full': 'clean-disk', 'postgresql-connections': 'optimize-db' });
  });

  it('covers the series the issue names: Traefik rate, p95 and 5xx share, CPU and memory per pod, disk, connections, Redis hit rate, heap', () => {
    const reads = (id: string) => metricNames(DEFAULT_ENGINE_SERIES.find((s) => s.id === id)!.query);
    expect(reads('http-request-rate')).toEqual(['traefik_service_requests_total']);
    const byId = (id: string) => DEFAULT_ENGINE_SERIES.find((s) => s.id === id)!;
    expect(byId('pod-cpu')).toMatchObject({ query: 'sum by (namespace, pod) (rate(container_cpu_usage_seconds_total{container!=""}[5m]))', direction: 'up', kind: 'AnomalyDetected', unit: 'cores' });
    expect(byId('pod-memory')).toMatchObject({ query: 'sum by (namespace, pod) (container_memory_working_set_bytes{container!=""})', direction: 'up', kind: 'AnomalyDetected', unit: 'bytes' });
    expect(reads('http-latency-p95')).toEqual(['traefik_service_request_duration_seconds_bucket']);
    expect(reads('redis-hit-rate')).toEqual(['redis_keyspace_hits_total', 'redis_keyspace_misses_total']);
    expect(DEFAULT_ENGINE_SERIES.find((s) => s.id === 'redis-hit-rate')!.direction).toBe('down');
    expect(DEFAULT_ENGINE_SERIES.map((s) => s.id)).toEqual(expect.arrayContaining(['http-error-ratio', 'node-cpu', 'node-memory', 'elasticsearch-jvm-heap']));
  });

  it("names the engine's own metrics as the catalog's contract does", () => {
    expect(Object.values(AI_ENGINE_METRICS).map((n) => (n === AI_ENGINE_METRICS.inferenceDuration ? `${n}_bucket` : n)).every(isKnownMetric)).toBe(true);
    expect(METRICS['aiEngine']!.metrics).toContain(AI_ENGINE_METRICS.modelLoaded);
  });

  it('says which series need an optional source, exactly those that read its metrics (the catalog\'s list)', () => {
    expect(Object.keys(OPTIONAL_SOURCE_METRICS).sort()).toEqual([...OPTIONAL_METRIC_SOURCES].sort());
    for (const b of BUILT_IN_SERIES) {
      const reads = metricNames(b.series.query);
      const sources = OPTIONAL_METRIC_SOURCES.filter((source) => reads.some((m) => OPTIONAL_SOURCE_METRICS[source].metrics.includes(m)));
      expect(sources, b.series.id).toEqual(b.needs ? [b.needs] : []);
    }
    expect(BUILT_IN_SERIES.filter((b) => b.needs === 'cadvisor').map((b) => b.series.id)).toEqual(['pod-cpu', 'pod-memory']);
    expect(DEFAULT_ENGINE_SERIES).toEqual(BUILT_IN_SERIES.map((b) => b.series));
  });
});

describe('the series file and the sources Prometheus scrapes', () => {
  /** The file for `aiEngine.series` values, with or without cAdvisor scraped. */
  const fileOf = (valuesYaml: string, cadvisor: boolean | undefined) => {
    const r = renderConstruct(valuesYaml, (_chart, ctx, values) => (cadvisor === undefined ? aiEngineSeriesFile(ctx, values.aiEngine.series) : aiEngineSeriesFile(ctx, values.aiEngine.series, { cadvisor })));
    return r.built.file.series.map((s) => s.id);
  };
  const withoutPods = DEFAULT_ENGINE_SERIES.map((s) => s.id).filter((id) => !id.startsWith('pod-'));

  it('has the per-pod series only where Prometheus scrapes cAdvisor, in their place among the built-in ones', () => {
    expect(fileOf('', true)).toEqual(DEFAULT_ENGINE_SERIES.map((s) => s.id));
    expect(fileOf('', false)).toEqual(withoutPods);
    // Without a Prometheus (or saying nothing): no optional source.
    expect(fileOf('', undefined)).toEqual(withoutPods);
    expect(builtInSeriesFor(NO_OPTIONAL_SOURCES).map((s) => s.id)).toEqual(withoutPods);
  });

  it('takes a disabled per-pod series without complaint, whether or not it would be there', () => {
    const disabled = 'aiEngine: {series: {disabled: [pod-cpu, node-cpu]}}';
    expect(fileOf(disabled, true)).toEqual(DEFAULT_ENGINE_SERIES.map((s) => s.id).filter((id) => id !== 'pod-cpu' && id !== 'node-cpu'));
    expect(fileOf(disabled, false)).toEqual(withoutPods.filter((id) => id !== 'node-cpu'));
    expect(fileOf('aiEngine: {series: {defaults: false}}', true)).toEqual([]);
  });
});
