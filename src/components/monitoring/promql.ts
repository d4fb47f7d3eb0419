import {
  EqlRegex,
  EqlSingle,
  Identifier,
  LabelMatchers,
  LabelName,
  MatchOp,
  Neq,
  NeqRegex,
  parser,
  QuotedLabelMatcher,
  QuotedLabelName,
  StringLiteral,
  UnquotedLabelMatcher,
  VectorSelector,
} from '@prometheus-io/lezer-promql';

/** A node of the syntax tree (the type of @lezer/common, reached through the parser). */
type SyntaxNode = ReturnType<typeof parser.parse>['topNode'];

/** One label matcher of a selector, such as `mode="idle"` (`__name__` matchers included). */
export interface LabelMatcher {
  readonly name: string;
  readonly op: '=' | '!=' | '=~' | '!~';
  readonly value: string;
}

/** One vector selector (also inside range selectors and subqueries) of an expression. */
export interface PromQLSelector {
  /** Its source text. */
  readonly text: string;
  /** The metric name: `foo{…}`, `{"foo", …}` or `{__name__="foo"}`; undefined when it matches by pattern only. */
  readonly metric: string | undefined;
  readonly matchers: readonly LabelMatcher[];
}

const OPERATORS = new Map<number, LabelMatcher['op']>([
  [EqlSingle, '='],
  [Neq, '!='],
  [EqlRegex, '=~'],
  [NeqRegex, '!~'],
]);

/**
 * Every vector selector of a PromQL expression, in source order, parsed with Prometheus' own
 * grammar (`@prometheus-io/lezer-promql`), so label names of `by`/`on`/`ignoring` clauses,
 * function names and string arguments are never mistaken for metrics. Throws on a syntax error.
 */
export function vectorSelectors(expr: string): PromQLSelector[] {
  const tree = parser.parse(expr);
  const selectors: PromQLSelector[] = [];
  tree.iterate({
    enter(ref) {
      if (ref.type.isError) {
        const near = expr.slice(ref.from, ref.from + 20) || 'the end of the expression';
        throw new Error(`invalid PromQL at character ${ref.from + 1} (near "${near}") in: ${expr}`);
      }
      if (ref.type.id === VectorSelector) selectors.push(selector(ref.node, expr));
    },
  });
  return selectors;
}

/**
 * The metric names an expression reads, sorted and unique. Throws on a syntax error and on a
 * selector that matches names by pattern only (`{__name__=~"node_.*"}`), whose names cannot be
 * listed.
 */
export function metricNames(expr: string): string[] {
  const names = vectorSelectors(expr).map((s) => {
    if (s.metric === undefined) throw new Error(`cannot tell the metric names of selector ${s.text} (no exact metric name) in: ${expr}`);
    return s.metric;
  });
  return [...new Set(names)].sort();
}

function selector(node: SyntaxNode, expr: string): PromQLSelector {
  const text = (n: SyntaxNode) => expr.slice(n.from, n.to);
  const matchers: LabelMatcher[] = [];
  let quotedName: string | undefined;
  for (const m of childrenOf(node.getChild(LabelMatchers))) {
    if (m.type.id === QuotedLabelName) quotedName = unquote(text(m.getChild(StringLiteral)!));
    if (m.type.id !== UnquotedLabelMatcher && m.type.id !== QuotedLabelMatcher) continue;
    const nameNode = m.getChild(LabelName) ?? m.getChild(QuotedLabelName)!.getChild(StringLiteral)!;
    matchers.push({
      name: nameNode.type.id === LabelName ? text(nameNode) : unquote(text(nameNode)),
      op: OPERATORS.get(m.getChild(MatchOp)!.firstChild!.type.id)!,
      value: unquote(text(m.getChild(StringLiteral)!)),
    });
  }
  const identifier = node.getChild(Identifier);
  const byName = matchers.find((m) => m.name === '__name__' && m.op === '=')?.value;
  return { text: text(node), metric: identifier ? text(identifier) : (quotedName ?? byName), matchers };
}

/** The direct children of a node. */
function childrenOf(node: SyntaxNode | null): SyntaxNode[] {
  const children: SyntaxNode[] = [];
  for (let child = node?.firstChild ?? null; child; child = child.nextSibling) children.push(child);
  return children;
}

const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', '"': '"', "'": "'" };

/** The value of a PromQL string literal: "…" and '…' with backslash escapes, `…` raw. */
function unquote(literal: string): string {
  const body = literal.slice(1, -1);
  return literal.startsWith('`') ? body : body.replace(/\\(.)/g, (_, c: string) => ESCAPES[c] ?? c);
}
