import { describe, expect, it } from 'vitest';
import { fixtures, SEED_DIR } from '../support/fixtures.js';
import { find, namesOf, ofKind, renderValues } from '../support/render.js';

/** The "done when" lists of the issues, checked on full renders. */
const seed = (name: string) => fixtures(SEED_DIR).filter((f) => f.name === name);
const servicePorts = (objects: any[], name: string) => find(objects, 'Service', name).spec.ports.map((p: any) => p.port);
const flag = (container: any, name: string) => container.args.find((a: string) => a.startsWith(`--${name}=`))?.split('=').slice(1).join('=');

describe('foundation: default render', () => {
  const { objects } = renderValues();

  it('has the Namespace, the PostgreSQL and Redis StatefulSets and their Services', () => {
    expect(namesOf(objects, 'Namespace')).toContain('aiops-platform');
    expect(namesOf(objects, 'StatefulSet')).toEqual(expect.arrayContaining(['aiops-platform-postgresql', 'aiops-platform-redis']));
    expect(servicePorts(objects, 'aiops-platform-postgresql')).toContain(5432);
    expect(servicePorts(objects, 'aiops-platform-redis')).toContain(6379);
  });
});

describe('monitoring: default render', () => {
  const { objects } = renderValues();

  it('has Prometheus and Alertmanager StatefulSets, the Grafana Deployment and Services on 9090/9093/3000', () => {
    expect(namesOf(objects, 'StatefulSet')).toEqual(expect.arrayContaining(['aiops-platform-prometheus', 'aiops-platform-alertmanager']));
    expect(namesOf(objects, 'Deployment')).toContain('aiops-platform-grafana');
    expect(servicePorts(objects, 'aiops-platform-prometheus')).toEqual([9090]);
    expect(servicePorts(objects, 'aiops-platform-alertmanager')).toEqual([9093]);
    expect(servicePorts(objects, 'aiops-platform-grafana')).toEqual([3000]);
  });

  it('has the node-exporter DaemonSet and kube-state-metrics', () => {
    expect(find(objects, 'DaemonSet', 'aiops-platform-node-exporter').metadata.namespace).toBe('aiops-platform-node-agents');
    expect(namesOf(objects, 'Deployment')).toContain('aiops-platform-kube-state-metrics');
  });

  it('loads the alert rules into Prometheus', () => {
    const config = find(objects, 'ConfigMap', 'aiops-platform-prometheus').data;
    expect(config['prometheus.yml']).toContain('rules/aiops-platform.rules.yml');
    for (const alert of ['NodeHighCPU', 'NodeHighMemory', 'NodeDiskAlmostFull', 'HighResponseTime', 'HighErrorRate', 'PostgreSQLTooManyConnections']) {
      expect(config['aiops-platform.rules.yml']).toContain(`alert: ${alert}`);
    }
  });
});

