/**
 * Checks the rendered prometheus.yml with the real Prometheus tools of the Debian package
 * `prometheus` (promtool and prometheus 2.42): `promtool check config` on the config and the rule
 * files it references, written at the paths the pod mounts them at, and a real Prometheus started
 * with the rendered flags.
 *
 * Caveat: Debian builds Prometheus without Kubernetes service discovery, so its tools reject
 * `kubernetes_sd_configs`. They check a copy with those blocks removed; everything else (the
 * relabel rules, compiled by Go's RE2, the alerting block, the rule files, the kubelet job's https,
 * token and TLS settings) stays. The token file is checked for existence: the full check runs with
 * the service-account files written where the copy points, `--syntax-only` with the pod's paths.
 * The discovery blocks themselves are checked by the shape tests at the end, which need no tool:
 * roles, namespaces (and the RBAC that lets Prometheus watch them), relabel actions,
 * RE2-compatible regexes, known meta labels, and the relabeling applied to sample targets and, for
 * the kubelet job, to sample cAdvisor series (test/monitoring/kubelet-scrape.test.ts scrapes a
 * fake kubelet with a real Prometheus).
 *
 * Skipped with a warning when the tools are missing locally; fails when they are missing in CI.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { Prometheus } from '../../src/components/monitoring/prometheus.js';
import { prometheusConfig, type PrometheusConfig, type RelabelConfig } from '../../src/components/monitoring/prometheus-config.js';
import { SERVICE_ACCOUNT_DIR } from '../../src/core/service-account.js';
import { yamlFile } from '../../src/lib/config-files.js';
import { renderConstruct } from '../support/construct.js';
import { onPath, output, runProcess, toolsPresent } from '../support/process.js';
import { find, ofKind } from '../support/render.js';

const RULES = {
  'node-alerts.yml': yamlFile({
    groups: [{ name: 'node', rules: [{ alert: 'NodeDown', expr: 'up{app="node-exporter"} == 0', for: '5m', labels: { severity: 'critical' } }] }],
  }),
  'platform-alerts.yml': yamlFile({ groups: [{ name: 'platform', rules: [{ record: 'namespace:up:sum', expr: 'sum by (namespace) (up)' }] }] }),
};
const ALERTMANAGER = { serviceName: 'aiops-platform-alertmanager', port: 9093, pathPrefix: '/alertmanager' };

/** The rendered Prometheus: parsed config, the files as the pod mounts them (path under /etc/prometheus → text), the container args. */
function rendered(valuesYaml = '') {
  const r = renderConstruct(valuesYaml, (chart, ctx, values) => {
    new Prometheus(chart, 'prometheus', { ctx, values: values.prometheus, ruleFiles: RULES, alertmanager: ALERTMANAGER, nodeExporter: true, kubeStateMetrics: true });
  });
  const data: Record<string, string> = find(r.objects, 'ConfigMap', 'aiops-platform-prometheus').data;
  const spec = find(r.objects, 'StatefulSet', 'aiops-platform-prometheus').spec.template.spec;
  const volume = spec.volumes.find((v: any) => v.name === 'config');
  const mounted = Object.fromEntries(volume.configMap.items.map((i: { key: string; path: string }) => [i.path, data[i.key]!]));
  return { ...r, config: parse(data['prometheus.yml']!) as PrometheusConfig, mounted: mounted as Record<string, string>, args: spec.containers[0].args as string[] };
}

