import { LOG_LEVEL_PATH, type LogLevel } from '../../../core/log-level.js';

/**
 * The two searches of the logs source and the parts of their answers it reads. Pure: bodies in,
 * numbers and lines out.
 *
 * Field names are those of the platform's log documents: Filebeat's filestream input with the
 * container parser and `add_kubernetes_metadata` (src/components/logging/filebeat-config.ts),
 * through Logstash with ECS v8, Beats bookkeeping dropped and the level parsed (logstash-config.ts,
 * log-level-rules.ts), into the index template of elasticsearch-setup-config.ts, which maps
 * `@timestamp` (date), `message` (text), `log.level` and `kubernetes.namespace` /
 * `kubernetes.container.name` (keywords).
 *
 * An error line is a line whose `log.level` is one of the error levels (error, fatal), or a line
 * without `log.level` (a format the pipeline cannot read, or indexed before it parsed levels) that
 * has one of the error words in `message` (pino's `"level":"error"`, `ERROR`, `level=error`,
 * `panic: …` all contain one; the words are a setting). So an info line that mentions an error is
 * not an error line once its level is parsed. A service is a container name within a namespace
 * (always present, unlike workload labels).
 */

/** The fields searched and aggregated. */
export const LOG_FIELDS = {
  timestamp: '@timestamp',
  message: 'message',
  namespace: 'kubernetes.namespace',
  service: 'kubernetes.container.name',
  level: LOG_LEVEL_PATH.join('.'),
} as const;

/** Words that make a line an error line (default; matched case-insensitively as whole words by `message`'s standard analyzer). */
export const DEFAULT_ERROR_TERMS: readonly string[] = ['error', 'fatal', 'panic', 'critical', 'exception'];

/** The levels of error lines (default). */
export const DEFAULT_ERROR_LEVELS: readonly LogLevel[] = ['error', 'fatal'];

/**
 * The filter of error lines: `log.level` one of `levels`, or no `log.level` and any of `terms` in
 * `message` (matched as words by its standard analyzer).
 */
export function errorLineFilter(terms: readonly string[], levels: readonly LogLevel[] = DEFAULT_ERROR_LEVELS): object {
  return {
    bool: {
      should: [
        { terms: { [LOG_FIELDS.level]: [...levels] } },
        {
          bool: {
            must_not: [{ exists: { field: LOG_FIELDS.level } }],
            filter: [{ match: { [LOG_FIELDS.message]: { query: terms.join(' '), operator: 'or' } } }],
          },
        },
      ],
      minimum_should_match: 1,
    },
  };
}

/** `@timestamp` in [from, to), epoch milliseconds. */
export function timeRange(from: number, to: number): object {
  return { range: { [LOG_FIELDS.timestamp]: { gte: from, lt: to, format: 'epoch_millis' } } };
}

/** A step as Elasticsearch's time units: `1m`, `30s`, `1500ms`. */
export function interval(stepMs: number): string {
  if (stepMs % 60_000 === 0) return `${stepMs / 60_000}m`;
  if (stepMs % 1000 === 0) return `${stepMs / 1000}s`;
  return `${stepMs}ms`;
}

/** How the error-rate search groups. */
export interface ErrorRateQueryOptions {
  readonly from: number;
  readonly to: number;
  readonly stepMs: number;
  readonly errorTerms: readonly string[];
  /** Levels of error lines (default {@link DEFAULT_ERROR_LEVELS}). */
  readonly errorLevels?: readonly LogLevel[];
  /** Namespaces aggregated, most error lines first. */
  readonly maxNamespaces: number;
  /** Services per namespace, most error lines first. */
  readonly maxServicesPerNamespace: number;
}

/**
 * Error lines per minute per service: size 0, terms by namespace, then by container, then a
 * date_histogram of `stepMs` over [from, to) with empty buckets (min_doc_count 0 and extended
 * bounds), so a quiet minute is a 0, not a gap.
 */
export function errorRateQuery(o: ErrorRateQueryOptions): object {
  return {
    size: 0,
    track_total_hits: false,
    query: { bool: { filter: [timeRange(o.from, o.to), errorLineFilter(o.errorTerms, o.errorLevels)] } },
    aggs: {
      namespaces: {
        terms: { field: LOG_FIELDS.namespace, size: o.maxNamespaces },
        aggs: {
          services: {
            terms: { field: LOG_FIELDS.service, size: o.maxServicesPerNamespace },
            aggs: {
              per_step: {
                date_histogram: { field: LOG_FIELDS.timestamp, fixed_interval: interval(o.stepMs), min_doc_count: 0, extended_bounds: { min: o.from, max: o.to - o.stepMs } },
              },
            },
          },
        },
      },
    },
  };
}