describe('monitoring: the seed values blocks', () => {
  it('gives retention 30d and a 50Gi volume on fast-ssd with my-values.yaml', () => {
    const { objects } = renderValues(seed('my-values.yaml'));
    const sts = find(objects, 'StatefulSet', 'aiops-platform-prometheus');
    expect(flag(sts.spec.template.spec.containers[0], 'storage.tsdb.retention.time')).toBe('30d');
    expect(sts.spec.volumeClaimTemplates[0].spec).toMatchObject({ storageClassName: 'fast-ssd', resources: { requests: { storage: '50Gi' } } });
  });

  it('gives Prometheus the seed resources of the resources block', () => {
    const { objects } = renderValues(seed('resources.yaml'));
    const container = find(objects, 'StatefulSet', 'aiops-platform-prometheus').spec.template.spec.containers[0];
    expect(container.resources).toEqual({ requests: { memory: '2Gi', cpu: '1000m' }, limits: { memory: '4Gi', cpu: '2000m' } });
  });

  it('uses fast-ssd and 50Gi from the persistence block', () => {
    const { objects } = renderValues(seed('persistence.yaml'));
    const claim = find(objects, 'StatefulSet', 'aiops-platform-prometheus').spec.volumeClaimTemplates[0];
    expect(claim.spec).toMatchObject({ storageClassName: 'fast-ssd', resources: { requests: { storage: '50Gi' } } });
  });

  it('keeps 90 days on 500Gi with the performance block', () => {
    const { objects } = renderValues(seed('performance.yaml'));
    const sts = find(objects, 'StatefulSet', 'aiops-platform-prometheus');
    expect(flag(sts.spec.template.spec.containers[0], 'storage.tsdb.retention.time')).toBe('90d');
    expect(sts.spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe('500Gi');
  });

  it('clusters Alertmanager with peers in production', () => {
    const { objects } = renderValues(seed('my-values.yaml'));
    const sts = find(objects, 'StatefulSet', 'aiops-platform-alertmanager');
    expect(sts.spec.replicas).toBe(3);
    expect(sts.spec.template.spec.containers[0].args.filter((a: string) => a.startsWith('--cluster.peer='))).toHaveLength(3);
    expect(ofKind(objects, 'PodDisruptionBudget').map((p) => p.metadata.name)).toContain('aiops-platform-alertmanager');
  });
});

describe('monitoring: Alertmanager routes to the self-healing executor', () => {
  const routes = (yaml: string) => find(renderValues([{ name: 'v.yaml', text: yaml }]).objects, 'ConfigMap', 'aiops-platform-alertmanager').data['alertmanager.yml'];

  it('routes actionable alerts to the executor webhook when selfHealing is enabled', () => {
    expect(routes('')).toContain('url: http://aiops-platform-self-healing.aiops-platform.svc.cluster.local:8080/api/v1/alerts');
  });

  it('has no executor route when selfHealing is disabled', () => {
    expect(routes('selfHealing: {enabled: false}')).not.toContain('self-healing');
  });
});

describe('logging: default render', () => {
  const { objects } = renderValues();

  it('has single-node Elasticsearch, Logstash, Kibana, the Filebeat DaemonSet and Services on 9200/5044/5601', () => {
    const es = find(objects, 'ConfigMap', 'aiops-platform-elasticsearch').data['elasticsearch.yml'];
    expect(es).toContain('discovery.type: single-node');
    expect(find(objects, 'StatefulSet', 'aiops-platform-elasticsearch').spec.replicas).toBe(1);
    expect(namesOf(objects, 'Deployment')).toEqual(expect.arrayContaining(['aiops-platform-logstash', 'aiops-platform-kibana']));
    expect(find(objects, 'DaemonSet', 'aiops-platform-filebeat').metadata.namespace).toBe('aiops-platform-node-agents');
    expect(servicePorts(objects, 'aiops-platform-elasticsearch')).toContain(9200);
    expect(servicePorts(objects, 'aiops-platform-logstash')).toContain(5044);
    expect(servicePorts(objects, 'aiops-platform-kibana')).toEqual([5601]);
  });

  it('gives Grafana the logs as a datasource read by the read-only logs_reader user', () => {
    const datasources = find(objects, 'ConfigMap', 'aiops-platform-grafana').data['datasources.yaml'];
    expect(datasources).toContain('type: elasticsearch');
    expect(datasources).toContain('basicAuthUser: logs_reader');
  });
});

describe('logging: the seed my-values block', () => {
  const { objects } = renderValues(seed('my-values.yaml'));

  it('runs 3 Elasticsearch nodes with seed hosts, initial masters and 100Gi volumes on fast-ssd', () => {
    const sts = find(objects, 'StatefulSet', 'aiops-platform-elasticsearch');
    expect(sts.spec.replicas).toBe(3);
    expect(sts.spec.volumeClaimTemplates[0].spec).toMatchObject({ storageClassName: 'fast-ssd', resources: { requests: { storage: '100Gi' } } });
    const yml = find(objects, 'ConfigMap', 'aiops-platform-elasticsearch').data['elasticsearch.yml'];
    expect(yml).toContain('discovery.seed_hosts');
    // Initial masters for the first bootstrap only: the start script sets them while the data volume has no formed cluster.
    expect(yml).not.toContain('cluster.initial_master_nodes');
    const start = find(objects, 'ConfigMap', 'aiops-platform-elasticsearch').data['start.sh'];
    expect(start).toContain("export ES_SETTING_CLUSTER_INITIAL__MASTER__NODES='aiops-platform-elasticsearch-0,aiops-platform-elasticsearch-1,aiops-platform-elasticsearch-2'");
  });

  it('turns security on with the password in a Secret', () => {
    expect(find(objects, 'ConfigMap', 'aiops-platform-elasticsearch').data['elasticsearch.yml']).toContain('xpack.security.enabled: true');
    expect(find(objects, 'Secret', 'aiops-platform-elasticsearch').stringData['elastic-password']).toBe('your-elastic-password');
    const configMaps = JSON.stringify(ofKind(objects, 'ConfigMap'));
    expect(configMaps).not.toContain('your-elastic-password');
  });
});

describe('edge and AIOps: default render', () => {
  const { objects } = renderValues();
  const ingress = find(objects, 'Ingress', 'aiops-platform');
  const paths = (host: string) => ingress.spec.rules.find((r: any) => r.host === host).http.paths;

  it('runs Traefik with the IngressClass traefik', () => {
    expect(namesOf(objects, 'Deployment')).toContain('aiops-platform-traefik');
    expect(find(objects, 'IngressClass', 'traefik').spec.controller).toBe('traefik.io/ingress-controller');
    expect(ingress.spec.ingressClassName).toBe('traefik');
  });

  it('routes /api and / on aiops.local to the gateway, and /grafana, /prometheus, /alertmanager, /kibana, /ai behind its ForwardAuth', () => {
    expect(paths('aiops.local').map((p: any) => p.path)).toEqual(['/api', '/']);
    expect(ingress.metadata.annotations).toEqual({ 'traefik.ingress.kubernetes.io/router.middlewares': 'aiops-platform-aiops-platform-strip-auth-headers@kubernetescrd' });
    const guarded = find(objects, 'Ingress', 'aiops-platform-protected');
    expect(guarded.metadata.annotations).toEqual({
      'traefik.ingress.kubernetes.io/router.middlewares': 'aiops-platform-aiops-platform-strip-auth-headers@kubernetescrd,aiops-platform-aiops-platform-forward-auth@kubernetescrd',
    });
    expect(guarded.spec.rules[0].http.paths.map((p: any) => p.path)).toEqual(['/grafana', '/prometheus', '/alertmanager', '/kibana', '/ai']);
  });

  it('runs the API gateway from its bundle: no ghcr.io/aiops-platform/api-gateway reference anywhere', () => {
    const yaml = renderValues().yaml;
    expect(yaml).not.toContain('ghcr.io/aiops-platform/api-gateway');
    expect(yaml).not.toMatch(/aiops-platform\/api-gateway:/);
    expect(find(objects, 'ConfigMap', 'aiops-platform-api-gateway-code').binaryData['main.js.gz']).toBeTruthy();
  });

  it('points every route at a Service and port of the same render', () => {
    for (const rule of ingress.spec.rules) {
      for (const p of rule.http.paths) {
        const { name, port } = p.backend.service;
        expect(servicePorts(objects, name), `${rule.host}${p.path}`).toContain(port.number);
      }
    }
  });

  it('has the AI engine, API gateway and self-healing Deployments and the executor Role', () => {
    expect(namesOf(objects, 'Deployment')).toEqual(expect.arrayContaining(['aiops-platform-ai-engine', 'aiops-platform-api-gateway', 'aiops-platform-self-healing']));
    const role = find(objects, 'Role', 'aiops-platform-self-healing');
    expect(role.rules).toEqual([
      { apiGroups: [''], resources: ['pods'], verbs: ['get'] },
      { apiGroups: [''], resources: ['pods/eviction'], verbs: ['create'] },
      { apiGroups: ['apps'], resources: ['deployments/scale'], verbs: ['get', 'patch'], resourceNames: ['aiops-platform-ai-engine', 'aiops-platform-api-gateway'] },
      { apiGroups: ['batch'], resources: ['jobs'], verbs: ['create', 'list'] },
      { apiGroups: [''], resources: ['events'], verbs: ['create'] },
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'update'], resourceNames: ['aiops-platform-self-healing'] },
    ]);
    expect(ofKind(objects, 'ClusterRoleBinding').map((b) => b.subjects[0].name)).not.toContain('aiops-platform-self-healing');
  });

  it('gives the executor the clean-disk and optimize-db Jobs and schedules PostgreSQL maintenance', () => {
    const rules = find(objects, 'ConfigMap', 'aiops-platform-self-healing').data;
    const text = Object.values(rules).join('\n');
    for (const rule of ['restart-abnormal-pods', 'scale-out-high-load', 'clean-disk-space', 'optimize-database-queries']) expect(text).toContain(rule);
    expect(find(objects, 'CronJob', 'aiops-platform-postgresql-maintenance').spec.schedule).toBe('30 3 * * *');
  });
});

