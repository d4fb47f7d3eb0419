/**
 * The names of the API gateway's own metrics, decided here once: the gateway registers them
 * (src/services/api-gateway/service.ts); dashboards and alert rules may read them.
 */
export const API_GATEWAY_METRICS = {
  /** Counter `{outcome}`: sign-ins by outcome, one of {@link API_GATEWAY_LOGIN_OUTCOMES}. */
  logins: 'aiops_api_gateway_logins_total',
  /** Counter `{result}`: ForwardAuth answers by result, one of {@link API_GATEWAY_VERIFY_RESULTS}. */
  verify: 'aiops_api_gateway_auth_verify_total',
  /** Counter: audit rows that could not be written (the request they describe was refused with 503). */
  auditWriteFailures: 'aiops_api_gateway_audit_write_failures_total',
  /** Counter `{operation}`: rate-limit calls that Redis failed and memory counters answered. */
  rateLimitFallbacks: 'aiops_api_gateway_rate_limit_redis_failures_total',
} as const;

/** `succeeded`, `failed` (wrong username or password), `locked` (refused during a lock-out), `error` (a store failed). */
export const API_GATEWAY_LOGIN_OUTCOMES = ['succeeded', 'failed', 'locked', 'error'] as const;

/** `allowed` (200), `redirected` (302 to the login page), `unauthorized` (401), `forbidden` (403), `error` (503). */
export const API_GATEWAY_VERIFY_RESULTS = ['allowed', 'redirected', 'unauthorized', 'forbidden', 'error'] as const;
