/**
 * Users, API keys and the audit, under `<api>/v1`:
 * - `GET /users`, `POST /users` `{username, password, role}`, `GET /users/:username`,
 *   `PATCH /users/:username` `{role?, disabled?, password?}` (admin). A disable, role or password
 *   change ends the user's sessions; the last enabled admin cannot be demoted or disabled (409).
 * - `GET /api-keys` (own; `?all=true` or `?owner=` for admins), `POST /api-keys`
 *   `{name, role?, expiresInDays?}` (from a signed-in session; role ≤ own, default own; the key is
 *   in this answer only), `DELETE /api-keys/:id` (own; any for admins).
 * - `GET /audit` (admin): `actor`, `outcome`, `target`, `method`, `requestId`, `since`, `until`
 *   (ISO 8601 or epoch ms), `before` (a row id, for paging), `limit` (1-1000, default 100); newest first.
 * Every change writes its audit row before it is made, then its outcome (guard.ts).
 */
import { HttpError, sendJson, type RequestContext, type ServiceServer } from '../../kit/server.js';
import type { GatewayDeps } from '../deps.js';
import { hashPassword, passwordProblem, PASSWORD_MAX_LENGTH } from '../identity/passwords.js';
import { can, isRole, ROLES, type Role } from '../identity/roles.js';
import { KeyRoleError, LastAdminError, MAX_AUDIT_ROWS, UserExistsError, usernameProblem, type AuditFilter, type UserChanges } from '../identity/store.js';
import { readInput, stringField } from '../input.js';
import { endSessionsOf } from './auth.js';

const NO_STORE = { 'cache-control': 'no-store' };
/** Longest API key name. */
const MAX_KEY_NAME = 100;
/** Longest expiry of an API key: 10 years. */
const MAX_KEY_DAYS = 3650;

function roleField(value: unknown, name = 'role'): Role | undefined {
  if (value === undefined) return undefined;
  if (!isRole(value)) throw new HttpError(400, `${name}: expected one of ${ROLES.join(', ')}`);
  return value;
}

/** The user named in the path, 404 when it cannot be a username. */
function pathUsername(ctx: RequestContext): string {
  const name = ctx.params.username!;
  if (usernameProblem(name)) throw new HttpError(404, 'no such user');
  return name;
}

/** A time query parameter: ISO 8601 or epoch milliseconds; 400 otherwise. */
function timeParam(url: URL, name: string): Date | undefined {
  const raw = url.searchParams.get(name);
  if (raw === null || raw === '') return undefined;
  const date = /^\d{1,15}$/.test(raw) ? new Date(Number(raw)) : /^\d{4}-\d{2}-\d{2}/.test(raw) ? new Date(raw) : new Date(NaN);
  if (Number.isNaN(date.getTime())) throw new HttpError(400, `${name}: expected an ISO 8601 time or epoch milliseconds`);
  return date;
}

/** A text query parameter of at most 200 characters, or undefined. */
function textParam(url: URL, name: string): string | undefined {
  const raw = url.searchParams.get(name);
  if (raw === null || raw === '') return undefined;
  if (raw.length > 200) throw new HttpError(400, `${name}: at most 200 characters`);
  return raw;
}

async function createUser(ctx: RequestContext, deps: GatewayDeps): Promise<void> {
  const principal = await deps.guard.requireRole(ctx, 'admin');
  const input = await readInput(ctx.req);
  const username = stringField(input, 'username', 64) ?? '';
  const password = stringField(input, 'password', 4 * PASSWORD_MAX_LENGTH) ?? '';
  const role = roleField(input.fields.role) ?? 'viewer';
  const problem = usernameProblem(username) ?? passwordProblem(password, username);
  if (problem) throw new HttpError(400, problem);
  const user = await deps.guard.audited(
    ctx,
    principal,
    `user:${username}`,
    async () => {
      try {
        return await deps.store.createUser(username, role, await hashPassword(password));
      } catch (err) {
        if (err instanceof UserExistsError) throw new HttpError(409, err.message);
        throw err;
      }
    },
    { detail: { role }, status: 201 },
  );
  sendJson(ctx.res, 201, { user }, NO_STORE);
}

