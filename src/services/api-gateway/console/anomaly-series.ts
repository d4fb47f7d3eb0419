import type { ConsoleAnomaly, ConsoleLabelSet, ConsoleSeries } from './backend.js';

/**
 * Which series of the AI engine draws an anomaly, from the anomaly's id (src/services/ai-engine:
 * `metrics:<series id>{<labels>}[…]` for the Prometheus series, `logs:errors:…` drawn by the logs'
 * error-rate series, `queries:<queryid>` by the statements' mean-time series; new log patterns
 * have no series). The two ids below are the engine's LOG_ERROR_SERIES_ID and QUERY_SERIES_ID;
 * test/services/api-gateway/console-pages.test.ts checks they still are.
 */

/** The logs source's series of error lines per service. */
export const LOG_ERROR_SERIES = 'log-error-rate';
/** The query-statistics source's series of each statement's mean time. */
export const QUERY_SERIES = 'query-mean-time';

/** The id of the series that draws `anomaly`, or undefined when none does. */
export function seriesIdOf(anomaly: Pick<ConsoleAnomaly, 'id'>): string | undefined {
  const metrics = /^metrics:([a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?)\{/.exec(anomaly.id);
  if (metrics) return metrics[1];
  if (anomaly.id.startsWith('logs:errors:')) return LOG_ERROR_SERIES;
  if (anomaly.id.startsWith('queries:')) return QUERY_SERIES;
  return undefined;
}

/** The label set of `series` that carries `anomaly` (by its id, else the one whose labels it has). */
export function labelSetOf(series: ConsoleSeries, anomaly: ConsoleAnomaly): ConsoleLabelSet | undefined {
  const byId = series.labelSets.find((s) => s.anomaly?.id === anomaly.id || s.levelShift?.id === anomaly.id);
  if (byId) return byId;
  return series.labelSets.find((s) => {
    const entries = Object.entries(s.labels);
    return entries.length > 0 && entries.every(([name, value]) => anomaly.labels[name] === value);
  });
}
