/**
 * The operations console end to end on the real API gateway, in Debian's chromium driven by
 * playwright-core (no downloaded browser). The gateway runs in-process (createApiGatewayService)
 * over a real PostgreSQL (users, audit), a real redis-server on 127.0.0.97 (sessions, cache,
 * limits), Debian's Alertmanager (one alert POSTed to it, firing) and Prometheus (empty scrape
 * config: the health and query side), and recording fakes of the AI engine (one active anomaly
 * with its series) and of the executor (one pending live approval, Bearer APPROVAL_TOKEN).
 *
 * At 1280×800: / redirects to /login; the admin signs in with the keyboard; the overview shows the
 * firing alert and the anomaly with its chart (a 390×844 context sees the same overview with the
 * session's cookie: no horizontal scroll, the chart fits); on the self-healing page the admin
 * approves the pending action (the script's confirmation accepted) and sees it approved; the
 * executor got exactly one approve, with the token and {actor: 'admin', role: 'admin'}, and
 * gateway_audit holds `requested` (written before the executor was called) then `done 200` for
 * `approval <id>`; the admin logs out and / redirects to /login again. Every request the fakes got
 * was one they expected, with the token where it belongs. Screenshots go to test-artifacts/gateway/.
 *
 * Needs chromium, redis-server, PostgreSQL, prometheus and prometheus-alertmanager (Debian):
 * skipped with a warning locally when one is missing, a failure in CI (CI=true).
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningService } from '../../src/services/kit/run.js';
import { postgresPresent, PostgresCluster } from '../support/postgresql-server.js';
import { isExecutable, onPath, toolsPresent } from '../support/process.js';
import { ALERTMANAGER_BINARY, PROMETHEUS_BINARY, startAlertmanager, startPrometheus, type TestServer } from '../support/prom-servers.js';
import { startRecordingFake, type RecordingFake, type Received, type Reply } from '../support/recording-fake.js';
import { LocalRedis, waitForPong } from '../support/redis-servers.js';
import { until } from '../support/until.js';
import { startGatewayService } from '../support/gateway-service.js';

// The functions given to page.evaluate run in the browser; the project's lib has no DOM types (module-scoped here).
declare const document: any;
declare const window: any;

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = resolve(__dirname, '../../test-artifacts/gateway');
const SUITE = 'the console on the real gateway (browser)';
const present =
  toolsPresent(SUITE, isExecutable(CHROMIUM) ? [] : [CHROMIUM], 'Debian: apt-get install chromium') &&
  toolsPresent(SUITE, onPath('redis-server') ? [] : ['redis-server'], 'Debian: apt-get install redis-server') &&
  postgresPresent(SUITE) &&
  toolsPresent(SUITE, [PROMETHEUS_BINARY ? '' : 'prometheus', ALERTMANAGER_BINARY ? '' : 'prometheus-alertmanager'].filter(Boolean), 'Debian: apt-get install prometheus prometheus-alertmanager');

const REDIS_HOST = '127.0.0.97';
const REDIS_PASSWORD = 'browser "gateway" redis';
const PG_USER = 'gateway';
const PG_PASSWORD = 'browser gateway pg password';
const ADMIN_PASSWORD = 'the browser admin password';
/** What the gateway sends the executor, and what the executor fake accepts. */
const APPROVAL_TOKEN = 'approval-token-for-the-browser-test-0123456789';
const EXECUTOR_TOKEN = APPROVAL_TOKEN;

const ALERTNAME = 'CheckoutLatencyHigh';
const ANOMALY_ID = 'metrics:http-latency-p95{service="checkout"}';
const ANOMALY_SUMMARY = 'p95 latency of checkout left its usual range';
const APPROVAL_ID = 'b6f1c3d2-4e5a-4b7c-9d8e-0f1a2b3c4d5e';
const APPROVAL_SUMMARY = 'evict pod aiops-platform/checkout-7c9d8-xk2lp';
/** Points of the series: one a minute; the last SPIKE leave the band. */
const POINTS = 120;
const SPIKE = 5;

const VIEWPORTS = {
  desktop: { viewport: { width: 1280, height: 800 } },
  phone: { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 },
} as const;

