/**
 * The gateway's identity data in PostgreSQL (through kit/postgres.ts): users, API keys and the
 * append-only audit. The service creates the schema itself (schema.ts): versioned migrations,
 * idempotent, applied in one transaction under an advisory lock (replicas starting together
 * never race). Every statement is a constant text with `$n` parameters; identifiers are constants.
 *
 * - `gateway_users`: username unique ignoring case (an index on lower(username)), role
 *   viewer|operator|admin, disabled, scrypt hash (passwords.ts), `credentials_epoch` (bumped by
 *   a disable, a role or a password change: sessions of an older epoch are refused), timestamps.
 * - `gateway_api_keys`: `aiops_<id>_<secret>`; only the SHA-256 of the secret is stored (the
 *   secret is 256 random bits: a slow hash adds nothing); role ≤ the owner's at creation (and the
 *   lower of the two at use), optional expiry, revocation, last use (written at most once a minute).
 * - `gateway_audit`: one row per event (actor, role, method, path, target, outcome, request id,
 *   source address, detail); a trigger refuses UPDATE, DELETE and TRUNCATE.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Pool } from 'pg';
import type { Registry } from 'prom-client';
import { API_GATEWAY_METRICS } from '../../../core/api-gateway-metrics.js';
import { GATEWAY_USERNAME } from '../../../core/gateway-auth.js';
import type { Logger } from '../../kit/log.js';
import { createPostgresStore, inTransaction, pgJsonText, pgText, type PostgresConnection, type PostgresPoolOptions } from '../../kit/postgres.js';
import { hashPassword } from './passwords.js';
import { MIGRATION_LOCK, MIGRATIONS } from './schema.js';
import { atLeast, lowerRole, type Role } from './roles.js';

/** A username: a letter or digit, then letters, digits, `.`, `_`, `@`, `-`; at most 64 characters (it travels in headers to Grafana; src/core/gateway-auth.ts). */
export const USERNAME_PATTERN = GATEWAY_USERNAME;

/** Why `name` cannot be a username, or undefined. */
export function usernameProblem(name: string): string | undefined {
  return USERNAME_PATTERN.test(name) ? undefined : 'a username has 1-64 characters: a letter or digit first, then letters, digits, ".", "_", "@" or "-"';
}

/** A user as the API shows it (never the hash). */
export interface UserView {
  readonly username: string;
  readonly role: Role;
  readonly disabled: boolean;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly passwordChangedAt: Date;
  readonly lastLoginAt: Date | null;
}

/** What a sign-in needs of a user. */
export interface LoginUser {
  readonly id: string;
  readonly username: string;
  readonly role: Role;
  readonly disabled: boolean;
  readonly passwordHash: string;
  readonly epoch: number;
}

/** What a request's credentials are checked against. */
export interface AuthUser {
  readonly username: string;
  readonly role: Role;
  readonly disabled: boolean;
  readonly epoch: number;
}

/** An API key as the API shows it (never the secret or its hash). */
export interface ApiKeyView {
  readonly id: string;
  readonly name: string;
  readonly owner: string;
  readonly role: Role;
  readonly createdAt: Date;
  readonly expiresAt: Date | null;
  readonly lastUsedAt: Date | null;
  readonly revokedAt: Date | null;
}

/** A verified API key: who acts and with which role (the lower of the key's and its owner's). */
export interface ApiKeyPrincipal {
  readonly keyId: string;
  readonly username: string;
  readonly role: Role;
}

/** Why an API key was refused (logs only: the client hears 401). */
export type ApiKeyRefusal = 'malformed' | 'unknown' | 'wrong-secret' | 'revoked' | 'expired' | 'owner-disabled';

/** One audit row to write. */
export interface AuditEntry {
  readonly actor: string | null;
  readonly role: Role | null;
  readonly method: string;
  readonly path: string;
  readonly target: string | null;
  /** `attempted`, `succeeded`, `failed`, `denied`, `forwarded`, `locked`… */
  readonly outcome: string;
  readonly requestId: string;
  readonly source: string | null;
  readonly detail?: unknown;
}

