import * as z from 'zod/mini';
import { toJSONSchema, type $ZodType } from 'zod/v4/core';
import { issueLine } from '../../../core/zod-issue-text.js';
import { HttpError, readJson, sendJson, type RequestContext, type ServiceServer } from '../../kit/server.js';

/**
 * The platform API as data: each operation names its method, path, the least role it needs,
 * the zod/mini schemas of its query, body and answer, and its handler. The same table registers
 * the routes (parsing and refusing bad input with 400 before any handler runs, authorising,
 * rate-limiting, auditing mutations before they are forwarded) and generates the OpenAPI 3.1
 * document of `GET /api/openapi.json`: what is documented is what is enforced.
 */

/** Roles in increasing power. */
export const API_ROLES = ['viewer', 'operator', 'admin'] as const;
export type ApiRole = (typeof API_ROLES)[number];

/** Who is calling, as the authentication found them. */
export interface ApiPrincipal {
  readonly username: string;
  readonly role: ApiRole;
  readonly via: 'session' | 'api-key';
}

/** What one audit row says about a mutation. */
export interface AuditEntry {
  readonly target: string;
  readonly outcome: string;
  readonly detail?: Record<string, unknown>;
}

/** What the table needs from the rest of the gateway. */
export interface OperationDeps {
  /** The caller with at least `role` (401 without credentials, 403 below the role; CSRF checked for cookie mutations). */
  authorize(ctx: RequestContext, role: ApiRole, mutating: boolean): Promise<ApiPrincipal>;
  /** Counts the request against the caller's rate limit; throws 429 when over it. */
  limit(principal: ApiPrincipal, ctx: RequestContext): Promise<void>;
  /** Appends an audit row (must not resolve before the row is stored). */
  audit(ctx: RequestContext, principal: ApiPrincipal, entry: AuditEntry): Promise<void>;
}

/** The input a handler receives, parsed. */
export interface OperationInput<Q, B> {
  readonly ctx: RequestContext;
  readonly principal: ApiPrincipal;
  readonly params: Readonly<Record<string, string>>;
  readonly query: Q;
  readonly body: B;
}

/** What a handler answers: a JSON body with a status (default 200). */
export interface OperationResult {
  readonly status?: number;
  readonly body: unknown;
  readonly headers?: Record<string, string>;
}

type AnySchema = z.ZodMiniType;

/** One operation of the API. */
export interface Operation<Q extends AnySchema = AnySchema, B extends AnySchema = AnySchema> {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** OpenAPI path below the API prefix's `/v1`, with `{name}` parameters: `/silences/{id}`. */
  readonly path: string;
  readonly summary: string;
  /** Group in the document (`alerts`, `metrics`, …). */
  readonly tag: string;
  /** Least role allowed. */
  readonly role: ApiRole;
  readonly query?: Q;
  readonly body?: B;
  /** Schema of the 200 answer, for the document. */
  readonly response: AnySchema;
  /** What an audit row names as the target of a mutation (default the path). */
  readonly target?: (input: OperationInput<z.infer<Q>, z.infer<B>>) => string;
  readonly handler: (input: OperationInput<z.infer<Q>, z.infer<B>>) => Promise<OperationResult> | OperationResult;
}

/** Declares an operation with its types inferred from its schemas. */
export function operation<Q extends AnySchema = z.ZodMiniObject<{}>, B extends AnySchema = z.ZodMiniUndefined>(op: Operation<Q, B>): Operation {
  return op as unknown as Operation;
}

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** Largest JSON body an operation reads (64 KiB: silences and approvals are small). */
const BODY_LIMIT = 64 * 1024;

/** `/silences/{id}` → `/silences/:id` (the kit router's form). */
const routePath = (prefix: string, path: string) => `${prefix}/v1${path.replace(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g, ':$1')}`;

/** The query string as a plain object: each name once (a repeated name is a 400, except for array schemas, which get every value). */
function queryObject(url: URL, schema: AnySchema | undefined): Record<string, string | string[]> {
  const shape = (schema as { _zod?: { def?: { shape?: Record<string, { _zod?: { def?: { type?: string; innerType?: { _zod?: { def?: { type?: string } } } } } }> } } } | undefined)?._zod?.def?.shape ?? {};
  const out: Record<string, string | string[]> = {};
  for (const name of new Set(url.searchParams.keys())) {
    const all = url.searchParams.getAll(name);
    const def = shape[name]?._zod?.def;
    const isArray = def?.type === 'array' || def?.innerType?._zod?.def?.type === 'array';
    if (isArray) out[name] = all;
    else if (all.length > 1) throw new HttpError(400, `${name}: given more than once`);
    else out[name] = all[0]!;
  }
  return out;
}

