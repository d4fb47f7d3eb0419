import { k8s } from '../../lib/k8s.js';
import { Construct } from 'constructs';
import { createAutoscaler } from '../../lib/autoscaling.js';
import { checksum } from '../../lib/config-files.js';
import { baseContainer } from '../../lib/container.js';
import { createDisruptionBudget } from '../../lib/disruption.js';
import { jvmHeapMi, jvmHeapOptions } from '../../lib/jvm.js';
import { metadata } from '../../lib/metadata.js';
import { podTemplate, secretEnv } from '../../lib/pod.js';
import { httpAction, probes, tcpAction } from '../../lib/probes.js';
import { createService } from '../../lib/service.js';
import { emptyDirVolume } from '../../lib/storage.js';
import { createDeployment } from '../../lib/workloads.js';
import { CATALOG } from '../../plan/catalog.js';
import type { ComponentProps, ServedPlan } from '../../plan/component.js';
import { servedComponent } from '../../plan/served.js';
import type { Values } from '../../values/schema/index.js';
import type { ElasticsearchConnection } from './connection.js';
import { LOGSTASH_WRITER_PASSWORD_ENV, logstashPipeline, logstashYml, renderLogstashPipeline } from './logstash-config.js';

/** Props of {@link Logstash}. */
export interface LogstashProps extends ComponentProps<Values['logstash'], ServedPlan> {
  /** The Elasticsearch cluster Logstash writes the log indices to. */
  readonly elasticsearch: ElasticsearchConnection;
}

/** How the log shipper reaches Logstash. */
export interface LogstashConnection {
  /** Service name, `<release>-logstash`. */
  readonly serviceName: string;
  /** Fully qualified Service host. */
  readonly host: string;
  /** Port of the Beats input. */
  readonly beatsPort: typeof BEATS_PORT;
}

const { id: ID, beatsPort: BEATS_PORT, apiPort: API_PORT } = CATALOG.logstash;
/** uid/gid of the `logstash` user of the official image (its files belong to 1000:0, so the owner bits apply). */
const LOGSTASH_UID = 1000;
const HOME = '/usr/share/logstash';
const DATA_DIR = `${HOME}/data`;

/**
 * Logstash on the official image: Deployment and Service `<release>-logstash` (beats 5044, the
 * monitoring API 9600 named http), a pipeline from Beats to the daily indices of Elasticsearch
 * (see {@link logstashPipeline}), with the `logstash_writer` password read from the Elasticsearch
 * Secret into LOGSTASH_WRITER_PASSWORD (secretKeyRef), never written into the ConfigMap.
 *
 * - Heap: LS_JAVA_OPTS `-Xms -Xmx` (later on the JVM command line than jvm.options' 1g, so they
 *   win), half the memory limit unless `heapSize` is set.
 * - Restricted profile, uid 1000, read-only root filesystem. Logstash writes only to data/ (uuid,
 *   lock; the queue is in memory) and /tmp (JRuby's native stubs, JVM perf data): emptyDirs. The
 *   image logs to the console only (its log4j2.properties has no file appender), so logs/ stays
 *   read-only; so does the working directory, where a heap dump on OutOfMemoryError would go (a
 *   dump the size of the heap would fill the node's disk anyway). logstash.yml and the
 *   pipeline are single files (subPath) over the image's defaults; the image's entrypoint rewrites
 *   logstash.yml only when an environment variable is named like a setting (PIPELINE_WORKERS …),
 *   which none of ours is.
 * - Probes: readiness is the beats port open (the pipeline's input runs); startup (up to ten
 *   minutes for the slow JRuby start) and liveness are GET / on the API (node info, served from
 *   the agent's start, before the pipeline runs: too early for readiness).
 * - `autoscaling.enabled`: an HPA on CPU only owns the replica count (the Deployment leaves
 *   `replicas` unset). Not on memory: the heap is fixed (-Xms = -Xmx) and the JVM never gives it
 *   back, so memory use never falls and an HPA on it would climb to maxReplicas and stay there.
 *   Pipeline metrics (events in/out, queue) would need a custom-metrics adapter. PDB outside development.
 * - Not scraped: Logstash has no Prometheus endpoint of its own (its API serves JSON), so the pods
 *   carry no scrape annotations.
 */
