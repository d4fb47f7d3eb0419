import { describe, expect, it } from 'vitest';
import { render } from '../../src/cli/render.js';
import { connect, handedConnections } from '../../src/plan/connections.js';
import { platformPlan, plannedComponents, type PlatformPlan } from '../../src/plan/index.js';
import { loadValues } from '../../src/values/load.js';
import type { Values } from '../../src/values/schema/index.js';
import { STAND_IN_CODE } from '../support/service-code.js';

const NS = 'aiops-platform';
const WORKLOADS = ['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob'];
const valuesOf = (text: string): Values => loadValues({ files: [{ name: 'inline.yaml', text }], sets: [] }).values;
const planOf = (text = ''): PlatformPlan => platformPlan(valuesOf(text), NS, NS);

describe('platformPlan: decided before any construct', () => {
  it('names, ports and URLs of the defaults', () => {
    const p = planOf();
    expect(p.postgresql).toMatchObject({ name: `${NS}-postgresql`, serviceName: `${NS}-postgresql`, headless: `${NS}-postgresql-headless`, port: 5432 });
    expect(p.postgresql?.host).toBe(`${NS}-postgresql.${NS}.svc.cluster.local`);
    expect(p.prometheus?.url).toBe(`http://${NS}-prometheus.${NS}.svc.cluster.local:9090/prometheus`);
    expect(p.selfHealing?.webhookUrl).toBe(`http://${NS}-self-healing.${NS}.svc.cluster.local:8080/api/v1/alerts`);
    expect(p.selfHealing?.url).toBe(`http://${NS}-self-healing.${NS}.svc.cluster.local:8080`);
    expect(p.aiEngine?.url).toBe(`http://${NS}-ai-engine.${NS}.svc.cluster.local:8080/ai`);
    expect(p.filebeat?.pods?.namespace).toBe(`${NS}-node-agents`);
    expect(p.nodeExporter?.pods).toBeUndefined();
  });

  it('derived flags: exporter scraped, cluster mode, transport TLS, HPA-managed', () => {
    const p = planOf('postgresql: {exporter: {enabled: false}}\nredis: {cluster: {enabled: true, nodes: 6}}\nelasticsearch: {replicas: 3}\naiEngine: {autoscaling: {enabled: true}}\n');
    expect(p.postgresql?.exporter).toBeUndefined();
    expect(p.redis?.exporter).toBeDefined();
    expect(p.redis?.clusterMode).toBe(true);
    expect(p.redisClusterInit?.name).toBe(`${NS}-redis-cluster-init`);
    expect(p.elasticsearch?.transportTls).toBe(true);
    expect(p.transportCa?.name).toBe(`${NS}-elasticsearch-transport-ca`);
    expect(p.aiEngine?.hpaManaged).toBe(true);
    expect(p.apiGateway?.hpaManaged).toBe(false);
    const single = planOf();
    expect([single.elasticsearch?.transportTls, single.transportCa, single.redisClusterInit, single.redis?.clusterMode]).toEqual([false, undefined, undefined, false]);
  });

  it('skips what has nothing to talk to, with the warnings the chart gives', () => {
    const p = planOf('elasticsearch: {enabled: false}\n');
    expect([p.elasticsearch, p.logstash, p.filebeat, p.kibana, p.elasticsearchSetup]).toEqual([undefined, undefined, undefined, undefined, undefined]);
    expect(p.warnings.logging).toEqual([
      'logstash.enabled but elasticsearch.enabled is false: Logstash is not rendered (it has nowhere to send logs)',
      'kibana.enabled but elasticsearch.enabled is false: Kibana is not rendered',
    ]);
  });

  it('routes: every UI behind the gateway\'s ForwardAuth, Grafana signing in from its headers; without the gateway only the UIs with a login, and no /grafana/metrics', () => {
    const p = planOf('ingress: {enabled: true}\n');
    expect(p.ingress.routes.map((r) => `${r.path} (${r.login})`)).toEqual([
      '/grafana (own)',
      '/prometheus (none)',
      '/alertmanager (none)',
      '/kibana (own)',
      '/ai (none)',
      '/api (gateway)',
      '/ (gateway)',
    ]);
    expect([p.ingress.forwardAuth, p.ingress.served.length, p.grafana?.authProxy, p.grafana?.metrics]).toEqual([true, 7, true, true]);
    // Traefik asks the gateway about every request to a UI.
    expect(p.traefik?.uses.find((u) => u.why.startsWith('ForwardAuth'))?.to).toEqual(p.apiGateway?.endpoint);
    const bare = planOf('ingress: {enabled: true}\napiGateway: {enabled: false}\n');
    expect([bare.ingress.forwardAuth, bare.grafana?.authProxy, bare.grafana?.metrics, bare.ingress.noAuth]).toEqual([
      false,
      false,
      false,
      "apiGateway.enabled is false, and the gateway's login is the only one in front of them",
    ]);
    expect(bare.ingress.served.map((r) => r.path)).toEqual(['/grafana', '/kibana']);
    expect(bare.warnings.grafana).toHaveLength(1);
    expect(planOf('traefik: {enabled: false}\n').ingress.noAuth).toBe("traefik.enabled is false, and the ForwardAuth Middleware needs the chart's Traefik");
    // No Ingress: Grafana keeps its own login (a port-forward sends no gateway headers) and serves its metrics.
    const unrouted = planOf('ingress: {enabled: false}\n');
    expect([unrouted.ingress.forwardAuth, unrouted.grafana?.authProxy, unrouted.grafana?.metrics]).toEqual([false, false, true]);
  });

  it('marks the session cookie Secure for the gateway exactly when Traefik redirects every request to HTTPS', () => {
    expect(planOf().ingress.tls).toBe(false);
    expect(planOf('ingress: {tls: [{secretName: aiops-tls}]}\n').ingress.tls).toBe(true);
    expect(planOf('ingress: {enabled: false, tls: [{secretName: aiops-tls}]}\n').ingress.tls).toBe(false);
  });

  it('connects the gateway to Prometheus and Alertmanager under their prefixes, the AI engine, the executor, Redis and PostgreSQL', () => {
    const c = planOf().apiGateway!.connections;
    expect(Object.entries(c).map(([k, v]) => `${k}: ${v?.name}`)).toEqual([
      `prometheus: ${NS}-prometheus`,
      `alertmanager: ${NS}-alertmanager`,
      `aiEngine: ${NS}-ai-engine`,
      `selfHealing: ${NS}-self-healing`,
      `redis: ${NS}-redis`,
      `postgresql: ${NS}-postgresql`,
    ]);
    expect([c.prometheus?.url, c.alertmanager?.url]).toEqual([
      `http://${NS}-prometheus.${NS}.svc.cluster.local:9090/prometheus`,
      `http://${NS}-alertmanager.${NS}.svc.cluster.local:9093/alertmanager`,
    ]);
  });

  it('is a pure function of the values: the same plan twice', () => {
    expect(JSON.stringify(planOf())).toBe(JSON.stringify(planOf()));
  });
});

