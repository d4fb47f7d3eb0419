import type { Logger } from '../kit/log.js';
import type { Anomaly } from './anomaly.js';
import type { AnomalySink } from './engine.js';
import type { AnomalyHistoryStore } from './history-store.js';

/**
 * The history store at work in the service: the schema migrated at start-up (retried every
 * `retryMs` while PostgreSQL is not there yet, as the executor does), every opening and ending
 * written (not the updates a source repeats while an anomaly lasts), and ended anomalies older than
 * the retention pruned every hour.
 */

/** Days ended anomalies stay in the history (default 30). */
export const HISTORY_RETENTION_DAYS = 30;
/** Time between two prunes (1 h). */
const PRUNE_MS = 3_600_000;
/** Time between two migration attempts while PostgreSQL fails (10 s). */
const MIGRATE_RETRY_MS = 10_000;

/** The history store with its schedule. */
export interface HistoryKeeper {
  readonly store: AnomalyHistoryStore;
  /** The engine sink: writes openings and endings. */
  readonly sink: AnomalySink;
  /** True once the schema is in place (reads wait for it). */
  migrated(): boolean;
  /** Stops the timers, waits for pending writes and closes the pool (idempotent). */
  close(): Promise<void>;
}

/** Options of {@link keepHistory}. */
export interface HistoryKeeperOptions {
  /** Retention of ended anomalies in days (default {@link HISTORY_RETENTION_DAYS}). */
  readonly retentionDays?: number;
  /** Time between migration attempts (default 10 s). */
  readonly migrateRetryMs?: number;
}

/** Migrates `store` (with retries), prunes it hourly and returns the sink that writes to it. */
export function keepHistory(store: AnomalyHistoryStore, log: Logger, opts: HistoryKeeperOptions = {}): HistoryKeeper {
  const retentionDays = opts.retentionDays ?? HISTORY_RETENTION_DAYS;
  let migrated = false;
  let closed = false;
  let migrating: NodeJS.Timeout | undefined;
  const migrate = (): void => {
    store.migrate().then(
      () => {
        migrated = true;
        log.info('anomaly history table ai_engine_anomalies ready');
      },
      (err: unknown) => {
        if (closed) return;
        log.warn({ err }, `anomaly history migration failed: retrying in ${(opts.migrateRetryMs ?? MIGRATE_RETRY_MS) / 1000} s`);
        migrating = setTimeout(migrate, opts.migrateRetryMs ?? MIGRATE_RETRY_MS);
      },
    );
  };
  migrate();

  const pruner = setInterval(() => {
    if (!migrated) return;
    store.prune(retentionDays).then(
      (deleted) => deleted > 0 && log.info({ deleted, retentionDays }, 'old anomalies deleted from the history'),
      (err: unknown) => log.warn({ err }, 'pruning the anomaly history failed'),
    );
  }, PRUNE_MS);
  pruner.unref();

  // Ids written as open: a source that repeats an ongoing anomaly (the logs source each poll) writes it once.
  const open = new Set<string>();
  const pending = new Set<Promise<void>>();
  const write = (anomaly: Anomaly): void => {
    const p = store.record(anomaly).finally(() => pending.delete(p));
    pending.add(p);
  };
  const sink: AnomalySink = (anomaly) => {
    if (anomaly.endsAt === undefined) {
      if (open.has(anomaly.id)) return;
      open.add(anomaly.id);
    } else {
      open.delete(anomaly.id);
    }
    // Before the schema is in place the write fails, is logged and counted (record never rejects).
    write(anomaly);
  };

  let closing: Promise<void> | undefined;
  return {
    store,
    sink,
    migrated: () => migrated,
    close() {
      closing ??= (async () => {
        closed = true;
        clearTimeout(migrating);
        clearInterval(pruner);
        await Promise.all(pending);
        await store.close();
      })();
      return closing;
    },
  };
}
