import * as z from 'zod/mini';
import { SERVICE_ENV } from '../../core/service-env.js';
import { envBasePath, envEnum, envOptionalString, envString } from '../kit/config.js';
import { postgresConnection, postgresEnvCheck, postgresEnvShape } from '../kit/postgres.js';
import { describeRedis, RedisClient, redisConnection, redisEnvShape } from '../kit/redis.js';
import type { ServiceDefinition } from '../kit/run.js';
import type { ServiceServer } from '../kit/server.js';
import type { GatewayDeps } from './deps.js';
import { COOKIE_SECURE_MODES } from './identity/cookies.js';
import { Credentials } from './identity/credentials.js';
import { Guard } from './identity/guard.js';
import { passwordProblem } from './identity/passwords.js';
import { MemoryCounters, RateLimiter, RedisCounters, type LoginLimits, type WindowLimit } from './identity/rate-limit.js';
import { DEFAULT_SESSION_TIMES, MemorySessionStore, RedisSessionStore, type SessionTimes } from './identity/sessions.js';
import { createIdentityStore, usernameProblem } from './identity/store.js';
import { createGatewayMetrics } from './metrics.js';
import { registerAuthRoutes } from './routes/auth.js';
import { registerGatewayConsole } from './routes/console.js';
import { registerPlatformRoutes, upstreamsFromEnv } from './routes/platform.js';
import { registerUserRoutes } from './routes/users.js';

/**
 * The API gateway (BASE_PATH `/`): the platform's one login. Users, API keys and the audit in
 * PostgreSQL (identity/store.ts; the schema is migrated at start, retried every 10 s while
 * PostgreSQL is not up, then the first admin is created from ADMIN_USERNAME/ADMIN_PASSWORD when
 * absent), sessions in Redis (SESSION_STORE=redis) or memory, rate limits in Redis when configured.
 * Routes: routes/auth.ts (`/auth/verify`, sign-in), routes/users.ts (users, API keys, audit),
 * routes/platform.ts (the platform API over Prometheus, Alertmanager, the AI engine and the
 * executor, and `/api/openapi.json`), routes/console.ts (the operations console at `/`); more
 * through {@link ApiGatewayOverrides.routes}.
 * Readiness: PostgreSQL answers and the schema is migrated; Redis answers PING when configured.
 */

const G = SERVICE_ENV.apiGateway;
const R = SERVICE_ENV.redis;

/** SESSION_STORE values: `redis` (needs REDIS_HOST) or `memory`. Unset: redis when REDIS_HOST is set, else memory. */
export const SESSION_STORE_KINDS = ['redis', 'memory'] as const;

/** An optional choice of `choices` (undefined when unset or empty). */
function envOptionalEnum<const T extends readonly [string, ...string[]]>(choices: T) {
  return z.pipe(
    z.optional(z.string()),
    z.transform((raw: string | undefined, ctx): T[number] | undefined => {
      if (raw === undefined || raw === '') return undefined;
      if (choices.includes(raw)) return raw;
      ctx.issues.push({ code: 'custom', message: `expected one of ${choices.join(', ')}, found ${JSON.stringify(raw.slice(0, 40))}`, input: raw });
      return z.NEVER;
    }),
  );
}

interface GatewayEnv {
  readonly [G.apiPrefix]: string;
  readonly [G.sessionStore]: (typeof SESSION_STORE_KINDS)[number] | undefined;
  readonly [G.adminUsername]: string;
  readonly [G.adminPassword]: string | undefined;
  readonly [R.host]: string | undefined;
  readonly [SERVICE_ENV.postgres.host]: string | undefined;
}

