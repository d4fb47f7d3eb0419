/**
 * Rate limits (identity/rate-limit.ts) and memory sessions (identity/sessions.ts) with a fake
 * clock: fixed windows, lock-outs per username and per address and their end, the per-user API
 * limit, Redis failures answered from memory; sliding idle and absolute lifetimes, revocation.
 */
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_LOGIN_LIMITS,
  DEFAULT_REQUEST_LIMIT,
  MemoryCounters,
  RateLimiter,
  RedisCounters,
} from '../../../src/services/api-gateway/identity/rate-limit.js';
import { DEFAULT_SESSION_TIMES, MemorySessionStore } from '../../../src/services/api-gateway/identity/sessions.js';
import type { RedisClient } from '../../../src/services/kit/redis.js';

const MIN = 60_000;

function clock(start = Date.parse('2026-12-06T12:00:00Z')) {
  const c = { t: start, now: () => c.t, advance: (ms: number) => (c.t += ms) };
  return c;
}

describe('login limits', () => {
  it('defaults: 5 per username and 20 per address per 15 min, 15 min lock; 600 API requests per user per minute', () => {
    expect(DEFAULT_LOGIN_LIMITS).toEqual({ perUser: { limit: 5, windowMs: 15 * MIN }, perAddress: { limit: 20, windowMs: 15 * MIN }, lockMs: 15 * MIN });
    expect(DEFAULT_REQUEST_LIMIT).toEqual({ limit: 600, windowMs: MIN });
  });

  it('the 5th failure for a username locks it for 15 minutes (any case), from any address; then it is free again', async () => {
    const c = clock(Date.parse('2026-12-06T12:00:00Z'));
    const limits = new RateLimiter(new MemoryCounters(c.now), { now: c.now });
    for (let i = 1; i <= 4; i++) expect((await limits.loginFailed('alice', `10.0.0.${i}`)).allowed).toBe(true);
    expect(await limits.loginFailed('ALICE', '10.0.0.5')).toEqual({ allowed: false, retryAfterSeconds: 900 });
    expect((await limits.loginAllowed('alice', '10.9.9.9')).allowed).toBe(false);
    expect((await limits.loginAllowed('bob', '10.0.0.1')).allowed).toBe(true);
    c.advance(15 * MIN - 1000);
    expect(await limits.loginAllowed('Alice', '10.9.9.9')).toEqual({ allowed: false, retryAfterSeconds: 1 });
    c.advance(1000);
    expect((await limits.loginAllowed('alice', '10.9.9.9')).allowed).toBe(true);
    // The counter went with the lock: five more failures to lock again.
    for (let i = 1; i <= 4; i++) expect((await limits.loginFailed('alice', '10.0.0.1')).allowed).toBe(true);
  });

  it('failures are counted in fixed windows: 4 before the boundary and 4 after never lock', async () => {
    const c = clock(Date.parse('2026-12-06T12:14:00Z')); // 1 minute before a 15-minute boundary
    const limits = new RateLimiter(new MemoryCounters(c.now), { now: c.now });
    for (let i = 0; i < 4; i++) await limits.loginFailed('carol', '10.0.0.1');
    c.advance(2 * MIN);
    for (let i = 0; i < 4; i++) expect((await limits.loginFailed('carol', '10.0.0.1')).allowed).toBe(true);
    expect((await limits.loginAllowed('carol', '10.0.0.1')).allowed).toBe(true);
    expect((await limits.loginFailed('carol', '10.0.0.1')).allowed).toBe(false);
  });

  it('a success clears the username\u2019s failures (not the address\u2019s)', async () => {
    const c = clock();
    const limits = new RateLimiter(new MemoryCounters(c.now), { now: c.now, login: { ...DEFAULT_LOGIN_LIMITS, perAddress: { limit: 6, windowMs: 15 * MIN } } });
    for (let i = 0; i < 4; i++) await limits.loginFailed('dave', '10.0.0.1');
    await limits.loginSucceeded('dave');
    for (let i = 0; i < 1; i++) expect((await limits.loginFailed('dave', '10.0.0.1')).allowed).toBe(true);
    // The address has 5 failures now: its 6th (another username) locks the address.
    expect((await limits.loginFailed('erin', '10.0.0.1')).allowed).toBe(false);
    expect((await limits.loginAllowed('frank', '10.0.0.1')).allowed).toBe(false);
    expect((await limits.loginAllowed('frank', '10.0.0.2')).allowed).toBe(true);
  });

  it('20 failures from one address with 20 usernames lock the address', async () => {
    const c = clock();
    const limits = new RateLimiter(new MemoryCounters(c.now), { now: c.now });
    for (let i = 0; i < 19; i++) expect((await limits.loginFailed(`user${i}`, '198.51.100.7')).allowed).toBe(true);
    expect((await limits.loginFailed('user19', '198.51.100.7')).allowed).toBe(false);
    expect((await limits.loginAllowed('someone-else', '198.51.100.7')).allowed).toBe(false);
  });

  it('the API limit: the 601st request of a minute is refused until the window ends', async () => {
    const c = clock(Date.parse('2026-12-06T12:00:30Z'));
    const limits = new RateLimiter(new MemoryCounters(c.now), { now: c.now });
    for (let i = 0; i < 600; i++) expect((await limits.request('alice')).allowed).toBe(true);
    expect(await limits.request('alice')).toEqual({ allowed: false, retryAfterSeconds: 30 });
    expect((await limits.request('bob')).allowed).toBe(true);
    c.advance(30_000);
    expect((await limits.request('alice')).allowed).toBe(true);
  });

  it('Redis failing: each operation is answered from memory and reported', async () => {
    const c = clock();
    const failing = { command: async () => Promise.reject(new Error('connection refused')), set: async () => Promise.reject(new Error('connection refused')), del: async () => Promise.reject(new Error('down')) } as unknown as RedisClient;
    const failures: string[] = [];
    const limits = new RateLimiter(new RedisCounters(failing, new MemoryCounters(c.now), (_e, op) => failures.push(op)), { now: c.now });
    for (let i = 0; i < 5; i++) await limits.loginFailed('alice', '10.0.0.1');
    expect((await limits.loginAllowed('alice', '10.0.0.2')).allowed).toBe(false);
    expect(new Set(failures)).toEqual(new Set(['increment', 'flag', 'remove', 'flagLeft']));
  });
});

