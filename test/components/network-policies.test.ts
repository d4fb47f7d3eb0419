import { App } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { PlatformChart } from '../../src/chart.js';
import type { Edge, Peer } from '../../src/components/platform/network-graph.js';
import { NetworkPolicies } from '../../src/components/platform/network-policies.js';
import { loadValues } from '../../src/values/load.js';
import { renderConstruct } from '../support/construct.js';
import { FIXTURES_DIR, fixtures, SEED_DIR, type Fixture } from '../support/fixtures.js';
import { registerCrdValidators } from '../support/crd-validate.js';
import { assertValidK8sObjects } from '../support/k8s-validate.js';
import { allows, selects, type Endpoint, type NamespaceLabels } from '../support/network-policy-eval.js';

registerCrdValidators(); // the render has custom resources (the basic-auth Middleware)
import { ADDRESSES, KUBE_DNS, renderedConnections } from '../support/render-connections.js';
import { find, ofKind, parseManifests } from '../support/render.js';
import { STAND_IN_CODE } from '../support/service-code.js';

const NS = 'aiops-platform';
const AGENTS = 'aiops-platform-node-agents';
const WORKLOADS = ['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob', 'Pod'];
/** The pod template of a workload (a bare Pod, a connection test, is its own). */
const templateOf = (w: any) => (w.kind === 'CronJob' ? w.spec.jobTemplate.spec.template : w.kind === 'Pod' ? w : w.spec.template);
/** The NetworkPolicy of a workload: its own name; the connection test Pods share `<release>-test`. */
const policyNameOf = (w: any) => (w.kind === 'Pod' && w.metadata.labels['app.kubernetes.io/component'] === 'connection-test' ? `${NS}-test` : w.metadata.name);
const inline = (text: string): Fixture => ({ name: 'inline.yaml', text });
const named = (dir: string, name: string) => fixtures(dir).filter((f) => f.name === name);

/** Renders like the CLI and keeps the edges the chart built the policies from. */
function renderChart(files: Fixture[]) {
  const { values } = loadValues({ files, sets: [] });
  const app = new App({ outdir: 'unused' });
  const chart = new PlatformChart(app, NS, { values, release: NS, namespace: NS, serviceCode: STAND_IN_CODE });
  const edges = (chart.node.tryFindChild('network-policies') as NetworkPolicies | undefined)?.edges ?? [];
  const objects = parseManifests(app.synthYaml()) as any[];
  const policies = ofKind(objects, 'NetworkPolicy');
  const namespaces: NamespaceLabels = Object.fromEntries(ofKind(objects, 'Namespace').map((n) => [n.metadata.name, n.metadata.labels]));
  const pod = (kind: string, name: string): Endpoint => {
    const w = find(objects, kind, `${NS}-${name}`);
    return { namespace: w.metadata.namespace, labels: templateOf(w).metadata.labels };
  };
  const allowed = (from: Endpoint, to: Endpoint, port: number, protocol: 'TCP' | 'UDP' = 'TCP') => allows(policies, namespaces, from, to, port, protocol);
  return { objects, edges, policies, namespaces, pod, allowed, warnings: chart.warnings };
}

/** The seed's production block: development off, my-values.yaml and the production fixture. */
const production = renderChart([inline('global: {development: false}\n'), ...named(SEED_DIR, 'my-values.yaml'), ...named(FIXTURES_DIR, 'production.yaml')]);
/** Production with the peers and receivers the defaults leave out: Redis cluster, three Alertmanagers, all receivers. */
const wide = renderChart([
  inline(`global: {development: false}
redis: {cluster: {enabled: true, nodes: 6}, auth: {password: secret-pass}}
alertmanager:
  receivers:
    email: {enabled: true, to: ops@example.com, from: am@example.com, smarthost: "smtp.example.com:587"}
    slack: {enabled: true, apiUrl: "https://hooks.slack.example.com/services/x"}
    webhook: {enabled: true, url: "http://hooks.example.com:8081/alerts"}
`),
]);

