/**
 * The console's pages over HTTP (registerConsole on the kit's server, the fake backend on
 * 127.0.0.1): the security headers of every answer, the login (no user enumeration, lock-out,
 * same-origin `next` only), every page with hostile values escaped, what each role is shown,
 * the CSRF token in every form and the refusals without it or from another site, the actions
 * (approve, reject, users, API keys with the secret shown once), a failing component failing
 * one section only, and the assets.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOG_ERROR_SERIES, QUERY_SERIES, seriesIdOf } from '../../../src/services/api-gateway/console/anomaly-series.js';
import { CONSOLE_ASSETS } from '../../../src/services/api-gateway/console/assets.js';
import { CONSOLE_SECURITY_HEADERS } from '../../../src/services/api-gateway/console/register.js';
import { LOG_ERROR_SERIES_ID } from '../../../src/services/ai-engine/sources/elasticsearch.js';
import { QUERY_SERIES_ID } from '../../../src/services/ai-engine/sources/query-stats.js';
import type { RunningService } from '../../../src/services/kit/run.js';
import { seriesBody, SERIES_PAGE_SETS } from '../../../src/services/api-gateway/console/pages/anomalies.js';
import { createFakeBackend, HOSTILE, latencyPoints, NOW, PASSWORD, startConsole, type FakeBackend } from './console-fake.js';

const PAGES = ['/', '/alerts', '/anomalies', '/anomalies/series/http-latency-p95', '/self-healing', '/users'] as const;

interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
}

/** Requests without keep-alive (the service's shutdown does not wait for idle sockets), redirects not followed. */
function client(url: string) {
  return (path: string, o: { cookie?: string; form?: Record<string, string>; headers?: Record<string, string>; method?: string } = {}): Promise<Answer> =>
    new Promise((resolve, reject) => {
      const body = o.form ? new URLSearchParams(o.form).toString() : undefined;
      const req = request(url + path, {
        method: o.method ?? (o.form ? 'POST' : 'GET'),
        agent: false,
        headers: { ...(o.cookie ? { cookie: o.cookie } : {}), ...(body !== undefined ? { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) } : {}), ...o.headers },
      });
      req.on('error', reject);
      req.on('response', (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => {
          const headers = new Headers();
          for (const [name, value] of Object.entries(res.headers)) if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
          resolve({ status: res.statusCode!, headers, text });
        });
      });
      req.end(body);
    });
}

/** The forms of a page: action, method and their fields (name → value). */
function formsOf(page: string): { action: string; fields: Map<string, string> }[] {
  return [...page.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/g)].map((m) => ({
    action: /action="([^"]*)"/.exec(m[1]!)?.[1] ?? '',
    fields: new Map([...m[2]!.matchAll(/<(?:input|select)\b[^>]*\bname="([^"]*)"(?:[^>]*\bvalue="([^"]*)")?/g)].map((f) => [f[1]!, f[2] ?? ''])),
  }));
}

/** The decision forms' ids and verbs: `approve <id>`. */
const decisionsOf = (page: string) => [...page.matchAll(/action="\/self-healing\/approvals\/([^/"]+)\/(approve|reject)"/g)].map((m) => `${m[2]} ${m[1]}`).sort();

const LIVE = '3f6c1a52-9a1e-4c1b-8f5e-2b7d7c0e9a11';
const DRY = '8a0b4c2d-1e3f-4a5b-9c6d-7e8f9a0b1c2d';

