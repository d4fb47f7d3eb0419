// zod/mini: this module is bundled into the AI engine (src/services/ai-engine/), where bundle size counts.
import * as z from 'zod/mini';
import {
  ENGINE_SERIES_DIRECTIONS,
  ENGINE_SERIES_KINDS,
  ENGINE_SERIES_SEVERITIES,
  FORECAST_APPROACHES,
  FORECAST_KINDS,
  type EngineSeries,
  type EngineSeriesKind,
} from './ai-engine-series.js';
import { SELF_HEALING_ACTIONS } from './self-healing-actions.js';
import { issueLine } from './zod-issue-text.js';

/**
 * The AI engine's series file (`series.json`), defined once: the chart writes it from
 * `aiEngine.series` (src/components/aiops/ai-engine-series.ts, which parses its own output with
 * {@link parseSeriesFile}) and the engine reads it at start with the same function
 * (src/services/ai-engine/series-file.ts). The rules below are also the values schema's
 * (src/values/schema/aiops.ts), so a file the chart writes is one the engine takes.
 *
 * Where each field goes: `id` into the `series` label of alerts and anomaly ids, `component`
 * into the `component` label, `description` and `unit` into alert summaries (Alertmanager
 * annotations) and the API's JSON, `query` into a `query_range` URL (URLSearchParams encodes it).
 */

/** The file format version the engine reads. */
export const SERIES_FILE_VERSION = 1;

/** A series id and a component: a DNS label (lower-case letters, digits, '-'; at most 63). */
export const SERIES_NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** Bounds of a series (values and file alike). */
export const SERIES_LIMITS = {
  /** Series in one file (each is a `query_range` every step). */
  maxSeries: 100,
  descriptionLength: 200,
  /** Characters of a query (percent-encoded into a URL, up to three times as long). */
  queryLength: 4096,
  unitLength: 16,
  /** Shortest and longest step, s: a query every step; below a scrape interval nothing new arrives. */
  minStepSeconds: 10,
  maxStepSeconds: 3600,
  maxWindowSeconds: 7 * 86_400,
  maxHorizonSeconds: 30 * 86_400,
  /** Points a scored series needs before the detector scores (its warm-up, src/services/ai-engine/detect/series-detector.ts). */
  minScoredWindowSteps: 60,
  /** A forecast needs 10 points over an hour at least (src/services/ai-engine/detect/forecast.ts) … */
  minForecastWindowSteps: 10,
  minForecastWindowSeconds: 3600,
  /** … and sees at most the points the engine keeps per label set (DEFAULT_KEEP_POINTS of its Prometheus source). */
  maxForecastWindowSteps: 720,
} as const;

/** The `action` label a series' alerts carry: an executor action, or `none` (left to people). */
export const SERIES_ACTIONS = ['none', ...SELF_HEALING_ACTIONS] as const;

/**
 * C0 and C1 controls, DEL, the Unicode line and paragraph separators, and lone UTF-16 surrogates
 * (no UTF-8 form: Alertmanager and JSON readers refuse or mangle them). Queries may hold tabs and
 * line breaks (PromQL whitespace); nothing else may.
 */
const FORBIDDEN_TEXT = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u2028\u2029]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const LINE_BREAKS = /[\t\n\r]/;

