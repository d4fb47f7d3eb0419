import { z } from 'zod';
import { hostname, objectName, stringMap } from './primitives.js';

const ingressPath = z.strictObject({
  /** URL path (default /). */
  path: z.string().startsWith('/', { error: (i) => `expected a path starting with "/", found "${String(i.input)}"` }).default('/'),
  /** Kubernetes pathType (default Prefix). */
  pathType: z.enum(['Prefix', 'Exact', 'ImplementationSpecific']).default('Prefix'),
});

const ingressHost = z.strictObject({
  host: hostname,
  /** Paths of this host routed to the API gateway (default [{ path: /, pathType: Prefix }]). */
  paths: z.array(ingressPath).default([{ path: '/', pathType: 'Prefix' }]),
});

const ingressTls = z.strictObject({
  secretName: objectName,
  hosts: z.array(hostname).default([]),
});

/** `ingress.*`: the public entry through Traefik. */
export const ingressSchema = () =>
  z
    .strictObject({
      /** Render the Ingress (default true). */
      enabled: z.boolean().default(true),
      /** IngressClass name (default traefik). */
      className: objectName.default('traefik'),
      /** Extra Ingress annotations (default {}). */
      annotations: stringMap.default({}),
      /** Hosts (default [{ host: aiops.local, paths: [/] }]). */
      hosts: z.array(ingressHost).min(1).default([{ host: 'aiops.local', paths: [{ path: '/', pathType: 'Prefix' }] }]),
      /** TLS entries; any entry turns on the HTTP → HTTPS redirect (default []). */
      tls: z.array(ingressTls).default([]),
    })
    .prefault({});
