import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { Filebeat } from '../../src/components/logging/filebeat.js';
import { renderConstruct, type ConstructRender } from '../support/construct.js';
import { assertValidK8sObjects } from '../support/k8s-validate.js';
import { find, RESTRICTED_CONTAINER, workload } from '../support/render.js';

const NAME = 'aiops-platform-filebeat';
const AGENTS = 'aiops-platform-node-agents';
const LOGSTASH = { host: 'aiops-platform-logstash.aiops-platform.svc.cluster.local', port: 5044 };

const render = (valuesYaml = ''): ConstructRender =>
  renderConstruct(valuesYaml, (chart, ctx, values) => new Filebeat(chart, 'filebeat', { ctx, values: values.filebeat, logstash: LOGSTASH }));

const { pod, container } = workload('DaemonSet', NAME);
const config = (r: ConstructRender) => parse(find(r.objects, 'ConfigMap', NAME).data['filebeat.yml']);

describe('Filebeat', () => {
  const defaults = render();

  it('renders its objects in the node agents namespace, valid against the Kubernetes schema', () => {
    assertValidK8sObjects(defaults.objects);
    expect(defaults.objects.map((o) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`)).toEqual([
      `ServiceAccount/${AGENTS}/${NAME}`,
      `ClusterRole//${NAME}`,
      `ClusterRoleBinding//${NAME}`,
      `ConfigMap/${AGENTS}/${NAME}`,
      `DaemonSet/${AGENTS}/${NAME}`,
    ]);
    expect(pod(defaults).serviceAccountName).toBe(NAME);
    expect(pod(defaults).automountServiceAccountToken).toBe(true);
  });

  it('may only get, list and watch pods, namespaces and nodes, bound to its own account', () => {
    expect(find(defaults.objects, 'ClusterRole', NAME).rules).toEqual([
      { apiGroups: [''], resources: ['namespaces', 'nodes', 'pods'], verbs: ['get', 'list', 'watch'] },
    ]);
    const binding = find(defaults.objects, 'ClusterRoleBinding', NAME);
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: NAME });
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: NAME, namespace: AGENTS }]);
    // The metadata needing more rights is off: deployment/cronjob names (ReplicaSet, Job watchers), kubeadm-config.
    const metadata = config(defaults)['filebeat.inputs'][0].processors[0].add_kubernetes_metadata;
    expect(metadata).toMatchObject({ add_resource_metadata: { deployment: false, cronjob: false }, use_kubeadm: false });
  });

  it('reads the container logs of its node with a filestream input, the container parser and Kubernetes metadata', () => {
    const [input, ...more] = config(defaults)['filebeat.inputs'];
    expect(more).toEqual([]);
    expect(input).toMatchObject({
      type: 'filestream',
      id: 'kubernetes-container-logs',
      paths: ['/var/log/containers/*.log'],
      'prospector.scanner.symlinks': true,
      parsers: [{ container: { stream: 'all', format: 'auto' } }],
    });
    expect(input.processors[0].add_kubernetes_metadata).toMatchObject({
      host: '${NODE_NAME}',
      matchers: [{ logs_path: { logs_path: '/var/log/containers/' } }],
    });
    expect(container(defaults).env).toEqual([{ name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }]);
  });

  it('does not ship its own logs, and only those', () => {
    const [pattern] = config(defaults)['filebeat.inputs'][0]['prospector.scanner.exclude_files'];
    const excluded = (path: string) => new RegExp(pattern).test(path);
    const id = 'a'.repeat(64);
    expect(excluded(`/var/log/containers/${NAME}-x7k2p_${AGENTS}_filebeat-${id}.log`)).toBe(true);
    expect(excluded(`/var/log/containers/aiops-platform-logstash-5d9c7-x7k2p_aiops-platform_logstash-${id}.log`)).toBe(false);
    expect(excluded(`/var/log/containers/aiops-platform-node-exporter-x7k2p_${AGENTS}_node-exporter-${id}.log`)).toBe(false);
    expect(excluded(`/var/log/containers/${NAME}-x7k2p_other-namespace_filebeat-${id}.log`)).toBe(false);
  });

  it('ships to the Logstash Beats port, reconnecting every minute to spread over Logstash pods', () => {
    expect(config(defaults)['output.logstash']).toEqual({
      hosts: ['aiops-platform-logstash.aiops-platform.svc.cluster.local:5044'],
      ttl: '60s',
      pipelining: 0,
    });
  });

  it('keeps its registry on the node and logs at the global level', () => {
    expect(config(defaults)).toMatchObject({ 'path.data': '/usr/share/filebeat/data', 'filebeat.registry.path': '/usr/share/filebeat/data/registry' });
    expect(config(defaults)['logging.level']).toBe('debug');
    expect(config(render('global: {development: false}'))['logging.level']).toBe('info');
    expect(config(render('global: {logLevel: warn}'))['logging.level']).toBe('warning');
  });

  it('mounts every host path read-only except the registry, a per-namespace and release directory', () => {
    const hostVolumes = pod(defaults).volumes.filter((v: any) => v.hostPath);
    expect(hostVolumes.map((v: any) => [v.hostPath.path, v.hostPath.type])).toEqual([
      ['/var/log/containers', 'Directory'],
      ['/var/log/pods', 'Directory'],
      ['/var/lib/docker/containers', 'DirectoryOrCreate'],
      ['/var/lib/filebeat-data/aiops-platform/aiops-platform', 'DirectoryOrCreate'],
    ]);
    const mounts = container(defaults).volumeMounts;
    const mountOf = (volume: string) => mounts.find((m: any) => m.name === volume);
    for (const v of hostVolumes) {
      const m = mountOf(v.name);
      if (v.name === 'data') expect(m).toEqual({ name: 'data', mountPath: '/usr/share/filebeat/data' });
      else expect(m).toEqual({ name: v.name, mountPath: v.hostPath.path, readOnly: true });
    }
    const writable = mounts.filter((m: any) => !m.readOnly).map((m: any) => m.name);
    expect(writable).toEqual(['data', 'logs', 'tmp']);
    expect(pod(defaults).volumes.filter((v: any) => ['logs', 'tmp'].includes(v.name)).every((v: any) => v.emptyDir)).toBe(true);
    expect(mountOf('config')).toEqual({ name: 'config', mountPath: '/etc/filebeat', readOnly: true });
    expect(container(defaults).args).toEqual(['-c', '/etc/filebeat/filebeat.yml', '-e']);
  });

  it('runs as root without any capability, escalation, host namespace or writable root filesystem', () => {
    expect(pod(defaults).securityContext).toEqual({ runAsNonRoot: false, runAsUser: 0, runAsGroup: 0, seccompProfile: { type: 'RuntimeDefault' } });
    expect(container(defaults).securityContext).toEqual({ ...RESTRICTED_CONTAINER, runAsNonRoot: false });
    for (const key of ['hostNetwork', 'hostPID', 'hostIPC']) expect(pod(defaults)[key]).toBeUndefined();
    // Filebeat refuses a config file that anyone but its owner (root) may write.
    expect(pod(defaults).volumes.find((v: any) => v.name === 'config').configMap.defaultMode).toBe(0o444);
  });

  it('probes its HTTP endpoint, served on the pod IP', () => {
    expect(config(defaults)).toMatchObject({ 'http.enabled': true, 'http.host': '0.0.0.0', 'http.port': 5066 });
    expect(container(defaults).ports).toEqual([{ name: 'http', containerPort: 5066, protocol: 'TCP' }]);
    expect(container(defaults).readinessProbe.httpGet).toEqual({ path: '/', port: 'http' });
    expect(container(defaults).livenessProbe.httpGet).toEqual({ path: '/', port: 'http' });
  });

  it('takes resources and tolerations from values, one pod per node without anti-affinity', () => {
    const r = render('filebeat: {resources: {requests: {cpu: 200m, memory: 300Mi}}, tolerations: [{operator: Exists}]}');
    expect(container(r).resources).toEqual({ requests: { cpu: '200m', memory: '300Mi' }, limits: { memory: '300Mi' } });
    expect(pod(r).tolerations).toEqual([{ operator: 'Exists' }]);
    expect(pod(render('global: {development: false}')).affinity).toBeUndefined();
  });
});
