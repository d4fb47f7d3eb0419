import type { PlatformContext } from '../lib/context.js';
import type { ComponentIdentity } from '../lib/labels.js';
import { serviceUrl } from '../lib/names.js';
import type { Values } from '../values/schema/index.js';
import { ROUTE_PREFIXES } from '../values/schema/ingress-routes.js';
import { CATALOG } from './catalog.js';
import type { ServedPlan } from './component.js';
import type { PostgreSqlPlan, RedisPlan } from './data.js';
import type { ElasticsearchPlan } from './logging.js';
import type { PrefixedPlan } from './monitoring.js';
import { connect, type Connected } from './connections.js';
import { apiServer, tcp, type Endpoint, type Use } from './network.js';
import { servedComponent, type ServedOptions } from './served.js';

const { port: PORT, metricsPort: METRICS_PORT } = CATALOG.platformService;
/** The path the AI engine serves under. */
const AI_ENGINE_BASE_PATH = '/ai';

/** One of the platform's own HTTP services: Deployment and Service `<release>-<id.name>` on 8080, metrics on 9464 (pods only). */
export interface PlatformServicePlan extends ServedPlan {
  /** Path it serves under (`/ai`, `/api`, `/`). */
  readonly basePath: string;
  /** In-cluster URL with the base path and no trailing slash, e.g. `http://…:8080/ai`. */
  readonly url: string;
  /** `autoscaling.enabled`: an HPA owns the replica count (the executor never scales it). */
  readonly hpaManaged: boolean;
  /** `GET /metrics` on the metrics port of its pods (scraped through the pod annotations). */
  readonly metrics: Endpoint;
}

/** What the executor connects to (undefined: not rendered). */
export type SelfHealingConnections = {
  /** Confirms every alert before acting (`ALERTS` series). */
  readonly prometheus: PrefixedPlan | undefined;
  /** Its audit table `self_healing_actions`. */
  readonly postgresql: PostgreSqlPlan | undefined;
  /** Confirms the AI engine's own alerts (its active anomalies). */
  readonly aiEngine: PlatformServicePlan | undefined;
};

/** The self-healing executor: Alertmanager posts to {@link webhookUrl}. */
export interface SelfHealingPlan extends PlatformServicePlan, Connected<SelfHealingConnections> {
  /** `http://<release>-self-healing.<ns>.svc.<domain>:8080/api/v1/alerts` */
  readonly webhookUrl: string;
}

/** What the AI engine connects to (undefined: not rendered). */
export type AiEngineConnections = {
  readonly prometheus: ServedPlan | undefined;
  /** Receives the anomalies as alerts (`POST /alertmanager/api/v2/alerts`). */
  readonly alertmanager: PrefixedPlan | undefined;
  readonly elasticsearch: ElasticsearchPlan | undefined;
  readonly redis: RedisPlan | undefined;
  readonly postgresql: PostgreSqlPlan | undefined;
};

/** What the API gateway connects to (undefined: not rendered). */
export type ApiGatewayConnections = {
  /** Instant and range queries, components' health (`up`). */
  readonly prometheus: PrefixedPlan | undefined;
  /** Alerts and silences. */
  readonly alertmanager: PrefixedPlan | undefined;
  readonly aiEngine: PlatformServicePlan | undefined;
  readonly selfHealing: SelfHealingPlan | undefined;
  readonly redis: RedisPlan | undefined;
  readonly postgresql: PostgreSqlPlan | undefined;
};

/** What the plan reads of a platform service's values slice. */
type ServiceValues = { readonly autoscaling: { readonly enabled: boolean } };

export function platformServicePlan(
  ctx: PlatformContext,
  id: ComponentIdentity,
  values: ServiceValues,
  basePath: string,
  uses: readonly Use[],
  routes: ServedOptions['routes'] = [],
): PlatformServicePlan {
  const served = servedComponent(ctx, id, PORT, { uses, routes });
  return {
    ...served,
    basePath,
    url: serviceUrl(ctx, served.name, PORT, basePath === '/' ? '' : basePath),
    hpaManaged: values.autoscaling.enabled,
    metrics: { peer: served.pods, ports: tcp(METRICS_PORT) },
  };
}

