/**
 * What the AI engine finds, in one shape for every source (metrics, logs, query statistics) and
 * every output (Alertmanager alerts, `GET /ai/api/v1/anomalies`, the PostgreSQL history).
 */

/** Where an anomaly was found; the `source` label of `aiops_anomalies_detected_total`. */
export type AnomalySource = 'metrics' | 'logs' | 'queries';

/** The kinds of findings, each the `alertname` of its alert. */
export type AnomalyKind =
  /** A series left its usual range (spike, dip, a lost daily pattern). */
  | 'AnomalyDetected'
  /** A sustained level change (e.g. since a deploy). */
  | 'LevelShiftDetected'
  /** A disk fills up: the trend reaches 100 % within the horizon. */
  | 'DiskFullPredicted'
  /** Connections run out: the trend reaches max_connections within the horizon. */
  | 'ConnectionsExhaustionPredicted'
  /** Error-level log lines of a service spike. */
  | 'LogErrorSpike'
  /** A log template never seen before, with enough hits. */
  | 'NewLogPattern'
  /** A statement's mean time regressed against its own baseline. */
  | 'QueryRegression';

export interface Anomaly {
  /** Stable id of the finding: the same ongoing anomaly keeps its id (e.g. `metrics:<series id>`). */
  readonly id: string;
  readonly kind: AnomalyKind;
  readonly source: AnomalySource;
  /** `warning` or `critical`. */
  readonly severity: 'warning' | 'critical';
  /** The platform component it concerns (`http`, `node`, `postgresql`, `redis`, `elasticsearch`, a service name). */
  readonly component: string;
  /** The namespace of what it concerns. */
  readonly namespace: string;
  /** The executor action that answers it (`clean-disk`, `optimize-db`), or `none`. */
  readonly action: 'none' | 'clean-disk' | 'optimize-db' | 'restart-pod' | 'scale-out';
  /** Identifying labels of the subject (series labels, service, queryid…): strings only. */
  readonly labels: Readonly<Record<string, string>>;
  /** One line for people. */
  readonly summary: string;
  /** When it started (epoch ms). */
  readonly startsAt: number;
  /** When it ended; undefined while it is active. */
  readonly endsAt?: number;
  /** The number behind it: a score, a forecast in seconds, a ratio. */
  readonly value: number;
}
