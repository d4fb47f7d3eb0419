/**
 * Test support: the connections a render's own configuration makes, read off the rendered objects
 * alone (never off the chart's network graph), to prove that graph complete:
 * - env vars named `*_URL` / `*HOST` (with the sibling `*PORT`) of every pod template;
 * - in-cluster URLs and `host:port`s in the ConfigMaps a pod mounts (Grafana datasources, kibana.yml,
 *   the Logstash pipeline, filebeat.yml, alertmanager.yml, Elasticsearch `discovery.seed_hosts` on
 *   `transport.port`), and in pod templates embedded in them (the executor's Jobs);
 * - in-cluster URLs and `host:port`s in commands and args (Alertmanager peers, the transport-CA
 *   Job's API calls); scripts naming hosts without a port use `-p N` (redis-cli); without either
 *   the names are certificate SANs, not connections;
 * - prometheus.yml: Alertmanager targets and every scrape job, by evaluating its keep/drop
 *   relabelings on the discovered pods and EndpointSlices, and its `__address__` rewrites on a
 *   discovered Node (the `node` role: the node's IP with the kubelet port the Node reports);
 * - Ingress backends from the pods of the IngressClass' controller, and the world into every
 *   LoadBalancer/NodePort Service;
 * - the API server from every pod that mounts a service-account token, DNS from every pod.
 */
import { parse } from 'yaml';
import type { Endpoint } from './network-policy-eval.js';