/** An audit row as read back. */
export interface AuditRow extends Omit<AuditEntry, 'detail'> {
  readonly id: string;
  readonly at: Date;
  readonly detail: unknown;
}

/** Filters of {@link IdentityStore.listAudit}; all optional but the limit. */
export interface AuditFilter {
  readonly actor?: string;
  readonly outcome?: string;
  readonly target?: string;
  readonly method?: string;
  readonly requestId?: string;
  readonly since?: Date;
  readonly until?: Date;
  /** Rows with a smaller id only (paging: the last id of the previous page). */
  readonly beforeId?: string;
  /** 1..{@link MAX_AUDIT_ROWS}. */
  readonly limit: number;
}

/** Most rows one audit listing returns. */
export const MAX_AUDIT_ROWS = 1000;

/** A user of that name exists already (any case). */
export class UserExistsError extends Error {
  constructor(username: string) {
    super(`a user named ${JSON.stringify(username)} exists already`);
    this.name = 'UserExistsError';
  }
}

/** The change would leave no enabled admin. */
export class LastAdminError extends Error {
  constructor() {
    super('this is the last enabled admin: make another user admin first');
    this.name = 'LastAdminError';
  }
}

/** An API key's role above its owner's. */
export class KeyRoleError extends Error {
  constructor(keyRole: Role, ownerRole: Role) {
    super(`an API key's role cannot be above its owner's: ${keyRole} requested, the owner is ${ownerRole}`);
    this.name = 'KeyRoleError';
  }
}

/** Changes of {@link IdentityStore.updateUser}. */
export interface UserChanges {
  readonly role?: Role;
  readonly disabled?: boolean;
  /** A new stored hash (passwords.ts). */
  readonly passwordHash?: string;
}

/** The result of {@link IdentityStore.updateUser}: the user after, and whether their sessions must end. */
export interface UserUpdate {
  readonly user: UserView;
  /** True when the credentials epoch was bumped (disable, role or password change). */
  readonly revoke: boolean;
  /** The credentials epoch after the change (a session created now carries it). */
  readonly epoch: number;
}

/** `aiops_<16 hex>_<43 base64url>`. */
const API_KEY_SHAPE = /^aiops_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

/** True when `token` has the shape of one of our API keys (not that it is valid). */
export function looksLikeApiKey(token: string): boolean {
  return API_KEY_SHAPE.test(token);
}

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest();

const USER_COLUMNS = 'username, role, disabled, created_at, updated_at, password_changed_at, last_login_at';

interface UserRow {
  username: string;
  role: Role;
  disabled: boolean;
  created_at: Date;
  updated_at: Date;
  password_changed_at: Date;
  last_login_at: Date | null;
}

function userView(r: UserRow): UserView {
  return {
    username: r.username,
    role: r.role,
    disabled: r.disabled,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    passwordChangedAt: r.password_changed_at,
    lastLoginAt: r.last_login_at,
  };
}

const KEY_COLUMNS = 'k.id, k.name, u.username AS owner, k.role, k.created_at, k.expires_at, k.last_used_at, k.revoked_at';

interface KeyRow {
  id: string;
  name: string;
  owner: string;
  role: Role;
  created_at: Date;
  expires_at: Date | null;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

function keyView(r: KeyRow): ApiKeyView {
  return { id: r.id, name: r.name, owner: r.owner, role: r.role, createdAt: r.created_at, expiresAt: r.expires_at, lastUsedAt: r.last_used_at, revokedAt: r.revoked_at };
}

interface AuditDbRow {
  id: string;
  at: Date;
  actor: string | null;
  role: Role | null;
  method: string;
  path: string;
  target: string | null;
  outcome: string;
  request_id: string;
  source: string | null;
  detail: unknown;
}

/** Longest text kept in an audit column (a made-up username or a long path is cut). */
const AUDIT_TEXT_MAX = 2000;
const cut = (s: string | null): string | null => (s === null ? null : pgText(s.length > AUDIT_TEXT_MAX ? `${s.slice(0, AUDIT_TEXT_MAX)}…` : s));

/** What {@link createIdentityStore} needs. */
export interface IdentityStoreOptions extends PostgresPoolOptions {
  readonly connection: PostgresConnection;
  readonly log: Logger;
  readonly registry: Registry;
}

/** The gateway's users, API keys and audit in PostgreSQL. */
export class IdentityStore {
  readonly pool: Pool;
  /** The server, for log lines (no password). */
  readonly where: string;
  private readonly base: ReturnType<typeof createPostgresStore>;
  private readonly log: Logger;

