import { Construct } from 'constructs';
import { containerImage } from '../../lib/images.js';
import type { PlatformContext } from '../../lib/context.js';
import { k8s } from '../../lib/k8s.js';
import { metadata } from '../../lib/metadata.js';
import { serviceUrl } from '../../lib/names.js';
import { podTemplate, secretEnv } from '../../lib/pod.js';
import { resourceRequirements } from '../../lib/resources.js';
import { restrictedContainerSecurityContext, type RunAs } from '../../lib/security.js';
import { CATALOG } from '../../plan/catalog.js';
import type { ComponentPlan } from '../../plan/component.js';
import { connectionTestName, type ConnectionTestsPlan } from '../../plan/connection-tests.js';
import { SERVICE_ENV } from '../../core/service-env.js';
import type { ImageValues } from '../../values/schema/common.js';
import { IMAGES } from '../../values/schema/images.js';
import { READY_PATH, underBasePath } from '../aiops/platform-service.js';
import { postgresEnv } from '../aiops/service-env.js';
import { POSTGRES_UID, type PostgreSqlConnection } from '../data/postgresql.js';
import type { RedisConnection } from '../data/redis.js';
import { REDIS_UID } from '../data/redis-config.js';
import type { ElasticsearchConnection } from '../logging/connection.js';
import { KIBANA_BASE_PATH } from '../logging/kibana.js';
import { GRAFANA_SUB_PATH } from '../monitoring/grafana.js';
import { CHECK_ENV, CHECK_TIMEOUT_SECONDS, connectionTestScript, type ConnectionCheck } from './connection-test-scripts.js';

/** Props of {@link ConnectionTests}. */
export interface ConnectionTestsProps {
  readonly ctx: PlatformContext;
  readonly plan: ConnectionTestsPlan;
  /** The images whose clients the tests use: the render's Redis image (redis-cli) and PostgreSQL image (psql). */
  readonly images: { readonly redis: ImageValues; readonly postgresql: ImageValues };
  /** The credentials of the data stores (each only where the plan checks it). */
  readonly redis?: RedisConnection | undefined;
  readonly postgresql?: PostgreSqlConnection | undefined;
  readonly elasticsearch?: ElasticsearchConnection | undefined;
}

/** The annotations that make an object a Helm test hook, deleted before the next run and once it succeeded. */
export const HELM_TEST_HOOK = {
  'helm.sh/hook': 'test',
  'helm.sh/hook-delete-policy': 'before-hook-creation,hook-succeeded',
} as const;

/** An object of the connection tests: it carries the Helm test hook (no other object of the render does). */
export function isConnectionTestObject(object: Record<string, unknown>): boolean {
  return (object.metadata as { annotations?: Record<string, string> } | undefined)?.annotations?.['helm.sh/hook'] === HELM_TEST_HOOK['helm.sh/hook'];
}

const { id: ID } = CATALOG.connectionTests;
/** curlimages/curl runs as `curl_user` (uid 100, group 101). */
const CURL_USER: RunAs = { user: 100, group: 101 };
const CURL_IMAGE: ImageValues = IMAGES.curl;
/** One client call: small and short-lived. */
const RESOURCES = resourceRequirements({ requests: { cpu: '10m', memory: '32Mi' }, limits: { cpu: '200m', memory: '64Mi' } });
/** A test Pod is stopped after this long, whatever its script does (the script itself ends within 40 s). */
const DEADLINE_SECONDS = 120;
/** Test Pods are placed anywhere: they carry no values of their own. */
const NO_SCHEDULING = { nodeSelector: {}, tolerations: [], podAnnotations: {}, podLabels: {} };

/** One test Pod: the service it checks, with which client image, as whom, and its target in env. */
interface TestPod {
  readonly target: Pick<ComponentPlan, 'id'>;
  /** Service name in the test's messages. */
  readonly service: string;
  readonly check: ConnectionCheck;
  readonly image: ImageValues;
  readonly runAs: RunAs;
  readonly env: k8s.EnvVar[];
}

