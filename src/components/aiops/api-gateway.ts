import type { k8s } from '../../lib/k8s.js';
import { Construct } from 'constructs';
import { SERVICE_ENV as ENV } from '../../core/service-env.js';
import type { PlatformContext } from '../../lib/context.js';
import { secretEnv } from '../../lib/pod.js';
import { CATALOG } from '../../plan/catalog.js';
import type { Values } from '../../values/schema/index.js';
import type { PostgreSqlConnection } from '../data/postgresql.js';
import type { RedisConnection } from '../data/redis.js';
import { CredentialSecret } from '../shared/credential-secret.js';
import { APPROVAL_TOKEN_KEY, apiGatewaySecretName, approvalTokenRef } from './approval-token.js';
import { PlatformService, type PlatformServiceConnection } from './platform-service.js';
import { alertmanagerEnv, postgresEnv, prometheusEnv, redisEnv } from './service-env.js';

/** Props of {@link ApiGateway}. Each connection is optional: undefined when that component is not rendered. */
export interface ApiGatewayProps {
  readonly ctx: PlatformContext;
  /** The `apiGateway.*` values slice. */
  readonly values: Values['apiGateway'];
  /** Prometheus with its route prefix: queries and the components' health (default none). */
  readonly prometheus?: { readonly url: string } | undefined;
  /** Alertmanager with its route prefix: alerts and silences (default none). */
  readonly alertmanager?: { readonly url: string } | undefined;
  /** The AI engine's in-cluster URL with its base path (default none). */
  readonly aiEngine?: { readonly url: string } | undefined;
  /** The self-healing executor's in-cluster URL: decisions and approvals (default none). */
  readonly selfHealing?: { readonly url: string } | undefined;
  /** Session store, rate limits and cache (default none: in memory, per pod). */
  readonly redis?: RedisConnection | undefined;
  /** Users, API keys and the audit (default none). */
  readonly postgresql?: PostgreSqlConnection | undefined;
  /** Every routed request is HTTPS (`ingress.tls`: Traefik redirects HTTP): the session cookie is always Secure (default false). */
  readonly tls?: boolean;
}

const API_GATEWAY_ID = CATALOG.apiGateway.id;
/** Key of the first admin's password in the gateway's Secret (and in `apiGateway.admin.existingSecret`). */
const ADMIN_PASSWORD_KEY = 'admin-password';

/** Path prefix of the gateway's API; the rest of `/` is the console. */
const API_PREFIX = '/api';

/**
 * The API gateway (src/services/api-gateway/): the platform's one login, a {@link PlatformService}
 * `api-gateway` serving `/` (console, login page, Traefik's ForwardAuth endpoint `/auth/verify`)
 * and `/api`, in front of Prometheus, Alertmanager, the AI engine and the self-healing executor.
 * Its Secret `<release>-api-gateway` holds `admin-password` (the first admin, created at start when
 * no user has its name) and, with the executor, `approval-token` (the bearer token of the
 * executor's approval API, which the executor reads from the same key: {@link approvalTokenRef}),
 * by the chart's credential rules ({@link CredentialSecret}): fixed development values in
 * development; in production `apiGateway.admin.password` and `apiGateway.approvalToken`,
 * `apiGateway.admin.existingSecret` or `secrets.external`, else no Secret and a warning saying
 * which to create (the gateway waits for it). Its environment, beside the common BASE_PATH=/,
 * LOG_LEVEL, PORT=8080, METRICS_PORT, POD_NAME, POD_NAMESPACE and `apiGateway.extraEnv`; a
 * variable is absent when its component is not rendered:
 *
 * | variable | value |
 * |---|---|
 * | `PROMETHEUS_URL` | `http://<release>-prometheus.<ns>.svc.<domain>:9090/prometheus` |
 * | `ALERTMANAGER_URL` | `http://<release>-alertmanager.<ns>.svc.<domain>:9093/alertmanager` |
 * | `AI_ENGINE_URL` | `http://<release>-ai-engine.<ns>.svc.<domain>:8080/ai` |
 * | `SELF_HEALING_URL` | `http://<release>-self-healing.<ns>.svc.<domain>:8080` |
 * | `API_PREFIX` | `/api` |
 * | `SESSION_STORE` | `redis`, or `memory` without Redis (sessions per pod, lost on restart: warned) |
 * | `ADMIN_USERNAME` | `apiGateway.admin.username` |
 * | `ADMIN_PASSWORD` | secretKeyRef `<release>-api-gateway` (or the existing Secret) / `admin-password` |
 * | `APPROVAL_TOKEN` | secretKeyRef `<release>-api-gateway` (or the existing Secret) / `approval-token` (with the executor) |
 * | `COOKIE_SECURE` | `true` with `ingress.tls` (every routed request is HTTPS), else `auto` (Secure when X-Forwarded-Proto is https) |
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
    if (!props.postgresql) {
      ctx.warn(
        'postgresql.enabled is false: the API gateway keeps its users, API keys and audit in PostgreSQL and refuses to start without it (no POSTGRES_HOST), so nobody can sign in and the UIs behind its login answer 500; enable postgresql, or disable apiGateway',
      );
    }
    const { existingSecret } = values.admin;
    const approvalToken = props.selfHealing ? approvalTokenRef(ctx, existingSecret) : undefined;
    const secretName = new CredentialSecret(this, 'credentials', {
      ctx,
      name: apiGatewaySecretName(ctx),
      id: API_GATEWAY_ID,
      existingSecret,
      existingSecretPath: 'apiGateway.admin.existingSecret',
      entries: [
        { key: ADMIN_PASSWORD_KEY, value: values.admin.password, valuesPath: 'apiGateway.admin.password' },
        ...(approvalToken ? [{ key: APPROVAL_TOKEN_KEY, value: values.approvalToken, valuesPath: 'apiGateway.approvalToken' }] : []),
      ],
    }).secretName;

    const env: k8s.EnvVar[] = [
      ...prometheusEnv(props.prometheus),
      ...alertmanagerEnv(props.alertmanager),
      ...(props.aiEngine ? [{ name: ENV.aiEngineClient.url, value: props.aiEngine.url }] : []),
      ...(props.selfHealing ? [{ name: ENV.apiGateway.selfHealingUrl, value: props.selfHealing.url }] : []),
      { name: ENV.apiGateway.apiPrefix, value: API_PREFIX },
      { name: ENV.apiGateway.sessionStore, value: props.redis ? 'redis' : 'memory' },
      { name: ENV.apiGateway.adminUsername, value: values.admin.username },
      secretEnv(ENV.apiGateway.adminPassword, secretName, ADMIN_PASSWORD_KEY),
      ...(approvalToken ? [secretEnv(ENV.approvals.token, approvalToken.secretName, approvalToken.key)] : []),
      { name: ENV.apiGateway.cookieSecure, value: props.tls ? 'true' : 'auto' },
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
