import { promqlSelector } from '../../core/promql-string.js';

/**
 * Verification before acting: an alert is acted on only when Prometheus itself has it firing, as
 * the `ALERTS` series of the alerting rule (`ALERTS{alertname=…, alertstate="firing", …}`). A
 * webhook call with a valid token but a made-up alert (or a stale one) finds no such series.
 */

/** The labels that must match: the alert's name and action, and the labels that name its target. */
export function confirmationQuery(alertname: string, labels: Readonly<Record<string, string>>): string {
  return promqlSelector('ALERTS', { ...labels, alertname, alertstate: 'firing' });
}

/** Why an alert could not be confirmed. */
export class VerificationError extends Error {
  override name = 'VerificationError';
}

export interface PrometheusClientOptions {
  /** Base URL with the route prefix and no trailing slash, e.g. `http://…:9090/prometheus`. */
  readonly url: string;
  /** Time a query may take (default 5000 ms). */
  readonly timeoutMs?: number;
}

/** Instant queries against the Prometheus HTTP API (`GET /api/v1/query`). */
export class PrometheusClient {
  constructor(private readonly opts: PrometheusClientOptions) {}

  /** The number of series `query` returns now (a vector result); throws VerificationError when Prometheus does not answer. */
  async count(query: string): Promise<number> {
    const url = `${this.opts.url}/api/v1/query?${new URLSearchParams({ query })}`;
    let res: Response;
    try {
      res = await fetch(url, { signal: AbortSignal.timeout(this.opts.timeoutMs ?? 5000), headers: { accept: 'application/json' } });
    } catch (error) {
      throw new VerificationError(`Prometheus did not answer: ${error instanceof Error ? error.message : String(error)}`);
    }
    const body = (await res.json().catch(() => undefined)) as { status?: string; error?: string; data?: { resultType?: string; result?: unknown[] } } | undefined;
    if (!res.ok || body?.status !== 'success') {
      throw new VerificationError(`Prometheus answered ${res.status}${body?.error ? `: ${body.error}` : ''}`);
    }
    if (body.data?.resultType !== 'vector' || !Array.isArray(body.data.result)) throw new VerificationError('Prometheus answered with no vector');
    return body.data.result.length;
  }

  /** Readiness: Prometheus answers `GET /-/ready`. */
  async ready(): Promise<void> {
    const res = await fetch(`${this.opts.url}/-/ready`, { signal: AbortSignal.timeout(this.opts.timeoutMs ?? 5000) });
    if (!res.ok) throw new Error(`Prometheus /-/ready answered ${res.status}`);
  }
}
