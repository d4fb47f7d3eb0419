/**
 * Sign-in and the single login of the platform:
 * - `GET /auth/verify`: Traefik's ForwardAuth. 403 to everyone for a path of
 *   REFUSED_FORWARDED_PREFIXES (Prometheus' admin API), however encoded. Else 200 with `X-Auth-User`, `X-Auth-Role`,
 *   `X-WEBAUTH-USER`, `X-WEBAUTH-ROLE` (Grafana's role) when the forwarded request
 *   (`X-Forwarded-Method`, `X-Forwarded-Uri`) carries a valid credential with the role its path
 *   needs (roles.ts' forwardedRequirement; an audited one gets its `forwarded` row first); without
 *   one, 302 to `/login?next=<path>` for a browser's GET (Accept: text/html), else 401; 403 when
 *   the role is too low or a session's unsafe request is cross-site.
 * - `POST <api>/v1/auth/login` (JSON `{username, password}`, or a form with `next`): one answer
 *   for every wrong username or password; lock-outs per username and per address
 *   (rate-limit.ts); a new session id on every sign-in. JSON: 200 `{username, role, csrf}` with
 *   the cookie; a browser's form: 303 to `next` (same-site paths only) or back to the login page.
 *   A {@link PUBLIC} operation of the API table (validated and documented by its schema; audited
 *   by {@link signIn}).
 * - `POST <api>/v1/auth/logout`, `GET <api>/v1/auth/me`, `POST <api>/v1/auth/password` (own
 *   password, from a session: every session of the user ends, this one is renewed): operations of
 *   the API table, which audits the changes.
 */
import type { ServerResponse } from 'node:http';
import * as z from 'zod/mini';
import { GATEWAY_AUTH } from '../../../core/gateway-auth.js';
import { HttpError, sendJson, type RequestContext, type ServiceServer } from '../../kit/server.js';
import { PUBLIC, publicOperation, type AnyOperation, type OperationResult, type PublicOperation } from '../api/operations.js';
import type { GatewayDeps } from '../deps.js';
import { clearedSessionCookie, cookieIsSecure, sessionCookie, sessionIdOf } from '../identity/cookies.js';
import type { Principal } from '../identity/credentials.js';
import { crossSiteRequest } from '../identity/csrf.js';
import { failed, FORWARDED, logRefusal } from '../identity/guard.js';
import { burnPasswordTime, hashPassword, passwordProblem, verifyPassword, PASSWORD_MAX_LENGTH } from '../identity/passwords.js';
import { acceptsHtml, forwardedRequest, safeNext, sourceAddress } from '../identity/request.js';
import { atLeast, forwardedRequirement, GRAFANA_ROLES, isUnsafe, refusedForwardedPath, ROLES, type Role } from '../identity/roles.js';
import type { NewSession } from '../identity/sessions.js';
import { usernameProblem, type LoginUser } from '../identity/store.js';
import { readInput, type Input } from '../input.js';
import { guarded, registerGuardedOperations } from './table.js';

/** The console's login page (served by the console). */
export const LOGIN_PATH = '/login';

/** Headers of every identity answer: never cached by a browser or proxy. */
const NO_STORE = { 'cache-control': 'no-store' };

/** Longest username and password a sign-in reads (longer: refused like a wrong one, after the same work). */
const MAX_USERNAME_INPUT = 256;
const MAX_PASSWORD_INPUT = 4 * PASSWORD_MAX_LENGTH;

/** The four headers Traefik copies to the upstream request (authResponseHeaders; names in src/core/gateway-auth.ts). */
export function identityHeaders(username: string, role: Role): Record<string, string> {
  const H = GATEWAY_AUTH.headers;
  return { [H.user]: username, [H.role]: role, [H.grafanaUser]: username, [H.grafanaRole]: GRAFANA_ROLES[role] };
}

function redirect(res: ServerResponse, location: string, headers: Record<string, string | string[]> = {}, status = 303): void {
  res.writeHead(status, { ...NO_STORE, ...headers, location });
  res.end();
}

/** `/login?…` with `next` (made safe) and an optional error word. */
function loginPage(next: string, error?: string): string {
  const q = new URLSearchParams();
  if (error) q.set('error', error);
  q.set('next', safeNext(next));
  return `${LOGIN_PATH}?${q.toString()}`;
}

