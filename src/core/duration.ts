/**
 * Prometheus durations (`15d`, `1h30m`, `1w2d`), parsed in one place: the values schema checks them
 * (src/values/schema/primitives.ts) and the executor reads the rules file's cooldowns and windows
 * with the same grammar.
 */

const DURATION_UNITS_MS = { y: 31_536_000_000n, w: 604_800_000n, d: 86_400_000n, h: 3_600_000n, m: 60_000n, s: 1_000n, ms: 1n } as const;
/** Units in Prometheus' order, each at most once: `1y2w3d4h5m6s7ms`. */
export const DURATION = /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/;
/** Longest duration Prometheus and Alertmanager parse (model.Duration is an int64 of nanoseconds: about 292 years). */
export const MAX_DURATION_MS = (2n ** 63n - 1n) / 1_000_000n;

/** Milliseconds of a Prometheus duration (`1w2d`), as a bigint; undefined when malformed or empty. */
export function durationMs(value: string): bigint | undefined {
  const match = DURATION.exec(value);
  if (!match || value === '') return undefined;
  const units = Object.values(DURATION_UNITS_MS);
  return match.slice(1).reduce((sum, n, i) => sum + (n === undefined ? 0n : BigInt(n) * units[i]!), 0n);
}

/** Milliseconds of a duration as a number (throws when malformed): for timers and clocks. */
export function durationMillis(value: string): number {
  const ms = durationMs(value);
  if (ms === undefined) throw new Error(`not a Prometheus duration: "${value}"`);
  return Number(ms);
}
