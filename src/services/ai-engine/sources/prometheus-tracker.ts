import type { EngineSeries } from '../../../core/ai-engine-series.js';
import type { Anomaly } from '../anomaly.js';
import type { SeriesPoint } from '../series-view.js';
import { AnomalyState, type AnomalyStateOptions } from '../detect/anomaly-state.js';
import { LevelShiftDetector, type LevelShiftOptions, type LevelShiftSnapshot } from '../detect/changepoint.js';
import { SeriesDetector, type SeriesDetectorOptions, type SeriesDetectorSnapshot } from '../detect/series-detector.js';

/**
 * One label set of a watched Prometheus series and everything learnt about it (detectors, the
 * open anomalies, the points drawn by `GET /api/v1/series`), and its snapshot as plain JSON for the
 * engine's hot state (Redis): a restarted engine goes on from it instead of learning from zero.
 */

/** Level shifts of the values (`raw`) or of the seasonal residual (`residual`). */
export interface ShiftTracking {
  detector: LevelShiftDetector;
  input: 'raw' | 'residual';
  /** Points in a row predicted from the seasonal baseline (while `raw`). */
  seasonalRun: number;
  /** Points in a row for which the seasonal prediction was ready, used or not (while `raw`). */
  comparedRun: number;
}

export interface Tracker {
  readonly key: string;
  readonly labels: Record<string, string>;
  readonly points: SeriesPoint[];
  readonly detector?: SeriesDetector;
  readonly state?: AnomalyState;
  /** Scored kinds only. */
  shifts?: ShiftTracking;
  lastT: number;
  anomaly?: Anomaly;
  /** The LevelShiftDetected anomaly held, and until when (series time, ms). */
  levelShift?: { anomaly: Anomaly; until: number };
  /** Forecast rounds without a crossing since the forecast anomaly's last one. */
  clearRounds: number;
}

/** Options of the detectors of a new or restored tracker. */
export interface TrackerModels {
  readonly detector?: SeriesDetectorOptions;
  readonly state?: AnomalyStateOptions;
  readonly levelShift?: Omit<LevelShiftOptions, 'direction'>;
}

/** A tracker's state as plain JSON (non-finite values as null). */
export interface TrackerSnapshot {
  readonly key: string;
  readonly labels: Record<string, string>;
  readonly points: readonly { t: number; value: number | null; expected?: number; scale?: number; score?: number }[];
  readonly detector?: SeriesDetectorSnapshot;
  readonly state?: ReturnType<AnomalyState['toJSON']>;
  readonly shifts?: { readonly input: 'raw' | 'residual'; readonly seasonalRun: number; readonly comparedRun: number; readonly detector: LevelShiftSnapshot };
  readonly lastT: number | null;
  readonly anomaly?: Anomaly;
  readonly levelShift?: { readonly anomaly: Anomaly; readonly until: number };
  readonly clearRounds: number;
}

/** Everything learnt about one series, with what identifies it: a snapshot of another query, step or kind is not restored. */
export interface SeriesRunSnapshot {
  readonly version: 1;
  readonly id: string;
  readonly query: string;
  readonly stepSeconds: number;
  readonly kind: EngineSeries['kind'];
  readonly direction: EngineSeries['direction'];
  /** Last evaluated timestamp (s). */
  readonly lastEnd: number | null;
  readonly trackers: readonly TrackerSnapshot[];
}

/** A LevelShiftDetector with the series' direction. */
export function levelShiftDetector(series: EngineSeries, models: TrackerModels, snapshot?: LevelShiftSnapshot): LevelShiftDetector {
  return new LevelShiftDetector({ ...models.levelShift, direction: series.direction }, snapshot);
}

/** A tracker that has learnt nothing yet. */
export function newTracker(series: EngineSeries, key: string, labels: Record<string, string>, models: TrackerModels): Tracker {
  return {
    key,
    labels,
    points: [],
    lastT: -Infinity,
    clearRounds: 0,
    ...(series.kind === 'AnomalyDetected'
      ? {
          detector: new SeriesDetector({ ...models.detector, direction: series.direction }),
          state: new AnomalyState(models.state),
          shifts: { detector: levelShiftDetector(series, models), input: 'raw' as const, seasonalRun: 0, comparedRun: 0 },
        }
      : {}),
  };
}

const finiteOrNull = (v: number) => (Number.isFinite(v) ? v : null);

/** The tracker as plain JSON. */
export function trackerSnapshot(t: Tracker): TrackerSnapshot {
  return {
    key: t.key,
    labels: t.labels,
    points: t.points.map((p) => ({ ...p, value: finiteOrNull(p.value) })),
    ...(t.detector ? { detector: t.detector.snapshot() } : {}),
    ...(t.state ? { state: t.state.toJSON() } : {}),
    ...(t.shifts ? { shifts: { input: t.shifts.input, seasonalRun: t.shifts.seasonalRun, comparedRun: t.shifts.comparedRun, detector: t.shifts.detector.snapshot() } } : {}),
    lastT: finiteOrNull(t.lastT),
    ...(t.anomaly ? { anomaly: t.anomaly } : {}),
    ...(t.levelShift ? { levelShift: t.levelShift } : {}),
    clearRounds: t.clearRounds,
  };
}

/** The tracker `s` describes, with the detectors' options of this engine; throws on a snapshot that does not fit the series' kind. */
export function restoreTracker(series: EngineSeries, s: TrackerSnapshot, models: TrackerModels): Tracker {
  const scored = series.kind === 'AnomalyDetected';
  if (scored !== (s.detector !== undefined && s.state !== undefined && s.shifts !== undefined)) throw new Error(`tracker ${s.key}: snapshot does not fit a ${series.kind} series`);
  return {
    key: s.key,
    labels: { ...s.labels },
    points: s.points.map((p) => ({ ...p, value: p.value ?? NaN })),
    ...(scored
      ? {
          detector: SeriesDetector.restore(s.detector!, { ...models.detector, direction: series.direction }),
          state: AnomalyState.fromJSON(s.state!, models.state),
          shifts: { detector: levelShiftDetector(series, models, s.shifts!.detector), input: s.shifts!.input, seasonalRun: s.shifts!.seasonalRun, comparedRun: s.shifts!.comparedRun },
        }
      : {}),
    lastT: s.lastT ?? -Infinity,
    ...(s.anomaly ? { anomaly: s.anomaly } : {}),
    ...(s.levelShift ? { levelShift: { ...s.levelShift } } : {}),
    clearRounds: s.clearRounds,
  };
}
