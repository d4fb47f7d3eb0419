import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { Prometheus, type PrometheusConnection, type PrometheusProps } from '../../src/components/monitoring/prometheus.js';
import type { PrometheusConfig } from '../../src/components/monitoring/prometheus-config.js';
import { isKnownMetric, OPTIONAL_SOURCE_METRICS } from '../../src/components/monitoring/metrics-catalog.js';
import { renderConstruct, type ConstructRender } from '../support/construct.js';
import { assertValidK8sObjects } from '../support/k8s-validate.js';
import { find, ofKind, workload } from '../support/render.js';
import { issuesThrownBy } from '../support/values-issues.js';

const ALERTMANAGER = { serviceName: 'aiops-platform-alertmanager', port: 9093, pathPrefix: '/alertmanager' };
const RULES = { 'node-alerts.yml': 'groups:\n  - name: node\n    rules: []\n' };
type Options = Partial<Omit<PrometheusProps, 'ctx' | 'values'>>;

/** Renders the Prometheus construct alone (with Alertmanager, node-exporter and kube-state-metrics unless told). */
function render(valuesYaml = '', options: Options = {}): ConstructRender & { connection: PrometheusConnection } {
  const r = renderConstruct(valuesYaml, (chart, ctx, values) => {
    const props: PrometheusProps = { ctx, values: values.prometheus, ruleFiles: RULES, alertmanager: ALERTMANAGER, nodeExporter: true, kubeStateMetrics: true, ...options };
    return new Prometheus(chart, 'prometheus', props).connection;
  });
  return { ...r, connection: r.built };
}