/** Why `value` cannot be a series text (one line unless `multiline`), or undefined. */
export function seriesTextProblem(value: string, multiline = false): string | undefined {
  const match = FORBIDDEN_TEXT.exec(value) ?? (multiline ? null : LINE_BREAKS.exec(value));
  if (!match) return undefined;
  const code = match[0].codePointAt(0)!;
  const what =
    code === 10 ? 'a line break' : code === 13 ? 'a carriage return' : code === 9 ? 'a tab' : code >= 0xd800 && code <= 0xdfff ? 'a lone UTF-16 surrogate' : `the control character U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
  return `contains ${what} at position ${match.index + 1}`;
}

/** `5400` → `1h30m`: seconds as a Prometheus duration, for messages. */
export function secondsText(seconds: number): string {
  if (seconds === 0) return '0s';
  let rest = seconds;
  let text = '';
  for (const [unit, size] of [['d', 86_400], ['h', 3600], ['m', 60], ['s', 1]] as const) {
    const n = Math.floor(rest / size);
    if (n > 0) text += `${n}${unit}`;
    rest -= n * size;
  }
  return text;
}

/** A number of seconds for a message: `90d` when whole, else `1.5 s`. */
const found = (seconds: number): string => (Number.isInteger(seconds) && seconds > 0 ? secondsText(seconds) : `${seconds} s`);

/** The fields of a series whose combination is checked by {@link seriesProblems}. */
export interface SeriesShape {
  readonly kind: EngineSeriesKind;
  readonly stepSeconds: number;
  readonly windowSeconds: number;
  readonly hasForecast: boolean;
  readonly horizonSeconds?: number | undefined;
}

/** One problem of a series: the field at fault (by its meaning: each side names its own key) and what is wrong. */
export interface SeriesProblem {
  readonly field: 'step' | 'window' | 'forecast' | 'horizon';
  readonly message: string;
}

/** What is wrong with the step, window and forecast of one series (empty: nothing). */
export function seriesProblems(s: SeriesShape): SeriesProblem[] {
  const L = SERIES_LIMITS;
  const problems: SeriesProblem[] = [];
  const step = secondsText(s.stepSeconds);
  if (!Number.isInteger(s.stepSeconds) || s.stepSeconds < L.minStepSeconds || s.stepSeconds > L.maxStepSeconds) {
    problems.push({ field: 'step', message: `expected a step of whole seconds from ${secondsText(L.minStepSeconds)} to ${secondsText(L.maxStepSeconds)}, found ${found(s.stepSeconds)}` });
  }
  if (!Number.isInteger(s.windowSeconds) || s.windowSeconds <= 0 || s.windowSeconds > L.maxWindowSeconds) {
    problems.push({ field: 'window', message: `expected a window of whole seconds up to ${secondsText(L.maxWindowSeconds)}, found ${found(s.windowSeconds)}` });
  } else if (problems.length === 0) {
    const steps = s.windowSeconds / s.stepSeconds;
    const window = secondsText(s.windowSeconds);
    if (s.kind === 'AnomalyDetected' && steps < L.minScoredWindowSteps) {
      problems.push({
        field: 'window',
        message: `window ${window} holds ${Math.floor(steps)} steps of ${step}: the detector scores a point only after ${L.minScoredWindowSteps} points of history; use a window of at least ${secondsText(L.minScoredWindowSteps * s.stepSeconds)} or a shorter step`,
      });
    }
    if (s.kind !== 'AnomalyDetected' && (steps < L.minForecastWindowSteps || s.windowSeconds < L.minForecastWindowSeconds)) {
      problems.push({
        field: 'window',
        message: `window ${window} is too short for a forecast: it needs ${L.minForecastWindowSteps} steps and ${secondsText(L.minForecastWindowSeconds)} at least (${window} holds ${Math.floor(steps)} steps of ${step})`,
      });
    }
    if (s.kind !== 'AnomalyDetected' && steps > L.maxForecastWindowSteps) {
      problems.push({
        field: 'window',
        message: `window ${window} holds ${Math.floor(steps)} steps of ${step}, more than the ${L.maxForecastWindowSteps} points the engine keeps per label set for a forecast; use a window of at most ${secondsText(L.maxForecastWindowSteps * s.stepSeconds)} or a longer step`,
      });
    }
  }
  const forecastKind = FORECAST_KINDS.includes(s.kind);
  if (forecastKind && !s.hasForecast) problems.push({ field: 'forecast', message: `kind ${s.kind} forecasts a limit: forecast (limit, approach, horizon) is required` });
  if (!forecastKind && s.hasForecast) problems.push({ field: 'forecast', message: `kind ${s.kind} scores each point and forecasts nothing: remove forecast (or use ${FORECAST_KINDS.join(' or ')})` });
  if (s.horizonSeconds !== undefined && (!Number.isInteger(s.horizonSeconds) || s.horizonSeconds <= 0 || s.horizonSeconds > L.maxHorizonSeconds)) {
    problems.push({ field: 'horizon', message: `expected a horizon of whole seconds above 0 and up to ${secondsText(L.maxHorizonSeconds)}, found ${found(s.horizonSeconds)}` });
  }
  return problems;
}

const text = (max: number, o: { multiline?: boolean; min?: number } = {}) =>
  z.string().check(
    z.minLength(o.min ?? 0),
    z.maxLength(max),
    z.superRefine((value, ctx) => {
      const problem = seriesTextProblem(value, o.multiline);
      if (problem) ctx.issues.push({ code: 'custom', input: value, message: problem });
    }),
  );
const name = z.string().check(z.regex(SERIES_NAME, 'expected a DNS label (lower-case letters, digits and -, at most 63 characters)'));
const finite = z.number().check(z.refine(Number.isFinite, 'expected a finite number'));

/** One series as the file holds it (the fields of {@link EngineSeries}). */
export const seriesEntrySchema = z.strictObject({
  id: name,
  description: text(SERIES_LIMITS.descriptionLength, { min: 1 }),
  query: text(SERIES_LIMITS.queryLength, { min: 1, multiline: true }),
  stepSeconds: z.number(),
  windowSeconds: z.number(),
  kind: z.enum(ENGINE_SERIES_KINDS),
  direction: z.enum(ENGINE_SERIES_DIRECTIONS),
  component: name,
  severity: z.enum(ENGINE_SERIES_SEVERITIES),
  action: z.enum(SERIES_ACTIONS),
  forecast: z.optional(
    z.strictObject({
      limit: finite,
      approach: z.optional(z.enum(FORECAST_APPROACHES)),
      horizonSeconds: z.optional(z.number()),
    }),
  ),
  unit: text(SERIES_LIMITS.unitLength),
});

/** The series file. */
export const seriesFileSchema = z.strictObject({
  version: z.literal(SERIES_FILE_VERSION),
  series: z.array(z.unknown()).check(z.maxLength(SERIES_LIMITS.maxSeries)),
});

/** The series file's contents. */
export interface SeriesFile {
  readonly version: typeof SERIES_FILE_VERSION;
  readonly series: readonly EngineSeries[];
}

const FILE_KEYS: Record<SeriesProblem['field'], readonly string[]> = {
  step: ['stepSeconds'],
  window: ['windowSeconds'],
  forecast: ['forecast'],
  horizon: ['forecast', 'horizonSeconds'],
};

/** An issue as one line; zod/mini words no unknown key (issueLine covers the rest). */
function problemLine(issue: z.core.$ZodIssue, prefix: readonly (string | number)[] = []): string {
  if (issue.code !== 'unrecognized_keys') return issueLine(issue, prefix, '(file)');
  const path = [...prefix, ...issue.path].map(String).join('.') || '(file)';
  return `${path}: unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`;
}

/**
 * The series file parsed and checked (the whole object, not text: the caller reads the JSON);
 * throws an Error naming every problem, one per line (`series.2.windowSeconds: …`).
 */
export function parseSeriesFile(input: unknown): SeriesFile {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new Error(`invalid AI engine series file:\n(file): expected an object {version, series}, found ${input === null ? 'null' : Array.isArray(input) ? 'an array' : typeof input}`);
  }
  const problems: string[] = [];
  const file = z.safeParse(seriesFileSchema, input, { reportInput: true });
  if (!file.success) for (const issue of file.error.issues) problems.push(problemLine(issue));
  const rawSeries = file.success ? file.data.series : (input as { series?: unknown }).series;
  const series: EngineSeries[] = [];
  (Array.isArray(rawSeries) ? rawSeries : []).forEach((raw, index) => {
    const entry = z.safeParse(seriesEntrySchema, raw, { reportInput: true });
    if (!entry.success) {
      for (const issue of entry.error.issues) problems.push(problemLine(issue, ['series', index]));
      return;
    }
    const s = entry.data;
    for (const p of seriesProblems({ kind: s.kind, stepSeconds: s.stepSeconds, windowSeconds: s.windowSeconds, hasForecast: s.forecast !== undefined, horizonSeconds: s.forecast?.horizonSeconds })) {
      problems.push(`series.${index}.${FILE_KEYS[p.field].join('.')}: ${p.message}`);
    }
    series.push(s as EngineSeries);
  });
  const ids = series.map((s) => s.id);
  for (const dup of new Set(ids.filter((id, i) => ids.indexOf(id) !== i))) problems.push(`series: the id "${dup}" is used twice`);
  if (problems.length > 0 || !file.success) throw new Error(`invalid AI engine series file:\n${problems.join('\n')}`);
  return { version: file.data.version, series };
}
