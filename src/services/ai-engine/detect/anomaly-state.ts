/**
 * When a scored series is "anomalous" for alerting: persistence and hysteresis on top of the
 * detector's per-point scores, so that one odd point does not page anyone and an anomaly does not
 * flap. Opens when `openK` of the last `window` points score at least `openScore`; closes when the
 * last `closeK` points in a row all score below `closeScore` (lower than `openScore`: hysteresis).
 * Points during the detector's warm-up score 0, so nothing opens before enough history.
 */
export interface AnomalyStateOptions {
  /** Score that counts towards opening (default 0.6: the detector's alarm, 1.5× the usual extreme). */
  readonly openScore?: number;
  /** Points at or above openScore among the last `window` (default 3). */
  readonly openK?: number;
  /** Points looked at for opening (default 5). */
  readonly window?: number;
  /** Score below which a point is calm (default 0.4: within the usual extremes). */
  readonly closeScore?: number;
  /** Calm points in a row that close it (default 5). */
  readonly closeK?: number;
}

const DEFAULTS: Required<AnomalyStateOptions> = { openScore: 0.6, openK: 3, window: 5, closeScore: 0.4, closeK: 5 };

/** A change of state, or nothing. */
export type AnomalyTransition = 'opened' | 'closed' | undefined;

export class AnomalyState {
  private readonly o: Required<AnomalyStateOptions>;
  private readonly recent: boolean[] = [];
  private calm = 0;
  /** True while the anomaly is open. */
  open = false;
  /** Highest score since it opened (0 while closed). */
  peak = 0;

  constructor(options: AnomalyStateOptions = {}) {
    this.o = { ...DEFAULTS, ...options };
    if (this.o.closeScore > this.o.openScore) throw new RangeError('closeScore must not be above openScore (hysteresis)');
    if (this.o.openK > this.o.window) throw new RangeError('openK must not be above window');
  }

  /** Feeds the next score; says whether the anomaly opened or closed with it. */
  push(score: number): AnomalyTransition {
    this.recent.push(score >= this.o.openScore);
    if (this.recent.length > this.o.window) this.recent.shift();
    this.calm = score < this.o.closeScore ? this.calm + 1 : 0;
    if (this.open) {
      this.peak = Math.max(this.peak, score);
      if (this.calm >= this.o.closeK) {
        this.open = false;
        this.peak = 0;
        this.recent.length = 0;
        return 'closed';
      }
      return undefined;
    }
    if (this.recent.filter(Boolean).length >= this.o.openK) {
      this.open = true;
      this.peak = score;
      return 'opened';
    }
    return undefined;
  }

  /** A state with `options` continuing from {@link toJSON}'s output. */
  static fromJSON(json: ReturnType<AnomalyState['toJSON']>, options: AnomalyStateOptions = {}): AnomalyState {
    const state = new AnomalyState(options);
    state.recent.push(...json.recent);
    state.calm = json.calm;
    state.open = json.open;
    state.peak = json.peak;
    return state;
  }

  /** Plain JSON for the engine's hot state (Redis). */
  toJSON(): { recent: boolean[]; calm: number; open: boolean; peak: number } {
    return { recent: [...this.recent], calm: this.calm, open: this.open, peak: this.peak };
  }
}
