import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from './log.js';
import type { ServiceMetrics } from './metrics.js';

/**
 * The HTTP side of a platform service on `node:http` (no framework: bundle size). The main port
 * serves `<base>/healthz/live`, `<base>/healthz/ready` and the service's routes under `<base>`;
 * `/metrics` is served only on the separate metrics port (pod-only, scraped by Prometheus: see
 * src/components/aiops/platform-service.ts).
 */

/** Default limit of {@link readBody}: 1 MiB. */
export const DEFAULT_BODY_LIMIT = 1024 * 1024;
/** Default time a readiness check may take before it counts as failed. */
export const DEFAULT_READY_TIMEOUT_MS = 2000;

/** An error with an HTTP status: the kit answers `{ "error": message }` with that status. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** What a route handler receives. */
export interface RequestContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  /** Child logger carrying `requestId`. */
  readonly log: Logger;
  readonly requestId: string;
  /** Parsed URL (path without the base path in {@link RequestContext.path}). */
  readonly url: URL;
  /** Path below the base path, starting with `/`. */
  readonly path: string;
  /** Values of the route's `:name` segments, URL-decoded (empty for an exact route). */
  readonly params: Readonly<Record<string, string>>;
}

export type Handler = (ctx: RequestContext) => unknown;

/** A dependency the service needs to serve: resolves when it answers, rejects (or times out) otherwise. */
export type ReadinessCheck = () => Promise<unknown>;

/** Writes `body` as JSON with `status` (unless the response has started). */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { ...headers, 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** The request body, at most `limit` bytes: larger (by content-length or as it streams) → HttpError 413. */
export async function readBody(req: IncomingMessage, limit = DEFAULT_BODY_LIMIT): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) throw new HttpError(413, `request body larger than ${limit} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new HttpError(413, `request body larger than ${limit} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** The request body parsed as JSON (400 when it is not JSON, 413 above `limit`). */
export async function readJson(req: IncomingMessage, limit = DEFAULT_BODY_LIMIT): Promise<unknown> {
  const body = await readBody(req, limit);
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new HttpError(400, 'request body is not valid JSON');
  }
}

/** `basePath` + `path` without a double slash: (`/`, `/x`) → `/x`, (`/ai`, `/x`) → `/ai/x`. */
function underBasePath(basePath: string, path: string): string {
  return basePath === '/' ? path : `${basePath}${path}`;
}

/** A request id from the client when it is a sane token, else a new UUID. */
function requestIdOf(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && /^[A-Za-z0-9._:-]{1,128}$/.test(given) ? given : randomUUID();
}

/** Rejects after `ms` unless `promise` settles first. */
function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

export interface ServiceServerOptions {
  readonly basePath: string;
  readonly log: Logger;
  readonly metrics: ServiceMetrics;
  readonly readyTimeoutMs?: number;
}

/** The main server of a service: routes, health, request ids, JSON errors. */
export class ServiceServer {
  readonly server: Server;
  private readonly routes = new Map<string, Map<string, Handler>>();
  /** Routes with `:name` segments, in registration order (tried after the exact ones). */
  private readonly patterns: { readonly route: string; readonly segments: readonly string[] }[] = [];
  private readonly checks = new Map<string, ReadinessCheck>();
  private draining = false;
  private inFlight = 0;

  constructor(private readonly opts: ServiceServerOptions) {
    this.server = createServer((req, res) => void this.handle(req, res));
    // Slow-loris bounds; keep-alive longer than typical proxies' idle timeout is not needed in-cluster.
    this.server.headersTimeout = 20_000;
    this.server.requestTimeout = 60_000;
    this.server.keepAliveTimeout = 5_000;
  }

  /**
   * Registers `handler` for `method` and `path` below the base path: an exact path, or one with
   * `:name` segments that each match one non-empty segment (`/series/:id`; its value in
   * `params.id`, URL-decoded). Exact routes win; the metrics' `route` label is the pattern.
   */
  route(method: string, path: string, handler: Handler): this {
    if (!path.startsWith('/')) throw new Error(`route path "${path}" must start with "/"`);
    const byMethod = this.routes.get(path) ?? new Map<string, Handler>();
    if (byMethod.has(method.toUpperCase())) throw new Error(`route ${method} ${path} registered twice`);
    byMethod.set(method.toUpperCase(), handler);
    if (!this.routes.has(path) && path.split('/').some((s) => s.startsWith(':'))) this.patterns.push({ route: path, segments: path.split('/') });
    this.routes.set(path, byMethod);
    return this;
  }

  /** The route of `path` and its parameters; undefined when none matches (a malformed %-escape in a parameter: 400). */
  private match(path: string): { route: string; params: Record<string, string> } | undefined {
    if (this.routes.has(path) && !this.patterns.some((p) => p.route === path)) return { route: path, params: {} };
    const parts = path.split('/');
    for (const { route, segments } of this.patterns) {
      if (segments.length !== parts.length) continue;
      const params: Record<string, string> = {};
      const fits = segments.every((segment, i) => {
        if (!segment.startsWith(':')) return segment === parts[i];
        if (parts[i] === '') return false;
        try {
          params[segment.slice(1)] = decodeURIComponent(parts[i]!);
        } catch {
          throw new HttpError(400, `malformed %-escape in ${segment.slice(1)}`);
        }
        return true;
      });
      if (fits) return { route, params };
    }
    return undefined;
  }

