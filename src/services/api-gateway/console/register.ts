import type { ServerResponse } from 'node:http';
import { HttpError, readBody, type RequestContext, type ServiceServer } from '../../kit/server.js';
import { csrfMatches, crossSiteRequest } from '../identity/csrf.js';
import { safeNext } from '../identity/request.js';
import { atLeast, isRole, type Role } from '../identity/roles.js';
import { labelSetOf, seriesIdOf } from './anomaly-series.js';
import { CONSOLE_ASSETS, type ConsoleAsset } from './assets.js';
import type { ConsoleBackend, ConsoleCall, ConsolePrincipal } from './backend.js';
import { localHref } from './html.js';
import { DEFAULT_TOOLS, pageHtml, type NavKey, type Notice, type ToolLink } from './layout.js';
import { alertsBody } from './pages/alerts.js';
import { anomaliesBody, byAnomalyUrgency, seriesBody } from './pages/anomalies.js';
import { DECISION_RETURN_PATHS } from './pages/approvals.js';
import type { Loaded, PageContext } from './pages/common.js';
import { errorBody } from './pages/error.js';
import { loginBody, loginError, type LoginView } from './pages/login.js';
import { OVERVIEW_LIMITS, overviewBody, type DrawnAnomaly } from './pages/overview.js';
import { selfHealingBody } from './pages/self-healing.js';
import { API_KEY_EXPIRIES, secretHtml, usersBody, type UserFormValues } from './pages/users.js';
import type { SafeHtml } from './html.js';

/**
 * The operations console the gateway serves at `/`.
 *
 * Stack: server-rendered HTML from small typed TypeScript render functions (pages/), one
 * HTML-escaping helper through which every interpolated value passes (html.ts), no framework, no
 * CDN, no client bundle: one stylesheet and one small script, both served by the gateway from the
 * bundle (assets.ts). The script only refreshes `<main>` and confirms destructive forms; every
 * page works without JavaScript (links and POST forms). Charts are SVG drawn on the server
 * (chart.ts) with a text alternative.
 *
 * Every response carries a strict Content-Security-Policy (`default-src 'self'`, no inline script
 * or style), `X-Frame-Options: DENY` and `frame-ancestors 'none'`, `Referrer-Policy: same-origin`,
 * `X-Content-Type-Options: nosniff`; pages are `Cache-Control: no-store`. Every page needs a
 * signed-in user (else 303 to `/login?next=…`); the role decides what is shown, the backend
 * decides what is allowed. Every form is a POST carrying the session's CSRF token (`_csrf`) and is
 * refused when the browser says it came from another site. After a change the browser is sent on
 * with 303 (`?done=<what>` picks a fixed message); a refused change is answered with the page and
 * the reason.
 *
 * Routes: GET `/`, `/alerts`, `/anomalies`, `/anomalies/series/:id`, `/self-healing`, `/users`,
 * `/login`, the two assets; POST `/login`, `/logout`, `/self-healing/approvals/:id/approve|reject`,
 * `/users` (create), `/users/:username` (role, disabled), `/api-keys` (create),
 * `/api-keys/:id/revoke`.
 */

export interface ConsoleOptions {
  /** The UIs the pages link (default Grafana, Kibana, Prometheus, Alertmanager under their paths). */
  readonly tools?: readonly ToolLink[];
  /** Seconds between the script's refreshes of the live pages (default 30; 0: none). */
  readonly refreshSeconds?: number;
  /** The clock (default Date.now). */
  readonly now?: () => number;
}

/** The headers of every console response. */
export const CONSOLE_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
  'x-frame-options': 'DENY',
  'referrer-policy': 'same-origin',
  'x-content-type-options': 'nosniff',
  'cross-origin-opener-policy': 'same-origin',
};

/** Largest form the console reads (16 KiB). */
const FORM_LIMIT = 16 * 1024;

/** The fixed messages of `?done=`. */
const DONE: Readonly<Record<string, string>> = {
  approved: 'Approved. The executor checks the alert and its guardrails again, then acts.',
  rejected: 'Rejected. The action will not run.',
  'user-created': 'User created.',
  'user-updated': 'User changed. Their sessions were ended.',
  'key-revoked': 'API key revoked.',
  'logged-out': 'You are logged out.',
};

