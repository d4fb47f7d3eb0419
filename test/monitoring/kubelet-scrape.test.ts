/**
 * The rendered kubelet job (`prometheus.kubelet.enabled`) run by a real Prometheus (Debian's
 * 2.42) against a fake kubelet on 127.0.0.1: https with a throw-away self-signed certificate
 * (openssl), /metrics/cadvisor answering only the Bearer token of the token file, a body shaped
 * like the kubelet's cAdvisor output (labels of kubernetes pkg/kubelet/server/server.go). It shows
 * what is stored (only the kept series, with their own namespace/pod/container labels), what the
 * TLS settings do (insecure_skip_verify accepts the self-signed certificate; verifying needs the
 * certificate's CA), that a wrong token is refused, and that the AI engine's pod-cpu and
 * pod-memory queries answer per pod on that data.
 *
 * What differs from a cluster, and why: Debian builds Prometheus without Kubernetes discovery, so
 * the `node` role is replaced by a static target carrying the meta labels that role gives
 * (`__address__` with the kubelet port the Node reports, `__meta_kubernetes_node_name`); the
 * fake cannot listen on 10250, so the port of the address rewrite is the fake's; the
 * service-account token and CA paths point at temp files. Everything else is the rendered job.
 *
 * Needs prometheus and openssl (Debian: apt-get install prometheus openssl). Skipped with a
 * warning when missing locally; fails when missing in CI.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { Prometheus } from '../../src/components/monitoring/prometheus.js';
import type { PrometheusConfig, ScrapeConfig } from '../../src/components/monitoring/prometheus-config.js';
import { BUILT_IN_SERIES } from '../../src/core/ai-engine-series.js';
import { yamlFile } from '../../src/lib/config-files.js';
import { renderConstruct } from '../support/construct.js';
import { PROMETHEUS_BINARY, startPrometheus, type TestServer } from '../support/prom-servers.js';
import { onPath, runProcess, toolsPresent } from '../support/process.js';
import { find } from '../support/render.js';
import { until } from '../support/until.js';

const openssl = onPath('openssl');
const present = toolsPresent(
  'the kubelet scrape tests',
  [...(PROMETHEUS_BINARY ? [] : ['prometheus']), ...(openssl ? [] : ['openssl'])],
  'Debian: apt-get install prometheus openssl',
);

const TOKEN = 'kubelet-test-token';
const MiB = 2 ** 20;

/** The kubelet job as the chart renders it. */
function renderedJob(valuesYaml: string): ScrapeConfig {
  const r = renderConstruct(valuesYaml, (chart, ctx, values) => new Prometheus(chart, 'prometheus', { ctx, values: values.prometheus, ruleFiles: {}, nodeExporter: true, kubeStateMetrics: true }));
  const config = parse(find(r.objects, 'ConfigMap', 'aiops-platform-prometheus').data['prometheus.yml']) as PrometheusConfig;
  return config.scrape_configs.find((j) => j.job_name === 'kubelet')!;
}

/** One cAdvisor row as the kubelet writes it: every label present, empty where it does not apply. */
const row = (name: string, l: { namespace?: string; pod?: string; container?: string; id?: string }, value: number) =>
  `${name}{container="${l.container ?? ''}",id="${l.id ?? '/kubepods/burstable/pod1'}",image="img",name="n",namespace="${l.namespace ?? ''}",pod="${l.pod ?? ''}"} ${value}`;

/** The fake /metrics/cadvisor body after `n` requests: CPU counters grow, memory stays. */
function cadvisorBody(n: number): string {
  const cpu = 'container_cpu_usage_seconds_total';
  const mem = 'container_memory_working_set_bytes';
  const prom = { namespace: 'aiops-platform', pod: 'aiops-platform-prometheus-0' };
  const filebeat = { namespace: 'aiops-platform-node-agents', pod: 'aiops-platform-filebeat-x7k2p' };
  return [
    '# HELP container_cpu_usage_seconds_total Cumulative cpu time consumed in seconds.',
    '# TYPE container_cpu_usage_seconds_total counter',
    row(cpu, { ...prom, container: 'prometheus' }, 10 + 0.5 * n),
    row(cpu, { ...prom, container: '' }, 10 + 0.5 * n), // the pod-level cgroup: the sum of its containers
    row(cpu, { ...prom, container: 'POD' }, 0.01 * n), // the sandbox (Docker-era kubelets)
    row(cpu, { ...filebeat, container: 'filebeat' }, 3 + 0.25 * n),
    row(cpu, { namespace: 'kube-system', pod: 'coredns-1', container: 'coredns' }, 7 + n),
    row(cpu, { id: '/system.slice/containerd.service' }, 100 + n),
    '# HELP container_memory_working_set_bytes Current working set in bytes.',
    '# TYPE container_memory_working_set_bytes gauge',
    row(mem, { ...prom, container: 'prometheus' }, 100 * MiB),
    row(mem, { ...prom, container: '' }, 100 * MiB),
    row(mem, { ...filebeat, container: 'filebeat' }, 40 * MiB),
    row(mem, { namespace: 'kube-system', pod: 'coredns-1', container: 'coredns' }, 20 * MiB),
    '# HELP container_memory_usage_bytes Current memory usage in bytes.',
    '# TYPE container_memory_usage_bytes gauge',
    row('container_memory_usage_bytes', { ...prom, container: 'prometheus' }, 150 * MiB),
    '# HELP machine_cpu_cores Number of logical CPU cores.',
    '# TYPE machine_cpu_cores gauge',
    'machine_cpu_cores{boot_id="b",machine_id="m",system_uuid="s"} 4',
    '',
  ].join('\n');
}