/** True when the answer to this input is a redirect (a browser's form), false for JSON. */
const answersWithRedirect = (ctx: RequestContext, input: Input) => input.kind === 'form' && acceptsHtml(ctx.req);

async function verify(ctx: RequestContext, deps: GatewayDeps): Promise<void> {
  const { req, res } = ctx;
  const forwarded = forwardedRequest(req);
  // Refused to everyone, signed in or not: nothing about the credentials is needed to say no.
  const closed = refusedForwardedPath(forwarded.path);
  if (closed) {
    deps.metrics.verify.inc({ result: 'forbidden' });
    ctx.log.warn({ method: forwarded.method, target: forwarded.uri }, 'refused a request to a path closed to the Ingress');
    sendJson(res, 403, { error: closed, requestId: ctx.requestId }, NO_STORE);
    return;
  }
  let principal: Principal | undefined;
  try {
    const resolved = await deps.credentials.resolve(req);
    principal = resolved.principal;
    if (resolved.reason !== undefined) logRefusal(ctx, resolved);
  } catch (err) {
    deps.metrics.verify.inc({ result: 'error' });
    ctx.log.error({ err }, 'checking the credentials failed');
    throw new HttpError(503, 'the identity store is unavailable: try again', { ...NO_STORE, 'retry-after': '5' });
  }
  if (!principal) {
    if (forwarded.method === 'GET' && acceptsHtml(req)) {
      deps.metrics.verify.inc({ result: 'redirected' });
      redirect(res, `${LOGIN_PATH}?next=${encodeURIComponent(safeNext(forwarded.uri))}`, {}, 302);
      return;
    }
    deps.metrics.verify.inc({ result: 'unauthorized' });
    sendJson(res, 401, { error: 'sign in first, or send an API key (Authorization: Bearer aiops_…)', requestId: ctx.requestId }, { ...NO_STORE, 'www-authenticate': 'Bearer realm="aiops"' });
    return;
  }
  const need = forwardedRequirement(forwarded.method, forwarded.path);
  const about = { method: forwarded.method, path: forwarded.path, target: forwarded.uri };
  const refusal =
    principal.session && isUnsafe(forwarded.method) && crossSiteRequest(req)
      ? 'cross-site request'
      : !atLeast(principal.role, need.role)
        ? `this needs the ${need.role} role (you are ${principal.role})`
        : undefined;
  if (refusal) {
    deps.metrics.verify.inc({ result: 'forbidden' });
    if (isUnsafe(forwarded.method)) await deps.guard.auditAfter(ctx, principal, { ...about, outcome: failed(403), detail: { reason: refusal } });
    sendJson(res, 403, { error: refusal, requestId: ctx.requestId }, NO_STORE);
    return;
  }
  // Written before Traefik forwards the request: no row, no change.
  if (need.audit) await deps.guard.audit(ctx, principal, { ...about, outcome: FORWARDED });
  deps.metrics.verify.inc({ result: 'allowed' });
  res.writeHead(200, { ...NO_STORE, ...identityHeaders(principal.username, principal.role), 'content-length': 0 });
  res.end();
}

/** Checks `password` for `username`; the same work whether or not the user exists or is enabled. */
async function checkPassword(deps: GatewayDeps, ctx: RequestContext, username: string, password: string): Promise<{ user?: LoginUser; reason?: string }> {
  const user = usernameProblem(username) === undefined && password.length <= MAX_PASSWORD_INPUT ? await deps.store.userForLogin(username) : undefined;
  if (!user) {
    await burnPasswordTime(password.slice(0, MAX_PASSWORD_INPUT));
    return { reason: 'unknown user' };
  }
  const check = await verifyPassword(password, user.passwordHash);
  if (check.malformed) ctx.log.error({ username: user.username }, 'the stored password hash is malformed: the user cannot sign in until an admin sets a new password');
  if (!check.ok) return { reason: 'wrong password' };
  if (user.disabled) return { reason: 'disabled' };
  if (check.rehash) {
    try {
      await deps.store.rehashPassword(user.id, user.passwordHash, await hashPassword(password));
      ctx.log.info({ username: user.username }, 'password re-hashed with the current parameters');
    } catch (err) {
      ctx.log.warn({ err, username: user.username }, 're-hashing the password failed (it still verifies)');
    }
  }
  return { user };
}

