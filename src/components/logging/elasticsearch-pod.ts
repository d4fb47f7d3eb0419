import type { k8s } from '../../lib/k8s.js';
import { baseContainer } from '../../lib/container.js';
import type { PlatformContext } from '../../lib/context.js';
import type { Values } from '../../values/schema/index.js';
import { MAX_MAP_COUNT, maxMapCountScript } from './elasticsearch-node-scripts.js';

// Pod pieces of the Elasticsearch nodes besides the server container, and the warnings about them.

/** uid of the image's `elasticsearch` user: the nodes, and the Jobs that run the image's curl, run as it. */
export const ELASTICSEARCH_UID = 1000;

/** The privileged init container (root) that runs {@link maxMapCountScript}: outside the restricted standard, hence opt-in. */
export function sysctlInitContainer(ctx: PlatformContext, values: Values['elasticsearch']): k8s.Container {
  return {
    ...baseContainer(ctx, 'sysctl', values, { privileged: true, runAsUser: 0, runAsNonRoot: false, readOnlyRootFilesystem: true }),
    command: ['sh', '-c', maxMapCountScript()],
  };
}

/** Warnings about settings that work but deserve a decision. */
export function warnAboutTopology(ctx: PlatformContext, values: Values['elasticsearch']): void {
  if (values.sysctlInitContainer.enabled) {
    ctx.warn(
      `elasticsearch.sysctlInitContainer.enabled runs a privileged init container as root to set vm.max_map_count=${MAX_MAP_COUNT} on the node: ` +
        `it breaks the restricted Pod Security Standard, so the namespace ${ctx.namespace} must not enforce restricted (keep podSecurityPolicy.enabled false; its warn/audit labels will report the pod). ` +
        'Setting vm.max_map_count on the nodes and leaving it false avoids the exception',
    );
  }
  if (values.replicas === 2) {
    ctx.warn('elasticsearch.replicas is 2: two master-eligible nodes cannot lose one and keep a quorum; use 3 for a cluster that survives a node failure');
  }
}
