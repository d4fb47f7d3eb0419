import * as z from 'zod';
import { removedBasicAuthSchema } from './basic-auth.js';
import { annotationMap } from './metadata.js';
import { hostname, objectName } from './primitives.js';

/**
 * Why `path` is not an Ingress path, or undefined: the API server's rules for Prefix and Exact
 * paths (absolute; no `//`, `/./`, `/../`, `%2F`; not ending in `/.` or `/..`), applied to every
 * path type, and no query, fragment, space or control character, which no request path matches.
 */
function ingressPathProblem(path: string): string | undefined {
  if (!path.startsWith('/')) return 'expected a path starting with "/"';
  const sequence = ['//', '/./', '/../'].find((s) => path.includes(s)) ?? /%2f/i.exec(path)?.[0];
  if (sequence) return `a path must not contain "${sequence}" (the API server refuses it)`;
  const suffix = ['/..', '/.'].find((s) => path.endsWith(s));
  if (suffix) return `a path must not end with "${suffix}" (the API server refuses it)`;
  if (/[\s?#\u0000-\u001f\u007f]/.test(path)) return 'a path must not contain spaces, control characters, "?" or "#"';
  return undefined;
}

const ingressPath = z.strictObject({
  path: z
    .string()
    .superRefine((path, ctx) => {
      const problem = ingressPathProblem(path);
      if (problem) ctx.addIssue({ code: 'custom', input: path, message: `${problem}, found ${JSON.stringify(path)}` });
    })
    .default('/')
    .describe('URL path routed to the API gateway (default /).'),
  pathType: z.enum(['Prefix', 'Exact', 'ImplementationSpecific']).default('Prefix').describe('Kubernetes pathType of the path (default Prefix).'),
});

const ingressHost = z.strictObject({
  host: hostname.describe('Host name, e.g. aiops.example.com; a leading *. wildcard is allowed (required).'),
  paths: z
    .array(ingressPath)
    .default([{ path: '/', pathType: 'Prefix' }])
    .describe('Paths of this host routed to the API gateway (default [{path: /, pathType: Prefix}]).'),
});

const ingressTls = z.strictObject({
  secretName: objectName.describe('Secret holding the TLS certificate and key of the hosts (required).'),
  hosts: z.array(hostname).default([]).describe('Host names the certificate covers (default []).'),
});

/** `ingress.*`: the public entry through Traefik. */
export const ingressSchema = () =>
  z
    .strictObject({
      enabled: z.boolean().default(true).describe('Render the Ingress (default true).'),
      className: objectName.default('traefik').describe('IngressClass of the Ingress (default traefik).'),
      annotations: annotationMap.default({}).describe('Extra annotations on the Ingress (default {}).'),
      hosts: z
        .array(ingressHost)
        .min(1)
        .default([{ host: 'aiops.local', paths: [{ path: '/', pathType: 'Prefix' }] }])
        .describe('Hosts of the Ingress; each also gets the components\' path prefixes (default [{host: aiops.local, paths: [{path: /, pathType: Prefix}]}]).'),
      tls: z
        .array(ingressTls)
        .default([])
        .describe('TLS certificates; any entry turns on the HTTP → HTTPS redirect (default []).'),
      basicAuth: removedBasicAuthSchema(),
    })
    .prefault({})
    .superRefine((ingress, ctx) => {
      // The first host is the platform's external URL (Prometheus, Grafana, Kibana links): it must be one name.
      const first = ingress.hosts[0]?.host;
      if (ingress.enabled && first?.startsWith('*.')) {
        ctx.addIssue({
          code: 'custom',
          path: ['hosts', 0, 'host'],
          input: first,
          message: `the first host is the platform's external URL, which cannot be the wildcard "${first}": put a concrete host such as ${first.replace('*.', 'aiops.')} first`,
        });
      }
    })
    .describe('The public entry through Traefik: the hosts\' paths go to the API gateway, the components\' prefixes such as /grafana to their UIs behind the gateway\'s login.');
