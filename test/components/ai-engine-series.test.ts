import { describe, expect, it } from 'vitest';
import { AI_ENGINE_METRICS } from '../../src/core/ai-engine-metrics.js';
import { DEFAULT_ENGINE_SERIES } from '../../src/core/ai-engine-series.js';
import { METRICS, isKnownMetric } from '../../src/components/monitoring/metrics-catalog.js';
import { metricNames, vectorSelectors } from '../../src/components/monitoring/promql.js';

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

  it('covers the series the issue names: Traefik rate, p95 and 5xx share, CPU, memory, disk, connections, Redis hit rate, heap', () => {
    const reads = (id: string) => metricNames(DEFAULT_ENGINE_SERIES.find((s) => s.id === id)!.query);
    expect(reads('http-request-rate')).toEqual(['traefik_service_requests_total']);
    expect(reads('http-latency-p95')).toEqual(['traefik_service_request_duration_seconds_bucket']);
    expect(reads('redis-hit-rate')).toEqual(['redis_keyspace_hits_total', 'redis_keyspace_misses_total']);
    expect(DEFAULT_ENGINE_SERIES.find((s) => s.id === 'redis-hit-rate')!.direction).toBe('down');
    expect(DEFAULT_ENGINE_SERIES.map((s) => s.id)).toEqual(expect.arrayContaining(['http-error-ratio', 'node-cpu', 'node-memory', 'elasticsearch-jvm-heap']));
  });

  it("names the engine's own metrics as the catalog's contract does", () => {
    expect(Object.values(AI_ENGINE_METRICS).map((n) => (n === AI_ENGINE_METRICS.inferenceDuration ? `${n}_bucket` : n)).every(isKnownMetric)).toBe(true);
    expect(METRICS['aiEngine']!.metrics).toContain(AI_ENGINE_METRICS.modelLoaded);
  });
});
