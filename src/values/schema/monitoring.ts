import { z } from 'zod';
import { parseQuantity } from '../../lib/quantity.js';
import { existingSecret, persistenceFields, resolvePersistence, schedulingFields, type PersistenceValues } from './common.js';
import { IMAGES } from './images.js';
import type { Profile } from './profile.js';
import { percent, port, promDuration, quantityOrNumber, stringMap } from './primitives.js';
import { replicaField, sized, workloadFields } from './workload.js';

/** `prometheus.*` */
export const prometheusSchema = (p: Profile) =>
  z
    .strictObject({
      ...workloadFields(p, {
        image: IMAGES.prometheus,
        resources: { development: sized('200m', '512Mi', '1Gi'), production: sized('1', '2Gi', '4Gi') },
      }),
      ...replicaField(p, 1, 1),
      /** Time-based retention (default 15d). */
      retention: promDuration.default('15d'),
      /**
       * Size-based retention bound, a Kubernetes quantity such as 40Gi (the oldest blocks are
       * deleted above it, so the volume cannot fill); at most the volume size. Default: 85 % of
       * `persistence.size`, rounded down to whole Mi.
       */
      retentionSize: quantityOrNumber.optional(),
      /** Scrape interval (default 30s). */
      scrapeInterval: promDuration.default('30s'),
      /** Rule evaluation interval (default 30s). */
      evaluationInterval: promDuration.default('30s'),
      ...persistenceFields,
    })
    .prefault({})
    .transform((v, ctx) => resolveRetentionSize(resolvePersistence(v, p.pick('8Gi', '50Gi'), ctx), ctx));

/**
 * Share of the volume that size-based retention fills by default (the bound counts blocks, WAL
 * and head chunks). The rest is head-room: retention deletes whole blocks (the largest spans up
 * to 10 % of the retention time), so usage overshoots the bound until the oldest block goes; a
 * compaction writes its new block before it deletes the blocks it merged; and the filesystem keeps
 * some space of its own.
 */
const PROMETHEUS_RETENTION_SHARE = 0.85;

/** Fills in the default `retentionSize` (see {@link PROMETHEUS_RETENTION_SHARE}) and checks a given one against the volume. */
function resolveRetentionSize<T extends { retentionSize?: string | undefined; persistence: PersistenceValues }>(
  v: T,
  ctx: z.RefinementCtx,
): T & { retentionSize: string } {
  const volume = parseQuantity(v.persistence.size) ?? 0;
  if (v.retentionSize === undefined) {
    return { ...v, retentionSize: `${Math.max(1, Math.floor((volume * PROMETHEUS_RETENTION_SHARE) / 2 ** 20))}Mi` };
  }
  const size = parseQuantity(v.retentionSize) ?? 0;
  const problem =
    size > volume
      ? `retentionSize ${v.retentionSize} is above the volume size ${v.persistence.size} (persistence.size): the disk would fill before retention deletes anything; use at most ${v.persistence.size}, or leave retentionSize unset for ${PROMETHEUS_RETENTION_SHARE * 100} % of the volume`
      : size < 2 ** 20
        ? `retentionSize ${v.retentionSize} is below 1Mi (0 would turn size-based retention off); use a size such as 40Gi, or leave it unset for ${PROMETHEUS_RETENTION_SHARE * 100} % of the volume`
        : undefined;
  if (problem) ctx.addIssue({ code: 'custom', path: ['retentionSize'], input: v.retentionSize, message: problem });
  return { ...v, retentionSize: v.retentionSize };
}

/** An `http(s)://host…` URL, or empty (not given). */
const optionalHttpUrl = z.string().regex(/^(https?:\/\/[^\s/]+\S*)?$/, {
  error: (issue) => `expected an http(s) URL such as https://hooks.example.com/…, found "${String(issue.input)}"`,
});

/** `alertmanager.receivers.email.*`: notifications by SMTP (the SMTP settings become alertmanager.yml's global smtp_*). */
const emailReceiver = z
  .strictObject({
    /** Send alert notifications by email (default false). */
    enabled: z.boolean().default(false),
    /** Recipient address(es), comma-separated; required when enabled. */
    to: z.string().default(''),
    /** Sender address; required when enabled. */
    from: z.string().default(''),
    /** SMTP host:port, e.g. smtp.example.com:587; required when enabled. */
    smarthost: z.string().default(''),
    /** SMTP auth user; empty sends without authentication (default ""). */
    username: z.string().default(''),
    /** SMTP password, used with `username` (kept in a Secret, key smtp-password; default "": development password in development). */
    password: z.string().default(''),
    /** Require STARTTLS with the smarthost (default true); false only for a trusted local relay. */
    requireTls: z.boolean().default(true),
  })
  .superRefine((email, ctx) => {
    if (!email.enabled) return;
    for (const key of ['to', 'from', 'smarthost'] as const) {
      if (!email[key]) ctx.addIssue({ code: 'custom', path: [key], input: email[key], message: `${key} is required when the email receiver is enabled` });
    }
    if (email.smarthost && !/^[^\s:]+:\d+$/.test(email.smarthost)) {
      ctx.addIssue({ code: 'custom', path: ['smarthost'], input: email.smarthost, message: `expected host:port such as smtp.example.com:587, found "${email.smarthost}"` });
    }
  })
  .prefault({});