const endpointOf = (peer: Peer): Endpoint => {
  switch (peer.kind) {
    case 'pods':
      return { namespace: peer.namespace, labels: peer.selector };
    case 'world':
      return { ip: ADDRESSES.world };
    case 'nodes':
      return { ip: ADDRESSES.node };
    case 'kube-apiserver':
      return { ip: ADDRESSES.apiServer };
    case 'kube-dns':
      return KUBE_DNS;
  }
};

describe('NetworkPolicies: production render', () => {
  const { objects, policies } = production;

  it('renders valid objects', () => {
    assertValidK8sObjects(objects);
  });

  it('denies by default in the platform and the node agents\u2019 namespaces', () => {
    for (const namespace of [NS, AGENTS]) {
      const deny = policies.find((p) => p.metadata.name === `${NS}-default-deny` && p.metadata.namespace === namespace);
      expect(deny?.spec, namespace).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    }
  });

  it('has one policy per pod-network workload, named after it and selecting only its pods, isolating both ways', () => {
    const workloads = objects.filter((o) => WORKLOADS.includes(o.kind) && !templateOf(o).spec.hostNetwork);
    const templateLabels = (w: any) => templateOf(w).metadata.labels;
    const own = policies.filter((p) => p.metadata.name !== `${NS}-default-deny`);
    expect(own.map((p) => p.metadata.name).sort()).toEqual([...new Set(workloads.map(policyNameOf))].sort());
    for (const policy of own) {
      const selected = workloads.filter((w) => w.metadata.namespace === policy.metadata.namespace && selects(policy.spec.podSelector, templateLabels(w)));
      expect(selected.map(policyNameOf), policy.metadata.name).toEqual(selected.map(() => policy.metadata.name));
      expect(selected.length, policy.metadata.name).toBeGreaterThan(0);
      expect(policy.spec.policyTypes).toEqual(['Ingress', 'Egress']);
    }
    expect(own.find((p) => p.metadata.name === `${NS}-node-exporter`)).toBeUndefined();
    expect(find(policies, 'NetworkPolicy', `${NS}-filebeat`).metadata.namespace).toBe(AGENTS);
  });

  it('writes both sides of an edge from the same entry: Logstash egress and Elasticsearch ingress on 9200', () => {
    const logstash = find(policies, 'NetworkPolicy', `${NS}-logstash`);
    const es = find(policies, 'NetworkPolicy', `${NS}-elasticsearch`);
    const toEs = logstash.spec.egress.find((r: any) => r.to?.[0]?.podSelector?.matchLabels['app.kubernetes.io/name'] === 'elasticsearch');
    const fromLogstash = es.spec.ingress.find((r: any) => r.from?.[0]?.podSelector?.matchLabels['app.kubernetes.io/name'] === 'logstash');
    expect(toEs.ports).toEqual([{ port: 9200, protocol: 'TCP' }]);
    expect(fromLogstash.ports).toEqual(toEs.ports);
    expect(toEs.to[0].namespaceSelector).toEqual({ matchLabels: { 'kubernetes.io/metadata.name': NS } });
  });
});

