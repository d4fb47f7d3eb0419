/**
 * Deterministic synthetic series for the detection-core tests: a seeded PRNG (mulberry32) and
 * standard normal noise (Box–Muller), so that every run sees the same numbers.
 */

/** Uniform numbers in [0, 1) from `seed`. */
export function uniform(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Standard normal numbers from `seed`. */
export function normal(seed: number): () => number {
  const next = uniform(seed);
  return () => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
}

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
/** A fixed start time, so that timestamps are realistic epoch milliseconds. */
export const T0 = Date.parse('2026-12-01T00:00:00Z');

/** `count` points one `stepMs` apart from T0, valued `valueAt(i)`. */
export function series(count: number, valueAt: (i: number) => number, stepMs: number = MINUTE): { timestamp: number; value: number }[] {
  return Array.from({ length: count }, (_, i) => ({ timestamp: T0 + i * stepMs, value: valueAt(i) }));
}
