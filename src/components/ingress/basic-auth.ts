import { Construct } from 'constructs';
import { Middleware } from '../../../imports/middleware-traefik.io.js';
import type { PlatformContext } from '../../lib/context.js';
import { htpasswdLine } from '../../lib/htpasswd.js';
import type { ComponentIdentity } from '../../lib/labels.js';
import { metadata } from '../../lib/metadata.js';
import { objectName } from '../../lib/names.js';
import type { Values } from '../../values/schema/index.js';
import { CredentialSecret, developmentCredential } from '../shared/credential-secret.js';

/** Props of {@link BasicAuth}. */
export interface BasicAuthProps {
  readonly ctx: PlatformContext;
  /** The `ingress.basicAuth.*` values slice (enabled is the chart's business). */
  readonly values: Values['ingress']['basicAuth'];
  /** The Ingress serves TLS (`ingress.tls`); without it production warns: the password crosses the network in clear (default false). */
  readonly tls?: boolean;
}

const ID: ComponentIdentity = { name: 'basic-auth', component: 'ingress-auth' };
/** The one key of the users Secret: Traefik reads an Opaque users Secret only when it has exactly one key. */
const USERS_KEY = 'users';
/** Realm the browser shows in its login prompt. */
const REALM = 'aiops-platform';

/**
 * The login in front of the UIs without one of their own: a Traefik `Middleware` of type
 * basicAuth named `<release>-basic-auth` and its users Secret of the same name. Ingresses attach it
 * with the annotation `traefik.ingress.kubernetes.io/router.middlewares: <ref>` ({@link ref}); the
 * Traefik kubernetesCRD provider must be on (the chart turns it on with this construct) and
 * Traefik's CRDs installed in the cluster. A router whose middleware is missing is not served at
 * all, so a missing CRD or Secret fails closed.
 *
 * The users Secret holds one key, `users`, with the htpasswd line `<username>:<bcrypt hash>`
 * ({@link htpasswdLine}): the password never enters the manifests, only its hash. The Secret
 * follows the chart's credential rules: `existingSecret` (any Secret Traefik reads: one htpasswd
 * key, or a `kubernetes.io/basic-auth` Secret), `secrets.external` (property `users` at
 * `<vaultPath>/basic-auth`), the password from values, or in development the fixed password
 * `dev-<release>-basic-auth-password`; in production without any, no Secret and a warning.
 * `removeHeader`: the UIs behind it never see the credentials.
 */
export class BasicAuth extends Construct {
  /** The Middleware as Ingress annotations name it: `<namespace>-<name>@kubernetescrd`. */
  readonly ref: string;

  constructor(scope: Construct, id: string, props: BasicAuthProps) {
    super(scope, id);
    const { ctx, values } = props;
    const name = objectName(ctx, ID.name);
    const password = values.password || (ctx.development ? developmentCredential(ctx, ID, 'password') : '');
    const secretName = new CredentialSecret(this, 'users', {
      ctx,
      name,
      id: ID,
      existingSecret: values.existingSecret,
      existingSecretPath: 'ingress.basicAuth.existingSecret',
      entries: [
        {
          key: USERS_KEY,
          value: password ? htpasswdLine(values.username, password, `${ctx.namespace}/${ctx.release}`) : '',
          valuesPath: 'ingress.basicAuth.password',
          // Traefik reads htpasswd lines; bcrypt (-B) is the only strong hash it accepts.
          kubectlArg: `--from-file=${USERS_KEY}=<(htpasswd -nbB ${values.username} …)`,
        },
      ],
    }).secretName;

    new Middleware(this, 'middleware', {
      metadata: metadata(ctx, name, ID),
      spec: { basicAuth: { secret: secretName, realm: REALM, removeHeader: true } },
    });
    if (!ctx.development && !props.tls) {
      ctx.warn('ingress.basicAuth without ingress.tls: browsers send the basic-auth password in clear text over HTTP; add a certificate to ingress.tls');
    }
    this.ref = `${ctx.namespace}-${name}@kubernetescrd`;
  }
}
