import * as z from 'zod';

/** Why `ingress.basicAuth` is refused, and what replaces it. */
const REMOVED =
  "removed: the API gateway's login now guards every UI (Traefik ForwardAuth); delete this key, and set the first admin with " +
  'apiGateway.admin.username and apiGateway.admin.password, or apiGateway.admin.existingSecret (keys admin-password and approval-token)';

/**
 * `ingress.basicAuth`: removed. The Traefik basic-auth login in front of the UIs without one of
 * their own was replaced by the API gateway's single login (Traefik ForwardAuth); any value is an
 * error that names the replacement (never echoing the value, which may hold a password), rather
 * than an unknown key with a spelling suggestion. Marked deprecated in the JSON Schema.
 */
export const removedBasicAuthSchema = () =>
  z
    .unknown()
    .superRefine((value, ctx) => {
      if (value !== undefined) ctx.addIssue({ code: 'custom', input: '(removed)', message: REMOVED });
    })
    .optional()
    .meta({ deprecated: true })
    .describe("Removed: the API gateway's login (apiGateway.admin) replaced the basic-auth login; any value is an error naming the replacement.");
