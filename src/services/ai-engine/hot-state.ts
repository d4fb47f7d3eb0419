import type { Logger } from '../kit/log.js';
import type { StateStore } from './state-store.js';

/**
 * The engine's hot state at work: every part (a source's detectors, baselines and open anomalies)
 * is loaded from the state store once at start, before its source runs, and saved every `saveMs`
 * and on shutdown, by the replica that holds the Lease only (one writer per key; the others load
 * at their start and then learn on their own from the same data). A part that cannot be restored
 * (malformed, another version, a changed series) starts from zero, logged; saving never throws.
 *
 * Saves are sequential, one part after the other, so that at most one snapshot is in memory as
 * JSON at a time; a save still running when the next is due is not doubled.
 */

/** Default time between two saves: 5 minutes. Losing the last minutes costs nothing: a restored source fetches the steps since its snapshot. */
export const DEFAULT_SAVE_MS = 300_000;

/** One thing to keep. */
export interface HotPart {
  /** Key under the store (`prometheus:<series>`, `logs`, `queries`). */
  readonly name: string;
  /** Its state as plain JSON data. */
  snapshot(): unknown;
  /** Goes on from a snapshot; throws (or returns false) when it does not fit, restoring nothing. */
  restore(saved: unknown): boolean | void;
}

export interface HotStateOptions {
  readonly store: StateStore;
  readonly parts: readonly HotPart[];
  readonly log: Logger;
  /** Whether this replica writes (the Lease holder). Default: always. */
  readonly writer?: () => boolean;
  /** Time between two saves (default {@link DEFAULT_SAVE_MS}). */
  readonly saveMs?: number;
  /** Called with each save's duration and bytes (metrics, tests). */
  readonly onSaved?: (part: string, bytes: number, seconds: number) => void;
}

export class HotState {
  private timer: NodeJS.Timeout | undefined;
  private saving: Promise<void> | undefined;

  constructor(private readonly o: HotStateOptions) {}

  /** Loads and restores every part; resolves to the names of those restored. Never rejects. */
  async load(): Promise<string[]> {
    const restored: string[] = [];
    // All at once (pipelined on one connection): a Redis that does not answer costs one timeout, not one per part.
    const snapshots = await Promise.all(this.o.parts.map((part) => this.o.store.load(part.name)));
    for (const [i, part] of this.o.parts.entries()) {
      const saved = snapshots[i];
      if (saved === undefined) continue;
      try {
        if (part.restore(saved) === false) {
          this.o.log.info({ state: part.name }, 'hot state: snapshot does not fit the configuration any more (query, step or kind changed): starting from zero');
          continue;
        }
        restored.push(part.name);
      } catch (err) {
        this.o.log.warn({ err, state: part.name }, 'hot state: snapshot not restored: starting from zero');
      }
    }
    this.o.log.info({ restored, from: this.o.store.where }, restored.length > 0 ? 'hot state restored' : 'no hot state to restore: learning from the sources');
    return restored;
  }

  /** Saves every `saveMs` (when this replica writes). */
  start(): void {
    this.timer = setInterval(() => void this.save(), this.o.saveMs ?? DEFAULT_SAVE_MS);
    this.timer.unref();
  }

  /** Saves every part now when this replica writes (joins a save in progress). Never rejects. */
  save(): Promise<void> {
    if (!(this.o.writer?.() ?? true)) return Promise.resolve();
    this.saving ??= (async () => {
      for (const part of this.o.parts) {
        const started = process.hrtime.bigint();
        let snapshot: unknown;
        try {
          snapshot = part.snapshot();
        } catch (err) {
          this.o.log.error({ err, state: part.name }, 'hot state: snapshot failed');
          continue;
        }
        const bytes = await this.o.store.save(part.name, snapshot);
        this.o.onSaved?.(part.name, bytes, Number(process.hrtime.bigint() - started) / 1e9);
      }
    })().finally(() => {
      this.saving = undefined;
    });
    return this.saving;
  }

  /** Stops the timer and saves a last time (when this replica writes). */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.saving;
    await this.save();
  }
}
