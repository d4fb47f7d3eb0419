import type { Logger } from '../../kit/log.js';
import type { Anomaly } from '../anomaly.js';

/**
 * Anomalies as Alertmanager alerts (`POST <url>/api/v2/alerts`), the way Prometheus sends its own:
 * an alert is posted when its anomaly opens, re-sent every `resendMs` while it is active with
 * `endsAt` = now + 4 × resendMs (Prometheus' rule: the alert resolves by itself if the engine dies,
 * whatever Alertmanager's resolve_timeout), and posted once more with the anomaly's `endsAt` when
 * it ends (retried until Alertmanager takes it).
 *
 * Labels: the anomaly's identifying labels (names sanitised to Prometheus label names), then
 * `alertname` (the kind), `severity`, `component`, `namespace`, `action`, `source` and `anomaly` (its id), which win
 * over an identifying label of the same name. Annotations: `summary`, `description`, `value`.
 */

/** Default re-send interval while active: 1 minute (Prometheus' --rules.alert.resend-delay). */
export const DEFAULT_RESEND_MS = 60_000;
/** Default time a POST may take. */
export const DEFAULT_POST_TIMEOUT_MS = 10_000;
/** Resolved alerts not delivered within this time are dropped (Alertmanager resolves them by their endsAt anyway). */
const RESOLVED_RETRY_MS = 3_600_000;

/** An alert of Alertmanager's v2 API (postableAlert). */
export interface PostableAlert {
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
  readonly startsAt: string;
  readonly endsAt: string;
  readonly generatorURL?: string;
}

/** A valid Prometheus label name from any string: invalid characters become `_`, a leading digit gets a `_` before it; undefined when nothing usable is left or the name is reserved (`__…`). */
export function labelName(raw: string): string | undefined {
  let name = raw.replace(/[^a-zA-Z0-9_]/g, '_');
  if (/^[0-9]/.test(name)) name = `_${name}`;
  if (name === '' || /^_+$/.test(name) || name.startsWith('__')) return undefined;
  return name;
}

/** A label value as valid UTF-8 (lone surrogates replaced by U+FFFD), at most 1024 characters. */
export function labelValue(raw: string): string {
  const wellFormed = String(raw).replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
  return wellFormed.length > 1024 ? `${wellFormed.slice(0, 1023)}…` : wellFormed;
}

/** The alert of `anomaly` (active: endsAt = `now` + `activeForMs`). */
export function toAlert(anomaly: Anomaly, now: number, activeForMs: number, generatorURL?: string): PostableAlert {
  const labels: Record<string, string> = {};
  for (const [raw, value] of Object.entries(anomaly.labels)) {
    const name = labelName(raw);
    const v = labelValue(value);
    if (name !== undefined && v !== '') labels[name] = v;
  }
  Object.assign(labels, {
    alertname: anomaly.kind,
    severity: anomaly.severity,
    component: labelValue(anomaly.component),
    namespace: labelValue(anomaly.namespace),
    action: anomaly.action,
    source: anomaly.source,
    // The executor confirms an alert of the engine by this id among the engine's active anomalies.
    anomaly: labelValue(anomaly.id),
  });
  for (const name of ['component', 'namespace']) if (labels[name] === '') delete labels[name];
  const ended = anomaly.endsAt !== undefined;
  const description = ended
    ? `${anomaly.summary} Ended at ${new Date(anomaly.endsAt!).toISOString()}.`
    : `${anomaly.summary} Since ${new Date(anomaly.startsAt).toISOString()}, found by the AI engine (${anomaly.source}).`;
  return {
    labels,
    annotations: { summary: labelValue(anomaly.summary), description: labelValue(description), value: String(anomaly.value) },
    startsAt: new Date(anomaly.startsAt).toISOString(),
    endsAt: new Date(ended ? anomaly.endsAt! : now + activeForMs).toISOString(),
    ...(generatorURL ? { generatorURL } : {}),
  };
}

