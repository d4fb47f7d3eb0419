import { describe, expect, it } from 'vitest';
import { NodeExporter } from '../../src/components/monitoring/node-exporter.js';
import { renderConstruct, type ConstructRender } from '../support/construct.js';
import { assertValidK8sObjects } from '../support/k8s-validate.js';
import { RESTRICTED_CONTAINER, workload } from '../support/render.js';

const NAME = 'aiops-platform-node-exporter';
const AGENTS = 'aiops-platform-node-agents';

const render = (valuesYaml = ''): ConstructRender =>
  renderConstruct(valuesYaml, (chart, ctx, values) => new NodeExporter(chart, 'node-exporter', { ctx, values: values.nodeExporter }));

const { object: daemonSet, pod, container } = workload('DaemonSet', NAME);
/** The value of `--name=value` in the container's args. */
const flag = (r: ConstructRender, name: string): string => {
  const arg: string | undefined = container(r).args.find((a: string) => a.startsWith(`--${name}=`));
  if (arg === undefined) throw new Error(`no --${name} in ${container(r).args.join(' ')}`);
  return arg.slice(name.length + 3);
};

describe('NodeExporter', () => {
  const defaults = render();

  it('renders only the DaemonSet, in the node agents namespace, valid against the Kubernetes schema', () => {
    assertValidK8sObjects(defaults.objects);
    expect(defaults.objects.map((o) => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`)).toEqual([`DaemonSet/${AGENTS}/${NAME}`]);
    expect(daemonSet(defaults).spec.selector.matchLabels).toMatchObject({ 'app.kubernetes.io/name': 'node-exporter', 'app.kubernetes.io/component': 'metrics' });
    expect(daemonSet(defaults).spec.template.metadata.labels['app.kubernetes.io/name']).toBe('node-exporter');
  });

  it('shares only the node network namespace, with cluster DNS kept', () => {
    expect(pod(defaults)).toMatchObject({ hostNetwork: true, dnsPolicy: 'ClusterFirstWithHostNet' });
    expect(pod(defaults).hostPID).toBeUndefined();
    expect(pod(defaults).hostIPC).toBeUndefined();
  });

  it('mounts /, /proc and /sys of the node read-only under /host', () => {
    expect(pod(defaults).volumes).toEqual([
      { name: 'root', hostPath: { path: '/', type: 'Directory' } },
      { name: 'proc', hostPath: { path: '/proc', type: 'Directory' } },
      { name: 'sys', hostPath: { path: '/sys', type: 'Directory' } },
    ]);
    expect(container(defaults).volumeMounts).toEqual([
      { name: 'root', mountPath: '/host/root', readOnly: true, mountPropagation: 'HostToContainer' },
      { name: 'proc', mountPath: '/host/proc', readOnly: true },
      { name: 'sys', mountPath: '/host/sys', readOnly: true },
    ]);
  });

  it('keeps the container non-root, unprivileged, without capabilities, token or writable root', () => {
    expect(pod(defaults).securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65534, runAsGroup: 65534, seccompProfile: { type: 'RuntimeDefault' } });
    expect(container(defaults).securityContext).toEqual(RESTRICTED_CONTAINER);
    expect(pod(defaults).automountServiceAccountToken).toBe(false);
    expect(pod(defaults).serviceAccountName).toBeUndefined();
    expect(pod(defaults).priorityClassName).toBe('aiops-platform-standard');
  });

  it('points procfs, sysfs, rootfs and udev at the host mounts', () => {
    expect(flag(defaults, 'path.procfs')).toBe('/host/proc');
    expect(flag(defaults, 'path.sysfs')).toBe('/host/sys');
    expect(flag(defaults, 'path.rootfs')).toBe('/host/root');
    expect(flag(defaults, 'path.udev.data')).toBe('/host/root/run/udev/data');
    const mounts: string[] = container(defaults).volumeMounts.map((m: { mountPath: string }) => m.mountPath);
    for (const name of ['path.procfs', 'path.sysfs', 'path.rootfs']) expect(mounts).toContain(flag(defaults, name));
  });

  it('listens on the node IP only, on port 9100 named metrics, held on the host', () => {
    expect(flag(defaults, 'web.listen-address')).toBe('[$(HOST_IP)]:9100');
    expect(container(defaults).env).toEqual([{ name: 'HOST_IP', valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } } }]);
    expect(container(defaults).ports).toEqual([{ name: 'metrics', containerPort: 9100, hostPort: 9100, protocol: 'TCP' }]);
  });

  it('moves to another port when nodeExporter.port is set', () => {
    const r = render('nodeExporter: {port: 9796}');
    expect(flag(r, 'web.listen-address')).toBe('[$(HOST_IP)]:9796');
    expect(container(r).ports[0]).toMatchObject({ containerPort: 9796, hostPort: 9796 });
  });

  it('leaves pod, runtime and virtual mounts out of the file system metrics but keeps real disks', () => {
    const mountPoints = new RegExp(flag(defaults, 'collector.filesystem.mount-points-exclude'));
    for (const excluded of ['/dev', '/proc', '/sys/fs/cgroup', '/var/lib/kubelet/pods/0d1c/volumes/kubernetes.io~csi/pvc-1/mount', '/run/containerd/io.containerd.grpc.v1.cri/sandboxes/ab/shm', '/var/lib/docker/overlay2/x/merged', '/run/k3s/containerd/x']) {
      expect(mountPoints.test(excluded), excluded).toBe(true);
    }
    for (const kept of ['/', '/boot', '/home', '/var/lib/kubelet', '/var/lib/docker', '/mnt/data', '/devices']) expect(mountPoints.test(kept), kept).toBe(false);
    const fsTypes = new RegExp(flag(defaults, 'collector.filesystem.fs-types-exclude'));
    for (const excluded of ['tmpfs', 'overlay', 'squashfs', 'nsfs', 'proc', 'sysfs', 'cgroup', 'cgroup2']) expect(fsTypes.test(excluded), excluded).toBe(true);
    for (const kept of ['ext4', 'xfs', 'btrfs', 'nfs4', 'vfat']) expect(fsTypes.test(kept), kept).toBe(false);
  });

  it('leaves the pods virtual interfaces out of the network metrics but keeps the node interfaces', () => {
    const devices = new RegExp(flag(defaults, 'collector.netdev.device-exclude'));
    expect(flag(defaults, 'collector.netclass.ignored-devices')).toBe(devices.source);
    for (const excluded of ['veth1a2b3c', 'cali0123456789a', 'lxc12ab', '0123456789abcde']) expect(devices.test(excluded), excluded).toBe(true);
    for (const kept of ['eth0', 'ens5', 'enp0s3', 'bond0', 'cilium_host', 'flannel.1', 'cni0']) expect(devices.test(kept), kept).toBe(false);
  });

  it('checks readiness and liveness on the landing page of the metrics port', () => {
    for (const probe of [container(defaults).readinessProbe, container(defaults).livenessProbe]) {
      expect(probe.httpGet).toEqual({ path: '/', port: 'metrics' });
    }
  });

  it('carries no scrape annotation (the node-exporter job finds it) but passes podAnnotations', () => {
    expect(daemonSet(defaults).spec.template.metadata.annotations).toBeUndefined();
    const r = render('nodeExporter: {podAnnotations: {team: ops}}');
    expect(daemonSet(r).spec.template.metadata.annotations).toEqual({ team: 'ops' });
  });

  it('tolerates every taint on Linux nodes by default, and takes tolerations from values instead', () => {
    expect(pod(defaults).tolerations).toEqual([{ operator: 'Exists' }]);
    expect(pod(defaults).nodeSelector).toEqual({ 'kubernetes.io/os': 'linux' });
    const r = render('nodeExporter:\n  tolerations: [{key: dedicated, operator: Equal, value: gpu, effect: NoSchedule}]\n');
    expect(pod(r).tolerations).toEqual([{ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }]);
    expect(pod(render('nodeExporter: {tolerations: []}')).tolerations).toBeUndefined();
  });

  it('adds no anti-affinity in production (one pod per node already)', () => {
    const prod = render('global: {development: false}');
    expect(pod(prod).affinity).toBeUndefined();
    assertValidK8sObjects(prod.objects);
  });

  it('pins the image from values, with resources from values', () => {
    expect(container(defaults).image).toBe('quay.io/prometheus/node-exporter:v1.9.1');
    const r = render('nodeExporter:\n  image: {tag: v1.9.0}\n  resources: {requests: {cpu: 20m, memory: 40Mi}, limits: {memory: 80Mi}}\n');
    expect(container(r).image).toBe('quay.io/prometheus/node-exporter:v1.9.0');
    expect(daemonSet(r).metadata.labels['app.kubernetes.io/version']).toBe('v1.9.0');
    expect(container(r).resources).toEqual({ requests: { cpu: '20m', memory: '40Mi' }, limits: { memory: '80Mi' } });
  });

  it('pulls from global.imageRegistry with global.imagePullSecrets', () => {
    const r = render('global: {imageRegistry: registry.example.com, imagePullSecrets: [mirror-creds]}');
    expect(container(r).image).toBe('registry.example.com/prometheus/node-exporter:v1.9.1');
    expect(pod(r).imagePullSecrets).toEqual([{ name: 'mirror-creds' }]);
  });
});