describe('the console over HTTP', () => {
  let fake: FakeBackend;
  let service: RunningService;
  let get: ReturnType<typeof client>;

  beforeAll(async () => {
    fake = createFakeBackend({ hostile: true });
    const started = await startConsole(fake);
    service = started.service;
    get = client(started.url);
  });
  afterAll(async () => {
    await service?.shutdown('test');
  });

  it('sends every page, redirect, refusal and asset with the CSP and the other security headers', async () => {
    const admin = fake.signIn('admin');
    const answers = [
      ...(await Promise.all(PAGES.map((p) => get(p, { cookie: admin.cookie })))),
      await get('/'),
      await get('/login'),
      await get('/logout', { form: {}, cookie: admin.cookie }),
      await get(CONSOLE_ASSETS.css.href),
      await get(CONSOLE_ASSETS.js.href),
    ];
    for (const a of answers) {
      for (const [name, value] of Object.entries(CONSOLE_SECURITY_HEADERS)) expect(a.headers.get(name), name).toBe(value);
    }
    const csp = CONSOLE_SECURITY_HEADERS['content-security-policy']!;
    expect(csp).toMatch(/^default-src 'self';/);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
    expect(answers[0]!.headers.get('cache-control')).toBe('no-store');
    expect(answers[0]!.headers.get('content-type')).toBe('text/html; charset=utf-8');
  });

  it('sends a visitor without a session to the login page, keeping where they were going', async () => {
    for (const path of [...PAGES, '/alerts?x=1']) {
      const a = await get(path);
      expect(a.status, path).toBe(303);
      expect(a.headers.get('location'), path).toBe(`/login?next=${encodeURIComponent(path)}`);
    }
    const refused = await get('/self-healing/approvals/x/approve', { form: { _csrf: 'x' } });
    expect(refused.status).toBe(303);
    expect(refused.headers.get('location')).toBe('/login');
    expect(fake.calls).toEqual([]);
  });

  it('logs in to a same-origin next only, and says the same for an unknown user and a wrong password', async () => {
    const unknown = await get('/login', { form: { username: 'nobody', password: 'wrong password!', next: '/alerts' } });
    const wrong = await get('/login', { form: { username: 'victor', password: 'wrong password!', next: '/alerts' } });
    expect(unknown.status).toBe(401);
    expect(wrong.status).toBe(401);
    const message = (t: string) => /<div class="notice notice-error" role="alert" id="login-error"><strong>([^<]*)<\/strong>/.exec(t)?.[1];
    expect(message(unknown.text)).toBe('Wrong username or password.');
    expect(message(wrong.text)).toBe(message(unknown.text));
    expect(unknown.text.replace('nobody', 'victor')).toBe(wrong.text);
    expect(wrong.text).toContain('value="victor"');
    expect(wrong.text).toContain('aria-invalid="true" aria-describedby="login-error"');
    expect(wrong.text).not.toContain('wrong password!');

    const ok = await get('/login', { form: { username: 'victor', password: PASSWORD, next: '/alerts?state=firing' } });
    expect(ok.status).toBe(303);
    expect(ok.headers.get('location')).toBe('/alerts?state=firing');
    expect(ok.headers.get('set-cookie')).toMatch(/^aiops_session=[\w-]{43}; Path=\/; HttpOnly; SameSite=Lax; Max-Age=28800$/);
    const cookie = ok.headers.get('set-cookie')!.split(';')[0]!;
    expect((await get('/alerts', { cookie })).status).toBe(200);
    // A signed-in visitor of /login goes on to next.
    expect((await get('/login?next=%2Fanomalies', { cookie })).headers.get('location')).toBe('/anomalies');

    for (const next of ['//evil.example/x', '/\\evil.example', 'https://evil.example/', 'javascript:alert(1)', '/a\u0007b', `/${'a'.repeat(3000)}`, '/grafana/d/abc?orgId=1#panel']) {
      const a = await get('/login', { form: { username: 'victor', password: PASSWORD, next } });
      expect(a.headers.get('location'), next).toBe(next.startsWith('/grafana/') ? next : '/');
    }
    // A field left empty; the error words of the gateway's own form login (/api/v1/auth/login) shown as fixed messages.
    expect((await get('/login', { form: { username: 'victor', password: '', next: '/' } })).text).toContain('Give a username and a password.');
    expect((await get('/login?error=locked&next=%2F')).text).toContain('Too many failed attempts. Try again later.');
    expect((await get('/login?error=%3Cb%3Ehi&next=%2F')).text).not.toMatch(/role="alert"|&lt;b&gt;/);
  });

  it('locks out after repeated failures with 429 and Retry-After, and refuses a login form from another site', async () => {
    for (let i = 0; i < 5; i += 1) await get('/login', { form: { username: 'olivia', password: 'not the password', next: '/' } });
    const locked = await get('/login', { form: { username: 'olivia', password: PASSWORD, next: '/' } });
    expect(locked.status).toBe(429);
    expect(locked.headers.get('retry-after')).toBe('900');
    expect(locked.text).toContain('Too many failed attempts. Try again in 15 min.');
    const crossSite = await get('/login', { form: { username: 'victor', password: PASSWORD, next: '/' }, headers: { origin: 'https://evil.example' } });
    expect(crossSite.status).toBe(403);
    expect(crossSite.headers.get('set-cookie')).toBeNull();
    expect(crossSite.text).toContain('The form could not be accepted.');
  });

  it('renders the login form with a label for every field, the next path and no navigation', async () => {
    const page = (await get('/login?next=%2Fself-healing')).text;
    expect(page).toContain('<label for="username">Username</label>');
    expect(page).toContain('<label for="password">Password</label>');
    expect(page).toMatch(/<input id="username" name="username" type="text" autocomplete="username"/);
    expect(page).toMatch(/<input id="password" name="password" type="password" autocomplete="current-password"/);
    expect(page).toContain('<input type="hidden" name="next" value="/self-healing">');
    expect(page).not.toContain('aria-label="Main"');
    expect(page).toContain('<a class="skip-link" href="#main">Skip to content</a>');
  });

  it('escapes every hostile value on every page: no tag or attribute of the data reaches the HTML', async () => {
    const admin = fake.signIn('admin');
    fake.signIn(`mallory ${HOSTILE}`);
    for (const path of PAGES) {
      const page = (await get(path, { cookie: admin.cookie })).text;
      expect(page, path).toContain('&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&gt;&lt;img src=x onerror=alert(2)&gt;&amp;amp;\ufffd');
      expect(page, path).not.toContain('<script>alert');
      expect(page, path).not.toContain('<img');
      // No event-handler attribute in any tag (quoted attribute values, escaped, may mention one).
      expect(page.replace(/"[^"]*"/g, '""'), path).not.toMatch(/<[a-z][^<>]*\son[a-z]+=/i);
      expect(page, path).not.toContain('\u0000');
      // The only script is the console's own file.
      expect(page.match(/<script\b[^>]*>/g), path).toEqual([`<script src="${CONSOLE_ASSETS.js.href}" defer>`]);
      // Headings in order: one h1, no level skipped.
      const levels = [...page.matchAll(/<h([1-6])\b/g)].map((m) => Number(m[1]));
      expect(levels.filter((l) => l === 1), path).toHaveLength(1);
      levels.forEach((l, i) => i > 0 && expect(l - levels[i - 1]!, `${path}: h${levels[i - 1]} → h${l}`).toBeLessThanOrEqual(1));
      // Unique ids; every visible control has a label.
      const ids = [...page.matchAll(/\sid="([^"]*)"/g)].map((m) => m[1]!);
      expect(new Set(ids).size, path).toBe(ids.length);
      for (const control of page.matchAll(/<(input|select|textarea)\b(?![^>]*type="hidden")[^>]*>/g)) {
        const id = /\sid="([^"]*)"/.exec(control[0])?.[1];
        expect(id, control[0]).toBeDefined();
        expect(page, control[0]).toContain(`for="${id}"`);
      }
    }
  });

  it('shows the overview: health, the firing alert, the anomaly with its chart, pending approvals, the tools', async () => {
    const page = (await get('/', { cookie: fake.signIn('victor').cookie })).text;
    expect(page).toMatch(/<strong>2<\/strong> of 4 components healthy/);
    expect(page).toMatch(/<span class="badge state-bad"><span aria-hidden="true">✕<\/span> down<\/span>/);
    expect(page).toMatch(/<strong>1<\/strong> firing/);
    expect(page).toContain('<strong>HighErrorRate</strong>');
    expect(page).not.toContain('PodCrashLooping</strong>'); // silenced: on /alerts only
    expect(page).toMatch(/<strong>1<\/strong> active/);
    expect(page).toMatch(/<svg class="chart" viewBox="0 0 360 120" role="img" aria-labelledby="anomaly-0-title anomaly-0-desc"/);
    expect(page).toContain('href="/anomalies/series/http-latency-p95"');
    for (const tool of ['/grafana/', '/kibana/', '/prometheus/', '/alertmanager/']) expect(page).toContain(`href="${tool}"`);
    expect(page).toContain('data-refresh="30"');
  });

  it('shows each role only the decisions it may take: admin approves and rejects, operator approves dry runs and rejects, viewer neither', async () => {
    const pages = async (who: string) => Promise.all(['/', '/self-healing'].map(async (p) => (await get(p, { cookie: fake.signIn(who).cookie })).text));
    for (const page of await pages('admin')) expect(decisionsOf(page)).toEqual([`approve ${LIVE}`, `approve ${DRY}`, `reject ${LIVE}`, `reject ${DRY}`]);
    for (const page of await pages('olivia')) {
      expect(decisionsOf(page)).toEqual([`approve ${DRY}`, `reject ${LIVE}`, `reject ${DRY}`]);
      expect(page).toContain('A live action: an admin approves it.');
    }
    for (const page of await pages('victor')) {
      expect(decisionsOf(page)).toEqual([]);
      expect(page).toContain('An operator or admin decides.');
    }
  });

  it('shows users to admins only; API keys to everyone, with roles up to their own', async () => {
    const admin = (await get('/users', { cookie: fake.signIn('admin').cookie })).text;
    expect(admin).toContain('<h1>Users and API keys</h1>');
    expect(admin).toContain('action="/users"');
    expect(admin).toContain('action="/users/olivia"');
    expect(admin).not.toContain('action="/users/admin"'); // not their own account
    expect(admin).toMatch(/<select id="key-role" name="role"><option value="viewer" selected>viewer<\/option><option value="operator">operator<\/option><option value="admin">admin<\/option><\/select>/);
    const viewer = (await get('/users', { cookie: fake.signIn('victor').cookie })).text;
    expect(viewer).toContain('<h1>API keys</h1>');
    expect(viewer).not.toMatch(/action="\/users/);
    expect(viewer).not.toContain('olivia');
    expect(viewer).toMatch(/<select id="key-role" name="role"><option value="viewer" selected>viewer<\/option><\/select>/);
    expect(viewer).toContain('>API keys</a></li>');
  });

  it("puts the session's CSRF token into every form but the login form", async () => {
    for (const who of ['admin', 'olivia', 'victor']) {
      const session = fake.signIn(who);
      for (const path of PAGES) {
        const forms = formsOf((await get(path, { cookie: session.cookie })).text);
        expect(forms.length, path).toBeGreaterThan(0);
        for (const f of forms) expect(f.fields.get('_csrf'), `${who} ${path} ${f.action}`).toBe(session.principal.csrf);
      }
    }
  });

  it('refuses a form without the token, with a wrong one, from another site, or below the role, and calls nothing', async () => {
    const admin = fake.signIn('admin');
    const viewer = fake.signIn('victor');
    const before = fake.calls.length;
    const cases: [string, { cookie: string; form: Record<string, string>; headers?: Record<string, string> }, number, RegExp][] = [
      [`/self-healing/approvals/${LIVE}/approve`, { cookie: admin.cookie, form: { back: '/' } }, 403, /The form has expired/],
      [`/self-healing/approvals/${LIVE}/approve`, { cookie: admin.cookie, form: { _csrf: `${admin.principal.csrf}x` } }, 403, /The form has expired/],
      [`/self-healing/approvals/${LIVE}/approve`, { cookie: admin.cookie, form: { _csrf: viewer.principal.csrf } }, 403, /The form has expired/],
      [`/self-healing/approvals/${LIVE}/approve`, { cookie: admin.cookie, form: { _csrf: admin.principal.csrf }, headers: { 'sec-fetch-site': 'cross-site' } }, 403, /from another site/],
      [`/self-healing/approvals/${LIVE}/reject`, { cookie: admin.cookie, form: { _csrf: admin.principal.csrf }, headers: { origin: 'http://evil.example' } }, 403, /from another site/],
      [`/self-healing/approvals/${LIVE}/reject`, { cookie: viewer.cookie, form: { _csrf: viewer.principal.csrf } }, 403, /needs the operator role; you are viewer/],
      ['/users', { cookie: viewer.cookie, form: { _csrf: viewer.principal.csrf, username: 'eve', password: PASSWORD, role: 'admin' } }, 403, /needs the admin role/],
      ['/users/victor', { cookie: fake.signIn('olivia').cookie, form: { _csrf: fake.signIn('olivia').principal.csrf, role: 'admin' } }, 403, /The form has expired|needs the admin role/],
      ['/logout', { cookie: admin.cookie, form: {} }, 403, /The form has expired/],
    ];
    for (const [path, o, status, message] of cases) {
      const a = await get(path, o);
      expect(a.status, path).toBe(status);
      expect(a.text, path).toMatch(message);
    }
    const json = await get(`/self-healing/approvals/${LIVE}/approve`, { cookie: admin.cookie, headers: { 'content-type': 'application/json' }, method: 'POST' });
    expect(json.status).toBe(415);
    expect(fake.calls.length).toBe(before);
    expect(fake.sessions.size).toBeGreaterThan(0);
  });

  it('approves and rejects through POST forms, back to the page they came from with a fixed message', async () => {
    const f = createFakeBackend();
    const { service: s, url } = await startConsole(f);
    try {
      const call = client(url);
      const operator = f.signIn('olivia');
      const refused = await call(`/self-healing/approvals/${LIVE}/approve`, { cookie: operator.cookie, form: { _csrf: operator.principal.csrf, back: '/self-healing' } });
      expect(refused.status).toBe(403);
      expect(refused.text).toContain('<div class="notice notice-error" role="alert"><strong>approving a live action needs the admin role</strong>');
      expect(refused.text).toContain('<h1>Self-healing</h1>');

      const admin = f.signIn('admin');
      const approved = await call(`/self-healing/approvals/${LIVE}/approve`, { cookie: admin.cookie, form: { _csrf: admin.principal.csrf, back: '/' } });
      expect(approved.status).toBe(303);
      expect(approved.headers.get('location')).toBe('/?done=approved');
      expect(f.calls.at(-1)).toEqual({ method: 'approve', actor: 'admin', args: [LIVE, undefined] });
      const after = (await call('/?done=approved', { cookie: admin.cookie })).text;
      expect(after).toContain('<div class="notice notice-ok" role="status"><strong>Approved. The executor checks the alert and its guardrails again, then acts.</strong>');
      expect(decisionsOf(after)).toEqual([`approve ${DRY}`, `reject ${DRY}`]);

      const rejected = await call(`/self-healing/approvals/${DRY}/reject`, { cookie: operator.cookie, form: { _csrf: operator.principal.csrf, back: 'https://evil.example/' } });
      expect(rejected.headers.get('location')).toBe('/self-healing?done=rejected');
      const page = (await call('/self-healing', { cookie: operator.cookie })).text;
      expect(page).toContain('No action is waiting for approval.');
      expect(page).toMatch(/<span class="badge state-bad">rejected<\/span>[\s\S]*olivia \(operator\)/);
      expect((await call('/self-healing?done=%3Cscript%3E', { cookie: operator.cookie })).text).not.toContain('notice-ok');
    } finally {
      await s.shutdown('test');
    }
  });

  it('creates, changes and disables users; creates an API key whose secret is shown once; revokes it', async () => {
    const f = createFakeBackend();
    const { service: s, url } = await startConsole(f);
    try {
      const call = client(url);
      const admin = f.signIn('admin');
      const form = (fields: Record<string, string>) => ({ cookie: admin.cookie, form: { _csrf: admin.principal.csrf, ...fields } });
      const short = await call('/users', form({ username: 'nora', password: 'short', role: 'operator' }));
      expect(short.status).toBe(400);
      expect(short.text).toContain('password: at least 12 characters');
      expect(short.text).toContain('value="nora"');
      expect(short.text).toMatch(/<option value="operator" selected>operator<\/option>/);
      expect(short.text).not.toContain('value="short"');
      const created = await call('/users', form({ username: 'nora', password: PASSWORD, role: 'operator' }));
      expect(created.headers.get('location')).toBe('/users?done=user-created');
      expect((await call('/users/nora', form({ role: 'admin' }))).headers.get('location')).toBe('/users?done=user-updated');
      expect((await call('/users/nora', form({ disabled: 'true' }))).status).toBe(303);
      expect(f.users.get('nora')).toMatchObject({ role: 'admin', disabled: true });
      expect((await call('/users/nora', form({ role: 'root' }))).text).toContain('Choose a role.');
      expect((await call('/users/nora', form({ role: 'viewer', disabled: 'false' }))).text).toContain('one at a time');

      const viewer = f.signIn('victor');
      const keyForm = (fields: Record<string, string>) => ({ cookie: viewer.cookie, form: { _csrf: viewer.principal.csrf, ...fields } });
      expect((await call('/api-keys', keyForm({ name: 'ci', role: 'admin', expiresInDays: '30' }))).text).toContain('Choose a role up to your own.');
      expect((await call('/api-keys', keyForm({ name: 'ci', role: 'viewer', expiresInDays: '3' }))).text).toContain('Choose when the key expires.');
      const key = await call('/api-keys', keyForm({ name: 'ci <bot>', role: 'viewer', expiresInDays: '30' }));
      expect(key.status).toBe(200);
      expect(key.headers.get('cache-control')).toBe('no-store');
      const secret = /<code class="secret" id="new-secret">(aiops_[0-9a-f]{12}_[\w-]+)<\/code>/.exec(key.text)?.[1];
      expect(secret).toBeDefined();
      expect(key.text).toContain('API key &quot;ci &lt;bot&gt;&quot; created.');
      const later = (await call('/users', { cookie: viewer.cookie })).text;
      expect(later).toContain('ci &lt;bot&gt;');
      expect(later).not.toContain(secret!);
      const id = /action="\/api-keys\/([0-9a-f]{12})\/revoke"/.exec(later)![1]!;
      expect((await call(`/api-keys/${id}/revoke`, keyForm({}))).headers.get('location')).toBe('/users?done=key-revoked');
      expect((await call('/users', { cookie: viewer.cookie })).text).toContain('<span class="badge state-bad">revoked</span>');
      expect(f.calls.map((c) => c.method)).toEqual(['createUser', 'updateUser', 'updateUser', 'createApiKey', 'revokeApiKey']);
    } finally {
      await s.shutdown('test');
    }
  });

  it('logs out with the token: the session ends and the cookie is cleared', async () => {
    const session = fake.signIn('victor');
    const out = await get('/logout', { cookie: session.cookie, form: { _csrf: session.principal.csrf } });
    expect(out.status).toBe(303);
    expect(out.headers.get('location')).toBe('/login?done=logged-out');
    expect(out.headers.get('set-cookie')).toMatch(/^aiops_session=; Path=\/; HttpOnly; SameSite=Lax; Max-Age=0$/);
    expect((await get('/', { cookie: session.cookie })).status).toBe(303);
    expect((await get('/login?done=logged-out')).text).toContain('<div class="notice notice-ok" role="status"><strong>You are logged out.</strong>');
  });

  it('shows a series page per label set, and 404 for an unknown or malformed series id (the backend not asked)', async () => {
    const cookie = fake.signIn('victor').cookie;
    const page = (await get('/anomalies/series/http-latency-p95', { cookie })).text;
    expect(page.match(/<svg class="chart" viewBox="0 0 720 240"/g)).toHaveLength(2);
    expect(page.match(/<details class="chart-data">/g)).toHaveLength(2);
    expect(page).toContain('<dt>Query</dt><dd><code>histogram_quantile(0.95');
    expect((await get('/anomalies/series/nope', { cookie })).status).toBe(404);
    for (const bad of ['..%2F..%2Fetc', 'UPPER', '-x', `${'a'.repeat(64)}`]) expect((await get(`/anomalies/series/${bad}`, { cookie })).status, bad).toBe(404);
  });

  it('draws at most SERIES_PAGE_SETS label sets of a series and says how many more there are', () => {
    const many = { ...fake.series, labelSets: Array.from({ length: SERIES_PAGE_SETS + 3 }, (_, i) => ({ labels: { service: `s${i}` }, points: latencyPoints() })) };
    const page = seriesBody({ principal: fake.signIn('victor').principal, now: NOW, tools: [] }, many).text;
    expect(page.match(/<svg class="chart"/g)).toHaveLength(SERIES_PAGE_SETS);
    expect(page).toContain('3 more label sets are not drawn here (those with open anomalies come first).');
  });

  it('maps anomalies to the series that draw them (the ids are the AI engine’s)', () => {
    expect(LOG_ERROR_SERIES).toBe(LOG_ERROR_SERIES_ID);
    expect(QUERY_SERIES).toBe(QUERY_SERIES_ID);
    expect(seriesIdOf({ id: 'metrics:http-latency-p95{service="web"}' })).toBe('http-latency-p95');
    expect(seriesIdOf({ id: 'metrics:disk-usage{instance="n1"}:level-shift@1700000000000' })).toBe('disk-usage');
    expect(seriesIdOf({ id: 'logs:errors:aiops/web' })).toBe(LOG_ERROR_SERIES_ID);
    expect(seriesIdOf({ id: 'queries:123456' })).toBe(QUERY_SERIES_ID);
    expect(seriesIdOf({ id: 'logs:pattern:abc' })).toBeUndefined();
    expect(seriesIdOf({ id: 'metrics:../x{' })).toBeUndefined();
  });

  it('serves the stylesheet and the script from the bundle, cacheable, at the URLs the pages link', async () => {
    const css = await get(CONSOLE_ASSETS.css.href);
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect(css.headers.get('cache-control')).toBe('public, max-age=86400');
    expect(css.text).toContain(':focus-visible');
    const js = await get(CONSOLE_ASSETS.js.href);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(js.text).toMatch(/^'use strict';/);
    expect(CONSOLE_ASSETS.css.href).toMatch(/^\/console\/assets\/console\.css\?v=[0-9a-f]{12}$/);
  });
});