/** The AI engine's answers (shapes of src/services/ai-engine/service.ts, series-view.ts pointJson). */
function aiEngineData(now: number) {
  const anomaly = {
    id: ANOMALY_ID,
    kind: 'AnomalyDetected',
    source: 'metrics',
    severity: 'critical',
    component: 'http',
    namespace: 'aiops-platform',
    action: 'none',
    labels: { service: 'checkout' },
    summary: ANOMALY_SUMMARY,
    startsAt: now - (SPIKE + 1) * 60_000,
    value: 0.998,
  };
  const points = Array.from({ length: POINTS }, (_, i) => {
    const t = now - (POINTS - 1 - i) * 60_000;
    const expected = 0.3 + 0.04 * Math.sin(i / 15);
    const scale = 0.02;
    const spike = i >= POINTS - SPIKE;
    return { t, value: spike ? 1.1 + 0.04 * (i - POINTS + SPIKE) : expected + 0.01 * Math.sin(i * 1.3), expected, lower: expected - 3 * scale, upper: expected + 3 * scale, score: spike ? 0.998 : 0.12 };
  });
  const listing = { id: 'http-latency-p95', source: 'metrics', description: 'HTTP p95 latency', kind: 'AnomalyDetected', unit: 's', labelSets: 1 };
  const { labelSets: _, ...head } = listing;
  const series = { ...head, query: 'histogram_quantile(0.95, sum by (le, service) (rate(http_request_duration_seconds_bucket[5m])))', stepSeconds: 60, labelSets: [{ labels: { service: 'checkout' }, points, anomaly }] };
  return { anomaly, series, listing };
}

/** The pending approval as the executor lists it (src/services/self-healing/approval-api.ts). */
function pendingApproval(now: number) {
  return {
    id: APPROVAL_ID,
    state: 'pending',
    rule: 'restart-crashlooping',
    action: 'restart-pod',
    target: { kind: 'Pod', namespace: 'aiops-platform', name: 'checkout-7c9d8-xk2lp' },
    summary: APPROVAL_SUMMARY,
    alert: { labels: { alertname: 'PodCrashLooping', severity: 'warning', pod: 'checkout-7c9d8-xk2lp', namespace: 'aiops-platform' }, startsAt: new Date(now - 6 * 60_000).toISOString(), fingerprint: '5e4d3c2b1a098f7e' },
    createdAt: new Date(now - 4 * 60_000).toISOString(),
    expiresAt: new Date(now + 26 * 60_000).toISOString(),
    dryRun: false,
  };
}

