import * as z from 'zod/mini';
import { SERVICE_ENV } from '../../../core/service-env.js';
import { envOptionalString } from '../../kit/config.js';

/**
 * The AI engine's Elasticsearch connection: the `ELASTICSEARCH_*` variables (src/core/service-env.ts),
 * a `_search` client with a timeout and basic authentication, errors that say what went wrong
 * without credentials, and the backoff the logs source keeps while Elasticsearch is down. Plain
 * `fetch`: two JSON requests per poll need no client library (the official one is ≈1 MB).
 */

const E = SERVICE_ENV.elasticsearch;

/** Index pattern the chart sets (`<indexPrefix>-*`); the default when the variable is not set. */
export const DEFAULT_LOG_INDEX_PATTERN = 'aiops-logs-*';

/** Default time a request may take: 10 s. */
export const DEFAULT_ES_TIMEOUT_MS = 10_000;

const optionalString = z.optional(z.string());

/** `ELASTICSEARCH_URL`: optional (no URL, no logs source); an http(s) URL without credentials in it; trailing slashes removed. */
function envOptionalHttpUrl() {
  return z.pipe(optionalString, z.transform((raw: string | undefined, ctx): string | undefined => {
    if (raw === undefined || raw === '') return undefined;
    let url: URL | undefined;
    try {
      url = new URL(raw);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
      ctx.issues.push({ code: 'custom', message: `expected an http or https URL, found ${raw.includes('@') ? `a string of ${raw.length} characters (hidden)` : JSON.stringify(raw.slice(0, 60))}`, input: '' });
      return z.NEVER;
    }
    if (url.username !== '' || url.password !== '') {
      ctx.issues.push({ code: 'custom', message: `must not carry credentials (user:password@): set ${E.username} and ${E.password} instead`, input: '' });
      return z.NEVER;
    }
    return raw.replace(/\/+$/, '');
  }));
}

/**
 * Index names and patterns as Elasticsearch's multi-target syntax accepts them: lower-case letters,
 * digits, `.`, `_`, `-`, `+`, `*`, `:` (remote clusters), comma-separated; no part starts with `_`
 * or `+`; a leading `-` excludes.
 */
const INDEX_PATTERN = /^-?[a-z0-9.*:][a-z0-9._+*:-]*(,-?[a-z0-9.*:][a-z0-9._+*:-]*)*$/;

/** `ELASTICSEARCH_INDEX_PATTERN`: the log indices (default `aiops-logs-*`). */
function envIndexPattern(defaultValue: string) {
  return z.pipe(optionalString, z.transform((raw: string | undefined, ctx): string => {
    const value = raw === undefined || raw === '' ? defaultValue : raw;
    if (!INDEX_PATTERN.test(value) || value.length > 255) {
      ctx.issues.push({ code: 'custom', message: `expected index names or patterns such as "aiops-logs-*" (lower-case, comma-separated), found ${JSON.stringify(value.slice(0, 60))}`, input: value });
      return z.NEVER;
    }
    return value;
  }));
}

/**
 * The `ELASTICSEARCH_*` variables, optional as a group: without `ELASTICSEARCH_URL` the engine has
 * no logs source. Spread into the service's `z.object({...})` and add {@link elasticsearchEnvCheck}.
 * The index pattern defaults to `aiops-logs-*`.
 */
export const elasticsearchEnvShape = {
  [E.url]: envOptionalHttpUrl(),
  [E.username]: envOptionalString(),
  [E.password]: envOptionalString(),
  [E.indexPattern]: envIndexPattern(DEFAULT_LOG_INDEX_PATTERN),
};

/** The parsed `ELASTICSEARCH_*` variables. */
export interface ElasticsearchEnv {
  readonly [E.url]: string | undefined;
  readonly [E.username]: string | undefined;
  readonly [E.password]: string | undefined;
  readonly [E.indexPattern]: string;
}