describe('a component that does not answer', () => {
  it('answers 503 pages (never the internal error) when the session store is down', async () => {
    const f = createFakeBackend({ down: ['sessions'] });
    const { service, url } = await startConsole(f);
    try {
      const call = client(url);
      for (const [path, o] of [['/', {}], ['/login', {}], ['/logout', { form: {} }], ['/users', { form: {} }]] as const) {
        const a = await call(path, { cookie: 'aiops_session=x', ...o });
        expect(a.status, path).toBe(503);
        expect(a.headers.get('content-type'), path).toBe('text/html; charset=utf-8');
        expect(a.text, path).toContain('Sessions cannot be checked right now.');
        expect(a.text, path).not.toContain('ECONNREFUSED');
      }
      const login = await call('/login', { form: { username: 'victor', password: PASSWORD, next: '/' } });
      expect(login.status).toBe(503);
      expect(login.text).toContain('Logging in is not possible right now.');
      expect(login.text).not.toContain('ECONNREFUSED');
    } finally {
      await service.shutdown('test');
    }
  });

  it('fails its own section with its message, the rest of the page is shown', async () => {
    const f = createFakeBackend({ down: ['alerts', 'series'] });
    const { service, url } = await startConsole(f);
    try {
      const page = await client(url)('/', { cookie: f.signIn('victor').cookie });
      expect(page.status).toBe(200);
      expect(page.text).toContain('<strong>Alerts could not be loaded.</strong> alerts: the component did not answer');
      expect(page.text).toMatch(/<strong>2<\/strong> of 4 components healthy/);
      expect(page.text).toContain('No series to draw.');
      const series = await client(url)('/anomalies/series/http-latency-p95', { cookie: f.signIn('victor').cookie });
      expect(series.status).toBe(502);
      expect(series.text).toContain('series: the component did not answer');
    } finally {
      await service.shutdown('test');
    }
  });
});
