import { z } from 'zod';
import { existingSecret, persistenceFields, resolvePersistence } from './common.js';
import { IMAGES } from './images.js';
import type { Profile } from './profile.js';
import { percent, promDuration, quantityOrNumber } from './primitives.js';
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
      /** Size-based retention bound; default: derived from the volume size. */
      retentionSize: quantityOrNumber.optional(),
      /** Scrape interval (default 30s). */
      scrapeInterval: promDuration.default('30s'),
      /** Rule evaluation interval (default 30s). */
      evaluationInterval: promDuration.default('30s'),
      ...persistenceFields,
    })
    .prefault({})
    .transform((v, ctx) => resolvePersistence(v, p.pick('8Gi', '50Gi'), ctx));

const emailReceiver = z
  .strictObject({
    enabled: z.boolean().default(false),
    to: z.string().default(''),
    from: z.string().default(''),
    /** SMTP host:port. */
    smarthost: z.string().default(''),
    username: z.string().default(''),
    /** SMTP password (kept in a Secret). */
    password: z.string().default(''),
  })
  .prefault({});

const slackReceiver = z
  .strictObject({
    enabled: z.boolean().default(false),
    /** Incoming-webhook URL (kept in a Secret). */
    apiUrl: z.string().default(''),
    channel: z.string().default('#aiops-alerts'),
  })
  .prefault({});

const webhookReceiver = z
  .strictObject({
    enabled: z.boolean().default(false),
    url: z.string().default(''),
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
      ...replicaField(p, 1, 3),
      route: z
        .strictObject({
          groupBy: z.array(z.string()).default(['alertname', 'namespace', 'component']),
          groupWait: promDuration.default('30s'),
          groupInterval: promDuration.default('5m'),
          repeatInterval: promDuration.default('4h'),
        })
        .prefault({}),
      receivers: z
        .strictObject({ email: emailReceiver, slack: slackReceiver, webhook: webhookReceiver })
        .prefault({}),
      /** Existing Secret with receiver credentials (keys smtp-password, slack-api-url). */
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
      ...replicaField(p, 1, 1),
      /** Admin user (default admin). */
      adminUser: z.string().min(1).default('admin'),
      /** Admin password (default: development password in development; in production the Secret must exist). */
      adminPassword: z.string().default(''),
      /** Existing Secret with keys admin-user and admin-password. */
      existingSecret,
      ...persistenceFields,
    })
    .prefault({})
    .transform((v, ctx) => resolvePersistence(v, '5Gi', ctx));

/** Exporter workloads that are not sidecars. */
const exporterWorkload = (p: Profile, image: (typeof IMAGES)[keyof typeof IMAGES]) =>
  z
    .strictObject(
      workloadFields(p, { image, resources: { development: sized('10m', '32Mi', '64Mi'), production: sized('50m', '64Mi', '256Mi') } }),
    )
    .prefault({});

/** `nodeExporter.*` */
export const nodeExporterSchema = (p: Profile) => exporterWorkload(p, IMAGES.nodeExporter);
/** `kubeStateMetrics.*` */
export const kubeStateMetricsSchema = (p: Profile) => exporterWorkload(p, IMAGES.kubeStateMetrics);

/** `alerting.*`: thresholds of the seed's alert rules. */
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
          /** HTTP response time, seconds (default 5). */
          responseTimeSeconds: z.number().positive().default(5),
          /** HTTP 5xx share, percent (default 5). */
          errorRatePercent: percent.default(5),
          /** PostgreSQL connections in percent of max_connections (default 80). */
          postgresqlConnectionsPercent: percent.default(80),
          /** Redis cache hit rate floor, percent (default 80). */
          redisHitRatePercent: percent.default(80),
        })
        .prefault({}),
      /** How long a condition must hold before an alert fires (default 5m). */
      for: promDuration.default('5m'),
    })
    .prefault({});
