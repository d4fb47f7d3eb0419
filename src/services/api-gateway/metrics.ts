import { Counter, type Registry } from 'prom-client';
import { API_GATEWAY_LOGIN_OUTCOMES, API_GATEWAY_METRICS as M, API_GATEWAY_VERIFY_RESULTS } from '../../core/api-gateway-metrics.js';
import type { GatewayMetrics } from './deps.js';

/**
 * The gateway's own metrics (beside the kit's process and request metrics), named in
 * src/core/api-gateway-metrics.ts; every label value starts at 0 so that increase() sees the first.
 * The audit failure counter is the identity store's (kit/postgres.ts registers it), when it exists.
 */
export function createGatewayMetrics(registry: Registry): GatewayMetrics {
  const registers = [registry];
  const logins = new Counter({ name: M.logins, help: 'Sign-ins at the API gateway by outcome.', labelNames: ['outcome'] as const, registers });
  for (const outcome of API_GATEWAY_LOGIN_OUTCOMES) logins.inc({ outcome }, 0);
  const verify = new Counter({ name: M.verify, help: 'ForwardAuth answers of the API gateway (GET /auth/verify) by result.', labelNames: ['result'] as const, registers });
  for (const result of API_GATEWAY_VERIFY_RESULTS) verify.inc({ result }, 0);
  const auditFailures =
    (registry.getSingleMetric(M.auditWriteFailures) as Counter | undefined) ??
    new Counter({ name: M.auditWriteFailures, help: 'Audit rows of the API gateway that could not be written (the request was refused).', registers });
  const rateLimitFallbacks = new Counter({
    name: M.rateLimitFallbacks,
    help: 'Rate-limit operations that Redis failed and the memory counters answered.',
    labelNames: ['operation'] as const,
    registers,
  });
  return { logins, verify, auditFailures, rateLimitFallbacks };
}