const NAME = 'aiops-platform-prometheus';
const { object: sts, pod, container } = workload('StatefulSet', NAME);
const flag = (r: ConstructRender, name: string) => container(r).args.find((a: string) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const config = (r: ConstructRender): PrometheusConfig => parse(find(r.objects, 'ConfigMap', NAME).data['prometheus.yml']);
const rolesByNamespace = (r: ConstructRender) => Object.fromEntries(ofKind(r.objects, 'Role').map((role) => [role.metadata.namespace, role.rules]));

const issuesOf = (valuesYaml: string) => issuesThrownBy(() => render(valuesYaml));

describe('Prometheus', () => {
  const defaults = render();

  it('renders the StatefulSet, its Services, config, account and Roles, all valid Kubernetes objects', () => {
    expect(defaults.objects.map((o) => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`).sort()).toEqual([
      `ConfigMap/aiops-platform/${NAME}`,
      `Role/aiops-platform-node-agents/${NAME}`,
      `Role/aiops-platform/${NAME}`,
      `RoleBinding/aiops-platform-node-agents/${NAME}`,
      `RoleBinding/aiops-platform/${NAME}`,
      `Service/aiops-platform/${NAME}`,
      `Service/aiops-platform/${NAME}-headless`,
      `ServiceAccount/aiops-platform/${NAME}`,
      `StatefulSet/aiops-platform/${NAME}`,
    ]);
    assertValidK8sObjects(defaults.objects);
    assertValidK8sObjects(render('global: {development: false}\nprometheus: {replicas: 2, persistence: {enabled: false}}', { alertmanager: undefined }).objects);
  });

  it('runs one pod aiops-platform-prometheus-0 behind the headless Service and serves http 9090 on the client Service', () => {
    expect(sts(defaults).spec).toMatchObject({ replicas: 1, serviceName: `${NAME}-headless` });
    expect(container(defaults).image).toBe('quay.io/prometheus/prometheus:v3.5.0');
    expect(container(defaults).ports).toEqual([{ name: 'http', containerPort: 9090, protocol: 'TCP' }]);
    const client = find(defaults.objects, 'Service', NAME);
    expect(client.spec.clusterIP).toBeUndefined();
    expect(client.spec.ports).toEqual([{ name: 'http', port: 9090, protocol: 'TCP', targetPort: 'http' }]);
    expect(find(defaults.objects, 'Service', `${NAME}-headless`).spec.clusterIP).toBe('None');
  });

  it('passes the storage, retention, prefix and log flags', () => {
    expect(container(defaults).args).toEqual([
      '--config.file=/etc/prometheus/prometheus.yml',
      '--storage.tsdb.path=/prometheus',
      '--storage.tsdb.retention.time=15d',
      // 85 % of the development volume 8Gi = 6963.2Mi, rounded down to whole MiB (Prometheus' MB).
      '--storage.tsdb.retention.size=6963MB',
      '--web.listen-address=:9090',
      '--web.route-prefix=/prometheus',
      '--web.external-url=http://aiops.local/prometheus',
      '--log.level=debug',
    ]);
    expect(flag(render('global: {development: false}'), 'log.level')).toBe('info');
    expect(container(defaults).args.some((a: string) => a.startsWith('--web.enable-lifecycle'))).toBe(false);
  });

  it('takes the external URL from the Ingress host, https when a TLS entry names it, else the in-cluster URL', () => {
    const tls = render('ingress: {hosts: [{host: aiops.example.com}], tls: [{secretName: aiops-tls, hosts: [aiops.example.com]}]}');
    expect(flag(tls, 'web.external-url')).toBe('https://aiops.example.com/prometheus');
    const otherHostTls = render('ingress: {hosts: [{host: aiops.example.com}], tls: [{secretName: t, hosts: [other.example.com]}]}');
    expect(flag(otherHostTls, 'web.external-url')).toBe('http://aiops.example.com/prometheus');
    const noIngress = render('ingress: {enabled: false}');
    expect(flag(noIngress, 'web.external-url')).toBe('http://aiops-platform-prometheus.aiops-platform.svc.cluster.local:9090/prometheus');
    expect(flag(noIngress, 'web.route-prefix')).toBe('/prometheus');
  });

  it("applies the seed's my-values block: 30d retention, a 50Gi claim on fast-ssd and 85 % of it as size bound", () => {
    const r = render('global: {storageClass: fast-ssd}\nprometheus:\n  enabled: true\n  retention: "30d"\n  storage:\n    size: "50Gi"\n');
    expect(flag(r, 'storage.tsdb.retention.time')).toBe('30d');
    expect(flag(r, 'storage.tsdb.retention.size')).toBe('43520MB');
    const claim = sts(r).spec.volumeClaimTemplates[0];
    expect(claim.metadata.name).toBe('data');
    expect(claim.spec).toMatchObject({ storageClassName: 'fast-ssd', resources: { requests: { storage: '50Gi' } } });
    expect(container(r).volumeMounts).toContainEqual({ name: 'data', mountPath: '/prometheus' });
  });

  it('uses a given retentionSize in Prometheus units and rejects one above the volume or below 1Mi', () => {
    expect(flag(render('prometheus: {retentionSize: 6Gi}'), 'storage.tsdb.retention.size')).toBe('6GB');
    expect(flag(render('prometheus: {retentionSize: 5G}'), 'storage.tsdb.retention.size')).toBe('5000000000B');
    expect(flag(render('prometheus: {retentionSize: 4000M}'), 'storage.tsdb.retention.size')).toBe('3906250KB');
    expect(flag(render('prometheus: {persistence: {size: 100Gi}}'), 'storage.tsdb.retention.size')).toBe('85GB');
    const [above] = issuesOf('prometheus: {retentionSize: 60Gi, persistence: {size: 50Gi}}');
    expect(above).toMatchObject({ path: 'prometheus.retentionSize', location: 'values.yaml:1:29' });
    expect(above!.message).toContain('retentionSize 60Gi is above the volume size 50Gi');
    expect(issuesOf('prometheus: {retentionSize: 0}')[0]!.message).toContain('expected a quantity above 0');
    expect(issuesOf('prometheus: {retentionSize: 1Ki}')[0]!.message).toContain('below 1Mi');
  });

  it('puts the data on an emptyDir capped at persistence.size when persistence is off', () => {
    const r = render('prometheus: {persistence: {enabled: false}}');
    expect(sts(r).spec.volumeClaimTemplates).toBeUndefined();
    expect(pod(r).volumes).toContainEqual({ name: 'data', emptyDir: { sizeLimit: '8Gi' } });
    expect(flag(r, 'storage.tsdb.retention.size')).toBe('6963MB');
  });

  it("gives the container the seed's resources block", () => {
    const r = render('prometheus:\n  resources:\n    requests:\n      memory: "2Gi"\n      cpu: "1000m"\n    limits:\n      memory: "4Gi"\n      cpu: "2000m"\n');
    expect(container(r).resources).toEqual({ requests: { cpu: '1000m', memory: '2Gi' }, limits: { cpu: '2000m', memory: '4Gi' } });
  });

  it('runs as nobody (65534) under the restricted profile with a read-only root and the service account token', () => {
    expect(pod(defaults).securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65534, runAsGroup: 65534, fsGroup: 65534 });
    expect(container(defaults).securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    expect(pod(defaults)).toMatchObject({ serviceAccountName: NAME, automountServiceAccountToken: true });
  });

  it('probes under the prefix and allows a long WAL replay at startup', () => {
    const c = container(defaults);
    expect(c.readinessProbe.httpGet).toEqual({ path: '/prometheus/-/ready', port: 'http' });
    expect(c.livenessProbe.httpGet).toEqual({ path: '/prometheus/-/healthy', port: 'http' });
    expect(c.startupProbe.httpGet).toEqual({ path: '/prometheus/-/ready', port: 'http' });
    expect(c.startupProbe.periodSeconds * c.startupProbe.failureThreshold).toBeGreaterThanOrEqual(600);
  });

  it('grants list/watch on pods (and the EndpointSlices of the Alertmanager Service) in exactly the two namespaces', () => {
    expect(ofKind(defaults.objects, 'ClusterRole')).toEqual([]);
    expect(rolesByNamespace(defaults)).toEqual({
      'aiops-platform': [
        { apiGroups: [''], resources: ['pods', 'services'], verbs: ['list', 'watch'] },
        { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['list', 'watch'] },
      ],
      'aiops-platform-node-agents': [{ apiGroups: [''], resources: ['pods'], verbs: ['list', 'watch'] }],
    });
    for (const binding of ofKind(defaults.objects, 'RoleBinding')) {
      expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: NAME });
      expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: NAME, namespace: 'aiops-platform' }]);
    }
    const minimal = render('', { alertmanager: undefined, nodeExporter: false });
    expect(rolesByNamespace(minimal)).toEqual({ 'aiops-platform': [{ apiGroups: [''], resources: ['pods'], verbs: ['list', 'watch'] }] });
  });

  it('mounts prometheus.yml and the rule files from the ConfigMap, and rolls the pods when a rule changes', () => {
    const cm = find(defaults.objects, 'ConfigMap', NAME);
    expect(Object.keys(cm.data).sort()).toEqual(['node-alerts.yml', 'prometheus.yml']);
    expect(cm.data['node-alerts.yml']).toBe(RULES['node-alerts.yml']);
    expect(pod(defaults).volumes).toContainEqual({
      name: 'config',
      configMap: { name: NAME, defaultMode: 0o444, items: [{ key: 'prometheus.yml', path: 'prometheus.yml' }, { key: 'node-alerts.yml', path: 'rules/node-alerts.yml' }] },
    });
    expect(config(defaults).rule_files).toEqual(['rules/node-alerts.yml']);
    const changed = render('', { ruleFiles: { 'node-alerts.yml': 'groups: []\n' } });
    const annotation = (r: ConstructRender) => sts(r).spec.template.metadata.annotations['checksum/config'];
    expect(annotation(changed)).toMatch(/^[0-9a-f]{64}$/);
    expect(annotation(changed)).not.toBe(annotation(defaults));
    expect(() => render('', { ruleFiles: { 'prometheus.yml': 'groups: []' } })).toThrow(/other than prometheus.yml/);
  });

  it('writes intervals and the release external label from values', () => {
    expect(config(render('prometheus: {scrapeInterval: 15s, evaluationInterval: 1m}')).global).toEqual({
      scrape_interval: '15s',
      evaluation_interval: '1m',
      external_labels: { release: 'aiops-platform' },
    });
  });

  it('scrapes the jobs of the conventions, and only the components that run', () => {
    expect(config(defaults).scrape_configs.map((j) => j.job_name)).toEqual(['prometheus', 'alertmanager', 'node-exporter', 'kube-state-metrics', 'kubernetes-pods']);
    const bare = config(render('', { alertmanager: undefined, nodeExporter: false, kubeStateMetrics: false }));
    expect(bare.scrape_configs.map((j) => j.job_name)).toEqual(['prometheus', 'kubernetes-pods']);
    expect(bare.alerting).toBeUndefined();
    const jobs = Object.fromEntries(config(defaults).scrape_configs.map((j) => [j.job_name, j]));
    expect(jobs['prometheus']!.metrics_path).toBe('/prometheus/metrics');
    expect(jobs['alertmanager']!.metrics_path).toBe('/alertmanager/metrics');
    expect(jobs['node-exporter']!.kubernetes_sd_configs).toEqual([{ role: 'pod', namespaces: { names: ['aiops-platform-node-agents'] } }]);
    expect(Object.values(jobs).filter((j) => j.honor_labels).map((j) => j.job_name)).toEqual(['kube-state-metrics']);
  });

  it('sends alerts to every Alertmanager pod behind its Service, under its prefix', () => {
    expect(config(defaults).alerting).toEqual({
      alertmanagers: [
        {
          api_version: 'v2',
          path_prefix: '/alertmanager',
          kubernetes_sd_configs: [{ role: 'endpointslice', namespaces: { names: ['aiops-platform'] } }],
          relabel_configs: [
            { source_labels: ['__meta_kubernetes_service_name'], regex: 'aiops-platform-alertmanager', action: 'keep' },
            { source_labels: ['__meta_kubernetes_endpointslice_port'], regex: '9093', action: 'keep' },
          ],
        },
      ],
    });
  });

  it('gives every discovered target exactly the convention labels namespace, pod, node, app and component', () => {
    const conventions = {
      namespace: '__meta_kubernetes_namespace',
      pod: '__meta_kubernetes_pod_name',
      node: '__meta_kubernetes_pod_node_name',
      app: '__meta_kubernetes_pod_label_app_kubernetes_io_name',
      component: '__meta_kubernetes_pod_label_app_kubernetes_io_component',
    };
    for (const job of config(defaults).scrape_configs) {
      const visible = job.relabel_configs.filter((r) => r.target_label && !r.target_label.startsWith('__'));
      const mapped = Object.fromEntries(visible.map((r) => [r.target_label, r.source_labels.join(';')]));
      expect(mapped, job.job_name).toEqual(conventions);
      expect(visible.every((r) => r.action === 'replace' && r.regex === '(.*)' && r.replacement === '$1'), job.job_name).toBe(true);
      expect(job.relabel_configs.map((r) => r.action), job.job_name).not.toContain('labelmap');
    }
  });

  it('exposes the in-cluster connection with the prefix', () => {
    expect(defaults.connection).toEqual({
      serviceName: NAME,
      port: 9090,
      pathPrefix: '/prometheus',
      url: 'http://aiops-platform-prometheus.aiops-platform.svc.cluster.local:9090/prometheus',
      scrapes: { cadvisor: false },
    });
    expect(render('prometheus: {kubelet: {enabled: true}}').connection.scrapes).toEqual({ cadvisor: true });
  });

  it('runs independent replicas in parallel with a PodDisruptionBudget when replicas > 1', () => {
    expect(ofKind(defaults.objects, 'PodDisruptionBudget')).toEqual([]);
    const ha = render('prometheus: {replicas: 2}');
    expect(sts(ha).spec).toMatchObject({ replicas: 2, podManagementPolicy: 'Parallel' });
    expect(find(ha.objects, 'PodDisruptionBudget', NAME).spec.maxUnavailable).toBe(1);
  });

  describe('the kubelet job (prometheus.kubelet.enabled)', () => {
    const production = render('global: {development: false}');
    const enabled = render('prometheus: {kubelet: {enabled: true}}');
    const kubeletJob = (r: ConstructRender) => config(r).scrape_configs.find((j) => j.job_name === 'kubelet');

    it('is off in development and on in production, and each profile can turn it the other way', () => {
      expect(defaults.values.prometheus.kubelet).toEqual({ enabled: false, insecureSkipVerify: true });
      expect(production.values.prometheus.kubelet).toEqual({ enabled: true, insecureSkipVerify: true });
      expect(kubeletJob(defaults)).toBeUndefined();
      expect(kubeletJob(render('global: {development: false}\nprometheus: {kubelet: {enabled: false}}'))).toBeUndefined();
      expect(kubeletJob(production)).toEqual(kubeletJob(enabled));
      expect(config(enabled).scrape_configs.map((j) => j.job_name)).toEqual(['prometheus', 'alertmanager', 'node-exporter', 'kube-state-metrics', 'kubelet', 'kubernetes-pods']);
      expect(issuesOf('prometheus: {kubelet: {enabled: yes-please}}')[0]!.path).toBe('prometheus.kubelet.enabled');
      expect(issuesOf('prometheus: {kubelet: {verify: false}}')[0]!.path).toBe('prometheus.kubelet.verify');
    });

    it('scrapes /metrics/cadvisor over https on every node with the service-account token, keeping container CPU and memory of the platform only', () => {
      expect(kubeletJob(enabled)).toEqual({
        job_name: 'kubelet',
        scheme: 'https',
        metrics_path: '/metrics/cadvisor',
        authorization: { credentials_file: '/var/run/secrets/kubernetes.io/serviceaccount/token' },
        tls_config: { ca_file: '/var/run/secrets/kubernetes.io/serviceaccount/ca.crt', insecure_skip_verify: true },
        kubernetes_sd_configs: [{ role: 'node' }],
        relabel_configs: [
          { source_labels: ['__address__'], regex: '(.+):\\d+', target_label: '__address__', replacement: '$1:10250', action: 'replace' },
          { source_labels: ['__meta_kubernetes_node_name'], regex: '(.*)', target_label: 'node', replacement: '$1', action: 'replace' },
        ],
        metric_relabel_configs: [
          { source_labels: ['__name__'], regex: 'container_cpu_usage_seconds_total|container_memory_working_set_bytes', action: 'keep' },
          { source_labels: ['namespace'], regex: 'aiops-platform|aiops-platform-node-agents', action: 'keep' },
          { source_labels: ['container'], regex: '|POD', action: 'drop' },
        ],
      });
      const verified = render('prometheus: {kubelet: {enabled: true, insecureSkipVerify: false}}');
      expect(kubeletJob(verified)!.tls_config).toEqual({ ca_file: '/var/run/secrets/kubernetes.io/serviceaccount/ca.crt', insecure_skip_verify: false });
    });

    it('keeps exactly the metrics the catalog lists for cAdvisor', () => {
      const keepNames = kubeletJob(enabled)!.metric_relabel_configs!.find((r) => r.source_labels[0] === '__name__')!.regex!.split('|');
      expect(keepNames).toEqual([...OPTIONAL_SOURCE_METRICS.cadvisor.metrics]);
      expect(keepNames.every(isKnownMetric)).toBe(true);
    });

    it('adds a ClusterRole with exactly list/watch on nodes and get on nodes/metrics, bound to the Prometheus account, and nothing else', () => {
      expect(ofKind(enabled.objects, 'ClusterRole')).toHaveLength(1);
      const role = find(enabled.objects, 'ClusterRole', NAME);
      expect(role.metadata.namespace).toBeUndefined();
      expect(role.rules).toEqual([
        { apiGroups: [''], resources: ['nodes'], verbs: ['list', 'watch'] },
        { apiGroups: [''], resources: ['nodes/metrics'], verbs: ['get'] },
      ]);
      expect(ofKind(enabled.objects, 'ClusterRoleBinding')).toHaveLength(1);
      const binding = find(enabled.objects, 'ClusterRoleBinding', NAME);
      expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: NAME });
      expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: NAME, namespace: 'aiops-platform' }]);
      // The namespaced Roles stay as they were; without the job there is no cluster-wide right at all.
      expect(rolesByNamespace(enabled)).toEqual(rolesByNamespace(defaults));
      for (const r of [defaults, render('global: {development: false}\nprometheus: {kubelet: {enabled: false}}')]) {
        expect(ofKind(r.objects, 'ClusterRole')).toEqual([]);
        expect(ofKind(r.objects, 'ClusterRoleBinding')).toEqual([]);
      }
      assertValidK8sObjects(enabled.objects);
    });
  });
});
