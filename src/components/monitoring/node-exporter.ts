import type { k8s } from '../../lib/k8s.js';
import { Construct } from 'constructs';
import { baseContainer } from '../../lib/container.js';
import { fieldEnv, podTemplate } from '../../lib/pod.js';
import { httpAction, probes } from '../../lib/probes.js';
import { createDaemonSet } from '../../lib/workloads.js';
import { CATALOG } from '../../plan/catalog.js';
import type { ComponentPlan, ComponentProps } from '../../plan/component.js';
import { workloadPlan } from '../../plan/served.js';
import type { Values } from '../../values/schema/index.js';

/** Props of {@link NodeExporter}. */
export type NodeExporterProps = ComponentProps<Values['nodeExporter'], ComponentPlan>;


const ID = CATALOG.nodeExporter.id;
/** uid/gid `nobody`, the user of the upstream image. */
const NOBODY = 65534;

/** The node's file systems node_exporter reads, all mounted read-only under /host. */
const HOST_PATHS = [
  // HostToContainer: file systems the node mounts later (new volumes) show up without a restart.
  { name: 'root', path: '/', mountPath: '/host/root', mountPropagation: 'HostToContainer' },
  { name: 'proc', path: '/proc', mountPath: '/host/proc' },
  { name: 'sys', path: '/sys', mountPath: '/host/sys' },
] as const;

/**
 * Mount points left out of `node_filesystem_*` (matched on the node's paths): upstream's default
 * list plus the per-pod mounts of the kubelet and the container runtimes (each pod's volumes and
 * sandboxes would otherwise appear as file systems of their own).
 */
const MOUNT_POINTS_EXCLUDE =
  '^/(dev|proc|sys|run/credentials/.+|run/containerd/.+|run/k3s/containerd/.+|var/lib/docker/.+|var/lib/containers/storage/.+|var/lib/kubelet/pods/.+)($|/)';
/** Virtual and container file system types left out of `node_filesystem_*`: upstream's default list plus tmpfs. */
const FS_TYPES_EXCLUDE =
  '^(autofs|binfmt_misc|bpf|cgroup2?|configfs|debugfs|devpts|devtmpfs|erofs|fusectl|hugetlbfs|iso9660|mqueue|nsfs|overlay|proc|procfs|pstore|rpc_pipefs|securityfs|selinuxfs|squashfs|sysfs|tmpfs|tracefs)$';
/** Pod-side virtual interfaces of the common CNIs (veth pairs, Calico, Cilium, 15-hex-digit names). */
const DEVICES_EXCLUDE = '^(veth.*|cali.*|lxc.*|[a-f0-9]{15})$';

/**
 * node_exporter on every node: DaemonSet `<release>-node-exporter` in the node agents' namespace,
 * scraped by Prometheus' `node-exporter` job through pod discovery (no Service, no scrape
 * annotation).
 *
 * The one justified exception to the restricted Pod Security Standard. Node metrics are the
 * node's, not the pod's: the host network gives the real interfaces (`node_network_*` would
 * otherwise show only the pod's veth) and makes the pod IP the node IP; read-only host mounts of
 * `/`, `/proc` and `/sys` give file systems, disks, processes and hardware. The host PID namespace
 * is not shared: the node's procfs at /host/proc already shows the node's processes (its
 * `1/mountinfo` is the node's mount table), so hostPID would only add the power to signal host
 * processes. Everything else stays tight: uid 65534, no privilege escalation, no capabilities,
 * read-only root file system, RuntimeDefault seccomp, no API token, and a listener bound to the
 * node's own IP only. Host access is only allowed in the node agents' namespace
 * (`<namespace>-node-agents`, the one namespace at the privileged level), so the platform
 * namespace keeps the restricted profile.
 *
 * No priority class: `system-node-critical` outside kube-system is refused by the default quota of
 * some distributions (GKE), and losing node metrics under node pressure is acceptable.
 */
export class NodeExporter extends Construct {
  /** Name of the DaemonSet. */
  readonly name: string;

  constructor(scope: Construct, id: string, props: NodeExporterProps) {
    super(scope, id);
    const { ctx, values } = props;
    this.name = (props.plan ?? workloadPlan(ctx, ID)).name;
    const version = values.image.tag;

    const container: k8s.Container = {
      ...baseContainer(ctx, 'node-exporter', values),
      args: [
        '--path.procfs=/host/proc',
        '--path.sysfs=/host/sys',
        '--path.rootfs=/host/root',
        '--path.udev.data=/host/root/run/udev/data',
        // The node's InternalIP only, not every interface of the node; brackets also fit IPv6.
        `--web.listen-address=[$(HOST_IP)]:${values.port}`,
        `--collector.filesystem.mount-points-exclude=${MOUNT_POINTS_EXCLUDE}`,
        `--collector.filesystem.fs-types-exclude=${FS_TYPES_EXCLUDE}`,
        `--collector.netclass.ignored-devices=${DEVICES_EXCLUDE}`,
        `--collector.netdev.device-exclude=${DEVICES_EXCLUDE}`,
      ],
      env: [fieldEnv('HOST_IP', 'status.hostIP')],
      // hostPort equals containerPort on the host network; written out, it is visible and does not drift.
      ports: [{ name: 'metrics', containerPort: values.port, hostPort: values.port, protocol: 'TCP' }],
      ...probes(httpAction('/', 'metrics')),
      volumeMounts: HOST_PATHS.map((h) => ({
        name: h.name,
        mountPath: h.mountPath,
        readOnly: true,
        ...('mountPropagation' in h ? { mountPropagation: h.mountPropagation } : {}),
      })),
    };

    const template = podTemplate(ctx, {
      id: ID,
      version,
      scheduling: values,
      runAs: { user: NOBODY },
      containers: [container],
      volumes: HOST_PATHS.map((h) => ({ name: h.name, hostPath: { path: h.path, type: 'Directory' } })),
      host: { network: true },
      // One pod per node already; anti-affinity would only add noise.
      antiAffinity: 'none',
    });

    createDaemonSet(this, ctx, { name: this.name, id: ID, version, template, namespace: ctx.agentsNamespace });
  }
}
