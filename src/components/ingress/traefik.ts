import { k8s } from '../../lib/k8s.js';
import { Construct } from 'constructs';
import { baseContainer } from '../../lib/container.js';
import { createDisruptionBudget } from '../../lib/disruption.js';
import { clusterMetadata } from '../../lib/metadata.js';
import { podTemplate, scrapeAnnotations } from '../../lib/pod.js';
import { httpAction, probes } from '../../lib/probes.js';
import { createServiceAccount, type Rule } from '../../lib/rbac.js';
import { createService } from '../../lib/service.js';
import { emptyDirVolume } from '../../lib/storage.js';
import { createDeployment } from '../../lib/workloads.js';
import { CATALOG } from '../../plan/catalog.js';
import type { ComponentProps } from '../../plan/component.js';
import { traefikPlan, type TraefikPlan } from '../../plan/ingress.js';
import type { Values } from '../../values/schema/index.js';
import { SERVICE_PORTS, TRAEFIK_PORTS, traefikArgs, traefikStaticConfig } from './traefik-config.js';

/** Props of {@link Traefik}. */
export interface TraefikProps extends ComponentProps<Values['traefik'], TraefikPlan> {
  /** Name of the IngressClass to create and serve (`ingress.className`, default traefik). */
  readonly ingressClassName: string;
  /** Redirect HTTP to HTTPS: true when `ingress.tls` has an entry (default values: false). */
  readonly tls: boolean;
  /**
   * Turn on the kubernetesCRD provider (namespace-limited) and its RBAC: the chart renders a
   * Traefik Middleware (default false).
   */
  readonly crdProvider?: boolean;
}

/** How the Ingress and the network policies reach Traefik. */
export interface TraefikConnection {
  /** The Service in front of Traefik (web 80, websecure 443). */
  readonly serviceName: string;
  /** The IngressClass Traefik serves. */
  readonly ingressClassName: string;
}

const ID = CATALOG.traefik.id;
/** The controller string Traefik's Ingress provider looks for in IngressClasses (fixed in Traefik). */
const TRAEFIK_CONTROLLER = 'traefik.io/ingress-controller';
/** uid/gid Traefik runs as: the official image sets no user (root), the official chart runs it as 65532. */
const TRAEFIK_UID = 65532;

/**
 * What the v3 kubernetesIngress provider reads, checked in traefik/traefik v3
 * pkg/provider/kubernetes/ingress/client.go: every read goes through informers (list + watch, no
 * get); the only write is `UpdateStatus` of Ingresses. EndpointSlices, not Endpoints, since v3.1.
 * Namespaced informers run only in the watched namespace (`providers.kubernetesIngress.namespaces`),
 * so a Role there suffices. Secrets: the TLS certificates of the Ingresses; the informer lists
 * them all (RBAC cannot narrow a list by name), which is why the provider watches only this
 * namespace and not the cluster.
 */
const NAMESPACE_RULES: readonly Rule[] = [
  { apiGroups: [''], resources: ['secrets', 'services'], verbs: ['list', 'watch'] },
  { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['list', 'watch'] },
  { apiGroups: ['networking.k8s.io'], resources: ['ingresses'], verbs: ['list', 'watch'] },
  { apiGroups: ['networking.k8s.io'], resources: ['ingresses/status'], verbs: ['update'] },
];

/**
 * What the v3.7 kubernetesCRD provider adds, checked in traefik/traefik
 * pkg/provider/kubernetes/crd/client.go (`WatchAll`) and the official chart's RBAC for v3.7: it
 * starts list/watch informers for all ten traefik.io kinds whatever the chart renders (no option
 * narrows them, and a missing CRD keeps the provider waiting for its caches: every one must be
 * installed), ConfigMaps (since v3.4, for ServersTransport CAs), and the Services, EndpointSlices,
 * Secrets and Nodes the Ingress provider reads already. No status writes: the v3.7 CRDs have no
 * status subresource.
 */
const CRD_NAMESPACE_RULES: readonly Rule[] = [
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
];

