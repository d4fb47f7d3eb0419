/**
 * Medians and robust scales for the forecast and the changepoint detector, in linear time
 * (quickselect) on plain arrays. Own code, not simple-statistics: these are a few lines, and the
 * Theil–Sen slope takes the median of up to ~20,000 pairwise slopes per forecast, which a
 * selection does in O(n) where a sort-based median (simple-statistics sorts a copy) costs
 * O(n log n). simple-statistics' median + medianAbsoluteDeviation would add 2.9 KB minified to
 * the bundle (esbuild, tree-shaken, v7.12.1), this file 0.7 KB. The series detector's rolling
 * windows (rolling.ts) use them too.
 */

/** The consistency constant that makes MAD estimate σ for normal data: σ ≈ 1.4826 · MAD. */
export const MAD_TO_SIGMA = 1.4826;

/**
 * The median of the first `count` entries of `values` (default: all), which it reorders in
 * place; NaN when `count` is 0. The mean of the two middle values for an even count.
 */
export function medianInPlace(values: number[] | Float64Array, count: number = values.length): number {
  if (count <= 0) return NaN;
  const upper = count >> 1;
  const high = select(values, upper, count);
  if (count % 2 === 1) return high;
  // After selecting `upper`, every entry left of it is ≤ it: the lower middle is their maximum.
  let low = values[0]!;
  for (let i = 1; i < upper; i += 1) if (values[i]! > low) low = values[i]!;
  return (low + high) / 2;
}

/** The median of `values` (left unchanged); NaN when empty. */
export function median(values: ArrayLike<number>): number {
  return medianInPlace(Float64Array.from(values));
}

/** 1.4826 × the median absolute deviation of `values` from `center` (default: their median); NaN when empty. */
export function robustSigma(values: ArrayLike<number>, center: number = median(values)): number {
  const deviations = new Float64Array(values.length);
  for (let i = 0; i < values.length; i += 1) deviations[i] = Math.abs(values[i]! - center);
  return MAD_TO_SIGMA * medianInPlace(deviations);
}

/**
 * Puts the k-th smallest of the first `count` entries at index k, smaller-or-equal ones before
 * it, and returns it (Hoare's quickselect, median-of-three pivot: deterministic, O(n) expected).
 */
function select(a: number[] | Float64Array, k: number, count: number): number {
  let lo = 0;
  let hi = count - 1;
  while (hi > lo) {
    const mid = (lo + hi) >> 1;
    // Median of three as the pivot, so sorted and reversed input stay linear.
    if (a[mid]! < a[lo]!) swap(a, mid, lo);
    if (a[hi]! < a[lo]!) swap(a, hi, lo);
    if (a[hi]! < a[mid]!) swap(a, hi, mid);
    const pivot = a[mid]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i += 1;
      while (a[j]! > pivot) j -= 1;
      if (i <= j) {
        swap(a, i, j);
        i += 1;
        j -= 1;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else break;
  }
  return a[k]!;
}

function swap(a: number[] | Float64Array, i: number, j: number): void {
  const t = a[i]!;
  a[i] = a[j]!;
  a[j] = t;
}
