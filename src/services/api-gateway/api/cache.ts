import type { Logger } from '../../kit/log.js';
import type { RedisClient } from '../../kit/redis.js';

/**
 * The cache of the hot read endpoints (alerts, anomalies, series, actions): answers kept for a
 * few seconds under `aiops:gateway:cache:<key>`, shared by the gateway's replicas through Redis,
 * in memory (per pod, at most 500 entries) without it. Answers do not depend on who asks (roles
 * only gate), so one entry serves everyone. A cache that fails is skipped, never an error.
 *
 * Keys belong to a group (`alerts`, `actions`…). A change through the gateway invalidates its
 * groups: the group's generation (`aiops:gateway:cache-gen:<group>`, a counter raised by INCR) goes
 * up, and an entry is served only while the generation it was computed under is the current one,
 * on every replica, so the page after an approval or a silence shows it at once (an answer
 * computed while the change happened is stored under the old generation: never served).
 */
export interface ResponseCache {
  get(key: string): Promise<unknown>;
  set(key: string, value: unknown, ttlMs: number): Promise<void>;
  /** The current generation of `group` (0 before any change; undefined when it cannot be read: serve nothing). */
  generation(group: string): Promise<number | undefined>;
  /** Marks `group` changed: its entries computed before are not served again. */
  invalidate(group: string): Promise<void>;
}

const PREFIX = 'aiops:gateway:cache:';
const GENERATION = 'aiops:gateway:cache-gen:';
const MEMORY_ENTRIES = 500;

/** Reads `key` of `group` from the cache (unless the group changed since it was stored) or computes, stores and returns it. */
export async function cached<T>(cache: ResponseCache, group: string, key: string, ttlMs: number, compute: () => Promise<T>): Promise<T> {
  const [hit, generation] = await Promise.all([cache.get(`${group}:${key}`), cache.generation(group)]);
  const entry = hit as { generation?: number; value?: unknown } | undefined;
  if (generation !== undefined && entry && entry.generation === generation) return entry.value as T;
  const value = await compute();
  if (generation !== undefined) await cache.set(`${group}:${key}`, { generation, value }, ttlMs);
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
      async generation(group) {
        try {
          const bytes = await redis.get(GENERATION + group);
          return bytes === null ? 0 : Number(bytes.toString('utf8'));
        } catch {
          // Unknown: serve nothing rather than an entry from before a change.
          return undefined;
        }
      },
      async invalidate(group) {
        try {
          await redis.command(['INCR', GENERATION + group], GENERATION + group);
        } catch (err) {
          log.warn({ err, group }, 'response cache: invalidation failed (entries may be served until their TTL)');
        }
      },
    };
  }
  const entries = new Map<string, { value: unknown; until: number }>();
  const generations = new Map<string, number>();
  return {
    async generation(group) {
      return generations.get(group) ?? 0;
    },
    async invalidate(group) {
      generations.set(group, (generations.get(group) ?? 0) + 1);
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
