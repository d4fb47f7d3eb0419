import * as z from 'zod';
import { durationMs, MAX_DURATION_MS } from '../../core/duration.js';
import { isQuantitySyntax, MAX_QUANTITY, parseQuantity, suggestQuantity } from '../../core/quantity.js';

/**
 * A Kubernetes resource quantity such as `50Gi`, `500m` or `2`, above 0 (every quantity of the
 * values is a size, a request or a limit) and at most 8Ei; `50GB` is rejected with a suggestion.
 */
export const quantity = z.string().superRefine((value, ctx) => {
  const amount = parseQuantity(value);
  if (amount !== undefined && amount > 0 && amount <= MAX_QUANTITY) return;
  const suggestion = suggestQuantity(value);
  const message = !isQuantitySyntax(value)
    ? `expected a Kubernetes quantity (binary suffixes Ki Mi Gi Ti Pi Ei, decimal k M G T P E, or millicores like 500m), found "${value}"` +
      (suggestion ? `; did you mean "${suggestion}"?` : '')
    : amount === undefined || amount > MAX_QUANTITY
      ? `expected a quantity of at most 8Ei, found "${value}" (the components hold sizes in 64-bit integers)`
      : `expected a quantity above 0, found "${value}" (a size, request or limit of 0 or less is refused by Kubernetes or useless)`;
  ctx.addIssue({ code: 'custom', input: value, message });
});

/** A Kubernetes quantity that accepts a bare YAML number too (`cpu: 2`), normalised to a string. */
export const quantityOrNumber = z.union([z.number().transform(String), z.string()]).pipe(quantity);

const dns1123Subdomain = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const dns1123Label = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const ipv4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/** Whether `value` is a DNS-1123 subdomain (lower-case labels of at most 63 characters, at most 253 in all). */
export const isDnsSubdomain = (value: string): boolean => dns1123Subdomain.test(value) && value.split('.').every((l) => l.length <= 63);

/**
 * A DNS host name as used by Ingress rules; a leading `*.` wildcard is allowed. IP addresses are
 * refused, as the API server does for Ingress hosts.
 */
export const hostname = z.string().superRefine((h, ctx) => {
  const name = h.replace(/^\*\./, '');
  const message = ipv4.test(name)
    ? `expected a DNS name, found the IP address "${h}" (Ingress hosts must be names; leave the IP to the Service or DNS)`
    : !isDnsSubdomain(name)
      ? `expected a lower-case DNS name such as aiops.example.com, found "${h}"`
      : undefined;
  if (message) ctx.addIssue({ code: 'custom', input: h, message });
});

/** A DNS-1123 subdomain, such as a cluster domain or a storage class name; `what` names it in messages. */
export const dnsSubdomain = (what: string) =>
  z.string().refine(isDnsSubdomain, {
    error: (issue) => `expected ${what}: a DNS-1123 name of lower-case letters, digits, '-' and '.' (at most 253 characters), found ${JSON.stringify(issue.input)}`,
  });

/** A Kubernetes object name (DNS-1123 subdomain). */
export const objectName = z.string().regex(dns1123Subdomain, {
  error: (issue) => `expected a DNS-1123 name (lower-case letters, digits, '-' and '.'), found "${String(issue.input)}"`,
});

/** A DNS-1123 label (namespace and release style names). */
export const dnsLabel = z.string().regex(dns1123Label, {
  error: (issue) => `expected a DNS-1123 label (lower-case letters, digits and '-', at most 63), found "${String(issue.input)}"`,
});

export { durationMs };

/** A Prometheus duration such as `15d`, `12h` or `1w2d`, within Prometheus' range; `positive` refuses `0s`. */
const duration = (positive: boolean) =>
  z.string().superRefine((d, ctx) => {
    const ms = durationMs(d);
    const message =
      ms === undefined
        ? d === ''
          ? 'expected a Prometheus duration such as 15d, found an empty string'
          : `expected a Prometheus duration such as 15d, 12h or 90d, found "${d}"`
        : ms > MAX_DURATION_MS
          ? `duration "${d}" is out of Prometheus' range (at most 292y, a 64-bit count of nanoseconds)`
          : positive && ms === 0n
            ? `expected a duration above 0, found "${d}"`
            : undefined;
    if (message) ctx.addIssue({ code: 'custom', input: d, message });
  });

/** A Prometheus duration such as `15d`, `12h` or `1w2d` (0 allowed), at most 292 years. */
export const promDuration = duration(false);
/** A Prometheus duration above 0 (intervals, retention, windows), at most 292 years. */
export const positiveDuration = duration(true);

/** Largest value of an int32 API field (replicas, HPA bounds). */
export const INT32_MAX = 2 ** 31 - 1;

/** A positive replica count (an int32 in the API). */
export const replicas = (defaultValue: number) =>
  z
    .number()
    .int()
    .min(1, { error: (i) => `expected at least 1 replica, found ${String(i.input)}` })
    .max(INT32_MAX)
    .default(defaultValue);

/** A TCP port. */
export const port = z.number().int().min(1).max(65535);

/** A percentage between 0 and 100. */
export const percent = z.number().min(0).max(100);

/**
 * A HorizontalPodAutoscaler utilisation target: a whole percentage of the requests (the API's
 * averageUtilization is an int32 above 0); above 100 is allowed (usage above the request, up to
 * the limit), up to 1000.
 */
export const utilizationPercent = z.number().int().min(1).max(1000);

/** Kubernetes `imagePullPolicy`. */
export const pullPolicy = z.enum(['Always', 'IfNotPresent', 'Never']);
