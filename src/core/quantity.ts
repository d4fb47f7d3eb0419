/** Kubernetes resource quantities: parsing, comparison and spelling suggestions. */

const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL: Record<string, number> = { n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };
const QUANTITY = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?\d+)?$/;

/**
 * Largest quantity the chart accepts, in base units (2^63, i.e. 8Ei): the components hold sizes in
 * 64-bit integers (Redis `maxmemory`, JVM heaps, PostgreSQL settings), and a larger one is a typo.
 */
export const MAX_QUANTITY = 2 ** 63;

/** Whether `value` is spelled as a Kubernetes quantity (whatever its magnitude). */
export function isQuantitySyntax(value: string): boolean {
  return QUANTITY.test(value);
}

/**
 * Parses a Kubernetes quantity (`50Gi`, `500m`, `1e3`) into a number of base units; undefined when
 * malformed or not finite (`1e400`).
 */
export function parseQuantity(value: string): number | undefined {
  const match = QUANTITY.exec(value);
  if (!match) return undefined;
  const number = Number(match[1]);
  const suffix = match[2] ?? '';
  const amount =
    suffix in BINARY ? number * BINARY[suffix]! : suffix in DECIMAL ? number * DECIMAL[suffix]! : number * 10 ** Number(suffix.slice(1));
  return Number.isFinite(amount) ? amount : undefined;
}

/** Suggests the Kubernetes spelling of a common mistake: `50GB` → `50Gi`, `2g` → `2Gi`, `512 MiB` → `512Mi`. */
export function suggestQuantity(value: string): string | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([kKmMgGtTpPeE])(?:i?[bB]|i)?\s*$/.exec(value);
  if (!match) return undefined;
  const unit = match[2]!.toUpperCase() === 'K' ? 'Ki' : `${match[2]!.toUpperCase()}i`;
  const suggestion = `${match[1]}${unit}`;
  return suggestion === value ? undefined : suggestion;
}

/** Converts a memory quantity to whole mebibytes, rounded down (for JVM heaps and similar). */
export function toMebibytes(value: string): number {
  const bytes = parseQuantity(value);
  if (bytes === undefined) throw new Error(`"${value}" is not a Kubernetes quantity`);
  return Math.floor(bytes / 2 ** 20);
}

/**
 * Writes a quantity as whole bytes (rounded down) in the largest power-of-1024 unit that is exact,
 * with the tool's unit names from bytes upwards, e.g. with Prometheus' `B KB MB GB …`:
 * 43520Mi → `43520MB`, 85Gi → `85GB`, 40G (decimal) → `39062500KB`.
 */
export function toBinaryUnits(value: string, units: readonly string[]): string {
  const bytes = parseQuantity(value);
  if (bytes === undefined) throw new Error(`"${value}" is not a Kubernetes quantity`);
  let amount = Math.floor(bytes);
  let unit = 0;
  while (amount > 0 && amount % 1024 === 0 && unit < units.length - 1) {
    amount /= 1024;
    unit += 1;
  }
  return `${amount}${units[unit]}`;
}
