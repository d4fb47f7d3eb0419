import type { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { SERVICE_ENV as ENV } from '../../core/service-env.js';
import type { PlatformContext } from '../../lib/context.js';
import { CATALOG } from '../../plan/catalog.js';
import type { Values } from '../../values/schema/index.js';
import type { PostgreSqlConnection } from '../data/postgresql.js';
import type { RedisConnection } from '../data/redis.js';
import { PlatformService, type PlatformServiceConnection } from './platform-service.js';
import { postgresEnv, redisEnv } from './service-env.js';

/** Props of {@link ApiGateway}. Each connection is optional: undefined when that component is not rendered. */
export interface ApiGatewayProps {
  readonly ctx: PlatformContext;
  /** The `apiGateway.*` values slice. */
  readonly values: Values['apiGateway'];
  /** The AI engine's in-cluster URL with its base path (default none). */
  readonly aiEngine?: { readonly url: string } | undefined;
  /** The self-healing executor's in-cluster URL (default none). */
  readonly selfHealing?: { readonly url: string } | undefined;
  /** Session store (default none: sessions in memory, per pod). */
  readonly redis?: RedisConnection | undefined;
  /** The platform database (default none). */
  readonly postgresql?: PostgreSqlConnection | undefined;
}

const API_GATEWAY_ID = CATALOG.apiGateway.id;

/** Path prefix of the gateway's API; the rest of `/` is the web UI. */
const API_PREFIX = '/api';

/**
 * The API gateway: the platform's web entry, a {@link PlatformService} `api-gateway` serving `/`
 * (UI) and `/api` (API), in front of the AI engine and the self-healing executor. Its environment,
 * beside the common BASE_PATH=/, LOG_LEVEL, PORT=8080, POD_NAME, POD_NAMESPACE and
 * `apiGateway.extraEnv`; a variable is absent when its component is not rendered:
 *
 * | variable | value |
 * |---|---|
 * | `AI_ENGINE_URL` | `http://<release>-ai-engine.<ns>.svc.<domain>:8080/ai` |
 * | `SELF_HEALING_URL` | the executor's URL, as the chart passes it |
 * | `API_PREFIX` | `/api` |
 * | `SESSION_STORE` | `redis`, or `memory` without Redis (sessions per pod, lost on restart: warned) |
 * | `REDIS_HOST`, `REDIS_PORT`, `REDIS_PASSWORD`, `REDIS_CLUSTER` | as for the AI engine |
 * | `POSTGRES_HOST`, `POSTGRES_PORT`, `POSTGRES_DB`, `POSTGRES_USER`, `POSTGRES_PASSWORD`, `POSTGRES_SSLMODE` | as for the AI engine |
 */
export class ApiGateway extends Construct {
  readonly connection: PlatformServiceConnection;

  constructor(scope: Construct, id: string, props: ApiGatewayProps) {
    super(scope, id);
    const { ctx, values } = props;
    if (!props.redis) {
      ctx.warn(
        'redis.enabled is false: the API gateway keeps sessions in memory (SESSION_STORE=memory), per pod: users must sign in again when a request reaches another pod or a pod restarts; enable Redis for shared sessions',
      );
    }
    const env: k8s.EnvVar[] = [
      ...(props.aiEngine ? [{ name: ENV.aiEngineClient.url, value: props.aiEngine.url }] : []),
      ...(props.selfHealing ? [{ name: ENV.apiGateway.selfHealingUrl, value: props.selfHealing.url }] : []),
      { name: ENV.apiGateway.apiPrefix, value: API_PREFIX },
      { name: ENV.apiGateway.sessionStore, value: props.redis ? 'redis' : 'memory' },
      ...redisEnv(props.redis),
      ...postgresEnv(props.postgresql),
    ];
    this.connection = new PlatformService(this, 'service', {
      ctx,
      values,
      valuesPath: 'apiGateway',
      component: API_GATEWAY_ID.name,
      role: API_GATEWAY_ID.component,
      basePath: '/',
      env,
    }).connection;
  }
}