/** `alertmanager.receivers.slack.*`: notifications to a Slack incoming webhook. */
const slackReceiver = z
  .strictObject({
    /** Send alert notifications to Slack (default false). */
    enabled: z.boolean().default(false),
    /** Incoming-webhook URL (a credential: kept in a Secret, key slack-api-url; or give it through existingSecret). */
    apiUrl: optionalHttpUrl.default(''),
    /** Channel override (default #aiops-alerts). */
    channel: z.string().default('#aiops-alerts'),
  })
  .prefault({});

/** `alertmanager.receivers.webhook.*`: notifications POSTed to an HTTP endpoint of your own. */
const webhookReceiver = z
  .strictObject({
    /** POST alert notifications to `url` (default false). */
    enabled: z.boolean().default(false),
    /** Endpoint URL (may carry a token, so kept in a Secret, key webhook-url; or give it through existingSecret). */
    url: optionalHttpUrl.default(''),
  })
  .prefault({});

/** `alertmanager.*` */
export const alertmanagerSchema = (p: Profile) =>
  z
    .strictObject({
      ...workloadFields(p, {
        image: IMAGES.alertmanager,
        resources: { development: sized('20m', '64Mi', '128Mi'), production: sized('100m', '256Mi', '512Mi') },
      }),
      /** Alertmanager peers (default 1 in development, 3 in production); more than 1 forms a gossip cluster. */
      ...replicaField(p, 1, 3),
      /** Root route of the notification tree. */
      route: z
        .strictObject({
          /** Labels that group alerts into one notification (default [alertname, namespace, component]). */
          groupBy: z.array(z.string()).default(['alertname', 'namespace', 'component']),
          /** Wait before the first notification of a new group (default 30s). */
          groupWait: promDuration.default('30s'),
          /** Wait before notifying about new alerts of a group already notified (default 5m). */
          groupInterval: promDuration.default('5m'),
          /** Wait before repeating a notification that is still firing (default 4h). */
          repeatInterval: promDuration.default('4h'),
        })
        .prefault({}),
      /** Where people are notified; with none enabled, alerts are only visible in the UI (and sent to the self-healing executor). */
      receivers: z
        .strictObject({ email: emailReceiver, slack: slackReceiver, webhook: webhookReceiver })
        .prefault({}),
      /** Existing Secret with the receiver credentials of the enabled receivers (keys smtp-password, slack-api-url, webhook-url). */
      existingSecret,
      ...persistenceFields,
    })
    .prefault({})
    .transform((v, ctx) => resolvePersistence(v, '2Gi', ctx));

/** `grafana.*` */
export const grafanaSchema = (p: Profile) =>
  z
    .strictObject({
      ...workloadFields(p, {
        image: IMAGES.grafana,
        resources: { development: sized('50m', '128Mi', '256Mi'), production: sized('250m', '256Mi', '512Mi') },
      }),
      /**
       * Replicas (default 1). Each replica keeps its own embedded SQLite database (users, sessions,
       * stars): more than one needs `persistence.enabled: false` and sticky sessions at the Ingress.
       */
      ...replicaField(p, 1, 1),
      /** Admin user (default admin). */
      adminUser: z.string().min(1).default('admin'),
      /**
       * Admin password (default: development password in development; in production the Secret must
       * exist). Grafana sets it when it creates its database: later changes need `grafana cli admin reset-admin-password`.
       */
      adminPassword: z.string().default(''),
      /** Existing Secret with keys admin-user and admin-password. */
      existingSecret,
      ...persistenceFields,
    })
    .prefault({})
    .transform((v, ctx) => resolvePersistence(v, '5Gi', ctx))
    .superRefine((g, ctx) => {
      // A ReadWriteOnce volume attaches to one pod: a Deployment with a volume runs one replica.
      if (g.replicas > 1 && g.persistence.enabled) {
        ctx.addIssue({
          code: 'custom',
          path: ['replicas'],
          input: g.replicas,
          message: `grafana.replicas ${g.replicas} needs grafana.persistence.enabled: false (the data volume is ReadWriteOnce and holds one SQLite database); use 1 replica or turn persistence off`,
        });
      }
    });

/** `nodeExporter.*`: node_exporter on every node (a DaemonSet in the node agents' namespace). */
export const nodeExporterSchema = (p: Profile) =>
  z
    .strictObject({
      ...workloadFields(p, {
        image: IMAGES.nodeExporter,
        resources: { development: sized('10m', '32Mi', '64Mi'), production: sized('50m', '64Mi', '256Mi') },
      }),
      /**
       * Port node_exporter listens on, on each node's IP (the pods use the host network) (default
       * 9100); change it when another node_exporter already holds the port on the nodes.
       */
      port: port.default(9100),
      /** Node selector (default kubernetes.io/os: linux: node_exporter reads Linux /proc and /sys). */
      nodeSelector: stringMap.default({ 'kubernetes.io/os': 'linux' }),
      /** Tolerations (default: every taint, so every node is measured); `[]` keeps it off tainted nodes. */
      tolerations: schedulingFields.tolerations.unwrap().default([{ operator: 'Exists' }]),
    })
    .prefault({});