function parse<T>(schema: AnySchema, value: unknown, where: string): T {
  const result = z.safeParse(schema, value);
  if (!result.success) throw new HttpError(400, result.error.issues.map((i) => issueLine(i, [where])).join('; '));
  return result.data as T;
}

/** Registers every operation under `<prefix>/v1` on `server`. */
export function registerOperations(server: ServiceServer, prefix: string, operations: readonly Operation[], deps: OperationDeps): void {
  for (const op of operations) {
    const mutating = MUTATING.has(op.method);
    server.route(op.method, routePath(prefix, op.path), async (ctx) => {
      const principal = await deps.authorize(ctx, op.role, mutating);
      await deps.limit(principal, ctx);
      const query = parse<unknown>(op.query ?? z.object({}), queryObject(ctx.url, op.query), 'query');
      const body = op.body ? parse<unknown>(op.body, await readJson(ctx.req, BODY_LIMIT), 'body') : undefined;
      const input = { ctx, principal, params: ctx.params, query, body } as OperationInput<never, never>;
      const target = op.target?.(input) ?? ctx.path;
      // The row is written before anything is forwarded: a mutation never happens unrecorded.
      if (mutating) await deps.audit(ctx, principal, { target, outcome: 'requested' });
      let result: OperationResult;
      try {
        result = await op.handler(input);
      } catch (error) {
        if (mutating) await deps.audit(ctx, principal, { target, outcome: error instanceof HttpError ? `failed ${error.status}` : 'failed' });
        throw error;
      }
      if (mutating) await deps.audit(ctx, principal, { target, outcome: `done ${result.status ?? 200}` });
      sendJson(ctx.res, result.status ?? 200, result.body, result.headers);
    });
  }
}

/** JSON Schema (2020-12, as OpenAPI 3.1 takes it) of a zod/mini schema. */
const jsonSchema = (schema: AnySchema, io: 'input' | 'output') => {
  const { $schema: _, ...rest } = toJSONSchema(schema as unknown as $ZodType, { io, unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
};

const ERROR = { type: 'object', properties: { error: { type: 'string' }, requestId: { type: 'string' } }, required: ['error'] };

/** The OpenAPI 3.1 document of `operations` under `<prefix>/v1`. */
export function openApiDocument(operations: readonly Operation[], o: { prefix: string; title: string; version: string; description: string }): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of operations) {
    const path = `${o.prefix}/v1${op.path}`;
    const names = [...op.path.matchAll(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g)].map((m) => m[1]!);
    const querySchema = op.query ? (jsonSchema(op.query, 'input') as { properties?: Record<string, unknown>; required?: string[] }) : {};
    const parameters = [
      ...names.map((name) => ({ name, in: 'path', required: true, schema: { type: 'string' } })),
      ...Object.entries(querySchema.properties ?? {}).map(([name, schema]) => ({ name, in: 'query', required: querySchema.required?.includes(name) ?? false, schema })),
    ];
    const mutating = MUTATING.has(op.method);
    (paths[path] ??= {})[op.method.toLowerCase()] = {
      operationId: `${op.method.toLowerCase()}${op.path.replace(/\{([^}]+)\}/g, 'By_$1').replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string | undefined) => (c ? c.toUpperCase() : ''))}`,
      summary: op.summary,
      tags: [op.tag],
      description: `Least role: ${op.role}.${mutating ? ' Audited before it is forwarded; cookie sessions send X-CSRF-Token.' : ''}`,
      ...(parameters.length > 0 ? { parameters } : {}),
      ...(op.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(op.body, 'input') } } } } : {}),
      responses: {
        '200': { description: 'OK', content: { 'application/json': { schema: jsonSchema(op.response, 'output') } } },
        '400': { description: 'Invalid input', content: { 'application/json': { schema: ERROR } } },
        '401': { description: 'No valid session or API key', content: { 'application/json': { schema: ERROR } } },
        '403': { description: `Role below ${op.role}, or a missing CSRF token`, content: { 'application/json': { schema: ERROR } } },
        '429': { description: 'Rate limit reached', content: { 'application/json': { schema: ERROR } } },
        '502': { description: 'The component behind it did not answer', content: { 'application/json': { schema: ERROR } } },
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: o.title, version: o.version, description: o.description },
    components: {
      securitySchemes: {
        session: { type: 'apiKey', in: 'cookie', name: 'aiops_session' },
        apiKey: { type: 'http', scheme: 'bearer', description: 'An API key `aiops_<id>_<secret>` created in the console or with POST /api/v1/api-keys.' },
      },
    },
    security: [{ session: [] }, { apiKey: [] }],
    paths,
  };
}
