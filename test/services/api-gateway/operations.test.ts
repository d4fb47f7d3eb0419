/**
 * The API table's own rules (src/services/api-gateway/api/operations.ts) on a kit server with fake
 * authorisation and audit: a public operation (sign-in) is served without asking for a caller and
 * documented with `security: []`; an operation's success status is answered and documented, a
 * bodyless answer (204, a redirect) has no body; a mutation gets exactly one `requested` row before
 * the handler and one outcome row after it (`done <status>` with the handler's detail, or
 * `failed <status>` with the error), and an outcome row that cannot be written does not turn a made
 * change into an error. And the identity's operations (routes/auth.ts, routes/users.ts) as the
 * table registers them: a valid OpenAPI 3.1 document listing exactly the server's routes under the
 * API prefix.
 */
import { Validator } from '@seriousme/openapi-schema-validator';
import * as z from 'zod/mini';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApiDocument, operation, publicOperation, registeredOperations, registerOperations, type ApiPrincipal, type AuditEntry } from '../../../src/services/api-gateway/api/operations.js';
import type { GatewayDeps } from '../../../src/services/api-gateway/deps.js';
import { registerAuthRoutes } from '../../../src/services/api-gateway/routes/auth.js';
import { registerUserRoutes } from '../../../src/services/api-gateway/routes/users.js';
import { startService, type RunningService } from '../../../src/services/kit/run.js';
import { HttpError } from '../../../src/services/kit/server.js';
import { routesUnder } from '../../support/server-routes.js';
import { request } from '../kit/http.js';

const rows: AuditEntry[] = [];
let failOutcomeRows = false;
let authorized = 0;
let service: RunningService;
const changes: string[] = [];

const ops = [
  publicOperation({
    method: 'POST',
    path: '/open',
    tag: 'test',
    summary: 'open to anyone',
    role: 'public',
    body: z.object({ name: z.string() }),
    response: z.object({ hello: z.string() }),
    handler: ({ body }) => (body.name === 'redirect' ? { status: 303, headers: { location: '/elsewhere' } } : { body: { hello: body.name } }),
  }),
  operation({
    method: 'POST',
    path: '/things',
    tag: 'test',
    summary: 'makes a thing',
    role: 'operator',
    body: z.object({ name: z.string() }),
    status: 201,
    response: z.object({ made: z.string() }),
    target: ({ body }) => `thing:${body.name}`,
    auditDetail: ({ body }) => ({ name: body.name }),
    handler: ({ body }) => {
      if (body.name === 'taken') throw new HttpError(409, 'exists');
      changes.push(body.name);
      return { body: { made: body.name }, auditDetail: { id: 7 } };
    },
  }),
  operation({
    method: 'DELETE',
    path: '/things/{id}',
    tag: 'test',
    summary: 'removes a thing',
    role: 'operator',
    status: 204,
    handler: ({ params }) => {
      changes.push(`-${params['id']}`);
      return {};
    },
  }),
];

beforeAll(async () => {
  service = await startService(
    {
      name: 'operations-test',
      build: ({ server }) => {
        registerOperations(server, '/api', ops, {
          async authorize(ctx) {
            authorized += 1;
            if (!ctx.req.headers['x-test-user']) throw new HttpError(401, 'sign in');
            return { username: String(ctx.req.headers['x-test-user']), role: 'operator', via: 'api-key' } satisfies ApiPrincipal;
          },
          async limit() {},
          async audit(_ctx, _principal, entry) {
            if (failOutcomeRows && entry.outcome !== 'requested') throw new Error('the audit table is gone');
            rows.push(entry);
          },
        });
      },
    },
    { env: { BASE_PATH: '/', LOG_LEVEL: 'fatal' }, host: '127.0.0.1', ephemeralPorts: true, logDestination: { write: () => undefined } },
  );
});

afterAll(async () => {
  await service?.shutdown('test');
});

const send = (method: string, path: string, body?: unknown, user?: string) =>
  request(service.port, path, { method, ...(body !== undefined ? { body: JSON.stringify(body) } : {}), headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...(user ? { 'x-test-user': user } : {}) } });

