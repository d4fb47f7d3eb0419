import type { PlatformContext } from '../lib/context.js';
import { CRONJOB_NAME_MAX, STATEFULSET_NAME_MAX } from '../lib/names.js';
import type { Values } from '../values/schema/index.js';
import { CATALOG } from './catalog.js';
import type { ComponentPlan, ServedPlan } from './component.js';
import { podsOf, tcp, use, type Endpoint } from './network.js';
import { servedComponent, workloadPlan } from './served.js';

const { postgresql: PG, postgresqlMaintenance: PGM, postgresqlBackup: PGB, redis: REDIS, redisClusterInit: INIT } = CATALOG;

/** PostgreSQL: StatefulSet and Service `<release>-postgresql`. */
export interface PostgreSqlPlan extends ServedPlan {
  /** Headless Service of the StatefulSet (`<name>-headless`): the pods' DNS names. */
  readonly headless: string;
  /** postgres-exporter sidecar on `exporterPort` (`postgresql.exporter.enabled`): scraped through the pod annotations. */
  readonly exporter: Endpoint | undefined;
}

/** Redis: StatefulSet and Service `<release>-redis`. */
export interface RedisPlan extends ServedPlan {
  /** Headless Service of the StatefulSet (`<name>-headless`): the pods' DNS names. */
  readonly headless: string;
  /** `redis.cluster.enabled`: a Redis Cluster, clients follow MOVED redirects. */
  readonly clusterMode: boolean;
  /** redis_exporter sidecar (`redis.exporter.enabled`). */
  readonly exporter: Endpoint | undefined;
}

export function postgresqlPlan(ctx: PlatformContext, v: Values['postgresql']): PostgreSqlPlan {
  const served = servedComponent(ctx, PG.id, PG.port, { maxName: STATEFULSET_NAME_MAX });
  return {
    ...served,
    headless: podsOf(ctx, PG.id, 'headless').name,
    exporter: v.exporter.enabled ? { peer: served.pods, ports: tcp(PG.exporterPort) } : undefined,
  };
}

/** The maintenance CronJob (and the executor's on-demand Job of the same template). */
export function postgresqlMaintenancePlan(ctx: PlatformContext, postgresql: PostgreSqlPlan): ComponentPlan {
  return workloadPlan(ctx, PGM.id, { role: PGM.role, maxName: CRONJOB_NAME_MAX, uses: use(postgresql.endpoint, 'the maintenance CronJob runs VACUUM/ANALYZE') });
}

/** The backup CronJob (`backup.enabled`): pg_dump over the Service. */
export function postgresqlBackupPlan(ctx: PlatformContext, postgresql: PostgreSqlPlan): ComponentPlan {
  return workloadPlan(ctx, PGB.id, { role: PGB.role, maxName: CRONJOB_NAME_MAX, uses: use(postgresql.endpoint, 'the backup CronJob runs pg_dump') });
}

export function redisPlan(ctx: PlatformContext, v: Values['redis']): RedisPlan {
  const served = servedComponent(ctx, REDIS.id, REDIS.port, { maxName: STATEFULSET_NAME_MAX });
  const { pods } = served;
  const clusterMode = v.cluster.enabled;
  return {
    ...served,
    headless: podsOf(ctx, REDIS.id, 'headless').name,
    clusterMode,
    exporter: v.exporter.enabled ? { peer: pods, ports: tcp(REDIS.exporterPort) } : undefined,
    uses: clusterMode ? use({ peer: pods, ports: tcp(REDIS.port, REDIS.busPort) }, 'Redis Cluster nodes: the cluster bus, and replicas replicating from masters') : [],
  };
}

/** The Job that forms the Redis Cluster (cluster mode only). */
export function redisClusterInitPlan(ctx: PlatformContext, redis: RedisPlan): ComponentPlan | undefined {
  if (!redis.clusterMode) return undefined;
  return workloadPlan(ctx, INIT.id, { role: INIT.role, uses: use(redis.endpoint, 'the cluster-init Job forms the cluster') });
}