/** Addresses standing in for the non-pod endpoints. */
export const ADDRESSES = { world: '203.0.113.7', node: '10.0.0.5', apiServer: '192.0.2.10' } as const;
export const KUBE_DNS: Endpoint = { namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns' } };

/** One connection: from a pod (or the world) to a pod or address, on the destination port. */
export interface Connection {
  readonly from: Endpoint;
  readonly to: Endpoint;
  readonly port: number;
  readonly protocol: 'TCP' | 'UDP';
  readonly why: string;
}

interface Pod {
  readonly source: string;
  readonly namespace: string;
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
  readonly spec: any;
}

/** Kinds with pods; a bare Pod (the connection tests) is its own template. */
const WORKLOADS = ['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob', 'Pod'];
const templateOf = (w: any) => (w.kind === 'CronJob' ? w.spec.jobTemplate.spec.template : w.kind === 'Pod' ? w : w.spec.template);
const HOST = /(?:(https?):\/\/)?((?:[a-z0-9-]+\.)+svc(?:\.cluster\.local)?)(?::(\d+))?/g;
const endpointOf = (pod: Pod): Endpoint => (pod.spec.hostNetwork ? { ip: ADDRESSES.node } : { namespace: pod.namespace, labels: pod.labels });
const selectsPod = (selector: Record<string, string>, pod: Pod) => Object.entries(selector).every(([k, v]) => pod.labels[k] === v);
const metaName = (name: string) => name.replace(/[^a-zA-Z0-9_]/g, '_');

function podOf(source: string, namespace: string, template: any): Pod {
  return { source, namespace, labels: template.metadata?.labels ?? {}, annotations: template.metadata?.annotations ?? {}, spec: template.spec };
}

/** The kubelet port a discovered Node reports (`status.daemonEndpoints.kubeletEndpoint.port`). */
const KUBELET_REPORTED_PORT = 10250;

/** `__address__` after the `replace` relabelings that target it (RE2 and JavaScript agree on these regexes). */
function rewrittenAddress(relabels: readonly any[], meta: Record<string, string>): string {
  const labels = { ...meta };
  for (const r of relabels.filter((x) => x.action === 'replace' && x.target_label === '__address__')) {
    const match = new RegExp(`^(?:${r.regex ?? '(.*)'})$`).exec(r.source_labels.map((l: string) => labels[l] ?? '').join(';'));
    if (match) labels['__address__'] = (r.replacement ?? '$1').replace(/\$(\d+)/g, (_: string, n: string) => match[Number(n)] ?? '');
  }
  return labels['__address__']!;
}

/** Every connection the render's configuration makes (see the file comment). */
export function renderedConnections(objects: readonly any[]): Connection[] {
  const pods = objects
    .filter((o) => WORKLOADS.includes(o.kind))
    .map((w) => podOf(`${w.kind}/${w.metadata.name}`, w.metadata.namespace, templateOf(w)));
  // Jobs and bare Pods serve nothing: no Service or scrape reaches them.
  const servers = pods.filter((p) => !/^((Cron)?Job|Pod)\//.test(p.source));
  const out: Connection[] = [];
  const add = (from: Pod, to: Endpoint, port: number, protocol: 'TCP' | 'UDP', why: string) => {
    if (!from.spec.hostNetwork) out.push({ from: endpointOf(from), to, port, protocol, why: `${from.source}: ${why}` });
  };

  /** The pods (and ports) behind `host:port`; undefined for a host outside the cluster. */
  const resolve = (host: string, port: number): { to: Endpoint; port: number; protocol: 'TCP' | 'UDP' }[] | undefined => {
    if (/^kubernetes\.default\.svc(\.cluster\.local)?$/.test(host)) return [443, 6443].map((p) => ({ to: { ip: ADDRESSES.apiServer }, port: p, protocol: 'TCP' }));
    const m = /^(?:[a-z0-9-]+\.)?([a-z0-9-]+)\.([a-z0-9-]+)\.svc(?:\.cluster\.local)?$/.exec(host);
    if (!m) return undefined;
    const service = objects.find((o) => o.kind === 'Service' && o.metadata.name === m[1] && o.metadata.namespace === m[2]);
    if (!service) throw new Error(`${host} names no Service of the render`);
    const ports = service.spec.ports.filter((p: any) => p.port === port);
    if (ports.length === 0) throw new Error(`Service ${m[1]} has no port ${port}`);
    return ports.flatMap((sp: any) => backends(service, sp).map((b) => ({ to: endpointOf(b.pod), port: b.port, protocol: b.protocol })));
  };
  /** The pods behind a Service port, on the container port its targetPort names. */
  const backends = (service: any, sp: any): { pod: Pod; port: number; protocol: 'TCP' | 'UDP' }[] =>
    servers
      .filter((p) => p.namespace === service.metadata.namespace && selectsPod(service.spec.selector, p))
      .flatMap((p) =>
        p.spec.containers
          .flatMap((c: any) => c.ports ?? [])
          .filter((cp: any) => cp.name === sp.targetPort || cp.containerPort === sp.targetPort)
          .map((cp: any) => ({ pod: p, port: cp.containerPort as number, protocol: (sp.protocol ?? 'TCP') as 'TCP' | 'UDP' })),
      );
  const connect = (from: Pod, host: string, port: number, why: string) => {
    const targets = resolve(host, port);
    if (!targets) throw new Error(`${from.source}: ${why}: ${host} is not an in-cluster host`);
    for (const t of targets) add(from, t.to, t.port, t.protocol, `${why} → ${host}:${port}`);
  };
  /** In-cluster references in free text; `script`: portless names use `-p N` or are skipped. */
  const scan = (from: Pod, text: string, why: string, script: boolean) => {
    for (const [, scheme, host, port] of text.matchAll(HOST)) {
      const p = port ? Number(port) : scheme ? (scheme === 'https' ? 443 : 80) : script ? Number(/ -p (\d+)/.exec(text)?.[1] ?? NaN) : NaN;
      if (Number.isNaN(p)) {
        if (script) continue;
        throw new Error(`${from.source}: ${why} names ${host} without a port`);
      }
      connect(from, host!, p, why);
    }
  };
  const podConnections = (pod: Pod) => {
    for (const c of [...(pod.spec.initContainers ?? []), ...pod.spec.containers]) {
      const env: any[] = c.env ?? [];
      for (const e of env.filter((x) => typeof x.value === 'string' && /(_URL|HOST)$/.test(x.name))) {
        if (/^[a-z]+:\/\//.test(e.value)) {
          const u = new URL(e.value);
          connect(pod, u.hostname, Number(u.port || (u.protocol === 'https:' ? 443 : 80)), `env ${e.name}`);
        } else {
          const port = env.find((x) => x.name === e.name.replace(/HOST$/, 'PORT'))?.value;
          if (!port) throw new Error(`${pod.source}: env ${e.name} has no sibling port variable`);
          connect(pod, e.value, Number(port), `env ${e.name}`);
        }
      }
      scan(pod, [...(c.command ?? []), ...(c.args ?? [])].join('\n'), `container ${c.name} command`, true);
    }
  };
  /** A parsed config: embedded pod templates are pods of their own; other strings are scanned. */
  const walk = (from: Pod, node: any, namespace: string, why: string, seedPort?: number): void => {
    if (typeof node === 'string') {
      if (seedPort !== undefined && !node.includes(':')) connect(from, node, seedPort, `${why} discovery.seed_hosts`);
      else scan(from, node, why, false);
    } else if (Array.isArray(node)) node.forEach((n) => walk(from, n, namespace, why, seedPort));
    else if (node && typeof node === 'object') {
      if (node.spec?.template?.spec?.containers) {
        podConnections(podOf(`${from.source} ${why} embedded ${node.kind ?? 'template'}`, node.metadata?.namespace ?? namespace, node.spec.template));
        return;
      }
      for (const [key, value] of Object.entries(node)) walk(from, value, namespace, why, key === 'discovery.seed_hosts' ? (node['transport.port'] ?? 9300) : undefined);
    }
  };

  for (const pod of pods) {
    podConnections(pod);
    for (const volume of pod.spec.volumes ?? []) {
      const cm = volume.configMap && objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === volume.configMap.name && o.metadata.namespace === pod.namespace);
      for (const [file, text] of Object.entries<string>(cm?.data ?? {})) {
        let doc: unknown;
        try {
          doc = parse(text);
        } catch {
          doc = text;
        }
        walk(pod, typeof doc === 'object' && doc !== null ? doc : text, pod.namespace, `ConfigMap ${cm.metadata.name} ${file}`);
        if (file === 'prometheus.yml') prometheusConnections(pod, doc);
      }
    }
    if (pod.spec.automountServiceAccountToken) for (const port of [443, 6443]) add(pod, { ip: ADDRESSES.apiServer }, port, 'TCP', 'service-account token: the API server');
    for (const protocol of ['UDP', 'TCP'] as const) add(pod, KUBE_DNS, 53, protocol, 'DNS');
  }

  function prometheusConnections(prometheus: Pod, config: any): void {
    const kept = (relabels: any[], meta: Record<string, string>) =>
      relabels.every((r) => {
        if (r.action !== 'keep' && r.action !== 'drop') return true;
        const matched = new RegExp(`^(?:${r.regex ?? '(.*)'})$`).test(r.source_labels.map((l: string) => meta[l] ?? '').join(';'));
        return r.action === 'keep' ? matched : !matched;
      });
    const podMeta = (p: Pod): Record<string, string> => ({
      __meta_kubernetes_namespace: p.namespace,
      __meta_kubernetes_pod_phase: 'Running',
      ...Object.fromEntries(Object.entries(p.labels).map(([k, v]) => [`__meta_kubernetes_pod_label_${metaName(k)}`, v])),
      ...Object.fromEntries(Object.entries(p.annotations).map(([k, v]) => [`__meta_kubernetes_pod_annotation_${metaName(k)}`, v])),
    });
    const targets = (sd: any): { pod?: Pod; port?: number; meta: Record<string, string> }[] =>
      sd.role === 'node'
        ? [{ meta: { __address__: `${ADDRESSES.node}:${KUBELET_REPORTED_PORT}`, __meta_kubernetes_node_name: 'node-1' } }]
        : sd.role === 'pod'
        ? servers
            .filter((p) => sd.namespaces.names.includes(p.namespace))
            .flatMap((p) => {
              const ports = p.spec.containers.flatMap((c: any) => c.ports ?? []);
              return ports.length === 0
                ? [{ pod: p, meta: podMeta(p) }]
                : ports.map((cp: any) => ({ pod: p, port: cp.containerPort, meta: { ...podMeta(p), __meta_kubernetes_pod_container_port_name: cp.name ?? '' } }));
            })
        : objects
            .filter((s) => s.kind === 'Service' && sd.namespaces.names.includes(s.metadata.namespace))
            .flatMap((s) =>
              s.spec.ports.flatMap((sp: any) =>
                backends(s, sp).map((b) => ({
                  pod: b.pod,
                  port: b.port,
                  meta: { ...podMeta(b.pod), __meta_kubernetes_service_name: s.metadata.name, __meta_kubernetes_endpointslice_port: String(b.port) },
                })),
              ),
            );
    const jobs = [...(config.alerting?.alertmanagers ?? []).map((a: any) => ({ ...a, job_name: 'alerting' })), ...config.scrape_configs];
    for (const job of jobs) {
      const annotationPort = job.relabel_configs.some((r: any) => r.target_label === '__address__' && r.source_labels.includes('__meta_kubernetes_pod_annotation_prometheus_io_port'));
      for (const sd of job.kubernetes_sd_configs) {
        for (const t of targets(sd)) {
          if (!kept(job.relabel_configs, t.meta)) continue;
          if (!t.pod) {
            const address = rewrittenAddress(job.relabel_configs, t.meta);
            add(prometheus, { ip: ADDRESSES.node }, Number(address.slice(address.lastIndexOf(':') + 1)), 'TCP', `prometheus.yml job ${job.job_name} → node ${address}`);
            continue;
          }
          const port = annotationPort ? Number(t.pod.annotations['prometheus.io/port']) : t.port;
          add(prometheus, endpointOf(t.pod), port!, 'TCP', `prometheus.yml job ${job.job_name} → ${t.pod.source}:${port}`);
        }
      }
    }
  }

  for (const ingress of objects.filter((o) => o.kind === 'Ingress')) {
    const ingressClass = objects.find((o) => o.kind === 'IngressClass' && o.metadata.name === ingress.spec.ingressClassName);
    const keys = ['app.kubernetes.io/name', 'app.kubernetes.io/instance', 'app.kubernetes.io/component'];
    const controllers = servers.filter((p) => ingressClass && keys.every((k) => p.labels[k] === ingressClass.metadata.labels[k]));
    const refs = [ingress.spec.defaultBackend, ...(ingress.spec.rules ?? []).flatMap((r: any) => r.http.paths.map((p: any) => p.backend))].filter(Boolean);
    for (const controller of controllers) {
      for (const ref of refs) connect(controller, `${ref.service.name}.${ingress.metadata.namespace}.svc`, ref.service.port.number, `Ingress ${ingress.metadata.name}`);
    }
  }
  for (const service of objects.filter((o) => o.kind === 'Service' && ['LoadBalancer', 'NodePort'].includes(o.spec.type))) {
    for (const sp of service.spec.ports) {
      for (const b of backends(service, sp)) {
        out.push({ from: { ip: ADDRESSES.world }, to: endpointOf(b.pod), port: b.port, protocol: b.protocol, why: `the world → ${service.spec.type} Service ${service.metadata.name}:${sp.port}` });
      }
    }
  }
  return out;
}
