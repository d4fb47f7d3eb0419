import * as z from 'zod/mini';
import { toJSONSchema, type $ZodType } from 'zod/v4/core';
import { issueLine } from '../../../core/zod-issue-text.js';
import { HttpError, sendJson, type RequestContext, type ServiceServer } from '../../kit/server.js';
import { readInput } from '../input.js';

/**
 * The gateway's API as data: each operation names its method, path, the least role it needs
 * (or {@link PUBLIC}: sign-in), the zod/mini schemas of its query, body and answer, and its
 * handler. The same table registers the routes (parsing and refusing bad input with 400 before any
 * handler runs, authorising, rate-limiting, auditing mutations before they are forwarded: a
 * `requested` row first, then `done <status>` or `failed <status>` with the error) and generates
 * the OpenAPI 3.1 document of `GET /api/openapi.json` from what it registered
 * ({@link registeredOperations}): what is documented is what is enforced.
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

/** What the table needs from the rest of the gateway; `P` is the caller as the authentication describes them. */
export interface OperationDeps<P extends ApiPrincipal = ApiPrincipal> {
  /** The caller with at least `role` (401 without credentials, 403 below the role; CSRF checked for cookie mutations). */
  authorize(ctx: RequestContext, role: ApiRole, mutating: boolean): Promise<P>;
  /** Counts the request against the caller's rate limit; throws 429 when over it. */
  limit(principal: P, ctx: RequestContext): Promise<void>;
  /**
   * Appends an audit row: must not resolve before the row is stored, rejects when it cannot
   * (having logged it). A rejected `requested` row refuses the request; a rejected outcome row is
   * ignored (the change is made: the answer says so).
   */
  audit(ctx: RequestContext, principal: P, entry: AuditEntry): Promise<void>;
}

/** The input a handler receives, parsed. */
export interface OperationInput<Q, B, P extends ApiPrincipal = ApiPrincipal> {
  readonly ctx: RequestContext;
  readonly principal: P;
  readonly params: Readonly<Record<string, string>>;
  readonly query: Q;
  readonly body: B;
}

/** The input of a {@link PUBLIC} operation: no caller yet. */
export type PublicInput<Q, B> = Omit<OperationInput<Q, B>, 'principal'>;

/** What a handler answers. */
export interface OperationResult {
  /** Default the operation's {@link OperationCommon.status}. */
  readonly status?: number;
  /** The JSON body; undefined: none (204, a redirect). */
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
  /** What the outcome row of a mutation adds (not sent). */
  readonly auditDetail?: Record<string, unknown>;
}

type AnySchema = z.ZodMiniType;

/** The role of an operation open to anyone (sign-in): no credential asked, no rate limit, no audit by the table. */
export const PUBLIC = 'public';

/** What every operation declares. */
interface OperationCommon<Q extends AnySchema, B extends AnySchema> {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** OpenAPI path below the API prefix's `/v1`, with `{name}` parameters: `/silences/{id}`. */
  readonly path: string;
  readonly summary: string;
  /** More words for the document. */
  readonly description?: string;
  /** Group in the document (`alerts`, `metrics`, …). */
  readonly tag: string;
  readonly query?: Q;
  /** Schema of the body (JSON; the gateway's forms post the same fields as strings). */
  readonly body?: B;
  /** Schema of the success answer, for the document; absent: no body. */
  readonly response?: AnySchema;
  /** Status of success (default 200): answered unless the handler says otherwise, and documented. */
  readonly status?: number;
  /** Other answers of this operation for the document, by status: their description. */
  readonly responses?: Readonly<Record<number, string>>;
}

/** One operation of the API for callers with at least `role`. */
export interface Operation<Q extends AnySchema = AnySchema, B extends AnySchema = AnySchema, P extends ApiPrincipal = ApiPrincipal> extends OperationCommon<Q, B> {
  /** Least role allowed. */
  readonly role: ApiRole;
  /** What an audit row names as the target of a mutation (default the path). */
  readonly target?: (input: OperationInput<z.infer<Q>, z.infer<B>, P>) => string;
  /** What the `requested` row of a mutation adds. */
  readonly auditDetail?: (input: OperationInput<z.infer<Q>, z.infer<B>, P>) => Record<string, unknown>;
  readonly handler: (input: OperationInput<z.infer<Q>, z.infer<B>, P>) => Promise<OperationResult> | OperationResult;
}