describe.each([
  ['production', production],
  ['production with Redis cluster and receivers', wide],
] as const)('NetworkPolicies: %s', (_name, r) => {
  it('allows every edge of the graph, both ways', () => {
    expect(r.edges.length).toBeGreaterThan(40);
    for (const e of r.edges as Edge[]) {
      for (const p of e.ports) expect(r.allowed(endpointOf(e.from), endpointOf(e.to), p.port, p.protocol), `${e.why} (${p.port}/${p.protocol})`).toBe(true);
    }
  });

  it('allows every connection the rendered configuration makes (the graph is complete)', () => {
    const connections = renderedConnections(r.objects);
    const denied = connections.filter((c) => !r.allowed(c.from, c.to, c.port, c.protocol)).map((c) => `${c.why} (${c.port}/${c.protocol})`);
    expect(denied).toEqual([]);
    // The derivation sees the connections it must: datasources, pipelines, scrapes on the node IPs, peers, the API.
    const whys = connections.map((c) => c.why).join('\n');
    for (const expected of ['datasources.yaml', 'kibana.yml', 'logstash.conf', 'filebeat.yml', 'env REDIS_HOST', 'env PGHOST', 'job node-exporter', 'job kubernetes-pods', 'job alerting', 'Ingress', 'LoadBalancer']) {
      expect(whys).toContain(expected);
    }
  });

  it('fails the completeness check when a policy misses an edge', () => {
    const crippled = r.policies.map((p) =>
      p.metadata.name === `${NS}-kibana` ? { ...p, spec: { ...p.spec, egress: p.spec.egress.filter((e: any) => e.ports[0].port !== 9200) } } : p,
    );
    const denied = renderedConnections(r.objects).filter((c) => !allows(crippled, r.namespaces, c.from, c.to, c.port, c.protocol));
    expect(denied.map((c) => c.why)).toEqual([expect.stringContaining('Deployment/aiops-platform-kibana: ConfigMap aiops-platform-kibana kibana.yml')]);
  });

  it('denies what no edge needs', () => {
    const { pod, allowed } = r;
    const es = pod('StatefulSet', 'elasticsearch');
    expect(allowed(pod('Deployment', 'logstash'), pod('StatefulSet', 'postgresql'), 5432)).toBe(false);
    expect(allowed(pod('Deployment', 'kibana'), pod('StatefulSet', 'redis'), 6379)).toBe(false);
    expect(allowed(pod('Deployment', 'ai-engine'), es, 9300)).toBe(false);
    expect(allowed(pod('Deployment', 'ai-engine'), es, 9200)).toBe(true);
    expect(allowed({ ip: ADDRESSES.world }, pod('StatefulSet', 'prometheus'), 9090)).toBe(false);
    expect(allowed(pod('DaemonSet', 'filebeat'), es, 9200)).toBe(false);
    // (443 and 6443 are open towards kubeApiServerCidrs, by default anywhere: see the values test that narrows it.)
    expect(allowed(pod('StatefulSet', 'prometheus'), { ip: ADDRESSES.world }, 80)).toBe(false);
    // Another namespace's pods, and unknown pods of the platform namespace (default deny), reach nothing.
    expect(allowed({ namespace: 'default', labels: pod('Deployment', 'api-gateway').labels }, pod('StatefulSet', 'postgresql'), 5432)).toBe(false);
    expect(allowed({ namespace: NS, labels: { app: 'debug' } }, KUBE_DNS, 53, 'UDP')).toBe(false);
  });
});