/** Workload names a render has, and the plan's, for the same values. */
function plannedAndRendered(text: string) {
  const values = valuesOf(text);
  const planned = plannedComponents(platformPlan(values, NS, NS)).map((c) => c.name);
  const r = render(values, NS, NS, undefined, STAND_IN_CODE);
  // The connection test Pods are one plan entry, `<release>-<app.kubernetes.io/name>` (`aiops-platform-test`).
  const tests = r.testObjects.filter((o: any) => o.kind === 'Pod').map((o: any) => `${o.metadata.labels['app.kubernetes.io/instance']}-${o.metadata.labels['app.kubernetes.io/name']}`);
  const rendered = [...r.objects.filter((o: any) => WORKLOADS.includes(o.kind)).map((o: any) => o.metadata.name as string), ...tests];
  return { planned: [...new Set(planned)].sort(), rendered: [...new Set(rendered)].sort() };
}

describe('plan and chart agree (a plan entry without its chart line, or a workload without a plan entry, fails here)', () => {
  it.each([
    ['defaults', ''],
    ['production with NetworkPolicies and an Ingress', 'global: {development: false}\nnetworkPolicy: {enabled: true}\ningress: {enabled: true}\n'],
    ['Redis cluster and three Elasticsearch nodes', 'redis: {cluster: {enabled: true, nodes: 6}}\nelasticsearch: {replicas: 3}\n'],
    ['logging and PostgreSQL maintenance off', 'elasticsearch: {enabled: false}\npostgresql: {maintenance: {enabled: false}}\nnodeExporter: {enabled: false}\n'],
  ])('%s: every planned component is rendered, every rendered workload is planned', (_name, text) => {
    const { planned, rendered } = plannedAndRendered(text);
    expect(rendered.length).toBeGreaterThan(5);
    expect(rendered).toEqual(planned);
  });
});

describe('connections: what a construct is handed is an edge of the plan', () => {
  it('every connection of a plan entry is one of its uses (an edge), for the reason given', () => {
    const p = planOf();
    const c = connect({ redis: p.redis, postgresql: undefined }, { redis: 'cache', postgresql: 'store' });
    expect(c.uses).toEqual([{ to: p.redis!.endpoint, why: 'cache' }]);
    for (const entry of plannedComponents(p)) {
      const connections = Object.values((entry as { connections?: Record<string, { endpoint: unknown } | undefined> }).connections ?? {});
      for (const target of connections) if (target) expect(entry.uses.map((u) => u.to)).toContainEqual(target.endpoint);
    }
  });

  it('hands a built connection only where the plan has it', () => {
    const p = planOf('elasticsearch: {auth: {enabled: false}}\n');
    // Without security Grafana has no log datasource: a built Elasticsearch source is not handed.
    expect(handedConnections(p.grafana!.connections, { prometheus: 'prom', elasticsearch: 'es' })).toEqual({ prometheus: 'prom', elasticsearch: undefined });
    // @ts-expect-error a prop the plan entry has no connection for does not compile
    handedConnections(p.grafana!.connections, { redis: 'x' });
  });
});
