/**
 * PromQL quoting, the one helper for values pasted into a PromQL selector (the executor's
 * verification query; any other service building PromQL from data).
 */

/** Label names PromQL accepts unquoted (Prometheus' model.LabelNameRE). */
export const PROMQL_LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * `value` as a double-quoted PromQL string literal (Go escapes: `\\`, `\"`, `\n`, `\u` and four hex digits for
 * control characters). Throws on a lone UTF-16 surrogate, which no Go string can hold.
 */
export function promqlString(value: string): string {
  if (/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(value)) {
    throw new Error('a PromQL string cannot hold a lone UTF-16 surrogate');
  }
  // JSON's string escapes are a subset of Go's (\" \\ \/ \b \f \n \r \t, \u with four hex digits); JSON.stringify
  // only emits \u escapes for control characters, never for a surrogate pair.
  return JSON.stringify(value);
}

/** `{name="value", …}` from equality matchers, names checked, values quoted by {@link promqlString}. */
export function promqlSelector(metric: string, labels: Readonly<Record<string, string>>): string {
  const names = Object.keys(labels).sort();
  for (const name of [metric, ...names]) {
    if (!PROMQL_LABEL_NAME.test(name)) throw new Error(`"${name}" is not a valid Prometheus metric or label name`);
  }
  return `${metric}{${names.map((name) => `${name}=${promqlString(labels[name]!)}`).join(', ')}}`;
}
