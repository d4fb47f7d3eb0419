import { z } from 'zod';
import type { Profile } from './profile.js';
import { dnsLabel, objectName } from './primitives.js';

const pullSecret = z.union([objectName, z.strictObject({ name: objectName })]).transform((s) => (typeof s === 'string' ? s : s.name));

/** `global.*`: settings shared by every component. */
export const globalSchema = (p: Profile) =>
  z
    .strictObject({
      /** Storage class of every volume that names none (default "": the cluster default). */
      storageClass: z.string().default(''),
      /** Development profile (default true); false is production. */
      development: z.boolean().default(true),
      /** Log level of the platform's components (default debug in development, info in production). */
      logLevel: z.enum(['debug', 'info', 'warn', 'error']).default(p.pick('debug', 'info')),
      /** Registry host that replaces every image's registry, for mirrors and air-gapped clusters (default ""). */
      imageRegistry: z.string().default(''),
      /** Image pull Secrets added to every pod, as names or `{name}` (default []). */
      imagePullSecrets: z.array(pullSecret).default([]),
      /** Cluster DNS domain used in fully qualified service names (default cluster.local). */
      clusterDomain: z.string().default('cluster.local'),
      /** Extra labels on every object (default {}). */
      commonLabels: z.record(dnsLabel.or(z.string()), z.string()).default({}),
    })
    .prefault({});
