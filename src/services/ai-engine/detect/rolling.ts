import { medianInPlace } from './order-statistics.js';

/**
 * A window of the last `capacity` numbers kept sorted as well as in arrival order, for rolling
 * medians and MADs in O(capacity) per update (a binary search and one array move: fast for the
 * windows of a few hundred to a few thousand points the detector uses). Own code rather than a
 * library: simple-statistics computes a median by sorting a copy on every call (O(n log n)).
 */
export class RollingWindow {
  private readonly ring: number[] = [];
  private readonly sorted: number[] = [];
  private next = 0;
  private scratch = new Float64Array(0);

  /** Keeps the last `capacity` values (at least 1). */
  constructor(readonly capacity: number) {
    if (!(capacity >= 1)) throw new RangeError(`RollingWindow capacity must be at least 1, found ${capacity}`);
  }

  get size(): number {
    return this.sorted.length;
  }

  /** A window of `capacity` holding `values` (oldest first), as {@link values} gave them: behaves exactly like the original. */
  static of(capacity: number, values: readonly number[]): RollingWindow {
    const window = new RollingWindow(capacity);
    for (const value of values.slice(-capacity)) window.push(value);
    return window;
  }

  /** Adds a finite value, dropping the oldest when full. */
  push(value: number): void {
    if (this.ring.length < this.capacity) {
      this.ring.push(value);
    } else {
      const old = this.ring[this.next]!;
      this.sorted.splice(lowerBound(this.sorted, old), 1);
      this.ring[this.next] = value;
      this.next = (this.next + 1) % this.capacity;
    }
    this.sorted.splice(lowerBound(this.sorted, value), 0, value);
  }

  /** The `q` quantile (0..1, linear between neighbours); NaN when empty. */
  quantile(q: number): number {
    return quantileOfSorted(this.sorted, q);
  }

  median(): number {
    return this.quantile(0.5);
  }

  /** Median absolute deviation from the median (unscaled); NaN when empty. Linear time (a selection, not a sort). */
  mad(): number {
    const m = this.median();
    const n = this.sorted.length;
    if (this.scratch.length < n) this.scratch = new Float64Array(this.capacity);
    for (let i = 0; i < n; i++) this.scratch[i] = Math.abs(this.sorted[i]! - m);
    return medianInPlace(this.scratch, n);
  }

  /** The values, oldest first. */
  values(): number[] {
    return this.ring.length < this.capacity ? [...this.ring] : [...this.ring.slice(this.next), ...this.ring.slice(0, this.next)];
  }
}

/** First index of `sorted` whose value is ≥ `value`. */
function lowerBound(sorted: readonly number[], value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The `q` quantile of an ascending array (linear interpolation); NaN when empty. */
export function quantileOfSorted(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * Math.min(1, Math.max(0, q));
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}
