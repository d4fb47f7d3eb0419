import { describe, expect, it } from 'vitest';
import { DEFAULT_ENGINE_SERIES, type EngineSeries } from '../../src/core/ai-engine-series.js';
import { parseSeriesFile, secondsText, seriesProblems, seriesTextProblem, SERIES_LIMITS } from '../../src/core/ai-engine-series-file.js';
import { SeriesDetector } from '../../src/services/ai-engine/detect/series-detector.js';
import { forecastLimit } from '../../src/services/ai-engine/detect/forecast.js';
import { DEFAULT_KEEP_POINTS } from '../../src/services/ai-engine/sources/prometheus.js';

/** The AI engine's series file format, read by the chart (its own output) and the engine alike. */

const SCORED: EngineSeries = {
  id: 'queue-depth',
  description: 'Depth of the work queue',
  query: 'sum by (queue) (queue_depth)',
  stepSeconds: 60,
  windowSeconds: 6 * 3600,
  kind: 'AnomalyDetected',
  direction: 'up',
  component: 'worker',
  severity: 'warning',
  action: 'none',
  unit: 'jobs',
};
const file = (...series: unknown[]) => ({ version: 1, series });
/** The problems `input` is refused with, one per line. */
const problemsOf = (input: unknown): string[] => {
  try {
    parseSeriesFile(input);
  } catch (error) {
    const [head, ...lines] = (error as Error).message.split('\n');
    expect(head).toBe('invalid AI engine series file:');
    return lines;
  }
  throw new Error('expected the file to be refused');
};