/**
 * Collectors kube-state-metrics may run (its `--resources`). Secrets and ConfigMaps are left out on
 * purpose: listing them reads their data.
 */
export const KUBE_STATE_METRICS_COLLECTORS = [
  'cronjobs',
  'daemonsets',
  'deployments',
  'endpointslices',
  'horizontalpodautoscalers',
  'ingresses',
  'jobs',
  'namespaces',
  'nodes',
  'persistentvolumeclaims',
  'persistentvolumes',
  'poddisruptionbudgets',
  'pods',
  'replicasets',
  'resourcequotas',
  'services',
  'statefulsets',
] as const;

/** `kubeStateMetrics.*`: kube-state-metrics for the platform's namespaces. */
export const kubeStateMetricsSchema = (p: Profile) =>
  z
    .strictObject({
      ...workloadFields(p, {
        image: IMAGES.kubeStateMetrics,
        resources: { development: sized('10m', '64Mi', '128Mi'), production: sized('50m', '128Mi', '256Mi') },
      }),
      /**
       * Collectors (default: the kinds the platform runs: pods, deployments, statefulsets,
       * daemonsets, replicasets, jobs, cronjobs, horizontalpodautoscalers, persistentvolumeclaims,
       * poddisruptionbudgets). The cluster-scoped ones (nodes, namespaces, persistentvolumes) need a
       * ClusterRole, and kube-state-metrics v2.16 exposes their series once per watched namespace,
       * i.e. twice (kubernetes/kube-state-metrics#2878): Prometheus drops the copies with warnings.
       */
      collectors: z
        .array(z.enum(KUBE_STATE_METRICS_COLLECTORS))
        .min(1)
        .default([
          'pods',
          'deployments',
          'statefulsets',
          'daemonsets',
          'replicasets',
          'jobs',
          'cronjobs',
          'horizontalpodautoscalers',
          'persistentvolumeclaims',
          'poddisruptionbudgets',
        ]),
    })
    .prefault({});

/** `alerting.*`: thresholds of the seed's alert rules (rendered by src/components/monitoring/alert-rules.ts). */
export const alertingSchema = () =>
  z
    .strictObject({
      thresholds: z
        .strictObject({
          /** Node CPU usage, percent (default 80). */
          cpuPercent: percent.default(80),
          /** Node memory usage, percent (default 85). */
          memoryPercent: percent.default(85),
          /** Filesystem usage, percent (default 90). */
          diskPercent: percent.default(90),
          /**
           * HTTP response time (95th percentile per Traefik service), seconds (default 5). Must be
           * below the highest of `traefik.latencyBuckets`, and is exact when it is one of them.
           */
          responseTimeSeconds: z.number().positive().default(5),
          /** HTTP 5xx share, percent (default 5). */
          errorRatePercent: percent.default(5),
          /** PostgreSQL connections in percent of max_connections (default 80). */
          postgresqlConnectionsPercent: percent.default(80),
          /** Redis cache hit rate floor, percent (default 80). */
          redisHitRatePercent: percent.default(80),
          /** Restarts of one container within 15 minutes that count as crash looping (default 3). */
          crashLoopRestarts: z.number().int().min(1).default(3),
        })
        .prefault({}),
      /** Traffic below which rate-based alerts stay silent, so a single error at night does not page anyone. */
      minimumTraffic: z
        .strictObject({
          /** HTTP requests per second of a service before its error-rate and response-time alerts apply (default 0.1). */
          httpRequestsPerSecond: z.number().positive().default(0.1),
          /** Redis key lookups (hits + misses) per second before the hit-rate alert applies (default 1). */
          redisLookupsPerSecond: z.number().positive().default(1),
        })
        .prefault({}),
      /** How long a condition must hold before an alert fires (default 5m). */
      for: promDuration.default('5m'),
    })
    .prefault({});

/**
 * Cross-field rule of the root: the response-time alert compares the 95th percentile of Traefik's
 * latency histogram with the threshold, and `histogram_quantile` never returns more than the
 * highest finite bucket, so a threshold at or above it could never fire.
 */
export function refineResponseTimeBuckets(
  v: { alerting: { thresholds: { responseTimeSeconds: number } }; traefik: { enabled: boolean; latencyBuckets: number[] } },
  ctx: z.RefinementCtx,
): void {
  const threshold = v.alerting.thresholds.responseTimeSeconds;
  const highest = Math.max(...v.traefik.latencyBuckets);
  if (!v.traefik.enabled || threshold < highest) return;
  ctx.addIssue({
    code: 'custom',
    path: ['alerting', 'thresholds', 'responseTimeSeconds'],
    input: threshold,
    message:
      `the response-time alert could never fire: ${threshold} s is not below the highest Traefik latency bucket (${highest} s, traefik.latencyBuckets) ` +
      `and a percentile computed from the histogram never exceeds it; add a larger bucket such as ${threshold * 2} or lower the threshold`,
  });
}
