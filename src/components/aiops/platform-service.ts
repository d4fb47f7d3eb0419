import type { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { SERVICE_ENV as ENV } from '../../core/service-env.js';
import { createAutoscaler, type AutoscalingValues } from '../../lib/autoscaling.js';
import { baseContainer } from '../../lib/container.js';
import type { PlatformContext } from '../../lib/context.js';
import { createDisruptionBudget } from '../../lib/disruption.js';
import { ConfigError, reportProblem } from '../../lib/errors.js';
import type { ComponentIdentity } from '../../lib/labels.js';
import { fieldEnv, podTemplate, scrapeAnnotations, type SchedulingValues } from '../../lib/pod.js';
import { httpAction, probes } from '../../lib/probes.js';
import { createService } from '../../lib/service.js';
import { emptyDirVolume } from '../../lib/storage.js';
import { createDeployment } from '../../lib/workloads.js';
import { CATALOG } from '../../plan/catalog.js';
import { platformServicePlan } from '../../plan/aiops.js';
import type { ImageValues, ResourceValues } from '../../values/schema/common.js';
import { MANAGED_ENV, type ManagedEnvSlice } from '../../values/schema/managed-env.js';

/** The values every platform service slice has (`aiEngine`, `apiGateway`, `selfHealing`). */
export interface PlatformServiceValues extends SchedulingValues {
  readonly image: ImageValues;
  /** Pods when not autoscaled. */
  readonly replicas: number;
  readonly resources: ResourceValues;
  /** HPA settings; minReplicas already defaulted to `replicas` by the schema. */
  readonly autoscaling: AutoscalingValues & { readonly enabled: boolean };
  /** Extra variables from values, appended after the chart's own. */
  readonly extraEnv: Readonly<Record<string, string>>;
}

/** Props of {@link PlatformService}. */
export interface PlatformServiceProps {
  readonly ctx: PlatformContext;
  readonly values: PlatformServiceValues;
  /** Values path of the slice, for messages and its chart-managed variables, e.g. `aiEngine`. */
  readonly valuesPath: ManagedEnvSlice;
  /** Component name, e.g. `ai-engine`: object names `<release>-<component>`, label app.kubernetes.io/name. */
  readonly component: string;
  /** Role label app.kubernetes.io/component, e.g. `anomaly-detection`. */
  readonly role: string;
  /** Path prefix the service serves under: `/` or `/name` without a trailing slash. */
  readonly basePath: string;
  /** The service's own variables (connections), after the common ones. */
  readonly env: readonly k8s.EnvVar[];
  /** Service account whose token is mounted (default none: no token). */
  readonly serviceAccountName?: string;
  /** Extra volumes, e.g. a ConfigMap of config files (default none). */
  readonly volumes?: readonly k8s.Volume[];
  /** Mounts of those volumes in the container (default none). */
  readonly mounts?: readonly k8s.VolumeMount[];
  /** Extra pod annotations, e.g. `checksum/config` (default none); values' podAnnotations win. */
  readonly annotations?: Readonly<Record<string, string>>;
  /** Longest first start the startup probe allows, seconds (default 120). */
  readonly startupSeconds?: number;
  /** Rollout: `Recreate` for a service that must never run twice at once (default RollingUpdate). */
  readonly strategy?: 'RollingUpdate' | 'Recreate';
}

/** How other components reach a platform service. */
export interface PlatformServiceConnection {
  /** Service name `<release>-<component>`. */
  readonly serviceName: string;
  readonly port: typeof PORT;
  readonly basePath: string;
  /** In-cluster URL with the base path and no trailing slash, e.g. `http://…:8080/ai`. */
  readonly url: string;
}

const { port: PORT, metricsPort: METRICS_PORT } = CATALOG.platformService;
/** uid/gid the platform images run as: they are built FROM a distroless nonroot-style base with this user. */
const PLATFORM_UID = 10001;

/** `basePath` + `path` without a double slash: (`/`, `/metrics`) → `/metrics`, (`/ai`, `/metrics`) → `/ai/metrics`. */
export function underBasePath(basePath: string, path: string): string {
  return basePath === '/' ? path : `${basePath}${path}`;
}

/**
 * One of the platform's own HTTP services (AI engine, API gateway, self-healing executor), all the
 * same shape: Deployment and Service `<release>-<component>` on 8080 (port `http`), serving under
 * `basePath`:
 * - probes `GET <basePath>/healthz/ready` (readiness) and `<basePath>/healthz/live` (liveness and
 *   startup) on 8080; metrics at `/metrics` on their own port 9464 (`metrics`, pod only, with
 *   Prometheus scrape annotations), so the public routes never expose them;
 * - uid 10001, restricted profile, read-only root filesystem, an emptyDir on /tmp;
 * - env: BASE_PATH, LOG_LEVEL (global.logLevel), PORT, METRICS_PORT, POD_NAME, POD_NAMESPACE, then `env`, then
 *   values' `extraEnv` sorted by name (a name the chart sets is a ConfigError);
 * - `autoscaling.enabled`: an HPA on CPU and memory owns the replica count (the Deployment has no
 *   `replicas`); a PDB outside development; preferred anti-affinity in production.
 */
export class PlatformService extends Construct {
  readonly connection: PlatformServiceConnection;

  constructor(scope: Construct, id: string, props: PlatformServiceProps) {
    super(scope, id);
    const { ctx, values, basePath } = props;
    if (!/^\/([a-z0-9]([-a-z0-9/]*[a-z0-9])?)?$/.test(basePath) || basePath.includes('//')) {
      throw new Error(`basePath "${basePath}" of ${props.component} must be "/" or start with "/" and not end with "/"`);
    }
    const identity: ComponentIdentity = { name: props.component, component: props.role };
    const plan = platformServicePlan(ctx, identity, values, basePath, []);
    const name = plan.name;
    const version = values.image.tag;
    const http = (path: string) => httpAction(underBasePath(basePath, path), 'http');

    const container: k8s.Container = {
      ...baseContainer(ctx, props.component, values),
      ports: [
        { name: 'http', containerPort: PORT, protocol: 'TCP' },
        { name: 'metrics', containerPort: METRICS_PORT, protocol: 'TCP' },
      ],
      env: serviceEnv(props),
      ...probes(http('/healthz/ready'), {
        livenessAction: http('/healthz/live'),
        startupAction: http('/healthz/live'),
        startupSeconds: props.startupSeconds ?? 120,
      }),
      volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }, ...(props.mounts ?? [])],
    };

    const template = podTemplate(ctx, {
      id: identity,
      version,
      scheduling: values,
      runAs: { user: PLATFORM_UID },
      serviceAccountName: props.serviceAccountName,
      containers: [container],
      volumes: [emptyDirVolume('tmp', { sizeLimit: '256Mi' }), ...(props.volumes ?? [])],
      annotations: { ...props.annotations, ...scrapeAnnotations(METRICS_PORT, '/metrics') },
    });

    const autoscaled = plan.hpaManaged;
    createDeployment(this, ctx, { name, id: identity, version, template, replicas: autoscaled ? undefined : values.replicas, strategy: props.strategy });
    if (autoscaled) createAutoscaler(this, ctx, { name, id: identity, autoscaling: values.autoscaling });
    if (!ctx.development) createDisruptionBudget(this, ctx, name, identity);
    createService(this, 'service', ctx, { name, id: identity, ports: [{ name: 'http', port: PORT }] });

    this.connection = { serviceName: plan.serviceName, port: PORT, basePath, url: plan.url };
  }
}