describe.runIf(present)('the kubelet job against a fake kubelet, scraped by a real Prometheus', { timeout: 60_000 }, () => {
  let dir: string;
  let kubelet: Server;
  let kubeletPort: number;
  let prometheus: TestServer;
  const authorizations: (string | undefined)[] = [];
  let requests = 0;

  /** The rendered job under another name, with the test's token, CA and fake port. */
  const asTest = (job: ScrapeConfig, name: string, o: { ca: string; token?: string }) => {
    const { kubernetes_sd_configs: _discovery, ...rest } = job;
    const tokenFile = join(dir, `${name}.token`);
    writeFileSync(tokenFile, `${o.token ?? TOKEN}\n`);
    return {
      ...rest,
      job_name: name,
      authorization: { credentials_file: tokenFile },
      tls_config: { ...job.tls_config!, ca_file: join(dir, o.ca) },
      relabel_configs: job.relabel_configs.map((r) => (r.target_label === '__address__' ? { ...r, replacement: r.replacement!.replace(/:10250$/, `:${kubeletPort}`) } : r)),
      static_configs: [{ targets: ['127.0.0.1:10250'], labels: { __meta_kubernetes_node_name: 'node-1' } }],
    };
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kubelet-scrape-'));
    const certificate = async (name: string) => {
      const made = await runProcess(openssl!, [
        'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1',
        '-subj', `/CN=${name}`, '-addext', 'subjectAltName=IP:127.0.0.1',
        '-keyout', join(dir, `${name}.key`), '-out', join(dir, `${name}.crt`),
      ]);
      expect(made.code, made.stderr).toBe(0);
    };
    await certificate('kubelet');
    await certificate('other-ca');
    kubelet = createServer({ key: readFileSync(join(dir, 'kubelet.key')), cert: readFileSync(join(dir, 'kubelet.crt')) }, (req, res) => {
      authorizations.push(req.headers.authorization);
      if (req.url !== '/metrics/cadvisor') return void res.writeHead(404).end();
      if (req.headers.authorization !== `Bearer ${TOKEN}`) return void res.writeHead(401).end('Unauthorized');
      requests += 1;
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(cadvisorBody(requests));
    });
    await new Promise<void>((done) => kubelet.listen(0, '127.0.0.1', done));
    kubeletPort = (kubelet.address() as AddressInfo).port;

    const skipVerify = renderedJob('prometheus: {kubelet: {enabled: true}}');
    const verify = renderedJob('prometheus: {kubelet: {enabled: true, insecureSkipVerify: false}}');
    expect(skipVerify.tls_config!.insecure_skip_verify).toBe(true);
    expect(verify.tls_config!.insecure_skip_verify).toBe(false);
    const config = {
      global: { scrape_interval: '1s', scrape_timeout: '1s' },
      scrape_configs: [
        // The default: any certificate (here the CA file is not even the kubelet's).
        asTest(skipVerify, 'kubelet', { ca: 'other-ca.crt' }),
        asTest(verify, 'kubelet-verified', { ca: 'kubelet.crt' }),
        asTest(verify, 'kubelet-wrong-ca', { ca: 'other-ca.crt' }),
        asTest(skipVerify, 'kubelet-wrong-token', { ca: 'other-ca.crt', token: 'not-the-token' }),
      ],
    };
    prometheus = await startPrometheus({ config: yamlFile(config) });
  }, 60_000);

  afterAll(async () => {
    await prometheus?.stop();
    await new Promise<void>((done) => (kubelet ? kubelet.close(() => done()) : done()));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const api = async (path: string, params: Record<string, string>): Promise<any> => {
    const body = (await (await fetch(`${prometheus.url}/api/v1/${path}?${new URLSearchParams(params)}`)).json()) as { status: string; data: unknown; error?: string };
    expect(body.status, body.error).toBe('success');
    return body.data;
  };

  /** The scrape health of each job, once every job has been scraped at least twice. */
  const health = () =>
    until('two scrapes of every job', async () => {
      const { activeTargets } = await api('targets', {});
      const byJob = Object.fromEntries(activeTargets.map((t: any) => [t.labels.job, t]));
      const twice = await api('query', { query: 'count_over_time(up[1m])' });
      const counted = Object.fromEntries(twice.result.map((r: any) => [r.metric.job, Number(r.value[1])]));
      return Object.keys(byJob).length === 4 && Object.values(counted).length === 4 && Object.values(counted).every((n) => n >= 2) ? byJob : undefined;
    }, 20_000, 200);

  it('stores only container CPU and working set of the platform\'s pods, with their own labels and the node', async () => {
    const byJob = await health();
    expect(byJob['kubelet'].health, byJob['kubelet'].lastError).toBe('up');
    expect(byJob['kubelet'].scrapeUrl).toBe(`https://127.0.0.1:${kubeletPort}/metrics/cadvisor`);
    const series: Record<string, string>[] = await api('series', { 'match[]': '{job="kubelet", __name__!~"up|scrape_.*"}' });
    const shown = series.map((s) => `${s['__name__']} ${s['namespace']}/${s['pod']}/${s['container']} node=${s['node']} instance=${s['instance']}`).sort();
    expect(shown).toEqual([
      `container_cpu_usage_seconds_total aiops-platform-node-agents/aiops-platform-filebeat-x7k2p/filebeat node=node-1 instance=127.0.0.1:${kubeletPort}`,
      `container_cpu_usage_seconds_total aiops-platform/aiops-platform-prometheus-0/prometheus node=node-1 instance=127.0.0.1:${kubeletPort}`,
      `container_memory_working_set_bytes aiops-platform-node-agents/aiops-platform-filebeat-x7k2p/filebeat node=node-1 instance=127.0.0.1:${kubeletPort}`,
      `container_memory_working_set_bytes aiops-platform/aiops-platform-prometheus-0/prometheus node=node-1 instance=127.0.0.1:${kubeletPort}`,
    ]);
    // The kubelet's own labels stay as they are (no exported_namespace: the targets carry no namespace label).
    expect(series.every((s) => !Object.keys(s).some((k) => k.startsWith('exported_')))).toBe(true);
    expect(authorizations).toContain(`Bearer ${TOKEN}`);
  });

  it('verifies the kubelet certificate only when told, against the CA file; a wrong token is refused by the kubelet', async () => {
    const byJob = await health();
    expect(byJob['kubelet-verified'].health, byJob['kubelet-verified'].lastError).toBe('up');
    expect(byJob['kubelet-wrong-ca'].health).toBe('down');
    expect(byJob['kubelet-wrong-ca'].lastError).toMatch(/certificate/);
    expect(byJob['kubelet-wrong-token'].health).toBe('down');
    expect(byJob['kubelet-wrong-token'].lastError).toMatch(/401/);
    expect(authorizations).toContain('Bearer not-the-token');
  });

  it('answers the AI engine\'s pod-cpu and pod-memory queries per pod, each container counted once', async () => {
    await health();
    // The built-in queries, narrowed to one of the four jobs (they all store the same series here).
    const query = (id: string) => BUILT_IN_SERIES.find((b) => b.series.id === id)!.series.query.replace('{container!=""}', '{container!="", job="kubelet"}');
    const memory = await api('query', { query: query('pod-memory') });
    const byPod = (result: any[]) => Object.fromEntries(result.map((r) => [`${r.metric.namespace}/${r.metric.pod}`, Number(r.value[1])]));
    expect(byPod(memory.result)).toEqual({ 'aiops-platform/aiops-platform-prometheus-0': 100 * MiB, 'aiops-platform-node-agents/aiops-platform-filebeat-x7k2p': 40 * MiB });
    const cpu = await until('a CPU rate for both pods', async () => {
      const r = await api('query', { query: query('pod-cpu') });
      return r.result.length === 2 ? byPod(r.result) : undefined;
    }, 10_000, 200);
    expect(Object.keys(cpu).sort()).toEqual(['aiops-platform-node-agents/aiops-platform-filebeat-x7k2p', 'aiops-platform/aiops-platform-prometheus-0']);
    for (const cores of Object.values(cpu)) expect(cores).toBeGreaterThan(0);
  });
});
