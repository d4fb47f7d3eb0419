import type { Counter } from 'prom-client';
import type { Logger } from '../kit/log.js';
import type { CookieSecureMode } from './identity/cookies.js';
import type { Credentials } from './identity/credentials.js';
import type { Guard } from './identity/guard.js';
import type { RateLimiter } from './identity/rate-limit.js';
import type { SessionStore, SessionTimes } from './identity/sessions.js';
import type { IdentityStore } from './identity/store.js';

/**
 * What the gateway's route modules receive (`registerAuthRoutes(server, deps)`, …): the identity
 * pieces built once by service.ts.
 */
export interface GatewayDeps {
  readonly store: IdentityStore;
  readonly sessions: SessionStore;
  readonly sessionTimes: SessionTimes;
  readonly limits: RateLimiter;
  readonly credentials: Credentials;
  /** requireRole, audit, audited: what every route uses. */
  readonly guard: Guard;
  /** The API's path prefix (API_PREFIX, `/api`): routes are `<prefix>/v1/…`. */
  readonly apiPrefix: string;
  readonly cookieSecure: CookieSecureMode;
  readonly log: Logger;
  readonly metrics: GatewayMetrics;
}

/** The gateway's own counters (names in src/core/api-gateway-metrics.ts). */
export interface GatewayMetrics {
  readonly logins: Counter<'outcome'>;
  readonly verify: Counter<'result'>;
  readonly auditFailures: Counter;
  readonly rateLimitFallbacks: Counter<'operation'>;
}