describe.each([
  ['production', production],
  ['production with Redis cluster and receivers', wide],
] as const)('NetworkPolicies: the connection test Pods (%s)', (_name, r) => {
  const testPods = r.objects.filter((o) => o.kind === 'Pod' && o.metadata.labels['app.kubernetes.io/component'] === 'connection-test');
  const fromTest = (c: { why: string }) => /^Pod\/aiops-platform-test-/.test(c.why);
  const targets = renderedConnections(r.objects).filter((c) => fromTest(c) && !/: DNS$/.test(c.why));
  /** Every pod port of the render's workloads (containers' ports), as an endpoint. */
  const podPorts = r.objects
    .filter((o) => WORKLOADS.includes(o.kind) && o.kind !== 'Pod' && !templateOf(o).spec.hostNetwork)
    .flatMap((w) => templateOf(w).spec.containers.flatMap((c: any) => (c.ports ?? []).map((p: any) => ({ w, to: { namespace: w.metadata.namespace, labels: templateOf(w).metadata.labels } as Endpoint, port: p.containerPort as number }))));

  it('one selected by the NetworkPolicy <release>-test per checked service', () => {
    expect(testPods.map((p) => p.metadata.name).sort()).toEqual(
      ['ai-engine', 'alertmanager', 'api-gateway', 'elasticsearch', 'grafana', 'kibana', 'postgresql', 'prometheus', 'redis', 'self-healing', 'traefik'].map((n) => `${NS}-test-${n}`),
    );
    const policy = find(r.policies, 'NetworkPolicy', `${NS}-test`);
    for (const pod of testPods) expect(selects(policy.spec.podSelector, pod.metadata.labels), pod.metadata.name).toBe(true);
  });

  it('each may reach its target (and DNS), on the port its real clients use', () => {
    for (const pod of testPods) {
      const own = targets.filter((c) => c.why.startsWith(`Pod/${pod.metadata.name}:`));
      expect(own.length, pod.metadata.name).toBeGreaterThan(0);
      for (const c of own) expect(r.allowed(c.from, c.to, c.port, c.protocol), c.why).toBe(true);
      const me = { namespace: NS, labels: pod.metadata.labels };
      expect(r.allowed(me, KUBE_DNS, 53, 'UDP')).toBe(true);
    }
  });

  it('and nothing else: no other pod port, not the API server, not the world', () => {
    const me: Endpoint = { namespace: NS, labels: testPods[0].metadata.labels };
    const isTarget = (to: Endpoint, port: number) => targets.some((c) => c.port === port && JSON.stringify(c.to.labels) === JSON.stringify(to.labels));
    const unexpected = podPorts.filter((p) => r.allowed(me, p.to, p.port) !== isTarget(p.to, p.port)).map((p) => `${p.w.metadata.name}:${p.port}`);
    expect(unexpected).toEqual([]);
    // Some pod ports are not targets (exporters, Elasticsearch transport, Traefik's web port): the check above can fail.
    expect(podPorts.filter((p) => !isTarget(p.to, p.port)).length).toBeGreaterThan(5);
    expect(r.allowed(me, pod('StatefulSet', 'elasticsearch'), 9300)).toBe(false);
    expect(r.allowed(me, { ip: ADDRESSES.apiServer }, 443)).toBe(false);
    expect(r.allowed(me, { ip: ADDRESSES.world }, 443)).toBe(false);
    // Nobody reaches the test Pods.
    expect(r.allowed(pod('Deployment', 'api-gateway'), me, 8080)).toBe(false);
  });

  function pod(kind: string, name: string): Endpoint {
    return r.pod(kind, name);
  }
});

describe('NetworkPolicies: completeness for other shapes of the platform', () => {
  it.each([
    'networkPolicy: {enabled: true}\n',
    'networkPolicy: {enabled: true}\npostgresql: {exporter: {enabled: false}}\nredis: {exporter: {enabled: false}}\nelasticsearch: {exporter: {enabled: false}}\n',
    'networkPolicy: {enabled: true}\nelasticsearch: {replicas: 3, auth: {enabled: false}}\n',
    'global: {development: false}\nelasticsearch: {enabled: false}\nalertmanager: {enabled: false}\n',
    'global: {development: false}\nprometheus: {enabled: false}\nselfHealing: {enabled: false}\naiEngine: {enabled: false}\nnodeExporter: {port: 9101}\n',
  ])('allows every connection the rendered configuration makes with %j', (text) => {
    const r = renderChart([inline(text)]);
    expect(r.policies.length).toBeGreaterThan(5);
    const denied = renderedConnections(r.objects).filter((c) => !r.allowed(c.from, c.to, c.port, c.protocol));
    expect(denied.map((c) => c.why)).toEqual([]);
  });
});

describe('NetworkPolicies: peers and receivers', () => {
  it('lets Redis Cluster nodes and the cluster-init Job talk, and Alertmanager peers gossip over TCP and UDP', () => {
    const { pod, allowed } = wide;
    const redis = pod('StatefulSet', 'redis');
    for (const port of [6379, 16379]) expect(allowed(redis, redis, port)).toBe(true);
    expect(allowed(pod('Job', 'redis-cluster-init'), redis, 6379)).toBe(true);
    expect(allowed(pod('Job', 'redis-cluster-init'), redis, 16379)).toBe(false);
    expect(allowed(pod('Deployment', 'ai-engine'), redis, 16379)).toBe(false);
    const am = pod('StatefulSet', 'alertmanager');
    for (const protocol of ['TCP', 'UDP'] as const) expect(allowed(am, am, 9094, protocol)).toBe(true);
    const standalone = production.pod('StatefulSet', 'redis');
    expect(production.allowed(standalone, standalone, 16379)).toBe(false);
  });

  it('opens the outside world to Alertmanager only on the receivers\u2019 ports', () => {
    const am = wide.pod('StatefulSet', 'alertmanager');
    const world = { ip: ADDRESSES.world };
    for (const port of [443, 587, 8081]) expect(wide.allowed(am, world, port), String(port)).toBe(true);
    expect(wide.allowed(am, world, 25)).toBe(false);
    expect(production.allowed(production.pod('StatefulSet', 'alertmanager'), world, 443)).toBe(false);
  });
});

