import * as z from 'zod';
import { addCrossFieldIssue } from '../issues.js';
import { parseQuantity } from '../../core/quantity.js';
import { existingSecret, persistence, resources, type ResourceValues } from './common.js';
import { cronSchedule } from './cron.js';
import { CREDENTIAL_DEFAULT } from './describe.js';
import { password } from './text.js';
import { IMAGES } from './images.js';
import type { Profile } from './profile.js';
import { quantityOrNumber } from './primitives.js';
import { replicaField, sidecarExporter, sized, workloadFields } from './workload.js';

/** Smallest JVM heap the chart gives Elasticsearch, in MiB (a derived heap is raised to it; a set one must reach it). */
export const ELASTICSEARCH_MIN_HEAP_MI = 256;

/** A password of an Elasticsearch user: empty (not given) or at least 6 characters, as Elasticsearch requires. */
const elasticsearchPassword = (what: string, description: string) =>
  password(what, 'the setup Job sends it in JSON and refuses control characters, and the pods read it from a one-line setting')
    .refine((password) => password === '' || password.length >= 6, {
      error: (i) => `${what} must have at least 6 characters (Elasticsearch refuses shorter passwords), found ${String(i.input).length}`,
    })
    .default('')
    .describe(description);

/** The default of a client user's password: derived from the `elastic` one. */
const DERIVED_PASSWORD =
  '(default "": derived from password; without it, a development value in development, and in production the Secret must exist)';

/** `elasticsearch.auth.*`: X-Pack security and the passwords of the platform's Elasticsearch users, all in one Secret. */
const elasticsearchAuth = () =>
  z
    .strictObject({
      enabled: z
        .boolean()
        .default(true)
        .describe('X-Pack security: basic auth on HTTP, TLS between the nodes of a multi-node cluster (default true).'),
      password: elasticsearchPassword(
        'the elastic password',
        `Password of the elastic superuser, at least 6 characters, Secret key elastic-password; the other users' passwords derive from it ${CREDENTIAL_DEFAULT}. Elasticsearch takes it at its first start only: to change it later, change it in Elasticsearch (POST _security/user/elastic/_password), then in the Secret.`,
      ),
      kibanaPassword: elasticsearchPassword(
        'the kibana_system password',
        `Password of the built-in kibana_system user Kibana signs in as, at least 6 characters, Secret key kibana-system-password ${DERIVED_PASSWORD}.`,
      ),
      logstashPassword: elasticsearchPassword(
        'the logstash_writer password',
        `Password of the logstash_writer user Logstash writes the log indices as, at least 6 characters, Secret key logstash-writer-password ${DERIVED_PASSWORD}.`,
      ),
      existingSecret: existingSecret.describe(
        'Existing Secret with keys elastic-password, kibana-system-password, logstash-writer-password, logs-reader-password and metrics-reader-password; the chart then renders none (default: none).',
      ),
    })
    .prefault({})
    .describe('Security and the passwords of the Elasticsearch users, all in one Secret.');

/**
 * `heapSize`, when set, must be at least {@link ELASTICSEARCH_MIN_HEAP_MI} Mi and below the memory
 * limit (the request when there is no limit): the JVM also needs off-heap memory, and Lucene lives
 * on the operating system's file cache.
 */
export function refineHeapSize(v: { heapSize?: string | undefined; resources: ResourceValues }, ctx: z.RefinementCtx): void {
  if (v.heapSize === undefined) return;
  const heap = parseQuantity(v.heapSize) ?? 0;
  const memory = v.resources.limits.memory ?? v.resources.requests.memory;
  const problem =
    heap < ELASTICSEARCH_MIN_HEAP_MI * 2 ** 20
      ? `heapSize ${v.heapSize} is below ${ELASTICSEARCH_MIN_HEAP_MI}Mi (a bare number counts bytes): write a size such as 2Gi, or leave it unset for half the memory limit`
      : memory !== undefined && heap >= (parseQuantity(memory) ?? Infinity)
        ? `heapSize ${v.heapSize} is not below the memory limit ${memory} (resources.limits.memory): the JVM needs memory beside its heap; use at most half of it, or leave heapSize unset`
        : undefined;
  if (problem) addCrossFieldIssue(ctx, { path: ['heapSize'], involves: [['resources', 'limits', 'memory'], ['resources', 'requests', 'memory']], input: v.heapSize, message: problem });
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
  addCrossFieldIssue(ctx, {
    path: ['elasticsearch', 'sysctlInitContainer', 'enabled'],
    involves: [['podSecurityPolicy', 'enabled']],
    input: true,
    message:
      'the sysctl init container is privileged and runs as root, which the restricted Pod Security Standard enforced by podSecurityPolicy.enabled rejects (the Elasticsearch pods would never be created): ' +
      'leave it false (Elasticsearch then runs with node.store.allow_mmap: false), or set vm.max_map_count=262144 on the nodes yourself, or turn podSecurityPolicy.enabled off',
  });
}

