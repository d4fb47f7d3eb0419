/**
 * Sessions: opaque 256-bit random ids (the cookie), stored server-side under the SHA-256 of the id
 * (a leaked store or key listing does not give usable cookies), as JSON
 * `{username, role, csrf, createdAt, epoch}`. A session lives while it is used: each read slides
 * its idle deadline ({@link SessionTimes.idleMs}, default 8 h), and it ends at its absolute
 * lifetime ({@link SessionTimes.absoluteMs}, default 24 h) however busy. Revocation: one session
 * (logout) or all of a user's ({@link SessionStore.destroyAllOf}: disable, role or password
 * change), through a per-user index.
 *
 * Two stores: Redis (SESSION_STORE=redis; shared by the replicas, survives restarts) with keys
 * `aiops:gateway:session:<sha256 hex of the id>` and the index `aiops:gateway:user-sessions:<lower-case username>`
 * (a set of those hashes), and memory (SESSION_STORE=memory; per process).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { RedisClient } from '../../kit/redis.js';
import { newCsrfToken } from './csrf.js';
import { isRole, type Role } from './roles.js';

/** Idle and absolute lifetimes. */
export interface SessionTimes {
  /** A session unused this long ends (default 8 h). */
  readonly idleMs: number;
  /** A session ends this long after its creation, used or not (default 24 h). */
  readonly absoluteMs: number;
}

export const DEFAULT_SESSION_TIMES: SessionTimes = { idleMs: 8 * 3_600_000, absoluteMs: 24 * 3_600_000 };

/** What a session holds. */
export interface SessionRecord {
  readonly username: string;
  readonly role: Role;
  /** The CSRF token of the session. */
  readonly csrf: string;
  /** Epoch ms of the login. */
  readonly createdAt: number;
  /** The user's credentials epoch at login: a later disable, role or password change bumps it (see store.ts). */
  readonly epoch: number;
}

/** Who a new session is for. */
export interface SessionOwner {
  readonly username: string;
  readonly role: Role;
  readonly epoch: number;
}

/** A new session: its id (the cookie value, shown only here) and its record. */
export interface NewSession {
  readonly id: string;
  readonly record: SessionRecord;
}

export interface SessionStore {
  /** `redis` or `memory`, for logs and /healthz. */
  readonly kind: 'redis' | 'memory';
  /** Creates a session for `owner`. */
  create(owner: SessionOwner): Promise<NewSession>;
  /** The live session of `id`, its idle deadline slid; undefined when unknown, idle too long, or past its lifetime. */
  get(id: string): Promise<SessionRecord | undefined>;
  /** Ends the session of `id` (nothing when unknown). */
  destroy(id: string): Promise<void>;
  /** Ends every session of `username` (any case); resolves to how many there were. */
  destroyAllOf(username: string): Promise<number>;
}

/** A session id: 32 random bytes, base64url (43 characters). */
const ID_SHAPE = /^[A-Za-z0-9_-]{43}$/;

function newSessionId(): string {
  return randomBytes(32).toString('base64url');
}

/** SHA-256 of a session id, hex: the name it is stored under. */
export function sessionHash(id: string): string {
  return createHash('sha256').update(id, 'utf8').digest('hex');
}

/** The record of a stored JSON text, or undefined when it is not one. */
function parseRecord(text: string): SessionRecord | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v.username !== 'string' || !isRole(v.role) || typeof v.csrf !== 'string' || typeof v.createdAt !== 'number' || typeof v.epoch !== 'number') return undefined;
  return { username: v.username, role: v.role, csrf: v.csrf, createdAt: v.createdAt, epoch: v.epoch };
}

/** Milliseconds the session may still live from `now` (≤ 0: ended): the sooner of idle and absolute. */
function remainingMs(record: SessionRecord, now: number, times: SessionTimes): number {
  return Math.min(times.idleMs, record.createdAt + times.absoluteMs - now);
}

/** Sessions in this process: lost on restart, not shared by replicas. */
export class MemorySessionStore implements SessionStore {
  readonly kind = 'memory';
  private readonly sessions = new Map<string, { record: SessionRecord; expiresAt: number }>();
  private creates = 0;

  constructor(
    private readonly times: SessionTimes = DEFAULT_SESSION_TIMES,
    private readonly now: () => number = Date.now,
  ) {}

  async create(owner: SessionOwner): Promise<NewSession> {
    const now = this.now();
    // Every 100 creations, forget what has expired (reads forget what they find expired).
    if (++this.creates % 100 === 0) for (const [hash, s] of this.sessions) if (s.expiresAt <= now) this.sessions.delete(hash);
    const id = newSessionId();
    const record: SessionRecord = { username: owner.username, role: owner.role, csrf: newCsrfToken(), createdAt: now, epoch: owner.epoch };
    this.sessions.set(sessionHash(id), { record, expiresAt: now + remainingMs(record, now, this.times) });
    return { id, record };
  }

