import { createApiGatewayService, type ApiGatewayOverrides } from '../../src/services/api-gateway/service.js';
import { startService, type RunningService } from '../../src/services/kit/run.js';
import type { PostgresCluster } from './postgresql-server.js';
import { until } from './until.js';

/** What the gateway tests vary when they start one in-process. */
export interface GatewayStart {
  readonly cluster: PostgresCluster;
  readonly db: string;
  readonly pgUser: string;
  readonly pgPassword: string;
  readonly redisHost: string;
  readonly redisPassword: string;
  readonly adminPassword: string;
  /** Component URLs, APPROVAL_TOKEN… */
  readonly env?: Record<string, string>;
  readonly overrides?: ApiGatewayOverrides;
}

/**
 * Starts the API gateway on ephemeral ports on 127.0.0.1 against a real PostgreSQL database and
 * redis-server, and waits until it is ready and its first admin (`admin`) exists.
 */
export async function startGatewayService(o: GatewayStart): Promise<RunningService> {
  const gw = await startService(createApiGatewayService({ migrateRetryMs: 200, ...o.overrides }), {
    env: {
      BASE_PATH: '/',
      LOG_LEVEL: 'fatal',
      SHUTDOWN_DELAY_SECONDS: '0',
      POSTGRES_HOST: '127.0.0.1',
      POSTGRES_PORT: String(o.cluster.port),
      POSTGRES_DB: o.db,
      POSTGRES_USER: o.pgUser,
      POSTGRES_PASSWORD: o.pgPassword,
      POSTGRES_SSLMODE: 'disable',
      REDIS_HOST: o.redisHost,
      REDIS_PASSWORD: o.redisPassword,
      ADMIN_USERNAME: 'admin',
      ADMIN_PASSWORD: o.adminPassword,
      ...o.env,
    },
    ephemeralPorts: true,
    host: '127.0.0.1',
    logDestination: { write: () => undefined },
  });
  await until('the gateway ready', async () => ((await fetch(`http://127.0.0.1:${gw.port}/healthz/ready`)).status === 200 ? true : undefined), 20_000, 50);
  await until('the first admin', async () => ((await o.cluster.psql(o.db, "SELECT count(*) FROM gateway_users WHERE username = 'admin'")) === '1' ? true : undefined), 10_000, 50);
  return gw;
}