/** Creates a session for `user` and ends the one the request carried; resolves to it and its `Set-Cookie`. */
async function startSession(deps: GatewayDeps, ctx: RequestContext, user: { username: string; role: Role; epoch: number }): Promise<{ session: NewSession; setCookie: string }> {
  const previous = sessionIdOf(ctx.req);
  if (previous) await deps.sessions.destroy(previous);
  const session = await deps.sessions.create(user);
  return { session, setCookie: sessionCookie(session.id, cookieIsSecure(deps.cookieSecure, ctx.req), Math.floor(deps.sessionTimes.absoluteMs / 1000)) };
}

/** What {@link signIn} found: a session and its cookie, or why not (never whether the user exists). */
export type SignInResult =
  | { readonly ok: true; readonly setCookie: string; readonly session: NewSession }
  | { readonly ok: false; readonly reason: 'invalid' }
  | { readonly ok: false; readonly reason: 'locked'; readonly retryAfterSeconds: number };

/**
 * Signs `username` in with `password` (the sign-in route and the console's login form): refused
 * without a check during a lock-out (audit `failed 429`); a wrong username or password counts
 * against both limits (audit `failed 401`, with the reason, which only admins read); else the
 * audit row `requested`, a new session (the one the request carried ends), `done 200`. 503 when a
 * store fails. The caller sets `setCookie`; the request must not be cross-site (the route checks).
 */
export async function signIn(deps: GatewayDeps, ctx: RequestContext, username: string, password: string): Promise<SignInResult> {
  const address = sourceAddress(ctx.req);
  const lock = await deps.limits.loginAllowed(username, address);
  if (!lock.allowed) {
    deps.metrics.logins.inc({ outcome: 'locked' });
    await deps.guard.auditAfter(ctx, null, { target: 'session', outcome: failed(429), detail: { reason: 'locked out' } }, username);
    return { ok: false, reason: 'locked', retryAfterSeconds: lock.retryAfterSeconds };
  }
  let checked: Awaited<ReturnType<typeof checkPassword>>;
  try {
    checked = await checkPassword(deps, ctx, username, password);
  } catch (err) {
    deps.metrics.logins.inc({ outcome: 'error' });
    ctx.log.error({ err }, 'reading the user failed');
    throw new HttpError(503, 'the identity store is unavailable: try again', { ...NO_STORE, 'retry-after': '5' });
  }
  const user = checked.user;
  if (!user) {
    deps.metrics.logins.inc({ outcome: 'failed' });
    await deps.limits.loginFailed(username, address);
    await deps.guard.auditAfter(ctx, null, { target: 'session', outcome: failed(401), detail: { reason: checked.reason } }, username);
    return { ok: false, reason: 'invalid' };
  }
  const principal: Principal = { username: user.username, role: user.role, via: 'session' };
  const started = await deps.guard.audited(ctx, principal, 'session', async () => {
    try {
      return await startSession(deps, ctx, user);
    } catch (err) {
      ctx.log.error({ err, sessions: deps.sessions.kind }, 'creating the session failed');
      throw new HttpError(503, 'the session store is unavailable: try again', { 'retry-after': '5' });
    }
  });
  deps.metrics.logins.inc({ outcome: 'succeeded' });
  await deps.limits.loginSucceeded(username);
  deps.store.recordLogin(user.id).catch((err: unknown) => ctx.log.warn({ err }, 'recording the sign-in time failed'));
  return { ok: true, ...started };
}

/** Ends `principal`'s session (not audited: the caller is); resolves to the `Set-Cookie` that clears the cookie. */
async function endSession(deps: GatewayDeps, ctx: RequestContext, principal: Principal): Promise<{ setCookie: string }> {
  const id = principal.session?.id;
  if (id) await deps.sessions.destroy(id);
  return { setCookie: clearedSessionCookie(cookieIsSecure(deps.cookieSecure, ctx.req)) };
}