describe.skipIf(!present)(SUITE, { timeout: 60_000 }, () => {
  let cluster: PostgresCluster | undefined;
  const local = new LocalRedis();
  let prometheus: TestServer | undefined;
  let alertmanager: TestServer | undefined;
  let aiEngine: RecordingFake | undefined;
  let executor: RecordingFake | undefined;
  let gw: RunningService | undefined;
  let browser: Browser | undefined;
  const problems: string[] = [];
  const started = Date.now();
  const now = started;
  const approveCalls: Received[] = [];

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    const ai = aiEngineData(now);
    let approval: Record<string, unknown> = pendingApproval(now);
    [cluster, prometheus, alertmanager, aiEngine, executor, browser] = await Promise.all([
      PostgresCluster.forApplication('pg-gateway-browser-', PG_USER, PG_PASSWORD).then(async (c) => (await c.psql('postgres', `CREATE DATABASE gateway OWNER ${PG_USER}`), c)),
      startPrometheus({ config: 'global: {scrape_interval: 1s}\nscrape_configs: []\n', routePrefix: '/prometheus' }),
      startAlertmanager({ config: 'route: {receiver: "null"}\nreceivers: [{name: "null"}]\n' }),
      startRecordingFake('the AI engine', (r): Reply | undefined => {
        if (r.method !== 'GET') return undefined;
        if (r.url === '/api/v1/anomalies?active=true') return [200, { anomalies: [ai.anomaly] }];
        if (r.url === '/api/v1/series/http-latency-p95?limit=8') return [200, ai.series];
        if (r.url === '/api/v1/series') return [200, { series: [ai.listing] }];
        return undefined;
      }),
      startRecordingFake('the executor', (r, problem): Reply | undefined => {
        if (r.headers.authorization !== `Bearer ${EXECUTOR_TOKEN}`) {
          problem(`authorization ${JSON.stringify(r.headers.authorization)}, not the approval token`);
          return [401, { error: 'missing or wrong bearer token' }];
        }
        if (r.method === 'GET' && r.url === '/api/v1/actions?limit=50') return [200, { source: 'memory', actions: [] }];
        if (r.method === 'GET' && r.url === '/api/v1/approvals') return [200, { mode: 'approval', source: 'memory', approvals: [approval] }];
        if (r.method === 'POST' && r.url === `/api/v1/approvals/${APPROVAL_ID}/approve`) {
          approveCalls.push(r);
          if (!isDeepStrictEqual(JSON.parse(r.body), { actor: 'admin', role: 'admin' })) {
            problem(`body ${r.body}, not {"actor":"admin","role":"admin"}`);
            return [400, { error: 'unexpected body' }];
          }
          if (approval['state'] !== 'pending') return [409, { error: `approval ${APPROVAL_ID} is ${String(approval['state'])}`, approval }];
          const decidedAt = new Date().toISOString();
          const body = JSON.parse(r.body) as { actor: string; role: string };
          approval = { ...approval, state: 'approved', decidedAt, decidedBy: { actor: body.actor, role: body.role }, result: { outcome: 'acted', reason: 'evicted the pod' } };
          const decision = {
            id: 7,
            at: decidedAt,
            rule: 'restart-crashlooping',
            action: 'restart-pod',
            alertname: 'PodCrashLooping',
            fingerprint: '5e4d3c2b1a098f7e',
            target: { kind: 'Pod', namespace: 'aiops-platform', name: 'checkout-7c9d8-xk2lp' },
            outcome: 'acted',
            reason: 'evicted the pod',
            dryRun: false,
            approval: { id: APPROVAL_ID, actor: body.actor, role: body.role, decidedAt },
          };
          return [200, { approval, decision }];
        }
        return undefined;
      }),
      chromium.launch({
        executablePath: CHROMIUM,
        args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      }),
    ]);
    const redis = local.start(REDIS_HOST, 'redis-server', ['--bind', REDIS_HOST, '--port', '6379', '--requirepass', REDIS_PASSWORD, '--save', '', '--appendonly', 'no']);
    await waitForPong(redis, REDIS_PASSWORD);

    // The alert fires in the real Alertmanager before any page is drawn (the gateway caches reads).
    const posted = await fetch(`${alertmanager.url}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([{ labels: { alertname: ALERTNAME, severity: 'critical', service: 'checkout', namespace: 'aiops-platform' }, annotations: { summary: 'checkout answers slowly' }, startsAt: new Date(now - 3 * 60_000).toISOString() }]),
    });
    expect(posted.status).toBe(200);
    await until('the alert active in Alertmanager', async () => {
      const list = (await (await fetch(`${alertmanager!.url}/api/v2/alerts`)).json()) as { labels: { alertname: string }; status: { state: string } }[];
      return list.some((a) => a.labels.alertname === ALERTNAME && a.status.state === 'active') ? true : undefined;
    }, 10_000, 50);

    gw = await startGatewayService({
      cluster,
      db: 'gateway',
      pgUser: PG_USER,
      pgPassword: PG_PASSWORD,
      redisHost: REDIS_HOST,
      redisPassword: REDIS_PASSWORD,
      adminPassword: ADMIN_PASSWORD,
      env: { PROMETHEUS_URL: prometheus.url, ALERTMANAGER_URL: alertmanager.url, AI_ENGINE_URL: aiEngine.url, SELF_HEALING_URL: executor.url, APPROVAL_TOKEN },
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await gw?.shutdown('test');
    await Promise.all([prometheus?.stop(), alertmanager?.stop(), aiEngine?.close(), executor?.close(), local.stopAll()]);
    await cluster?.destroy();
    console.info(`${SUITE}: ${((Date.now() - started) / 1000).toFixed(1)} s with set-up; screenshots in ${ARTIFACTS}`);
  }, 60_000);

  const shot = (page: Page, name: string) => page.screenshot({ path: resolve(ARTIFACTS, `${name}.png`), fullPage: true });
  const watch = (page: Page, kind: string) => {
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`${kind} console: ${m.text()} (${m.location().url})`);
    });
    page.on('pageerror', (e) => problems.push(`${kind} page error: ${e.message}`));
  };
  /** Nothing wider than the window, and no section of the page saying a component did not answer. */
  const layout = (page: Page) =>
    page.evaluate(() => ({
      scrollWidth: document.documentElement.scrollWidth,
      innerWidth: window.innerWidth,
      failures: [...document.querySelectorAll('main .notice-error, main [role=alert]')].map((e: any) => e.textContent.trim()),
    }));
  const audit = async () =>
    JSON.parse(
      (await cluster!.psql(
        'gateway',
        `SELECT coalesce(json_agg(json_build_object('actor', actor, 'role', role, 'method', method, 'path', path, 'outcome', outcome, 'requestId', request_id, 'atMs', floor(extract(epoch FROM at) * 1000)::bigint) ORDER BY id), '[]') FROM gateway_audit WHERE target = 'approval ${APPROVAL_ID}'`,
      )) || '[]',
    ) as { actor: string; role: string; method: string; path: string; outcome: string; requestId: string; atMs: number }[];

  it('desktop: logs in with the keyboard, sees the firing alert and the anomaly, approves the pending action (audited), logs out', async () => {
    const base = `http://127.0.0.1:${gw!.port}`;
    const context = await browser!.newContext({ ...VIEWPORTS.desktop, baseURL: base, colorScheme: 'light' });
    context.setDefaultTimeout(8_000);
    const page = await context.newPage();
    watch(page, 'desktop');

    // Not signed in: the console sends the browser to the login page.
    await page.goto('/');
    expect(new URL(page.url()).pathname + new URL(page.url()).search).toBe('/login?next=%2F');
    await shot(page, 'desktop-login');

    // Keyboard only: the skip link, the username, the password, Enter.
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('username');
    await page.keyboard.type('admin');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('password');
    await page.keyboard.type(ADMIN_PASSWORD);
    await page.keyboard.press('Enter');
    await page.waitForURL((u) => u.pathname === '/' && u.search === '');
    const cookie = (await context.cookies()).find((c) => c.name === 'aiops_session');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/', secure: false });

    // The overview: the alert firing in Alertmanager, the AI engine's anomaly with its chart, the pending approval.
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Overview');
    const alerts = page.locator('section', { has: page.getByRole('heading', { name: 'Firing alerts' }) });
    expect(await alerts.getByText(ALERTNAME).isVisible()).toBe(true);
    expect(await alerts.locator('.stat').textContent()).toBe('1 firing');
    const anomalies = page.locator('section', { has: page.getByRole('heading', { name: 'Current anomalies' }) });
    expect(await anomalies.getByRole('heading', { name: ANOMALY_SUMMARY }).isVisible()).toBe(true);
    const chart = anomalies.getByRole('img', { name: /^HTTP p95 latency: service="checkout"/ });
    expect(await chart.evaluate((e: any) => e.tagName.toLowerCase())).toBe('svg');
    expect(await chart.isVisible()).toBe(true);
    expect(await chart.locator('circle.mark').count()).toBe(SPIKE);
    expect(await chart.locator('desc').textContent()).toContain(`${SPIKE} points lie outside the baseline band`);
    const components = page.locator('section', { has: page.getByRole('heading', { name: 'Components' }) });
    // Prometheus (empty scrape config) answered the health query: no job, and no failure shown.
    expect(await components.locator('.stat').textContent()).toBe('0 of 0 components healthy');
    // No section says a component failed (a refused token shows "…refused the gateway (401)…" here).
    const desk = await layout(page);
    expect(desk.failures).toEqual([]);
    expect(desk.scrollWidth).toBeLessThanOrEqual(desk.innerWidth);
    const pending = page.locator('section', { has: page.getByRole('heading', { name: 'Pending approvals' }) });
    expect(await pending.getByText(APPROVAL_SUMMARY).isVisible()).toBe(true);
    await shot(page, 'desktop-overview');

    // The same overview on a phone (390×844) with this session.
    const phone = await browser!.newContext({ ...VIEWPORTS.phone, baseURL: base, colorScheme: 'light' });
    phone.setDefaultTimeout(8_000);
    await phone.addCookies([{ name: cookie!.name, value: cookie!.value, url: base }]);
    const small = await phone.newPage();
    watch(small, 'phone');
    await small.goto('/');
    expect(new URL(small.url()).pathname).toBe('/');
    expect(await small.getByText(ALERTNAME).first().isVisible()).toBe(true);
    const smallChart = small.getByRole('img', { name: /^HTTP p95 latency: service="checkout"/ });
    await smallChart.scrollIntoViewIfNeeded();
    const box = (await smallChart.boundingBox())!;
    expect(box.width).toBeGreaterThan(250);
    expect(box.x + box.width).toBeLessThanOrEqual(VIEWPORTS.phone.viewport.width);
    const onPhone = await layout(small);
    expect(onPhone.failures).toEqual([]);
    expect(onPhone.scrollWidth).toBeLessThanOrEqual(onPhone.innerWidth);
    await shot(small, 'phone-overview');
    await phone.close();

    // Self-healing: approve the pending live action; the script asks first.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Self-healing', exact: true }).click();
    await page.waitForURL((u) => u.pathname === '/self-healing');
    const approve = page.getByRole('button', { name: `Approve: ${APPROVAL_SUMMARY}` });
    expect(await approve.isVisible()).toBe(true);
    await shot(page, 'desktop-self-healing-pending');
    const dialogs: string[] = [];
    page.once('dialog', (d) => (dialogs.push(d.message()), void d.accept()));
    const auditBefore = await audit();
    expect(auditBefore).toEqual([]);
    await approve.click();
    // Approved: 303 to ?done=approved; refused: the page at the form's URL with the reason (shown in the failure).
    await page.waitForURL((u) => u.search === '?done=approved' || u.pathname.endsWith('/approve'));
    const after = await layout(page);
    expect({ at: new URL(page.url()).pathname + new URL(page.url()).search, failures: after.failures }).toEqual({ at: '/self-healing?done=approved', failures: [] });
    expect(dialogs).toEqual([`Approve: ${APPROVAL_SUMMARY}?`]);
    expect(await page.getByRole('status').first().textContent()).toContain('Approved.');
    expect(await page.getByRole('button', { name: `Approve: ${APPROVAL_SUMMARY}` }).count()).toBe(0);
    const pendingSection = page.locator('section', { has: page.getByRole('heading', { name: 'Pending approvals' }) });
    expect(await pendingSection.textContent()).toContain('No action is waiting for approval.');
    const decided = page.locator('section', { has: page.getByRole('heading', { name: 'Decided approvals' }) });
    const row = decided.getByRole('row', { name: new RegExp(APPROVAL_SUMMARY) });
    expect(await row.locator('.badge').first().textContent()).toBe('approved');
    expect(await row.textContent()).toContain('admin (admin)');
    await shot(page, 'desktop-self-healing-approved');

    // The executor got exactly one approve: the gateway's token, the caller as actor and role, nothing else.
    expect(approveCalls).toHaveLength(1);
    const sent = approveCalls[0]!;
    expect(sent.headers.authorization).toBe(`Bearer ${APPROVAL_TOKEN}`);
    expect(sent.headers['content-type']).toBe('application/json');
    expect(JSON.parse(sent.body)).toEqual({ actor: 'admin', role: 'admin' });
    // The audit: requested (before the executor had the call), then done 200, one request.
    const rows = await audit();
    expect(rows.map(({ actor, role, method, path, outcome }) => ({ actor, role, method, path, outcome }))).toEqual([
      { actor: 'admin', role: 'admin', method: 'POST', path: `/api/v1/approvals/${APPROVAL_ID}/approve`, outcome: 'requested' },
      { actor: 'admin', role: 'admin', method: 'POST', path: `/api/v1/approvals/${APPROVAL_ID}/approve`, outcome: 'done 200' },
    ]);
    expect(rows[0]!.requestId).toBe(rows[1]!.requestId);
    expect(rows[0]!.atMs).toBeLessThanOrEqual(sent.at);
    expect(rows[1]!.atMs).toBeGreaterThanOrEqual(sent.at);

    // Log out: the login page says so, and the console asks for a login again.
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.waitForURL((u) => u.pathname === '/login');
    expect(await page.getByRole('status').textContent()).toBe('You are logged out.');
    await shot(page, 'desktop-logged-out');
    await page.goto('/');
    expect(new URL(page.url()).pathname + new URL(page.url()).search).toBe('/login?next=%2F');
    // The old cookie is dead on the server too (revoked in Redis, not only cleared in the browser).
    const replay = await fetch(`${base}/`, { headers: { cookie: `aiops_session=${cookie!.value}` }, redirect: 'manual' });
    expect(replay.status).toBe(303);
    await context.close();

    // Every request of the fakes was expected; the engine's were reads of the anomaly and its series.
    expect([...aiEngine!.problems, ...executor!.problems]).toEqual([]);
    expect(new Set(aiEngine!.received.map((r) => r.url))).toEqual(new Set(['/api/v1/anomalies?active=true', '/api/v1/series/http-latency-p95?limit=8']));
    expect(executor!.received.filter((r) => r.method === 'POST')).toHaveLength(1);
    expect(problems).toEqual([]);
  });
});