  /** `<base>/healthz/ready` answers 200 only when every registered check resolves within the timeout. */
  readiness(name: string, check: ReadinessCheck): this {
    if (this.checks.has(name)) throw new Error(`readiness check "${name}" registered twice`);
    this.checks.set(name, check);
    return this;
  }

  /** Requests being served right now. */
  get activeRequests(): number {
    return this.inFlight;
  }

  /** From now on `/healthz/ready` answers 503 and responses close their connection. */
  startDraining(): void {
    this.draining = true;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = process.hrtime.bigint();
    const requestId = requestIdOf(req);
    const log = this.opts.log.child({ requestId });
    res.setHeader('x-request-id', requestId);
    if (this.draining) res.setHeader('connection', 'close');
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = (req.method ?? 'GET').toUpperCase();
    let route = 'unmatched';
    this.inFlight += 1;
    res.once('close', () => {
      this.inFlight -= 1;
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      this.opts.metrics.httpDuration.observe({ method, route, status: String(res.statusCode) }, seconds);
      log.info({ method, path: url.pathname, route, status: res.statusCode, durationMs: Math.round(seconds * 1e6) / 1e3 }, 'request');
      // A response finished while draining: its keep-alive socket is idle now, close it.
      if (this.draining) setImmediate(() => this.server.closeIdleConnections());
    });
    try {
      const base = this.opts.basePath;
      const prefix = base === '/' ? '' : base;
      const inside = url.pathname === base || url.pathname.startsWith(`${prefix}/`);
      const path = !inside ? undefined : prefix === '' ? url.pathname : url.pathname.slice(prefix.length) || '/';
      if (path === '/healthz/live' && (method === 'GET' || method === 'HEAD')) {
        route = '/healthz/live';
        sendJson(res, 200, { status: 'live' });
      } else if (path === '/healthz/ready' && (method === 'GET' || method === 'HEAD')) {
        route = '/healthz/ready';
        await this.ready(res, log);
      } else {
        const matched = path === undefined ? undefined : this.match(path);
        const byMethod = matched && this.routes.get(matched.route);
        if (!matched || !byMethod) throw new HttpError(404, `no route for ${url.pathname}`);
        route = matched.route;
        const handler = byMethod.get(method) ?? (method === 'HEAD' ? byMethod.get('GET') : undefined);
        if (!handler) throw new HttpError(405, `method ${method} not allowed on ${url.pathname}`, { allow: [...byMethod.keys()].join(', ') });
        await handler({ req, res, log, requestId, url, path: path!, params: matched.params });
        // A handler that wrote nothing answered "no content".
        if (!res.headersSent) res.writeHead(204);
        if (!res.writableEnded) res.end();
      }
    } catch (error) {
      if (error instanceof HttpError) {
        if (error.status >= 500) log.error({ err: error }, error.message);
        // After a 413 the rest of the body is not read: close the connection instead of draining it.
        const headers = error.status === 413 ? { ...error.headers, connection: 'close' } : error.headers;
        sendJson(res, error.status, { error: error.message, requestId }, headers);
      } else {
        log.error({ err: error }, 'unhandled error in a route');
        sendJson(res, 500, { error: 'internal error', requestId });
      }
    }
  }

  private async ready(res: ServerResponse, log: Logger): Promise<void> {
    if (this.draining) {
      sendJson(res, 503, { status: 'not ready', reason: 'shutting down' });
      return;
    }
    const timeout = this.opts.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
    const results = await Promise.all(
      [...this.checks].map(async ([name, check]) => {
        try {
          await withTimeout(Promise.resolve().then(check), timeout);
          return { name, ok: true as const };
        } catch (error) {
          return { name, ok: false as const, error: error instanceof Error ? error.message : String(error) };
        }
      }),
    );
    const failed = results.filter((r) => !r.ok).map((r) => ({ name: r.name, error: r.ok ? '' : r.error }));
    if (failed.length === 0) {
      sendJson(res, 200, { status: 'ready', checks: results.map((r) => r.name) });
      return;
    }
    log.warn({ failed }, 'not ready');
    sendJson(res, 503, { status: 'not ready', failed });
  }
}

/** The metrics server: `GET /metrics` from the service's registry, 404 JSON for anything else. */
export function createMetricsServer(metrics: ServiceMetrics, log: Logger): Server {
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      sendJson(res, 404, { error: `no route for ${path}` });
      return;
    }
    metrics.registry.metrics().then(
      (text) => {
        res.writeHead(200, { 'content-type': metrics.registry.contentType });
        res.end(text);
      },
      (error: unknown) => {
        log.error({ err: error }, 'collecting metrics failed');
        sendJson(res, 500, { error: 'collecting metrics failed' });
      },
    );
  });
  server.keepAliveTimeout = 5_000;
  return server;
}

export { underBasePath };