const defaults = rendered();
/** With the kubelet job (as production has it). */
const withKubelet = rendered('prometheus: {kubelet: {enabled: true}}');
const tempDirs: string[] = [];
afterAll(() => {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A copy without the kubernetes_sd_configs blocks Debian's build does not know. */
function withoutKubernetesSd(config: PrometheusConfig): PrometheusConfig {
  const copy = structuredClone(config);
  for (const block of [...copy.scrape_configs, ...(copy.alerting?.alertmanagers ?? [])]) delete (block as { kubernetes_sd_configs?: unknown }).kubernetes_sd_configs;
  return copy;
}

/**
 * A copy whose service-account files (the kubelet job's token and CA) are `token` and `ca.crt` in
 * a fresh temp dir, which holds them: promtool checks that the token file exists.
 */
function withServiceAccountFiles(config: PrometheusConfig): PrometheusConfig {
  const dir = mkdtempSync(join(tmpdir(), 'prometheus-sa-'));
  tempDirs.push(dir);
  writeFileSync(join(dir, 'token'), 'sa-token\n');
  writeFileSync(join(dir, 'ca.crt'), '');
  return JSON.parse(JSON.stringify(config).replaceAll(SERVICE_ACCOUNT_DIR, dir)) as PrometheusConfig;
}

/** Writes the mounted files (with prometheus.yml replaced by `config`) into a fresh temp dir; returns the config path. */
function writeMounted(mounted: Record<string, string>, config: unknown, replace: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'prometheus-config-'));
  tempDirs.push(dir);
  for (const [path, text] of Object.entries({ ...mounted, ...replace, 'prometheus.yml': typeof config === 'string' ? config : yamlFile(config) })) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return join(dir, 'prometheus.yml');
}

const promtool = onPath('promtool');
const prometheus = onPath('prometheus');
const missing = [...(promtool ? [] : ['promtool']), ...(prometheus ? [] : ['prometheus'])];
const toolsHere = toolsPresent('Prometheus config tests', missing, 'Debian: apt-get install prometheus');
const checkConfig = (file: string, ...flags: string[]) => runProcess(promtool!, ['check', 'config', ...flags, file]);

