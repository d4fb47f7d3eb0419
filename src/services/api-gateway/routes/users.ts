/**
 * Users, API keys and the audit, under `<api>/v1`, as operations of the API table
 * (api/operations.ts: the same schemas validate and document them):
 * - `GET /users`, `POST /users` `{username, password, role}`, `GET /users/{username}`,
 *   `PATCH /users/{username}` `{role?, disabled?, password?}` (admin). A disable, role or password
 *   change ends the user's sessions; the last enabled admin cannot be demoted or disabled (409).
 * - `GET /api-keys` (own; `?all=true` or `?owner=` for admins), `POST /api-keys`
 *   `{name, role?, expiresInDays?}` (from a signed-in session; role ≤ own, default own; the key is
 *   in this answer only), `DELETE /api-keys/{id}` (own; any for admins).
 * - `GET /audit` (admin): `actor`, `outcome`, `target`, `method`, `requestId`, `since`, `until`
 *   (ISO 8601 or epoch ms), `before` (a row id, for paging), `limit` (1-1000, default 100); newest first.
 * Every change writes its audit row before it is made, then its outcome (the table does).
 */
import * as z from 'zod/mini';
import { HttpError, type ServiceServer } from '../../kit/server.js';
import type { AnyOperation } from '../api/operations.js';
import type { GatewayDeps } from '../deps.js';
import type { Principal } from '../identity/credentials.js';
import { hashPassword, passwordProblem, PASSWORD_MAX_LENGTH } from '../identity/passwords.js';
import { can, ROLES } from '../identity/roles.js';
import { KeyRoleError, LastAdminError, MAX_AUDIT_ROWS, UserExistsError, usernameProblem, type ApiKeyView, type AuditRow, type UserView } from '../identity/store.js';
import { endSessionsOf } from './auth.js';
import { guarded, registerGuardedOperations } from './table.js';

const NO_STORE = { 'cache-control': 'no-store' };
/** Longest API key name. */
const MAX_KEY_NAME = 100;
/** Longest expiry of an API key: 10 years. */
const MAX_KEY_DAYS = 3650;
/** Longest password a request carries (longer: 400; passwords.ts counts characters). */
const MAX_PASSWORD_INPUT = 4 * PASSWORD_MAX_LENGTH;

/** A string check from a `problem` function of the identity (undefined: fine). */
const noProblem = (problem: (value: string) => string | undefined) =>
  z.superRefine((value: string, ctx) => {
    const found = problem(value);
    if (found) ctx.issues.push({ code: 'custom', message: found, input: value });
  });

const role = z.enum(ROLES);
const time = z.string().check(z.describe('ISO 8601'));
const nullableTime = z.nullable(time);

/** A stored type as its JSON carries it: dates become ISO strings. */
type AsJson<T> = { [K in keyof T]: T[K] extends Date ? string : T[K] extends Date | null ? string | null : T[K] };
/** True only when A and B are the same type: the documented answers are checked against the store's types. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

const user = z.object({ username: z.string(), role, disabled: z.boolean(), createdAt: time, updatedAt: time, passwordChangedAt: time, lastLoginAt: nullableTime });
const apiKey = z.object({ id: z.string(), name: z.string(), owner: z.string(), role, createdAt: time, expiresAt: nullableTime, lastUsedAt: nullableTime, revokedAt: nullableTime });
const auditRow = z.object({
  id: z.string(),
  at: time,
  actor: z.nullable(z.string()),
  role: z.nullable(role),
  method: z.string(),
  path: z.string(),
  target: z.nullable(z.string()),
  outcome: z.string(),
  requestId: z.string(),
  source: z.nullable(z.string()),
  detail: z.unknown(),
});
const documented: [Same<z.infer<typeof user>, AsJson<UserView>>, Same<z.infer<typeof apiKey>, AsJson<ApiKeyView>>, Same<Required<z.infer<typeof auditRow>>, Required<AsJson<AuditRow>>>] = [true, true, true];
void documented;

/** A query text of at most 200 characters; empty means absent. */
const textParam = z.optional(z.pipe(z.string().check(z.maxLength(200)), z.transform((s) => (s === '' ? undefined : s))));

/** A query time: ISO 8601 or epoch milliseconds; empty means absent. */
const timeParam = z.optional(
  z.pipe(
    z.string().check(z.describe('ISO 8601 or epoch milliseconds')),
    z.transform((raw, ctx): Date | undefined => {
      if (raw === '') return undefined;
      const date = /^\d{1,15}$/.test(raw) ? new Date(Number(raw)) : /^\d{4}-\d{2}-\d{2}/.test(raw) ? new Date(raw) : new Date(NaN);
      if (!Number.isNaN(date.getTime())) return date;
      ctx.issues.push({ code: 'custom', message: 'expected an ISO 8601 time or epoch milliseconds', input: raw });
      return z.NEVER;
    }),
  ),
);

