import { parser } from '@prometheus-io/lezer-promql';
import { builtInSeriesFor, NO_OPTIONAL_SOURCES, type EngineSeries, type OptionalSourcesScraped } from '../../core/ai-engine-series.js';
import { parseSeriesFile, SERIES_FILE_VERSION, type SeriesFile } from '../../core/ai-engine-series-file.js';
import { durationMillis } from '../../core/duration.js';
import { jsonFile } from '../../lib/config-files.js';
import type { PlatformContext } from '../../lib/context.js';
import { ConfigError, reportProblem } from '../../lib/errors.js';
import type { Values } from '../../values/schema/index.js';
import { vectorSelectors } from '../monitoring/promql.js';

/** The `aiEngine.series` values slice. */
export type EngineSeriesValues = Values['aiEngine']['series'];

const seconds = (duration: string) => durationMillis(duration) / 1000;

/**
 * Largest series.json: its ConfigMap must stay under the 256 KiB that client-side `kubectl apply`
 * copies into an annotation (test/render/object-size.test.ts); the built-in series take 6 KiB.
 */
export const MAX_SERIES_FILE_BYTES = 200 * 1024;

/** The series file and its text (the ConfigMap's `series.json`). */
export interface RenderedSeriesFile {
  readonly file: SeriesFile;
  readonly text: string;
}

/**
 * The AI engine's series file (format: src/core/ai-engine-series-file.ts) from `aiEngine.series`:
 * the built-in series (with `defaults`) but the `disabled` ones and those whose source of metrics
 * `scraped` lacks (per-pod CPU and memory need cAdvisor: `prometheus.kubelet.enabled`; default
 * none, as without Prometheus), in their order, then the `extra` ones. A disabled id whose series
 * is absent anyway is no problem. The values schema has checked every field; the queries of the
 * extra series are parsed here (with Prometheus' grammar, src/components/monitoring/promql.ts,
 * which the values layer cannot import): an unparsable one, or one whose result is not what
 * `query_range` takes, is a problem located at its `query`; a file above
 * {@link MAX_SERIES_FILE_BYTES} is one located at `extra`. The file is parsed with the engine's
 * own parser before it is returned: a file the engine would refuse is a bug of the chart.
 */
export function aiEngineSeriesFile(ctx: PlatformContext, values: EngineSeriesValues, scraped: OptionalSourcesScraped = NO_OPTIONAL_SOURCES): RenderedSeriesFile {
  const builtIn = values.defaults ? builtInSeriesFor(scraped).filter((s) => !values.disabled.includes(s.id)) : [];
  const extra = values.extra.map((s, i): EngineSeries => {
    const problem = promqlProblem(s.query);
    if (problem) reportProblem(ctx, new ConfigError(`expected a PromQL expression for query_range: ${problem}`, { path: ['aiEngine', 'series', 'extra', i, 'query'] }));
    return {
      id: s.id,
      description: s.description,
      query: s.query,
      stepSeconds: seconds(s.step),
      windowSeconds: seconds(s.window),
      kind: s.kind,
      direction: s.direction,
      component: s.component,
      severity: s.severity,
      action: s.action,
      ...(s.forecast ? { forecast: { limit: s.forecast.limit, approach: s.forecast.approach, horizonSeconds: seconds(s.forecast.horizon) } } : {}),
      unit: s.unit,
    };
  });
  if (builtIn.length + extra.length === 0) ctx.warn('aiEngine.series watches no series (defaults is false and extra is empty): the AI engine reads no metrics');
  const file = parseSeriesFile({ version: SERIES_FILE_VERSION, series: [...builtIn, ...extra] });
  const text = jsonFile(file);
  const bytes = Buffer.byteLength(text);
  if (bytes > MAX_SERIES_FILE_BYTES) {
    reportProblem(
      ctx,
      new ConfigError(`the series file would have ${bytes} bytes, more than ${MAX_SERIES_FILE_BYTES} (its ConfigMap must stay under 256 KiB): fewer or shorter extra series`, {
        path: ['aiEngine', 'series', 'extra'],
      }),
    );
  }
  return { file, text };
}

/** Functions whose argument is a range vector (`rate(x[5m])`): these, and every `*_over_time`. */
const RANGE_FUNCTIONS = new Set(['rate', 'irate', 'increase', 'delta', 'idelta', 'deriv', 'changes', 'resets', 'predict_linear', 'holt_winters', 'double_exponential_smoothing']);
/** Nodes whose type is that of the expression inside them. */
const WRAPPERS = new Set(['ParenExpr', 'OffsetExpr', 'StepInvariantExpr', 'AnchoredExpr', 'SmoothedExpr', 'UnaryExpr']);

type SyntaxNode = ReturnType<typeof parser.parse>['topNode'];
type ExprType = 'range vector' | 'string' | 'other';

/**
 * Why `expr` is no query for `query_range`, or undefined: a syntax error (Prometheus' grammar),
 * a result that is a range vector or a string (query_range takes an instant vector or a scalar),
 * or a range vector where an instant vector belongs and the reverse (`rate(x)`, `sum(x[5m])`,
 * `x[5m] + 1`). Further type rules of Prometheus are left to it: the engine logs its refusal.
 */
export function promqlProblem(expr: string): string | undefined {
  try {
    vectorSelectors(expr);
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
  const text = (n: SyntaxNode) => expr.slice(n.from, n.to);
  const exprChildren = (n: SyntaxNode | null): SyntaxNode[] => {
    const out: SyntaxNode[] = [];
    for (let c = n?.firstChild ?? null; c; c = c.nextSibling) if (c.type.is('Expr')) out.push(c);
    return out;
  };
  const typeOf = (n: SyntaxNode): ExprType => {
    if (n.type.name === 'MatrixSelector' || n.type.name === 'SubqueryExpr') return 'range vector';
    if (n.type.name === 'StringLiteral') return 'string';
    if (WRAPPERS.has(n.type.name)) {
      const inner = exprChildren(n)[0];
      return inner ? typeOf(inner) : 'other';
    }
    return 'other';
  };
  const problems: string[] = [];
  const top = exprChildren(parser.parse(expr).topNode)[0];
  if (top && typeOf(top) !== 'other') problems.push(`its result is a ${typeOf(top)}; query_range takes an instant vector or a scalar`);
  parser.parse(expr).iterate({
    enter(ref) {
      const node = ref.node;
      if (node.type.name === 'FunctionCall') {
        const name = text(node.getChild('FunctionIdentifier')!);
        const args = exprChildren(node.getChild('FunctionCallBody'));
        const ranged = RANGE_FUNCTIONS.has(name) || name.endsWith('_over_time');
        if (ranged && !args.some((a) => typeOf(a) === 'range vector')) problems.push(`${name}() takes a range vector such as x[5m], found ${text(node)}`);
        if (!ranged) for (const a of args.filter((x) => typeOf(x) === 'range vector')) problems.push(`${name}() takes no range vector, found ${text(a)}`);
      } else if (node.type.name === 'AggregateExpr') {
        for (const a of exprChildren(node.getChild('FunctionCallBody')).filter((x) => typeOf(x) === 'range vector')) problems.push(`an aggregation takes no range vector, found ${text(a)}`);
      } else if (node.type.name === 'BinaryExpr') {
        for (const a of exprChildren(node).filter((x) => typeOf(x) !== 'other')) problems.push(`an operator takes no ${typeOf(a)}, found ${text(a)}`);
      }
    },
  });
  return problems.length > 0 ? problems.join('; ') : undefined;
}
