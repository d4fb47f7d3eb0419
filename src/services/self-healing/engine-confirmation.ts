/**
 * Confirmation of the AI engine's alerts. The engine pushes its anomalies straight to Alertmanager
 * (they are in no Prometheus `ALERTS` series): an alert whose `source` label is one of the
 * engine's sources carries the anomaly's id in its `anomaly` label, and is acted on only when the
 * engine lists that anomaly as active, of the alert's kind and action
 * (`GET <AI_ENGINE_URL>/api/v1/anomalies?active=true&kind=…`). A forged webhook naming an anomaly
 * the engine does not have changes nothing.
 */

/** The `source` label values of the engine's alerts (src/services/ai-engine/anomaly.ts). */
export const ENGINE_SOURCES: readonly string[] = ['metrics', 'logs', 'queries'];

/** True for an alert the AI engine sent (its labels `source` and `anomaly`). */
export function isEngineAlert(labels: Readonly<Record<string, string>>): boolean {
  return ENGINE_SOURCES.includes(labels['source'] ?? '') && (labels['anomaly'] ?? '') !== '';
}

export interface EngineClientOptions {
  /** The engine's URL with its base path and no trailing slash, e.g. `http://…:8080/ai`. */
  readonly url: string;
  /** Time a request may take (default 5000 ms). */
  readonly timeoutMs?: number;
}

/** The part of the engine's API the executor reads. */
export class EngineClient {
  constructor(private readonly o: EngineClientOptions) {}

  /** Whether the engine has the anomaly `id` active, of kind `kind` with action `action`; throws when the engine does not answer. */
  async isActive(id: string, kind: string, action: string): Promise<boolean> {
    const query = new URLSearchParams({ active: 'true', kind, limit: '1000' });
    const res = await fetch(`${this.o.url}/api/v1/anomalies?${query}`, { signal: AbortSignal.timeout(this.o.timeoutMs ?? 5000), headers: { accept: 'application/json' } });
    if (!res.ok) throw new Error(`the AI engine answered ${res.status}`);
    const body = (await res.json()) as { anomalies?: { id?: unknown; kind?: unknown; action?: unknown; endsAt?: unknown }[] };
    if (!Array.isArray(body.anomalies)) throw new Error('the AI engine answered without an anomalies list');
    return body.anomalies.some((a) => a.id === id && a.kind === kind && a.action === action && a.endsAt === undefined);
  }
}
