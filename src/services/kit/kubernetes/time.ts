/**
 * The two timestamp formats of the Kubernetes API: `Time` (RFC 3339, whole seconds, e.g. an
 * Event's lastTimestamp) and `MicroTime` (exactly six fractional digits, e.g. a Lease's renewTime
 * or an Event's eventTime: the API server rejects other precisions there).
 */

/** `2024-05-01T12:00:00Z` for epoch milliseconds `ms`. */
export function kubeTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** `2024-05-01T12:00:00.123000Z` for epoch milliseconds `ms`. */
export function kubeMicroTime(ms: number): string {
  return new Date(ms).toISOString().replace(/Z$/, '000Z');
}

/** Epoch milliseconds of a `Time` or `MicroTime` string (NaN when absent or malformed). */
export function parseKubeTime(value: string | undefined): number {
  return value === undefined ? NaN : Date.parse(value);
}
