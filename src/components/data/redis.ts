import { k8s } from '../../lib/k8s.js';
import { Construct } from 'constructs';
import { checksum } from '../../lib/config-files.js';
import { baseContainer } from '../../lib/container.js';
import { createDisruptionBudget } from '../../lib/disruption.js';
import { metadata } from '../../lib/metadata.js';
import { serviceHost } from '../../lib/names.js';
import { fieldEnv, podTemplate, scrapeAnnotations, secretEnv } from '../../lib/pod.js';
import { execAction, probes } from '../../lib/probes.js';
import { createService } from '../../lib/service.js';
import { createStatefulSet } from '../../lib/statefulset.js';
import { emptyDirVolume } from '../../lib/storage.js';
import { CATALOG } from '../../plan/catalog.js';
import type { ComponentProps } from '../../plan/component.js';
import { redisPlan, type RedisPlan } from '../../plan/data.js';
import type { Values } from '../../values/schema/index.js';
import { CredentialSecret } from '../shared/credential-secret.js';
import { exporterSidecar } from '../shared/exporter-sidecar.js';
import { RedisClusterJob } from './redis-cluster-job.js';
import {
  REDIS_BUS_PORT,
  REDIS_CONF_DIR,
  REDIS_DATA_DIR,
  REDIS_PORT,
  REDIS_RUN_DIR,
  REDIS_UID,
  redisConf,
} from './redis-config.js';
import { redisAuthScript, redisClusterStartScript } from './redis-scripts.js';

/** Props of {@link Redis}. */
export type RedisProps = ComponentProps<Values['redis'], RedisPlan>;


/** How other components reach Redis. */
export interface RedisConnection {
  /** Fully qualified host of the client Service. */
  readonly host: string;
  /** Client port (6379). */
  readonly port: number;
  /** Secret holding the password under {@link passwordKey}; undefined when auth is disabled. */
  readonly secretName?: string | undefined;
  /** Key of the password in the Secret (`redis-password`). */
  readonly passwordKey: string;
  /** Whether clients must authenticate (`redis.auth.enabled`, default true). */
  readonly authEnabled: boolean;
  /** Whether Redis runs as a Redis Cluster (`redis.cluster.enabled`, default false): clients must follow MOVED redirects. */
  readonly clusterMode: boolean;
}

const { id: ID, exporterPort: EXPORTER_PORT } = CATALOG.redis;
const PASSWORD_KEY = 'redis-password';

/**
 * Redis on the official `redis` image: StatefulSet `<release>-redis` (standalone: one pod; cluster
 * mode: `cluster.nodes` pods formed into a Redis Cluster by {@link RedisClusterJob}, started by
 * {@link redisClusterStartScript}, which re-meets peers after a restart on new IPs), headless and
 * client Services, password from a Secret written into an in-memory auth.conf at pod start,
 * redis_exporter sidecar on 9121.
 */
export class Redis extends Construct {
  readonly connection: RedisConnection;

