/**
 * The recent (timestamp, value) points of one series, bounded, for the seasonal baseline: the
 * value of the same slot one day and one week earlier. Timestamps arrive in increasing order
 * (an out-of-order point is dropped by the caller).
 */
export class SeriesHistory {
  private times: number[] = [];
  private values: number[] = [];
  private start = 0;

  /** Keeps points not older than `spanMs` behind the newest, at most `maxPoints`. */
  constructor(
    readonly spanMs: number,
    readonly maxPoints: number,
  ) {}

  get size(): number {
    return this.times.length - this.start;
  }

  /** Timestamp of the oldest kept point (NaN when empty). */
  get oldest(): number {
    return this.size > 0 ? this.times[this.start]! : NaN;
  }

  /** The kept points, oldest first (for a snapshot; push them back in order to restore). */
  points(): { times: number[]; values: number[] } {
    return { times: this.times.slice(this.start), values: this.values.slice(this.start) };
  }

  push(time: number, value: number): void {
    this.times.push(time);
    this.values.push(value);
    while (this.size > this.maxPoints || (this.size > 1 && this.times[this.start]! < time - this.spanMs)) this.start += 1;
    // Compact now and then so the arrays do not grow without bound.
    if (this.start > 4096 && this.start > this.times.length / 2) {
      this.times = this.times.slice(this.start);
      this.values = this.values.slice(this.start);
      this.start = 0;
    }
  }

  /** The value of the point closest to `time` within ±`toleranceMs`, or undefined. */
  valueAt(time: number, toleranceMs: number): number | undefined {
    let lo = this.start;
    let hi = this.times.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.times[mid]! < time) lo = mid + 1;
      else hi = mid;
    }
    let best: number | undefined;
    let bestDistance = Infinity;
    for (const i of [lo - 1, lo]) {
      if (i < this.start || i >= this.times.length) continue;
      const distance = Math.abs(this.times[i]! - time);
      if (distance <= toleranceMs && distance < bestDistance) {
        best = this.values[i];
        bestDistance = distance;
      }
    }
    return best;
  }
}