/** What a page handler answers. */
interface PageResult {
  readonly status?: number;
  readonly title: string;
  readonly current?: NavKey;
  readonly body: SafeHtml;
  readonly notice?: Notice | undefined;
  /** Refreshed by the script (live data). */
  readonly live?: boolean;
}

function send(res: ServerResponse, status: number, body: string | Buffer, headers: Record<string, string | string[]>): void {
  res.writeHead(status, { ...CONSOLE_SECURITY_HEADERS, ...headers, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function sendPage(res: ServerResponse, status: number, document: string, headers: Record<string, string | string[]> = {}): void {
  send(res, status, document, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', ...headers });
}

function redirect(res: ServerResponse, location: string, headers: Record<string, string | string[]> = {}): void {
  res.writeHead(303, { ...CONSOLE_SECURITY_HEADERS, 'cache-control': 'no-store', location, 'content-length': 0, ...headers });
  res.end();
}

/** The message a page shows for a failed call: an HttpError's own (it never names internal URLs), else a generic one. */
function messageOf(error: unknown): string {
  return error instanceof HttpError ? error.message : 'It did not answer.';
}

/** The body of an urlencoded form (415 for another type, 413 above {@link FORM_LIMIT}). */
async function readForm(ctx: RequestContext): Promise<URLSearchParams> {
  const type = (ctx.req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') throw new HttpError(415, 'The form was not sent as a form.');
  return new URLSearchParams((await readBody(ctx.req, FORM_LIMIT)).toString('utf8'));
}

/** A form field: trimmed text without control characters, at most `max` characters; undefined otherwise. */
function field(form: URLSearchParams, name: string, max: number): string | undefined {
  const value = form.get(name);
  if (value === null || value.length > max || /[\u0000-\u001f\u007f]/.test(value)) return undefined;
  return value.trim();
}

/** Registers the console's routes and assets on `server`. */
export function registerConsole(server: ServiceServer, backend: ConsoleBackend, options: ConsoleOptions = {}): void {
  const tools = options.tools ?? DEFAULT_TOOLS;
  for (const t of tools) localHref(t.href);
  const refreshSeconds = options.refreshSeconds ?? 30;
  const now = options.now ?? Date.now;

  const load = async <T>(ctx: RequestContext, what: string, fn: () => Promise<T>): Promise<Loaded<T>> => {
    try {
      return { ok: true, value: await fn() };
    } catch (error) {
      if (!(error instanceof HttpError)) ctx.log.warn({ err: error, what }, 'console: loading failed');
      return { ok: false, error: messageOf(error) };
    }
  };

  /** The signed-in user; when the session store does not answer, an error page is sent and `null` returned. */
  const whoIs = async (ctx: RequestContext): Promise<ConsolePrincipal | undefined | null> => {
    try {
      return await backend.principal(ctx);
    } catch (error) {
      ctx.log.error({ err: error }, 'console: the session store did not answer');
      fail(ctx.res, undefined, 503, 'Unavailable', 'Sessions cannot be checked right now. Try again in a moment.');
      return null;
    }
  };

  const pageContext = (principal: ConsolePrincipal): PageContext => ({ principal, now: now(), tools });
  const render = (res: ServerResponse, principal: ConsolePrincipal | undefined, result: PageResult, headers: Record<string, string | string[]> = {}) =>
    sendPage(
      res,
      result.status ?? 200,
      pageHtml({ title: result.title, principal, current: result.current, body: result.body, notice: result.notice, refreshSeconds: result.live && refreshSeconds > 0 ? refreshSeconds : undefined, tools }),
      headers,
    );
  const fail = (res: ServerResponse, principal: ConsolePrincipal | undefined, status: number, title: string, message: string) =>
    render(res, principal, { status, title, body: errorBody(title, message) });
  const doneNotice = (ctx: RequestContext): Notice | undefined => {
    const text = DONE[ctx.url.searchParams.get('done') ?? ''];
    return text ? { kind: 'ok', text } : undefined;
  };
  const toLogin = (ctx: RequestContext) => redirect(ctx.res, localHref('/login', { next: ctx.req.method === 'GET' ? `${ctx.url.pathname}${ctx.url.search}` : undefined }));

  /** A page: signed-in users only. */
  const get = (path: string, handler: (call: ConsoleCall) => Promise<PageResult>) =>
    server.route('GET', path, async (ctx) => {
      const principal = await whoIs(ctx);
      if (principal === null) return;
      if (!principal) return toLogin(ctx);
      try {
        render(ctx.res, principal, await handler({ ctx, principal }));
      } catch (error) {
        ctx.log.error({ err: error }, 'console: page failed');
        fail(ctx.res, principal, 500, 'Something went wrong', 'The page could not be shown. Try again in a moment.');
      }
    });

  /**
   * A form: signed-in users with at least `role`, sent from this site with the session's CSRF
   * token. `handler` answers a redirect (success) or a page; a rejected call is rendered by `refused`.
   */
  const post = (
    path: string,
    role: Role,
    handler: (call: ConsoleCall, form: URLSearchParams) => Promise<{ redirect: string } | PageResult>,
    refused: (call: ConsoleCall, notice: Notice, status: number, form: URLSearchParams) => Promise<PageResult>,
  ) =>
    server.route('POST', path, async (ctx) => {
      const principal = await whoIs(ctx);
      if (principal === null) return;
      if (!principal) return toLogin(ctx);
      if (crossSiteRequest(ctx.req)) return fail(ctx.res, principal, 403, 'Refused', 'The form was sent from another site.');
      let form: URLSearchParams;
      try {
        form = await readForm(ctx);
      } catch (error) {
        const status = error instanceof HttpError ? error.status : 400;
        return fail(ctx.res, principal, status, 'Refused', error instanceof HttpError ? error.message : 'The form could not be read.');
      }
      if (!csrfMatches(principal.csrf, form.get('_csrf') ?? undefined)) return fail(ctx.res, principal, 403, 'Refused', 'The form has expired. Go back, reload the page and try again.');
      if (!atLeast(principal.role, role)) return fail(ctx.res, principal, 403, 'Not allowed', `This needs the ${role} role; you are ${principal.role}.`);
      const call = { ctx, principal };
      try {
        const result = await handler(call, form);
        if ('redirect' in result) return redirect(ctx.res, result.redirect);
        return render(ctx.res, principal, result);
      } catch (error) {
        if (!(error instanceof HttpError)) ctx.log.error({ err: error, path }, 'console: action failed');
        const status = error instanceof HttpError ? error.status : 502;
        try {
          return render(ctx.res, principal, { status, ...(await refused(call, { kind: 'error', text: messageOf(error) }, status, form)) });
        } catch (again) {
          ctx.log.error({ err: again }, 'console: page failed');
          return fail(ctx.res, principal, status, 'Refused', messageOf(error));
        }
      }
    });

  // Assets.
  const serveAsset = (a: ConsoleAsset) =>
    server.route('GET', a.path, ({ res }) => send(res, 200, a.body, { 'content-type': a.contentType, 'cache-control': 'public, max-age=86400' }));
  serveAsset(CONSOLE_ASSETS.css);
  serveAsset(CONSOLE_ASSETS.js);
  serveAsset(CONSOLE_ASSETS.icon);

  // Login and logout.
  const loginPage = (res: ServerResponse, status: number, view: LoginView, notice?: Notice, headers: Record<string, string | string[]> = {}) =>
    render(res, undefined, { status, title: 'Log in', body: loginBody(view), notice }, headers);

  server.route('GET', '/login', async (ctx) => {
    const next = safeNext(ctx.url.searchParams.get('next'));
    const principal = await whoIs(ctx);
    if (principal === null) return;
    if (principal) return redirect(ctx.res, next);
    const error = loginError(ctx.url.searchParams.get('error'));
    loginPage(ctx.res, 200, { next, error, retryAfterSeconds: undefined }, error ? undefined : doneNotice(ctx));
  });

  server.route('POST', '/login', async (ctx) => {
    if (crossSiteRequest(ctx.req)) return loginPage(ctx.res, 403, { next: '/', error: 'refused' });
    let form: URLSearchParams;
    try {
      form = await readForm(ctx);
    } catch {
      return loginPage(ctx.res, 400, { next: '/', error: 'refused' });
    }
    const next = safeNext(form.get('next'));
    const username = field(form, 'username', 128);
    const password = form.get('password') ?? '';
    if (!username || password === '') return loginPage(ctx.res, 400, { next, username, error: 'missing' });
    if (password.length > 1024) return loginPage(ctx.res, 401, { next, username, error: 'invalid' });
    let result: Awaited<ReturnType<ConsoleBackend['login']>>;
    try {
      result = await backend.login(ctx, { username, password });
    } catch (error) {
      ctx.log.error({ err: error }, 'console: login failed');
      return loginPage(ctx.res, 503, { next, username, error: 'unavailable' });
    }
    if (result.ok) return redirect(ctx.res, next, { 'set-cookie': result.setCookie });
    if (result.reason === 'locked') return loginPage(ctx.res, 429, { next, username, error: 'locked', retryAfterSeconds: result.retryAfterSeconds }, undefined, { 'retry-after': String(Math.max(1, Math.ceil(result.retryAfterSeconds))) });
    return loginPage(ctx.res, 401, { next, username, error: 'invalid' });
  });

  server.route('POST', '/logout', async (ctx) => {
    const principal = await whoIs(ctx);
    if (principal === null) return;
    if (!principal) return redirect(ctx.res, '/login');
    if (crossSiteRequest(ctx.req)) return fail(ctx.res, principal, 403, 'Refused', 'The form was sent from another site.');
    let form: URLSearchParams;
    try {
      form = await readForm(ctx);
    } catch {
      return fail(ctx.res, principal, 400, 'Refused', 'The form could not be read.');
    }
    if (!csrfMatches(principal.csrf, form.get('_csrf') ?? undefined)) return fail(ctx.res, principal, 403, 'Refused', 'The form has expired. Go back, reload the page and try again.');
    const { setCookie } = await backend.logout({ ctx, principal });
    redirect(ctx.res, localHref('/login', { done: 'logged-out' }), { 'set-cookie': setCookie });
  });

  // Overview.
  const overview = async (call: ConsoleCall, notice?: Notice): Promise<PageResult> => {
    const { ctx } = call;
    const [health, alerts, anomalies, approvals] = await Promise.all([
      load(ctx, 'health', () => backend.health(call)),
      load(ctx, 'alerts', () => backend.alerts(call)),
      load(ctx, 'anomalies', async () => {
        const all = [...(await backend.anomalies(call))].sort(byAnomalyUrgency);
        const shown = all.slice(0, OVERVIEW_LIMITS.anomalies);
        const ids = [...new Set(shown.map(seriesIdOf).filter((id): id is string => id !== undefined))];
        const series = new Map(await Promise.all(ids.map(async (id) => [id, await backend.series(call, id).catch(() => undefined)] as const)));
        const drawn: DrawnAnomaly[] = shown.map((anomaly) => {
          const s = series.get(seriesIdOf(anomaly) ?? '');
          const set = s && labelSetOf(s, anomaly);
          return { anomaly, series: s && set ? { series: s, set } : undefined };
        });
        return { total: all.length, drawn };
      }),
      load(ctx, 'approvals', () => backend.approvals(call)),
    ]);
    return { title: 'Overview', current: 'overview', live: true, notice: notice ?? doneNotice(ctx), body: overviewBody(pageContext(call.principal), { health, alerts, anomalies, approvals }) };
  };
  get('/', overview);

  get('/alerts', async (call) => ({ title: 'Alerts', current: 'alerts', live: true, body: alertsBody(pageContext(call.principal), await load(call.ctx, 'alerts', () => backend.alerts(call))) }));

  get('/anomalies', async (call) => ({ title: 'Anomalies', current: 'anomalies', live: true, body: anomaliesBody(pageContext(call.principal), await load(call.ctx, 'anomalies', () => backend.anomalies(call))) }));

  get('/anomalies/series/:id', async (call) => {
    const id = call.ctx.params['id']!;
    const missing = (message: string, status = 404): PageResult => ({ status, title: 'Series', current: 'anomalies', body: errorBody('Series', message) });
    if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(id)) return missing('There is no series of that name.');
    const series = await load(call.ctx, 'series', () => backend.series(call, id));
    if (!series.ok) return missing(series.error, 502);
    if (!series.value) return missing(`The AI engine has no series ${id}.`);
    return { title: series.value.description || id, current: 'anomalies', live: true, body: seriesBody(pageContext(call.principal), series.value) };
  });

  // Self-healing.
  const selfHealing = async (call: ConsoleCall, notice?: Notice): Promise<PageResult> => {
    const [approvals, decisions] = await Promise.all([load(call.ctx, 'approvals', () => backend.approvals(call)), load(call.ctx, 'decisions', () => backend.decisions(call))]);
    return { title: 'Self-healing', current: 'self-healing', live: true, notice: notice ?? doneNotice(call.ctx), body: selfHealingBody(pageContext(call.principal), { approvals, decisions }) };
  };
  get('/self-healing', selfHealing);
  for (const verb of ['approve', 'reject'] as const) {
    post(
      `/self-healing/approvals/:id/${verb}`,
      'operator',
      async (call, form) => {
        const back = DECISION_RETURN_PATHS.find((p) => p === form.get('back')) ?? '/self-healing';
        await backend.decideApproval(call, call.ctx.params['id']!, verb, field(form, 'reason', 500) || undefined);
        return { redirect: localHref(back, { done: verb === 'approve' ? 'approved' : 'rejected' }) };
      },
      (call, notice, _status, form) => (form.get('back') === '/' ? overview(call, notice) : selfHealing(call, notice)),
    );
  }

  // Users and API keys.
  const users = async (call: ConsoleCall, notice?: Notice, form?: UserFormValues): Promise<PageResult> => {
    const admin = atLeast(call.principal.role, 'admin');
    const [list, apiKeys] = await Promise.all([admin ? load(call.ctx, 'users', () => backend.users(call)) : Promise.resolve(undefined), load(call.ctx, 'api keys', () => backend.apiKeys(call))]);
    return { title: admin ? 'Users and API keys' : 'API keys', current: 'users', notice: notice ?? doneNotice(call.ctx), body: usersBody(pageContext(call.principal), { users: list, apiKeys, form }) };
  };
  get('/users', (call) => users(call));
  const refusedOnUsers = (call: ConsoleCall, notice: Notice, _status: number, form: URLSearchParams) =>
    users(call, notice, { username: field(form, 'username', 64), role: isRole(form.get('role')) ? (form.get('role') as Role) : undefined });
  const bad = (message: string) => new HttpError(400, message);

  post(
    '/users',
    'admin',
    async (call, form) => {
      const username = field(form, 'username', 64);
      const password = form.get('password') ?? '';
      const role = form.get('role');
      if (!username) throw bad('Give a username.');
      if (!isRole(role)) throw bad('Choose a role.');
      await backend.createUser(call, { username, password, role });
      return { redirect: localHref('/users', { done: 'user-created' }) };
    },
    refusedOnUsers,
  );
  post(
    '/users/:username',
    'admin',
    async (call, form) => {
      const role = form.get('role');
      const disabled = form.get('disabled');
      if (role !== null && !isRole(role)) throw bad('Choose a role.');
      if (disabled !== null && disabled !== 'true' && disabled !== 'false') throw bad('Disable or enable.');
      if ((role === null) === (disabled === null)) throw bad('Change the role or the state, one at a time.');
      await backend.updateUser(call, call.ctx.params['username']!, role !== null ? { role: role as Role } : { disabled: disabled === 'true' });
      return { redirect: localHref('/users', { done: 'user-updated' }) };
    },
    (call, notice) => users(call, notice),
  );
  post(
    '/api-keys',
    'viewer',
    async (call, form) => {
      const name = field(form, 'name', 100);
      const role = form.get('role');
      const expiry = form.get('expiresInDays');
      if (!name) throw bad('Give the key a name.');
      if (!isRole(role) || !atLeast(call.principal.role, role)) throw bad('Choose a role up to your own.');
      const days = expiry === 'never' ? undefined : API_KEY_EXPIRIES.find((d) => String(d) === expiry);
      if (expiry !== 'never' && days === undefined) throw bad('Choose when the key expires.');
      const created = await backend.createApiKey(call, { name, role, ...(days !== undefined ? { expiresInDays: days } : {}) });
      return users(call, { kind: 'ok', text: `API key "${created.key.name}" created.`, detail: secretHtml(created.secret) });
    },
    (call, notice) => users(call, notice),
  );
  post(
    '/api-keys/:id/revoke',
    'viewer',
    async (call) => {
      await backend.revokeApiKey(call, call.ctx.params['id']!);
      return { redirect: localHref('/users', { done: 'key-revoked' }) };
    },
    (call, notice) => users(call, notice),
  );
}