export class Logstash extends Construct {
  readonly connection: LogstashConnection;

  constructor(scope: Construct, id: string, props: LogstashProps) {
    super(scope, id);
    const { ctx, values, elasticsearch: es } = props;
    const plan = props.plan ?? servedComponent(ctx, ID, BEATS_PORT);
    const { name } = plan;
    const version = values.image.tag;
    if (es.authEnabled && !es.secretName) {
      throw new Error('ElasticsearchConnection has authEnabled but no secretName: Logstash has no logstash_writer password to read');
    }

    const config = {
      'logstash.yml': logstashYml(ctx.global.logLevel, DATA_DIR, API_PORT),
      'logstash.conf': renderLogstashPipeline(logstashPipeline(es, BEATS_PORT)),
    };
    new k8s.KubeConfigMap(this, 'config', { metadata: metadata(ctx, name, ID, { version }), data: config });

    const container: k8s.Container = {
      ...baseContainer(ctx, 'logstash', values),
      ports: [
        { name: 'beats', containerPort: BEATS_PORT, protocol: 'TCP' },
        { name: 'http', containerPort: API_PORT, protocol: 'TCP' },
      ],
      env: [
        { name: 'LS_JAVA_OPTS', value: jvmHeapOptions(jvmHeapMi(values.resources, values.heapSize, {}, 'logstash')) },
        ...(es.authEnabled && es.secretName ? [secretEnv(LOGSTASH_WRITER_PASSWORD_ENV, es.secretName, es.keys.logstashWriter)] : []),
      ],
      // Ready only once the beats input listens (the pipeline runs): the API at / answers as soon
      // as the agent starts, while the pipeline still compiles, and keeps answering if it stops.
      ...probes(tcpAction('beats'), { startupSeconds: 600, startupAction: httpAction('/', 'http'), livenessAction: httpAction('/', 'http') }),
      volumeMounts: [
        { name: 'config', mountPath: `${HOME}/config/logstash.yml`, subPath: 'logstash.yml', readOnly: true },
        { name: 'config', mountPath: `${HOME}/pipeline/logstash.conf`, subPath: 'logstash.conf', readOnly: true },
        { name: 'data', mountPath: DATA_DIR },
        { name: 'tmp', mountPath: '/tmp' },
      ],
    };

    const template = podTemplate(ctx, {
      maxReplicas: values.autoscaling.enabled ? values.autoscaling.maxReplicas : values.replicas,
      id: ID,
      version,
      scheduling: values,
      runAs: { user: LOGSTASH_UID },
      containers: [container],
      volumes: [
        { name: 'config', configMap: { name } },
        emptyDirVolume('data', { sizeLimit: '1Gi' }),
        emptyDirVolume('tmp', { sizeLimit: '256Mi' }),
      ],
      annotations: { 'checksum/config': checksum(config) },
      // Time to flush the in-memory queue to Elasticsearch on shutdown.
      terminationGracePeriodSeconds: 60,
    });

    const autoscaled = values.autoscaling.enabled;
    createDeployment(this, ctx, { name, id: ID, version, template, replicas: autoscaled ? undefined : values.replicas });
    if (autoscaled) createAutoscaler(this, ctx, { name, id: ID, autoscaling: values.autoscaling });
    if (!ctx.development) createDisruptionBudget(this, ctx, name, ID);
    createService(this, 'service', ctx, {
      name,
      id: ID,
      ports: [
        { name: 'beats', port: BEATS_PORT },
        { name: 'http', port: API_PORT },
      ],
    });

    this.connection = { serviceName: name, host: plan.host, beatsPort: BEATS_PORT };
  }
}