/** A username needs its password and a password its username (the chart sets both, or neither when security is off). */
export const elasticsearchEnvCheck = z.superRefine((env: ElasticsearchEnv, ctx) => {
  if (env[E.url] === undefined) return;
  if (env[E.username] !== undefined && env[E.password] === undefined) {
    ctx.issues.push({ code: 'custom', path: [E.password], message: `required when ${E.username} is set, not set`, input: undefined });
  }
  if (env[E.password] !== undefined && env[E.username] === undefined) {
    ctx.issues.push({ code: 'custom', path: [E.username], message: `required when ${E.password} is set, not set`, input: undefined });
  }
});

/** The `ELASTICSEARCH_*` variables alone, with their group check. */
export const elasticsearchEnvSchema = z.object(elasticsearchEnvShape).check(elasticsearchEnvCheck);

/** Where the logs are and as whom to read them. */
export interface ElasticsearchConnection {
  /** Base URL, no trailing slash, no credentials. */
  readonly url: string;
  /** Basic-auth user (`logs_reader` in the chart); absent when security is off. */
  readonly username?: string | undefined;
  readonly password?: string | undefined;
  /** Indices searched (default `aiops-logs-*`). */
  readonly indexPattern: string;
  /** Time a request may take (default 10 s). */
  readonly timeoutMs?: number;
}

/** The connection the variables describe, or undefined without `ELASTICSEARCH_URL`. */
export function elasticsearchConnection(env: ElasticsearchEnv): ElasticsearchConnection | undefined {
  const url = env[E.url];
  if (url === undefined) return undefined;
  return { url, username: env[E.username], password: env[E.password], indexPattern: env[E.indexPattern] };
}

/** What went wrong with a request. */
export type ElasticsearchErrorKind =
  /** No index matches (404 index_not_found_exception): a fresh cluster, no logs yet. */
  | 'index-not-found'
  /** No connection (refused, reset, DNS). */
  | 'unreachable'
  /** No answer within the timeout. */
  | 'timeout'
  /** 401/403: the credentials or the role do not allow the search. */
  | 'unauthorized'
  /** Any other non-2xx answer (429, 5xx, a rejected query). */
  | 'http'
  /** A 2xx answer that is not the JSON expected. */
  | 'bad-answer';

/** A failed request; the message names the endpoint by origin only, never the credentials. */
export class ElasticsearchError extends Error {
  override name = 'ElasticsearchError';
  constructor(
    readonly kind: ElasticsearchErrorKind,
    message: string,
    /** HTTP status, when there was an answer. */
    readonly status?: number,
  ) {
    super(message);
  }
}

/** Elasticsearch's error object (`{ error: { type, reason }, status }`), shortened for a log line. */
function describeError(body: unknown): { type: string | undefined; text: string } {
  const error = (body as { error?: unknown } | undefined)?.error;
  if (typeof error === 'string') return { type: undefined, text: error.slice(0, 300) };
  if (error && typeof error === 'object') {
    const e = error as { type?: unknown; reason?: unknown; root_cause?: { type?: unknown }[] };
    const type = typeof e.type === 'string' ? e.type : undefined;
    const reason = typeof e.reason === 'string' ? e.reason.slice(0, 300) : '';
    return { type, text: [type, reason].filter(Boolean).join(': ') };
  }
  return { type: undefined, text: '' };
}

/** `POST /<index pattern>/_search` with a JSON body; nothing else. */
export class ElasticsearchClient {
  private readonly authorization: string | undefined;
  /** The endpoint as errors show it: the URL's origin and path, never credentials. */
  readonly endpoint: string;

  constructor(readonly connection: ElasticsearchConnection) {
    this.authorization =
      connection.username !== undefined ? `Basic ${Buffer.from(`${connection.username}:${connection.password ?? ''}`, 'utf8').toString('base64')}` : undefined;
    const u = new URL(connection.url);
    this.endpoint = `${u.origin}${u.pathname.replace(/\/+$/, '')}`;
  }

