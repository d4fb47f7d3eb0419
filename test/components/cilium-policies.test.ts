import { describe, expect, it } from 'vitest';
import { registerCrdValidators } from '../support/crd-validate.js';
import { FIXTURES_DIR, fixtures, SEED_DIR } from '../support/fixtures.js';
import { assertValidK8sObjects } from '../support/k8s-validate.js';
import { allows, type Cni, type Endpoint, type NamespaceLabels } from '../support/network-policy-eval.js';
import { ADDRESSES, renderedConnections, type Connection } from '../support/render-connections.js';
import { find, ofKind, parseManifests, renderValues } from '../support/render.js';

registerCrdValidators();

const NS = 'aiops-platform';
const seedProduction = [
  { name: 'production.yaml', text: 'global: {development: false}\nelasticsearch: {replicas: 3}\n' },
  ...fixtures(SEED_DIR).filter((f) => f.name === 'my-values.yaml'),
  ...fixtures(FIXTURES_DIR).filter((f) => f.name === 'production.yaml'),
];

/** Production with the given network policy flavor, parsed back as kubectl would read it. */
function renderFlavor(flavor: 'kubernetes' | 'cilium') {
  const r = renderValues([...seedProduction, { name: 'flavor.yaml', text: `networkPolicy: {flavor: ${flavor}}\n` }]);
  const objects = parseManifests(r.yaml) as any[];
  const policies = objects.filter((o) => o.kind === 'NetworkPolicy' || o.kind === 'CiliumNetworkPolicy');
  const namespaces: NamespaceLabels = Object.fromEntries(ofKind(objects, 'Namespace').map((n) => [n.metadata.name, n.metadata.labels]));
  return { objects, policies, namespaces };
}

/** The connection's endpoints as Cilium identifies them: the API server and the nodes are entities, not just addresses. */
const asCilium = (e: Endpoint): Endpoint =>
  e.ip === ADDRESSES.apiServer ? { ...e, entity: 'kube-apiserver' } : e.ip === ADDRESSES.node ? { ...e, entity: 'remote-node' } : e;

function denied(r: ReturnType<typeof renderFlavor>, cni: Cni): Connection[] {
  return renderedConnections(r.objects).filter((c) => !allows(r.policies, r.namespaces, asCilium(c.from), asCilium(c.to), c.port, c.protocol, cni));
}

describe('NetworkPolicies on Cilium (networkPolicy.flavor)', () => {
  const kubernetes = renderFlavor('kubernetes');
  const cilium = renderFlavor('cilium');

  it('the kubernetes flavor on Cilium cuts the API server and node-exporter edges (why the flavor exists)', () => {
    const cut = denied(kubernetes, 'cilium');
    expect(cut.length).toBeGreaterThan(5);
    expect(cut.every((c) => c.to.ip === ADDRESSES.apiServer || c.to.ip === ADDRESSES.node)).toBe(true);
    expect(cut.map((c) => c.why).join('\n')).toMatch(/transport-ca/);
    expect(cut.map((c) => c.why).join('\n')).toMatch(/node-exporter/);
    expect(cut.map((c) => c.why).join('\n')).toMatch(/job kubelet → node 10\.0\.0\.5:10250/);
    // The same policies are complete where ipBlocks match the API server and nodes.
    expect(denied(kubernetes, 'kubernetes')).toEqual([]);
  });

  it('the cilium flavor allows every connection the render makes, evaluated as Cilium does', () => {
    const connections = renderedConnections(cilium.objects);
    expect(connections.some((c) => c.to.ip === ADDRESSES.apiServer)).toBe(true);
    expect(denied(cilium, 'cilium').map((c) => `${c.why} (${c.port})`)).toEqual([]);
  });

  it('renders valid CiliumNetworkPolicies by entity, only for workloads that reach the API server or the nodes', () => {
    const cnps = ofKind(cilium.objects, 'CiliumNetworkPolicy');
    assertValidK8sObjects(cnps);
    expect(cnps.map((p) => p.metadata.name).sort()).toEqual(
      ['ai-engine', 'elasticsearch-transport-ca', 'filebeat', 'kube-state-metrics', 'prometheus', 'self-healing', 'traefik'].map((n) => `${NS}-${n}`),
    );
    expect(find(cilium.objects, 'CiliumNetworkPolicy', `${NS}-prometheus`)).toMatchObject({
      apiVersion: 'cilium.io/v2',
      metadata: { namespace: NS },
      spec: {
        endpointSelector: { matchLabels: find(cilium.objects, 'NetworkPolicy', `${NS}-prometheus`).spec.podSelector.matchLabels },
        egress: [
          // node-exporter on the host network, and the kubelets' cAdvisor (prometheus.kubelet.enabled, a production default).
          { toEntities: ['host', 'remote-node'], toPorts: [{ ports: [{ port: '9100', protocol: 'TCP' }, { port: '10250', protocol: 'TCP' }] }] },
          { toEntities: ['kube-apiserver'], toPorts: [{ ports: [{ port: '443', protocol: 'TCP' }, { port: '6443', protocol: 'TCP' }] }] },
        ],
      },
    });
    expect(find(cilium.objects, 'CiliumNetworkPolicy', `${NS}-filebeat`).metadata.namespace).toBe(`${NS}-node-agents`);
  });

  it('leaves the CIDR rules out of the NetworkPolicies and keeps everything else identical', () => {
    const ipBlocks = (objects: any[]) => ofKind(objects, 'NetworkPolicy').flatMap((p) => [...(p.spec.egress ?? []), ...(p.spec.ingress ?? [])].flatMap((r: any) => [...(r.to ?? []), ...(r.from ?? [])]).filter((peer: any) => peer.ipBlock));
    expect(ipBlocks(kubernetes.objects).length).toBeGreaterThan(0);
    expect(ipBlocks(cilium.objects)).toEqual([]);
    const names = (objects: any[]) => ofKind(objects, 'NetworkPolicy').map((p) => p.metadata.name);
    expect(names(cilium.objects)).toEqual(names(kubernetes.objects));
    expect(ofKind(kubernetes.objects, 'CiliumNetworkPolicy')).toEqual([]);
  });

  it('denies the API server to workloads that do not call it', () => {
    const logstash = find(cilium.objects, 'Deployment', `${NS}-logstash`);
    const from: Endpoint = { namespace: NS, labels: logstash.spec.template.metadata.labels };
    expect(allows(cilium.policies, cilium.namespaces, from, { ip: ADDRESSES.apiServer, entity: 'kube-apiserver' }, 443, 'TCP', 'cilium')).toBe(false);
    const prometheus = find(cilium.objects, 'StatefulSet', `${NS}-prometheus`);
    const prom: Endpoint = { namespace: NS, labels: prometheus.spec.template.metadata.labels };
    expect(allows(cilium.policies, cilium.namespaces, prom, { ip: ADDRESSES.apiServer, entity: 'kube-apiserver' }, 443, 'TCP', 'cilium')).toBe(true);
    expect(allows(cilium.policies, cilium.namespaces, prom, { ip: ADDRESSES.apiServer, entity: 'kube-apiserver' }, 8443, 'TCP', 'cilium')).toBe(false);
    expect(allows(cilium.policies, cilium.namespaces, prom, { ip: ADDRESSES.world }, 443, 'TCP', 'cilium')).toBe(false);
  });
});
