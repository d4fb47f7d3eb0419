import { request as httpRequest } from 'node:http';
import { HttpError, type RequestContext, type ServiceServer } from '../../kit/server.js';
import type { ConsoleBackend, ConsoleCall } from '../console/backend.js';
import { registerConsole } from '../console/register.js';
import type { GatewayDeps } from '../deps.js';
import { signIn, signOut } from './auth.js';

/**
 * The console's backend in the gateway. Sign-in and sign-out use the identity directly (auth.ts'
 * signIn/signOut); every read and action goes through the gateway's own API on loopback with the
 * caller's session cookie and CSRF token, so the console gets exactly the checks, audit rows, rate
 * limits and cache of the API, written once. The caller's forwarded address goes along, so audit
 * rows name the browser's address, not 127.0.0.1.
 */

/** Time a console call to the API may take. */
const CALL_TIMEOUT_MS = 15_000;

interface Answer {
  readonly status: number;
  readonly body: unknown;
}

/** One call to this gateway's API as the caller of `ctx`. */
function callApi(deps: GatewayDeps, call: ConsoleCall, method: string, path: string, body?: unknown): Promise<Answer> {
  const { req } = call.ctx;
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const headers: Record<string, string> = {
    accept: 'application/json',
    cookie: req.headers.cookie ?? '',
    'x-csrf-token': call.principal.csrf,
    'x-request-id': call.ctx.requestId,
    ...(req.headers['x-forwarded-for'] ? { 'x-forwarded-for': String(req.headers['x-forwarded-for']) } : {}),
    ...(req.headers['x-forwarded-proto'] ? { 'x-forwarded-proto': String(req.headers['x-forwarded-proto']) } : {}),
    ...(req.headers.host ? { host: req.headers.host } : {}),
    ...(payload !== undefined ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) } : {}),
  };
  return new Promise((resolve, reject) => {
    const inner = httpRequest({ host: '127.0.0.1', port: req.socket.localPort, path: `${deps.apiPrefix}/v1${path}`, method, headers, timeout: CALL_TIMEOUT_MS, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: unknown;
        try {
          parsed = text === '' ? undefined : JSON.parse(text);
        } catch {
          parsed = undefined;
        }
        resolve({ status: res.statusCode ?? 500, body: parsed });
      });
      res.on('error', reject);
    });
    inner.on('timeout', () => inner.destroy(new Error('the gateway API did not answer in time')));
    inner.on('error', reject);
    inner.end(payload);
  });
}

/** The body of a 2xx answer; an HttpError with the API's own message otherwise. */
async function ok<T>(answer: Promise<Answer>): Promise<T> {
  const { status, body } = await answer;
  if (status >= 200 && status < 300) return body as T;
  const message = body && typeof body === 'object' && typeof (body as { error?: unknown }).error === 'string' ? (body as { error: string }).error : `the API answered ${status}`;
  throw new HttpError(status, message);
}

/** The console's backend for `deps`. */
export function gatewayConsoleBackend(deps: GatewayDeps): ConsoleBackend {
  const api = (call: ConsoleCall, method: string, path: string, body?: unknown) => callApi(deps, call, method, path, body);
  const get = <T>(call: ConsoleCall, path: string) => ok<T>(api(call, 'GET', path));
  const session = async (ctx: RequestContext) => {
    const { principal } = await deps.credentials.resolve(ctx.req);
    return principal?.via === 'session' && principal.session ? principal : undefined;
  };
  return {
    async principal(ctx) {
      const principal = await session(ctx);
      return principal && { username: principal.username, role: principal.role, csrf: principal.session!.record.csrf };
    },
    async login(ctx, { username, password }) {
      const result = await signIn(deps, ctx, username, password);
      return result.ok ? { ok: true, setCookie: result.setCookie } : result;
    },
    async logout(call) {
      const principal = await session(call.ctx);
      if (!principal) throw new HttpError(401, 'not signed in');
      return signOut(deps, call.ctx, principal);
    },
    health: async (call) => (await get<{ components: never[] }>(call, '/health')).components,
    alerts: (call) => get(call, '/alerts'),
    anomalies: async (call) => (await get<{ anomalies: never[] }>(call, '/anomalies?active=true')).anomalies,
    async series(call, id) {
      const answer = await api(call, 'GET', `/series/${encodeURIComponent(id)}?limit=8`);
      if (answer.status === 404) return undefined;
      return ok(Promise.resolve(answer));
    },
    decisions: async (call) => {
      const body = await get<{ decisions?: never[]; actions?: never[] }>(call, '/actions?limit=50');
      return body.decisions ?? body.actions ?? [];
    },
    approvals: async (call) => (await get<{ approvals: never[] }>(call, '/approvals')).approvals,
    async decideApproval(call, id, verb, reason) {
      await ok(api(call, 'POST', `/approvals/${encodeURIComponent(id)}/${verb}`, reason ? { reason } : {}));
    },
    users: async (call) => (await get<{ users: never[] }>(call, '/users')).users,
    async createUser(call, user) {
      await ok(api(call, 'POST', '/users', user));
    },
    async updateUser(call, username, change) {
      await ok(api(call, 'PATCH', `/users/${encodeURIComponent(username)}`, change));
    },
    apiKeys: async (call) => (await get<{ apiKeys: never[] }>(call, '/api-keys')).apiKeys,
    async createApiKey(call, key) {
      const made = await ok<{ key: string; apiKey: never }>(api(call, 'POST', '/api-keys', key));
      return { key: made.apiKey, secret: made.key };
    },
    async revokeApiKey(call, id) {
      await ok(api(call, 'DELETE', `/api-keys/${encodeURIComponent(id)}`));
    },
  };
}

/** Registers the console at `/` with the gateway's backend. */
export function registerGatewayConsole(server: ServiceServer, deps: GatewayDeps): void {
  registerConsole(server, gatewayConsoleBackend(deps));
}
