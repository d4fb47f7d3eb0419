/**
 * The API gateway as a service (createApiGatewayService, in-process on real sockets) with a real
 * redis-server on 127.0.0.95 (sessions, rate limits) and a real PostgreSQL (users, API keys,
 * audit): the first admin, sign-in (JSON and form, one answer for every wrong credential, the
 * cookie's attributes, the session stored under the hash of its id), /me, CSRF and cross-site
 * refusals, user management with revocation of sessions on disable and role change, lock-outs
 * per username and per address, API keys (shown once, used, scoped, expired, revoked), audit rows
 * written before the change (no row, no change) and immutable, ForwardAuth's answers, sliding
 * and absolute session lifetimes, logout.
 *
 * Needs redis-server and the PostgreSQL server binaries (Debian); skipped with a warning locally
 * when missing, fails in CI.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiGatewayService, type ApiGatewayOverrides } from '../../src/services/api-gateway/service.js';
import { startService, type RunningService } from '../../src/services/kit/run.js';
import { request, type Answer } from '../services/kit/http.js';
import { postgresPresent, PostgresCluster } from '../support/postgresql-server.js';
import { onPath, toolsPresent } from '../support/process.js';
import { cli, LocalRedis, waitForPong } from '../support/redis-servers.js';
import { until } from '../support/until.js';

const haveRedis = toolsPresent('the API gateway service tests', ['redis-server', 'redis-cli'].filter((b) => !onPath(b)), 'Debian: apt-get install redis-server');
const havePostgres = postgresPresent('the API gateway service tests');

const REDIS_HOST = '127.0.0.95';
const REDIS_PASSWORD = 'gw "redis" pä$$';
const PG_USER = 'gateway';
const PG_PASSWORD = "gw 'pg' pass";
const ADMIN_PASSWORD = 'first admin password';

describe.runIf(haveRedis && havePostgres)('the API gateway on real Redis and PostgreSQL', () => {
  let cluster: PostgresCluster;
  const local = new LocalRedis();
  const running: RunningService[] = [];
  let gw: RunningService;
  let databases = 0;

  const psql = (sql: string, db = 'gateway_1') => cluster.psql(db, sql);
  const redisCli = async (...args: string[]) => (await cli(REDIS_HOST, args, REDIS_PASSWORD)).stdout.trim();

  async function startGateway(overrides: ApiGatewayOverrides = {}, env: Record<string, string> = {}, db?: string): Promise<RunningService> {
    if (!db) {
      databases += 1;
      db = `gateway_${databases}`;
      await cluster.psql('postgres', `CREATE DATABASE ${db} OWNER ${PG_USER}`);
    }
    const service = await startService(createApiGatewayService({ migrateRetryMs: 200, ...overrides }), {
      env: {
        BASE_PATH: '/',
        LOG_LEVEL: 'fatal',
        SHUTDOWN_DELAY_SECONDS: '0',
        POSTGRES_HOST: '127.0.0.1',
        POSTGRES_PORT: String(cluster.port),
        POSTGRES_DB: db,
        POSTGRES_USER: PG_USER,
        POSTGRES_PASSWORD: PG_PASSWORD,
        POSTGRES_SSLMODE: 'disable',
        REDIS_HOST,
        REDIS_PASSWORD,
        SESSION_STORE: 'redis',
        ADMIN_USERNAME: 'admin',
        ADMIN_PASSWORD,
        ...env,
      },
      ephemeralPorts: true,
      host: '127.0.0.1',
      logDestination: { write: () => undefined },
    });
    running.push(service);
    await until('the gateway ready', async () => ((await request(service.port, '/healthz/ready')).status === 200 ? true : undefined), 20_000);
    return service;
  }

  beforeAll(async () => {
    cluster = await PostgresCluster.forApplication('pg-gateway-auth-', PG_USER, PG_PASSWORD);
    const server = local.start(REDIS_HOST, 'redis-server', ['--bind', REDIS_HOST, '--port', '6379', '--requirepass', REDIS_PASSWORD, '--save', '', '--appendonly', 'no']);
    await waitForPong(server, REDIS_PASSWORD);
    gw = await startGateway();
    await until('the first admin', async () => ((await psql("SELECT count(*) FROM gateway_users WHERE username = 'admin'")) === '1' ? true : undefined));
  }, 90_000);

  afterAll(async () => {
    for (const s of running) await s.shutdown('test');
    await local.stopAll();
    await cluster?.destroy();
  }, 60_000);

  // ------------------------------------------------------------------------------------------
  // Helpers

  interface Session {
    readonly id: string;
    readonly csrf: string;
  }

  const cookieOf = (a: Answer): string | undefined => {
    const set = a.headers['set-cookie'];
    const m = /^aiops_session=([^;]*)/.exec(set?.[0] ?? '');
    return m ? m[1] : undefined;
  };
  const json = (body: unknown, headers: Record<string, string> = {}) => ({ body: JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers } });
  const post = (path: string, body: unknown, headers: Record<string, string> = {}, port = gw.port, method = 'POST') => request(port, path, { method, ...json(body, headers) });

  /** Signs in from `address` (X-Forwarded-For); the answer and the session it opened. */
  async function login(username: string, password: string, address = '10.1.0.1', port = gw.port): Promise<{ answer: Answer; session?: Session }> {
    const answer = await post('/api/v1/auth/login', { username, password }, { 'x-forwarded-for': address }, port);
    const id = cookieOf(answer);
    return { answer, session: answer.status === 200 && id ? { id, csrf: JSON.parse(answer.body).csrf } : undefined };
  }
  const as = (s: Session, extra: Record<string, string> = {}) => ({ cookie: `aiops_session=${s.id}`, 'x-csrf-token': s.csrf, ...extra });
  const adminSession = async () => (await login('admin', ADMIN_PASSWORD, '10.1.0.250')).session!;
  const get = (path: string, headers: Record<string, string> = {}, port = gw.port) => request(port, path, { headers });
  const auditRows = async (requestId: string) => JSON.parse(await psql(`SELECT coalesce(json_agg(a ORDER BY id), '[]') FROM gateway_audit a WHERE request_id = '${requestId}'`)) as Record<string, unknown>[];

  async function newUser(admin: Session, username: string, role: string, password = `${username}-password-1`): Promise<void> {
    const created = await post('/api/v1/users', { username, password, role }, as(admin));
    expect(created.status, created.body).toBe(201);
  }

  // ------------------------------------------------------------------------------------------

  it('is ready once migrated (PostgreSQL and Redis checked), and created the first admin from ADMIN_PASSWORD', async () => {
    const ready = await get('/healthz/ready');
    expect(JSON.parse(ready.body)).toEqual({ status: 'ready', checks: ['postgresql', 'redis'] });
    expect(await psql("SELECT role, disabled, password_hash LIKE '$scrypt$ln=15,r=8,p=1$%' FROM gateway_users WHERE username = 'admin'")).toBe('admin|f|t');
  });

  it('signs in with JSON: the cookie (HttpOnly, SameSite=Lax, Path=/, Secure over https), the CSRF token; the session in Redis under the SHA-256 of its id', async () => {
    const answer = await post('/api/v1/auth/login', { username: 'ADMIN', password: ADMIN_PASSWORD }, { 'x-forwarded-proto': 'https', 'x-forwarded-for': '10.1.0.2' });
    expect(answer.status).toBe(200);
    const body = JSON.parse(answer.body);
    expect(body).toEqual({ username: 'admin', role: 'admin', csrf: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) });
    expect(answer.headers['cache-control']).toBe('no-store');
    const cookie = answer.headers['set-cookie']![0]!;
    expect(cookie).toMatch(/^aiops_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Lax; Secure; Max-Age=86400$/);
    const id = cookieOf(answer)!;
    const key = `aiops:gateway:session:${createHash('sha256').update(id).digest('hex')}`;
    expect(JSON.parse(await redisCli('GET', key))).toEqual({ username: 'admin', role: 'admin', csrf: body.csrf, createdAt: expect.any(Number), epoch: 0 });
    expect(Number(await redisCli('PTTL', key))).toBeGreaterThan(8 * 3_600_000 - 60_000);
    expect(await redisCli('KEYS', `*${id}*`)).toBe('');
    expect(await redisCli('SISMEMBER', 'aiops:gateway:user-sessions:admin', key.slice('aiops:gateway:session:'.length))).toBe('1');
    // Over plain http (COOKIE_SECURE=auto): not Secure.
    expect((await post('/api/v1/auth/login', { username: 'admin', password: ADMIN_PASSWORD }, { 'x-forwarded-for': '10.1.0.2' })).headers['set-cookie']![0]).not.toContain('Secure');
  });

  it('answers every wrong credential alike (no user enumeration) and audits it with the reason', async () => {
    await newUser(await adminSession(), 'dora', 'viewer');
    const admin = await adminSession();
    await post('/api/v1/users/dora', { disabled: true }, as(admin), gw.port, 'PATCH');
    const answers = await Promise.all([
      login('admin', 'wrong password!', '10.2.0.1'),
      login('nobody-here', 'wrong password!', '10.2.0.2'),
      login('dora', 'dora-password-1', '10.2.0.3'), // right password, disabled user
    ]);
    for (const { answer } of answers) {
      expect(answer.status).toBe(401);
      expect(JSON.parse(answer.body).error).toBe('wrong username or password');
      expect(answer.headers['set-cookie']).toBeUndefined();
    }
    const rows = await auditRows(answers[1]!.answer.headers['x-request-id'] as string);
    expect(rows).toEqual([expect.objectContaining({ actor: 'nobody-here', role: null, outcome: 'failed 401', source: '10.2.0.2', path: '/api/v1/auth/login', detail: { reason: 'unknown user' } })]);
    expect((await auditRows(answers[2]!.answer.headers['x-request-id'] as string))[0]).toMatchObject({ detail: { reason: 'disabled' } });
  });

  it('signs in with a form: 303 to a same-site next, back to /login?error=invalid on failure; a cross-site form is refused', async () => {
    const form = (body: string, headers: Record<string, string> = {}) =>
      request(gw.port, '/api/v1/auth/login', { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html', 'x-forwarded-for': '10.3.0.1', ...headers } });
    const ok = await form(`username=admin&password=${encodeURIComponent(ADMIN_PASSWORD)}&next=${encodeURIComponent('/grafana/d/abc?x=1')}`);
    expect(ok.status).toBe(303);
    expect(ok.headers.location).toBe('/grafana/d/abc?x=1');
    expect(cookieOf(ok)).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const offsite = await form(`username=admin&password=${encodeURIComponent(ADMIN_PASSWORD)}&next=${encodeURIComponent('//evil.example/')}`);
    expect(offsite.headers.location).toBe('/');
    const bad = await form('username=admin&password=nope-nope-nope&next=%2Fprometheus');
    expect(bad.status).toBe(303);
    expect(bad.headers.location).toBe('/login?error=invalid&next=%2Fprometheus');
    // A form with an empty field goes back to the login page too (JSON: 400).
    const empty = await form('username=admin&password=&next=%2Fprometheus');
    expect([empty.status, empty.headers.location]).toEqual([303, '/login?error=missing&next=%2Fprometheus']);
    expect((await post('/api/v1/auth/login', { username: 'admin', password: '' })).status).toBe(400);
    const crossSite = await form(`username=admin&password=${encodeURIComponent(ADMIN_PASSWORD)}`, { origin: 'https://evil.example', host: 'aiops.example' });
    expect(crossSite.status).toBe(403);
    expect(cookieOf(crossSite)).toBeUndefined();
  });

  it('GET /api/v1/auth/me: who is signed in, with the CSRF token; 401 without a session', async () => {
    const s = await adminSession();
    const me = await get('/api/v1/auth/me', { cookie: `aiops_session=${s.id}` });
    expect(JSON.parse(me.body)).toMatchObject({ username: 'admin', role: 'admin', grafanaRole: 'Admin', via: 'session', csrf: s.csrf });
    const none = await get('/api/v1/auth/me');
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Bearer realm="aiops"');
    expect((await get('/api/v1/auth/me', { cookie: 'aiops_session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' })).status).toBe(401);
  });

  it('refuses a cookie mutation without the CSRF token, with a wrong one, or cross-site (audited failed 403); accepts it with the token', async () => {
    const s = await adminSession();
    const cookie = { cookie: `aiops_session=${s.id}` };
    const cases: [Record<string, string>, RegExp][] = [
      [cookie, /CSRF token missing or wrong/],
      [{ ...cookie, 'x-csrf-token': `${s.csrf}x` }, /CSRF token missing or wrong/],
      [{ ...as(s), origin: 'https://evil.example', host: 'aiops.example' }, /cross-site/],
      [{ ...as(s), 'sec-fetch-site': 'cross-site' }, /cross-site/],
    ];
    for (const [headers, message] of cases) {
      const refused = await post('/api/v1/users', { username: 'csrf-victim', password: 'csrf-victim-pw-1', role: 'admin' }, headers);
      expect(refused.status).toBe(403);
      expect(JSON.parse(refused.body).error).toMatch(message);
      expect(await auditRows(refused.headers['x-request-id'] as string)).toEqual([expect.objectContaining({ actor: 'admin', outcome: 'failed 403' })]);
    }
    expect(await psql("SELECT count(*) FROM gateway_users WHERE username = 'csrf-victim'")).toBe('0');
    // A form can send the token as _csrf.
    const viaForm = await request(gw.port, '/api/v1/users', {
      method: 'POST',
      body: `username=csrf-form&password=csrf-form-pw-12&role=viewer&_csrf=${encodeURIComponent(s.csrf)}`,
      headers: { ...cookie, 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(viaForm.status).toBe(201);
  });

  it('writes the audit row before the change: its time precedes the user\u2019s creation; without it (table broken) nothing changes and the answer is 503', async () => {
    const admin = await adminSession();
    const created = await post('/api/v1/users', { username: 'audited-user', password: 'audited-pw-123', role: 'operator' }, as(admin, { 'x-request-id': 'create-audited-user' }));
    expect(created.status).toBe(201);
    const rows = await auditRows('create-audited-user');
    expect(rows.map((r) => r.outcome)).toEqual(['requested', 'done 201']);
    expect(rows[0]).toMatchObject({ actor: 'admin', role: 'admin', method: 'POST', path: '/api/v1/users', target: 'user:audited-user', detail: { role: 'operator' } });
    expect(await psql("SELECT (SELECT at FROM gateway_audit WHERE request_id = 'create-audited-user' AND outcome = 'requested') <= created_at FROM gateway_users WHERE username = 'audited-user'")).toBe('t');

    // No audit row can be written: the change is not made.
    await cluster.psql('gateway_1', 'ALTER TABLE gateway_audit ADD CONSTRAINT test_refuses_rows CHECK (false) NOT VALID');
    try {
      const refused = await post('/api/v1/users', { username: 'unaudited-user', password: 'unaudited-pw-12', role: 'viewer' }, as(admin));
      expect(refused.status).toBe(503);
      expect(JSON.parse(refused.body).error).toMatch(/audit row could not be written: nothing was changed/);
      expect(await psql("SELECT count(*) FROM gateway_users WHERE username = 'unaudited-user'")).toBe('0');
      const text = await gw.registry.metrics();
      expect(text).toMatch(/^aiops_api_gateway_audit_write_failures_total({[^}]*})? [1-9]/m);
    } finally {
      await cluster.psql('gateway_1', 'ALTER TABLE gateway_audit DROP CONSTRAINT test_refuses_rows');
    }
    // The table keeps what it has: UPDATE and DELETE are refused by its trigger.
    for (const sql of ["UPDATE gateway_audit SET outcome = 'done 200' WHERE request_id = 'create-audited-user'", "DELETE FROM gateway_audit WHERE request_id = 'create-audited-user'"]) {
      const r = await cluster.superPsql('gateway_1', sql);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/gateway_audit is append-only/);
    }
    expect((await auditRows('create-audited-user')).map((r) => r.outcome)).toEqual(['requested', 'done 201']);
  });

  it('user management is admin-only; a role change and a disable end the user\u2019s sessions at once (Redis keys gone, cookie refused)', async () => {
    const admin = await adminSession();
    await newUser(admin, 'vera', 'viewer');
    const vera = (await login('vera', 'vera-password-1', '10.4.0.1')).session!;
    const vera2 = (await login('Vera', 'vera-password-1', '10.4.0.1')).session!;
    expect((await get('/api/v1/users', { cookie: `aiops_session=${vera.id}` })).status).toBe(403);
    const denied = await post('/api/v1/users', { username: 'x-user', password: 'x-user-password', role: 'admin' }, as(vera));
    expect(denied.status).toBe(403);
    expect((await auditRows(denied.headers['x-request-id'] as string))[0]).toMatchObject({ actor: 'vera', role: 'viewer', outcome: 'failed 403', detail: { reason: 'needs admin' } });

    const promoted = await post('/api/v1/users/vera', { role: 'operator' }, as(admin), gw.port, 'PATCH');
    expect(JSON.parse(promoted.body)).toMatchObject({ user: { username: 'vera', role: 'operator' }, sessionsEnded: 2 });
    for (const s of [vera, vera2]) expect((await get('/api/v1/auth/me', { cookie: `aiops_session=${s.id}` })).status).toBe(401);
    expect(await redisCli('EXISTS', `aiops:gateway:session:${createHash('sha256').update(vera.id).digest('hex')}`)).toBe('0');

    const again = (await login('vera', 'vera-password-1', '10.4.0.1')).session!;
    expect(JSON.parse((await get('/api/v1/auth/me', { cookie: `aiops_session=${again.id}` })).body).role).toBe('operator');
    expect((await post('/api/v1/users/vera', { disabled: true }, as(admin), gw.port, 'PATCH')).status).toBe(200);
    expect((await get('/api/v1/auth/me', { cookie: `aiops_session=${again.id}` })).status).toBe(401);
    expect((await login('vera', 'vera-password-1', '10.4.0.1')).answer.status).toBe(401);

    // The last enabled admin stays.
    const last = await post('/api/v1/users/admin', { role: 'viewer' }, as(admin), gw.port, 'PATCH');
    expect(last.status).toBe(409);
    expect((await auditRows(last.headers['x-request-id'] as string)).map((r) => r.outcome)).toEqual(['requested', 'failed 409']);
    expect((await post('/api/v1/users', { username: 'weak', password: 'short', role: 'viewer' }, as(admin))).status).toBe(400);
    expect((await post('/api/v1/users', { username: 'bad name', password: 'long enough pw', role: 'viewer' }, as(admin))).status).toBe(400);
    expect((await post('/api/v1/users', { username: 'ADMIN', password: 'long enough pw', role: 'viewer' }, as(admin))).status).toBe(409);
  });

  it('a session of another replica with memory sessions is refused once its user is disabled (the credentials epoch)', async () => {
    const admin = await adminSession();
    await newUser(admin, 'mona', 'viewer');
    const replica = await startGateway({ userCacheMs: 0 }, { SESSION_STORE: 'memory' }, 'gateway_1');
    const mona = (await login('mona', 'mona-password-1', '10.4.1.1', replica.port)).session!;
    expect((await get('/api/v1/auth/me', { cookie: `aiops_session=${mona.id}` }, replica.port)).status).toBe(200);
    expect((await post('/api/v1/users/mona', { disabled: true }, as(admin), gw.port, 'PATCH')).status).toBe(200);
    expect((await get('/api/v1/auth/me', { cookie: `aiops_session=${mona.id}` }, replica.port)).status).toBe(401);
  });

  it('locks a username out after 5 failures (even the right password then gets 429), and an address after 20', async () => {
    const admin = await adminSession();
    await newUser(admin, 'lena', 'viewer');
    for (let i = 1; i <= 5; i++) expect((await login('lena', `wrong password ${i}`, `10.5.0.${i}`)).answer.status).toBe(401);
    const locked = await login('lena', 'lena-password-1', '10.5.0.99');
    expect(locked.answer.status).toBe(429);
    expect(Number(locked.answer.headers['retry-after'])).toBeGreaterThan(890);
    expect((await auditRows(locked.answer.headers['x-request-id'] as string))[0]).toMatchObject({ actor: 'lena', outcome: 'failed 429' });
    expect(await redisCli('KEYS', 'aiops:gateway:rate:lock:login-user:*')).not.toBe('');

    for (let i = 1; i <= 20; i++) await login(`spray-${i}`, 'guess guess guess', '10.5.1.1');
    expect((await login('admin', ADMIN_PASSWORD, '10.5.1.1')).answer.status).toBe(429);
    expect((await login('admin', ADMIN_PASSWORD, '10.5.1.2')).answer.status).toBe(200);
  });

  it('API keys: created from a session (shown once), used as Bearer, scoped to a role ≤ the owner\u2019s, expired and revoked keys refused', async () => {
    const admin = await adminSession();
    await newUser(admin, 'otto', 'operator');
    const otto = (await login('otto', 'otto-password-1', '10.6.0.1')).session!;
    expect((await post('/api/v1/api-keys', { name: 'too much', role: 'admin' }, as(otto))).status).toBe(403);
    const created = await post('/api/v1/api-keys', { name: 'ci pipeline', role: 'viewer', expiresInDays: 30 }, as(otto));
    expect(created.status).toBe(201);
    expect(created.headers['cache-control']).toBe('no-store');
    const { key, apiKey } = JSON.parse(created.body);
    expect((await auditRows(created.headers['x-request-id'] as string)).map((r) => [r.outcome, r.target, r.detail])).toEqual([
      ['requested', 'api-key:ci pipeline', { name: 'ci pipeline', role: 'viewer', expiresInDays: 30 }],
      ['done 201', 'api-key:ci pipeline', { keyId: apiKey.id, expiresAt: apiKey.expiresAt }],
    ]);
    expect(key).toMatch(new RegExp(`^aiops_${apiKey.id}_[A-Za-z0-9_-]{43}$`));
    expect(apiKey).toMatchObject({ name: 'ci pipeline', owner: 'otto', role: 'viewer', revokedAt: null });
    const listed = await get('/api/v1/api-keys', { cookie: `aiops_session=${otto.id}` });
    expect(listed.body).not.toContain(key.slice(23));
    expect(JSON.parse(listed.body).apiKeys.map((k: { id: string }) => k.id)).toEqual([apiKey.id]);

    const bearer = { authorization: `Bearer ${key}` };
    expect(JSON.parse((await get('/api/v1/auth/me', bearer)).body)).toEqual({ username: 'otto', role: 'viewer', grafanaRole: 'Viewer', via: 'api-key', keyId: apiKey.id });
    // No CSRF token needed (no ambient credential), but the key's role holds: viewer cannot create users or keys.
    expect((await post('/api/v1/users', { username: 'from-key', password: 'from-key-pw-12', role: 'viewer' }, bearer)).status).toBe(403);
    expect((await post('/api/v1/api-keys', { name: 'from a key' }, bearer)).status).toBe(403);
    // Others' keys: not for non-admins.
    expect((await get('/api/v1/api-keys?all=true', { cookie: `aiops_session=${otto.id}` })).status).toBe(403);
    expect(JSON.parse((await get('/api/v1/api-keys?all=true', { cookie: `aiops_session=${admin.id}` })).body).apiKeys.some((k: { id: string }) => k.id === apiKey.id)).toBe(true);

    await psql(`UPDATE gateway_api_keys SET expires_at = now() - interval '1 second' WHERE id = '${apiKey.id}'`);
    expect((await get('/api/v1/auth/me', bearer)).status).toBe(401);
    await psql(`UPDATE gateway_api_keys SET expires_at = now() + interval '1 day' WHERE id = '${apiKey.id}'`);
    expect((await get('/api/v1/auth/me', bearer)).status).toBe(200);

    // Revoke: another user cannot (404), the owner can; the key stops at once.
    await newUser(admin, 'eve', 'operator');
    const eve = (await login('eve', 'eve-password-1', '10.6.0.2')).session!;
    expect((await request(gw.port, `/api/v1/api-keys/${apiKey.id}`, { method: 'DELETE', headers: as(eve) })).status).toBe(404);
    const revoked = await request(gw.port, `/api/v1/api-keys/${apiKey.id}`, { method: 'DELETE', headers: as(otto, { 'x-request-id': 'revoke-otto-key' }) });
    expect(revoked.status).toBe(200);
    expect(JSON.parse(revoked.body).apiKey.revokedAt).not.toBeNull();
    expect((await auditRows('revoke-otto-key')).map((r) => [r.outcome, r.target])).toEqual([
      ['requested', `api-key:${apiKey.id}`],
      ['done 200', `api-key:${apiKey.id}`],
    ]);
    expect((await get('/api/v1/auth/me', bearer)).status).toBe(401);
    // A malformed key of ours is refused; it never falls back to the cookie.
    expect((await get('/api/v1/auth/me', { authorization: 'Bearer aiops_xyz', cookie: `aiops_session=${otto.id}` })).status).toBe(401);
  });

  it('GET /auth/verify: 302 to the login page for a browser\u2019s GET (same-site next only), 401 for APIs, 200 with the four headers, 403 below the path\u2019s role, audited writes, 403 to everyone for Prometheus\u2019 admin API', async () => {
    const fwd = (method: string, uri: string, extra: Record<string, string> = {}) => ({ 'x-forwarded-method': method, 'x-forwarded-proto': 'https', 'x-forwarded-host': 'aiops.example', 'x-forwarded-uri': uri, ...extra });
    const html = { accept: 'text/html,application/xhtml+xml' };
    const browser = await get('/auth/verify', fwd('GET', '/grafana/d/abc?orgId=1', html));
    expect(browser.status).toBe(302);
    expect(browser.headers.location).toBe('/login?next=%2Fgrafana%2Fd%2Fabc%3ForgId%3D1');
    expect((await get('/auth/verify', fwd('GET', '//evil.example/x', html))).headers.location).toBe('/login?next=%2F');
    expect((await get('/auth/verify', fwd('GET', '/prometheus/api/v1/query?query=up', { accept: 'application/json' }))).status).toBe(401);
    expect((await get('/auth/verify', fwd('POST', '/alertmanager/api/v2/silences', html))).status).toBe(401);

    const admin = await adminSession();
    await newUser(admin, 'viv', 'viewer');
    await newUser(admin, 'oscar', 'operator');
    const viv = (await login('viv', 'viv-password-1', '10.7.0.1')).session!;
    const oscar = (await login('oscar', 'oscar-password-1', '10.7.0.2')).session!;
    const ok = await get('/auth/verify', fwd('GET', '/grafana/', { cookie: `aiops_session=${oscar.id}` }));
    expect(ok.status).toBe(200);
    expect([ok.headers['x-auth-user'], ok.headers['x-auth-role'], ok.headers['x-webauth-user'], ok.headers['x-webauth-role']]).toEqual(['oscar', 'operator', 'oscar', 'Editor']);

    const silence = (s: Session, extra: Record<string, string> = {}) => get('/auth/verify', fwd('POST', '/alertmanager/api/v2/silences', { cookie: `aiops_session=${s.id}`, ...extra }));
    const low = await silence(viv);
    expect(low.status).toBe(403);
    expect(low.headers['x-auth-user']).toBeUndefined();
    const allowed = await silence(oscar, { 'x-request-id': 'verify-silence' });
    expect(allowed.status).toBe(200);
    expect(await auditRows('verify-silence')).toEqual([
      expect.objectContaining({ actor: 'oscar', role: 'operator', method: 'POST', path: '/alertmanager/api/v2/silences', target: '/alertmanager/api/v2/silences', outcome: 'forwarded' }),
    ]);
    expect((await silence(oscar, { origin: 'https://evil.example' })).status).toBe(403);
    // Viewers query Prometheus with POST; Grafana decides its own writes.
    expect((await get('/auth/verify', fwd('POST', '/prometheus/api/v1/query', { cookie: `aiops_session=${viv.id}` }))).status).toBe(200);
    expect((await get('/auth/verify', fwd('POST', '/grafana/api/dashboards/db', { cookie: `aiops_session=${viv.id}` }))).headers['x-webauth-role']).toBe('Viewer');

    // Prometheus' admin API (on for the backup CronJob) is closed to the Ingress: an admin, a viewer, anyone, however encoded.
    for (const [method, uri] of [['POST', '/prometheus/api/v1/admin/tsdb/snapshot'], ['PUT', '/prometheus/api/v1/admin/tsdb/delete_series?match[]=up'], ['POST', '/prometheus/api/v1/%61dmin/tsdb/snapshot'], ['GET', '/prometheus//api/v1/admin/']] as const) {
      const anyone: Record<string, string>[] = [{ cookie: `aiops_session=${admin.id}` }, { cookie: `aiops_session=${viv.id}` }, {}];
      for (const who of anyone) {
        const closed = await get('/auth/verify', fwd(method, uri, who));
        expect([closed.status, closed.headers['x-auth-user']], `${method} ${uri}`).toEqual([403, undefined]);
      }
    }

    // An API key works at the door too.
    const key = JSON.parse((await post('/api/v1/api-keys', { name: 'verify key' }, as(oscar))).body).key;
    const byKey = await get('/auth/verify', fwd('GET', '/prometheus/graph', { authorization: `Bearer ${key}` }));
    expect([byKey.status, byKey.headers['x-auth-user'], byKey.headers['x-auth-role']]).toEqual([200, 'oscar', 'operator']);
  });

  it('sessions slide while used and end after the idle time, and at the absolute lifetime however busy (short times, one more replica)', async () => {
    const short = await startGateway({ sessionTimes: { idleMs: 1_500, absoluteMs: 4_000 } }, {}, 'gateway_1');
    const me = (s: Session) => get('/api/v1/auth/me', { cookie: `aiops_session=${s.id}` }, short.port);
    const busy = (await login('admin', ADMIN_PASSWORD, '10.8.0.1', short.port)).session!;
    const idle = (await login('admin', ADMIN_PASSWORD, '10.8.0.1', short.port)).session!;
    const started = Date.now();
    for (let i = 0; i < 4; i++) {
      await new Promise((r) => setTimeout(r, 800));
      expect((await me(busy)).status, `busy after ${Date.now() - started} ms`).toBe(200);
    }
    expect((await me(idle)).status).toBe(401); // idle 3.2 s > 1.5 s
    await new Promise((r) => setTimeout(r, Math.max(0, started + 4_100 - Date.now())));
    expect((await me(busy)).status).toBe(401); // 4 s after creation
  });

  it('logout: needs the CSRF token, ends the session (Redis key gone), clears the cookie; a form goes back to /login', async () => {
    const s = await adminSession();
    expect((await request(gw.port, '/api/v1/auth/logout', { method: 'POST', headers: { cookie: `aiops_session=${s.id}` } })).status).toBe(403);
    const out = await request(gw.port, '/api/v1/auth/logout', { method: 'POST', headers: as(s, { 'x-request-id': 'logout-admin' }) });
    expect(out.status).toBe(204);
    expect((await auditRows('logout-admin')).map((r) => [r.outcome, r.target])).toEqual([
      ['requested', 'session'],
      ['done 204', 'session'],
    ]);
    expect(out.headers['set-cookie']![0]).toMatch(/^aiops_session=; Path=\/; HttpOnly; SameSite=Lax; Max-Age=0$/);
    expect(await redisCli('EXISTS', `aiops:gateway:session:${createHash('sha256').update(s.id).digest('hex')}`)).toBe('0');
    expect((await get('/api/v1/auth/me', { cookie: `aiops_session=${s.id}` })).status).toBe(401);
    const s2 = await adminSession();
    const viaForm = await request(gw.port, '/api/v1/auth/logout', {
      method: 'POST',
      body: `_csrf=${encodeURIComponent(s2.csrf)}`,
      headers: { cookie: `aiops_session=${s2.id}`, 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
    });
    expect([viaForm.status, viaForm.headers.location]).toEqual([303, '/login']);
    expect((await get('/api/v1/auth/me', { cookie: `aiops_session=${s2.id}` })).status).toBe(401);
  });

  it('own password change: the current password is checked, every other session ends, this one is renewed', async () => {
    const admin = await adminSession();
    await newUser(admin, 'pia', 'viewer');
    const a = (await login('pia', 'pia-password-1', '10.9.0.1')).session!;
    const b = (await login('pia', 'pia-password-1', '10.9.0.1')).session!;
    const wrong = await post('/api/v1/auth/password', { currentPassword: 'not it at all', newPassword: 'pia-new-password' }, as(a));
    expect(wrong.status).toBe(403);
    // Audited by the table: the request before the check, then its refusal with the reason.
    expect(await auditRows(wrong.headers['x-request-id'] as string)).toEqual([
      expect.objectContaining({ actor: 'pia', target: 'user:pia', outcome: 'requested', detail: { change: 'password' } }),
      expect.objectContaining({ actor: 'pia', target: 'user:pia', outcome: 'failed 403', detail: { error: 'the current password is wrong' } }),
    ]);
    expect((await post('/api/v1/auth/password', { currentPassword: 'pia-password-1', newPassword: 'pia' }, as(a))).status).toBe(400);
    const changed = await post('/api/v1/auth/password', { currentPassword: 'pia-password-1', newPassword: 'pia-new-password' }, as(a));
    expect(changed.status).toBe(200);
    const renewed = cookieOf(changed)!;
    for (const s of [a, b]) expect((await get('/api/v1/auth/me', { cookie: `aiops_session=${s.id}` })).status).toBe(401);
    expect((await get('/api/v1/auth/me', { cookie: `aiops_session=${renewed}` })).status).toBe(200);
    expect((await login('pia', 'pia-password-1', '10.9.0.2')).answer.status).toBe(401);
    expect((await login('pia', 'pia-new-password', '10.9.0.3')).answer.status).toBe(200);
  });

  it('re-hashes a password stored with older parameters at the next sign-in', async () => {
    const { hashPassword } = await import('../../src/services/api-gateway/identity/passwords.js');
    const old = await hashPassword('legacy-password-1', { logN: 12, r: 8, p: 1, keyLength: 32, saltLength: 16 });
    await psql(`INSERT INTO gateway_users (username, role, password_hash) VALUES ('legacy', 'viewer', '${old}')`);
    expect((await login('legacy', 'legacy-password-1', '10.10.0.1')).answer.status).toBe(200);
    expect(await psql("SELECT password_hash LIKE '$scrypt$ln=15,r=8,p=1$%' FROM gateway_users WHERE username = 'legacy'")).toBe('t');
    expect((await login('legacy', 'legacy-password-1', '10.10.0.1')).answer.status).toBe(200);
  });

  it('GET / (the console): to the login page when not signed in', async () => {
    const root = await get('/');
    expect([root.status, root.headers.location]).toEqual([303, '/login?next=%2F']);
  });

  it('GET /api/v1/audit (admin): newest first, filtered by actor; not for others', async () => {
    const admin = await adminSession();
    const rows = JSON.parse((await get('/api/v1/audit?actor=oscar&limit=5', { cookie: `aiops_session=${admin.id}` })).body).audit;
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((r: { actor: string }) => r.actor === 'oscar')).toBe(true);
    expect(rows.map((r: { id: string }) => Number(r.id))).toEqual([...rows.map((r: { id: string }) => Number(r.id))].sort((x, y) => y - x));
    expect((await get('/api/v1/audit?limit=0', { cookie: `aiops_session=${admin.id}` })).status).toBe(400);
    const oscar = (await login('oscar', 'oscar-password-1', '10.11.0.1')).session!;
    expect((await get('/api/v1/audit', { cookie: `aiops_session=${oscar.id}` })).status).toBe(403);
  });
});