/**
 * The connection tests (`dist/tests/`, Helm test hooks; the render puts every object marked with
 * {@link HELM_TEST_HOOK} apart, {@link isConnectionTestObject}): one Pod `<release>-test-<service>`
 * per checked service of the plan, which checks it once from inside the cluster with the
 * service's real client and the credentials its real clients use, retried briefly
 * (connection-test-scripts.ts), then exits (`restartPolicy: Never`):
 * - Prometheus and Alertmanager: `GET <url with route prefix>/-/ready` (curl);
 * - Grafana: `GET /grafana/api/health` (its database is ok);
 * - Elasticsearch: `GET /_cluster/health` as `logs_reader` with its password (security on), green or yellow;
 * - Kibana: `GET /kibana/api/status` (200 once Elasticsearch and its saved objects are available);
 * - Redis: `redis-cli PING` with the password in REDISCLI_AUTH (the Redis image);
 * - PostgreSQL: `psql` login as the application user with its password and the platform services' sslmode (the PostgreSQL image);
 * - Traefik: `GET /ping` on its ping entry point, through the Service `<release>-test-traefik`
 *   (a test hook too: Traefik's own Service leaves that port out);
 * - the AI engine, the API gateway and the self-healing executor: `GET <base path>/healthz/ready`, as their readiness probes.
 * Every Pod runs restricted (non-root, RuntimeDefault seccomp, no capability or escalation,
 * read-only root), with resources and a deadline, and carries the selector labels of
 * {@link CATALOG.connectionTests}: the NetworkPolicy `<release>-test` lets them reach exactly the
 * endpoints of the plan's `uses`.
 */
export class ConnectionTests extends Construct {
  constructor(scope: Construct, id: string, props: ConnectionTestsProps) {
    super(scope, id);
    const { ctx, plan } = props;
    const t = plan.connections;
    const http = (target: Pick<ComponentPlan, 'id'>, service: string, url: string, check: Omit<Extract<ConnectionCheck, { kind: 'http-get' }>, 'kind'> = {}, auth: k8s.EnvVar[] = []): TestPod => ({
      target,
      service,
      check: { kind: 'http-get', ...check },
      image: CURL_IMAGE,
      runAs: CURL_USER,
      env: [{ name: CHECK_ENV.url, value: url }, ...auth],
    });
    const es = props.elasticsearch;
    const pods: TestPod[] = [
      ...(t.prometheus ? [http(t.prometheus, 'Prometheus', `${t.prometheus.url}/-/ready`)] : []),
      ...(t.alertmanager ? [http(t.alertmanager, 'Alertmanager', `${t.alertmanager.url}/-/ready`)] : []),
      ...(t.grafana
        ? [
            http(t.grafana, 'Grafana', serviceUrl(ctx, t.grafana.serviceName, t.grafana.port, `${GRAFANA_SUB_PATH}/api/health`), {
              expect: { pattern: '"database" *: *"ok"', description: 'database ok' },
            }),
          ]
        : []),
      ...(t.elasticsearch && es
        ? [
            http(
              t.elasticsearch,
              'Elasticsearch',
              `${es.url}/_cluster/health`,
              { expect: { pattern: '"status" *: *"(green|yellow)"', description: 'cluster status green or yellow' } },
              es.authEnabled && es.secretName
                ? [{ name: CHECK_ENV.user, value: es.users.logsReader }, secretEnv(CHECK_ENV.password, es.secretName, es.keys.logsReader)]
                : [],
            ),
          ]
        : []),
      ...(t.kibana ? [http(t.kibana, 'Kibana', serviceUrl(ctx, t.kibana.serviceName, t.kibana.port, `${KIBANA_BASE_PATH}/api/status`))] : []),
      ...(t.redis && props.redis ? [redisTest(t.redis, props.redis, props.images.redis)] : []),
      ...(t.postgresql && props.postgresql ? [postgresqlTest(t.postgresql, props.postgresql, props.images.postgresql)] : []),
      ...(t.traefik ? [http(t.traefik, 'Traefik', serviceUrl(ctx, t.traefik.serviceName, t.traefik.port, '/ping'))] : []),
      ...[
        [t.aiEngine, 'AI engine'] as const,
        [t.apiGateway, 'API gateway'] as const,
        [t.selfHealing, 'self-healing executor'] as const,
      ].flatMap(([s, service]) => (s ? [http(s, service, serviceUrl(ctx, s.serviceName, s.port, underBasePath(s.basePath, READY_PATH)))] : [])),
    ];

    if (t.traefik) {
      // Traefik's ping port, for the test only: its own Service (maybe a LoadBalancer) leaves it out.
      const ping = t.traefik;
      new k8s.KubeService(this, 'traefik-ping', {
        metadata: metadata(ctx, ping.serviceName, ID, { annotations: { ...HELM_TEST_HOOK, 'helm.sh/hook-weight': '-1' } }),
        spec: {
          type: 'ClusterIP',
          selector: { ...ping.pods.selector },
          ports: [{ name: 'ping', port: ping.port, protocol: 'TCP', targetPort: k8s.IntOrString.fromNumber(ping.port) }],
        },
      });
    }

    for (const pod of pods) {
      const name = connectionTestName(ctx, pod.target);
      const template = podTemplate(ctx, {
        id: ID,
        version: pod.image.tag,
        scheduling: NO_SCHEDULING,
        runAs: pod.runAs,
        restartPolicy: 'Never',
        terminationGracePeriodSeconds: 5,
        containers: [
          {
            name: 'connection-test',
            ...containerImage(ctx, pod.image),
            command: ['sh', '-c', connectionTestScript(pod.service, pod.check), 'connection-test'],
            env: pod.env,
            resources: RESOURCES,
            securityContext: restrictedContainerSecurityContext(),
          },
        ],
      });
      new k8s.KubePod(this, name, {
        metadata: { ...metadata(ctx, name, ID, { version: pod.image.tag, annotations: { ...HELM_TEST_HOOK } }), labels: template.metadata!.labels! },
        spec: { ...template.spec!, activeDeadlineSeconds: DEADLINE_SECONDS },
      });
    }
  }
}