describe('NetworkPolicies: values', () => {
  const render = (text: string) => renderChart([inline(text)]);

  it('renders no NetworkPolicy with the development defaults', () => {
    expect(ofKind(renderChart([]).objects, 'NetworkPolicy')).toEqual([]);
  });

  it('renders the allow policies without the default-deny when defaultDeny is false', () => {
    const { policies } = render('networkPolicy: {enabled: true, defaultDeny: false}\n');
    expect(policies.length).toBeGreaterThan(10);
    expect(policies.filter((p) => p.metadata.name === `${NS}-default-deny`)).toEqual([]);
  });

  it('follows enabled when defaultDeny is not given, and refuses defaultDeny without enabled', () => {
    expect(render('networkPolicy: {enabled: true}\n').policies.filter((p) => p.metadata.name === `${NS}-default-deny`)).toHaveLength(2);
    expect(() => render('global: {development: false}\nnetworkPolicy: {enabled: false, defaultDeny: true}\n')).toThrow(/networkPolicy\.defaultDeny: defaultDeny without enabled/);
    expect(render('global: {development: false}\nnetworkPolicy: {enabled: false}\n').policies).toEqual([]);
  });

  it('warns that an Ingress controller of your own needs its own policy when Traefik is off', () => {
    const r = render('networkPolicy: {enabled: true}\ntraefik: {enabled: false}\n');
    expect(r.warnings).toContainEqual(expect.stringContaining('no policy admits your own Ingress controller'));
    expect(r.policies.find((p) => p.metadata.name === `${NS}-traefik`)).toBeUndefined();
    expect(render('networkPolicy: {enabled: true}\n').warnings.join('\n')).not.toContain('Ingress controller');
  });

  it('puts the default-deny only in the platform namespace when there is no agents namespace', () => {
    const { policies } = render('networkPolicy: {enabled: true}\nnodeExporter: {enabled: false}\nfilebeat: {enabled: false}\n');
    expect(policies.filter((p) => p.metadata.name === `${NS}-default-deny`).map((p) => p.metadata.namespace)).toEqual([NS]);
  });

  it('narrows the API server, the nodes and DNS to the CIDRs and selectors in values', () => {
    const r = render(`networkPolicy:
  enabled: true
  kubeApiServerCidrs: [192.0.2.10/32]
  nodeCidrs: [10.0.0.0/24]
  dns: {namespace: dns, podSelector: {app: coredns}, cidrs: [169.254.20.10/32]}
`);
    const prometheus = r.pod('StatefulSet', 'prometheus');
    expect(r.allowed(prometheus, { ip: '192.0.2.10' }, 6443)).toBe(true);
    expect(r.allowed(prometheus, { ip: '192.0.2.11' }, 6443)).toBe(false);
    expect(r.allowed(prometheus, { ip: '10.0.0.7' }, 9100)).toBe(true);
    expect(r.allowed(prometheus, { ip: '10.0.1.7' }, 9100)).toBe(false);
    expect(r.allowed(prometheus, { namespace: 'dns', labels: { app: 'coredns' } }, 53, 'UDP')).toBe(true);
    expect(r.allowed(prometheus, { ip: '169.254.20.10' }, 53, 'UDP')).toBe(true);
    expect(r.allowed(prometheus, KUBE_DNS, 53, 'UDP')).toBe(false);
  });

  it('lets Prometheus reach the kubelets on 10250 only with prometheus.kubelet.enabled, on the node CIDRs', () => {
    const nodeRule = (r: ReturnType<typeof render>) =>
      find(r.objects, 'NetworkPolicy', `${NS}-prometheus`).spec.egress.find((e: any) => e.to?.some((peer: any) => peer.ipBlock?.cidr === '10.0.0.0/24'));
    const off = render('networkPolicy: {enabled: true, nodeCidrs: [10.0.0.0/24]}\n');
    const on = render('networkPolicy: {enabled: true, nodeCidrs: [10.0.0.0/24]}\nprometheus: {kubelet: {enabled: true}}\n');
    expect(nodeRule(off).ports).toEqual([{ port: 9100, protocol: 'TCP' }]);
    expect(nodeRule(on)).toEqual({ to: [{ ipBlock: { cidr: '10.0.0.0/24' } }], ports: [{ port: 9100, protocol: 'TCP' }, { port: 10250, protocol: 'TCP' }] });
    const prometheus = on.pod('StatefulSet', 'prometheus');
    expect(on.allowed(prometheus, { ip: '10.0.0.7' }, 10250)).toBe(true);
    expect(on.allowed(prometheus, { ip: '10.0.1.7' }, 10250)).toBe(false);
    expect(off.allowed(off.pod('StatefulSet', 'prometheus'), { ip: '10.0.0.7' }, 10250)).toBe(false);
    // Nothing else reaches the kubelets.
    expect(on.allowed(on.pod('Deployment', 'grafana'), { ip: '10.0.0.7' }, 10250)).toBe(false);
    // Without node-exporter the kubelet alone keeps the node edge.
    const kubeletOnly = render('networkPolicy: {enabled: true, nodeCidrs: [10.0.0.0/24]}\nprometheus: {kubelet: {enabled: true}}\nnodeExporter: {enabled: false}\n');
    expect(nodeRule(kubeletOnly).ports).toEqual([{ port: 10250, protocol: 'TCP' }]);
  });

  it('rejects a malformed CIDR', () => {
    expect(() => render('networkPolicy: {kubeApiServerCidrs: [10.0.0.300/32]}\n')).toThrow(/expected a CIDR/);
  });
});