describe('memory sessions', () => {
  const owner = { username: 'Alice', role: 'operator' as const, epoch: 3 };

  it('create gives a 256-bit id and a CSRF token; get gives the record; unknown and malformed ids give nothing', async () => {
    const c = clock();
    const store = new MemorySessionStore(DEFAULT_SESSION_TIMES, c.now);
    const { id, record } = await store.create(owner);
    expect(id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(record).toEqual({ username: 'Alice', role: 'operator', csrf: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), createdAt: c.t, epoch: 3 });
    expect(await store.get(id)).toEqual(record);
    expect(await store.get(id.replace(/.$/, id.endsWith('A') ? 'B' : 'A'))).toBeUndefined();
    expect(await store.get('short')).toBeUndefined();
  });

  it('slides: used every 7 h it lives; idle 8 h it ends', async () => {
    const c = clock();
    const store = new MemorySessionStore(DEFAULT_SESSION_TIMES, c.now);
    const { id } = await store.create(owner);
    c.advance(7 * 3_600_000);
    expect(await store.get(id)).toBeDefined();
    c.advance(7 * 3_600_000);
    expect(await store.get(id)).toBeDefined();
    c.advance(8 * 3_600_000);
    expect(await store.get(id)).toBeUndefined();
  });

  it('ends at 24 h however busy', async () => {
    const c = clock();
    const store = new MemorySessionStore(DEFAULT_SESSION_TIMES, c.now);
    const { id } = await store.create(owner);
    for (let h = 1; h < 24; h++) {
      c.advance(3_600_000);
      expect(await store.get(id), `hour ${h}`).toBeDefined();
    }
    c.advance(3_600_000);
    expect(await store.get(id)).toBeUndefined();
  });

  it('destroy ends one session; destroyAllOf every session of the user, any case', async () => {
    const store = new MemorySessionStore();
    const a = await store.create(owner);
    const b = await store.create(owner);
    const other = await store.create({ ...owner, username: 'bob' });
    await store.destroy(a.id);
    expect(await store.get(a.id)).toBeUndefined();
    expect(await store.get(b.id)).toBeDefined();
    expect(await store.destroyAllOf('ALICE')).toBe(1);
    expect(await store.get(b.id)).toBeUndefined();
    expect(await store.get(other.id)).toBeDefined();
  });
});