describe('the API table', () => {
  it('serves a public operation without asking for a caller, validates its body, and sends a redirect without a body', async () => {
    const before = authorized;
    expect(await send('POST', '/api/v1/open', { name: 'ann' })).toMatchObject({ status: 200, body: '{"hello":"ann"}' });
    expect((await send('POST', '/api/v1/open', {})).status).toBe(400);
    const moved = await send('POST', '/api/v1/open', { name: 'redirect' });
    expect([moved.status, moved.headers.location, moved.body]).toEqual([303, '/elsewhere', '']);
    expect(authorized).toBe(before);
    expect(rows).toEqual([]);
  });

  it('answers the operation\u2019s status; one requested row with its detail before the change, one outcome row after', async () => {
    rows.length = 0;
    expect((await send('POST', '/api/v1/things', { name: 'one' })).status).toBe(401);
    expect(rows).toEqual([]);
    const made = await send('POST', '/api/v1/things', { name: 'one' }, 'olga');
    expect([made.status, made.body]).toEqual([201, '{"made":"one"}']);
    const refused = await send('POST', '/api/v1/things', { name: 'taken' }, 'olga');
    expect(refused.status).toBe(409);
    const removed = await send('DELETE', '/api/v1/things/one', undefined, 'olga');
    expect([removed.status, removed.body, removed.headers['content-length']]).toEqual([204, '', undefined]);
    expect(rows).toEqual([
      { target: 'thing:one', outcome: 'requested', detail: { name: 'one' } },
      { target: 'thing:one', outcome: 'done 201', detail: { id: 7 } },
      { target: 'thing:taken', outcome: 'requested', detail: { name: 'taken' } },
      { target: 'thing:taken', outcome: 'failed 409', detail: { error: 'exists' } },
      { target: '/api/v1/things/one', outcome: 'requested' },
      { target: '/api/v1/things/one', outcome: 'done 204' },
    ]);
  });

  it('answers a made change even when its outcome row cannot be written', async () => {
    failOutcomeRows = true;
    try {
      const made = await send('POST', '/api/v1/things', { name: 'two' }, 'olga');
      expect(made.status).toBe(201);
      expect(changes).toContain('two');
    } finally {
      failOutcomeRows = false;
    }
  });

  it('documents the success status, a bodyless answer, and a public operation without security', async () => {
    const doc = openApiDocument(ops, { prefix: '/api', title: 't', version: '1', description: 'd' }) as { paths: Record<string, Record<string, any>> };
    const result = await new Validator().validate(doc as Parameters<Validator['validate']>[0]);
    expect(result.errors ?? []).toEqual([]);
    expect(doc.paths['/api/v1/open']!.post.security).toEqual([]);
    expect(doc.paths['/api/v1/open']!.post.responses['401']).toBeUndefined();
    expect(Object.keys(doc.paths['/api/v1/things']!.post.responses)).toContain('201');
    expect(doc.paths['/api/v1/things']!.post.responses['200']).toBeUndefined();
    expect(doc.paths['/api/v1/things/{id}']!.delete.responses['204']).toEqual({ description: 'Done, no content' });
    expect(doc.paths['/api/v1/things']!.post.security).toBeUndefined();
  });
});

describe('the identity operations in the table', () => {
  it('document exactly the registered identity routes under /api as valid OpenAPI 3.1; sign-in is public', async () => {
    const identity = await startService(
      {
        name: 'identity-operations-test',
        build: ({ server }) => {
          // Registration reads only the prefix; no handler runs here.
          const deps = { apiPrefix: '/api' } as GatewayDeps;
          registerAuthRoutes(server, deps);
          registerUserRoutes(server, deps);
        },
      },
      { env: { BASE_PATH: '/', LOG_LEVEL: 'fatal' }, host: '127.0.0.1', ephemeralPorts: true, logDestination: { write: () => undefined } },
    );
    try {
      const doc = openApiDocument(registeredOperations(identity.server, '/api'), { prefix: '/api', title: 't', version: '1', description: 'd' }) as { paths: Record<string, Record<string, any>> };
      const result = await new Validator().validate(doc as Parameters<Validator['validate']>[0]);
      expect(result.errors ?? []).toEqual([]);
      const listed = Object.entries(doc.paths).flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`));
      expect(listed.sort()).toEqual(routesUnder(identity.server, '/api'));
      expect(listed.sort()).toEqual([
        'DELETE /api/v1/api-keys/{id}',
        'GET /api/v1/api-keys',
        'GET /api/v1/audit',
        'GET /api/v1/auth/me',
        'GET /api/v1/users',
        'GET /api/v1/users/{username}',
        'PATCH /api/v1/users/{username}',
        'POST /api/v1/api-keys',
        'POST /api/v1/auth/login',
        'POST /api/v1/auth/logout',
        'POST /api/v1/auth/password',
        'POST /api/v1/users',
      ]);
      const login = doc.paths['/api/v1/auth/login']!.post;
      expect(login.security).toEqual([]);
      expect(login.requestBody.content['application/json'].schema.required).toEqual(['username', 'password']);
      expect(doc.paths['/api/v1/users']!.post.description).toContain('Least role: admin');
      expect(Object.keys(doc.paths['/api/v1/users']!.post.responses)).toEqual(expect.arrayContaining(['201', '409']));
      expect(doc.paths['/api/v1/auth/logout']!.post.responses['204']).toBeDefined();
      expect(doc.paths['/api/v1/audit']!.get.parameters.map((p: { name: string }) => p.name)).toEqual(['actor', 'outcome', 'target', 'method', 'requestId', 'since', 'until', 'before', 'limit']);
    } finally {
      await identity.shutdown('test');
    }
  });
});