  async get(id: string): Promise<SessionRecord | undefined> {
    if (!ID_SHAPE.test(id)) return undefined;
    const hash = sessionHash(id);
    const stored = this.sessions.get(hash);
    if (!stored) return undefined;
    const now = this.now();
    const left = remainingMs(stored.record, now, this.times);
    if (stored.expiresAt <= now || left <= 0) {
      this.sessions.delete(hash);
      return undefined;
    }
    stored.expiresAt = now + left;
    return stored.record;
  }

  async destroy(id: string): Promise<void> {
    if (ID_SHAPE.test(id)) this.sessions.delete(sessionHash(id));
  }

  async destroyAllOf(username: string): Promise<number> {
    const name = username.toLowerCase();
    let count = 0;
    for (const [hash, s] of this.sessions) {
      if (s.record.username.toLowerCase() !== name) continue;
      this.sessions.delete(hash);
      count += 1;
    }
    return count;
  }
}

/** Prefix of the session keys. */
export const SESSION_KEY_PREFIX = 'aiops:gateway:session:';
/** Prefix of the per-user index sets. */
export const USER_SESSIONS_KEY_PREFIX = 'aiops:gateway:user-sessions:';

/**
 * Sessions in Redis. A read is one `GETEX … PX <idle>` (read and slide in one round trip); the
 * absolute lifetime is checked on the record (`createdAt`), and the key of an ended session is
 * deleted. The per-user set is kept as long as the absolute lifetime after its last addition and
 * may list hashes whose sessions ended: {@link destroyAllOf} deletes what is listed. (A session
 * created while it runs is caught by the credentials epoch, see credentials.ts.)
 * Redis errors reject (the caller answers 503: no session can be trusted or created then).
 */
export class RedisSessionStore implements SessionStore {
  readonly kind = 'redis';

  constructor(
    private readonly redis: RedisClient,
    private readonly times: SessionTimes = DEFAULT_SESSION_TIMES,
    private readonly now: () => number = Date.now,
  ) {}

  private userKey(username: string): string {
    return `${USER_SESSIONS_KEY_PREFIX}${username.toLowerCase()}`;
  }

  async create(owner: SessionOwner): Promise<NewSession> {
    const id = newSessionId();
    const hash = sessionHash(id);
    const now = this.now();
    const record: SessionRecord = { username: owner.username, role: owner.role, csrf: newCsrfToken(), createdAt: now, epoch: owner.epoch };
    // Indexed first: a session is never alive without being revocable.
    const userKey = this.userKey(owner.username);
    await this.redis.command(['SADD', userKey, hash], userKey);
    await this.redis.command(['PEXPIRE', userKey, this.times.absoluteMs], userKey);
    await this.redis.set(`${SESSION_KEY_PREFIX}${hash}`, JSON.stringify(record), { pxMs: remainingMs(record, now, this.times) });
    return { id, record };
  }

  async get(id: string): Promise<SessionRecord | undefined> {
    if (!ID_SHAPE.test(id)) return undefined;
    const key = `${SESSION_KEY_PREFIX}${sessionHash(id)}`;
    const reply = await this.redis.command(['GETEX', key, 'PX', this.times.idleMs], key);
    if (!Buffer.isBuffer(reply)) return undefined;
    const record = parseRecord(reply.toString('utf8'));
    const left = record ? remainingMs(record, this.now(), this.times) : 0;
    if (!record || left <= 0) {
      await this.redis.del(key);
      return undefined;
    }
    // Near the absolute end, the key goes when the session does.
    if (left < this.times.idleMs) await this.redis.command(['PEXPIRE', key, Math.max(1, Math.ceil(left))], key);
    return record;
  }

  async destroy(id: string): Promise<void> {
    if (!ID_SHAPE.test(id)) return;
    const key = `${SESSION_KEY_PREFIX}${sessionHash(id)}`;
    await this.redis.del(key);
  }

  async destroyAllOf(username: string): Promise<number> {
    const userKey = this.userKey(username);
    const members = await this.redis.command(['SMEMBERS', userKey], userKey);
    let count = 0;
    for (const member of Array.isArray(members) ? members : []) {
      if (!Buffer.isBuffer(member)) continue;
      // One key per command: in cluster mode the sessions live in other slots than the set.
      count += await this.redis.del(`${SESSION_KEY_PREFIX}${member.toString('utf8')}`);
      // SREM, not DEL of the set: a session created meanwhile stays indexed.
      await this.redis.command(['SREM', userKey, member], userKey);
    }
    return count;
  }
}
