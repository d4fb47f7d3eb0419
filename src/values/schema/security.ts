import { z } from 'zod';
import type { Profile } from './profile.js';
import { objectName } from './primitives.js';

/** `networkPolicy.*` */
export const networkPolicySchema = (p: Profile) =>
  z
    .strictObject({
      /** Render allow policies for every edge of the component graph (default false in development, true in production). */
      enabled: z.boolean().default(p.pick(false, true)),
      /** Add a default-deny policy for the namespace (default false in development, true in production). */
      defaultDeny: z.boolean().default(p.pick(false, true)),
    })
    .prefault({});

/** `podSecurityPolicy.*`: PSP was removed in Kubernetes 1.25; this maps to Pod Security Admission labels. */
export const podSecurityPolicySchema = () =>
  z
    .strictObject({
      /** Enforce the restricted Pod Security Standard on the namespace (default false; warn/audit labels are always set). */
      enabled: z.boolean().default(false),
    })
    .prefault({});

/** `secrets.*`: external secret management. */
export const secretsSchema = () =>
  z
    .strictObject({
      /** Produce ExternalSecret objects instead of Secrets (default false). */
      external: z.boolean().default(false),
      /** Secret backend (default vault). */
      provider: z.enum(['vault']).default('vault'),
      /** Path of the platform's secrets in the backend (default secret/aiops). */
      vaultPath: z.string().min(1).default('secret/aiops'),
      /** The external-secrets store to read from (default ClusterSecretStore "vault"). */
      store: z
        .strictObject({
          kind: z.enum(['ClusterSecretStore', 'SecretStore']).default('ClusterSecretStore'),
          name: objectName.default('vault'),
        })
        .prefault({}),
      /** How often ExternalSecrets refresh (default 1h). */
      refreshInterval: z.string().regex(/^\d+[smh]$/).default('1h'),
    })
    .prefault({});