/** Ends `principal`'s session (the console's sign-out; audited: `requested`, then `done 200`); resolves to the `Set-Cookie` that clears the cookie. */
export async function signOut(deps: GatewayDeps, ctx: RequestContext, principal: Principal): Promise<{ setCookie: string }> {
  return deps.guard.audited(ctx, principal, 'session', () => endSession(deps, ctx, principal));
}

/** A redirect as an operation's answer. */
const redirectTo = (location: string, headers: Record<string, string> = {}): OperationResult => ({ status: 303, headers: { ...NO_STORE, ...headers, location } });

/** The sign-in body: JSON, or a form with the same fields (a browser's form may add `next`). */
const loginBody = z.object({
  username: z.string().check(z.maxLength(MAX_USERNAME_INPUT)),
  password: z.string(),
  next: z.optional(z.string().check(z.maxLength(2000), z.describe('a form\u2019s same-site path to go to after the sign-in'))),
});

const session = z.object({ username: z.string(), role: z.enum(ROLES), csrf: z.string().check(z.describe('send it as X-CSRF-Token on writes')) });

type GrafanaRole = (typeof GRAFANA_ROLES)[Role];

const me = z.object({
  username: z.string(),
  role: z.enum(ROLES),
  grafanaRole: z.enum(Object.values(GRAFANA_ROLES) as [GrafanaRole, ...GrafanaRole[]]),
  via: z.enum(['session', 'api-key']),
  keyId: z.optional(z.string()),
  csrf: z.optional(z.string()),
  session: z.optional(z.object({ createdAt: z.string(), endsAt: z.string() })),
});

/** The sign-in: {@link PUBLIC} (no caller yet); {@link signIn} audits it. */
function loginOperation(deps: GatewayDeps): PublicOperation {
  return publicOperation({
    method: 'POST',
    path: '/auth/login',
    tag: 'auth',
    summary: 'Signs in: a session cookie and its CSRF token',
    description:
      'JSON, or an HTML form (application/x-www-form-urlencoded) with the same fields: a browser\u2019s form (Accept: text/html) gets 303 to `next` (same-site paths only), or back to the login page with `error`. One answer for every wrong username or password; lock-outs per username and per address.',
    role: PUBLIC,
    body: loginBody,
    response: session,
    responses: { 303: 'A browser\u2019s form: to next, or back to the login page', 401: 'Wrong username or password', 403: 'A cross-site sign-in', 429: 'Locked out after failed sign-ins (Retry-After)', 503: 'A store of the gateway is unavailable' },
    handler: async ({ ctx, body }) => {
      if (crossSiteRequest(ctx.req)) throw new HttpError(403, 'cross-site sign-in refused', NO_STORE);
      const next = safeNext(body.next);
      const viaForm = answersWithRedirect(ctx, await readInput(ctx.req));
      if (body.username === '' || body.password === '') {
        if (viaForm) return redirectTo(loginPage(next, 'missing'));
        throw new HttpError(400, 'username and password are required', NO_STORE);
      }
      const result = await signIn(deps, ctx, body.username, body.password);
      if (!result.ok) {
        const retry: Record<string, string> = result.reason === 'locked' ? { 'retry-after': String(result.retryAfterSeconds) } : {};
        if (viaForm) return redirectTo(loginPage(next, result.reason), retry);
        if (result.reason === 'locked') throw new HttpError(429, 'too many failed sign-ins: try again later', { ...NO_STORE, ...retry });
        throw new HttpError(401, 'wrong username or password', NO_STORE);
      }
      if (viaForm) return redirectTo(next, { 'set-cookie': result.setCookie });
      const r = result.session.record;
      return { body: { username: r.username, role: r.role, csrf: r.csrf }, headers: { ...NO_STORE, 'set-cookie': result.setCookie } };
    },
  });
}

