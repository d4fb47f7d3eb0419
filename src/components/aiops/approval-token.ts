import type { PlatformContext } from '../../lib/context.js';
import { objectName } from '../../lib/names.js';
import { CATALOG } from '../../plan/catalog.js';

/**
 * Where the approval token lives, decided once for both of its readers: the API gateway presents
 * it as `Authorization: Bearer …` to the self-healing executor's approval API
 * (`/api/v1/approvals…`), and the executor checks it; both read it as `APPROVAL_TOKEN`
 * (SERVICE_ENV.approvals.token) from the same Secret key. The gateway's construct renders the
 * Secret (with its other credentials, by the chart's CredentialSecret rules); the executor only
 * references it.
 */

/** Key of the approval token in the API gateway's Secret (and in an existing Secret that replaces it). */
export const APPROVAL_TOKEN_KEY = 'approval-token';

/** A Secret key holding the approval token. */
export interface ApprovalTokenRef {
  readonly secretName: string;
  readonly key: typeof APPROVAL_TOKEN_KEY;
}

/** The API gateway's own Secret `<release>-api-gateway`: the name the chart renders (or `secrets.external` makes). */
export function apiGatewaySecretName(ctx: PlatformContext): string {
  return objectName(ctx, CATALOG.apiGateway.id.name);
}

/**
 * The approval token's Secret and key: `existingSecret` when the user named one for the gateway
 * (it must hold the key {@link APPROVAL_TOKEN_KEY}), else `<release>-api-gateway`.
 */
export function approvalTokenRef(ctx: PlatformContext, existingSecret?: string): ApprovalTokenRef {
  return { secretName: existingSecret || apiGatewaySecretName(ctx), key: APPROVAL_TOKEN_KEY };
}
