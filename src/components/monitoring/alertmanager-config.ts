import { SELF_HEALING_ACTIONS } from '../../core/self-healing-actions.js';
import type { Values } from '../../values/schema/index.js';
import type { CredentialEntry } from '../shared/credential-secret.js';
import { INHIBIT_RULES, type AmInhibitRule } from './alertmanager-inhibit.js';

export type { AmInhibitRule };

// Typed subset of alertmanager.yml (Alertmanager v0.28) that the chart writes.

/** `global:` */
export interface AmGlobalConfig {
  resolve_timeout: string;
  smtp_from?: string;
  smtp_smarthost?: string;
  smtp_auth_username?: string;
  smtp_auth_password_file?: string;
  smtp_require_tls?: boolean;
}

/** A node of the routing tree. */
export interface AmRoute {
  receiver: string;
  /** Label matchers such as `action=~"a|b"` (the v0.22+ syntax; never the deprecated match/match_re). */
  matchers?: string[];
  group_by?: string[];
  group_wait?: string;
  group_interval?: string;
  repeat_interval?: string;
  /** Keep matching later siblings after this route matched. */
  continue?: boolean;
  routes?: AmRoute[];
}

export interface AmEmailConfig {
  to: string;
  send_resolved: boolean;
}

export interface AmSlackConfig {
  /** File holding the incoming-webhook URL (a mounted Secret key). */
  api_url_file: string;
  channel: string;
  send_resolved: boolean;
  title: string;
  text: string;
}

/** `http_config` of a receiver (prometheus/common): only the bearer token this chart sets. */
export interface AmHttpConfig {
  /** `Authorization: <type> <contents of credentials_file>`, the file read at every request. */
  authorization: { type: 'Bearer'; credentials_file: string };
}

/** Exactly one of `url` and `url_file`. */
export interface AmWebhookConfig {
  url?: string;
  url_file?: string;
  http_config?: AmHttpConfig;
  send_resolved: boolean;
  /** Alerts per message; 0 is unlimited. */
  max_alerts?: number;
}

export interface AmReceiver {
  name: string;
  email_configs?: AmEmailConfig[];
  slack_configs?: AmSlackConfig[];
  webhook_configs?: AmWebhookConfig[];
}

/** alertmanager.yml. */
export interface AlertmanagerConfig {
  global: AmGlobalConfig;
  route: AmRoute;
  inhibit_rules: AmInhibitRule[];
  receivers: AmReceiver[];
}

/** Receiver of every alert: the people's integrations enabled in values (none: alerts are only shown in the UI). */
const DEFAULT_RECEIVER = 'default';
/** Receiver of the self-healing executor's webhook. */
const SELF_HEALING_RECEIVER = 'self-healing';
/** Most alerts in one webhook message to the executor, which acts on each alert of a message. */
const SELF_HEALING_MAX_ALERTS = 20;

/** Secret keys of the receiver credentials (also the keys of `alertmanager.existingSecret`). */
export const CREDENTIAL_KEYS = { smtpPassword: 'smtp-password', slackApiUrl: 'slack-api-url', webhookUrl: 'webhook-url' } as const;

/** The credentials the enabled receivers need, one Secret key each: never written into alertmanager.yml. */
export function receiverCredentials(values: Values['alertmanager']): CredentialEntry[] {
  const { email, slack, webhook } = values.receivers;
  const path = 'alertmanager.receivers';
  return [
    ...(email.enabled && email.username ? [{ key: CREDENTIAL_KEYS.smtpPassword, value: email.password, valuesPath: `${path}.email.password` }] : []),
    ...(slack.enabled ? [{ key: CREDENTIAL_KEYS.slackApiUrl, value: slack.apiUrl, valuesPath: `${path}.slack.apiUrl` }] : []),
    ...(webhook.enabled ? [{ key: CREDENTIAL_KEYS.webhookUrl, value: webhook.url, valuesPath: `${path}.webhook.url` }] : []),
  ];
}

/** Inputs of {@link alertmanagerConfig} besides the values. */
export interface AlertmanagerConfigOptions {
  /**
   * The self-healing executor's webhook URL and the file holding its bearer token (a mounted
   * Secret key); undefined: no self-healing route.
   */
  readonly selfHealing?: { readonly url: string; readonly tokenFile: string } | undefined;
  /** Path of the file holding a credential (the mounted Secret key). */
  readonly credentialFile: (key: string) => string;
}

