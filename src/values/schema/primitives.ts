import { z } from 'zod';
import { parseQuantity, suggestQuantity } from '../../lib/quantity.js';

/** A Kubernetes resource quantity such as `50Gi`, `500m` or `2`; `50GB` is rejected with a suggestion. */
export const quantity = z.string().superRefine((value, ctx) => {
  if (parseQuantity(value) !== undefined) return;
  const suggestion = suggestQuantity(value);
  ctx.addIssue({
    code: 'custom',
    input: value,
    message:
      `expected a Kubernetes quantity (binary suffixes Ki Mi Gi Ti Pi Ei, decimal k M G T P E, or millicores like 500m), found "${value}"` +
      (suggestion ? `; did you mean "${suggestion}"?` : ''),
  });
});

/** A Kubernetes quantity that accepts a bare YAML number too (`cpu: 2`), normalised to a string. */
export const quantityOrNumber = z.union([z.number().nonnegative().transform(String), z.string()]).pipe(quantity);

const dns1123Subdomain = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const dns1123Label = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** A DNS host name as used by Ingress rules; a leading `*.` wildcard is allowed. */
export const hostname = z.string().refine((h) => dns1123Subdomain.test(h.replace(/^\*\./, '')), {
  error: (issue) => `expected a lower-case DNS name such as aiops.example.com, found "${String(issue.input)}"`,
});

/** A Kubernetes object name (DNS-1123 subdomain). */
export const objectName = z.string().regex(dns1123Subdomain, {
  error: (issue) => `expected a DNS-1123 name (lower-case letters, digits, '-' and '.'), found "${String(issue.input)}"`,
});

/** A DNS-1123 label (namespace, release and storage class style names). */
export const dnsLabel = z.string().regex(dns1123Label, {
  error: (issue) => `expected a DNS-1123 label (lower-case letters, digits and '-', at most 63), found "${String(issue.input)}"`,
});

/** A Prometheus duration such as `15d`, `12h` or `1w2d`. */
export const promDuration = z.string().regex(/^(\d+y)?(\d+w)?(\d+d)?(\d+h)?(\d+m)?(\d+s)?(\d+ms)?$/, {
  error: (issue) => `expected a Prometheus duration such as 15d, 12h or 90d, found "${String(issue.input)}"`,
}).refine((d) => d.length > 0, { error: 'expected a Prometheus duration such as 15d, found an empty string' });

/** A positive replica count. */
export const replicas = (defaultValue: number) =>
  z.number().int().min(1, { error: (i) => `expected at least 1 replica, found ${String(i.input)}` }).default(defaultValue);

/** A TCP port. */
export const port = z.number().int().min(1).max(65535);

/** A percentage between 0 and 100. */
export const percent = z.number().min(0).max(100);

/** A string-to-string map such as labels, annotations or a node selector. */
export const stringMap = z.record(z.string(), z.string());

/** Kubernetes `imagePullPolicy`. */
export const pullPolicy = z.enum(['Always', 'IfNotPresent', 'Never']);

/** A plaintext credential given in values (lands in a Secret manifest). */
export const credential = z.string();
