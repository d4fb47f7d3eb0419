import type { Anomaly, AnomalyKind, AnomalySource } from './anomaly.js';
import type { EngineMetrics } from './metrics.js';

/**
 * The engine's book of anomalies: every source records its findings here (an anomaly without
 * `endsAt` opens or updates, one with `endsAt` ends), the book keeps the active ones and the most
 * recent ended ones for `GET /ai/api/v1/anomalies`, counts openings and hands every change to the
 * outputs (Alertmanager).
 */

/** Something that receives every change (an output). */
export type AnomalySink = (anomaly: Anomaly) => void;

export interface AnomalyBookOptions {
  /** Ended anomalies kept (default 500). */
  readonly recentLimit?: number;
  readonly sinks?: readonly AnomalySink[];
  readonly metrics?: EngineMetrics;
  /** Whether openings are counted here: on the Lease holder only, so that a sum over replicas counts each once (default: always). */
  readonly counting?: () => boolean;
}

/** Filters of {@link AnomalyBook.list}. */
export interface AnomalyFilter {
  readonly source?: AnomalySource;
  readonly kind?: AnomalyKind;
  /** true: active only, false: ended only, undefined: both. */
  readonly active?: boolean;
  /** Most anomalies returned (default 100). */
  readonly limit?: number;
}

export class AnomalyBook {
  private readonly active = new Map<string, Anomaly>();
  private readonly ended: Anomaly[] = [];
  private readonly sinks: AnomalySink[];

  constructor(private readonly opts: AnomalyBookOptions = {}) {
    this.sinks = [...(opts.sinks ?? [])];
  }

  /** Adds an output. */
  addSink(sink: AnomalySink): void {
    this.sinks.push(sink);
  }

  /** Records a finding: opens (counted once per id), updates, or ends it; then tells every sink. */
  record(anomaly: Anomaly): void {
    if (anomaly.endsAt === undefined) {
      if (!this.active.has(anomaly.id) && this.opts.counting?.() !== false) this.opts.metrics?.anomaliesDetected.inc({ source: anomaly.source });
      this.active.set(anomaly.id, anomaly);
    } else {
      this.active.delete(anomaly.id);
      this.ended.push(anomaly);
      const limit = this.opts.recentLimit ?? 500;
      if (this.ended.length > limit) this.ended.splice(0, this.ended.length - limit);
    }
    for (const sink of this.sinks) sink(anomaly);
  }

  /** Active anomalies (newest first) then ended ones (most recently ended first), filtered. */
  list(filter: AnomalyFilter = {}): Anomaly[] {
    const matches = (a: Anomaly) => (filter.source === undefined || a.source === filter.source) && (filter.kind === undefined || a.kind === filter.kind);
    const active = filter.active === false ? [] : [...this.active.values()].filter(matches).sort((a, b) => b.startsAt - a.startsAt);
    const ended = filter.active === true ? [] : this.ended.filter(matches).reverse();
    return [...active, ...ended].slice(0, filter.limit ?? 100);
  }

  /** The active anomalies, in no particular order. */
  activeAnomalies(): Anomaly[] {
    return [...this.active.values()];
  }
}