/** Sign-out, who am I, own password: operations of the API table (it audits the changes). */
function sessionOperations(deps: GatewayDeps): AnyOperation<Principal>[] {
  return [
    guarded({
      method: 'POST',
      path: '/auth/logout',
      tag: 'auth',
      summary: 'Signs out: ends this session and clears its cookie',
      role: 'viewer',
      status: 204,
      responses: { 303: 'A browser\u2019s form: to the login page', 400: 'An API key does not sign out: revoke it' },
      target: () => 'session',
      handler: async ({ ctx, principal }) => {
        if (!principal.session) throw new HttpError(400, 'API keys do not sign out: revoke the key instead', NO_STORE);
        const viaForm = (await readInput(ctx.req)).kind === 'form' && acceptsHtml(ctx.req);
        const { setCookie } = await endSession(deps, ctx, principal);
        return viaForm ? redirectTo(LOGIN_PATH, { 'set-cookie': setCookie }) : { headers: { ...NO_STORE, 'set-cookie': setCookie } };
      },
    }),
    guarded({
      method: 'GET',
      path: '/auth/me',
      tag: 'auth',
      summary: 'Who is calling: user, role, Grafana role, and for a session its CSRF token and end',
      role: 'viewer',
      response: me,
      handler: ({ principal }) => {
        const s = principal.session?.record;
        const body: z.infer<typeof me> = {
          username: principal.username,
          role: principal.role,
          grafanaRole: GRAFANA_ROLES[principal.role],
          via: principal.via,
          ...(principal.keyId ? { keyId: principal.keyId } : {}),
          ...(s ? { csrf: s.csrf, session: { createdAt: new Date(s.createdAt).toISOString(), endsAt: new Date(s.createdAt + deps.sessionTimes.absoluteMs).toISOString() } } : {}),
        };
        return { body, headers: NO_STORE };
      },
    }),
    guarded({
      method: 'POST',
      path: '/auth/password',
      tag: 'auth',
      summary: 'Changes your own password, from a session: every session of yours ends, this one is renewed (a new cookie)',
      role: 'viewer',
      body: z.object({ currentPassword: z.string().check(z.minLength(1), z.maxLength(MAX_PASSWORD_INPUT)), newPassword: z.string().check(z.minLength(1), z.maxLength(MAX_PASSWORD_INPUT)) }),
      response: session,
      responses: { 403: 'The current password is wrong, or not a session', 429: 'Locked out after failed sign-ins (Retry-After)' },
      target: ({ principal }) => `user:${principal.username}`,
      auditDetail: () => ({ change: 'password' }),
      handler: async ({ ctx, principal, body }) => {
        if (!principal.session) throw new HttpError(403, 'sign in to change your password (not with an API key)', NO_STORE);
        const address = sourceAddress(ctx.req);
        const lock = await deps.limits.loginAllowed(principal.username, address);
        if (!lock.allowed) throw new HttpError(429, 'too many failed sign-ins: try again later', { ...NO_STORE, 'retry-after': String(lock.retryAfterSeconds) });
        const checked = await checkPassword(deps, ctx, principal.username, body.currentPassword);
        if (!checked.user) {
          await deps.limits.loginFailed(principal.username, address);
          throw new HttpError(403, 'the current password is wrong', NO_STORE);
        }
        const problem = passwordProblem(body.newPassword, principal.username);
        if (problem) throw new HttpError(400, problem, NO_STORE);
        const username = checked.user.username;
        const updated = await deps.store.updateUser(username, { passwordHash: await hashPassword(body.newPassword) });
        if (!updated) throw new HttpError(404, 'no such user');
        deps.credentials.forget(username);
        await endSessionsOf(deps, ctx, username);
        const started = await startSession(deps, ctx, { username, role: updated.user.role, epoch: updated.epoch });
        const r = started.session.record;
        return { body: { username: r.username, role: r.role, csrf: r.csrf }, headers: { ...NO_STORE, 'set-cookie': started.setCookie } };
      },
    }),
  ];
}

/** Ends every session of `username` after a credentials change; a failure is logged (the credentials epoch refuses them anyway). */
export async function endSessionsOf(deps: GatewayDeps, ctx: RequestContext, username: string): Promise<number> {
  try {
    return await deps.sessions.destroyAllOf(username);
  } catch (err) {
    ctx.log.warn({ err, username }, 'ending the sessions failed: they are refused by their credentials epoch');
    return 0;
  }
}

/** Registers `/auth/verify` (Traefik's, outside the API) and the `<api>/v1/auth/*` operations. */
export function registerAuthRoutes(server: ServiceServer, deps: GatewayDeps): void {
  server.route('GET', GATEWAY_AUTH.verifyPath, (ctx) => verify(ctx, deps));
  registerGuardedOperations(server, deps, [loginOperation(deps), ...sessionOperations(deps)]);
}
