import { describe, expect, it } from 'vitest';
import { Traefik } from '../../src/components/ingress/traefik.js';
import { renderConstruct, type ConstructRender } from '../support/construct.js';
import { assertValidK8sObjects } from '../support/k8s-validate.js';
import { find, ofKind, RESTRICTED_CONTAINER, workload } from '../support/render.js';

const NAME = 'aiops-platform-traefik';
const NS = 'aiops-platform';

const render = (valuesYaml = '', tls = false, ingressClassName = 'traefik', crdProvider = false): ConstructRender =>
  renderConstruct(valuesYaml, (chart, ctx, values) => new Traefik(chart, 'traefik', { ctx, values: values.traefik, ingressClassName, tls, crdProvider }));

const { object: deployment, pod, container } = workload('Deployment', NAME);
const args = (r: ConstructRender): string[] => container(r).args;

describe('Traefik', () => {
  const defaults = render();

  it('renders the IngressClass, the account and its rights, the Deployment and the Service, all valid', () => {
    assertValidK8sObjects(defaults.objects);
    expect(defaults.objects.map((o) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`).sort()).toEqual(
      [
        `ClusterRole//${NAME}`,
        `ClusterRoleBinding//${NAME}`,
        `Deployment/${NS}/${NAME}`,
        'IngressClass//traefik',
        `Role/${NS}/${NAME}`,
        `RoleBinding/${NS}/${NAME}`,
        `Service/${NS}/${NAME}`,
        `ServiceAccount/${NS}/${NAME}`,
      ].sort(),
    );
    expect(deployment(defaults).spec.template.spec.containers[0].image).toBe('docker.io/library/traefik:v3.7.11');
  });

  it('creates the cluster-scoped IngressClass named exactly ingress.className, with Traefik as controller', () => {
    // Cluster-wide name: it takes over an existing `traefik` class (k3s ships one); another className avoids that.
    const ic = find(defaults.objects, 'IngressClass', 'traefik');
    expect(ic.metadata.namespace).toBeUndefined();
    expect(ic.spec).toEqual({ controller: 'traefik.io/ingress-controller' });
    const other = render('', false, 'aiops-traefik');
    expect(find(other.objects, 'IngressClass', 'aiops-traefik').spec.controller).toBe('traefik.io/ingress-controller');
    expect(args(other)).toContain('--providers.kubernetesIngress.ingressClass=aiops-traefik');
  });

  it('publishes web 80 → 8000 and websecure 443 → 8443 on a LoadBalancer Service, never the metrics or ping port', () => {
    const svc = find(defaults.objects, 'Service', NAME);
    expect(svc.spec.type).toBe('LoadBalancer');
    expect(svc.spec.ports).toEqual([
      { name: 'web', port: 80, protocol: 'TCP', targetPort: 'web' },
      { name: 'websecure', port: 443, protocol: 'TCP', targetPort: 'websecure' },
    ]);
    expect(container(defaults).ports).toEqual([
      { name: 'web', containerPort: 8000, protocol: 'TCP' },
      { name: 'websecure', containerPort: 8443, protocol: 'TCP' },
      { name: 'metrics', containerPort: 9100, protocol: 'TCP' },
      { name: 'traefik', containerPort: 8080, protocol: 'TCP' },
    ]);
  });

  it('takes the Service type and annotations from values', () => {
    const r = render('traefik: {service: {type: NodePort, annotations: {service.beta.kubernetes.io/aws-load-balancer-type: nlb}}}');
    const svc = find(r.objects, 'Service', NAME);
    expect(svc.spec.type).toBe('NodePort');
    expect(svc.metadata.annotations).toEqual({ 'service.beta.kubernetes.io/aws-load-balancer-type': 'nlb' });
  });

  it('may only read what the v3 Ingress provider watches, in the platform namespace, plus IngressClasses and Nodes', () => {
    expect(find(defaults.objects, 'Role', NAME).rules).toEqual([
      { apiGroups: [''], resources: ['secrets', 'services'], verbs: ['list', 'watch'] },
      { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['list', 'watch'] },
      { apiGroups: ['networking.k8s.io'], resources: ['ingresses'], verbs: ['list', 'watch'] },
      { apiGroups: ['networking.k8s.io'], resources: ['ingresses/status'], verbs: ['update'] },
    ]);
    expect(find(defaults.objects, 'ClusterRole', NAME).rules).toEqual([
      { apiGroups: [''], resources: ['nodes'], verbs: ['list', 'watch'] },
      { apiGroups: ['networking.k8s.io'], resources: ['ingressclasses'], verbs: ['list', 'watch'] },
    ]);
    const subject = { kind: 'ServiceAccount', name: NAME, namespace: NS };
    expect(find(defaults.objects, 'RoleBinding', NAME).subjects).toEqual([subject]);
    expect(find(defaults.objects, 'ClusterRoleBinding', NAME).subjects).toEqual([subject]);
    expect(pod(defaults).serviceAccountName).toBe(NAME);
    expect(args(defaults)).toContain(`--providers.kubernetesIngress.namespaces=${NS}`);
  });

  it('configures entry points, the Ingress provider, metrics, access logs and ping as flags', () => {
    expect(args(defaults)).toEqual([
      '--global.checkNewVersion=false',
      '--global.sendAnonymousUsage=false',
      '--log.level=DEBUG',
      '--accessLog=true',
      '--accessLog.format=json',
      '--entryPoints.web.address=:8000/tcp',
      '--entryPoints.web.asDefault=true',
      '--entryPoints.websecure.address=:8443/tcp',
      '--entryPoints.websecure.asDefault=true',
      '--entryPoints.websecure.http.tls=true',
      '--entryPoints.metrics.address=:9100/tcp',
      '--entryPoints.traefik.address=:8080/tcp',
      '--ping=true',
      '--ping.entryPoint=traefik',
      '--metrics.prometheus=true',
      '--metrics.prometheus.entryPoint=metrics',
      '--metrics.prometheus.buckets=0.1,0.3,1.2,5,10,30',
      '--metrics.prometheus.addEntryPointsLabels=true',
      '--metrics.prometheus.addServicesLabels=true',
      '--providers.kubernetesIngress=true',
      `--providers.kubernetesIngress.namespaces=${NS}`,
      '--providers.kubernetesIngress.ingressClass=traefik',
      '--providers.kubernetesIngress.strictPrefixMatching=true',
      '--providers.kubernetesIngress.allowEmptyServices=true',
      `--providers.kubernetesIngress.ingressEndpoint.publishedService=${NS}/${NAME}`,
    ]);
    expect(args(defaults).filter((a) => a.toLowerCase().startsWith('--api'))).toEqual([]);
  });

  it('keeps the router of a backend without ready endpoints (503), so /kibana never falls through to the / catch-all', () => {
    // Traefik's default (false) drops the router of a Service with no ready endpoint, and the
    // request then matches the gateway's `/` rule: a 404 from the gateway instead of a 503.
    for (const r of [defaults, render('', true), render('', false, 'traefik', true)]) {
      expect(args(r)).toContain('--providers.kubernetesIngress.allowEmptyServices=true');
      expect(args(r).filter((a) => /allowEmptyServices=false/i.test(a))).toEqual([]);
    }
  });

  it('turns on the kubernetesCRD provider only for the chart\'s Middlewares, in the platform namespace, with empty services kept too', () => {
    expect(args(defaults).filter((a) => a.toLowerCase().startsWith('--providers.kubernetescrd'))).toEqual([]);
    const crd = render('', false, 'traefik', true);
    expect(args(crd).filter((a) => a.toLowerCase().startsWith('--providers.kubernetescrd'))).toEqual([
      '--providers.kubernetesCRD=true',
      `--providers.kubernetesCRD.namespaces=${NS}`,
      '--providers.kubernetesCRD.allowEmptyServices=true',
    ]);
  });

  it('may list and watch, with the CRD provider, every traefik.io kind its informers start and ConfigMaps, in the platform namespace only', () => {
    const crd = render('', false, 'traefik', true);
    const rules = find(crd.objects, 'Role', NAME).rules;
    expect(rules.slice(0, 4)).toEqual(find(defaults.objects, 'Role', NAME).rules);
    expect(rules.slice(4)).toEqual([
      { apiGroups: [''], resources: ['configmaps'], verbs: ['list', 'watch'] },
      {
        apiGroups: ['traefik.io'],
        resources: [
          'ingressroutes',
          'ingressroutetcps',
          'ingressrouteudps',
          'middlewares',
          'middlewaretcps',
          'serverstransports',
          'serverstransporttcps',
          'tlsoptions',
          'tlsstores',
          'traefikservices',
        ],
        verbs: ['list', 'watch'],
      },
    ]);
    // Nothing cluster-wide beyond what the Ingress provider needs, no write of any traefik.io object.
    expect(find(crd.objects, 'ClusterRole', NAME).rules).toEqual(find(defaults.objects, 'ClusterRole', NAME).rules);
    expect(rules.flatMap((r: any) => r.verbs)).not.toContain('get');
    assertValidK8sObjects(crd.objects);
  });

  it('takes the latency buckets and the log level from values', () => {
    const r = render('global: {logLevel: warn}\ntraefik: {latencyBuckets: [0.5, 2, 8]}');
    expect(args(r)).toContain('--metrics.prometheus.buckets=0.5,2,8');
    expect(args(r)).toContain('--log.level=WARN');
    expect(args(render('global: {development: false}'))).toContain('--log.level=INFO');
  });

  it('redirects HTTP permanently to HTTPS on the Service port 443 only with TLS', () => {
    const redirect = (r: ConstructRender) => args(r).filter((a) => a.startsWith('--entryPoints.web.http.redirections.'));
    expect(redirect(defaults)).toEqual([]);
    expect(redirect(render('', true))).toEqual([
      '--entryPoints.web.http.redirections.entryPoint.to=:443',
      '--entryPoints.web.http.redirections.entryPoint.scheme=https',
      '--entryPoints.web.http.redirections.entryPoint.permanent=true',
    ]);
  });

  it('probes /ping on the traefik entry point and is scraped on 9100', () => {
    const c = container(defaults);
    for (const probe of [c.readinessProbe, c.livenessProbe]) expect(probe.httpGet).toEqual({ path: '/ping', port: 'traefik' });
    expect(deployment(defaults).spec.template.metadata.annotations).toEqual({
      'prometheus.io/path': '/metrics',
      'prometheus.io/port': '9100',
      'prometheus.io/scrape': 'true',
    });
  });

  it('runs as uid 65532 under the restricted profile with a read-only root and resources from values', () => {
    expect(pod(defaults).securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, seccompProfile: { type: 'RuntimeDefault' } });
    expect(container(defaults).securityContext).toEqual(RESTRICTED_CONTAINER);
    expect(container(defaults).volumeMounts).toEqual([{ name: 'tmp', mountPath: '/tmp' }]);
    expect(container(defaults).resources).toEqual({ requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '128Mi' } });
  });

  it('runs one pod without a PodDisruptionBudget in development', () => {
    expect(deployment(defaults).spec.replicas).toBe(1);
    expect(ofKind(defaults.objects, 'PodDisruptionBudget')).toEqual([]);
    expect(pod(defaults).affinity).toBeUndefined();
  });

  it('runs two spread pods with a PodDisruptionBudget in production', () => {
    const prod = render('global: {development: false}');
    assertValidK8sObjects(prod.objects);
    expect(deployment(prod).spec.replicas).toBe(2);
    expect(find(prod.objects, 'PodDisruptionBudget', NAME).spec.maxUnavailable).toBe(1);
    expect(pod(prod).affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm.topologyKey).toBe('kubernetes.io/hostname');
    expect(container(prod).resources.requests).toEqual({ cpu: '200m', memory: '128Mi' });
  });
});
