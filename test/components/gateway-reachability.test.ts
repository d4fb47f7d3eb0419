/**
 * The NetworkPolicies behind the single login: each UI's HTTP port, and the gateway's, admits
 * exactly Traefik and the in-cluster clients that really call it (read off the plan's connections,
 * evaluated on the rendered policies), so the ForwardAuth cannot be walked around from a pod, and
 * Grafana's auth.proxy headers can only come through Traefik (which strips and sets them) or from
 * Prometheus' scrapes (which carry none).
 */
import { describe, expect, it } from 'vitest';
import { allows, type Endpoint, type NamespaceLabels } from '../support/network-policy-eval.js';
import { ADDRESSES, renderedConnections } from '../support/render-connections.js';
import { find, ofKind, podSpecOf, renderValues, type TestRender } from '../support/render.js';

const NS = 'aiops-platform';
const WORKLOADS = ['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob'];

/** A render with its policies and every pod-network workload of it as a possible client. */
function net(text: string) {
  const r: TestRender = renderValues([{ name: 'v.yaml', text }]);
  const policies = ofKind(r.objects, 'NetworkPolicy');
  const namespaces: NamespaceLabels = Object.fromEntries(ofKind(r.objects, 'Namespace').map((n) => [n.metadata.name, n.metadata.labels]));
  const clients = (r.objects as any[])
    .filter((o) => WORKLOADS.includes(o.kind) && !podSpecOf(o).hostNetwork)
    .map((o) => ({
      name: `${o.kind}/${o.metadata.name.replace(`${NS}-`, '')}`,
      endpoint: { namespace: o.metadata.namespace, labels: (o.kind === 'CronJob' ? o.spec.jobTemplate.spec.template : o.spec.template).metadata.labels } as Endpoint,
    }));
  const pod = (kind: string, name: string): Endpoint => clients.find((c) => c.name === `${kind}/${name}`)!.endpoint;
  /** The workloads (and `world`) allowed to open `port` on the pods of `kind/name`. */
  const reachers = (kind: string, name: string, port: number): string[] => {
    const to = pod(kind, name);
    return [
      ...clients.filter((c) => allows(policies, namespaces, c.endpoint, to, port)).map((c) => c.name),
      ...(allows(policies, namespaces, { ip: ADDRESSES.world }, to, port) ? ['world'] : []),
    ].sort();
  };
  return { r, policies, namespaces, pod, reachers };
}

describe('NetworkPolicies behind the gateway\'s login (production, NetworkPolicies on)', () => {
  const p = net('global: {development: false}\nnetworkPolicy: {enabled: true}\n');

  it('lets only Traefik and the gateway, the AI engine, Grafana and the executor (its callers) reach Prometheus, itself for its own scrape', () => {
    expect(p.reachers('StatefulSet', 'prometheus', 9090)).toEqual([
      'Deployment/ai-engine',
      'Deployment/api-gateway',
      'Deployment/grafana',
      'Deployment/self-healing',
      'Deployment/traefik',
      'StatefulSet/prometheus',
    ]);
  });

  it('lets only Traefik, the gateway, the AI engine (its alerts) and Prometheus (alerts and scrapes) reach Alertmanager', () => {
    expect(p.reachers('StatefulSet', 'alertmanager', 9093)).toEqual(['Deployment/ai-engine', 'Deployment/api-gateway', 'Deployment/traefik', 'StatefulSet/prometheus']);
  });

  it('lets only Traefik, which strips and sets the auth.proxy headers, and Prometheus, scraping /grafana/metrics, reach Grafana', () => {
    expect(p.reachers('Deployment', 'grafana', 3000)).toEqual(['Deployment/traefik', 'StatefulSet/prometheus']);
    // Prometheus' scrape of Grafana is a plain GET of the chart's own scrape configuration: no header of the login's.
    const prometheusYml: string = find(p.r.objects, 'ConfigMap', `${NS}-prometheus`).data['prometheus.yml'];
    expect(prometheusYml).not.toMatch(/X-WEBAUTH|X-Auth|http_headers/i);
  });

  it('lets only Traefik reach Kibana and the gateway, and only Traefik, the gateway and the executor reach the AI engine', () => {
    expect(p.reachers('Deployment', 'kibana', 5601)).toEqual(['Deployment/traefik']);
    expect(p.reachers('Deployment', 'api-gateway', 8080)).toEqual(['Deployment/traefik']);
    expect(p.reachers('Deployment', 'ai-engine', 8080)).toEqual(['Deployment/api-gateway', 'Deployment/self-healing', 'Deployment/traefik']);
  });

  it('lets only Alertmanager (webhooks) and the gateway (decisions, approvals) reach the executor', () => {
    expect(p.reachers('Deployment', 'self-healing', 8080)).toEqual(['Deployment/api-gateway', 'StatefulSet/alertmanager']);
  });

  it('lets Traefik ask the gateway\'s /auth/verify, as the ForwardAuth Middleware of the render names it', () => {
    const forwardAuth = ofKind(p.r.objects, 'Middleware').find((m) => m.spec.forwardAuth).spec.forwardAuth;
    const url = new URL(forwardAuth.address);
    const [service, namespace] = url.hostname.split('.');
    const gateway = find(p.r.objects, 'Service', service!);
    expect(gateway.metadata.namespace).toBe(namespace);
    const target = gateway.spec.ports.find((sp: any) => sp.port === Number(url.port));
    const container = find(p.r.objects, 'Deployment', service!).spec.template.spec.containers[0];
    const containerPort = container.ports.find((cp: any) => cp.name === target.targetPort || cp.containerPort === target.targetPort).containerPort;
    expect(allows(p.policies, p.namespaces, p.pod('Deployment', 'traefik'), p.pod('Deployment', 'api-gateway'), containerPort)).toBe(true);
  });

  it('allows every connection the gateway\'s configuration makes: Prometheus and Alertmanager under their prefixes, the AI engine, the executor, Redis, PostgreSQL', () => {
    const fromGateway = renderedConnections(p.r.objects).filter((c) => c.why.startsWith('Deployment/aiops-platform-api-gateway'));
    const denied = fromGateway.filter((c) => !allows(p.policies, p.namespaces, c.from, c.to, c.port, c.protocol)).map((c) => c.why);
    expect(denied).toEqual([]);
    const whys = fromGateway.map((c) => c.why).join('\n');
    for (const variable of ['PROMETHEUS_URL', 'ALERTMANAGER_URL', 'AI_ENGINE_URL', 'SELF_HEALING_URL', 'REDIS_HOST', 'POSTGRES_HOST']) expect(whys).toContain(variable);
  });
});

describe('without the gateway, nothing reaches the UIs without a login from the Ingress', () => {
  it('leaves Traefik out of Prometheus, Alertmanager and the AI engine when they are not routed', () => {
    const p = net('global: {development: false}\nnetworkPolicy: {enabled: true}\napiGateway: {enabled: false}\n');
    expect(p.reachers('StatefulSet', 'prometheus', 9090)).not.toContain('Deployment/traefik');
    expect(p.reachers('StatefulSet', 'alertmanager', 9093)).not.toContain('Deployment/traefik');
    expect(p.reachers('Deployment', 'ai-engine', 8080)).toEqual(['Deployment/self-healing']);
    // Grafana keeps its own login and its route; its metrics are off (the Ingress would publish them bare), so Prometheus no longer calls it.
    expect(p.reachers('Deployment', 'grafana', 3000)).toEqual(['Deployment/traefik']);
  });
});