/** Redis: redis-cli of the render's Redis image, the password from the Redis Secret in REDISCLI_AUTH. */
function redisTest(target: Pick<ComponentPlan, 'id'>, redis: RedisConnection, image: ImageValues): TestPod {
  return {
    target,
    service: 'Redis',
    check: { kind: 'redis-ping' },
    image,
    runAs: { user: REDIS_UID },
    env: [
      { name: CHECK_ENV.redisHost, value: redis.host },
      { name: CHECK_ENV.redisPort, value: String(redis.port) },
      ...(redis.authEnabled && redis.secretName ? [secretEnv(CHECK_ENV.redisAuth, redis.secretName, redis.passwordKey)] : []),
    ],
  };
}

/**
 * PostgreSQL: psql of the render's PostgreSQL image, as the application user with its password
 * from the PostgreSQL Secret, with the sslmode the platform services connect with.
 */
function postgresqlTest(target: Pick<ComponentPlan, 'id'>, pg: PostgreSqlConnection, image: ImageValues): TestPod {
  const sslMode = postgresEnv(pg).find((e) => e.name === SERVICE_ENV.postgres.sslMode)?.value;
  return {
    target,
    service: 'PostgreSQL',
    check: { kind: 'psql-login' },
    image,
    runAs: { user: POSTGRES_UID },
    env: [
      { name: 'PGHOST', value: pg.host },
      { name: 'PGPORT', value: String(pg.port) },
      { name: 'PGDATABASE', value: pg.database },
      { name: 'PGUSER', value: pg.username },
      secretEnv('PGPASSWORD', pg.secretName, pg.passwordKey),
      ...(sslMode ? [{ name: 'PGSSLMODE', value: sslMode }] : []),
      { name: 'PGCONNECT_TIMEOUT', value: String(CHECK_TIMEOUT_SECONDS) },
      { name: 'PGAPPNAME', value: 'connection-test' },
    ],
  };
}