/** The container's env: common variables, the service's own, then values' extraEnv (sorted), without collisions. */
function serviceEnv(props: PlatformServiceProps): k8s.EnvVar[] {
  const managed: k8s.EnvVar[] = [
    { name: ENV.common.basePath, value: props.basePath },
    { name: ENV.common.logLevel, value: props.ctx.global.logLevel },
    { name: ENV.common.port, value: String(PORT) },
    { name: ENV.common.metricsPort, value: String(METRICS_PORT) },
    fieldEnv(ENV.common.podName, 'metadata.name'),
    fieldEnv(ENV.common.podNamespace, 'metadata.namespace'),
    ...props.env,
  ];
  const names = new Set<string>();
  const reserved: readonly string[] = MANAGED_ENV[props.valuesPath];
  for (const { name } of managed) {
    if (names.has(name)) throw new Error(`${props.component} sets the environment variable ${name} twice`);
    // The values schema refuses these names in extraEnv: the list must know every one.
    if (!reserved.includes(name)) throw new Error(`${props.component} sets ${name}, which MANAGED_ENV.${props.valuesPath} does not list`);
    names.add(name);
  }
  const extra = Object.keys(props.values.extraEnv).sort();
  for (const name of extra.filter((n) => names.has(n))) {
    reportProblem(
      props.ctx,
      new ConfigError(`${name} is set by the chart on ${props.component} (from the values and connections): remove it from extraEnv`, {
        path: [props.valuesPath, 'extraEnv', name],
      }),
    );
  }
  return [...managed, ...extra.filter((n) => !names.has(n)).map((name) => ({ name, value: props.values.extraEnv[name]! }))];
}