async function updateUser(ctx: RequestContext, deps: GatewayDeps): Promise<void> {
  const principal = await deps.guard.requireRole(ctx, 'admin');
  const username = pathUsername(ctx);
  const input = await readInput(ctx.req);
  const role = roleField(input.fields.role);
  const disabled = input.fields.disabled;
  if (disabled !== undefined && typeof disabled !== 'boolean') throw new HttpError(400, 'disabled: expected true or false');
  const password = stringField(input, 'password', 4 * PASSWORD_MAX_LENGTH);
  if (role === undefined && disabled === undefined && password === undefined) throw new HttpError(400, 'nothing to change: send role, disabled or password');
  if (password !== undefined) {
    const problem = passwordProblem(password, username);
    if (problem) throw new HttpError(400, problem);
  }
  const detail = { ...(role ? { role } : {}), ...(disabled !== undefined ? { disabled } : {}), ...(password !== undefined ? { password: 'changed' } : {}) };
  const result = await deps.guard.audited(
    ctx,
    principal,
    `user:${username}`,
    async () => {
      const changes: UserChanges = { role, disabled, passwordHash: password === undefined ? undefined : await hashPassword(password) };
      let updated;
      try {
        updated = await deps.store.updateUser(username, changes);
      } catch (err) {
        if (err instanceof LastAdminError) throw new HttpError(409, err.message);
        throw err;
      }
      if (!updated) throw new HttpError(404, 'no such user');
      deps.credentials.forget(username);
      const sessionsEnded = updated.revoke ? await endSessionsOf(deps, ctx, updated.user.username) : 0;
      return { user: updated.user, sessionsEnded };
    },
    { detail, after: (r) => ({ sessionsEnded: r.sessionsEnded }) },
  );
  sendJson(ctx.res, 200, result, NO_STORE);
}

async function listKeys(ctx: RequestContext, deps: GatewayDeps): Promise<void> {
  const principal = await deps.guard.requireRole(ctx, 'viewer');
  const all = ctx.url.searchParams.get('all') === 'true';
  const owner = textParam(ctx.url, 'owner');
  if ((all || (owner !== undefined && owner.toLowerCase() !== principal.username.toLowerCase())) && !can(principal.role, 'allApiKeys')) {
    throw new HttpError(403, 'listing other users\u2019 API keys needs the admin role');
  }
  sendJson(ctx.res, 200, { apiKeys: await deps.store.listApiKeys(all ? undefined : (owner ?? principal.username)) }, NO_STORE);
}

async function createKey(ctx: RequestContext, deps: GatewayDeps): Promise<void> {
  const principal = await deps.guard.requireRole(ctx, 'viewer');
  if (!principal.session) throw new HttpError(403, 'create API keys from a signed-in session (not with an API key)');
  const input = await readInput(ctx.req);
  const name = stringField(input, 'name', MAX_KEY_NAME)?.trim();
  if (!name) throw new HttpError(400, `name: required, 1-${MAX_KEY_NAME} characters`);
  if (/[\u0000-\u001f\u007f]/.test(name)) throw new HttpError(400, 'name: no control characters');
  const role = roleField(input.fields.role) ?? principal.role;
  const days = input.fields.expiresInDays;
  if (days !== undefined && (typeof days !== 'number' || !Number.isInteger(days) || days < 1 || days > MAX_KEY_DAYS)) {
    throw new HttpError(400, `expiresInDays: expected a whole number of days 1-${MAX_KEY_DAYS}`);
  }
  const expiresAt = typeof days === 'number' ? new Date(Date.now() + days * 86_400_000) : null;
  const created = await deps.guard.audited(
    ctx,
    principal,
    `api-key:${name}`,
    async () => {
      let made;
      try {
        made = await deps.store.createApiKey(principal.username, name, role, expiresAt);
      } catch (err) {
        if (err instanceof KeyRoleError) throw new HttpError(403, err.message);
        throw err;
      }
      if (!made) throw new HttpError(403, 'your user is gone or disabled');
      return made;
    },
    { detail: { name, role, expiresAt }, after: (made) => ({ keyId: made.view.id }), status: 201 },
  );
  sendJson(ctx.res, 201, { key: created.key, apiKey: created.view, note: 'the key is shown only now: store it' }, NO_STORE);
}