  constructor(o: IdentityStoreOptions) {
    this.base = createPostgresStore({
      ...o,
      max: o.max ?? 4,
      applicationName: o.applicationName ?? 'aiops-api-gateway',
      schema: { what: 'API gateway identity', versionsTable: 'gateway_schema_migrations', lock: MIGRATION_LOCK, migrations: MIGRATIONS },
      failures: { name: API_GATEWAY_METRICS.auditWriteFailures, help: 'Audit rows of the API gateway that could not be written (the request was refused).' },
    });
    this.pool = this.base.pool;
    this.where = this.base.where;
    this.log = o.log;
  }

  /** PostgreSQL answers `SELECT 1` within the ping timeout. */
  ready(): Promise<void> {
    return this.base.ready();
  }

  /** Applies the migrations not applied yet. */
  migrate(): Promise<void> {
    return this.base.migrate();
  }

  close(): Promise<void> {
    return this.base.close();
  }

  // -------------------------------------------------------------------------------------------
  // Users

  /**
   * The first admin: created with `password` when no user has `username` (any case); an existing
   * user is never changed (its password, role and state stay). Resolves to what happened.
   */
  async ensureAdmin(username: string, password: string): Promise<'created' | 'exists'> {
    const existing = await this.pool.query('SELECT 1 FROM gateway_users WHERE lower(username) = lower($1)', [username]);
    if (existing.rowCount) {
      this.log.info({ username }, 'admin user exists: left unchanged (ADMIN_PASSWORD applies only when it is created)');
      return 'exists';
    }
    const hash = await hashPassword(password);
    const inserted = await this.pool.query(
      "INSERT INTO gateway_users (username, role, password_hash) VALUES ($1, 'admin', $2) ON CONFLICT ((lower(username))) DO NOTHING RETURNING id",
      [username, hash],
    );
    if (!inserted.rowCount) {
      this.log.info({ username }, 'admin user exists (created by another replica): left unchanged');
      return 'exists';
    }
    this.log.info({ username }, 'admin user created');
    return 'created';
  }

  /** Creates a user; throws {@link UserExistsError} when the name is taken (any case). */
  async createUser(username: string, role: Role, passwordHash: string): Promise<UserView> {
    const { rows } = await this.pool.query<UserRow>(
      `INSERT INTO gateway_users (username, role, password_hash) VALUES ($1, $2, $3) ON CONFLICT ((lower(username))) DO NOTHING RETURNING ${USER_COLUMNS}`,
      [username, role, passwordHash],
    );
    if (!rows[0]) throw new UserExistsError(username);
    return userView(rows[0]);
  }

  /** Every user, by name. */
  async listUsers(): Promise<UserView[]> {
    const { rows } = await this.pool.query<UserRow>(`SELECT ${USER_COLUMNS} FROM gateway_users ORDER BY lower(username)`);
    return rows.map(userView);
  }

  /** The user named `username` (any case), or undefined. */
  async getUser(username: string): Promise<UserView | undefined> {
    const { rows } = await this.pool.query<UserRow>(`SELECT ${USER_COLUMNS} FROM gateway_users WHERE lower(username) = lower($1)`, [username]);
    return rows[0] ? userView(rows[0]) : undefined;
  }