/** The audit listing's `limit`: 1-1000, default 100 (empty too). */
const limitParam = z.optional(
  z.pipe(
    z.string().check(z.describe(`1-${MAX_AUDIT_ROWS}, default 100`)),
    z.transform((raw, ctx): number => {
      if (raw === '') return 100;
      const n = /^\d{1,4}$/.test(raw) ? Number(raw) : NaN;
      if (n >= 1 && n <= MAX_AUDIT_ROWS) return n;
      ctx.issues.push({ code: 'custom', message: `expected an integer 1-${MAX_AUDIT_ROWS}`, input: raw });
      return z.NEVER;
    }),
  ),
);

const newUser = z
  .object({
    username: z.string().check(z.maxLength(64), noProblem(usernameProblem)),
    password: z.string().check(z.maxLength(MAX_PASSWORD_INPUT)),
    role: z.optional(role),
  })
  .check(
    z.superRefine((v, ctx) => {
      const problem = usernameProblem(v.username) ? undefined : passwordProblem(v.password, v.username);
      if (problem) ctx.issues.push({ code: 'custom', path: ['password'], message: problem, input: v.password });
    }),
  );

const userChanges = z
  .object({ role: z.optional(role), disabled: z.optional(z.boolean()), password: z.optional(z.string().check(z.maxLength(MAX_PASSWORD_INPUT))) })
  .check(
    z.superRefine((v, ctx) => {
      if (v.role === undefined && v.disabled === undefined && v.password === undefined) ctx.issues.push({ code: 'custom', message: 'nothing to change: send role, disabled or password', input: v });
    }),
  );

const newKey = z.object({
  name: z.string().check(z.trim(), z.minLength(1), z.maxLength(MAX_KEY_NAME), z.regex(/^[^\u0000-\u001f\u007f]*$/, 'no control characters')),
  role: z.optional(role),
  expiresInDays: z.optional(z.int().check(z.minimum(1), z.maximum(MAX_KEY_DAYS))),
});

/** The user named in the path, 404 when it cannot be a username. */
function pathUsername(params: Readonly<Record<string, string>>): string {
  const name = params['username']!;
  if (usernameProblem(name)) throw new HttpError(404, 'no such user');
  return name;
}