/**
 * Root rule: the disk cleanup's target must lie below the disk alert's threshold, or the alert
 * that runs the cleanup would keep firing after it (and the executor would run it again at every
 * cooldown, deleting more than needed).
 */
export function refineDiskCleanupTarget(
  v: { elasticsearch: { enabled: boolean; diskCleanup: { targetPercent: number } }; alerting: { thresholds: { diskPercent: number } } },
  ctx: z.RefinementCtx,
): void {
  const target = v.elasticsearch.diskCleanup.targetPercent;
  const alert = v.alerting.thresholds.diskPercent;
  if (!v.elasticsearch.enabled || target < alert) return;
  addCrossFieldIssue(ctx, {
    path: ['elasticsearch', 'diskCleanup', 'targetPercent'],
    involves: [['alerting', 'thresholds', 'diskPercent']],
    input: target,
    message: `the disk cleanup target (${target} %) must be below the disk alert threshold alerting.thresholds.diskPercent (${alert} %), or the alert keeps firing after the cleanup: lower targetPercent or raise diskPercent`,
  });
}

/** `elasticsearch.*` */
export const elasticsearchSchema = (p: Profile) => {
  const volume = persistence(p, 'the Elasticsearch data', '10Gi', '100Gi');
  return z
    .strictObject({
      ...workloadFields(p, {
        name: 'Elasticsearch',
        image: IMAGES.elasticsearch,
        resources: { development: sized('500m', '1536Mi', '1536Mi'), production: sized('1', '4Gi', '4Gi') },
      }),
      ...replicaField(p, 1, 3, '1 forms a single-node cluster'),
      /** Without a limit, the default is half the memory request; at most 31Gi keeps compressed object pointers. */
      heapSize: quantityOrNumber
        .optional()
        .describe('JVM heap (-Xms = -Xmx), at least 256Mi and below the memory limit (default: half the memory limit, at least 256Mi, at most 31Gi).'),
      auth: elasticsearchAuth(),
      retentionDays: z
        .number()
        .int()
        .min(1)
        .max(36500, { error: (i) => `expected at most 36500 days (100 years), found ${String(i.input)}` })
        .default(p.pick(7, 30))
        .describe('Delete log indices older than this many days (default 7; production 30).'),
      setup: z
        .strictObject({
          schedule: cronSchedule
            .default('0 */6 * * *')
            .describe('Cron schedule of the CronJob that re-applies the setup, correcting drift (default 0 */6 * * *: every 6 hours).'),
          resources: resources(p, 'the setup container, a few curl calls', sized('10m', '32Mi', '64Mi')),
        })
        .prefault({})
        .describe('The setup Job (after every install and upgrade) and CronJob that apply the ILM policy, the index template and the users.'),
      diskCleanup: z
        .strictObject({
          targetPercent: z
            .number()
            .int()
            .min(50)
            .max(95)
            .default(80)
            .describe(
              'The Job deletes log indices until the data volumes are at most this full, in whole percent from 50 to 95, below alerting.thresholds.diskPercent (default 80: under the 85 % low disk watermark of Elasticsearch).',
            ),
          maxIndicesPerRun: z
            .number()
            .int()
            .min(1)
            .max(100)
            .default(5)
            .describe('At most this many indices deleted by one run, 1 to 100 (default 5).'),
        })
        .prefault({})
        .describe(
          'The disk cleanup Job the self-healing executor runs on ElasticsearchDiskAlmostFull: deletes the oldest daily log indices beyond what fits under targetPercent, never today\'s or the newest one.',
        ),
      sysctlInitContainer: z
        .strictObject({
          /** Not allowed with podSecurityPolicy.enabled (the restricted standard rejects it). */
          enabled: z
            .boolean()
            .default(false)
            .describe('Privileged init container (root) that raises vm.max_map_count to 262144 so Elasticsearch may mmap its indices; false runs with node.store.allow_mmap false (default false).'),
        })
        .prefault({})
        .describe('The privileged sysctl init container; not allowed with podSecurityPolicy.enabled.'),
      transportCaJob: z
        .strictObject({ resources: resources(p, 'the Job\'s elasticsearch-certutil container', sized('100m', '256Mi', '512Mi')) })
        .prefault({})
        .describe('The Job that creates the CA of the transport TLS certificates (security on and more than one replica).'),
      exporter: sidecarExporter(p, 'elasticsearch_exporter', IMAGES.elasticsearchExporter),
      ...volume.fields,
    })
    .superRefine(refineHeapSize)
    .prefault({})
    .transform(volume.resolve)
    .describe('Elasticsearch, the log store (a StatefulSet).');
};
