import { k8s } from '../../lib/k8s.js';
import { Construct } from 'constructs';
import { SERVICE_ENV as ENV } from '../../core/service-env.js';
import { createAutoscaler, type AutoscalingValues } from '../../lib/autoscaling.js';
import { baseContainer } from '../../lib/container.js';
import type { PlatformContext } from '../../lib/context.js';
import { createDisruptionBudget } from '../../lib/disruption.js';
import { ConfigError, reportProblem } from '../../lib/errors.js';
import type { ComponentIdentity } from '../../lib/labels.js';
import { metadata } from '../../lib/metadata.js';
import { objectName } from '../../lib/names.js';
import { fieldEnv, podTemplate, scrapeAnnotations, type SchedulingValues } from '../../lib/pod.js';
import { httpAction, probes } from '../../lib/probes.js';
import { codeChecksum, gzipBase64 } from '../../lib/service-code.js';
import { createService } from '../../lib/service.js';
import { emptyDirVolume } from '../../lib/storage.js';
import { createDeployment } from '../../lib/workloads.js';
import { CATALOG } from '../../plan/catalog.js';
import { platformServicePlan } from '../../plan/aiops.js';
import type { ImageValues, ResourceValues } from '../../values/schema/common.js';
import { APP_VERSION, IMAGES } from '../../values/schema/images.js';
import { MANAGED_ENV, type ManagedEnvSlice } from '../../values/schema/managed-env.js';
import type { PriorityTier } from '../../lib/scheduling-policy.js';

/** The values every platform service slice has (`aiEngine`, `apiGateway`, `selfHealing`). */
export interface PlatformServiceValues extends SchedulingValues {
  /** A user-built image; undefined: the service's bundled code on the official Node.js image. */
  readonly image?: ImageValues | undefined;
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
  /** PriorityClass tier of its pods (default standard). */
  readonly priority?: PriorityTier;
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
/** uid/gid the platform services run as (the node image's own user is 1000; any works, the code is world-readable). */
const PLATFORM_UID = 10001;
/** Where the code is: `node /app/main.js`, in every image (see the README's image contract). */
const APP_DIR = '/app';
const MAIN = 'main.js';
/** The gzipped bundle: key of the code ConfigMap's binaryData, mounted in the unpack init container under CODE_DIR. */
const CODE_KEY = 'main.js.gz';

/** Whether a rendered object is a platform service's code ConfigMap (its bundle under {@link CODE_KEY} in binaryData). */
export function isServiceCodeConfigMap(object: Record<string, unknown>): boolean {
  return object.kind === 'ConfigMap' && (object.binaryData as Record<string, unknown> | undefined)?.[CODE_KEY] !== undefined;
}
const CODE_DIR = '/code';
/**
 * The unpack init container's program: gunzip the ConfigMap's bundle into the /app emptyDir
 * (gzip's CRC-32 refuses a damaged one). Paths only, no values: nothing to quote.
 */
const UNPACK_SCRIPT = [
  'const fs = require("node:fs")',
  'const zlib = require("node:zlib")',
  `fs.writeFileSync(${JSON.stringify(`${APP_DIR}/${MAIN}`)}, zlib.gunzipSync(fs.readFileSync(${JSON.stringify(`${CODE_DIR}/${CODE_KEY}`)})))`,
].join('; ');
/** The unpack init container: node starts in about 40 MB and gunzips a few hundred kilobytes. */
const UNPACK_RESOURCES: ResourceValues = { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '128Mi' } };
/** The readiness path of every platform service (under its base path): its probe, and the connection tests' check. */
export const READY_PATH = '/healthz/ready';
/** The official Node.js image the bundled code runs on (`global.imageRegistry` applies). */
const NODE_IMAGE: ImageValues = IMAGES.node;

/**
 * The version label of a platform service's objects: the tag of its user-built image, else the
 * chart's application version (its bundled code is the chart's).
 */
export function platformServiceVersion(values: Pick<PlatformServiceValues, 'image'>): string {
  return values.image ? values.image.tag : APP_VERSION;
}

/** `basePath` + `path` without a double slash: (`/`, `/metrics`) → `/metrics`, (`/ai`, `/metrics`) → `/ai/metrics`. */
export function underBasePath(basePath: string, path: string): string {
  return basePath === '/' ? path : `${basePath}${path}`;
}