  /** What a sign-in needs of `username` (any case), or undefined. */
  async userForLogin(username: string): Promise<LoginUser | undefined> {
    const { rows } = await this.pool.query<{ id: string; username: string; role: Role; disabled: boolean; password_hash: string; credentials_epoch: number }>(
      'SELECT id, username, role, disabled, password_hash, credentials_epoch FROM gateway_users WHERE lower(username) = lower($1)',
      [username],
    );
    const r = rows[0];
    return r ? { id: String(r.id), username: r.username, role: r.role, disabled: r.disabled, passwordHash: r.password_hash, epoch: r.credentials_epoch } : undefined;
  }

  /** What a session is checked against, or undefined when the user is gone. */
  async authUser(username: string): Promise<AuthUser | undefined> {
    const { rows } = await this.pool.query<{ username: string; role: Role; disabled: boolean; credentials_epoch: number }>(
      'SELECT username, role, disabled, credentials_epoch FROM gateway_users WHERE lower(username) = lower($1)',
      [username],
    );
    const r = rows[0];
    return r ? { username: r.username, role: r.role, disabled: r.disabled, epoch: r.credentials_epoch } : undefined;
  }

  /** Stores a new hash of the same password (re-hash on login) unless the hash changed meanwhile. */
  async rehashPassword(id: string, oldHash: string, newHash: string): Promise<void> {
    await this.pool.query('UPDATE gateway_users SET password_hash = $3 WHERE id = $1 AND password_hash = $2', [id, oldHash, newHash]);
  }

  /** Records a successful sign-in. */
  async recordLogin(id: string): Promise<void> {
    await this.pool.query('UPDATE gateway_users SET last_login_at = now() WHERE id = $1', [id]);
  }

  /**
   * Applies `changes` to `username` in one transaction (serialised with the other user changes
   * by an advisory lock): undefined when there is no such user; throws {@link LastAdminError}
   * when no enabled admin would remain. A disable, a role change or a new password bumps the
   * credentials epoch (`revoke`: the caller ends the user's sessions).
   */
  async updateUser(username: string, changes: UserChanges): Promise<UserUpdate | undefined> {
    return inTransaction(this.pool, async (client) => {
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', ['aiops.gateway_users']);
      const { rows } = await client.query<{ id: string; role: Role; disabled: boolean }>('SELECT id, role, disabled FROM gateway_users WHERE lower(username) = lower($1) FOR UPDATE', [username]);
      const before = rows[0];
      if (!before) return undefined;
      const role = changes.role ?? before.role;
      const disabled = changes.disabled ?? before.disabled;
      const wasAdmin = before.role === 'admin' && !before.disabled;
      if (wasAdmin && (role !== 'admin' || disabled)) {
        const admins = await client.query<{ n: string }>("SELECT count(*) AS n FROM gateway_users WHERE role = 'admin' AND NOT disabled");
        if (Number(admins.rows[0]!.n) <= 1) throw new LastAdminError();
      }
      const revoke = role !== before.role || (disabled && !before.disabled) || changes.passwordHash !== undefined;
      const updated = await client.query<UserRow & { credentials_epoch: number }>(
        `UPDATE gateway_users SET role = $2, disabled = $3,
           password_hash = COALESCE($4, password_hash),
           password_changed_at = CASE WHEN $4::text IS NULL THEN password_changed_at ELSE now() END,
           credentials_epoch = credentials_epoch + $5,
           updated_at = now()
         WHERE id = $1 RETURNING ${USER_COLUMNS}, credentials_epoch`,
        [before.id, role, disabled, changes.passwordHash ?? null, revoke ? 1 : 0],
      );
      const row = updated.rows[0]!;
      return { user: userView(row), revoke, epoch: row.credentials_epoch };
    });
  }

  // -------------------------------------------------------------------------------------------
  // API keys

