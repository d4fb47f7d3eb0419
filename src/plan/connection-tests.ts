import type { PlatformContext } from '../lib/context.js';
import { objectName, serviceHost } from '../lib/names.js';
import type { PlatformServicePlan } from './aiops.js';
import { CATALOG } from './catalog.js';
import type { ComponentPlan, ServedPlan } from './component.js';
import { connect, type Connected } from './connections.js';
import type { PostgreSqlPlan, RedisPlan } from './data.js';
import type { TraefikPlan } from './ingress.js';
import type { ElasticsearchPlan } from './logging.js';
import type { PrefixedPlan } from './monitoring.js';
import { podsOf, tcp, type PodsPeer } from './network.js';

const { id: ID } = CATALOG.connectionTests;

/**
 * The services the connection tests check (undefined: not rendered, no test), by the key of their
 * plan entry. `traefik` is Traefik's ping entry point, which stays off Traefik's own Service (it
 * may be a LoadBalancer): the tests reach it through a Service of their own ({@link traefikPingServed}).
 */
export type ConnectionTestTargets = {
  readonly prometheus: PrefixedPlan | undefined;
  readonly alertmanager: PrefixedPlan | undefined;
  readonly grafana: ServedPlan | undefined;
  readonly elasticsearch: ElasticsearchPlan | undefined;
  readonly kibana: ServedPlan | undefined;
  readonly redis: RedisPlan | undefined;
  readonly postgresql: PostgreSqlPlan | undefined;
  readonly traefik: ServedPlan | undefined;
  readonly aiEngine: PlatformServicePlan | undefined;
  readonly apiGateway: PlatformServicePlan | undefined;
  readonly selfHealing: PlatformServicePlan | undefined;
};

/**
 * The connection tests: one Pod `<release>-test-<service>` per checked service, all selected by
 * the labels of {@link CATALOG.connectionTests} (one NetworkPolicy `<release>-test`), each
 * connection an edge of that policy, to the endpoint the real clients of the service use.
 */
export interface ConnectionTestsPlan extends ComponentPlan, Connected<ConnectionTestTargets> {
  readonly pods: PodsPeer;
}

/** Name of the test Pod of `target`: `<release>-test-<target's id.name>`. */
export function connectionTestName(ctx: PlatformContext, target: Pick<ComponentPlan, 'id'>): string {
  return objectName(ctx, ID.name, target.id.name);
}

/**
 * Traefik's ping entry point (`/ping` on the `traefik` port of its pods) as a served component: the
 * Service `<release>-test-traefik` of the tests, in front of Traefik's pods on that port.
 */
export function traefikPingServed(ctx: PlatformContext, traefik: TraefikPlan): ServedPlan {
  const port = CATALOG.traefik.ports.traefik;
  const serviceName = connectionTestName(ctx, traefik);
  return {
    id: traefik.id,
    name: serviceName,
    pods: traefik.pods,
    serviceName,
    host: serviceHost(ctx, serviceName),
    port,
    endpoint: { peer: traefik.pods, ports: tcp(port) },
    uses: [],
  };
}

/** The tests of the rendered services; undefined when none is rendered. */
export function connectionTestsPlan(ctx: PlatformContext, targets: Omit<ConnectionTestTargets, 'traefik'> & { readonly traefik: TraefikPlan | undefined }): ConnectionTestsPlan | undefined {
  const c = connect(
    { ...targets, traefik: targets.traefik && traefikPingServed(ctx, targets.traefik) },
    {
      prometheus: 'connection test: Prometheus /-/ready under its route prefix',
      alertmanager: 'connection test: Alertmanager /-/ready under its route prefix',
      grafana: 'connection test: Grafana /api/health',
      elasticsearch: 'connection test: Elasticsearch cluster health as logs_reader',
      kibana: 'connection test: Kibana /api/status',
      redis: 'connection test: Redis PING with auth',
      postgresql: 'connection test: PostgreSQL login as the application user',
      traefik: 'connection test: Traefik /ping on its ping entry point',
      aiEngine: 'connection test: AI engine readiness',
      apiGateway: 'connection test: API gateway readiness',
      selfHealing: 'connection test: self-healing executor readiness',
    },
  );
  if (c.uses.length === 0) return undefined;
  const pods = podsOf(ctx, ID);
  return { id: ID, name: pods.name, pods, uses: c.uses, connections: c.connections };
}