/**
 * One of the platform's own HTTP services (AI engine, API gateway, self-healing executor), all the
 * same shape: Deployment and Service `<release>-<component>` on 8080 (port `http`), serving under
 * `basePath`, running `node /app/main.js`:
 * - without `image` in values, its bundle (`ctx.serviceCode(component)`, built by
 *   src/cli/service-bundles.ts) gzipped in the ConfigMap `<release>-<component>-code` (binaryData
 *   `main.js.gz`), unpacked by the init container `unpack` into an emptyDir mounted read-only at
 *   /app, on the official Node.js image (IMAGES.node); pod annotation `checksum/code` (SHA-256 of
 *   the bundle) rolls the pods when the code changes. No bundle for it is a ConfigError;
 * - with `image`, that user-built image, which holds /app/main.js itself (README: "Platform service images");
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
    const version = platformServiceVersion(values);
    const http = (path: string) => httpAction(underBasePath(basePath, path), 'http');
    const code = values.image ? undefined : bundledCode(props);
    const image = values.image ?? NODE_IMAGE;

    const container: k8s.Container = {
      ...baseContainer(ctx, props.component, { image, resources: values.resources }),
      command: ['node', `${APP_DIR}/${MAIN}`],
      ports: [
        { name: 'http', containerPort: PORT, protocol: 'TCP' },
        { name: 'metrics', containerPort: METRICS_PORT, protocol: 'TCP' },
      ],
      env: serviceEnv(props),
      ...probes(http(READY_PATH), {
        livenessAction: http('/healthz/live'),
        startupAction: http('/healthz/live'),
        startupSeconds: props.startupSeconds ?? 120,
      }),
      volumeMounts: [
        { name: 'tmp', mountPath: '/tmp' },
        ...(code ? [{ name: 'app', mountPath: APP_DIR, readOnly: true }] : []),
        ...(props.mounts ?? []),
      ],
    };

    let codeConfigMap: string | undefined;
    if (code) {
      codeConfigMap = objectName(ctx, props.component, 'code');
      new k8s.KubeConfigMap(this, 'code', {
        metadata: metadata(ctx, codeConfigMap, identity, { version }),
        binaryData: { [CODE_KEY]: gzipBase64(code) },
      });
    }

    const template = podTemplate(ctx, {
      priority: props.priority,
      maxReplicas: plan.hpaManaged ? values.autoscaling.maxReplicas : values.replicas,
      id: identity,
      version,
      scheduling: values,
      runAs: { user: PLATFORM_UID },
      serviceAccountName: props.serviceAccountName,
      initContainers: codeConfigMap ? [unpackContainer(ctx, image)] : [],
      containers: [container],
      volumes: [
        emptyDirVolume('tmp', { sizeLimit: '256Mi' }),
        ...(codeConfigMap
          ? [emptyDirVolume('app', { sizeLimit: '64Mi' }), { name: 'code', configMap: { name: codeConfigMap, defaultMode: 0o444 } }]
          : []),
        ...(props.volumes ?? []),
      ],
      annotations: {
        ...props.annotations,
        ...(code ? { 'checksum/code': codeChecksum(code) } : {}),
        ...scrapeAnnotations(METRICS_PORT, '/metrics'),
      },
    });

    const autoscaled = plan.hpaManaged;
    createDeployment(this, ctx, { name, id: identity, version, template, replicas: autoscaled ? undefined : values.replicas, strategy: props.strategy });
    if (autoscaled) createAutoscaler(this, ctx, { name, id: identity, autoscaling: values.autoscaling });
    if (!ctx.development) createDisruptionBudget(this, ctx, name, identity);
    createService(this, 'service', ctx, { name, id: identity, ports: [{ name: 'http', port: PORT }] });

    this.connection = { serviceName: plan.serviceName, port: PORT, basePath, url: plan.url };
  }
}

/** The bundle of a service without `image`; a problem (and empty code, so the render goes on to report the others) when the render has none. */
function bundledCode(props: PlatformServiceProps): Uint8Array {
  const code = props.ctx.serviceCode(props.component);
  if (code) return code;
  reportProblem(
    props.ctx,
    new ConfigError(
      `${props.valuesPath}.image is not set and the render has no bundle of ${props.component} (src/services/${props.component}/main.ts): ` +
        'render with npm run synth, which builds the bundles, or set the image to a user-built one',
      { path: [props.valuesPath, 'image'] },
    ),
  );
  return new Uint8Array();
}

/** The init container that writes the ConfigMap's gzipped bundle, unpacked, to /app. */
function unpackContainer(ctx: PlatformContext, image: ImageValues): k8s.Container {
  return {
    ...baseContainer(ctx, 'unpack', { image, resources: UNPACK_RESOURCES }),
    command: ['node', '-e', UNPACK_SCRIPT],
    volumeMounts: [
      { name: 'code', mountPath: CODE_DIR, readOnly: true },
      { name: 'app', mountPath: APP_DIR },
    ],
  };
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
