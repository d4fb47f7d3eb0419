import { z } from 'zod';
import type { Profile } from './profile.js';
import { dnsLabel, objectName } from './primitives.js';

const pullSecret = z
  .union([objectName, z.strictObject({ name: objectName.describe('Name of the image pull Secret.') })])
  .transform((s) => (typeof s === 'string' ? s : s.name));

/** `global.*`: settings shared by every component. */
export const globalSchema = (p: Profile) =>
  z
    .strictObject({
      storageClass: z
        .string()
        .default('')
        .describe('Storage class of every volume that names none (default "": the cluster\'s default storage class).'),
      development: z
        .boolean()
        .default(true)
        .describe('Development profile: single replicas, small requests, debug logs; false is production (default true).'),
      logLevel: z
        .enum(['debug', 'info', 'warn', 'error'])
        .default(p.pick('debug', 'info'))
        .describe('Log level of the platform\'s components (default debug; production info).'),
      imageRegistry: z
        .string()
        .default('')
        .describe('Registry host that replaces every image\'s registry, for mirrors and air-gapped clusters (default "": none).'),
      imagePullSecrets: z
        .array(pullSecret)
        .default([])
        .describe('Image pull Secrets added to every pod, as names or {name} objects (default []).'),
      clusterDomain: z
        .string()
        .default('cluster.local')
        .describe('Cluster DNS domain of fully qualified service names (default cluster.local).'),
      commonLabels: z
        .record(dnsLabel.or(z.string()), z.string())
        .default({})
        .describe('Extra labels on every object (default {}).'),
    })
    .prefault({})
    .describe('Settings shared by every component.');
