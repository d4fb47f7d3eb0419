/**
 * The AI engine's series queries against Prometheus' own parser: every query of a rendered
 * series.json (the built-in series and extra ones from values) passes `promtool check rules` as a
 * recording rule and is answered by a real Prometheus' `query_range`, as the engine sends it
 * (URLSearchParams). The queries the chart refuses at render (src/components/aiops/ai-engine-series.ts)
 * are refused by Prometheus too: by promtool where it type-checks, by query_range for a result
 * that is no instant vector or scalar (promtool does not check a rule's result type).
 *
 * Needs promtool and prometheus (Debian: `apt-get install prometheus`). Skipped with a warning
 * when missing locally; fails when missing in CI (`CI=true`).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AiEngine } from '../../src/components/aiops/ai-engine.js';
import { aiEngineSeriesFile, promqlProblem } from '../../src/components/aiops/ai-engine-series.js';
import { parseSeriesFile, type SeriesFile } from '../../src/core/ai-engine-series-file.js';
import { yamlFile } from '../../src/lib/config-files.js';
import { renderConstruct } from '../support/construct.js';
import { PROMETHEUS_BINARY, startPrometheus, type TestServer } from '../support/prom-servers.js';
import { onPath, output, runProcess, toolsPresent } from '../support/process.js';
import { find } from '../support/render.js';

const promtool = onPath('promtool');
const present = toolsPresent('the AI engine series promtool tests', [...(promtool ? [] : ['promtool']), ...(PROMETHEUS_BINARY ? [] : ['prometheus'])], 'Debian: apt-get install prometheus');

/** Extra series of several shapes; the built-in ones come along. */
const EXTRA_QUERIES = [
  'sum by (queue) (queue_depth)',
  'sum by (job) (\n  rate(http_requests_total{code=~"5.."}[5m])\n)\n/ sum by (job) (rate(http_requests_total[5m]))',
  'max_over_time(rate(x_total[5m])[1h:1m])',
  'quantile_over_time(0.95, latency_seconds[10m])',
  'predict_linear(node_filesystem_avail_bytes{fstype!~"tmpfs"}[6h], 86400) < 0',
  'up offset 1h',
  'scalar(sum(up))',
  'label_replace(up, "host", "$1", "instance", "(.*):.*")',
  'histogram_quantile(0.99, sum by (le) (rate(h_bucket[5m])))',
  'sum(up) > bool 0',
  '-up',
  'vector(1)',
];

/** Queries the chart refuses, with whether promtool refuses them too (a type or syntax error) or only query_range (the result type). */
const REFUSED: readonly { query: string; promtool: boolean }[] = [
  { query: 'sum(rate(x[5m])', promtool: true },
  { query: 'up{job="a" | 1', promtool: true },
  { query: 'rate(http_requests_total)', promtool: true },
  { query: 'sum(x[5m])', promtool: true },
  { query: 'abs(x[5m])', promtool: true },
  { query: 'x[5m] + 1', promtool: true },
  { query: 'up + "text"', promtool: true },
  { query: 'up[5m]', promtool: false },
  { query: 'rate(x[5m])[1h:1m]', promtool: false },
  { query: '"text"', promtool: false },
];

const dir = mkdtempSync(join(tmpdir(), 'aiops-engine-series-promtool-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The series file the chart renders with `queries` as extra series. */
function renderedSeries(queries: readonly string[]): SeriesFile {
  const extra = queries.map((query, i) => ({ id: `extra-${i}`, description: `Extra ${i}`, kind: 'AnomalyDetected', component: 'test', query }));
  const r = renderConstruct(`aiEngine:\n  series:\n    extra: ${JSON.stringify(extra)}\n`, (chart, ctx, values) => new AiEngine(chart, 'ai-engine', { ctx, values: values.aiEngine }));
  return parseSeriesFile(JSON.parse(find(r.objects, 'ConfigMap', 'aiops-platform-ai-engine').data['series.json']));
}

/** `promtool check rules` on one recording rule per query. */
async function checkRules(name: string, queries: readonly string[]) {
  const rules = { groups: [{ name: 'ai-engine-series', rules: queries.map((expr, i) => ({ record: `aiops:ai_engine_series:${i}`, expr })) }] };
  const file = join(dir, name);
  writeFileSync(file, yamlFile(rules));
  return runProcess(promtool!, ['check', 'rules', file]);
}

describe.runIf(present)('AI engine series queries and Prometheus', () => {
  let prometheus: TestServer;
  beforeAll(async () => {
    prometheus = await startPrometheus({ config: 'global: {scrape_interval: 15s}\nscrape_configs: []\n' });
  }, 30_000);
  afterAll(async () => prometheus?.stop());

  /** Prometheus' answer to `query_range` of `query`, sent as the engine sends it. */
  const queryRange = async (query: string) => {
    const end = Math.floor(Date.now() / 1000);
    const res = await fetch(`${prometheus.url}/api/v1/query_range?${new URLSearchParams({ query, start: String(end - 3600), end: String(end), step: '60' })}`);
    return { status: res.status, body: (await res.json()) as { status: string; error?: string } };
  };

  it('passes promtool check rules with every rendered query, built-in and extra', async () => {
    const file = renderedSeries(EXTRA_QUERIES);
    expect(file.series.filter((s) => s.id.startsWith('extra-')).map((s) => s.query)).toEqual(EXTRA_QUERIES);
    const result = await checkRules('rendered.yml', file.series.map((s) => s.query));
    expect(result.code, output(result)).toBe(0);
    expect(result.stdout).toContain(`SUCCESS: ${file.series.length} rules found`);
  });

  it('passes promtool and query_range with the series that need cAdvisor too (prometheus.kubelet.enabled)', async () => {
    const { built } = renderConstruct('', (_chart, ctx, values) => aiEngineSeriesFile(ctx, values.aiEngine.series, { cadvisor: true }));
    const pods = built.file.series.filter((s) => s.id.startsWith('pod-'));
    expect(pods.map((s) => s.id)).toEqual(['pod-cpu', 'pod-memory']);
    const result = await checkRules('cadvisor.yml', built.file.series.map((s) => s.query));
    expect(result.code, output(result)).toBe(0);
    for (const s of pods) {
      const { status, body } = await queryRange(s.query);
      expect([s.id, status, body.error]).toEqual([s.id, 200, undefined]);
    }
  });

  it('has every rendered query answered by query_range', async () => {
    for (const s of renderedSeries(EXTRA_QUERIES).series) {
      const { status, body } = await queryRange(s.query);
      expect([s.id, status, body.error]).toEqual([s.id, 200, undefined]);
    }
  });

  it('refuses at render what Prometheus refuses: promtool for syntax and type errors, query_range for the result type', async () => {
    for (const { query, promtool: byPromtool } of REFUSED) {
      expect(promqlProblem(query), query).toBeDefined();
      expect(() => renderedSeries([query]), query).toThrow(/expected a PromQL expression for query_range/);
      const result = await checkRules('refused.yml', [query]);
      expect([query, result.code !== 0]).toEqual([query, byPromtool]);
      const { status } = await queryRange(query);
      expect([query, status]).toEqual([query, 400]);
    }
  });

  it('can fail: a query promtool refuses makes the check fail', async () => {
    const result = await checkRules('broken.yml', ['sum(']);
    expect(result.code).not.toBe(0);
  });
});