/** An operation open to anyone ({@link PUBLIC}): its handler does its own checks and audit. */
export interface PublicOperation<Q extends AnySchema = AnySchema, B extends AnySchema = AnySchema> extends OperationCommon<Q, B> {
  readonly role: typeof PUBLIC;
  readonly handler: (input: PublicInput<z.infer<Q>, z.infer<B>>) => Promise<OperationResult> | OperationResult;
}

/** An entry of the table. */
export type AnyOperation<P extends ApiPrincipal = ApiPrincipal> = Operation<AnySchema, AnySchema, P> | PublicOperation;

/** Declares an operation with its types inferred from its schemas. */
export function operation<Q extends AnySchema = z.ZodMiniObject<{}>, B extends AnySchema = z.ZodMiniUndefined, P extends ApiPrincipal = ApiPrincipal>(op: Operation<Q, B, P>): Operation<AnySchema, AnySchema, P> {
  return op as unknown as Operation<AnySchema, AnySchema, P>;
}

/** Declares a {@link PUBLIC} operation. */
export function publicOperation<Q extends AnySchema = z.ZodMiniObject<{}>, B extends AnySchema = z.ZodMiniUndefined>(op: PublicOperation<Q, B>): PublicOperation {
  return op as unknown as PublicOperation;
}

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

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

/** The query and body of a request, parsed by the operation's schemas (400 naming the field). */
async function parsedInput(op: AnyOperation<never>, ctx: RequestContext): Promise<{ query: unknown; body: unknown }> {
  const query = parse<unknown>(op.query ?? z.object({}), queryObject(ctx.url, op.query), 'query');
  const body = op.body ? parse<unknown>(op.body, (await readInput(ctx.req)).fields, 'body') : undefined;
  return { query, body };
}

function answer(ctx: RequestContext, status: number, result: OperationResult): void {
  if (result.body !== undefined) return sendJson(ctx.res, status, result.body, result.headers);
  ctx.res.writeHead(status, result.headers ?? {});
  ctx.res.end();
}

/** The operations registered on each server, by API prefix (what the document lists). */
const registered = new WeakMap<ServiceServer, { readonly prefix: string; readonly op: AnyOperation<never> }[]>();

/** The operations {@link registerOperations} registered on `server` under `prefix`, in order. */
export function registeredOperations(server: ServiceServer, prefix: string): AnyOperation[] {
  return (registered.get(server) ?? []).filter((r) => r.prefix === prefix).map((r) => r.op as AnyOperation);
}

/** Registers every operation under `<prefix>/v1` on `server`. */
export function registerOperations<P extends ApiPrincipal>(server: ServiceServer, prefix: string, operations: readonly AnyOperation<P>[], deps: OperationDeps<P>): void {
  const list = registered.get(server) ?? [];
  registered.set(server, list);
  for (const op of operations) {
    const mutating = MUTATING.has(op.method);
    server.route(op.method, routePath(prefix, op.path), async (ctx) => {
      if (op.role === PUBLIC) {
        const result = await op.handler({ ctx, params: ctx.params, ...(await parsedInput(op, ctx)) } as PublicInput<never, never>);
        return answer(ctx, result.status ?? op.status ?? 200, result);
      }
      const principal = await deps.authorize(ctx, op.role, mutating);
      await deps.limit(principal, ctx);
      const input = { ctx, principal, params: ctx.params, ...(await parsedInput(op, ctx)) } as OperationInput<never, never, P>;
      if (!mutating) {
        const result = await op.handler(input);
        return answer(ctx, result.status ?? op.status ?? 200, result);
      }
      const target = op.target?.(input) ?? ctx.path;
      const detail = op.auditDetail?.(input);
      // The row is written before anything is forwarded: a mutation never happens unrecorded.
      await deps.audit(ctx, principal, { target, outcome: 'requested', ...(detail ? { detail } : {}) });
      // The outcome row after the fact: its failure is logged by `audit` and must not turn a made change into an error.
      const outcome = (entry: AuditEntry) => deps.audit(ctx, principal, entry).catch(() => undefined);
      let result: OperationResult;
      try {
        result = await op.handler(input);
      } catch (error) {
        await outcome({ target, outcome: `failed ${error instanceof HttpError ? error.status : 500}`, detail: { error: error instanceof Error ? error.message : String(error) } });
        throw error;
      }
      const status = result.status ?? op.status ?? 200;
      await outcome({ target, outcome: `done ${status}`, ...(result.auditDetail ? { detail: result.auditDetail } : {}) });
      answer(ctx, status, result);
    });
    list.push({ prefix, op: op as AnyOperation<never> });
  }
}

