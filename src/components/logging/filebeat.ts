import { k8s } from '../../lib/k8s.js';
import { Construct } from 'constructs';
import { checksum } from '../../lib/config-files.js';
import { baseContainer } from '../../lib/container.js';
import { metadata } from '../../lib/metadata.js';
import { fieldEnv, podTemplate } from '../../lib/pod.js';
import { httpAction, probes } from '../../lib/probes.js';
import { createServiceAccount, type Rule } from '../../lib/rbac.js';
import { rootAgentContainerSecurityContext } from '../../lib/security.js';
import { emptyDirVolume } from '../../lib/storage.js';
import { createDaemonSet } from '../../lib/workloads.js';
import { CATALOG } from '../../plan/catalog.js';
import type { ComponentPlan, ComponentProps } from '../../plan/component.js';
import { workloadPlan } from '../../plan/served.js';
import type { Values } from '../../values/schema/index.js';
import { CONTAINER_LOGS, filebeatYml } from './filebeat-config.js';

/** Props of {@link Filebeat}. */
export interface FilebeatProps extends ComponentProps<Values['filebeat'], ComponentPlan> {
  /** Where the logs go: the Beats input of Logstash. */
  readonly logstash: { readonly host: string; readonly port: number };
}

const { id: ID, httpPort: HTTP_PORT } = CATALOG.filebeat;
const HOME = '/usr/share/filebeat';
const CONFIG_DIR = '/etc/filebeat';

/**
 * The node's container logs, mounted read-only at the same paths (the symlinks under
 * /var/log/containers point into /var/log/pods, and with cri-dockerd on into Docker's directory).
 * The kubelet creates the first two on every node; Docker's is created empty where it is missing.
 */
const HOST_LOGS = [
  { name: 'container-logs', path: CONTAINER_LOGS, type: 'Directory' },
  { name: 'pod-logs', path: '/var/log/pods', type: 'Directory' },
  { name: 'docker-containers', path: '/var/lib/docker/containers', type: 'DirectoryOrCreate' },
] as const;

/**
 * Reads of the add_kubernetes_metadata processor: the pods of its node and their namespaces and
 * node. Deployment and CronJob names are off (they would add cluster-wide ReplicaSet and Job
 * watchers), and so is the kubeadm-config lookup (a Role in kube-system).
 */
const RULES: Rule[] = [{ apiGroups: [''], resources: ['namespaces', 'nodes', 'pods'], verbs: ['get', 'list', 'watch'] }];

/**
 * Filebeat on every node: DaemonSet `<release>-filebeat` in the node agents' namespace, shipping
 * the container logs of its node to Logstash (see {@link filebeatYml}), with a ServiceAccount and
 * ClusterRole `<release>-filebeat` that reads pods, namespaces and nodes.
 *
 * The second documented exception to the restricted Pod Security Standard, after node-exporter:
 * - Host paths: the container log directories, read-only; one read-write hostPath,
 *   `/var/lib/filebeat-data/<namespace>/<release>`, holds the registry (how far each file was
 *   read), so a restarted pod resumes instead of shipping every file again. Per namespace and
 *   release, since two installations on one cluster would otherwise share (and lock) one registry.
 * - Root: the kubelet and the container runtime write the logs as root (containerd and Docker
 *   with mode 0640, directories 0755), and the kubelet creates the registry directory root-owned
 *   0755. Kubernetes cannot hand a non-root process a capability instead (added capabilities land
 *   only in its bounding set, and are gone after exec without ambient capabilities). A non-root
 *   user in group 0 would read 0640 logs through the group bits, but not the registry directory,
 *   which would then have to live in a world-writable host directory such as /var/tmp, and a
 *   runtime writing 0600 logs would leave it reading nothing, silently. So the pod runs as uid 0
 *   with every capability dropped: root as the owner reads the root-owned logs and writes the
 *   root-owned registry directory (both checked with setpriv: uid 0, empty capability sets), and
 *   nothing else: no DAC_OVERRIDE or DAC_READ_SEARCH over other users' files, no privilege
 *   escalation, RuntimeDefault seccomp, read-only root filesystem (emptyDirs for /tmp, and for
 *   logs/, where Filebeat 8.15+ writes the raw events it failed to process to a file of their own
 *   even when logging to stderr). No host network or PID namespace: the pod IP serves the probes.
 * Host access is only allowed in the node agents' namespace; the workload helpers refuse it elsewhere.
 */
export class Filebeat extends Construct {
  /** Name of the DaemonSet, ServiceAccount and ClusterRole. */
  readonly name: string;

  constructor(scope: Construct, id: string, props: FilebeatProps) {
    super(scope, id);
    const { ctx, values } = props;
    this.name = (props.plan ?? workloadPlan(ctx, ID, { namespace: ctx.agentsNamespace })).name;
    const namespace = ctx.agentsNamespace;
    const version = values.image.tag;
    const dataDir = `${HOME}/data`;

    const serviceAccountName = createServiceAccount(this, ctx, {
      name: this.name,
      id: ID,
      namespace,
      clusterRules: RULES,
      apiCalls: 'reads the pods, namespaces and nodes whose metadata it adds to each log line',
    });

    const config = {
      'filebeat.yml': filebeatYml({
        logstash: props.logstash,
        logLevel: ctx.global.logLevel,
        dataDir,
        httpPort: HTTP_PORT,
        self: { name: this.name, namespace },
      }),
    };
    new k8s.KubeConfigMap(this, 'config', { metadata: { ...metadata(ctx, this.name, ID, { version }), namespace }, data: config });

    const container: k8s.Container = {
      ...baseContainer(ctx, 'filebeat', values, rootAgentContainerSecurityContext()),
      args: ['-c', `${CONFIG_DIR}/filebeat.yml`, '-e'],
      env: [fieldEnv('NODE_NAME', 'spec.nodeName')],
      ports: [{ name: 'http', containerPort: HTTP_PORT, protocol: 'TCP' }],
      ...probes(httpAction('/', 'http')),
      volumeMounts: [
        { name: 'config', mountPath: CONFIG_DIR, readOnly: true },
        ...HOST_LOGS.map((h) => ({ name: h.name, mountPath: h.path, readOnly: true })),
        { name: 'data', mountPath: dataDir },
        { name: 'logs', mountPath: `${HOME}/logs` },
        { name: 'tmp', mountPath: '/tmp' },
      ],
    };

    const template = podTemplate(ctx, {
      id: ID,
      version,
      scheduling: values,
      runAs: 'root',
      serviceAccountName,
      containers: [container],
      volumes: [
        // Not writable by group or others: Filebeat refuses a config file others could change.
        { name: 'config', configMap: { name: this.name, defaultMode: 0o444 } },
        ...HOST_LOGS.map((h) => ({ name: h.name, hostPath: { path: h.path, type: h.type } })),
        { name: 'data', hostPath: { path: `/var/lib/filebeat-data/${ctx.namespace}/${ctx.release}`, type: 'DirectoryOrCreate' } },
        emptyDirVolume('logs', { sizeLimit: '64Mi' }),
        emptyDirVolume('tmp', { sizeLimit: '64Mi' }),
      ],
      annotations: { 'checksum/config': checksum(config) },
      // One pod per node already; anti-affinity would only add noise.
      antiAffinity: 'none',
    });

    createDaemonSet(this, ctx, { name: this.name, id: ID, version, template, namespace });
  }
}
