import { Drain } from './drain.js';
import { truncate } from './log-masks.js';

/**
 * New log patterns: templates that the baseline (a Drain trained on earlier windows) has never seen
 * and that reach `minHits` lines within the current window. A line is known when the baseline would
 * put it in one of its clusters ({@link Drain.match}, the same similarity rule as learning); the
 * unknown lines of the window are mined by a fresh Drain with the baseline's settings, and its
 * clusters of at least `minHits` lines are the new patterns. The baseline is only read by
 * {@link NewPatternDetector.detect}; {@link NewPatternDetector.observe} also teaches it the window.
 */

/** A template first seen in this window. */
export interface NewPattern {
  /** The template mined from the window's unknown lines (`<*>` and mask tokens for the variable parts). */
  readonly template: string;
  /** Lines of the window with this template. */
  readonly hits: number;
  /** The first such line, as received (cut at the Drain's `maxLineLength`). */
  readonly example: string;
}

/** Settings of a {@link NewPatternDetector}. */
export interface NewPatternOptions {
  /** Lines a new template needs within one window to be reported (k). Default 3. */
  readonly minHits?: number;
  /** Patterns reported per window at most, most hits first. Default 20. */
  readonly maxPatterns?: number;
}

/** Finds new log templates in windows of lines against a baseline Drain. */
export class NewPatternDetector {
  /** Lines a new template needs within one window (k); default 3. */
  readonly minHits: number;
  /** Patterns reported per window at most; default 20. */
  readonly maxPatterns: number;

  /** `baseline`: the Drain trained on earlier windows (read by `detect`, taught by `observe`). */
  constructor(
    readonly baseline: Drain,
    opts: NewPatternOptions = {},
  ) {
    this.minHits = opts.minHits ?? 3;
    this.maxPatterns = opts.maxPatterns ?? 20;
    if (!Number.isSafeInteger(this.minHits) || this.minHits < 1) throw new RangeError(`minHits must be an integer ≥ 1, found ${String(opts.minHits)}`);
    if (!Number.isSafeInteger(this.maxPatterns) || this.maxPatterns < 1) throw new RangeError(`maxPatterns must be an integer ≥ 1, found ${String(opts.maxPatterns)}`);
  }

  /** The new templates of one window with at least `minHits` lines, most hits first (then first seen first). The baseline does not change. */
  detect(lines: Iterable<string>): NewPattern[] {
    const window = new Drain(this.baseline.options);
    const examples = new Map<number, string>();
    for (const line of lines) {
      if (this.baseline.match(line)) continue;
      const added = window.add(line);
      if (added.isNew) {
        examples.set(added.clusterId, truncate(String(line), this.baseline.options.maxLineLength));
        // Clusters the window evicted keep no example: the map stays as bounded as the window Drain.
        if (examples.size > 2 * window.options.maxClusters) {
          const kept = new Set(window.clusters().map((c) => c.clusterId));
          for (const id of examples.keys()) if (!kept.has(id)) examples.delete(id);
        }
      }
    }
    return window
      .clusters()
      .filter((c) => c.size >= this.minHits)
      .sort((a, b) => b.size - a.size || a.clusterId - b.clusterId)
      .slice(0, this.maxPatterns)
      .map((c) => ({ template: c.template, hits: c.size, example: examples.get(c.clusterId)! }));
  }

  /** {@link detect}, then teaches the baseline every line of the window, so that its templates are known from the next window on. */
  observe(lines: Iterable<string>): NewPattern[] {
    const window = [...lines];
    const found = this.detect(window);
    for (const line of window) this.baseline.add(line);
    return found;
  }
}
