import type { Logger } from '../../kit/log.js';
import type { RedisClient } from '../../kit/redis.js';

/**
 * The cache of the hot read endpoints (alerts, anomalies, series, actions): answers kept for a
 * few seconds under `aiops:gateway:cache:<key>`, shared by the gateway's replicas through Redis,
 * in memory (per pod, at most 500 entries) without it. Answers do not depend on who asks (roles
 * only gate), so one entry serves everyone. A cache that fails is skipped, never an error.
 */
export interface ResponseCache {
  get(key: string): Promise<unknown>;
  set(key: string, value: unknown, ttlMs: number): Promise<void>;
}

const PREFIX = 'aiops:gateway:cache:';
const MEMORY_ENTRIES = 500;

/** Reads `key` from the cache or computes, stores and returns it. */
export async function cached<T>(cache: ResponseCache, key: string, ttlMs: number, compute: () => Promise<T>): Promise<T> {
  const hit = await cache.get(key);
  if (hit !== undefined) return hit as T;
  const value = await compute();
  await cache.set(key, value, ttlMs);
  return value;
}

/** A cache in Redis (`redis`) or in this pod's memory. */
export function createResponseCache(redis: RedisClient | undefined, log: Logger, now: () => number = Date.now): ResponseCache {
  if (redis) {
    return {
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
    };
  }
  const entries = new Map<string, { value: unknown; until: number }>();
  return {
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
