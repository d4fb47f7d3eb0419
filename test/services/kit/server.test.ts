import { Counter } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { readBody, readJson, sendJson } from '../../../src/services/kit/server.js';
import { startService, type RunningService } from '../../../src/services/kit/run.js';
import { request } from './http.js';

/** Log lines the service wrote, parsed. */
type Line = Record<string, unknown>;

const running: RunningService[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.shutdown('test done')));
});

/** Starts a service on ephemeral ports on 127.0.0.1 with `basePath`, capturing its log lines. */
async function start(basePath = '/', setup: (s: Parameters<Parameters<typeof startService>[0]['build']>[0]) => void = () => {}) {
  const lines: Line[] = [];
  const service = await startService(
    {
      name: 'kit-test',
      readyTimeoutMs: 300,
      shutdownGraceMs: 2000,
      build: (ctx) => {
        ctx.server.route('GET', '/hello', ({ res, log }) => {
          log.info('saying hello');
          sendJson(res, 200, { hello: 'world' });
        });
        ctx.server.route('POST', '/echo', async ({ req, res }) => {
          const body = await readBody(req, 1024);
          sendJson(res, 200, { bytes: body.length });
        });
        ctx.server.route('POST', '/json', async ({ req, res }) => sendJson(res, 200, await readJson(req)));
        ctx.server.route('PUT', '/nothing', () => {});
        ctx.server.route('GET', '/boom', () => {
          throw new Error('secret internals');
        });
        setup(ctx);
      },
    },
    {
      env: { BASE_PATH: basePath, LOG_LEVEL: 'info' },
      host: '127.0.0.1',
      ephemeralPorts: true,
      logDestination: { write: (line: string) => void lines.push(JSON.parse(line) as Line) },
    },
  );
  running.push(service);
  return { service, lines };
}

