/**
 * The AI engine's hot state (detector histories, anomaly states…) as JSON snapshots by name, in
 * Redis under `aiops:ai-engine:<name>` with a TTL, so that a restarted pod resumes instead of
 * re-learning from zero. Without Redis (no `REDIS_HOST`) or while it fails, snapshots are kept in
 * memory: the state store never throws to its caller, it logs and counts failures
 * ({@link STATE_STORE_FAILURES_METRIC}).
 *
 * Memory holds a snapshot only when it could not be written to Redis (so it is the newest one and
 * is loaded first); a later successful save removes it. Single writer: one engine per key prefix.
 */
import { Counter, type Registry } from 'prom-client';
import { AI_ENGINE_METRICS } from '../../core/ai-engine-metrics.js';
import type { Logger } from '../kit/log.js';
import { describeRedis, RedisClient, type RedisClientOptions } from '../kit/redis.js';

/** The counter of snapshot saves and loads that failed, by `operation` (save, load, remove). */
export const STATE_STORE_FAILURES_METRIC = AI_ENGINE_METRICS.stateStoreFailures;
/** Prefix of every key (`aiops:ai-engine:<name>`). */
export const STATE_KEY_PREFIX = 'aiops:ai-engine:';
/** Default snapshot lifetime in Redis: 7 days (a pod down longer starts afresh). */
export const DEFAULT_STATE_TTL_MS = 7 * 24 * 3600 * 1000;

/** What {@link createStateStore} needs. */
export interface StateStoreOptions {
  /** Redis (a client, or where to connect); absent: memory only. */
  readonly redis?: RedisClient | RedisClientOptions | undefined;
  readonly log: Logger;
  /** Where the failure counter is registered (once per registry). */
  readonly registry: Registry;
  /** Snapshot lifetime in Redis (default {@link DEFAULT_STATE_TTL_MS}). */
  readonly ttlMs?: number;
}

/** Snapshots by name; no method rejects. */
export interface StateStore {
  /** `redis host:port` or `memory`, for logs. */
  readonly where: string;
  /** Saves `value` as JSON under `name`; resolves to its size in bytes (0 when it is not JSON). Failures are logged and counted; the snapshot then stays in memory. */
  save(name: string, value: unknown): Promise<number>;
  /** The last snapshot saved under `name` (by this process or, through Redis, an earlier one), or undefined. */
  load<T = unknown>(name: string): Promise<T | undefined>;
  /** Removes the snapshot (memory and Redis). */
  remove(name: string): Promise<void>;
  /** Closes the Redis connections (idempotent). */
  close(): void;
}

/** A state store over Redis with a memory fallback, or over memory alone. Nothing connects until the first call. */
export function createStateStore(o: StateStoreOptions): StateStore {
  const existing = o.registry.getSingleMetric(STATE_STORE_FAILURES_METRIC) as Counter<'operation'> | undefined;
  const failures =
    existing ??
    new Counter({
      name: STATE_STORE_FAILURES_METRIC,
      help: 'AI engine state snapshots that could not be saved to or loaded from Redis (saves stay in memory).',
      labelNames: ['operation'] as const,
      registers: [o.registry],
    });
  const ttlMs = o.ttlMs ?? DEFAULT_STATE_TTL_MS;
  const redis = o.redis === undefined ? undefined : o.redis instanceof RedisClient ? o.redis : new RedisClient({ ...o.redis, log: o.redis.log ?? o.log });
  const where = o.redis === undefined ? 'memory' : o.redis instanceof RedisClient ? 'redis' : `redis ${describeRedis(o.redis)}`;
  const memory = new Map<string, string>();
  const key = (name: string) => `${STATE_KEY_PREFIX}${name}`;

  return {
    where,
    async save(name, value) {
      let json: string;
      try {
        json = JSON.stringify(value) ?? 'null';
      } catch (err) {
        failures.inc({ operation: 'save' });
        o.log.warn({ err, state: name }, 'state store: snapshot is not JSON, not saved');
        return 0;
      }
      const bytes = Buffer.byteLength(json);
      if (!redis) {
        memory.set(name, json);
        return bytes;
      }
      try {
        await redis.set(key(name), json, { pxMs: ttlMs });
        memory.delete(name);
      } catch (err) {
        memory.set(name, json);
        failures.inc({ operation: 'save' });
        o.log.warn({ err, state: name, redis: where }, 'state store: snapshot not saved to Redis, kept in memory');
      }
      return bytes;
    },
    async load<T>(name: string) {
      const held = memory.get(name);
      if (held !== undefined || !redis) return held === undefined ? undefined : (JSON.parse(held) as T);
      try {
        const bytes = await redis.get(key(name));
        return bytes === null ? undefined : (JSON.parse(bytes.toString('utf8')) as T);
      } catch (err) {
        failures.inc({ operation: 'load' });
        o.log.warn({ err, state: name, redis: where }, 'state store: snapshot not loaded from Redis');
        return undefined;
      }
    },
    async remove(name) {
      memory.delete(name);
      if (!redis) return;
      try {
        await redis.del(key(name));
      } catch (err) {
        failures.inc({ operation: 'remove' });
        o.log.warn({ err, state: name, redis: where }, 'state store: snapshot not removed from Redis');
      }
    },
    close() {
      redis?.close();
    },
  };
}
