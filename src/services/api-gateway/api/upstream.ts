import { HttpError } from '../../kit/server.js';

/**
 * Calls from the gateway to the components behind it (Prometheus, Alertmanager, the AI engine,
 * the executor): JSON in and out, a timeout, and errors the API can answer with: the component's
 * own 4xx passes through with its message (a bad PromQL expression is the caller's 400), a 503
 * too (with Retry-After: try again), no answer, a timeout or another 5xx become 502 naming the
 * component (never its internal URL).
 */

/** One component behind the gateway. */
export interface Upstream {
  /** For messages: `Prometheus`, `the AI engine`. */
  readonly name: string;
  /** Base URL with its route prefix, no trailing slash. */
  readonly url: string;
  /** Sent with every call (the executor's bearer token). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Default 10 s. */
  readonly timeoutMs?: number;
  readonly fetch?: typeof fetch;
}

/** A call's answer. */
export interface UpstreamAnswer {
  readonly status: number;
  readonly body: unknown;
}

/** The message of a component's error body (`{error}` of Prometheus, the services; Alertmanager's plain text). */
function errorOf(body: unknown, text: string): string {
  if (body && typeof body === 'object' && typeof (body as { error?: unknown }).error === 'string') return (body as { error: string }).error;
  return text.slice(0, 300) || 'no details';
}

/** `method path?query` on `upstream` with an optional JSON body. */
export async function callUpstream(
  upstream: Upstream,
  path: string,
  o: { method?: string; query?: Record<string, string | readonly string[] | undefined>; body?: unknown; requestId?: string } = {},
): Promise<UpstreamAnswer> {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(o.query ?? {})) {
    for (const v of value === undefined ? [] : typeof value === 'string' ? [value] : value) params.append(name, v);
  }
  const url = `${upstream.url}${path}${params.size > 0 ? `?${params}` : ''}`;
  let res: Response;
  try {
    res = await (upstream.fetch ?? fetch)(url, {
      method: o.method ?? 'GET',
      // The caller's request id goes along, so the component's logs match the gateway's audit rows.
      headers: { accept: 'application/json', ...(o.body !== undefined ? { 'content-type': 'application/json' } : {}), ...(o.requestId ? { 'x-request-id': o.requestId } : {}), ...upstream.headers },
      body: o.body === undefined ? undefined : JSON.stringify(o.body),
      signal: AbortSignal.timeout(upstream.timeoutMs ?? 10_000),
    });
  } catch {
    throw new HttpError(502, `${upstream.name} did not answer`);
  }
  const text = await res.text().catch(() => '');
  let body: unknown = undefined;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    body = undefined;
  }
  // 503 is "not now" (the executor's standby replica, a busy action slot): the caller may retry.
  if (res.status === 503) throw new HttpError(503, `${upstream.name}: ${errorOf(body, text)}`, { 'retry-after': res.headers.get('retry-after') ?? '10' });
  if (res.status >= 500) throw new HttpError(502, `${upstream.name} failed (${res.status}): ${errorOf(body, text)}`);
  if (res.status === 401 || res.status === 403) throw new HttpError(502, `${upstream.name} refused the gateway (${res.status}): check the token the chart gives both`);
  if (res.status >= 400) throw new HttpError(res.status, `${upstream.name}: ${errorOf(body, text)}`);
  return { status: res.status, body };
}