/** The gateway's own rules across variables: PostgreSQL required, SESSION_STORE=redis needs REDIS_HOST, a valid admin. */
const gatewayEnvCheck = z.superRefine((env: GatewayEnv, ctx) => {
  const problem = (path: string, message: string) => ctx.issues.push({ code: 'custom', path: [path], message, input: undefined });
  if (env[SERVICE_ENV.postgres.host] === undefined) problem(SERVICE_ENV.postgres.host, 'required: the API gateway keeps its users and audit in PostgreSQL, not set');
  if (env[G.sessionStore] === 'redis' && env[R.host] === undefined) problem(R.host, `required when ${G.sessionStore}=redis, not set`);
  if (env[G.apiPrefix] === '/') problem(G.apiPrefix, 'expected a path below "/" such as "/api", found "/"');
  const nameProblem = usernameProblem(env[G.adminUsername]);
  if (nameProblem) problem(G.adminUsername, nameProblem);
  const password = env[G.adminPassword];
  const passwordIssue = password === undefined || nameProblem ? undefined : passwordProblem(password, env[G.adminUsername]);
  if (passwordIssue) problem(G.adminPassword, `${passwordIssue} (a string of ${password!.length} characters, hidden)`);
});

/** Environment of the API gateway beyond the common variables. */
export const apiGatewayConfigSchema = z
  .object({
    [G.apiPrefix]: envBasePath('/api'),
    [G.sessionStore]: envOptionalEnum(SESSION_STORE_KINDS),
    [G.adminUsername]: envString({ default: 'admin' }),
    /** The first admin's password (created only when absent); unset: no admin is created. */
    [G.adminPassword]: envOptionalString(),
    [G.cookieSecure]: envEnum(COOKIE_SECURE_MODES, 'auto'),
    [G.selfHealingUrl]: envOptionalString(),
    [SERVICE_ENV.approvals.token]: envOptionalString(),
    [SERVICE_ENV.aiEngineClient.url]: envOptionalString(),
    [SERVICE_ENV.prometheus.url]: envOptionalString(),
    [SERVICE_ENV.alertmanager.url]: envOptionalString(),
    ...redisEnvShape,
    ...postgresEnvShape,
  })
  .check(postgresEnvCheck, gatewayEnvCheck);

/** What tests (and the route modules still to come) may change; every field defaults to the production value. */
export interface ApiGatewayOverrides {
  /** Idle and absolute session lifetimes (default 8 h, 24 h). */
  readonly sessionTimes?: SessionTimes;
  /** Login failure limits and lock-out (default rate-limit.ts' DEFAULT_LOGIN_LIMITS). */
  readonly loginLimits?: LoginLimits;
  /** Per-user API request limit (default 600 per minute). */
  readonly requestLimit?: WindowLimit;
  /** The clock of sessions and rate limits (default Date.now). */
  readonly now?: () => number;
  /** How long a user row is trusted from memory (default credentials.ts' 5 s). */
  readonly userCacheMs?: number;
  /** Time between two attempts at the schema (and the first admin) while PostgreSQL fails (default 10 s). */
  readonly migrateRetryMs?: number;
  /** More routes, registered after the identity routes with the same dependencies. */
  readonly routes?: (server: ServiceServer, deps: GatewayDeps) => void;
}

/** Time between two attempts at the schema while PostgreSQL fails. */
const MIGRATE_RETRY_MS = 10_000;
/** At most one log line per this many ms about the rate limits' Redis failures. */
const FALLBACK_LOG_MS = 60_000;