describe('service server', { timeout: 15_000 }, () => {
  it('answers live and ready (no checks) under the base path, and the routes below it', async () => {
    const { service } = await start('/ai');
    expect((await request(service.port, '/ai/healthz/live')).status).toBe(200);
    const ready = await request(service.port, '/ai/healthz/ready');
    expect(ready.status).toBe(200);
    expect(JSON.parse(ready.body)).toEqual({ status: 'ready', checks: [] });
    expect(JSON.parse((await request(service.port, '/ai/hello')).body)).toEqual({ hello: 'world' });
    // Outside the base path nothing is served.
    expect((await request(service.port, '/healthz/live')).status).toBe(404);
    expect((await request(service.port, '/hello')).status).toBe(404);
    expect((await request(service.port, '/aihello')).status).toBe(404);
  });

  it('matches :name segments after exact routes, decodes them, and labels the metrics with the pattern', async () => {
    const { service } = await start('/ai', (ctx) => {
      ctx.server.route('GET', '/items/:id', ({ res, params }) => sendJson(res, 200, { params }));
      ctx.server.route('GET', '/items/special', ({ res, params }) => sendJson(res, 200, { special: true, params }));
      ctx.server.route('DELETE', '/items/:id/tags/:tag', ({ res, params }) => sendJson(res, 200, { params }));
    });
    const get = async (path: string, method = 'GET') => {
      const answer = await request(service.port, path, { method });
      return { status: answer.status, body: JSON.parse(answer.body) };
    };
    expect(await get('/ai/items/a%2Fb%20c')).toEqual({ status: 200, body: { params: { id: 'a/b c' } } });
    expect(await get('/ai/items/special')).toEqual({ status: 200, body: { special: true, params: {} } });
    expect(await get('/ai/items/1/tags/x', 'DELETE')).toEqual({ status: 200, body: { params: { id: '1', tag: 'x' } } });
    expect((await get('/ai/items/1/tags/x')).status).toBe(405);
    expect((await get('/ai/items/')).status).toBe(404);
    expect((await get('/ai/items/1/2')).status).toBe(404);
    expect((await get('/ai/items/%E0%A4%A')).status).toBe(400);
    expect((await get('/ai/items/:id')).body.params).toEqual({ id: ':id' });
    const metrics = await (await fetch(`http://127.0.0.1:${service.metricsPort}/metrics`)).text();
    expect(metrics).toContain('route="/items/:id"');
    expect(metrics).not.toContain('route="/items/a');
  });

  it('is ready only when every dependency answers: a failing and a slow one give 503 naming them, within the timeout', async () => {
    let healthy = false;
    const { service, lines } = await start('/', ({ server }) => {
      server.readiness('postgres', async () => {
        if (!healthy) throw new Error('connection refused');
      });
      server.readiness('prometheus', () => new Promise((resolve) => setTimeout(resolve, healthy ? 0 : 5000)));
      server.readiness('redis', async () => 'PONG');
    });
    const started = Date.now();
    const answer = await request(service.port, '/healthz/ready');
    const elapsed = Date.now() - started;
    expect(answer.status).toBe(503);
    expect(JSON.parse(answer.body)).toEqual({
      status: 'not ready',
      failed: [
        { name: 'postgres', error: 'connection refused' },
        { name: 'prometheus', error: 'no answer within 300 ms' },
      ],
    });
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(2000);
    expect(lines.find((l) => l['msg'] === 'not ready')).toMatchObject({ level: 'warn', failed: [{ name: 'postgres' }, { name: 'prometheus' }] });
    // Liveness does not depend on them.
    expect((await request(service.port, '/healthz/live')).status).toBe(200);
    healthy = true;
    const ok = await request(service.port, '/healthz/ready');
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body)).toEqual({ status: 'ready', checks: ['postgres', 'prometheus', 'redis'] });
  });

  it('echoes the client request id and puts it on every log line of the request', async () => {
    const { service, lines } = await start();
    const answer = await request(service.port, '/hello', { headers: { 'x-request-id': 'abc-123' } });
    expect(answer.headers['x-request-id']).toBe('abc-123');
    const ofRequest = lines.filter((l) => l['requestId'] === 'abc-123');
    expect(ofRequest.map((l) => l['msg'])).toEqual(['saying hello', 'request']);
    expect(ofRequest[1]).toMatchObject({ level: 'info', service: 'kit-test', method: 'GET', path: '/hello', route: '/hello', status: 200 });
    expect(typeof ofRequest[1]!['time']).toBe('string');
  });

  it('generates a request id when none (or an unsafe one) is given', async () => {
    const { service, lines } = await start();
    const first = await request(service.port, '/hello');
    const second = await request(service.port, '/hello', { headers: { 'x-request-id': 'bad id\twith spaces' } });
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
    expect(first.headers['x-request-id']).toMatch(uuid);
    expect(second.headers['x-request-id']).toMatch(uuid);
    expect(first.headers['x-request-id']).not.toBe(second.headers['x-request-id']);
    expect(lines.filter((l) => l['msg'] === 'request').map((l) => l['requestId'])).toEqual([first.headers['x-request-id'], second.headers['x-request-id']]);
  });

  it('answers 413 as JSON on a body above the limit (declared or streamed), and reads a body below it', async () => {
    const { service } = await start();
    const declared = await request(service.port, '/echo', { method: 'POST', body: Buffer.alloc(2000, 'a') });
    expect(declared.status).toBe(413);
    expect(JSON.parse(declared.body)).toMatchObject({ error: 'request body larger than 1024 bytes' });
    const streamed = await request(service.port, '/echo', { method: 'POST', chunks: [Buffer.alloc(600, 'a'), Buffer.alloc(600, 'b')] });
    expect(streamed.status).toBe(413);
    const small = await request(service.port, '/echo', { method: 'POST', body: 'x'.repeat(1024) });
    expect(small.status).toBe(200);
    expect(JSON.parse(small.body)).toEqual({ bytes: 1024 });
  });

  it('answers errors as JSON: 404, 405 with Allow, 400 on bad JSON, 500 without internals; 204 when a handler writes nothing', async () => {
    const { service, lines } = await start();
    const missing = await request(service.port, '/nope', { headers: { 'x-request-id': 'r404' } });
    expect(missing.status).toBe(404);
    expect(missing.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(JSON.parse(missing.body)).toEqual({ error: 'no route for /nope', requestId: 'r404' });
    const wrongMethod = await request(service.port, '/hello', { method: 'DELETE' });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers['allow']).toBe('GET');
    const badJson = await request(service.port, '/json', { method: 'POST', body: '{nope' });
    expect(badJson.status).toBe(400);
    expect(JSON.parse(badJson.body)).toMatchObject({ error: 'request body is not valid JSON' });
    expect(JSON.parse((await request(service.port, '/json', { method: 'POST', body: '{"a":1}' })).body)).toEqual({ a: 1 });
    const nothing = await request(service.port, '/nothing', { method: 'PUT' });
    expect([nothing.status, nothing.body]).toEqual([204, '']);
    const boom = await request(service.port, '/boom');
    expect(boom.status).toBe(500);
    expect(boom.body).not.toContain('secret internals');
    expect(lines.find((l) => l['msg'] === 'unhandled error in a route')).toMatchObject({ level: 'error', err: { message: 'secret internals' } });
  });

  it('serves /metrics on the metrics port only, with process metrics, the request histogram and the service’s own', async () => {
    const { service } = await start('/', ({ registry }) => {
      registry.registerMetric(new Counter({ name: 'kit_test_things_total', help: 'things', registers: [] }));
    });
    await request(service.port, '/hello');
    expect((await request(service.port, '/metrics')).status).toBe(404);
    await request(service.port, '/nope');
    const metrics = await request(service.metricsPort, '/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.headers['content-type']).toContain('text/plain');
    expect(metrics.body).toContain('process_cpu_user_seconds_total{service="kit-test"}');
    expect(metrics.body).toContain('nodejs_heap_size_used_bytes{service="kit-test"}');
    expect(metrics.body).toMatch(/http_request_duration_seconds_count\{service="kit-test",method="GET",route="\/hello",status="200"\} 1/);
    expect(metrics.body).toMatch(/http_request_duration_seconds_count\{service="kit-test",method="GET",route="unmatched",status="404"\} 2/);
    expect(metrics.body).toContain('# TYPE kit_test_things_total counter');
    expect((await request(service.metricsPort, '/hello')).status).toBe(404);
  });

  it('keeps services apart: two services do not share metrics (per-service registry)', async () => {
    const a = await start();
    const b = await start();
    await request(a.service.port, '/hello');
    const ofB = await request(b.service.metricsPort, '/metrics');
    expect(ofB.body).not.toMatch(/route="\/hello"/);
  });
});
