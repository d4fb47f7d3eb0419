import * as z from 'zod/mini';
import { issueLine } from '../../core/zod-issue-text.js';

/**
 * Alertmanager's webhook payload, version 4
 * (https://prometheus.io/docs/alerting/latest/configuration/#webhook_config), as the executor
 * accepts it: every field it reads is checked; unknown fields are ignored (Alertmanager may add some).
 */

const labels = z.record(z.string(), z.string());
const timestamp = z.string().check(z.refine((s) => !Number.isNaN(Date.parse(s)), 'expected an RFC 3339 timestamp'));

export const webhookAlertSchema = z.object({
  status: z.enum(['firing', 'resolved']),
  labels: labels.check(z.refine((l) => typeof l['alertname'] === 'string' && l['alertname'] !== '', 'expected an alertname label')),
  annotations: z.optional(labels),
  startsAt: timestamp,
  endsAt: z.optional(z.string()),
  generatorURL: z.optional(z.string()),
  fingerprint: z.string().check(z.regex(/^[0-9a-f]{1,64}$/, 'expected a hexadecimal fingerprint')),
});

export const webhookPayloadSchema = z.object({
  version: z.literal('4'),
  groupKey: z.string(),
  truncatedAlerts: z.optional(z.int().check(z.minimum(0))),
  status: z.enum(['firing', 'resolved']),
  receiver: z.string(),
  groupLabels: z.optional(labels),
  commonLabels: z.optional(labels),
  externalURL: z.optional(z.string()),
  alerts: z.array(webhookAlertSchema).check(z.maxLength(1000)),
});

export type WebhookAlert = z.infer<typeof webhookAlertSchema>;
export type WebhookPayload = z.infer<typeof webhookPayloadSchema>;

/** The payload, or the first problem as one line (`alerts.0.fingerprint: expected …`). */
export function parseWebhook(body: unknown): { ok: true; payload: WebhookPayload } | { ok: false; problem: string } {
  const result = z.safeParse(webhookPayloadSchema, body);
  if (result.success) return { ok: true, payload: result.data };
  return { ok: false, problem: issueLine(result.error.issues[0]!, [], '(body)') };
}