/** The gateway with `overrides` (tests); {@link apiGatewayService} is the production one. */
export function createApiGatewayService(overrides: ApiGatewayOverrides = {}): ServiceDefinition<typeof apiGatewayConfigSchema> {
  return {
    name: 'api-gateway',
    configSchema: apiGatewayConfigSchema,
    build: ({ config, log, registry, server }) => {
      const now = overrides.now ?? Date.now;
      const connection = postgresConnection(config);
      if (!connection) throw new Error(`${SERVICE_ENV.postgres.host} is required`);
      const store = createIdentityStore({ connection, log, registry });
      const metrics = createGatewayMetrics(registry);

      const redisOptions = redisConnection(config);
      const redis = redisOptions ? new RedisClient({ ...redisOptions, log }) : undefined;
      const sessionTimes = overrides.sessionTimes ?? DEFAULT_SESSION_TIMES;
      const kind = config[G.sessionStore] ?? (redis ? 'redis' : 'memory');
      const sessions = kind === 'redis' && redis ? new RedisSessionStore(redis, sessionTimes, now) : new MemorySessionStore(sessionTimes, now);
      if (sessions.kind === 'memory') log.warn('sessions are kept in memory (SESSION_STORE=memory): per replica, lost on restart');

      let lastFallbackLog = 0;
      const counters = redis
        ? new RedisCounters(redis, new MemoryCounters(now), (err, operation) => {
            metrics.rateLimitFallbacks.inc({ operation });
            if (Date.now() - lastFallbackLog < FALLBACK_LOG_MS) return;
            lastFallbackLog = Date.now();
            log.warn({ err, operation }, 'rate limits: Redis failed, counting in memory meanwhile');
          })
        : new MemoryCounters(now);
      const limits = new RateLimiter(counters, { login: overrides.loginLimits, requests: overrides.requestLimit, now });
      const credentials = new Credentials(sessions, store, { cacheMs: overrides.userCacheMs, now });

      let migrated = false;
      const apiPrefix = config[G.apiPrefix];
      const guard = new Guard({
        credentials,
        limits,
        appendAudit: (entry) => (migrated ? store.appendAudit(entry) : Promise.reject(new Error('the audit table is not migrated yet'))),
        apiPrefix,
        log,
        auditFailures: metrics.auditFailures,
      });
      const deps: GatewayDeps = { store, sessions, sessionTimes, limits, credentials, guard, apiPrefix, cookieSecure: config[G.cookieSecure], log, metrics };
      registerAuthRoutes(server, deps);
      registerUserRoutes(server, deps);
      registerPlatformRoutes(server, deps, upstreamsFromEnv(config), redis);
      registerGatewayConsole(server, deps);
      overrides.routes?.(server, deps);

      server.readiness('postgresql', async () => {
        if (!migrated) throw new Error(`the identity schema is not migrated yet on ${store.where}`);
        await store.ready();
      });
      if (redis) server.readiness('redis', () => redis.ping());

      // The schema, then the first admin: retried until PostgreSQL answers (it may start after the gateway).
      const retryMs = overrides.migrateRetryMs ?? MIGRATE_RETRY_MS;
      const stop = new AbortController();
      const pause = () =>
        new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, retryMs);
          stop.signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
        });
      const untilDone = async (what: string, step: () => Promise<unknown>): Promise<boolean> => {
        while (!stop.signal.aborted) {
          try {
            await step();
            return true;
          } catch (err) {
            log.warn({ err, postgres: store.where, retryMs }, `${what} failed: retrying`);
            await pause();
          }
        }
        return false;
      };
      const adminName = config[G.adminUsername];
      const adminPassword = config[G.adminPassword];
      const setup = (async () => {
        if (!(await untilDone('identity schema migration', () => store.migrate()))) return;
        migrated = true;
        log.info({ postgres: store.where }, 'identity tables gateway_users, gateway_api_keys, gateway_audit ready');
        if (adminPassword === undefined) {
          log.warn({ username: adminName }, `${G.adminPassword} is not set: no admin is created (existing users still sign in)`);
          return;
        }
        await untilDone('creating the first admin', () => store.ensureAdmin(adminName, adminPassword));
      })();

      log.info(
        { apiPrefix, sessions: sessions.kind, redis: redisOptions ? describeRedis(redisOptions) : undefined, postgres: store.where, cookieSecure: config[G.cookieSecure] },
        'API gateway configured',
      );
      return {
        close: async () => {
          stop.abort();
          await setup;
          redis?.close();
          await store.close();
        },
      };
    },
  };
}

/** The API gateway as the chart runs it. */
export const apiGatewayService = createApiGatewayService();
