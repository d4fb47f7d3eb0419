import { SERVICE_ENV } from '../../../core/service-env.js';
import type { RedisClient } from '../../kit/redis.js';
import { sendJson, type ServiceServer } from '../../kit/server.js';
import { createResponseCache } from '../api/cache.js';
import { openApiDocument, registeredOperations, type Operation } from '../api/operations.js';
import { platformOperations, type PlatformUpstreams } from '../api/platform.js';
import type { Upstream } from '../api/upstream.js';
import type { GatewayDeps } from '../deps.js';
import { registerGuardedOperations } from './table.js';

/**
 * The platform API in the gateway: the operations of api/platform.ts under `<prefix>/v1`, with the
 * identity's guard (role, CSRF for cookie sessions, per-user limit, audit before the forward), and
 * `GET <prefix>/openapi.json`, the document generated from the same table: every operation
 * registered on the server (auth.ts, users.ts, these), for signed-in users.
 */

/** The component URLs and the approval token, as the chart sets them. */
export interface PlatformEnv {
  readonly [SERVICE_ENV.prometheus.url]: string | undefined;
  readonly [SERVICE_ENV.alertmanager.url]: string | undefined;
  readonly [SERVICE_ENV.aiEngineClient.url]: string | undefined;
  readonly [SERVICE_ENV.apiGateway.selfHealingUrl]: string | undefined;
  readonly [SERVICE_ENV.approvals.token]: string | undefined;
}

const trim = (url: string) => url.replace(/\/+$/, '');

/** The components the environment names (absent ones answer 404). */
export function upstreamsFromEnv(env: PlatformEnv): PlatformUpstreams {
  const at = (name: string, url: string | undefined, headers?: Record<string, string>): Upstream | undefined => (url ? { name, url: trim(url), ...(headers ? { headers } : {}) } : undefined);
  const token = env[SERVICE_ENV.approvals.token];
  return {
    prometheus: at('Prometheus', env[SERVICE_ENV.prometheus.url]),
    alertmanager: at('Alertmanager', env[SERVICE_ENV.alertmanager.url]),
    aiEngine: at('The AI engine', env[SERVICE_ENV.aiEngineClient.url]),
    executor: at('The self-healing executor', env[SERVICE_ENV.apiGateway.selfHealingUrl], token ? { authorization: `Bearer ${token}` } : undefined),
  };
}

/** Registers the platform operations and the OpenAPI document of every operation registered on `server`; returns the platform operations (tests, the console). */
export function registerPlatformRoutes(server: ServiceServer, deps: GatewayDeps, upstreams: PlatformUpstreams, redis: RedisClient | undefined): Operation[] {
  const operations = platformOperations(upstreams, createResponseCache(redis, deps.log));
  registerGuardedOperations(server, deps, operations);
  // Built at the first request, when every route module has registered its operations.
  let document: Record<string, unknown> | undefined;
  server.route('GET', `${deps.apiPrefix}/openapi.json`, async (ctx) => {
    await deps.guard.requireRole(ctx, 'viewer');
    document ??= openApiDocument(registeredOperations(server, deps.apiPrefix), {
      prefix: deps.apiPrefix,
      title: 'AIOps platform API',
      version: '1',
      description:
        'The platform API behind the API gateway: sign-in and sessions, users, API keys and the audit; alerts and silences (Alertmanager), queries (Prometheus), anomalies (AI engine), self-healing decisions and approvals. Sign in with POST /api/v1/auth/login (cookie session, send X-CSRF-Token on writes) or send an API key as a Bearer token.',
    });
    sendJson(ctx.res, 200, document);
  });
  return operations;
}
