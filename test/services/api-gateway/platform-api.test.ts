/**
 * The platform API's operation table (src/services/api-gateway/api/): on a kit server with fake
 * authorisation (the role in a test header) and recording fake components on 127.0.0.1: input
 * refused with 400 before anything is forwarded, roles, audit rows written before the forward
 * and with the outcome, the limits of query_range, the silence's createdBy forced to the caller,
 * the operator/admin rule of approvals, the cache, 502 when a component is down; and the OpenAPI
 * document validated against the OpenAPI 3.1 schema, listing exactly the registered routes.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createResponseCache } from '../../../src/services/api-gateway/api/cache.js';
import { API_ROLES, openApiDocument, registerOperations, type ApiPrincipal, type ApiRole, type AuditEntry } from '../../../src/services/api-gateway/api/operations.js';
import { platformOperations, QUERY_LIMITS } from '../../../src/services/api-gateway/api/platform.js';
import { startService, type RunningService } from '../../../src/services/kit/run.js';
import { HttpError } from '../../../src/services/kit/server.js';
import { log } from '../ai-engine/prometheus-fake.js';

interface Seen {
  readonly component: string;
  readonly method: string;
  readonly url: string;
  readonly body: string;
  readonly headers: IncomingMessage['headers'];
}

/** One fake component: answers by `answer(method, url, body)`, records every request. */
async function fakeComponent(name: string, seen: Seen[], answer: (method: string, url: string, body: string) => [number, unknown]) {
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d));
    req.on('end', () => {
      seen.push({ component: name, method: req.method!, url: req.url!, body, headers: req.headers });
      const [status, json] = answer(req.method!, req.url!, body);
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(json));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

const seen: Seen[] = [];
const audit: { principal: ApiPrincipal; entry: AuditEntry; seenBefore: number }[] = [];
let service: RunningService;
let servers: Server[] = [];
let approvals = [{ id: 'a1', dryRun: false }, { id: 'a2', dryRun: true }];
let operations: ReturnType<typeof platformOperations>;

beforeAll(async () => {
  const prometheus = await fakeComponent('prometheus', seen, (_m, url) =>
    url.startsWith('/api/v1/query?') && url.includes('count+by')
      ? [200, { status: 'success', data: { resultType: 'vector', result: [{ metric: { job: 'redis' }, value: [0, '2'] }, { metric: { job: 'traefik' }, value: [0, '1'] }] } }]
      : url.startsWith('/api/v1/query?') && url.includes('sum+by')
        ? [200, { status: 'success', data: { resultType: 'vector', result: [{ metric: { job: 'redis' }, value: [0, '1'] }, { metric: { job: 'traefik' }, value: [0, '1'] }] } }]
        : url.includes('query=bad')
          ? [400, { status: 'error', error: 'parse error at char 4' }]
          : [200, { status: 'success', data: { resultType: 'matrix', result: [] } }],
  );
  const alertmanager = await fakeComponent('alertmanager', seen, (method) => (method === 'POST' ? [200, { silenceID: '6d3e1d0a-0000-4000-8000-000000000001' }] : [200, []]));
  const executor = await fakeComponent('executor', seen, (method, url) => (method === 'GET' && url === '/api/v1/approvals' ? [200, { approvals }] : [200, { outcome: 'ok' }]));
  servers = [prometheus.server, alertmanager.server, executor.server];
  const cache = createResponseCache(undefined, log);
  operations = platformOperations(
    {
      prometheus: { name: 'Prometheus', url: prometheus.url },
      alertmanager: { name: 'Alertmanager', url: alertmanager.url },
      aiEngine: { name: 'The AI engine', url: 'http://127.0.0.1:9', timeoutMs: 500 },
      executor: { name: 'The self-healing executor', url: executor.url, headers: { authorization: 'Bearer approval-token-0123456789' } },
    },
    cache,
    () => Date.parse('2026-12-06T12:00:00Z'),
  );
  service = await startService(
    {
      name: 'platform-api-test',
      build: ({ server }) => {
        registerOperations(server, '/api', operations, {
          async authorize(ctx, role: ApiRole) {
            const asked = ctx.req.headers['x-test-role'] as ApiRole | undefined;
            if (!asked) throw new HttpError(401, 'sign in');
            if (API_ROLES.indexOf(asked) < API_ROLES.indexOf(role)) throw new HttpError(403, `needs ${role}`);
            return { username: `${asked}-user`, role: asked, via: 'session' };
          },
          async limit() {},
          async audit(_ctx, principal, entry) {
            audit.push({ principal, entry, seenBefore: seen.length });
          },
        });
      },
    },
    { env: { BASE_PATH: '/', LOG_LEVEL: 'fatal' }, host: '127.0.0.1', ephemeralPorts: true, logDestination: { write: () => undefined } },
  );
});

afterAll(async () => {
  await service?.shutdown('test');
  for (const s of servers) await new Promise((r) => (s.closeAllConnections(), s.close(r)));
});

async function call(path: string, role: ApiRole | undefined, o: { method?: string; body?: unknown } = {}) {
  const res = await fetch(`http://127.0.0.1:${service.port}${path}`, {
    method: o.method ?? 'GET',
    headers: { ...(role ? { 'x-test-role': role } : {}), ...(o.body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: o.body === undefined ? undefined : JSON.stringify(o.body),
  });
  return { status: res.status, body: (await res.json().catch(() => undefined)) as any };
}

describe('the platform API operations', () => {
  it('asks for a login (401) and the least role (403) before anything is forwarded', async () => {
    const before = seen.length;
    expect((await call('/api/v1/alerts', undefined)).status).toBe(401);
    expect((await call('/api/v1/silences', 'viewer', { method: 'POST', body: {} })).status).toBe(403);
    expect(seen.length).toBe(before);
  });

  it('refuses bad input with 400 naming the field, before forwarding', async () => {
    const before = seen.length;
    const cases: [string, RegExp][] = [
      ['/api/v1/alerts?filter=job%3Dfoo', /query\.filter\.0: /],
      ['/api/v1/alerts?active=yes', /query\.active: expected one of "true", "false"/],
      ['/api/v1/query?query=up&query=down', /query: given more than once/],
      ['/api/v1/query?query=', /query\.query: expected at least 1 characters/],
      ['/api/v1/query?query=up%01', /control characters/],
      ['/api/v1/query_range?query=up&start=0&end=604801&step=60', /the range is at most 7 days/],
      ['/api/v1/query_range?query=up&start=0&end=86400&step=0.5', /at least 1s/],
      ['/api/v1/query_range?query=up&start=0&end=86400&step=5', /at most 11000 points per series; use a step of at least 8s/],
      ['/api/v1/query_range?query=up&start=100&end=50&step=5', /must not be before start/],
      ['/api/v1/query_range?query=up&start=yesterday&end=50&step=5', /query\.start: expected RFC 3339 or Unix seconds/],
      ['/api/v1/series/..%2Fadmin', /id: expected a series id/],
      ['/api/v1/anomalies?limit=100000', /query\.limit: expected an integer 1-1000/],
    ];
    for (const [path, message] of cases) {
      const answer = await call(path, 'viewer');
      expect(answer.status, path).toBe(400);
      expect(answer.body.error, path).toMatch(message);
    }
    expect(seen.length).toBe(before);
    expect(QUERY_LIMITS.maxPoints).toBe(11_000);
  });

  it('forwards reads with the validated query, passes a component 4xx through and answers 502 when one is down', async () => {
    const answer = await call('/api/v1/query_range?query=rate(x%5B5m%5D)&start=0&end=86400&step=60', 'viewer');
    expect(answer.status).toBe(200);
    const forwarded = seen.at(-1)!;
    expect(forwarded.component).toBe('prometheus');
    expect(Object.fromEntries(new URL(forwarded.url, 'http://x').searchParams)).toEqual({ query: 'rate(x[5m])', start: '0', end: '86400', step: '60', timeout: '30s' });
    expect(await call('/api/v1/query?query=bad', 'viewer')).toEqual({ status: 400, body: expect.objectContaining({ error: 'Prometheus: parse error at char 4' }) });
    const down = await call('/api/v1/anomalies', 'viewer');
    expect(down).toEqual({ status: 502, body: expect.objectContaining({ error: 'The AI engine did not answer' }) });
    expect(JSON.stringify(down.body)).not.toContain('127.0.0.1');
  });

  it('caches the hot reads: a second identical alerts read within 5 s is not forwarded', async () => {
    await call('/api/v1/alerts?active=true&filter=severity%3D%22critical%22', 'viewer');
    const count = seen.filter((s) => s.component === 'alertmanager').length;
    await call('/api/v1/alerts?active=true&filter=severity%3D%22critical%22', 'viewer');
    expect(seen.filter((s) => s.component === 'alertmanager').length).toBe(count);
    await call('/api/v1/alerts?active=false', 'viewer');
    expect(seen.filter((s) => s.component === 'alertmanager').length).toBe(count + 1);
  });

  it('serves no cached alerts from before a silence made through it, and sends the request id along', async () => {
    const alertReads = () => seen.filter((x) => x.component === 'alertmanager' && x.method === 'GET').length;
    await call('/api/v1/alerts?active=true', 'viewer');
    await call('/api/v1/alerts?active=true', 'viewer');
    const before = alertReads();
    const made = await call('/api/v1/silences', 'operator', { method: 'POST', body: { matchers: [{ name: 'job', value: 'x', isRegex: false }], endsAt: '2026-12-06T13:00:00Z', comment: 'c' } });
    expect(made.status).toBe(200);
    expect(seen.at(-1)!.headers['x-request-id']).toMatch(/^[\w-]+$/);
    // Within its 5 s TTL, but stored before the change: read again.
    await call('/api/v1/alerts?active=true', 'viewer');
    expect(alertReads()).toBe(before + 1);
    await call('/api/v1/alerts?active=true', 'viewer');
    expect(alertReads()).toBe(before + 1);
  });

  it('creates a silence as the caller (createdBy forced), audited before the forward and with its outcome', async () => {
    audit.length = 0;
    const answer = await call('/api/v1/silences', 'operator', {
      method: 'POST',
      body: { matchers: [{ name: 'alertname', value: 'NodeDown', isRegex: false }], endsAt: '2026-12-06T14:00:00Z', comment: 'maintenance', createdBy: 'someone-else' },
    });
    expect(answer).toEqual({ status: 200, body: { silenceID: '6d3e1d0a-0000-4000-8000-000000000001' } });
    const forwarded = seen.at(-1)!;
    expect(JSON.parse(forwarded.body)).toEqual({
      matchers: [{ name: 'alertname', value: 'NodeDown', isRegex: false, isEqual: true }],
      startsAt: '2026-12-06T12:00:00.000Z',
      endsAt: '2026-12-06T14:00:00.000Z',
      comment: 'maintenance',
      createdBy: 'operator-user',
    });
    expect(audit.map((a) => a.entry)).toEqual([
      { target: 'silence alertname="NodeDown"', outcome: 'requested' },
      { target: 'silence alertname="NodeDown"', outcome: 'done 200' },
    ]);
    // The first row was stored before the request reached Alertmanager.
    expect(audit[0]!.seenBefore).toBe(seen.length - 1);
    const tooLong = await call('/api/v1/silences', 'operator', { method: 'POST', body: { matchers: [{ name: 'a', value: 'b', isRegex: false }], endsAt: '2027-02-01T00:00:00Z', comment: 'x' } });
    expect(tooLong).toEqual({ status: 400, body: expect.objectContaining({ error: 'body.endsAt: a silence lasts at most 30 days' }) });
    expect(audit.at(-1)!.entry.outcome).toBe('failed 400');
    expect((await call('/api/v1/silences/not-a-uuid', 'operator', { method: 'DELETE' })).status).toBe(400);
  });

  it('lets an operator approve only dry-run actions, an admin any; sends who decided to the executor with its token', async () => {
    approvals = [{ id: 'a1', dryRun: false }, { id: 'a2', dryRun: true }];
    expect(await call('/api/v1/approvals/a1/approve', 'operator', { method: 'POST', body: {} })).toEqual({ status: 403, body: expect.objectContaining({ error: 'approving a live action needs the admin role' }) });
    expect((await call('/api/v1/approvals/a2/approve', 'operator', { method: 'POST', body: { reason: 'checked' } })).status).toBe(200);
    const forwarded = seen.at(-1)!;
    expect(forwarded.url).toBe('/api/v1/approvals/a2/approve');
    expect(JSON.parse(forwarded.body)).toEqual({ actor: 'operator-user', role: 'operator', reason: 'checked' });
    expect(forwarded.headers.authorization).toBe('Bearer approval-token-0123456789');
    expect((await call('/api/v1/approvals/a1/approve', 'admin', { method: 'POST', body: {} })).status).toBe(200);
    expect((await call('/api/v1/approvals/a1/reject', 'operator', { method: 'POST', body: {} })).status).toBe(200);
    expect((await call('/api/v1/approvals/a1/reject', 'viewer', { method: 'POST', body: {} })).status).toBe(403);
  });

  it('summarises health from Prometheus up, the components with targets down first', async () => {
    expect(await call('/api/v1/health', 'viewer')).toEqual({ status: 200, body: { components: [{ job: 'redis', up: 1, down: 1 }, { job: 'traefik', up: 1, down: 0 }] } });
  });
});

describe('the OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document that lists exactly the registered operations with their roles and schemas', async () => {
    const doc = openApiDocument(operations, { prefix: '/api', title: 'AIOps platform API', version: '1', description: 'test' });
    const validator = new Validator();
    const result = await validator.validate(doc as Parameters<Validator['validate']>[0]);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    const listed = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`));
    expect(listed.sort()).toEqual(operations.map((o) => `${o.method} /api/v1${o.path}`).sort());
    const silence = (doc.paths as any)['/api/v1/silences'].post;
    expect(silence.description).toContain('Least role: operator');
    expect(silence.requestBody.content['application/json'].schema.required).toEqual(['matchers', 'endsAt', 'comment']);
    const range = (doc.paths as any)['/api/v1/query_range'].get;
    expect(range.parameters.map((p: any) => [p.name, p.required])).toEqual([['query', true], ['start', true], ['end', true], ['step', true]]);
  });
});
