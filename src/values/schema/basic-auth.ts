import { z } from 'zod';
import { existingSecret } from './common.js';
import { CONTROL } from './text.js';


/**
 * `ingress.basicAuth.*`: the login in front of the UIs that have none of their own (Prometheus,
 * Alertmanager, the AI engine, Kibana without Elasticsearch security), until the API gateway's
 * single login replaces it.
 */
export const basicAuthSchema = () =>
  z
    .strictObject({
      enabled: z
        .boolean()
        .default(true)
        .describe('Route the UIs without a login of their own (Prometheus, Alertmanager, the AI engine; Kibana without Elasticsearch security) behind Traefik basic auth; false leaves them unrouted (default true).'),
      username: z
        .string()
        .regex(/^[A-Za-z0-9._@-]{1,64}$/, { error: (i) => `expected a user name of 1 to 64 characters A-Z a-z 0-9 . _ @ - (no ":"), found "${String(i.input)}"` })
        .default('admin')
        .describe('User name of the basic-auth login (default admin).'),
      password: z
        .string()
        .superRefine((value, ctx) => {
          if (CONTROL.test(value)) ctx.addIssue({ code: 'custom', input: '(hidden)', message: 'the basic-auth password contains a line break or another control character, which a browser cannot send; choose another' });
          if (Buffer.byteLength(value, 'utf8') > 72) ctx.addIssue({ code: 'custom', input: '(hidden)', message: 'the basic-auth password is longer than 72 bytes, where bcrypt stops reading; choose a shorter one' });
        })
        .default('')
        .describe(
          'Password of the basic-auth login; the chart stores only its bcrypt hash, in the Secret <release>-basic-auth (key users) (default "": a development password in development; in production the Secret must exist, see existingSecret and secrets.external).',
        ),
      existingSecret: existingSecret.describe(
        'Existing Secret Traefik reads the users from: one key holding htpasswd lines (htpasswd -nB user), or a kubernetes.io/basic-auth Secret; the chart then renders none (default: none).',
      ),
    })
    .prefault({})
    .describe('Basic auth (Traefik BasicAuth Middleware) in front of the UIs that have no login of their own.');
