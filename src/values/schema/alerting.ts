import * as z from 'zod';
import { addCrossFieldIssue } from '../issues.js';
import { existingSecret, persistence } from './common.js';
import { CREDENTIAL_DEFAULT } from './describe.js';
import { IMAGES } from './images.js';
import type { Profile } from './profile.js';
import { percent, positiveDuration, promDuration } from './primitives.js';
import { emailAddresses, singleLine, templatedLine } from './text.js';
import { replicaField, sized, workloadFields } from './workload.js';

/** An `http(s)://host…` URL, or empty (not given). */
const optionalHttpUrl = z.string().regex(/^(https?:\/\/[^\s\u0000-\u001f\u007f/]+[^\s\u0000-\u001f\u007f]*)?$/, {
  error: (issue) => `expected an http(s) URL such as https://hooks.example.com/…, found "${String(issue.input)}"`,
});

/** `alertmanager.receivers.email.*`: notifications by SMTP (the SMTP settings become alertmanager.yml's global smtp_*). */
const emailReceiver = z
  .strictObject({
    enabled: z.boolean().default(false).describe('Send alert notifications by email (default false).'),
    to: emailAddresses('email.to', true).default('').describe('Recipient address(es), comma-separated; required when enabled (default "").'),
    from: emailAddresses('email.from', false).default('').describe('Sender address; required when enabled (default "").'),
    smarthost: singleLine('email.smarthost').default('').describe('SMTP server as host:port, e.g. smtp.example.com:587; required when enabled (default "").'),
    username: singleLine('email.username').default('').describe('SMTP user; empty sends without authentication (default "").'),
    password: z
      .string()
      .default('')
      .describe(`SMTP password, used with username, kept in a Secret under key smtp-password ${CREDENTIAL_DEFAULT}.`),
    requireTls: z.boolean().default(true).describe('Require STARTTLS with the smarthost; false only for a trusted local relay (default true).'),
  })
  .superRefine((email, ctx) => {
    if (!email.enabled) return;
    for (const key of ['to', 'from', 'smarthost'] as const) {
      if (!email[key]) addCrossFieldIssue(ctx, { path: [key], involves: [['enabled']], input: email[key], message: `${key} is required when the email receiver is enabled` });
    }
    if (email.smarthost && !/^[^\s:]+:\d+$/.test(email.smarthost)) {
      ctx.addIssue({ code: 'custom', path: ['smarthost'], input: email.smarthost, message: `expected host:port such as smtp.example.com:587, found "${email.smarthost}"` });
    }
  })
  .prefault({})
  .describe('Notifications by email (SMTP).');

/** `alertmanager.receivers.slack.*`: notifications to a Slack incoming webhook. */
const slackReceiver = z
  .strictObject({
    enabled: z.boolean().default(false).describe('Send alert notifications to Slack (default false).'),
    apiUrl: optionalHttpUrl
      .default('')
      .describe('Incoming-webhook URL, a credential kept in a Secret (key slack-api-url), or given through existingSecret (default "").'),
    channel: templatedLine('slack.channel').default('#aiops-alerts').describe('Channel the notifications go to (default #aiops-alerts).'),
  })
  .prefault({})
  .describe('Notifications to a Slack incoming webhook.');

/** `alertmanager.receivers.webhook.*`: notifications POSTed to an HTTP endpoint of your own. */
const webhookReceiver = z
  .strictObject({
    enabled: z.boolean().default(false).describe('POST alert notifications to url (default false).'),
    url: optionalHttpUrl
      .default('')
      .describe('Endpoint URL; it may carry a token, so it is kept in a Secret (key webhook-url), or given through existingSecret (default "").'),
  })
  .prefault({})
  .describe('Notifications POSTed to an HTTP endpoint of your own (Alertmanager webhook format).');

/**
 * Labels of `route.group_by` as Alertmanager accepts them: Prometheus label names, no duplicates,
 * or `...` alone (group by all labels, i.e. no grouping).
 */
const groupByLabels = z
  .array(
    z.string().regex(/^(\.\.\.|[a-zA-Z_][a-zA-Z0-9_]*)$/, {
      error: (i) => `expected a Prometheus label name (letters, digits and _, not starting with a digit) or "...", found ${JSON.stringify(i.input)}`,
    }),
  )
  .superRefine((labels, ctx) => {
    labels.forEach((label, i) => {
      const message =
        labels.indexOf(label) !== i
          ? `"${label}" is listed twice (Alertmanager refuses duplicated labels)`
          : label === '...' && labels.length > 1
            ? '"..." (group by all labels) must be the only entry'
            : undefined;
      if (message) ctx.addIssue({ code: 'custom', path: [i], input: label, message });
    });
  });