  /** The search path: each comma-separated part of the pattern URL-encoded (`*` stays, `,` separates). */
  searchPath(): string {
    return `/${this.connection.indexPattern.split(',').map(encodeURIComponent).join(',')}/_search`;
  }

  /** Runs a search; resolves with the parsed answer, or rejects with an {@link ElasticsearchError}. */
  async search<T>(body: unknown): Promise<T> {
    const path = this.searchPath();
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
    if (this.authorization) headers.authorization = this.authorization;
    const timeoutMs = this.connection.timeoutMs ?? DEFAULT_ES_TIMEOUT_MS;
    let res: Response;
    let text: string;
    try {
      res = await fetch(`${this.connection.url}${path}`, { method: 'POST', headers, body: JSON.stringify(body), signal: AbortSignal.timeout(timeoutMs) });
      text = await res.text();
    } catch (error) {
      const name = (error as { name?: string } | undefined)?.name;
      if (name === 'TimeoutError' || name === 'AbortError') {
        throw new ElasticsearchError('timeout', `Elasticsearch at ${this.endpoint} did not answer ${path} within ${timeoutMs} ms`);
      }
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      const why = cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
      throw new ElasticsearchError('unreachable', `Elasticsearch at ${this.endpoint} is unreachable (${why})`);
    }
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (res.ok) {
      if (parsed === undefined || typeof parsed !== 'object') throw new ElasticsearchError('bad-answer', `Elasticsearch at ${this.endpoint} answered ${path} with no JSON object`, res.status);
      return parsed as T;
    }
    const { type, text: detail } = describeError(parsed);
    const suffix = detail ? `: ${detail}` : '';
    if (res.status === 404 && type === 'index_not_found_exception') {
      throw new ElasticsearchError('index-not-found', `no index matches ${this.connection.indexPattern} at ${this.endpoint} (no logs yet)${suffix}`, 404);
    }
    if (res.status === 401 || res.status === 403) {
      const who = this.connection.username !== undefined ? `user ${this.connection.username}` : 'anonymous requests (no ELASTICSEARCH_USERNAME)';
      throw new ElasticsearchError('unauthorized', `Elasticsearch at ${this.endpoint} refused ${who} on ${path} (${res.status})${suffix}`, res.status);
    }
    throw new ElasticsearchError('http', `Elasticsearch at ${this.endpoint} answered ${path} with ${res.status}${suffix}`, res.status);
  }
}

/** Settings of a {@link Backoff}. */
export interface BackoffOptions {
  /** Wait after the first failure (default 5 s). */
  readonly initialMs?: number;
  /** Longest wait (default 5 min); each further failure doubles the wait up to it. */
  readonly maxMs?: number;
}

/** Exponential backoff on a caller's clock: after n failures in a row, no attempt before `initialMs × 2^(n-1)` (at most `maxMs`). */
export class Backoff {
  private readonly initialMs: number;
  private readonly maxMs: number;
  /** Failures in a row. */
  failures = 0;
  /** No attempt before this time (epoch ms); 0 when not backing off. */
  retryAt = 0;

  constructor(opts: BackoffOptions = {}) {
    this.initialMs = opts.initialMs ?? 5_000;
    this.maxMs = opts.maxMs ?? 300_000;
  }

  /** True while an attempt at `now` should be skipped. */
  waiting(now: number): boolean {
    return now < this.retryAt;
  }

  /** Records a failure at `now`; returns the time of the next attempt. */
  failure(now: number): number {
    this.failures += 1;
    const wait = Math.min(this.maxMs, this.initialMs * 2 ** Math.min(30, this.failures - 1));
    this.retryAt = now + wait;
    return this.retryAt;
  }

  /** Records a success: the next failure waits `initialMs` again. */
  success(): void {
    this.failures = 0;
    this.retryAt = 0;
  }
}