  constructor(scope: Construct, id: string, props: RedisProps) {
    super(scope, id);
    const { ctx, values } = props;
    const plan = props.plan ?? redisPlan(ctx, values);
    const { name, headless } = plan;
    const version = values.image.tag;
    const cluster = plan.clusterMode;

    const secretName = values.auth.enabled
      ? new CredentialSecret(this, 'credentials', {
          ctx,
          name,
          id: ID,
          existingSecret: values.auth.existingSecret,
          existingSecretPath: 'redis.auth.existingSecret',
          entries: [{ key: PASSWORD_KEY, value: values.auth.password, valuesPath: 'redis.auth.password' }],
        }).secretName
      : undefined;
    const passwordEnv = (envName: string) => (secretName ? [secretEnv(envName, secretName, PASSWORD_KEY)] : []);

    const config = { 'redis.conf': redisConf(values, ctx.global.logLevel) };
    new k8s.KubeConfigMap(this, 'config', { metadata: metadata(ctx, name, ID, { version }), data: config });

    const ports = [{ name: 'redis', port: REDIS_PORT }, ...(cluster ? [{ name: 'bus', port: REDIS_BUS_PORT }] : [])];
    const server = ['redis-server', `${REDIS_CONF_DIR}/redis.conf`];
    const redis: k8s.Container = {
      ...baseContainer(ctx, 'redis', values),
      // Cluster mode: the start-up script re-meets peers that restarted on new IPs, then execs
      // redis-server; Kubernetes expands $(POD_IP), so a restarted pod announces its new IP.
      ...(cluster
        ? {
            command: ['sh', '-c', redisClusterStartScript(serviceHost(ctx, headless)), 'redis-cluster-start'],
            args: [...server, '--cluster-announce-ip', '$(POD_IP)'],
          }
        : { command: server }),
      ports: ports.map((p) => ({ name: p.name, containerPort: p.port, protocol: 'TCP' })),
      // redis-cli reads REDISCLI_AUTH, so the probes never put the password on a command line.
      env: [...(cluster ? [fieldEnv('POD_IP', 'status.podIP')] : []), ...passwordEnv('REDISCLI_AUTH')],
      ...probes(execAction(['sh', '-c', `redis-cli -h 127.0.0.1 -p ${REDIS_PORT} ping | grep -q PONG`]), { startupSeconds: 120 }),
      volumeMounts: [
        { name: 'data', mountPath: REDIS_DATA_DIR },
        { name: 'config', mountPath: REDIS_CONF_DIR, readOnly: true },
        { name: 'run', mountPath: REDIS_RUN_DIR },
        { name: 'tmp', mountPath: '/tmp' },
      ],
    };

    const containers = [redis];
    if (plan.exporter) {
      containers.push(
        exporterSidecar(ctx, {
          values: values.exporter,
          port: EXPORTER_PORT,
          env: [
            { name: 'REDIS_ADDR', value: `redis://127.0.0.1:${REDIS_PORT}` },
            ...passwordEnv('REDIS_PASSWORD'),
            ...(cluster ? [{ name: 'REDIS_EXPORTER_IS_CLUSTER', value: 'true' }] : []),
          ],
          // redis_exporter answers `ok` on /health without touching Redis.
          healthPath: '/health',
        }),
      );
    }

    const initContainers: k8s.Container[] = secretName
      ? [
          {
            ...baseContainer(ctx, 'auth-config', values),
            command: ['sh', '-c', redisAuthScript()],
            env: passwordEnv('REDIS_PASSWORD'),
            volumeMounts: [{ name: 'run', mountPath: REDIS_RUN_DIR }],
          },
        ]
      : [];

    const template = podTemplate(ctx, {
      priority: 'critical',
      maxReplicas: values.cluster.enabled ? values.cluster.nodes : 1,
      id: ID,
      version,
      scheduling: values,
      runAs: { user: REDIS_UID },
      initContainers,
      containers,
      volumes: [
        { name: 'config', configMap: { name, defaultMode: 0o444 } },
        emptyDirVolume('run', { memory: true, sizeLimit: '1Mi' }),
        emptyDirVolume('tmp', { sizeLimit: '64Mi' }),
        ...(values.persistence.enabled ? [] : [emptyDirVolume('data')]),
      ],
      annotations: {
        'checksum/config': checksum(config),
        ...(plan.exporter ? scrapeAnnotations(EXPORTER_PORT) : {}),
      },
      terminationGracePeriodSeconds: 30,
    });

    createStatefulSet(this, ctx, {
      name,
      id: ID,
      version,
      serviceName: headless,
      replicas: cluster ? values.cluster.nodes : 1,
      // Cluster nodes must all start before the Job can form the cluster.
      podManagementPolicy: cluster ? 'Parallel' : 'OrderedReady',
      template,
      persistence: values.persistence,
    });

    createService(this, 'headless', ctx, { name: headless, id: ID, ports, headless: true, publishNotReadyAddresses: true });
    createService(this, 'service', ctx, {
      name,
      id: ID,
      ports: [{ name: 'redis', port: REDIS_PORT }, ...(plan.exporter ? [{ name: 'metrics', port: EXPORTER_PORT }] : [])],
    });
    if (!ctx.development || cluster) createDisruptionBudget(this, ctx, name, ID);

    if (cluster) {
      if (!values.persistence.enabled) {
        ctx.warn(
          'redis.cluster.enabled with redis.persistence.enabled false: a restarted node loses its nodes.conf and data and must be re-added to the cluster by hand; enable persistence',
        );
      }
      new RedisClusterJob(this, 'cluster-init', {
        ctx,
        values,
        statefulSetName: name,
        headlessServiceName: headless,
        secretName,
        passwordKey: PASSWORD_KEY,
      });
    }

    this.connection = {
      host: plan.host,
      port: REDIS_PORT,
      secretName,
      passwordKey: PASSWORD_KEY,
      authEnabled: values.auth.enabled,
      clusterMode: cluster,
    };
  }
}