async function revokeKey(ctx: RequestContext, deps: GatewayDeps): Promise<void> {
  const principal = await deps.guard.requireRole(ctx, 'viewer');
  const id = ctx.params.id!;
  if (!/^[0-9a-f]{16}$/.test(id)) throw new HttpError(404, 'no such API key');
  const owner = can(principal.role, 'allApiKeys') ? undefined : principal.username;
  const apiKey = await deps.guard.audited(ctx, principal, `api-key:${id}`, async () => {
    const revoked = await deps.store.revokeApiKey(id, owner);
    if (!revoked) throw new HttpError(404, 'no such API key');
    return revoked;
  });
  sendJson(ctx.res, 200, { apiKey }, NO_STORE);
}

async function listAudit(ctx: RequestContext, deps: GatewayDeps): Promise<void> {
  await deps.guard.requireRole(ctx, 'admin');
  const url = ctx.url;
  const rawLimit = url.searchParams.get('limit');
  const limit = rawLimit === null || rawLimit === '' ? 100 : /^\d+$/.test(rawLimit) ? Number(rawLimit) : NaN;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_AUDIT_ROWS) throw new HttpError(400, `limit: expected an integer 1-${MAX_AUDIT_ROWS}`);
  const before = textParam(url, 'before');
  if (before !== undefined && !/^\d{1,18}$/.test(before)) throw new HttpError(400, 'before: expected a row id');
  const filter: AuditFilter = {
    actor: textParam(url, 'actor'),
    outcome: textParam(url, 'outcome'),
    target: textParam(url, 'target'),
    method: textParam(url, 'method'),
    requestId: textParam(url, 'requestId'),
    since: timeParam(url, 'since'),
    until: timeParam(url, 'until'),
    beforeId: before,
    limit,
  };
  sendJson(ctx.res, 200, { audit: await deps.store.listAudit(filter) }, NO_STORE);
}

/** Registers the user, API-key and audit routes under `<api>/v1`. */
export function registerUserRoutes(server: ServiceServer, deps: GatewayDeps): void {
  const api = `${deps.apiPrefix}/v1`;
  server.route('GET', `${api}/users`, async (ctx) => {
    await deps.guard.requireRole(ctx, 'admin');
    sendJson(ctx.res, 200, { users: await deps.store.listUsers() }, NO_STORE);
  });
  server.route('POST', `${api}/users`, (ctx) => createUser(ctx, deps));
  server.route('GET', `${api}/users/:username`, async (ctx) => {
    await deps.guard.requireRole(ctx, 'admin');
    const user = await deps.store.getUser(pathUsername(ctx));
    if (!user) throw new HttpError(404, 'no such user');
    sendJson(ctx.res, 200, { user }, NO_STORE);
  });
  server.route('PATCH', `${api}/users/:username`, (ctx) => updateUser(ctx, deps));
  server.route('GET', `${api}/api-keys`, (ctx) => listKeys(ctx, deps));
  server.route('POST', `${api}/api-keys`, (ctx) => createKey(ctx, deps));
  server.route('DELETE', `${api}/api-keys/:id`, (ctx) => revokeKey(ctx, deps));
  server.route('GET', `${api}/audit`, (ctx) => listAudit(ctx, deps));
}