  /**
   * Creates an API key of `owner` (any case) with `role` (≤ the owner's, else {@link KeyRoleError})
   * expiring at `expiresAt` (none: never). Resolves to the key, shown once, and its view;
   * undefined when the owner does not exist or is disabled.
   */
  async createApiKey(owner: string, name: string, role: Role, expiresAt: Date | null): Promise<{ key: string; view: ApiKeyView } | undefined> {
    return inTransaction(this.pool, async (client) => {
      const { rows } = await client.query<{ id: string; username: string; role: Role; disabled: boolean }>(
        'SELECT id, username, role, disabled FROM gateway_users WHERE lower(username) = lower($1) FOR SHARE',
        [owner],
      );
      const user = rows[0];
      if (!user || user.disabled) return undefined;
      if (!atLeast(user.role, role)) throw new KeyRoleError(role, user.role);
      const id = randomBytes(8).toString('hex');
      const secret = randomBytes(32).toString('base64url');
      const inserted = await client.query<Omit<KeyRow, 'owner'>>(
        'INSERT INTO gateway_api_keys (id, owner_id, name, role, secret_hash, expires_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id, name, role, created_at, expires_at, last_used_at, revoked_at',
        [id, user.id, pgText(name), role, sha256(secret), expiresAt],
      );
      return { key: `aiops_${id}_${secret}`, view: keyView({ ...inserted.rows[0]!, owner: user.username }) };
    });
  }

  /** API keys of `owner` (any case), or of everyone when undefined; newest first. */
  async listApiKeys(owner?: string): Promise<ApiKeyView[]> {
    const { rows } =
      owner === undefined
        ? await this.pool.query<KeyRow>(`SELECT ${KEY_COLUMNS} FROM gateway_api_keys k JOIN gateway_users u ON u.id = k.owner_id ORDER BY k.created_at DESC, k.id`)
        : await this.pool.query<KeyRow>(
            `SELECT ${KEY_COLUMNS} FROM gateway_api_keys k JOIN gateway_users u ON u.id = k.owner_id WHERE lower(u.username) = lower($1) ORDER BY k.created_at DESC, k.id`,
            [owner],
          );
    return rows.map(keyView);
  }

  /** The key `id` (of `owner` only, when given), or undefined. */
  async getApiKey(id: string, owner?: string): Promise<ApiKeyView | undefined> {
    const { rows } = await this.pool.query<KeyRow>(
      `SELECT ${KEY_COLUMNS} FROM gateway_api_keys k JOIN gateway_users u ON u.id = k.owner_id WHERE k.id = $1 AND ($2::text IS NULL OR lower(u.username) = lower($2))`,
      [id, owner ?? null],
    );
    return rows[0] ? keyView(rows[0]) : undefined;
  }

  /** Revokes the key `id` (of `owner` only, when given): its view after, or undefined when there is none. Revoking twice keeps the first time. */
  async revokeApiKey(id: string, owner?: string): Promise<ApiKeyView | undefined> {
    await this.pool.query(
      `UPDATE gateway_api_keys k SET revoked_at = now() FROM gateway_users u
       WHERE u.id = k.owner_id AND k.id = $1 AND k.revoked_at IS NULL AND ($2::text IS NULL OR lower(u.username) = lower($2))`,
      [id, owner ?? null],
    );
    return this.getApiKey(id, owner);
  }

