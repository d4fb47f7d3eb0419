import { describe, expect, it } from 'vitest';
import { KubeStateMetrics } from '../../src/components/monitoring/kube-state-metrics.js';
import { loadValues } from '../../src/values/load.js';
import { ValuesError } from '../../src/values/issues.js';
import { renderConstruct, type ConstructRender } from '../support/construct.js';
import { assertValidK8sObjects } from '../support/k8s-validate.js';
import { find, ofKind, workload } from '../support/render.js';

const NAME = 'aiops-platform-kube-state-metrics';
const PLATFORM = 'aiops-platform';
const AGENTS = 'aiops-platform-node-agents';

const render = (valuesYaml = ''): ConstructRender =>
  renderConstruct(valuesYaml, (chart, ctx, values) => new KubeStateMetrics(chart, 'kube-state-metrics', { ctx, values: values.kubeStateMetrics }));

const { object: deployment, pod, container } = workload('Deployment', NAME);
/** The value of `--name=value` in the container's args. */
const flag = (r: ConstructRender, name: string): string => {
  const arg: string | undefined = container(r).args.find((a: string) => a.startsWith(`--${name}=`));
  if (arg === undefined) throw new Error(`no --${name} in ${container(r).args.join(' ')}`);
  return arg.slice(name.length + 3);
};
const roleIn = (r: ConstructRender, namespace: string) => ofKind(r.objects, 'Role').find((o) => o.metadata.namespace === namespace);

/** list/watch of exactly the default collectors' resources, one rule per API group. */
const DEFAULT_RULES = [
  { apiGroups: [''], resources: ['persistentvolumeclaims', 'pods'], verbs: ['list', 'watch'] },
  { apiGroups: ['apps'], resources: ['daemonsets', 'deployments', 'replicasets', 'statefulsets'], verbs: ['list', 'watch'] },
  { apiGroups: ['autoscaling'], resources: ['horizontalpodautoscalers'], verbs: ['list', 'watch'] },
  { apiGroups: ['batch'], resources: ['cronjobs', 'jobs'], verbs: ['list', 'watch'] },
  { apiGroups: ['policy'], resources: ['poddisruptionbudgets'], verbs: ['list', 'watch'] },
];