describe.skipIf(!toolsHere)('promtool check config', () => {
  it('accepts the rendered config and the rule files at their mounted paths', async () => {
    const production = rendered('global: {development: false}\nprometheus: {scrapeInterval: 15s}');
    expect(production.config.scrape_configs.map((j) => j.job_name)).toContain('kubelet');
    for (const r of [defaults, production, withKubelet, rendered('prometheus: {kubelet: {enabled: true, insecureSkipVerify: false}}')]) {
      const result = await checkConfig(writeMounted(r.mounted, withServiceAccountFiles(withoutKubernetesSd(r.config))));
      expect(result.code, output(result)).toBe(0);
      expect(result.stdout).toContain('SUCCESS: 2 rule files found');
      expect(result.stdout).toMatch(/rules\/node-alerts\.yml\s+SUCCESS: 1 rules found/);
    }
  });

  it('accepts the kubelet job with the pod\'s own service-account paths (syntax only: the token exists in the pod alone), and refuses it without the token', async () => {
    const syntax = await checkConfig(writeMounted(withKubelet.mounted, withoutKubernetesSd(withKubelet.config)), '--syntax-only');
    expect(syntax.code, output(syntax)).toBe(0);
    const tokenMissing = withoutKubernetesSd(withKubelet.config);
    tokenMissing.scrape_configs.find((j) => j.job_name === 'kubelet')!.authorization!.credentials_file = '/nonexistent/token';
    const refused = await checkConfig(writeMounted(withKubelet.mounted, tokenMissing));
    expect(refused.code, output(refused)).not.toBe(0);
    expect(output(refused)).toContain('/nonexistent/token');
  });

  it('fails on broken TLS or authorization settings or metric relabel regex of the kubelet job (the check reads them)', async () => {
    const badTls = withServiceAccountFiles(withoutKubernetesSd(withKubelet.config));
    (badTls.scrape_configs.find((j) => j.job_name === 'kubelet')!.tls_config as unknown as Record<string, unknown>)['insecure_skip_verify'] = 'maybe';
    expect((await checkConfig(writeMounted(withKubelet.mounted, badTls))).code).not.toBe(0);
    const twoCredentials = withServiceAccountFiles(withoutKubernetesSd(withKubelet.config));
    (twoCredentials.scrape_configs.find((j) => j.job_name === 'kubelet')!.authorization as unknown as Record<string, unknown>)['credentials'] = 'inline';
    expect((await checkConfig(writeMounted(withKubelet.mounted, twoCredentials))).code).not.toBe(0);
    const badRegex = withServiceAccountFiles(withoutKubernetesSd(withKubelet.config));
    badRegex.scrape_configs.find((j) => j.job_name === 'kubelet')!.metric_relabel_configs![0]!.regex = '(unclosed';
    expect((await checkConfig(writeMounted(withKubelet.mounted, badRegex))).code).not.toBe(0);
  });

  it('rejects the full config only for its kubernetes_sd_configs (Debian builds without Kubernetes discovery)', async () => {
    const result = await checkConfig(writeMounted(defaults.mounted, defaults.config));
    if (result.code !== 0) expect(`${result.stdout}${result.stderr}`).toMatch(/field kubernetes_sd_configs not found/);
  });

  it('fails on a broken referenced rule file and on an invalid relabel regex (the check has teeth)', async () => {
    const brokenRule = await checkConfig(writeMounted(defaults.mounted, withoutKubernetesSd(defaults.config), { 'rules/node-alerts.yml': 'groups:\n  - name: x\n    rules: [{alert: A, expr: "up =="}]\n' }));
    expect(brokenRule.code, output(brokenRule)).not.toBe(0);
    const badRegex = withoutKubernetesSd(defaults.config);
    badRegex.scrape_configs[0]!.relabel_configs[0]!.regex = '(unclosed';
    const result = await checkConfig(writeMounted(defaults.mounted, badRegex));
    expect(result.code, output(result)).not.toBe(0);
  });
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** `6GiB819MiB` (how Prometheus prints a byte size) → bytes. */
function base2Bytes(text: string): number {
  const units: Record<string, number> = { B: 1, KiB: 2 ** 10, MiB: 2 ** 20, GiB: 2 ** 30, TiB: 2 ** 40 };
  return [...text.matchAll(/(\d+)(B|KiB|MiB|GiB|TiB)/g)].reduce((sum, m) => sum + Number(m[1]) * units[m[2]!]!, 0);
}

describe.skipIf(!toolsHere)('Prometheus started with the rendered flags', () => {
  it('serves ready under /prometheus, with the size bound and the rule files it was given', async () => {
    const configFile = writeMounted(defaults.mounted, withoutKubernetesSd(defaults.config));
    const port = await freePort();
    const args = defaults.args.map((a) =>
      a.startsWith('--config.file=') ? `--config.file=${configFile}`
      : a.startsWith('--storage.tsdb.path=') ? `--storage.tsdb.path=${join(dirname(configFile), 'data')}`
      : a.startsWith('--web.listen-address=') ? `--web.listen-address=127.0.0.1:${port}`
      : a,
    );
    const server = spawn(prometheus!, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    const keep = (d: Buffer) => (log = (log + d.toString()).slice(-20_000));
    server.stdout.on('data', keep);
    server.stderr.on('data', keep);
    const base = `http://127.0.0.1:${port}/prometheus`;
    try {
      let ready = 0;
      for (let i = 0; i < 150 && ready !== 200 && server.exitCode === null; i++) {
        ready = await fetch(`${base}/-/ready`).then((r) => r.status, () => 0);
        if (ready !== 200) await new Promise((r) => setTimeout(r, 100));
      }
      expect(ready, log).toBe(200);
      expect((await fetch(`${base}/-/healthy`)).status).toBe(200);
      const api = async (path: string): Promise<any> => ((await (await fetch(`${base}/api/v1/${path}`)).json()) as { data: unknown }).data;
      const flags = await api('status/flags');
      expect(base2Bytes(flags['storage.tsdb.retention.size'])).toBe(6963 * 2 ** 20);
      expect(flags['web.external-url']).toBe('http://aiops.local/prometheus');
      const { groups } = await api('rules');
      expect(groups.map((g: { file: string }) => g.file.slice(dirname(configFile).length + 1)).sort()).toEqual(['rules/node-alerts.yml', 'rules/platform-alerts.yml']);
    } finally {
      const exited = new Promise((resolve) => (server.exitCode !== null ? resolve(undefined) : server.once('exit', resolve)));
      server.kill('SIGTERM');
      const timer = setTimeout(() => server.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
  }, 40_000);
});

// ---------------------------------------------------------------------------------------------
// The discovery blocks, checked without a tool

const NODE_META = /^__meta_kubernetes_node_(name|provider_id|(label|labelpresent|annotation|annotationpresent|address)_[a-zA-Z0-9_]+)$/;
const POD_META = /^__meta_kubernetes_(namespace|pod_(name|ip|node_name|phase|ready|uid|host_ip|container_(name|init|image|port_name|port_number|port_protocol))|pod_(label|labelpresent|annotation|annotationpresent)_[a-zA-Z0-9_]+)$/;
const ENDPOINTSLICE_META = /^__meta_kubernetes_(service_name|endpointslice_(name|port|port_name|port_protocol|address_type|endpoint_conditions_ready))$/;
const ACTIONS = ['replace', 'keep', 'drop', 'keepequal', 'dropequal', 'hashmod', 'labelmap', 'labeldrop', 'labelkeep', 'lowercase', 'uppercase'];
const CONVENTION_LABELS = ['namespace', 'pod', 'node', 'app', 'component'];

/** Every block with Kubernetes discovery: the scrape jobs and the Alertmanager discovery. */
const discoveryBlocks = (config: PrometheusConfig) => [
  ...config.scrape_configs.map((j) => ({ name: `job ${j.job_name}`, ...j })),
  ...(config.alerting?.alertmanagers ?? []).map((a) => ({ name: 'alertmanagers', ...a })),
];

/**
 * Applies relabel rules the way Prometheus does (regex anchored, `$n` expanded, an empty result
 * deletes the label) and returns the target (address, path, visible labels), or undefined when dropped.
 */
function relabel(discovered: Record<string, string>, rules: readonly RelabelConfig[]) {
  const labels = { ...discovered };
  for (const rule of rules) {
    const match = new RegExp(`^(?:${rule.regex ?? '(.*)'})$`).exec(rule.source_labels.map((l) => labels[l] ?? '').join(';'));
    if ((rule.action === 'keep' && !match) || (rule.action === 'drop' && match)) return undefined;
    if (rule.action === 'replace' && match) {
      const value = (rule.replacement ?? '$1').replace(/\$(\d+)/g, (_, n: string) => match[Number(n)] ?? '');
      if (value) labels[rule.target_label!] = value;
      else delete labels[rule.target_label!];
    }
  }
  const visible = Object.fromEntries(Object.entries(labels).filter(([k]) => !k.startsWith('__')));
  return { address: labels['__address__'], path: labels['__metrics_path__'], labels: visible };
}

/** The meta labels the pod role gives one container port of a pod. */
function podTarget(o: { namespace?: string; name: string; ip?: string; labels: Record<string, string>; annotations?: Record<string, string>; port: [string, number]; phase?: string }) {
  const ip = o.ip ?? '10.42.0.7';
  const meta = (kind: string, map: Record<string, string> = {}) =>
    Object.fromEntries(Object.entries(map).map(([k, v]) => [`__meta_kubernetes_pod_${kind}_${k.replace(/[^a-zA-Z0-9_]/g, '_')}`, v]));
  return {
    __address__: ip.includes(':') ? `[${ip}]:${o.port[1]}` : `${ip}:${o.port[1]}`,
    __meta_kubernetes_namespace: o.namespace ?? 'aiops-platform',
    __meta_kubernetes_pod_name: o.name,
    __meta_kubernetes_pod_ip: ip,
    __meta_kubernetes_pod_node_name: 'node-1',
    __meta_kubernetes_pod_phase: o.phase ?? 'Running',
    __meta_kubernetes_pod_container_port_name: o.port[0],
    __meta_kubernetes_pod_container_port_number: String(o.port[1]),
    ...meta('label', o.labels),
    ...meta('annotation', o.annotations),
  };
}

const release = (name: string, component: string) => ({ 'app.kubernetes.io/name': name, 'app.kubernetes.io/component': component, 'app.kubernetes.io/instance': 'aiops-platform' });

describe('Kubernetes discovery blocks', () => {
  const blocks = discoveryBlocks(withKubelet.config);
  const jobs = Object.fromEntries(withKubelet.config.scrape_configs.map((j) => [j.job_name, j.relabel_configs]));

  it('has blocks to check: the scrape jobs and the Alertmanager discovery', () => {
    expect(blocks.length).toBeGreaterThan(3);
    expect(blocks.map((b) => b.name)).toContain('alertmanagers');
  });

  it('is exactly what the pure builder returns for the same context, values and options', () => {
    const options = { ruleFiles: Object.keys(RULES), alertmanager: ALERTMANAGER, nodeExporter: true, kubeStateMetrics: true };
    expect(prometheusConfig(defaults.ctx, defaults.values.prometheus, options)).toEqual(defaults.config);
    expect(prometheusConfig(withKubelet.ctx, withKubelet.values.prometheus, options)).toEqual(withKubelet.config);
  });

  it('watches pods or EndpointSlices only in the platform and node-agents namespaces, each covered by a Role; Nodes only in the kubelet job, under its ClusterRole', () => {
    type Rule = { apiGroups: string[]; resources: string[]; verbs: string[] };
    const roles: Record<string, Rule[]> = Object.fromEntries(ofKind(withKubelet.objects, 'Role').map((r) => [r.metadata.namespace, r.rules]));
    const grants = (namespace: string, group: string, resource: string) =>
      (roles[namespace] ?? []).some((r) => r.apiGroups.includes(group) && r.resources.includes(resource) && ['list', 'watch'].every((v) => r.verbs.includes(v)));
    for (const block of blocks) {
      expect(block.kubernetes_sd_configs, block.name).toHaveLength(1);
      const [sd] = block.kubernetes_sd_configs;
      if (sd!.role === 'node') {
        expect(block.name).toBe('job kubelet');
        const clusterRules: Rule[] = ofKind(withKubelet.objects, 'ClusterRole').flatMap((r) => r.rules);
        expect(clusterRules.some((r) => r.apiGroups.includes('') && r.resources.includes('nodes') && ['list', 'watch'].every((v) => r.verbs.includes(v)))).toBe(true);
        continue;
      }
      expect(['pod', 'endpointslice'], block.name).toContain(sd!.role);
      expect(sd!.namespaces.names.length, block.name).toBeGreaterThan(0);
      for (const namespace of sd!.namespaces.names) {
        expect([withKubelet.ctx.namespace, withKubelet.ctx.agentsNamespace], block.name).toContain(namespace);
        const needs = sd!.role === 'pod' ? [['', 'pods']] : [['', 'pods'], ['', 'services'], ['discovery.k8s.io', 'endpointslices']];
        for (const [group, resource] of needs) expect(grants(namespace, group!, resource!), `${block.name}: ${resource} in ${namespace}`).toBe(true);
      }
    }
  });

  it('uses known relabel actions, RE2-compatible regexes and replacements that reference existing groups', () => {
    for (const block of blocks) {
      for (const rule of [...block.relabel_configs, ...('metric_relabel_configs' in block ? (block.metric_relabel_configs ?? []) : [])]) {
        const where = `${block.name}: ${JSON.stringify(rule)}`;
        expect(ACTIONS, where).toContain(rule.action);
        const regex = rule.regex ?? '(.*)';
        expect(regex, `${where}: lookaround and backreferences are not RE2`).not.toMatch(/\(\?<?[=!]|\\[1-9]/);
        const groups = new RegExp(`${regex}|`).exec('')!.length - 1;
        for (const [, n] of (rule.replacement ?? '').matchAll(/\$(\d+)/g)) expect(Number(n), where).toBeLessThanOrEqual(groups);
      }
    }
  });

  it('reads only meta labels its role provides, or the convention labels', () => {
    for (const block of blocks) {
      const role = block.kubernetes_sd_configs[0]!.role;
      for (const label of block.relabel_configs.flatMap((r) => r.source_labels)) {
        const known =
          role === 'node' ? NODE_META.test(label) || label === '__address__' : POD_META.test(label) || (role === 'endpointslice' && ENDPOINTSLICE_META.test(label)) || CONVENTION_LABELS.includes(label) || label === '__address__';
        expect(known, `${block.name}: ${label}`).toBe(true);
      }
    }
  });

  it('scrapes an annotated pod on its annotated port and path, once, with the convention labels (IPv4 and IPv6)', () => {
    const postgres = { name: 'aiops-platform-postgresql-0', labels: release('postgresql', 'database'), annotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/port': '9187', 'prometheus.io/path': '/metrics' } };
    const viaServerPort = relabel(podTarget({ ...postgres, port: ['postgresql', 5432] }), jobs['kubernetes-pods']!);
    expect(viaServerPort).toEqual({
      address: '10.42.0.7:9187',
      path: '/metrics',
      labels: { namespace: 'aiops-platform', pod: 'aiops-platform-postgresql-0', node: 'node-1', app: 'postgresql', component: 'database' },
    });
    expect(relabel(podTarget({ ...postgres, port: ['metrics', 9187] }), jobs['kubernetes-pods']!)).toEqual(viaServerPort);
    expect(relabel(podTarget({ ...postgres, ip: 'fd00:10:42::7', port: ['postgresql', 5432] }), jobs['kubernetes-pods']!)?.address).toBe('[fd00:10:42::7]:9187');
    expect(relabel(podTarget({ ...postgres, annotations: { 'prometheus.io/scrape': 'true' }, port: ['http', 8080] }), jobs['kubernetes-pods']!)?.address).toBe('10.42.0.7:8080');
    expect(relabel(podTarget({ ...postgres, annotations: {}, port: ['metrics', 9187] }), jobs['kubernetes-pods']!)).toBeUndefined();
    expect(relabel(podTarget({ ...postgres, phase: 'Succeeded', port: ['metrics', 9187] }), jobs['kubernetes-pods']!)).toBeUndefined();
  });

  it('keeps only this release’s exporter pods on their metrics port in the dedicated jobs', () => {
    const nodeExporter = { namespace: 'aiops-platform-node-agents', name: 'aiops-platform-node-exporter-abcde', labels: release('node-exporter', 'metrics'), port: ['metrics', 9100] as [string, number] };
    expect(relabel(podTarget(nodeExporter), jobs['node-exporter']!)?.labels).toEqual({
      namespace: 'aiops-platform-node-agents',
      pod: 'aiops-platform-node-exporter-abcde',
      node: 'node-1',
      app: 'node-exporter',
      component: 'metrics',
    });
    expect(relabel(podTarget({ ...nodeExporter, labels: { ...nodeExporter.labels, 'app.kubernetes.io/instance': 'other' } }), jobs['node-exporter']!)).toBeUndefined();
    const ksm = { name: 'aiops-platform-kube-state-metrics-0', labels: release('kube-state-metrics', 'metrics') };
    expect(relabel(podTarget({ ...ksm, port: ['metrics', 8080] }), jobs['kube-state-metrics']!)?.address).toBe('10.42.0.7:8080');
    expect(relabel(podTarget({ ...ksm, port: ['telemetry', 8081] }), jobs['kube-state-metrics']!)).toBeUndefined();
    expect(relabel(podTarget({ name: 'aiops-platform-prometheus-0', labels: release('prometheus', 'monitoring'), port: ['http', 9090] }), jobs['prometheus']!)?.labels.app).toBe('prometheus');
  });

  it('finds every Alertmanager pod behind its Service port, for alerts and for scraping', () => {
    const endpoint = (service: string, port: number) => ({
      ...podTarget({ name: 'aiops-platform-alertmanager-1', labels: release('alertmanager', 'alerting'), port: ['http', port] }),
      __meta_kubernetes_service_name: service,
      __meta_kubernetes_endpointslice_port: String(port),
    });
    const alerting = defaults.config.alerting!.alertmanagers[0]!.relabel_configs;
    expect(relabel(endpoint('aiops-platform-alertmanager', 9093), alerting)?.address).toBe('10.42.0.7:9093');
    expect(relabel(endpoint('aiops-platform-alertmanager', 9094), alerting)).toBeUndefined();
    expect(relabel(endpoint('aiops-platform-grafana', 9093), alerting)).toBeUndefined();
    expect(relabel(endpoint('aiops-platform-alertmanager', 9093), jobs['alertmanager']!)?.labels).toMatchObject({ pod: 'aiops-platform-alertmanager-1', app: 'alertmanager' });
  });

  it('scrapes each node\'s kubelet on 10250 at the node\'s address (IPv4 and IPv6), labelled with the node', () => {
    const node = (address: string) => ({ __address__: address, __meta_kubernetes_node_name: 'worker-1', __meta_kubernetes_node_label_kubernetes_io_os: 'linux' });
    expect(relabel(node('10.0.0.5:10250'), jobs['kubelet']!)).toEqual({ address: '10.0.0.5:10250', path: undefined, labels: { node: 'worker-1' } });
    // The port the Node reports gives way to the one the NetworkPolicies allow.
    expect(relabel(node('10.0.0.5:10255'), jobs['kubelet']!)?.address).toBe('10.0.0.5:10250');
    expect(relabel(node('[fd00:10::5]:10250'), jobs['kubelet']!)?.address).toBe('[fd00:10::5]:10250');
  });

  it('keeps only container CPU and working-set series of the platform\'s namespaces from cAdvisor', () => {
    const rules = withKubelet.config.scrape_configs.find((j) => j.job_name === 'kubelet')!.metric_relabel_configs!;
    const series = (name: string, namespace: string, container: string, pod = 'p-0') => ({ __name__: name, namespace, pod, container, id: '/kubepods/x', image: 'i', name: 'n' });
    const kept = (labels: Record<string, string>) => relabel(labels, rules) !== undefined;
    expect(kept(series('container_cpu_usage_seconds_total', 'aiops-platform', 'prometheus'))).toBe(true);
    expect(kept(series('container_memory_working_set_bytes', 'aiops-platform', 'prometheus'))).toBe(true);
    expect(kept(series('container_memory_working_set_bytes', 'aiops-platform-node-agents', 'filebeat'))).toBe(true);
    // The pod-level cgroup rows and the sandbox would count a pod twice.
    expect(kept(series('container_cpu_usage_seconds_total', 'aiops-platform', ''))).toBe(false);
    expect(kept(series('container_cpu_usage_seconds_total', 'aiops-platform', 'POD'))).toBe(false);
    // Other namespaces, other metrics, machine-level series.
    expect(kept(series('container_cpu_usage_seconds_total', 'kube-system', 'coredns'))).toBe(false);
    expect(kept(series('container_cpu_usage_seconds_total', 'aiops-platform-other', 'x'))).toBe(false);
    expect(kept(series('container_memory_usage_bytes', 'aiops-platform', 'prometheus'))).toBe(false);
    expect(kept(series('container_network_receive_bytes_total', 'aiops-platform', 'prometheus'))).toBe(false);
    expect(kept({ __name__: 'machine_cpu_cores' })).toBe(false);
    expect(kept({ __name__: 'container_cpu_usage_seconds_total', id: '/system.slice/kubelet.service' })).toBe(false);
  });
});
