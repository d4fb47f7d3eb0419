/**
 * `GET /api/v1/query_range` for the Prometheus source: one request, or several for a span longer
 * than Prometheus answers at once (it refuses more than 11,000 points per series), merged by label
 * set. Errors are typed: {@link PrometheusDownError} when Prometheus does not answer (network,
 * timeout, 5xx, 429: the caller backs off), a plain Error when it refuses the query (4xx).
 */

/** Points per series Prometheus returns at most in one query_range (its limit is 11,000). */
export const MAX_POINTS_PER_QUERY = 10_000;

/** Prometheus did not answer (network, timeout, 5xx, 429): every query backs off. */
export class PrometheusDownError extends Error {
  override name = 'PrometheusDownError';
}

/** One label set of a matrix answer. */
export interface MatrixSeries {
  readonly metric: Record<string, string>;
  readonly values: [number, string][];
}

/** Where and how to query. */
export interface QueryRangeClient {
  /** Base URL with the route prefix, no trailing slash. */
  readonly url: string;
  readonly fetch: typeof fetch;
  readonly timeoutMs: number;
}

/** Prometheus' sample value strings (`"1.5"`, `"NaN"`, `"+Inf"`) as numbers. */
export function sampleValue(text: string): number {
  return text === '+Inf' ? Infinity : text === '-Inf' ? -Infinity : Number(text);
}

/** `a="b",c="d"` from sorted labels: the key of a label set, readable in ids. */
export function labelsKey(labels: Readonly<Record<string, string>>): string {
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}=${JSON.stringify(labels[k])}`)
    .join(',');
}

/** One `query_range` request (`start`, `end` and `step` in seconds). */
export async function queryRange(client: QueryRangeClient, query: string, start: number, end: number, step: number): Promise<MatrixSeries[]> {
  const url = `${client.url}/api/v1/query_range?${new URLSearchParams({ query, start: String(start), end: String(end), step: String(step) })}`;
  let res: Response;
  try {
    res = await client.fetch(url, { signal: AbortSignal.timeout(client.timeoutMs), headers: { accept: 'application/json' } });
  } catch (error) {
    throw new PrometheusDownError(`no answer: ${error instanceof Error ? error.message : String(error)}`);
  }
  const body = (await res.json().catch(() => undefined)) as { status?: string; error?: string; data?: { resultType?: string; result?: unknown } } | undefined;
  if (res.status >= 500 || res.status === 429) throw new PrometheusDownError(`answered ${res.status}${body?.error ? `: ${body.error}` : ''}`);
  if (!res.ok || body?.status !== 'success') throw new Error(`Prometheus answered ${res.status}${body?.error ? `: ${body.error}` : ''}`);
  if (body.data?.resultType !== 'matrix' || !Array.isArray(body.data.result)) throw new Error(`Prometheus answered a ${String(body.data?.resultType)}, not a matrix`);
  return body.data.result as MatrixSeries[];
}

/**
 * `query_range` over [start, end] in requests of at most `maxPoints` steps each, oldest first, the
 * label sets merged (by {@link labelsKey}, without `__name__`), their points in time order.
 */
export async function queryRangeChunked(client: QueryRangeClient, query: string, start: number, end: number, step: number, maxPoints = MAX_POINTS_PER_QUERY): Promise<MatrixSeries[]> {
  const span = step * (maxPoints - 1);
  if (end - start <= span) return queryRange(client, query, start, end, step);
  const merged = new Map<string, MatrixSeries>();
  for (let from = start; from <= end; from += span + step) {
    for (const item of await queryRange(client, query, from, Math.min(end, from + span), step)) {
      const { __name__: _name, ...labels } = item.metric;
      const key = labelsKey(labels);
      const known = merged.get(key);
      if (known) known.values.push(...item.values);
      else merged.set(key, { metric: item.metric, values: [...item.values] });
    }
  }
  return [...merged.values()];
}
