/**
 * The platform API through the API gateway on real servers: Debian's Prometheus and Alertmanager
 * behind it, a real redis-server on 127.0.0.96 (sessions, cache, limits) and a real PostgreSQL
 * (users, audit). A signed-in admin reads an alert that fires in Alertmanager, silences it (the
 * silence exists in Alertmanager, created by the admin; two audit rows, the first written before
 * Alertmanager had the silence), runs instant and range queries (Prometheus' own 400 passes
 * through; the gateway's range limits answer before Prometheus is asked); a viewer reads but may
 * not silence; nobody reads without a session; the OpenAPI document is served to signed-in users,
 * is valid OpenAPI 3.1 and lists exactly the gateway's routes under /api.
 *
 * Needs redis-server, PostgreSQL, prometheus and prometheus-alertmanager (Debian); skipped with a
 * warning locally when missing, fails in CI.
 */
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningService } from '../../src/services/kit/run.js';
import { request, type Answer } from '../services/kit/http.js';
import { postgresPresent, PostgresCluster } from '../support/postgresql-server.js';
import { onPath, toolsPresent } from '../support/process.js';
import { ALERTMANAGER_BINARY, PROMETHEUS_BINARY, startAlertmanager, startPrometheus, type TestServer } from '../support/prom-servers.js';
import { LocalRedis, waitForPong } from '../support/redis-servers.js';
import { routesUnder } from '../support/server-routes.js';
import { until } from '../support/until.js';
import { startGatewayService } from '../support/gateway-service.js';

const haveServers =
  toolsPresent('the gateway platform API tests', ['redis-server'].filter((b) => !onPath(b)), 'Debian: apt-get install redis-server') &&
  postgresPresent('the gateway platform API tests') &&
  toolsPresent('the gateway platform API tests', [PROMETHEUS_BINARY ? '' : 'prometheus', ALERTMANAGER_BINARY ? '' : 'prometheus-alertmanager'].filter(Boolean), 'Debian: apt-get install prometheus prometheus-alertmanager');

const REDIS_HOST = '127.0.0.96';
const REDIS_PASSWORD = 'platform "api" redis';
const PG_USER = 'gateway';
const PG_PASSWORD = 'platform api pg password';
const ADMIN_PASSWORD = 'the first admin password';