describe('the AI engine series file', () => {
  it('takes the built-in series as they are', () => {
    expect(parseSeriesFile(file(...DEFAULT_ENGINE_SERIES)).series).toEqual(DEFAULT_ENGINE_SERIES);
    expect(parseSeriesFile(file()).series).toEqual([]);
  });

  it('refuses another version, unknown keys and a missing field, naming each', () => {
    expect(problemsOf({ version: 2, series: [] })).toEqual(['version: expected 1']);
    expect(problemsOf({ version: 1, series: [], rules: [], x: 1 })).toEqual(['(file): unknown keys "rules", "x"']);
    expect(problemsOf({ version: 1 })).toEqual(['series: required']);
    expect(problemsOf(null)).toEqual(['(file): expected an object {version, series}, found null']);
    expect(problemsOf([])).toEqual(['(file): expected an object {version, series}, found an array']);
    expect(problemsOf({ version: 1, series: {} })).toEqual(['series: expected array, found object']);
    expect(problemsOf(file({ ...SCORED, labels: {} }))).toEqual(['series.0: unknown key "labels"']);
    const { query: _query, ...noQuery } = SCORED;
    expect(problemsOf(file(SCORED, noQuery))).toEqual(['series.1.query: required']);
  });

  it('refuses hostile text: ids and components that are no DNS labels, control characters, lone surrogates, overlong text', () => {
    expect(problemsOf(file({ ...SCORED, id: 'Queue' }))[0]).toMatch(/^series\.0\.id: expected a DNS label/);
    expect(problemsOf(file({ ...SCORED, component: 'a b' }))[0]).toMatch(/^series\.0\.component: expected a DNS label/);
    expect(problemsOf(file({ ...SCORED, description: 'a\nb' }))).toEqual(['series.0.description: contains a line break at position 2']);
    expect(problemsOf(file({ ...SCORED, unit: '\u0085' }))).toEqual(['series.0.unit: contains the control character U+0085 at position 1']);
    expect(problemsOf(file({ ...SCORED, description: 'x\uD800' }))).toEqual(['series.0.description: contains a lone UTF-16 surrogate at position 2']);
    expect(problemsOf(file({ ...SCORED, query: 'up\u0007' }))).toEqual(['series.0.query: contains the control character U+0007 at position 3']);
    expect(problemsOf(file({ ...SCORED, query: 'x'.repeat(SERIES_LIMITS.queryLength + 1) }))).toEqual(['series.0.query: expected at most 4096 characters']);
    expect(problemsOf(file({ ...SCORED, description: '' }))).toEqual(['series.0.description: expected at least 1 characters']);
    expect(parseSeriesFile(file({ ...SCORED, query: 'sum(\n\tup\r\n)' })).series[0]!.query).toBe('sum(\n\tup\r\n)');
  });

  it('refuses an unknown kind, action and a forecast on the wrong kind, and ids used twice', () => {
    expect(problemsOf(file({ ...SCORED, kind: 'Guess' }))).toEqual(['series.0.kind: expected one of "AnomalyDetected", "DiskFullPredicted", "ConnectionsExhaustionPredicted"']);
    expect(problemsOf(file({ ...SCORED, action: 'reboot' }))).toEqual(['series.0.action: expected one of "none", "restart-pod", "scale-out", "clean-disk", "optimize-db"']);
    expect(problemsOf(file({ ...SCORED, forecast: { limit: 1 } }))).toEqual([
      'series.0.forecast: kind AnomalyDetected scores each point and forecasts nothing: remove forecast (or use DiskFullPredicted or ConnectionsExhaustionPredicted)',
    ]);
    expect(problemsOf(file({ ...SCORED, kind: 'DiskFullPredicted' }))).toEqual([
      'series.0.forecast: kind DiskFullPredicted forecasts a limit: forecast (limit, approach, horizon) is required',
    ]);
    expect(problemsOf(file(SCORED, { ...SCORED, description: 'again' }))).toEqual(['series: the id "queue-depth" is used twice']);
  });

  it('checks step, window and horizon against the detector and the forecast', () => {
    expect(problemsOf(file({ ...SCORED, windowSeconds: 3540 }))).toEqual([
      'series.0.windowSeconds: window 59m holds 59 steps of 1m: the detector scores a point only after 60 points of history; use a window of at least 1h or a shorter step',
    ]);
    expect(problemsOf(file({ ...SCORED, stepSeconds: 1 }))[0]).toBe('series.0.stepSeconds: expected a step of whole seconds from 10s to 1h, found 1s');
    expect(problemsOf(file({ ...SCORED, windowSeconds: -1 }))[0]).toBe('series.0.windowSeconds: expected a window of whole seconds up to 7d, found -1 s');
    const disk = { ...SCORED, kind: 'DiskFullPredicted', stepSeconds: 300, forecast: { limit: 100, horizonSeconds: 0 } };
    expect(problemsOf(file(disk))).toEqual(['series.0.forecast.horizonSeconds: expected a horizon of whole seconds above 0 and up to 30d, found 0 s']);
  });

  it('words what is wrong with a text, and seconds as durations', () => {
    expect(seriesTextProblem('ok %')).toBeUndefined();
    expect(seriesTextProblem('a\tb')).toBe('contains a tab at position 2');
    expect(seriesTextProblem('a\tb', true)).toBeUndefined();
    expect(seriesTextProblem('a\u000bb', true)).toBe('contains the control character U+000B at position 2');
    expect(seriesTextProblem('😀 fine')).toBeUndefined();
    expect([secondsText(0), secondsText(59), secondsText(5400), secondsText(90_061)]).toEqual(['0s', '59s', '1h30m', '1d1h1m1s']);
  });

  it('holds its bounds in step with the engine: 60 points of detector warm-up, 10 points over 1 h for a forecast, 720 points kept', () => {
    expect(SERIES_LIMITS.maxForecastWindowSteps).toBe(DEFAULT_KEEP_POINTS);
    // The detector scores nothing during its warm-up: point 60 is still warming up, point 61 is scored.
    const detector = new SeriesDetector();
    const bases = Array.from({ length: 61 }, (_, i) => detector.update(i * 60_000, 10 + (i % 7)).basis);
    expect(bases[SERIES_LIMITS.minScoredWindowSteps - 1]).toBe('warmup');
    expect(bases[SERIES_LIMITS.minScoredWindowSteps]).not.toBe('warmup');
    // A steady rise forecasts from 10 points over an hour, not from 9 or from 10 over less.
    const rising = (n: number, stepMs: number) => Array.from({ length: n }, (_, i) => ({ timestamp: i * stepMs, value: 50 + i }));
    const forecast = (n: number, stepMs: number) => forecastLimit(rising(n, stepMs), { limit: 100 });
    expect(forecast(SERIES_LIMITS.minForecastWindowSteps, (SERIES_LIMITS.minForecastWindowSeconds * 1000) / 9)).toBeDefined();
    expect(forecast(SERIES_LIMITS.minForecastWindowSteps - 1, (SERIES_LIMITS.minForecastWindowSeconds * 1000) / 8)).toBeUndefined();
    expect(forecast(SERIES_LIMITS.minForecastWindowSteps, (SERIES_LIMITS.minForecastWindowSeconds * 1000) / 10)).toBeUndefined();
  });

  it('finds no problem in the combinations the built-in series use', () => {
    for (const s of DEFAULT_ENGINE_SERIES) {
      expect(seriesProblems({ kind: s.kind, stepSeconds: s.stepSeconds, windowSeconds: s.windowSeconds, hasForecast: s.forecast !== undefined })).toEqual([]);
    }
  });
});
