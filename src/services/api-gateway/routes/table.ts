import type * as z from 'zod/mini';
import type { ServiceServer } from '../../kit/server.js';
import { operation, registerOperations, type AnyOperation, type Operation } from '../api/operations.js';
import type { GatewayDeps } from '../deps.js';
import type { Principal } from '../identity/credentials.js';

/**
 * Registers operations of the API table under `<api>/v1` with the identity's guard: the role and,
 * for a cookie session's mutation, the CSRF token (requireRole), the per-user limit, the audit rows.
 * Every route module of the API (auth.ts, users.ts, platform.ts) registers through here, so the
 * OpenAPI document (platform.ts) lists them all.
 */
export function registerGuardedOperations(server: ServiceServer, deps: GatewayDeps, operations: readonly AnyOperation<Principal>[]): void {
  registerOperations<Principal>(server, deps.apiPrefix, operations, {
    authorize: (ctx, role) => deps.guard.requireRole(ctx, role, { limit: false }),
    limit: (principal, ctx) => deps.guard.limit(principal, ctx),
    audit: (ctx, principal, entry) => deps.guard.audit(ctx, principal, entry),
  });
}

/** Declares an operation whose handler sees the identity's caller (its session, its key). */
export function guarded<Q extends z.ZodMiniType = z.ZodMiniObject<{}>, B extends z.ZodMiniType = z.ZodMiniUndefined>(op: Operation<Q, B, Principal>): Operation<z.ZodMiniType, z.ZodMiniType, Principal> {
  return operation<Q, B, Principal>(op);
}
