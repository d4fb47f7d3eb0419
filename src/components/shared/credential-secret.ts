import { createHmac } from 'node:crypto';
import { k8s } from '../../lib/k8s.js';
import { Construct } from 'constructs';
import { ExternalSecret, ExternalSecretSpecSecretStoreRefKind } from '../../../imports/externalsecret-external-secrets.io.js';
import type { PlatformContext } from '../../lib/context.js';
import type { ComponentIdentity } from '../../lib/labels.js';
import { metadata } from '../../lib/metadata.js';

/** One credential of a component. */
export interface CredentialEntry {
  /** Key in the Secret, e.g. `redis-password`. */
  readonly key: string;
  /** Value from values; empty means not given. */
  readonly value: string;
  /** Values path that sets it, for messages, e.g. `redis.auth.password`. */
  readonly valuesPath: string;
  /** A secret value (default true); a user name is not, so it neither warns nor counts as missing. */
  readonly sensitive?: boolean;
  /** How `kubectl create secret generic` takes this key, for the hint (default `--from-literal=<key>=…`). */
  readonly kubectlArg?: string;
}

/** Props of {@link CredentialSecret}. */
export interface CredentialSecretProps {
  readonly ctx: PlatformContext;
  /** Name of the Secret the chart manages, e.g. `aiops-platform-redis`. */
  readonly name: string;
  readonly id: ComponentIdentity;
  /** A Secret the user created (`existingSecret`); the chart then renders nothing (default none). */
  readonly existingSecret?: string | undefined;
  /** Values path of the existingSecret key, for messages. */
  readonly existingSecretPath: string;
  readonly entries: readonly CredentialEntry[];
}

/**
 * The credentials of a component, as one Secret whose name workloads reference:
 * - `existingSecret` set: nothing rendered, that Secret is used;
 * - `secrets.external`: an ExternalSecret that makes the Secret from the store (`vaultPath/<component>`);
 * - values given: a Secret (warns in production: plaintext credentials end up in manifests);
 * - nothing given: in development a fixed development credential; in production no Secret is
 *   rendered and a warning says which Secret to create before applying.
 */
export class CredentialSecret extends Construct {
  /** Name of the Secret workloads read from. */
  readonly secretName: string;

  constructor(scope: Construct, id: string, props: CredentialSecretProps) {
    super(scope, id);
    const { ctx } = props;
    if (props.existingSecret) {
      this.secretName = props.existingSecret;
      return;
    }
    this.secretName = props.name;
    if (ctx.secrets.external) {
      this.renderExternalSecret(props);
      return;
    }
    const secrets = props.entries.filter((e) => e.sensitive !== false);
    const missing = secrets.filter((e) => !e.value);
    if (!ctx.development) {
      const given = [...new Set(secrets.filter((entry) => entry.value).map((entry) => entry.valuesPath))];
      for (const valuesPath of given) {
        ctx.warn(
          `${valuesPath} is a plaintext credential while global.development is false: it is written into the Secret ${props.name} in the manifests (and so into Git); use ${props.existingSecretPath} or secrets.external instead`,
        );
      }
      if (missing.length > 0) {
        const paths = [...new Set(missing.map((e) => e.valuesPath))];
        const args = props.entries.map((e) => e.kubectlArg ?? `--from-literal=${e.key}=…`);
        ctx.warn(
          `${paths.join(', ')} not set and no ${props.existingSecretPath}: no Secret is rendered; create it before applying: ` +
            `kubectl -n ${ctx.namespace} create secret generic ${props.name} ${args.join(' ')}`,
        );
        return;
      }
    }
    const stringData: Record<string, string> = {};
    for (const e of props.entries) stringData[e.key] = e.value || developmentCredential(ctx, props.id, e.key);
    new k8s.KubeSecret(this, 'secret', {
      metadata: metadata(ctx, props.name, props.id),
      type: 'Opaque',
      stringData,
    });
  }

  private renderExternalSecret(props: CredentialSecretProps): void {
    const { ctx } = props;
    new ExternalSecret(this, 'external', {
      metadata: metadata(ctx, props.name, props.id),
      spec: {
        refreshInterval: ctx.secrets.refreshInterval,
        secretStoreRef: {
          kind:
            ctx.secrets.store.kind === 'ClusterSecretStore'
              ? ExternalSecretSpecSecretStoreRefKind.CLUSTER_SECRET_STORE
              : ExternalSecretSpecSecretStoreRefKind.SECRET_STORE,
          name: ctx.secrets.store.name,
        },
        target: { name: props.name },
        data: props.entries.map((e) => ({
          secretKey: e.key,
          remoteRef: { key: `${ctx.secrets.vaultPath}/${props.id.name}`, property: e.key },
        })),
      },
    });
  }
}

/** The fixed credential of the development profile: known, documented, never used in production. */
export function developmentCredential(ctx: PlatformContext, id: ComponentIdentity, key: string): string {
  return `dev-${ctx.release}-${id.name}-${key}`;
}

/**
 * A password for another user derived from a given one (HMAC-SHA256, base64url, 32 characters):
 * deterministic, distinct per user, and not revealing the source password; empty when the source
 * is empty. Lets one password in values (the seed's `elasticsearch.auth.password`) yield the
 * service users' passwords without handing them the superuser's.
 */
export function derivedPassword(source: string, user: string): string {
  return source ? createHmac('sha256', source).update(`aiops-platform/${user}`).digest('base64url').slice(0, 32) : '';
}