/**
 * alertmanager.yml: every alert goes to the `default` receiver (the enabled people integrations);
 * with self-healing, alerts whose `action` label names an executor action go to its webhook as
 * well, with the executor's bearer token (the executor refuses webhooks without it). A critical alert about a pod
 * mutes the warnings about the same pod ({@link INHIBIT_RULES}).
 * Credentials are referenced as files (`*_file`), so the file itself holds no secret.
 */
export function alertmanagerConfig(values: Values['alertmanager'], o: AlertmanagerConfigOptions): AlertmanagerConfig {
  const { route } = values;
  return {
    global: { resolve_timeout: '5m', ...smtpGlobal(values, o) },
    route: {
      receiver: DEFAULT_RECEIVER,
      group_by: route.groupBy,
      group_wait: route.groupWait,
      group_interval: route.groupInterval,
      repeat_interval: route.repeatInterval,
      // Once a child route matched, Alertmanager does not fall back to the parent's receiver: the
      // catch-all child after the `continue: true` self-healing route is what still notifies people.
      ...(o.selfHealing
        ? {
            routes: [
              { receiver: SELF_HEALING_RECEIVER, matchers: [`action=~"${SELF_HEALING_ACTIONS.join('|')}"`], continue: true },
              { receiver: DEFAULT_RECEIVER },
            ],
          }
        : {}),
    },
    inhibit_rules: INHIBIT_RULES,
    receivers: [
      peopleReceiver(values, o),
      ...(o.selfHealing
        ? [
            {
              name: SELF_HEALING_RECEIVER,
              webhook_configs: [
                {
                  url: o.selfHealing.url,
                  http_config: { authorization: { type: 'Bearer' as const, credentials_file: o.selfHealing.tokenFile } },
                  send_resolved: true,
                  max_alerts: SELF_HEALING_MAX_ALERTS,
                },
              ],
            },
          ]
        : []),
    ],
  };
}

/** `smtp_*` of the global section, from the email receiver. */
function smtpGlobal(values: Values['alertmanager'], o: AlertmanagerConfigOptions): Partial<AmGlobalConfig> {
  const { email } = values.receivers;
  if (!email.enabled) return {};
  return {
    smtp_from: email.from,
    smtp_smarthost: email.smarthost,
    ...(email.username
      ? { smtp_auth_username: email.username, smtp_auth_password_file: o.credentialFile(CREDENTIAL_KEYS.smtpPassword) }
      : {}),
    smtp_require_tls: email.requireTls,
  };
}

function peopleReceiver(values: Values['alertmanager'], o: AlertmanagerConfigOptions): AmReceiver {
  const { email, slack, webhook } = values.receivers;
  return {
    name: DEFAULT_RECEIVER,
    ...(email.enabled ? { email_configs: [{ to: email.to, send_resolved: true }] } : {}),
    ...(slack.enabled
      ? {
          slack_configs: [
            {
              api_url_file: o.credentialFile(CREDENTIAL_KEYS.slackApiUrl),
              channel: slack.channel,
              send_resolved: true,
              title: SLACK_TITLE,
              text: SLACK_TEXT,
            },
          ],
        }
      : {}),
    ...(webhook.enabled ? { webhook_configs: [{ url_file: o.credentialFile(CREDENTIAL_KEYS.webhookUrl), send_resolved: true }] } : {}),
  };
}

/** `[FIRING:2] HighCpuUsage in aiops-platform` (Go template of the notification). */
const SLACK_TITLE =
  '[{{ .Status | toUpper }}{{ if eq .Status "firing" }}:{{ .Alerts.Firing | len }}{{ end }}] {{ .CommonLabels.alertname }}{{ with .CommonLabels.namespace }} in {{ . }}{{ end }}';

/** One block per alert: severity and summary, description, then where it is and its self-healing action. */
const SLACK_TEXT = [
  '{{ range .Alerts }}',
  '*{{ .Labels.severity | toUpper }}* {{ with .Annotations.summary }}{{ . }}{{ else }}{{ .Labels.alertname }}{{ end }}\n',
  '{{ with .Annotations.description }}{{ . }}\n{{ end }}',
  '`component={{ .Labels.component }}` `namespace={{ .Labels.namespace }}`',
  '{{ with .Labels.pod }} `pod={{ . }}`{{ end }}{{ with .Labels.node }} `node={{ . }}`{{ end }}',
  '{{ with .Labels.action }} `action={{ . }}`{{ end }}\n',
  '{{ end }}',
].join('');