describe('edge and AIOps: the seed my-values block', () => {
  const { objects } = renderValues(seed('my-values.yaml'));

  it('serves aiops.example.com with the TLS secret aiops-tls and redirects HTTP to HTTPS', () => {
    const ingress = find(objects, 'Ingress', 'aiops-platform');
    expect(ingress.spec.rules.map((r: any) => r.host)).toEqual(['aiops.example.com']);
    expect(ingress.spec.tls).toEqual([{ secretName: 'aiops-tls', hosts: ['aiops.example.com'] }]);
    const args: string[] = find(objects, 'Deployment', 'aiops-platform-traefik').spec.template.spec.containers[0].args;
    expect(args).toContain('--entryPoints.web.http.redirections.entryPoint.scheme=https');
  });

  it('runs the AI engine with 2 replicas and the seed resources', () => {
    const deployment = find(objects, 'Deployment', 'aiops-platform-ai-engine');
    expect(deployment.spec.template.spec.containers[0].resources).toEqual({ requests: { memory: '2Gi', cpu: '1000m' }, limits: { memory: '4Gi', cpu: '2000m' } });
    const hpa = find(objects, 'HorizontalPodAutoscaler', 'aiops-platform-ai-engine');
    expect(hpa.spec.minReplicas).toBe(2);
  });
});
