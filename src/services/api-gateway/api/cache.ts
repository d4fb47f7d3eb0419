import type { Logger } from '../../kit/log.js';
import type { RedisClient } from '../../kit/redis.js';

/**
 * The cache of the hot read endpoints (alerts, anomalies, series, actions): answers kept for a
 * few seconds under `aiops:gateway:cache:<key>`, shared by the gateway's replicas through Redis,
 * in memory (per pod, at most 500 entries) without it. Answers do not depend on who asks (roles
 * only gate), so one entry serves everyone. A cache that fails is skipped, never an error.
 *
 * Keys belong to a group (`alerts`, `actions`…). A change through the gateway invalidates its
 * groups: the group's generation (`aiops:gateway:cache-gen:<group>`, the time of the last change)
 * is raised, and an entry stored before it is not served, on every replica, so the page after an
 * approval or a silence shows it at once.
 */
export interface ResponseCache {
  get(key: string): Promise<unknown>;
  set(key: string, value: unknown, ttlMs: number): Promise<void>;
  /** The time of the last change of `group` (0: none known). */
  generation(group: string): Promise<number>;
  /** Marks `group` changed now: its entries stored before are not served again. */
  invalidate(group: string): Promise<void>;
  /** The cache's clock (entries and generations are stamped with it). */
  now(): number;
}

const PREFIX = 'aiops:gateway:cache:';
const GENERATION = 'aiops:gateway:cache-gen:';
/** How long a generation is kept: longer than any entry's TTL. */
const GENERATION_TTL_MS = 3_600_000;
const MEMORY_ENTRIES = 500;

/** Reads `key` of `group` from the cache (unless the group changed since it was stored) or computes, stores and returns it. */
export async function cached<T>(cache: ResponseCache, group: string, key: string, ttlMs: number, compute: () => Promise<T>): Promise<T> {
  const [hit, changedAt] = await Promise.all([cache.get(`${group}:${key}`), cache.generation(group)]);
  const entry = hit as { at?: number; value?: unknown } | undefined;
  if (entry && typeof entry.at === 'number' && entry.at > changedAt) return entry.value as T;
  const at = cache.now();
  const value = await compute();
  await cache.set(`${group}:${key}`, { at, value }, ttlMs);
  return value;
}

/** A cache in Redis (`redis`) or in this pod's memory. */
export function createResponseCache(redis: RedisClient | undefined, log: Logger, now: () => number = Date.now): ResponseCache {
  if (redis) {
    return {
      now,
      async get(key) {
        try {
          const bytes = await redis.get(PREFIX + key);
          return bytes === null ? undefined : JSON.parse(bytes.toString('utf8'));
        } catch (err) {
          log.debug({ err }, 'response cache: read failed, answering uncached');
          return undefined;
        }
      },
      async set(key, value, ttlMs) {
        try {
          await redis.set(PREFIX + key, JSON.stringify(value), { pxMs: ttlMs });
        } catch (err) {
          log.debug({ err }, 'response cache: write failed');
        }
      },
      async generation(group) {
        try {
          const bytes = await redis.get(GENERATION + group);
          return bytes === null ? 0 : Number(bytes.toString('utf8')) || 0;
        } catch {
          // Unknown: treat every entry as stale rather than serve one from before a change.
          return Number.MAX_SAFE_INTEGER;
        }
      },
      async invalidate(group) {
        try {
          await redis.set(GENERATION + group, String(now()), { pxMs: GENERATION_TTL_MS });
        } catch (err) {
          log.warn({ err, group }, 'response cache: invalidation failed (entries may be served until their TTL)');
        }
      },
    };
  }
  const entries = new Map<string, { value: unknown; until: number }>();
  const generations = new Map<string, number>();
  return {
    now,
    async generation(group) {
      return generations.get(group) ?? 0;
    },
    async invalidate(group) {
      generations.set(group, now());
    },
    async get(key) {
      const entry = entries.get(key);
      if (!entry || entry.until <= now()) return undefined;
      return entry.value;
    },
    async set(key, value, ttlMs) {
      entries.delete(key);
      entries.set(key, { value, until: now() + ttlMs });
      while (entries.size > MEMORY_ENTRIES) entries.delete(entries.keys().next().value!);
    },
  };
}