/**
 * Cluster-scoped informers: IngressClasses (an Ingress naming a class is served only if that class
 * exists with Traefik's controller) and Nodes (started unless `disableClusterScopeResources`, which
 * would also make Traefik ignore Ingresses that name a class; used for NodePort load balancing).
 */
const CLUSTER_RULES: readonly Rule[] = [
  { apiGroups: [''], resources: ['nodes'], verbs: ['list', 'watch'] },
  { apiGroups: ['networking.k8s.io'], resources: ['ingressclasses'], verbs: ['list', 'watch'] },
];

/**
 * Traefik v3 as the platform's Ingress controller: Deployment and Service `<release>-traefik`
 * (web 80 → 8000, websecure 443 → 8443; the metrics port 9100 and the ping port 8080 stay off the
 * Service, Prometheus scrapes the pods), the IngressClass, and least-privilege RBAC (a Role in the
 * platform namespace, a ClusterRole for IngressClasses and Nodes). Static configuration as flags:
 * see {@link traefikStaticConfig}. Restricted security context as uid 65532 with a read-only root;
 * two replicas with a PodDisruptionBudget and anti-affinity in production.
 *
 * The IngressClass is cluster-scoped and named exactly `ingress.className` (default `traefik`):
 * on a cluster that already has a `traefik` class (k3s ships one), applying it takes that object
 * over; choose another `ingress.className` there. Traefik's controller string is fixed, so any
 * other Traefik started without `--providers.kubernetesingress.ingressclass` serves every
 * Traefik-controlled class, this one included.
 */
export class Traefik extends Construct {
  readonly connection: TraefikConnection;

  constructor(scope: Construct, id: string, props: TraefikProps) {
    super(scope, id);
    const { ctx, values, ingressClassName } = props;
    const { name } = props.plan ?? traefikPlan(ctx);
    const version = values.image.tag;

    new k8s.KubeIngressClass(this, 'ingress-class', {
      metadata: clusterMetadata(ctx, ingressClassName, ID),
      spec: { controller: TRAEFIK_CONTROLLER },
    });

    const namespaceRules = props.crdProvider ? [...NAMESPACE_RULES, ...CRD_NAMESPACE_RULES] : NAMESPACE_RULES;
    const serviceAccountName = createServiceAccount(this, ctx, {
      name,
      id: ID,
      namespaceRules,
      clusterRules: CLUSTER_RULES,
      apiCalls: 'watches the IngressClasses, Ingresses, Services, EndpointSlices, TLS Secrets and nodes it routes by (and its traefik.io kinds), and writes the Ingresses\' load-balancer status',
    });

    const args = traefikArgs(
      traefikStaticConfig({
        namespace: ctx.namespace,
        ingressClassName,
        publishedService: `${ctx.namespace}/${name}`,
        logLevel: ctx.global.logLevel,
        latencyBuckets: values.latencyBuckets,
        tls: props.tls,
        crdProvider: props.crdProvider ?? false,
      }),
    );

    const container: k8s.Container = {
      ...baseContainer(ctx, 'traefik', values),
      args,
      ports: Object.entries(TRAEFIK_PORTS).map(([portName, containerPort]) => ({ name: portName, containerPort, protocol: 'TCP' })),
      ...probes(httpAction('/ping', 'traefik')),
      volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
    };

    const template = podTemplate(ctx, {
      maxReplicas: values.replicas,
      id: ID,
      version,
      scheduling: values,
      runAs: { user: TRAEFIK_UID },
      containers: [container],
      volumes: [emptyDirVolume('tmp', { sizeLimit: '64Mi' })],
      serviceAccountName,
      annotations: scrapeAnnotations(TRAEFIK_PORTS.metrics),
    });

    createDeployment(this, ctx, { name, id: ID, version, template, replicas: values.replicas });
    createService(this, 'service', ctx, {
      name,
      id: ID,
      type: values.service.type,
      annotations: values.service.annotations,
      ports: [
        { name: 'web', port: SERVICE_PORTS.web },
        { name: 'websecure', port: SERVICE_PORTS.websecure },
      ],
    });
    if (!ctx.development) createDisruptionBudget(this, ctx, name, ID);

    this.connection = { serviceName: name, ingressClassName };
  }
}