/** `alertmanager.*` */
export const alertmanagerSchema = (p: Profile) => {
  const volume = persistence(p, 'the Alertmanager silences and notification log', '2Gi');
  return z
    .strictObject({
      ...workloadFields(p, {
        name: 'Alertmanager',
        image: IMAGES.alertmanager,
        resources: { development: sized('20m', '64Mi', '128Mi'), production: sized('100m', '256Mi', '512Mi') },
      }),
      ...replicaField(p, 1, 3, 'more than 1 form a gossip cluster'),
      route: z
        .strictObject({
          groupBy: groupByLabels
            .default(['alertname', 'namespace', 'component'])
            .describe('Labels that group alerts into one notification (default [alertname, namespace, component]).'),
          groupWait: promDuration.default('30s').describe('Wait before the first notification of a new group (default 30s).'),
          groupInterval: positiveDuration.default('5m').describe('Wait before notifying about new alerts of a group already notified (default 5m).'),
          repeatInterval: positiveDuration.default('4h').describe('Wait before repeating a notification that is still firing (default 4h).'),
        })
        .prefault({})
        .describe('Root route of the notification tree.'),
      receivers: z
        .strictObject({ email: emailReceiver, slack: slackReceiver, webhook: webhookReceiver })
        .prefault({})
        .describe('Where people are notified; with none enabled, alerts are only visible in the UI (and sent to the self-healing executor).'),
      existingSecret: existingSecret.describe(
        'Existing Secret with the credentials of the enabled receivers (keys smtp-password, slack-api-url, webhook-url); the chart then renders none (default: none).',
      ),
      ...volume.fields,
    })
    .prefault({})
    .transform(volume.resolve)
    .describe('Alertmanager: routes the alerts to people and to the self-healing executor (a StatefulSet, served under /alertmanager).');
};

/** `alerting.*`: thresholds of the seed's alert rules (rendered by src/components/monitoring/alert-rules.ts). */
export const alertingSchema = () =>
  z
    .strictObject({
      thresholds: z
        .strictObject({
          cpuPercent: percent.default(80).describe('Node CPU usage alert, in percent (default 80).'),
          memoryPercent: percent.default(85).describe('Node memory usage alert, in percent (default 85).'),
          diskPercent: percent.default(90).describe('Filesystem usage alert, in percent (default 90).'),
          /** Exact when it is one of `traefik.latencyBuckets`. */
          responseTimeSeconds: z
            .number()
            .positive()
            .default(5)
            .describe('HTTP response time alert (95th percentile per Traefik service), in seconds, below the highest traefik.latencyBuckets (default 5).'),
          errorRatePercent: percent.default(5).describe('HTTP 5xx share alert, in percent of the requests (default 5).'),
          postgresqlConnectionsPercent: percent
            .default(80)
            .describe('PostgreSQL connections alert, in percent of max_connections (default 80).'),
          redisHitRatePercent: percent.default(80).describe('Redis cache hit rate floor, in percent (default 80).'),
          crashLoopRestarts: z
            .number()
            .int()
            .min(1)
            .default(3)
            .describe('Restarts of one container within 15 minutes that count as crash looping (default 3).'),
        })
        .prefault({})
        .describe('Thresholds of the alert rules.'),
      minimumTraffic: z
        .strictObject({
          httpRequestsPerSecond: z
            .number()
            .positive()
            .default(0.1)
            .describe('HTTP requests per second of a service before its error-rate and response-time alerts apply (default 0.1).'),
          redisLookupsPerSecond: z
            .number()
            .positive()
            .default(1)
            .describe('Redis key lookups (hits + misses) per second before the hit-rate alert applies (default 1).'),
        })
        .prefault({})
        .describe('Traffic below which rate-based alerts stay silent, so a single error at night does not page anyone.'),
      for: promDuration.default('5m').describe('How long a condition must hold before its alert fires (default 5m).'),
    })
    .prefault({})
    .describe('The alert rules of the platform: thresholds and timing.');

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
  addCrossFieldIssue(ctx, {
    path: ['alerting', 'thresholds', 'responseTimeSeconds'],
    involves: [['traefik', 'latencyBuckets'], ['traefik', 'enabled']],
    input: threshold,
    message:
      `the response-time alert could never fire: ${threshold} s is not below the highest Traefik latency bucket (${highest} s, traefik.latencyBuckets) ` +
      `and a percentile computed from the histogram never exceeds it; add a larger bucket such as ${threshold * 2} or lower the threshold`,
  });
}

/**
 * Root rule: in development, an enabled Slack or webhook receiver needs its URL from values,
 * `alertmanager.existingSecret` or `secrets.external` (a made-up development URL would only fail
 * when a notification is sent). In production a missing one is a warning naming the Secret to create.
 */
export function refineReceiverUrls(
  v: {
    global: { development: boolean };
    secrets: { external: boolean };
    alertmanager: {
      enabled: boolean;
      existingSecret?: string | undefined;
      receivers: { slack: { enabled: boolean; apiUrl: string }; webhook: { enabled: boolean; url: string } };
    };
  },
  ctx: z.RefinementCtx,
): void {
  const am = v.alertmanager;
  if (!am.enabled || !v.global.development || am.existingSecret || v.secrets.external) return;
  const receivers = [
    { name: 'slack', label: 'Slack', field: 'apiUrl', key: 'slack-api-url', ...am.receivers.slack, url: am.receivers.slack.apiUrl },
    { name: 'webhook', label: 'webhook', field: 'url', key: 'webhook-url', ...am.receivers.webhook },
  ];
  for (const r of receivers) {
    if (!r.enabled || r.url !== '') continue;
    addCrossFieldIssue(ctx, {
      path: ['alertmanager', 'receivers', r.name, r.field],
      involves: [['alertmanager', 'receivers', r.name, 'enabled'], ['global', 'development']],
      input: r.url,
      message: `alertmanager.receivers.${r.name}.${r.field} is empty while the ${r.label} receiver is enabled (development has no stand-in URL): set the URL, or name a Secret holding it (key ${r.key}) in alertmanager.existingSecret, or use secrets.external`,
    });
  }
}