export interface AlertmanagerOutputOptions {
  /** Alertmanager's base URL (`http://…:9093`), no trailing slash. */
  readonly url: string;
  readonly log: Logger;
  /** Re-send interval while active (default {@link DEFAULT_RESEND_MS}). */
  readonly resendMs?: number;
  /** Whether this replica posts (the Lease holder); when false, alerts are tracked but not sent (default: always). */
  readonly posting?: () => boolean;
  /** Per-POST timeout (default {@link DEFAULT_POST_TIMEOUT_MS}). */
  readonly timeoutMs?: number;
  /** Link back to the anomaly list, set as every alert's generatorURL (default none). */
  readonly generatorURL?: string;
  readonly now?: () => number;
  readonly fetch?: typeof fetch;
}

export class AlertmanagerOutput {
  private readonly active = new Map<string, Anomaly>();
  private readonly resolved = new Map<string, Anomaly>();
  private timer: NodeJS.Timeout | undefined;
  private sending: Promise<void> = Promise.resolve();
  private readonly now: () => number;
  private readonly fetch: typeof fetch;

  constructor(private readonly opts: AlertmanagerOutputOptions) {
    this.now = opts.now ?? Date.now;
    this.fetch = opts.fetch ?? fetch;
  }

  /** The sink of the anomaly book: posts an opening or an ending at once. */
  readonly handle = (anomaly: Anomaly): void => {
    if (anomaly.endsAt === undefined) {
      const isNew = !this.active.has(anomaly.id);
      this.active.set(anomaly.id, anomaly);
      this.resolved.delete(anomaly.id);
      if (isNew) void this.send([anomaly]);
    } else {
      this.active.delete(anomaly.id);
      this.resolved.set(anomaly.id, anomaly);
      void this.send([anomaly]);
    }
  };

  /** Starts re-sending every resendMs. */
  start(): void {
    this.timer = setInterval(() => void this.flush(), this.opts.resendMs ?? DEFAULT_RESEND_MS);
    this.timer.unref?.();
  }

  /** Stops re-sending (active alerts then resolve by their endsAt) and waits for the POST in flight. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.sending;
  }

  /** Posts every active alert and every undelivered resolution. */
  flush(): Promise<void> {
    const now = this.now();
    for (const [id, a] of this.resolved) if (now - a.endsAt! > RESOLVED_RETRY_MS) this.resolved.delete(id);
    return this.send([...this.active.values(), ...this.resolved.values()]);
  }

  /** POSTs `anomalies` (one at a time after the previous POST); delivered resolutions are forgotten. */
  private send(anomalies: readonly Anomaly[]): Promise<void> {
    if (anomalies.length === 0 || this.opts.posting?.() === false) return this.sending;
    this.sending = this.sending.then(async () => {
      const now = this.now();
      const activeForMs = 4 * (this.opts.resendMs ?? DEFAULT_RESEND_MS);
      const alerts = anomalies.map((a) => toAlert(a, now, activeForMs, this.opts.generatorURL));
      try {
        const res = await this.fetch(`${this.opts.url}/api/v2/alerts`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(alerts),
          signal: AbortSignal.timeout(this.opts.timeoutMs ?? DEFAULT_POST_TIMEOUT_MS),
        });
        if (!res.ok) {
          const text = await res.text().catch(() => '');
          this.opts.log.warn({ status: res.status, body: text.slice(0, 500), alerts: alerts.length }, 'Alertmanager refused the alerts: sent again with the next round');
          return;
        }
        await res.arrayBuffer().catch(() => undefined);
        for (const a of anomalies) if (a.endsAt !== undefined && this.resolved.get(a.id) === a) this.resolved.delete(a.id);
        this.opts.log.debug({ alerts: alerts.length }, 'alerts sent to Alertmanager');
      } catch (error) {
        this.opts.log.warn({ err: error instanceof Error ? error.message : String(error), alerts: alerts.length }, 'Alertmanager did not answer: sent again with the next round');
      }
    });
    return this.sending;
  }
}
