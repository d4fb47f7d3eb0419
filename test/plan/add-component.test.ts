import { Chart, Testing } from 'cdk8s';
import { k8s } from '../../src/lib/k8s.js';
import { Construct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { platformEdge, platformNetworkPolicies } from '../../src/chart-edge.js';
import { MIDDLEWARES_ANNOTATION } from '../../src/components/ingress/platform-ingress.js';
import { createPlatformContext, type PlatformContext } from '../../src/lib/context.js';
import { selectorLabels } from '../../src/lib/labels.js';
import { completePlan, planPlatform } from '../../src/plan/index.js';
import type { ServedPlan } from '../../src/plan/component.js';
import type { RedisPlan } from '../../src/plan/data.js';
import { connect, handedConnections } from '../../src/plan/connections.js';
import { servedComponent } from '../../src/plan/served.js';
import { loadValues } from '../../src/values/load.js';
import { allows, type Endpoint } from '../support/network-policy-eval.js';
import { KUBE_DNS } from '../support/render-connections.js';
import { find, ofKind } from '../support/render.js';

/*
 * The README's "Add a component", done in a scratch test: a made-up `widget` (a Deployment and a
 * Service on 7000 that caches in Redis, served under /widget) gets its NetworkPolicy edges and its
 * Ingress route from its plan entry alone: network-graph.ts, chart-edge.ts and the other
 * components are not touched.
 */

const NS = 'aiops-platform';
const { values } = loadValues({ files: [{ name: 'inline.yaml', text: 'global: {development: false}\nnetworkPolicy: {enabled: true}\ningress: {enabled: true}\n' }], sets: [] });
const ctx = createPlatformContext(values, NS, NS, () => undefined);

/** Step 1, the folder: the construct, built from its plan slice and the connections it uses. */
class Widget extends Construct {
  constructor(scope: Construct, id: string, props: { ctx: PlatformContext; plan: ServedPlan; redis?: RedisPlan | undefined }) {
    super(scope, id);
    const { ctx: c, plan } = props;
    const labels = selectorLabels(c, plan.id);
    const metadata = { name: plan.name, namespace: c.namespace, labels };
    new k8s.KubeDeployment(this, 'deployment', {
      metadata,
      spec: {
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            containers: [
              {
                name: 'widget',
                image: 'example.com/widget:1',
                ports: [{ name: 'http', containerPort: plan.port }],
                env: props.redis ? [{ name: 'REDIS_HOST', value: props.redis.host }, { name: 'REDIS_PORT', value: String(props.redis.port) }] : [],
              },
            ],
          },
        },
      },
    });
    new k8s.KubeService(this, 'service', { metadata, spec: { selector: labels, ports: [{ name: 'http', port: plan.port, targetPort: k8s.IntOrString.fromString('http') }] } });
  }
}

/** Renders the chart's edge and NetworkPolicies for the platform's plan plus the widget. */
function renderWithWidget() {
  const base = planPlatform(ctx, values);
  // Step 3, the plan entry: identity, port, the connections it opens (each one an edge), its route.
  const c = connect({ redis: base.redis }, { redis: 'widget REDIS_HOST' });
  const widget = { ...servedComponent(ctx, { name: 'widget', component: 'demo' }, 7000, { uses: c.uses, routes: [{ path: '/widget', login: 'own' }] }), connections: c.connections };
  const plan = completePlan(values, { ...base, widget }, base.warnings.logging);
  const chart = new Chart(Testing.app(), 'test', { disableResourceNameHashes: true });
  // Step 4, the chart line.
  new Widget(chart, 'widget', { ctx, plan: plan.widget, ...handedConnections(plan.widget.connections, { redis: plan.redis }) });
  // What the chart does for every component, unchanged.
  platformEdge(chart, ctx, values, plan);
  platformNetworkPolicies(chart, ctx, values, plan);
  return { plan, objects: Testing.synth(chart) as any[] };
}

describe('adding a component takes its plan entry and one chart line', () => {
  const { plan, objects } = renderWithWidget();
  const policies = ofKind(objects, 'NetworkPolicy');
  const namespaces = { [NS]: {}, [`${NS}-node-agents`]: {} };
  const pods = (p: ServedPlan | { pods?: { namespace: string; selector: Readonly<Record<string, string>> } | undefined } | undefined): Endpoint => ({
    namespace: p!.pods!.namespace,
    labels: p!.pods!.selector,
  });
  const widget = pods(plan.widget);
  const allowed = (from: Endpoint, to: Endpoint, port: number, protocol: 'TCP' | 'UDP' = 'TCP') => allows(policies, namespaces, from, to, port, protocol);

  it('gets an Ingress route to its Service, behind the gateway\'s login like every UI', () => {
    const guarded = find(objects, 'Ingress', `${NS}-protected`);
    expect(guarded.spec.rules[0].http.paths).toContainEqual({ path: '/widget', pathType: 'Prefix', backend: { service: { name: `${NS}-widget`, port: { number: 7000 } } } });
    expect(guarded.metadata.annotations[MIDDLEWARES_ANNOTATION]).toBe(`${NS}-${NS}-strip-auth-headers@kubernetescrd,${NS}-${NS}-forward-auth@kubernetescrd`);
  });

  it('gets a NetworkPolicy that selects its pods, and both sides of each of its connections', () => {
    const own = find(policies, 'NetworkPolicy', `${NS}-widget`);
    expect(own.spec.podSelector.matchLabels).toEqual(find(objects, 'Deployment', `${NS}-widget`).spec.template.metadata.labels);
    expect(allowed(pods(plan.traefik), widget, 7000)).toBe(true);
    expect(allowed(widget, pods(plan.redis), 6379)).toBe(true);
    expect(allowed(widget, KUBE_DNS, 53, 'UDP')).toBe(true);
  });

  it('gets nothing it does not use', () => {
    expect(allowed(widget, pods(plan.postgresql), 5432)).toBe(false);
    expect(allowed(pods(plan.apiGateway), widget, 7000)).toBe(false);
    expect(allowed(pods(plan.traefik), widget, 7001)).toBe(false);
  });

  it('leaves the rest of the platform as it was (the check can fail: the route and the policy are new)', () => {
    const without = completePlan(values, planPlatform(ctx, values));
    expect(without.ingress.routes.map((r) => r.path)).not.toContain('/widget');
    expect(plan.ingress.routes.map((r) => r.path)).toEqual([...without.ingress.routes.map((r) => r.path), '/widget']);
  });
});
