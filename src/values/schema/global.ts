import * as z from 'zod';
import type { Profile } from './profile.js';
import { imageRegistry, storageClassName } from './common.js';
import { extraLabelMap } from './metadata.js';
import { dnsSubdomain, objectName } from './primitives.js';
import { priorityClassesSchema, topologySpreadSchema } from './scheduling-policy.js';

const pullSecret = z
  .union([objectName, z.strictObject({ name: objectName.describe('Name of the image pull Secret.') })])
  .transform((s) => (typeof s === 'string' ? s : s.name));

/** `global.*`: settings shared by every component. */
export const globalSchema = (p: Profile) =>
  z
    .strictObject({
      storageClass: storageClassName
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
      imageRegistry: imageRegistry('global.imageRegistry')
        .default('')
        .describe('Registry host that replaces every image\'s registry, for mirrors and air-gapped clusters (default "": none).'),
      imagePullSecrets: z
        .array(pullSecret)
        .default([])
        .describe('Image pull Secrets added to every pod, as names or {name} objects (default []).'),
      /**
       * Pasted into host names, URLs, certificates and scripts, so only a DNS name is accepted; an
       * absolute name with a trailing dot is refused too (certificate SANs and URLs take none).
       */
      clusterDomain: dnsSubdomain('the cluster DNS domain such as cluster.local, without a trailing dot')
        .default('cluster.local')
        .describe('Cluster DNS domain of fully qualified service names, a DNS name without a trailing dot (default cluster.local).'),
      commonLabels: extraLabelMap
        .default({})
        .describe('Extra labels on every object (default {}).'),
      priorityClasses: priorityClassesSchema,
      topologySpread: topologySpreadSchema,
    })
    .prefault({})
    .describe('Settings shared by every component.');
