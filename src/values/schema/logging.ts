import { z } from 'zod';
import { parseQuantity } from '../../lib/quantity.js';
import { existingSecret, persistenceFields, resolvePersistence, resources, type ResourceValues } from './common.js';
import { IMAGES } from './images.js';
import type { Profile } from './profile.js';
import { quantityOrNumber } from './primitives.js';
import { autoscaling, replicaField, sidecarExporter, sized, withMinReplicas, workloadFields } from './workload.js';

/** Smallest JVM heap the chart gives Elasticsearch, in MiB (a derived heap is raised to it; a set one must reach it). */
export const ELASTICSEARCH_MIN_HEAP_MI = 256;

/** A password of an Elasticsearch user: empty (not given) or at least 6 characters, as Elasticsearch requires. */
const elasticsearchPassword = (what: string, key: string) =>
  z
    .string()
    .refine((password) => password === '' || password.length >= 6, {
      error: (i) => `${what} must have at least 6 characters (Elasticsearch refuses shorter passwords), found ${String(i.input).length}`,
    })
    .default('')
    .describe(`${what} (Secret key ${key}; default: a development password in development; in production the Secret must exist)`);

/** `elasticsearch.auth.*`: X-Pack security and the passwords of the platform's three Elasticsearch users, all in one Secret. */
const elasticsearchAuth = () =>
  z
    .strictObject({
      /** X-Pack security: basic auth on HTTP, TLS between the nodes of a multi-node cluster (default true). */
      enabled: z.boolean().default(true).describe('X-Pack security with the elastic user (default true)'),
      /** Password of the `elastic` superuser, used only by the setup Job and the metrics exporter (Secret key elastic-password). */
      password: elasticsearchPassword('the elastic password', 'elastic-password'),
      /** Password of the built-in `kibana_system` user that Kibana signs in as (Secret key kibana-system-password). */
      kibanaPassword: elasticsearchPassword('the kibana_system password', 'kibana-system-password'),
      /** Password of the `logstash_writer` user that Logstash writes the log indices as (Secret key logstash-writer-password). */
      logstashPassword: elasticsearchPassword('the logstash_writer password', 'logstash-writer-password'),
      /** Existing Secret holding all three passwords; the chart then renders none. */
      existingSecret: existingSecret.describe('existing Secret with keys elastic-password, kibana-system-password and logstash-writer-password'),
    })
    .prefault({});

/**
 * `heapSize`, when set, must be at least {@link ELASTICSEARCH_MIN_HEAP_MI} Mi and below the memory
 * limit (the request when there is no limit): the JVM also needs off-heap memory, and Lucene lives
 * on the operating system's file cache.
 */
function refineHeapSize(v: { heapSize?: string | undefined; resources: ResourceValues }, ctx: z.RefinementCtx): void {
  if (v.heapSize === undefined) return;
  const heap = parseQuantity(v.heapSize) ?? 0;
  const memory = v.resources.limits.memory ?? v.resources.requests.memory;
  const problem =
    heap < ELASTICSEARCH_MIN_HEAP_MI * 2 ** 20
      ? `heapSize ${v.heapSize} is below ${ELASTICSEARCH_MIN_HEAP_MI}Mi (a bare number counts bytes): write a size such as 2Gi, or leave it unset for half the memory limit`
      : memory !== undefined && heap >= (parseQuantity(memory) ?? Infinity)
        ? `heapSize ${v.heapSize} is not below the memory limit ${memory} (resources.limits.memory): the JVM needs memory beside its heap; use at most half of it, or leave heapSize unset`
        : undefined;
  if (problem) ctx.addIssue({ code: 'custom', path: ['heapSize'], input: v.heapSize, message: problem });
}

/**
 * Root rule: the privileged sysctl init container of Elasticsearch cannot run in a namespace that
 * enforces the restricted Pod Security Standard (`podSecurityPolicy.enabled`): its pods would be rejected.
 */
export function refineElasticsearchSysctl(
  v: { elasticsearch: { enabled: boolean; sysctlInitContainer: { enabled: boolean } }; podSecurityPolicy: { enabled: boolean } },
  ctx: z.RefinementCtx,
): void {
  if (!v.elasticsearch.enabled || !v.elasticsearch.sysctlInitContainer.enabled || !v.podSecurityPolicy.enabled) return;
  ctx.addIssue({
    code: 'custom',
    path: ['elasticsearch', 'sysctlInitContainer', 'enabled'],
    input: true,
    message:
      'the sysctl init container is privileged and runs as root, which the restricted Pod Security Standard enforced by podSecurityPolicy.enabled rejects (the Elasticsearch pods would never be created): ' +
      'leave it false (Elasticsearch then runs with node.store.allow_mmap: false), or set vm.max_map_count=262144 on the nodes yourself, or turn podSecurityPolicy.enabled off',
  });
}

