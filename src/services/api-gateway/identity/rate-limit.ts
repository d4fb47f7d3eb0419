/**
 * Rate limits as fixed-window counters: a counter per subject and window, the window being
 * `floor(now / windowMs)` (so a test's clock decides which window a hit falls in), expiring with
 * its window. In Redis when it is configured (shared by the replicas; one `EVAL` per hit: INCR and,
 * for a new counter, PEXPIRE, atomically), else in memory; when Redis fails, the memory counters
 * take over (logged and counted by the caller's `onRedisFailure`) until it answers again.
 *
 * - Login failures ({@link DEFAULT_LOGIN_LIMITS}): 5 per username per 15 min, 20 per source
 *   address per 15 min; reaching either locks that username (or address) out for 15 min: sign-ins
 *   are refused without checking the password. A successful sign-in clears its username's counter.
 *   Usernames count whether or not they exist (no user enumeration), case-insensitively.
 * - API requests ({@link DEFAULT_REQUEST_LIMIT}): 600 per user per minute.
 *
 * Subjects are stored as SHA-256 prefixes (a submitted username may be anything).
 */
import { createHash } from 'node:crypto';
import type { RedisClient } from '../../kit/redis.js';

/** At most `limit` events per `windowMs`. */
export interface WindowLimit {
  readonly limit: number;
  readonly windowMs: number;
}

/** Login failures allowed per username and per source address, and the lock-out that follows. */
export interface LoginLimits {
  readonly perUser: WindowLimit;
  readonly perAddress: WindowLimit;
  /** How long a username or an address stays locked out once its limit is reached. */
  readonly lockMs: number;
}

const MINUTE = 60_000;

/** 5 failures per username and 20 per address within 15 minutes; then 15 minutes locked out. */
export const DEFAULT_LOGIN_LIMITS: LoginLimits = {
  perUser: { limit: 5, windowMs: 15 * MINUTE },
  perAddress: { limit: 20, windowMs: 15 * MINUTE },
  lockMs: 15 * MINUTE,
};

/** 600 API requests per user per minute (10 per second on average; the console polls far less). */
export const DEFAULT_REQUEST_LIMIT: WindowLimit = { limit: 600, windowMs: MINUTE };

/** Where counters and lock flags live. */
export interface Counters {
  /** Adds one to `key` (created expiring after `ttlMs`); resolves to the new count. */
  increment(key: string, ttlMs: number): Promise<number>;
  /** Sets the flag `key` for `ttlMs`. */
  flag(key: string, ttlMs: number): Promise<void>;
  /** Milliseconds the flag `key` still lives; 0 when unset. */
  flagLeft(key: string): Promise<number>;
  remove(key: string): Promise<void>;
}

/** Most entries {@link MemoryCounters} keeps (a flood of made-up usernames cannot grow it further: the oldest go). */
const MEMORY_MAX_ENTRIES = 100_000;