describe('NetworkPolicies construct', () => {
  it('merges the edges of one peer into one rule with sorted, distinct ports, and leaves the world unnamed', () => {
    const r = renderConstruct('networkPolicy: {enabled: true}\n', (chart, ctx, values) => {
      const a: Peer = { kind: 'pods', name: 'aiops-platform-a', namespace: NS, selector: { app: 'a' } };
      const b: Peer = { kind: 'pods', name: 'aiops-platform-b', namespace: NS, selector: { app: 'b' } };
      const edges: Edge[] = [
        { from: a, to: b, ports: [{ port: 9000, protocol: 'TCP' }], why: 'second' },
        { from: a, to: b, ports: [{ port: 80, protocol: 'TCP' }, { port: 9000, protocol: 'TCP' }], why: 'first' },
        { from: { kind: 'world' }, to: b, ports: [{ port: 443, protocol: 'TCP' }], why: 'clients' },
      ];
      new NetworkPolicies(chart, 'np', { ctx, values: values.networkPolicy, edges, namespaces: [NS] });
    });
    assertValidK8sObjects(r.objects);
    expect(r.objects.map((o) => o.metadata.name)).toEqual(['aiops-platform-default-deny', 'aiops-platform-a', 'aiops-platform-b']);
    expect(find(r.objects, 'NetworkPolicy', 'aiops-platform-a').spec.egress).toEqual([
      { to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': NS } }, podSelector: { matchLabels: { app: 'b' } } }], ports: [{ port: 80, protocol: 'TCP' }, { port: 9000, protocol: 'TCP' }] },
    ]);
    const b = find(r.objects, 'NetworkPolicy', 'aiops-platform-b').spec;
    expect(b.ingress[1]).toEqual({ ports: [{ port: 443, protocol: 'TCP' }] });
    expect(b.egress).toBeUndefined();
  });
});