/** The latest error lines in [from, to), newest first, `size` at most, message and service fields only. */
export function errorLinesQuery(o: {
  readonly from: number;
  readonly to: number;
  readonly size: number;
  readonly errorTerms: readonly string[];
  /** Levels of error lines (default {@link DEFAULT_ERROR_LEVELS}). */
  readonly errorLevels?: readonly LogLevel[];
}): object {
  return {
    size: o.size,
    track_total_hits: false,
    sort: [{ [LOG_FIELDS.timestamp]: { order: 'desc' } }],
    _source: [LOG_FIELDS.message, LOG_FIELDS.namespace, LOG_FIELDS.service],
    query: { bool: { filter: [timeRange(o.from, o.to), errorLineFilter(o.errorTerms, o.errorLevels)] } },
  };
}

/** One service's error lines per step: bucket start (epoch ms) → lines. */
export interface ServiceErrorCounts {
  readonly namespace: string;
  readonly service: string;
  readonly counts: ReadonlyMap<number, number>;
}

type Bucket = { key?: unknown; doc_count?: unknown } & Record<string, unknown>;
const bucketsOf = (agg: unknown): Bucket[] => {
  const buckets = (agg as { buckets?: unknown } | undefined)?.buckets;
  return Array.isArray(buckets) ? (buckets.filter((b) => b && typeof b === 'object') as Bucket[]) : [];
};

/** What the error-rate answer says. */
export interface ErrorRates {
  readonly services: ServiceErrorCounts[];
  /**
   * True when the answer may miss services: a terms aggregation left buckets out
   * (`sum_other_doc_count` > 0), shards failed or the search timed out (partial results).
   */
  readonly truncated: boolean;
}

const leftOut = (agg: unknown) => {
  const other = (agg as { sum_other_doc_count?: unknown } | undefined)?.sum_other_doc_count;
  return typeof other === 'number' && other > 0;
};

/** Reads the error-rate answer; no `aggregations` (no index matched the pattern) is no service. */
export function parseErrorRates(answer: unknown): ErrorRates {
  const a = answer as { aggregations?: { namespaces?: unknown }; timed_out?: unknown; _shards?: { failed?: unknown } } | undefined;
  const aggs = a?.aggregations;
  const services: ServiceErrorCounts[] = [];
  const partial = a?.timed_out === true || (typeof a?._shards?.failed === 'number' && a._shards.failed > 0);
  let truncated = partial || leftOut(aggs?.namespaces);
  for (const ns of bucketsOf(aggs?.namespaces)) {
    if (typeof ns.key !== 'string') continue;
    truncated ||= leftOut(ns.services);
    for (const svc of bucketsOf(ns.services)) {
      if (typeof svc.key !== 'string') continue;
      const counts = new Map<number, number>();
      for (const b of bucketsOf(svc.per_step)) {
        if (typeof b.key === 'number' && typeof b.doc_count === 'number') counts.set(b.key, b.doc_count);
      }
      services.push({ namespace: ns.key, service: svc.key, counts });
    }
  }
  return { services, truncated };
}

/** An error line as the pattern miner gets it. */
export interface ErrorLine {
  readonly message: string;
  readonly namespace: string;
  readonly service: string;
}

/** Reads the error-lines answer, oldest first (the search is newest first); hits without a string message are skipped. */
export function parseErrorLines(answer: unknown): ErrorLine[] {
  const hits = (answer as { hits?: { hits?: unknown } } | undefined)?.hits?.hits;
  if (!Array.isArray(hits)) return [];
  const lines: ErrorLine[] = [];
  for (const hit of hits) {
    const source = (hit as { _source?: Record<string, unknown> } | undefined)?._source;
    const message = source?.[LOG_FIELDS.message];
    if (typeof message !== 'string') continue;
    const k8s = source?.kubernetes as { namespace?: unknown; container?: { name?: unknown } } | undefined;
    lines.push({
      message,
      namespace: typeof k8s?.namespace === 'string' ? k8s.namespace : 'unknown',
      service: typeof k8s?.container?.name === 'string' ? k8s.container.name : 'unknown',
    });
  }
  return lines.reverse();
}