describe.runIf(haveServers)('the platform API through the gateway (real Prometheus, Alertmanager, Redis, PostgreSQL)', { timeout: 60_000 }, () => {
  let cluster: PostgresCluster;
  const local = new LocalRedis();
  let prometheus: TestServer;
  let alertmanager: TestServer;
  let gw: RunningService;

  beforeAll(async () => {
    cluster = await PostgresCluster.forApplication('pg-gateway-platform-', PG_USER, PG_PASSWORD);
    await cluster.psql('postgres', `CREATE DATABASE gateway OWNER ${PG_USER}`);
    const server = local.start(REDIS_HOST, 'redis-server', ['--bind', REDIS_HOST, '--port', '6379', '--requirepass', REDIS_PASSWORD, '--save', '', '--appendonly', 'no']);
    await waitForPong(server, REDIS_PASSWORD);
    prometheus = await startPrometheus({ config: 'global: {scrape_interval: 1s}\nscrape_configs: []\n', routePrefix: '/prometheus' });
    alertmanager = await startAlertmanager({ config: 'route: {receiver: "null"}\nreceivers: [{name: "null"}]\n' });
    gw = await startGatewayService({
      cluster,
      db: 'gateway',
      pgUser: PG_USER,
      pgPassword: PG_PASSWORD,
      redisHost: REDIS_HOST,
      redisPassword: REDIS_PASSWORD,
      adminPassword: ADMIN_PASSWORD,
      env: { PROMETHEUS_URL: prometheus.url, ALERTMANAGER_URL: alertmanager.url },
    });
  }, 90_000);

  afterAll(async () => {
    await gw?.shutdown('test');
    await prometheus?.stop();
    await alertmanager?.stop();
    await local.stopAll();
    await cluster?.destroy();
  }, 60_000);

  const json = (a: Answer) => JSON.parse(a.body);
  async function login(username: string, password: string) {
    const answer = await request(gw.port, '/api/v1/auth/login', { method: 'POST', body: JSON.stringify({ username, password }), headers: { 'content-type': 'application/json' } });
    expect(answer.status, answer.body).toBe(200);
    const id = /^aiops_session=([^;]*)/.exec(answer.headers['set-cookie']?.[0] ?? '')![1]!;
    return { cookie: `aiops_session=${id}`, 'x-csrf-token': json(answer).csrf as string };
  }
  const get = (path: string, headers: Record<string, string> = {}) => request(gw.port, path, { headers });
  const send = (method: string, path: string, body: unknown, headers: Record<string, string>) =>
    request(gw.port, path, { method, body: JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers } });

  it('reads a firing alert, silences it as the caller with audit rows, and queries Prometheus within the limits', async () => {
    const admin = await login('admin', ADMIN_PASSWORD);
    // An alert fires in the real Alertmanager.
    const posted = await fetch(`${alertmanager.url}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([{ labels: { alertname: 'GatewayTestAlert', severity: 'critical', service: 'checkout' }, annotations: { summary: 'checkout is down' }, startsAt: new Date().toISOString() }]),
    });
    expect(posted.status).toBe(200);
    const alerts = await until('the alert through the gateway', async () => {
      const answer = await get('/api/v1/alerts?filter=alertname%3D%22GatewayTestAlert%22', admin);
      expect(answer.status, answer.body).toBe(200);
      const list = json(answer) as { labels: Record<string, string>; status: { state: string } }[];
      return list.length > 0 ? list : undefined;
    });
    expect(alerts[0]).toMatchObject({ labels: { alertname: 'GatewayTestAlert', service: 'checkout' }, status: { state: 'active' } });

    const endsAt = new Date(Date.now() + 3_600_000).toISOString();
    const silenced = await send('POST', '/api/v1/silences', { matchers: [{ name: 'alertname', value: 'GatewayTestAlert', isRegex: false }], endsAt, comment: 'gateway test', createdBy: 'mallory' }, admin);
    expect(silenced.status, silenced.body).toBe(200);
    const { silenceID } = json(silenced) as { silenceID: string };
    const silence = (await (await fetch(`${alertmanager.url}/api/v2/silence/${silenceID}`)).json()) as { createdBy: string; comment: string; status: { state: string } };
    expect(silence).toMatchObject({ createdBy: 'admin', comment: 'gateway test', status: { state: 'active' } });
    // The cached read from before the silence is not served again (the change invalidated it in Redis): silenced at once.
    const after = json(await get('/api/v1/alerts?filter=alertname%3D%22GatewayTestAlert%22', admin)) as { status: { state: string; silencedBy: string[] } }[];
    expect(after[0]!.status).toMatchObject({ state: 'suppressed', silencedBy: [silenceID] });
    const requestId = silenced.headers['x-request-id'] as string;
    const rows = JSON.parse(await cluster.psql('gateway', `SELECT json_agg(json_build_object('actor', actor, 'role', role, 'method', method, 'path', path, 'target', target, 'outcome', outcome) ORDER BY id) FROM gateway_audit WHERE request_id = '${requestId}'`));
    expect(rows).toEqual([
      { actor: 'admin', role: 'admin', method: 'POST', path: '/api/v1/silences', target: 'silence alertname="GatewayTestAlert"', outcome: 'requested' },
      { actor: 'admin', role: 'admin', method: 'POST', path: '/api/v1/silences', target: 'silence alertname="GatewayTestAlert"', outcome: 'done 200' },
    ]);
    // Without the CSRF token a cookie session cannot write.
    const { 'x-csrf-token': _, ...cookieOnly } = admin;
    expect((await send('POST', '/api/v1/silences', { matchers: [{ name: 'a', value: 'b', isRegex: false }], endsAt, comment: 'x' }, cookieOnly)).status).toBe(403);

    const instant = await get('/api/v1/query?query=vector(42)', admin);
    expect(instant.status, instant.body).toBe(200);
    expect(json(instant).data.result[0].value[1]).toBe('42');
    const bad = await get('/api/v1/query?query=rate(x)', admin);
    expect(bad.status).toBe(400);
    expect(json(bad).error).toMatch(/^Prometheus: .*range vector/);
    const now = Math.floor(Date.now() / 1000);
    expect((await get(`/api/v1/query_range?query=vector(1)&start=${now - 600}&end=${now}&step=15`, admin)).status).toBe(200);
    expect((await get(`/api/v1/query_range?query=vector(1)&start=${now - 8 * 86_400}&end=${now}&step=3600`, admin)).status).toBe(400);
  });

  it('gives a viewer reads but not silences, and nobody anything without a session', async () => {
    const admin = await login('admin', ADMIN_PASSWORD);
    const created = await send('POST', '/api/v1/users', { username: 'vera', password: 'vera viewer password', role: 'viewer' }, admin);
    expect(created.status, created.body).toBe(201);
    const vera = await login('vera', 'vera viewer password');
    expect((await get('/api/v1/alerts', vera)).status).toBe(200);
    const refused = await send('POST', '/api/v1/silences', { matchers: [{ name: 'a', value: 'b', isRegex: false }], endsAt: new Date(Date.now() + 60_000).toISOString(), comment: 'x' }, vera);
    expect(refused.status).toBe(403);
    expect((await get('/api/v1/alerts')).status).toBe(401);
    expect((await get('/api/openapi.json')).status).toBe(401);
  });

  it('serves the console at / to a signed-in user: the form login, the firing alert on the overview, logout', async () => {
    const toLogin = await get('/');
    expect(toLogin.status).toBe(303);
    expect(toLogin.headers.location).toMatch(/^\/login\?next=%2F$/);
    const page = await get('/login');
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toContain("default-src 'self'");
    const form = new URLSearchParams({ username: 'admin', password: ADMIN_PASSWORD, next: '/' }).toString();
    const signedIn = await request(gw.port, '/login', { method: 'POST', body: form, headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': '203.0.113.7' } });
    expect(signedIn.status, signedIn.body).toBe(303);
    const cookie = /^(aiops_session=[^;]*)/.exec(signedIn.headers['set-cookie']?.[0] ?? '')![1]!;
    await fetch(`${alertmanager.url}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([{ labels: { alertname: 'ConsoleTestAlert', severity: 'warning' }, annotations: { summary: 'shown on the overview' }, startsAt: new Date().toISOString() }]),
    });
    const overview = await until('the firing alert on the overview', async () => {
      const answer = await get('/', { cookie, 'x-forwarded-for': '203.0.113.7' });
      expect(answer.status, answer.body).toBe(200);
      return answer.body.includes('ConsoleTestAlert') ? answer : undefined;
    }, 15_000, 500);
    const alertsPage = await get('/alerts', { cookie });
    expect(alertsPage.status).toBe(200);
    // Silenced by the first test: listed on the alerts page as silenced.
    expect(alertsPage.body).toContain('GatewayTestAlert');
    expect(overview.body).not.toContain('did not answer');
    expect(overview.headers['content-type']).toMatch(/^text\/html/);
    // The console's reads went through the API as the user: audit rows name the browser's address for the sign-in.
    const signInRow = await cluster.psql('gateway', "SELECT source FROM gateway_audit WHERE actor = 'admin' AND target = 'session' AND outcome = 'done 200' ORDER BY id DESC LIMIT 1");
    expect(signInRow).toBe('203.0.113.7');
    const csrf = /name="_csrf" value="([^"]+)"/.exec(overview.body)![1]!;
    const out = await request(gw.port, '/logout', { method: 'POST', body: `_csrf=${encodeURIComponent(csrf)}`, headers: { 'content-type': 'application/x-www-form-urlencoded', cookie } });
    expect(out.status).toBe(303);
    expect((await get('/', { cookie })).status).toBe(303);
  });

  it('serves the OpenAPI 3.1 document of the API to signed-in users', async () => {
    const admin = await login('admin', ADMIN_PASSWORD);
    const answer = await get('/api/openapi.json', admin);
    expect(answer.status).toBe(200);
    const doc = json(answer);
    const result = await new Validator().validate(doc);
    expect(result.errors ?? []).toEqual([]);
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/v1/alerts', '/api/v1/silences', '/api/v1/query_range', '/api/v1/approvals/{id}/approve']));
    // Exactly the routes the gateway serves under /api (the document's own route aside): identity and platform alike.
    const listed = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`));
    expect(listed.sort()).toEqual(routesUnder(gw.server, '/api').filter((r) => r !== 'GET /api/openapi.json'));
    expect(listed).toEqual(expect.arrayContaining(['POST /api/v1/auth/login', 'GET /api/v1/auth/me', 'PATCH /api/v1/users/{username}', 'DELETE /api/v1/api-keys/{id}', 'GET /api/v1/audit']));
    expect(doc.paths['/api/v1/auth/login'].post.security).toEqual([]);
  });
});