/** Counters in this process. */
export class MemoryCounters implements Counters {
  private readonly entries = new Map<string, { count: number; expiresAt: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  private live(key: string): { count: number; expiresAt: number } | undefined {
    const entry = this.entries.get(key);
    if (entry && entry.expiresAt <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  private put(key: string, entry: { count: number; expiresAt: number }): void {
    if (this.entries.size >= MEMORY_MAX_ENTRIES) {
      const now = this.now();
      for (const [k, e] of this.entries) if (e.expiresAt <= now) this.entries.delete(k);
      while (this.entries.size >= MEMORY_MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
    }
    this.entries.set(key, entry);
  }

  async increment(key: string, ttlMs: number): Promise<number> {
    const entry = this.live(key);
    if (entry) return ++entry.count;
    this.put(key, { count: 1, expiresAt: this.now() + ttlMs });
    return 1;
  }

  async flag(key: string, ttlMs: number): Promise<void> {
    this.put(key, { count: 1, expiresAt: this.now() + ttlMs });
  }

  async flagLeft(key: string): Promise<number> {
    const entry = this.live(key);
    return entry ? entry.expiresAt - this.now() : 0;
  }

  async remove(key: string): Promise<void> {
    this.entries.delete(key);
  }
}

/** INCR, and PEXPIRE when the counter is new: one atomic round trip. */
const INCREMENT_SCRIPT = "local c = redis.call('INCR', KEYS[1]) if c == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end return c";

/** Counters in Redis; each call falls back to `fallback` when Redis fails, after telling `onRedisFailure`. */
export class RedisCounters implements Counters {
  constructor(
    private readonly redis: RedisClient,
    private readonly fallback: Counters,
    private readonly onRedisFailure: (err: unknown, operation: string) => void,
  ) {}

  private async either<T>(operation: string, inRedis: () => Promise<T>, inMemory: () => Promise<T>): Promise<T> {
    try {
      return await inRedis();
    } catch (err) {
      this.onRedisFailure(err, operation);
      return inMemory();
    }
  }

  increment(key: string, ttlMs: number): Promise<number> {
    return this.either(
      'increment',
      async () => {
        const reply = await this.redis.command(['EVAL', INCREMENT_SCRIPT, 1, key, Math.max(1, Math.ceil(ttlMs))], key);
        if (typeof reply !== 'number') throw new Error('the counter script did not answer an integer');
        return reply;
      },
      () => this.fallback.increment(key, ttlMs),
    );
  }

  flag(key: string, ttlMs: number): Promise<void> {
    return this.either(
      'flag',
      () => this.redis.set(key, '1', { pxMs: Math.max(1, Math.ceil(ttlMs)) }),
      () => this.fallback.flag(key, ttlMs),
    );
  }

  flagLeft(key: string): Promise<number> {
    return this.either(
      'flagLeft',
      async () => {
        const reply = await this.redis.command(['PTTL', key], key);
        return typeof reply === 'number' && reply > 0 ? reply : 0;
      },
      () => this.fallback.flagLeft(key),
    );
  }

  remove(key: string): Promise<void> {
    return this.either(
      'remove',
      async () => void (await this.redis.del(key)),
      () => this.fallback.remove(key),
    );
  }
}

/** Prefix of every rate-limit key. */
export const RATE_KEY_PREFIX = 'aiops:gateway:rate:';

/** A subject as it appears in a key: 32 hex characters of the SHA-256 of its lower-case form. */
function subject(value: string): string {
  return createHash('sha256').update(value.toLowerCase(), 'utf8').digest('hex').slice(0, 32);
}

/** What a limit check found. */
export interface LimitAnswer {
  readonly allowed: boolean;
  /** Whole seconds until it is allowed again (0 when allowed). */
  readonly retryAfterSeconds: number;
}

const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

/** The gateway's limits on one {@link Counters}. */
export class RateLimiter {
  readonly login: LoginLimits;
  readonly requests: WindowLimit;
  private readonly now: () => number;

  constructor(
    private readonly counters: Counters,
    opts: { login?: LoginLimits; requests?: WindowLimit; now?: () => number } = {},
  ) {
    this.login = opts.login ?? DEFAULT_LOGIN_LIMITS;
    this.requests = opts.requests ?? DEFAULT_REQUEST_LIMIT;
    this.now = opts.now ?? Date.now;
  }

  /** The key of `kind`'s counter for `who` in the current window, and the time to the window's end. */
  private window(kind: string, who: string, limit: WindowLimit): { key: string; leftMs: number } {
    const now = this.now();
    const index = Math.floor(now / limit.windowMs);
    return { key: `${RATE_KEY_PREFIX}${kind}:${subject(who)}:${index}`, leftMs: (index + 1) * limit.windowMs - now };
  }

  private lockKey(kind: string, who: string): string {
    return `${RATE_KEY_PREFIX}lock:${kind}:${subject(who)}`;
  }

  /** Whether sign-ins as `username` from `address` are refused now (a lock-out of either). */
  async loginAllowed(username: string, address: string): Promise<LimitAnswer> {
    const [user, addr] = await Promise.all([this.counters.flagLeft(this.lockKey('login-user', username)), this.counters.flagLeft(this.lockKey('login-address', address))]);
    const left = Math.max(user, addr);
    return left > 0 ? { allowed: false, retryAfterSeconds: seconds(left) } : { allowed: true, retryAfterSeconds: 0 };
  }

  /** Counts a failed sign-in; a limit reached locks its username or address out. Resolves to the lock-out now in force. */
  async loginFailed(username: string, address: string): Promise<LimitAnswer> {
    const { perUser, perAddress, lockMs } = this.login;
    let locked = false;
    for (const [kind, who, limit] of [['login-user', username, perUser], ['login-address', address, perAddress]] as const) {
      const w = this.window(kind, who, limit);
      const count = await this.counters.increment(w.key, w.leftMs);
      if (count >= limit.limit) {
        await this.counters.flag(this.lockKey(kind, who), lockMs);
        await this.counters.remove(w.key);
        locked = true;
      }
    }
    return locked ? { allowed: false, retryAfterSeconds: seconds(lockMs) } : { allowed: true, retryAfterSeconds: 0 };
  }

  /** A successful sign-in clears its username's failures of the current window. */
  async loginSucceeded(username: string): Promise<void> {
    await this.counters.remove(this.window('login-user', username, this.login.perUser).key);
  }

  /** Counts one API request of `username`; refused above the per-user limit until the window ends. */
  async request(username: string): Promise<LimitAnswer> {
    const w = this.window('api', username, this.requests);
    const count = await this.counters.increment(w.key, w.leftMs);
    return count > this.requests.limit ? { allowed: false, retryAfterSeconds: seconds(w.leftMs) } : { allowed: true, retryAfterSeconds: 0 };
  }
}