/** JSON Schema (2020-12, as OpenAPI 3.1 takes it) of a zod/mini schema. */
const jsonSchema = (schema: AnySchema, io: 'input' | 'output') => {
  const { $schema: _, ...rest } = toJSONSchema(schema as unknown as $ZodType, { io, unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
};

const ERROR = { type: 'object', properties: { error: { type: 'string' }, requestId: { type: 'string' } }, required: ['error'] };

/** The answers every operation may give (an operation's own `responses` add to them or reword them). */
const COMMON_RESPONSES: Readonly<Record<number, string>> = {
  400: 'Invalid input',
  401: 'No valid session or API key',
  403: 'Role too low, or a missing CSRF token',
  429: 'Rate limit reached',
  502: 'The component behind it did not answer',
  503: 'A store of the gateway (or its audit row) is unavailable: nothing was changed',
};

/** The OpenAPI 3.1 document of `operations` under `<prefix>/v1`. */
export function openApiDocument(operations: readonly AnyOperation<never>[], o: { prefix: string; title: string; version: string; description: string }): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of operations) {
    const path = `${o.prefix}/v1${op.path}`;
    const names = [...op.path.matchAll(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g)].map((m) => m[1]!);
    const querySchema = op.query ? (jsonSchema(op.query, 'input') as { properties?: Record<string, unknown>; required?: string[] }) : {};
    const parameters = [
      ...names.map((name) => ({ name, in: 'path', required: true, schema: { type: 'string' } })),
      ...Object.entries(querySchema.properties ?? {}).map(([name, schema]) => ({ name, in: 'query', required: querySchema.required?.includes(name) ?? false, schema })),
    ];
    const open = op.role === PUBLIC;
    const mutating = MUTATING.has(op.method);
    const status = op.status ?? 200;
    const errors = { ...(open ? { 400: COMMON_RESPONSES[400]! } : COMMON_RESPONSES), ...op.responses };
    const who = open ? 'No credential needed.' : `Least role: ${op.role}.${mutating ? ' Audited before it is forwarded; cookie sessions send X-CSRF-Token.' : ''}`;
    (paths[path] ??= {})[op.method.toLowerCase()] = {
      operationId: `${op.method.toLowerCase()}${op.path.replace(/\{([^}]+)\}/g, 'By_$1').replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string | undefined) => (c ? c.toUpperCase() : ''))}`,
      summary: op.summary,
      tags: [op.tag],
      description: op.description ? `${who} ${op.description}` : who,
      ...(open ? { security: [] } : {}),
      ...(parameters.length > 0 ? { parameters } : {}),
      ...(op.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(op.body, 'input') } } } } : {}),
      responses: {
        [String(status)]: op.response ? { description: 'OK', content: { 'application/json': { schema: jsonSchema(op.response, 'output') } } } : { description: 'Done, no content' },
        ...Object.fromEntries(
          Object.entries(errors).map(([code, description]) => [code, Number(code) >= 400 ? { description, content: { 'application/json': { schema: ERROR } } } : { description }]),
        ),
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