/** `elasticsearch.*` */
export const elasticsearchSchema = (p: Profile) =>
  z
    .strictObject({
      ...workloadFields(p, {
        image: IMAGES.elasticsearch,
        resources: { development: sized('500m', '2Gi', '2Gi'), production: sized('1', '4Gi', '4Gi') },
      }),
      ...replicaField(p, 1, 3),
      /**
       * JVM heap (-Xms = -Xmx), at least 256Mi and below the memory limit. Default: half the memory
       * limit (of the request without a limit), at least 256Mi, at most 31Gi (compressed object pointers).
       */
      heapSize: quantityOrNumber.optional().describe('JVM heap, at least 256Mi and below the memory limit (default: half the memory limit, at most 31Gi)'),
      auth: elasticsearchAuth(),
      /** Delete log indices older than this many days (default 7 in development, 30 in production). */
      retentionDays: z.number().int().min(1).default(p.pick(7, 30)),
      /**
       * The setup Job (after every install/upgrade) and CronJob that apply the ILM policy, the index
       * template, the kibana_system password and the logstash_writer user.
       */
      setup: z
        .strictObject({
          /** Cron schedule of the CronJob that re-applies the setup, correcting drift (default every 6 hours). */
          schedule: z
            .string()
            .regex(/^(@(yearly|annually|monthly|weekly|daily|midnight|hourly)|\S+( \S+){4})$/, {
              error: 'expected a cron schedule of five fields ("0 */6 * * *") or a macro such as @daily',
            })
            .default('0 */6 * * *'),
          /** Resources of the setup container: a few curl calls (default requests 10m/32Mi, memory limit 64Mi). */
          resources: resources(sized('10m', '32Mi', '64Mi')),
        })
        .prefault({}),
      sysctlInitContainer: z
        .strictObject({
          /**
           * Privileged init container (root) that raises the node's vm.max_map_count to 262144 so
           * Elasticsearch may memory-map its indices (default false: node.store.allow_mmap is false
           * and no privileged container runs). Not allowed with podSecurityPolicy.enabled.
           */
          enabled: z
            .boolean()
            .default(false)
            .describe('privileged init container raising vm.max_map_count (default false: node.store.allow_mmap false)'),
        })
        .prefault({}),
      /**
       * The Job that creates the CA of the transport TLS certificates (security on and more than one
       * replica): one elasticsearch-certutil run (default requests 100m/256Mi, memory limit 512Mi).
       */
      transportCaJob: z.strictObject({ resources: resources(sized('100m', '256Mi', '512Mi')) }).prefault({}),
      exporter: sidecarExporter(p, IMAGES.elasticsearchExporter),
      ...persistenceFields,
    })
    .superRefine(refineHeapSize)
    .prefault({})
    .transform((v, ctx) => resolvePersistence(v, p.pick('10Gi', '100Gi'), ctx));

/** `logstash.*`: the beats → Elasticsearch pipeline. */
export const logstashSchema = (p: Profile) =>
  z
    .strictObject({
      ...workloadFields(p, {
        image: IMAGES.logstash,
        resources: { development: sized('250m', '1Gi', '1Gi'), production: sized('1', '2Gi', '2Gi') },
      }),
      /** Pods (default 1 in development, 2 in production); with autoscaling on, the HPA's default lower bound instead. */
      ...replicaField(p, 1, 2),
      /**
       * JVM heap (-Xms = -Xmx), at least 256Mi and below the memory limit. Default: half the memory
       * limit (of the request without a limit).
       */
      heapSize: quantityOrNumber.optional(),
      /**
       * HorizontalPodAutoscaler on CPU and memory utilisation (default off in development, on in
       * production; maxReplicas 2 in development, 6 in production; minReplicas default: replicas).
       */
      autoscaling: autoscaling(p, { development: 2, production: 6 }),
    })
    .superRefine(refineHeapSize)
    .prefault({})
    .transform(withMinReplicas);

/**
 * `filebeat.*`: the node log shipper, a DaemonSet in the node agents' namespace. Its pods run on
 * the nodes the scheduling keys allow: add `tolerations` to collect the logs of tainted
 * (control-plane, dedicated) nodes too.
 */
export const filebeatSchema = (p: Profile) =>
  z
    .strictObject(
      workloadFields(p, {
        image: IMAGES.filebeat,
        resources: { development: sized('50m', '100Mi', '200Mi'), production: sized('100m', '200Mi', '400Mi') },
      }),
    )
    .prefault({});

/** A Kibana encryption key: empty (not given) or at least 32 characters, as Kibana requires. */
const kibanaEncryptionKey = (what: string) =>
  z
    .string()
    .refine((key) => key === '' || key.length >= 32, {
      error: (i) => `${what} must have at least 32 characters (Kibana refuses shorter keys), found ${String(i.input).length}`,
    })
    .default('')
    .describe(`${what}: at least 32 characters (default: a development key in development; in production the Secret must exist)`);

/** `kibana.*`: the Node.js heap is 75 % of `resources.limits.memory` (NODE_OPTIONS --max-old-space-size). */
export const kibanaSchema = (p: Profile) =>
  z
    .strictObject({
      ...workloadFields(p, {
        image: IMAGES.kibana,
        resources: { development: sized('100m', '1Gi', '1Gi'), production: sized('500m', '2Gi', '2Gi') },
      }),
      ...replicaField(p, 1, 2),
      /**
       * Encryption keys, the same on every replica and across restarts (sessions survive a change of
       * pod, encrypted saved objects stay readable). Default: development keys in development; in
       * production the Secret must exist (existingSecret or secrets.external).
       */
      encryptionKeys: z
        .strictObject({
          /** xpack.security.encryptionKey: session cookies (Secret key security-encryption-key). */
          security: kibanaEncryptionKey('the session encryption key'),
          /** xpack.encryptedSavedObjects.encryptionKey: alerting rules, connectors (Secret key saved-objects-encryption-key). */
          savedObjects: kibanaEncryptionKey('the saved objects encryption key'),
          /** xpack.reporting.encryptionKey: report jobs (Secret key reporting-encryption-key). */
          reporting: kibanaEncryptionKey('the reporting encryption key'),
        })
        .prefault({}),
      /** Existing Secret with keys security-encryption-key, saved-objects-encryption-key and reporting-encryption-key. */
      existingSecret,
    })
    .prefault({});
