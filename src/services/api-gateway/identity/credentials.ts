/**
 * Who a request is: an API key (`Authorization: Bearer aiops_<id>_<secret>`), else the session
 * cookie. An Authorization header that is not one of our keys is ignored (it may be meant for the
 * UI behind the gateway); a malformed or refused key of ours is a refusal, never a fall-back to
 * the cookie.
 *
 * A session is checked against its user in PostgreSQL: gone, disabled, or a credentials epoch
 * other than the session's (a disable, role or password change since the login) ends it. That
 * check holds even where {@link SessionStore.destroyAllOf} could not reach a session (memory
 * sessions of other replicas, a Redis failure midway). Users are cached per process for
 * {@link DEFAULT_USER_CACHE_MS} (a change made through another replica applies within that time;
 * one made here at once, through {@link Credentials.forget}).
 */
import type { IncomingMessage } from 'node:http';
import { sessionIdOf } from './cookies.js';
import type { Role } from './roles.js';
import type { SessionRecord, SessionStore } from './sessions.js';
import type { ApiKeyPrincipal, ApiKeyRefusal, AuthUser } from './store.js';

/** How long a user's row is trusted from memory: 5 s. */
export const DEFAULT_USER_CACHE_MS = 5_000;
/** Most users cached at once. */
const CACHE_MAX = 10_000;

/** An authenticated caller. */
export interface Principal {
  /** The username as stored (its case). */
  readonly username: string;
  readonly role: Role;
  readonly via: 'session' | 'api-key';
  /** The session (via `session`): its id (for logout) and record (its CSRF token). */
  readonly session?: { readonly id: string; readonly record: SessionRecord };
  /** The key's id (via `api-key`). */
  readonly keyId?: string;
}

/** Why no principal: `none` (no credential) or what was wrong with the one given (logs only). */
export type RefusalReason = 'none' | 'session-unknown' | 'user-gone' | 'user-disabled' | 'session-revoked' | ApiKeyRefusal;

export type Resolution =
  | { readonly principal: Principal; readonly reason?: undefined; readonly keyId?: undefined }
  | { readonly principal?: undefined; readonly reason: RefusalReason; readonly keyId?: string };

/** What the credentials are checked against (store.ts' IdentityStore; fakes in tests). */
export interface CredentialUsers {
  authUser(username: string): Promise<AuthUser | undefined>;
  verifyApiKey(token: string): Promise<{ ok: true; principal: ApiKeyPrincipal } | { ok: false; reason: ApiKeyRefusal; keyId?: string }>;
}

/** The bearer token of an `Authorization: Bearer aiops_…` header, or undefined (absent, another scheme, another kind of token). */
export function apiKeyOf(req: IncomingMessage): string | undefined {
  const m = /^Bearer +(\S+) *$/i.exec(req.headers.authorization ?? '');
  return m && m[1]!.startsWith('aiops_') ? m[1] : undefined;
}

/** Resolves requests to principals; rejects only when a store fails (the caller answers 503). */
export class Credentials {
  private readonly cache = new Map<string, { user: AuthUser | undefined; at: number }>();
  private readonly cacheMs: number;
  private readonly now: () => number;

  constructor(
    private readonly sessions: SessionStore,
    private readonly users: CredentialUsers,
    opts: { cacheMs?: number; now?: () => number } = {},
  ) {
    this.cacheMs = opts.cacheMs ?? DEFAULT_USER_CACHE_MS;
    this.now = opts.now ?? Date.now;
  }

  /** The principal of `req`, or why there is none. */
  async resolve(req: IncomingMessage): Promise<Resolution> {
    const key = apiKeyOf(req);
    if (key !== undefined) {
      const verified = await this.users.verifyApiKey(key);
      if (!verified.ok) return { reason: verified.reason, keyId: verified.keyId };
      const p = verified.principal;
      return { principal: { username: p.username, role: p.role, via: 'api-key', keyId: p.keyId } };
    }
    const id = sessionIdOf(req);
    if (id === undefined) return { reason: 'none' };
    const record = await this.sessions.get(id);
    if (!record) return { reason: 'session-unknown' };
    const user = await this.user(record.username);
    const refusal: RefusalReason | undefined = !user ? 'user-gone' : user.disabled ? 'user-disabled' : user.epoch !== record.epoch ? 'session-revoked' : undefined;
    if (refusal) {
      await this.sessions.destroy(id);
      return { reason: refusal };
    }
    return { principal: { username: user!.username, role: user!.role, via: 'session', session: { id, record } } };
  }

  /** Drops `username` from the cache (after a change made through this process). */
  forget(username: string): void {
    this.cache.delete(username.toLowerCase());
  }

  private async user(username: string): Promise<AuthUser | undefined> {
    const name = username.toLowerCase();
    const now = this.now();
    const cached = this.cache.get(name);
    if (cached && now - cached.at < this.cacheMs) return cached.user;
    const user = await this.users.authUser(username);
    if (this.cacheMs > 0) {
      if (this.cache.size >= CACHE_MAX) this.cache.clear();
      this.cache.set(name, { user, at: now });
    }
    return user;
  }
}