/** The user, API-key and audit operations. */
export function userOperations(deps: GatewayDeps): AnyOperation<Principal>[] {
  return [
    guarded({
      method: 'GET',
      path: '/users',
      tag: 'users',
      summary: 'The users',
      role: 'admin',
      response: z.object({ users: z.array(user) }),
      handler: async () => ({ body: { users: await deps.store.listUsers() }, headers: NO_STORE }),
    }),
    guarded({
      method: 'POST',
      path: '/users',
      tag: 'users',
      summary: 'Creates a user (role default viewer; a password of at least 12 characters, not the username)',
      role: 'admin',
      body: newUser,
      status: 201,
      response: z.object({ user }),
      responses: { 409: 'A user of that name exists (any case)' },
      target: ({ body }) => `user:${body.username}`,
      auditDetail: ({ body }) => ({ role: body.role ?? 'viewer' }),
      handler: async ({ body }) => {
        try {
          return { body: { user: await deps.store.createUser(body.username, body.role ?? 'viewer', await hashPassword(body.password)) }, headers: NO_STORE };
        } catch (err) {
          if (err instanceof UserExistsError) throw new HttpError(409, err.message);
          throw err;
        }
      },
    }),
    guarded({
      method: 'GET',
      path: '/users/{username}',
      tag: 'users',
      summary: 'One user',
      role: 'admin',
      response: z.object({ user }),
      responses: { 404: 'No such user' },
      handler: async ({ params }) => {
        const found = await deps.store.getUser(pathUsername(params));
        if (!found) throw new HttpError(404, 'no such user');
        return { body: { user: found }, headers: NO_STORE };
      },
    }),
    guarded({
      method: 'PATCH',
      path: '/users/{username}',
      tag: 'users',
      summary: "Changes a user's role, state or password; a change ends their sessions",
      role: 'admin',
      body: userChanges,
      response: z.object({ user, sessionsEnded: z.number() }),
      responses: { 404: 'No such user', 409: 'The last enabled admin cannot be demoted or disabled' },
      target: ({ params }) => `user:${params['username']}`,
      auditDetail: ({ body }) => ({
        ...(body.role ? { role: body.role } : {}),
        ...(body.disabled !== undefined ? { disabled: body.disabled } : {}),
        ...(body.password !== undefined ? { password: 'changed' } : {}),
      }),
      handler: async ({ ctx, params, body }) => {
        const username = pathUsername(params);
        if (body.password !== undefined) {
          const problem = passwordProblem(body.password, username);
          if (problem) throw new HttpError(400, `body.password: ${problem}`);
        }
        let updated;
        try {
          updated = await deps.store.updateUser(username, { role: body.role, disabled: body.disabled, passwordHash: body.password === undefined ? undefined : await hashPassword(body.password) });
        } catch (err) {
          if (err instanceof LastAdminError) throw new HttpError(409, err.message);
          throw err;
        }
        if (!updated) throw new HttpError(404, 'no such user');
        deps.credentials.forget(username);
        const sessionsEnded = updated.revoke ? await endSessionsOf(deps, ctx, updated.user.username) : 0;
        return { body: { user: updated.user, sessionsEnded }, headers: NO_STORE, auditDetail: { sessionsEnded } };
      },
    }),
    guarded({
      method: 'GET',
      path: '/api-keys',
      tag: 'api-keys',
      summary: 'API keys: your own; every user\u2019s (all=true) or one owner\u2019s for admins',
      role: 'viewer',
      query: z.object({ all: z.optional(z.enum(['true', 'false'])), owner: textParam }),
      response: z.object({ apiKeys: z.array(apiKey) }),
      handler: async ({ principal, query }) => {
        const all = query.all === 'true';
        const owner = query.owner;
        if ((all || (owner !== undefined && owner.toLowerCase() !== principal.username.toLowerCase())) && !can(principal.role, 'allApiKeys')) {
          throw new HttpError(403, 'listing other users\u2019 API keys needs the admin role');
        }
        return { body: { apiKeys: await deps.store.listApiKeys(all ? undefined : (owner ?? principal.username)) }, headers: NO_STORE };
      },
    }),
    guarded({
      method: 'POST',
      path: '/api-keys',
      tag: 'api-keys',
      summary: 'Creates an API key for yourself, from a signed-in session (role up to yours, default yours); the key is in this answer only',
      role: 'viewer',
      body: newKey,
      status: 201,
      response: z.object({ key: z.string(), apiKey, note: z.string() }),
      target: ({ body }) => `api-key:${body.name}`,
      auditDetail: ({ body, principal }) => ({ name: body.name, role: body.role ?? principal.role, expiresInDays: body.expiresInDays ?? null }),
      handler: async ({ body, principal }) => {
        if (!principal.session) throw new HttpError(403, 'create API keys from a signed-in session (not with an API key)');
        const expiresAt = body.expiresInDays !== undefined ? new Date(Date.now() + body.expiresInDays * 86_400_000) : null;
        let made;
        try {
          made = await deps.store.createApiKey(principal.username, body.name, body.role ?? principal.role, expiresAt);
        } catch (err) {
          if (err instanceof KeyRoleError) throw new HttpError(403, err.message);
          throw err;
        }
        if (!made) throw new HttpError(403, 'your user is gone or disabled');
        return { body: { key: made.key, apiKey: made.view, note: 'the key is shown only now: store it' }, headers: NO_STORE, auditDetail: { keyId: made.view.id, expiresAt } };
      },
    }),
    guarded({
      method: 'DELETE',
      path: '/api-keys/{id}',
      tag: 'api-keys',
      summary: 'Revokes an API key: your own; any for admins',
      role: 'viewer',
      response: z.object({ apiKey }),
      responses: { 404: 'No such API key (or not yours)' },
      target: ({ params }) => `api-key:${params['id']}`,
      handler: async ({ params, principal }) => {
        const id = params['id']!;
        if (!/^[0-9a-f]{16}$/.test(id)) throw new HttpError(404, 'no such API key');
        const revoked = await deps.store.revokeApiKey(id, can(principal.role, 'allApiKeys') ? undefined : principal.username);
        if (!revoked) throw new HttpError(404, 'no such API key');
        return { body: { apiKey: revoked }, headers: NO_STORE };
      },
    }),
    guarded({
      method: 'GET',
      path: '/audit',
      tag: 'audit',
      summary: 'The audit rows, newest first, filtered',
      role: 'admin',
      query: z.object({
        actor: textParam,
        outcome: textParam,
        target: textParam,
        method: textParam,
        requestId: textParam,
        since: timeParam,
        until: timeParam,
        before: z.optional(z.pipe(z.string().check(z.regex(/^(\d{1,18})?$/, 'expected a row id')), z.transform((s) => (s === '' ? undefined : s)))),
        limit: limitParam,
      }),
      response: z.object({ audit: z.array(auditRow) }),
      handler: async ({ query }) => {
        const { before, limit, ...filter } = query;
        return { body: { audit: await deps.store.listAudit({ ...filter, beforeId: before, limit: limit ?? 100 }) }, headers: NO_STORE };
      },
    }),
  ];
}

/** Registers the user, API-key and audit operations under `<api>/v1`. */
export function registerUserRoutes(server: ServiceServer, deps: GatewayDeps): void {
  registerGuardedOperations(server, deps, userOperations(deps));
}
