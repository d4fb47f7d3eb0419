import type { k8s } from '../../lib/k8s.js';
import { Construct } from 'constructs';
import { baseContainer } from '../../lib/container.js';
import type { PlatformContext } from '../../lib/context.js';
import { podHost } from '../../lib/names.js';
import { secretEnv } from '../../lib/pod.js';
import { createJob, jobPodTemplate } from '../../lib/workloads.js';
import { CATALOG } from '../../plan/catalog.js';
import { workloadPlan } from '../../plan/served.js';
import type { Values } from '../../values/schema/index.js';
import { REDIS_UID } from './redis-config.js';
import { redisClusterInitScript } from './redis-cluster-job-scripts.js';

/** Props of {@link RedisClusterJob}. */
export interface RedisClusterJobProps {
  readonly ctx: PlatformContext;
  /** The `redis.*` values slice (cluster mode on). */
  readonly values: Values['redis'];
  /** Name of the Redis StatefulSet, the prefix of its pods' names. */
  readonly statefulSetName: string;
  /** Headless Service that gives every pod its DNS name. */
  readonly headlessServiceName: string;
  /** Secret with the password under `passwordKey` (default none: auth disabled). */
  readonly secretName?: string | undefined;
  /** Key of the password in the Secret. */
  readonly passwordKey: string;
}

/** Distinct from the server's identity, so the Redis Services never select the Job's pod. */
const ID = CATALOG.redisClusterInit.id;
/** Shared deadline of all waits inside one attempt; the Job retries failed attempts. */
const WAIT_SECONDS = 600;

/**
 * The Job `<release>-redis-cluster-init` that converges the Redis Cluster to `redis.cluster.nodes`
 * (see {@link redisClusterInitScript}). Automated: forming the cluster once all nodes are up, and
 * growing it when `nodes` is raised (the new pods join as master/replica pairs, then the slots are
 * rebalanced onto the new masters). Not automated: shrinking. The Job then only prints the nodes
 * beyond the desired ones and exits 0; remove them by hand BEFORE lowering `nodes`:
 * `redis-cli --cluster reshard` their slots to the remaining masters, then
 * `redis-cli --cluster del-node <node-0-ip>:6379 <node-id>` for each. The script is idempotent,
 * so re-running it (a later `kubectl apply` recreates the finished Job) is safe.
 */
export class RedisClusterJob extends Construct {
  constructor(scope: Construct, id: string, props: RedisClusterJobProps) {
    super(scope, id);
    const { ctx, values } = props;
    const { name } = workloadPlan(ctx, ID, { role: CATALOG.redisClusterInit.role });
    const hosts = Array.from({ length: values.cluster.nodes }, (_, i) =>
      podHost(ctx, props.statefulSetName, i, props.headlessServiceName),
    );

    const container: k8s.Container = {
      ...baseContainer(ctx, 'cluster-init', { image: values.image, resources: values.cluster.initJob.resources }),
      command: ['sh', '-c', redisClusterInitScript(hosts, WAIT_SECONDS)],
      env: props.secretName ? [secretEnv('REDISCLI_AUTH', props.secretName, props.passwordKey)] : [],
    };

    // A later `kubectl apply` recreates the finished Job, and the idempotent script then does nothing.
    createJob(this, ctx, {
      name,
      id: ID,
      version: values.image.tag,
      jobSpec: {
        backoffLimit: 20,
        activeDeadlineSeconds: 1800,
        template: jobPodTemplate(ctx, {
          id: ID,
          version: values.image.tag,
          scheduling: values,
          runAs: { user: REDIS_UID },
          containers: [container],
        }),
      },
    });
  }
}