describe('KubeStateMetrics', () => {
  const defaults = render();

  it('renders an account, its Roles in both platform namespaces, the Deployment and the Service, all valid', () => {
    assertValidK8sObjects(defaults.objects);
    expect(defaults.objects.map((o) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`).sort()).toEqual(
      [
        `Deployment/${PLATFORM}/${NAME}`,
        `Role/${AGENTS}/${NAME}`,
        `Role/${PLATFORM}/${NAME}`,
        `RoleBinding/${AGENTS}/${NAME}`,
        `RoleBinding/${PLATFORM}/${NAME}`,
        `Service/${PLATFORM}/${NAME}`,
        `ServiceAccount/${PLATFORM}/${NAME}`,
      ].sort(),
    );
  });

  it('may only list and watch the default collectors resources, in the two platform namespaces', () => {
    for (const namespace of [PLATFORM, AGENTS]) {
      expect(roleIn(defaults, namespace).rules).toEqual(DEFAULT_RULES);
      const binding = ofKind(defaults.objects, 'RoleBinding').find((o) => o.metadata.namespace === namespace);
      expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: NAME });
      expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: NAME, namespace: PLATFORM }]);
    }
    expect(ofKind(defaults.objects, 'ClusterRole')).toEqual([]);
    expect(ofKind(defaults.objects, 'ClusterRoleBinding')).toEqual([]);
  });

  it('collects the platform kinds in the platform namespaces only', () => {
    expect(flag(defaults, 'resources')).toBe(
      'cronjobs,daemonsets,deployments,horizontalpodautoscalers,jobs,persistentvolumeclaims,poddisruptionbudgets,pods,replicasets,statefulsets',
    );
    expect(flag(defaults, 'namespaces')).toBe(`${PLATFORM},${AGENTS}`);
  });

  it('gives a cluster-scoped collector from values a ClusterRole of its own', () => {
    const r = render('kubeStateMetrics: {collectors: [pods, nodes, services, nodes, deployments]}');
    assertValidK8sObjects(r.objects);
    expect(flag(r, 'resources')).toBe('deployments,nodes,pods,services');
    expect(find(r.objects, 'ClusterRole', NAME).rules).toEqual([{ apiGroups: [''], resources: ['nodes'], verbs: ['list', 'watch'] }]);
    expect(find(r.objects, 'ClusterRoleBinding', NAME).subjects).toEqual([{ kind: 'ServiceAccount', name: NAME, namespace: PLATFORM }]);
    for (const namespace of [PLATFORM, AGENTS]) {
      expect(roleIn(r, namespace).rules).toEqual([
        { apiGroups: [''], resources: ['pods', 'services'], verbs: ['list', 'watch'] },
        { apiGroups: ['apps'], resources: ['deployments'], verbs: ['list', 'watch'] },
      ]);
    }
  });

  it('refuses collectors that would read Secrets or ConfigMaps', () => {
    for (const collector of ['secrets', 'configmaps']) {
      expect(() => loadValues({ files: [{ name: 'v.yaml', text: `kubeStateMetrics: {collectors: [pods, ${collector}]}` }], sets: [] })).toThrow(ValuesError);
    }
  });

  it('serves metrics on 8080 and its own telemetry on 8081, through a Service on 8080', () => {
    expect(container(defaults).ports).toEqual([
      { name: 'metrics', containerPort: 8080, protocol: 'TCP' },
      { name: 'telemetry', containerPort: 8081, protocol: 'TCP' },
    ]);
    expect(flag(defaults, 'port')).toBe('8080');
    expect(flag(defaults, 'telemetry-port')).toBe('8081');
    const service = find(defaults.objects, 'Service', NAME);
    expect(service.spec.ports).toEqual([{ name: 'metrics', port: 8080, protocol: 'TCP', targetPort: 'metrics' }]);
    for (const [key, value] of Object.entries(service.spec.selector)) expect(deployment(defaults).spec.template.metadata.labels[key]).toBe(value);
  });

  it('is live while it reaches the API server and ready once it produces metrics', () => {
    expect(container(defaults).livenessProbe.httpGet).toEqual({ path: '/livez', port: 'metrics' });
    expect(container(defaults).readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'telemetry' });
  });

  it('runs one replica as nobody under the restricted profile with its own account token', () => {
    expect(deployment(defaults).spec.replicas).toBe(1);
    expect(pod(defaults).securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65534, runAsGroup: 65534, seccompProfile: { type: 'RuntimeDefault' } });
    expect(container(defaults).securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    expect(pod(defaults)).toMatchObject({ serviceAccountName: NAME, automountServiceAccountToken: true });
    expect(pod(defaults).hostNetwork).toBeUndefined();
  });

  it('carries no scrape annotation (the kube-state-metrics job finds it)', () => {
    expect(deployment(defaults).spec.template.metadata.annotations).toBeUndefined();
  });

  it('takes image and resources from values', () => {
    expect(container(defaults).image).toBe('registry.k8s.io/kube-state-metrics/kube-state-metrics:v2.16.0');
    expect(container(defaults).resources).toEqual({ requests: { cpu: '10m', memory: '64Mi' }, limits: { memory: '128Mi' } });
    const r = render('kubeStateMetrics:\n  image: {tag: v2.15.0}\n  resources: {requests: {cpu: 100m, memory: 200Mi}, limits: {cpu: 500m, memory: 400Mi}}\n');
    expect(container(r).image).toBe('registry.k8s.io/kube-state-metrics/kube-state-metrics:v2.15.0');
    expect(container(r).resources).toEqual({ requests: { cpu: '100m', memory: '200Mi' }, limits: { cpu: '500m', memory: '400Mi' } });
    expect(container(render('global: {development: false}')).resources.limits.memory).toBe('256Mi');
  });

  it('pulls from global.imageRegistry', () => {
    const r = render('global: {imageRegistry: registry.example.com/}');
    expect(container(r).image).toBe('registry.example.com/kube-state-metrics/kube-state-metrics:v2.16.0');
  });
});
