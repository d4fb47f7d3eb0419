import { z } from 'zod';
import { hostname, objectName, stringMap } from './primitives.js';

const ingressPath = z.strictObject({
  path: z
    .string()
    .startsWith('/', { error: (i) => `expected a path starting with "/", found "${String(i.input)}"` })
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
      annotations: stringMap.default({}).describe('Extra annotations on the Ingress (default {}).'),
      hosts: z
        .array(ingressHost)
        .min(1)
        .default([{ host: 'aiops.local', paths: [{ path: '/', pathType: 'Prefix' }] }])
        .describe('Hosts of the Ingress; each also gets the components\' path prefixes (default one host, aiops.local, with path /).'),
      tls: z
        .array(ingressTls)
        .default([])
        .describe('TLS certificates; any entry turns on the HTTP → HTTPS redirect (default []).'),
    })
    .prefault({})
    .describe('The public entry: one Ingress through Traefik, routing the hosts\' paths to the API gateway and the components\' prefixes such as /grafana.');