export function selfHealingPlan(ctx: PlatformContext, values: Values['selfHealing'], connections: SelfHealingConnections): SelfHealingPlan {
  const id = CATALOG.selfHealing.id;
  const c = connect(connections, {
    prometheus: 'executor PROMETHEUS_URL: confirms each alert (ALERTS) before acting',
    postgresql: 'executor POSTGRES_HOST: audit table self_healing_actions',
    aiEngine: "executor AI_ENGINE_URL: confirms the engine's alerts by its active anomalies",
  });
  const uses = [apiServer('the executor evicts pods, scales workloads and HPAs, creates Jobs, Events and its Lease'), ...c.uses];
  const service = platformServicePlan(ctx, id, values, '/', uses);
  return { ...service, connections, webhookUrl: serviceUrl(ctx, service.serviceName, PORT, CATALOG.selfHealing.webhookPath) };
}

/** The AI engine's Service and URL alone (no uses, unrouted): for clients planned before the engine itself, e.g. the executor. */
export function aiEngineServed(ctx: PlatformContext, v: Values): PlatformServicePlan {
  return platformServicePlan(ctx, CATALOG.aiEngine.id, v.aiEngine, AI_ENGINE_BASE_PATH, []);
}

/** The AI engine under `/ai`, no login of its own (routed behind the gateway's ForwardAuth). */
export function aiEnginePlan(ctx: PlatformContext, v: Values, connections: AiEngineConnections): PlatformServicePlan & Connected<AiEngineConnections> {
  const c = connect(connections, {
    prometheus: 'AI engine PROMETHEUS_URL',
    alertmanager: 'AI engine ALERTMANAGER_URL: anomalies pushed as alerts',
    elasticsearch: 'AI engine ELASTICSEARCH_URL',
    redis: 'AI engine REDIS_HOST (in cluster mode every node, on MOVED)',
    postgresql: 'AI engine POSTGRES_HOST',
  });
  const routes: ServedOptions['routes'] = v.ingress.enabled ? [{ path: ROUTE_PREFIXES.aiEngine, login: 'none' }] : [];
  const uses = [apiServer('the AI engine elects the replica that writes alerts and state through its Lease'), ...c.uses];
  return { ...platformServicePlan(ctx, CATALOG.aiEngine.id, v.aiEngine, AI_ENGINE_BASE_PATH, uses, routes), connections };
}

/**
 * The API gateway: serves `/` (console) and `/api`, routed under `/api` and the hosts' own paths
 * (the seed's `/`), authenticating every request itself; Traefik asks it about every other route
 * (ForwardAuth).
 */
export function apiGatewayPlan(ctx: PlatformContext, v: Values, connections: ApiGatewayConnections): PlatformServicePlan & Connected<ApiGatewayConnections> {
  const c = connect(connections, {
    prometheus: 'API gateway PROMETHEUS_URL: queries and health for /api/v1 and the console',
    alertmanager: 'API gateway ALERTMANAGER_URL: alerts and silences',
    aiEngine: 'API gateway AI_ENGINE_URL: anomalies and query analysis',
    selfHealing: 'API gateway SELF_HEALING_URL: decisions and approvals',
    redis: 'API gateway REDIS_HOST: sessions, rate limits and cache',
    postgresql: 'API gateway POSTGRES_HOST: users, API keys and audit',
  });
  const routes: ServedOptions['routes'] = v.ingress.enabled ? [{ path: ROUTE_PREFIXES.apiGateway, login: 'gateway' }, { path: '/', login: 'gateway' }] : [];
  return { ...platformServicePlan(ctx, CATALOG.apiGateway.id, v.apiGateway, '/', c.uses, routes), connections };
}