  /**
   * Verifies an `aiops_<id>_<secret>` key: found by id, its secret's SHA-256 compared in constant
   * time, then not revoked, not expired, owner enabled. The role is the lower of the key's and
   * the owner's current one. Its last use is written at most once a minute (not awaited).
   */
  async verifyApiKey(token: string): Promise<{ ok: true; principal: ApiKeyPrincipal } | { ok: false; reason: ApiKeyRefusal; keyId?: string }> {
    const m = API_KEY_SHAPE.exec(token);
    if (!m) return { ok: false, reason: 'malformed' };
    const [, id, secret] = m as unknown as [string, string, string];
    const { rows } = await this.pool.query<{
      secret_hash: Buffer;
      role: Role;
      revoked: boolean;
      expired: boolean;
      stale_use: boolean;
      username: string;
      owner_role: Role;
      disabled: boolean;
    }>(
      `SELECT k.secret_hash, k.role, k.revoked_at IS NOT NULL AS revoked, COALESCE(k.expires_at <= now(), false) AS expired,
         (k.last_used_at IS NULL OR k.last_used_at < now() - interval '1 minute') AS stale_use,
         u.username, u.role AS owner_role, u.disabled
       FROM gateway_api_keys k JOIN gateway_users u ON u.id = k.owner_id WHERE k.id = $1`,
      [id],
    );
    const r = rows[0];
    const given = sha256(secret);
    // Compared even for an unknown id, so that both take the same path.
    const matches = timingSafeEqual(given, r?.secret_hash.length === given.length ? r.secret_hash : sha256(`${secret}x`));
    if (!r) return { ok: false, reason: 'unknown', keyId: id };
    if (!matches) return { ok: false, reason: 'wrong-secret', keyId: id };
    if (r.revoked) return { ok: false, reason: 'revoked', keyId: id };
    if (r.expired) return { ok: false, reason: 'expired', keyId: id };
    if (r.disabled) return { ok: false, reason: 'owner-disabled', keyId: id };
    if (r.stale_use) {
      this.pool
        .query("UPDATE gateway_api_keys SET last_used_at = now() WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')", [id])
        .catch((err: unknown) => this.log.warn({ err, keyId: id }, 'recording the use of an API key failed'));
    }
    return { ok: true, principal: { keyId: id, username: r.username, role: lowerRole(r.role, r.owner_role) } };
  }

  // -------------------------------------------------------------------------------------------
  // Audit

  /** Appends one audit row; rejects on a database error (the caller must not go on with the change). */
  async appendAudit(e: AuditEntry): Promise<void> {
    await this.pool.query(
      `INSERT INTO gateway_audit (actor, role, method, path, target, outcome, request_id, source, detail)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb)`,
      [cut(e.actor), e.role, cut(e.method), cut(e.path), cut(e.target), cut(e.outcome), cut(e.requestId), cut(e.source), pgJsonText(e.detail)],
    );
  }

  /** Audit rows matching `f`, newest first. */
  async listAudit(f: AuditFilter): Promise<AuditRow[]> {
    if (!Number.isInteger(f.limit) || f.limit < 1 || f.limit > MAX_AUDIT_ROWS) throw new RangeError(`limit: expected an integer 1-${MAX_AUDIT_ROWS}`);
    const conditions: string[] = [];
    const values: unknown[] = [];
    // Constant column names and operators; every value a parameter.
    const where = (sql: string, value: unknown) => {
      values.push(value);
      conditions.push(sql.replace('?', `$${values.length}`));
    };
    if (f.actor !== undefined) where('lower(actor) = lower(?)', pgText(f.actor));
    if (f.outcome !== undefined) where('outcome = ?', pgText(f.outcome));
    if (f.target !== undefined) where('target = ?', pgText(f.target));
    if (f.method !== undefined) where('method = ?', pgText(f.method.toUpperCase()));
    if (f.requestId !== undefined) where('request_id = ?', pgText(f.requestId));
    if (f.since !== undefined) where('at >= ?', f.since);
    if (f.until !== undefined) where('at < ?', f.until);
    if (f.beforeId !== undefined) where('id < ?', f.beforeId);
    values.push(f.limit);
    const { rows } = await this.pool.query<AuditDbRow>(
      `SELECT id, at, actor, role, method, path, target, outcome, request_id, source, detail FROM gateway_audit
       ${conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : ''} ORDER BY id DESC LIMIT $${values.length}`,
      values,
    );
    return rows.map((r) => ({
      id: String(r.id),
      at: r.at,
      actor: r.actor,
      role: r.role,
      method: r.method,
      path: r.path,
      target: r.target,
      outcome: r.outcome,
      requestId: r.request_id,
      source: r.source,
      detail: r.detail,
    }));
  }
}

/** The store of `connection` (nothing connects until the first call). */
export function createIdentityStore(o: IdentityStoreOptions): IdentityStore {
  return new IdentityStore(o);
}
