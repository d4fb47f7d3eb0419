import { CorpusError, readJson } from './corpus.js';
import { parseNabTimestamp } from './timestamps.js';

/** One labelled anomaly window: the first and the last row of it (inclusive), as NAB writes them. */
export interface AnomalyWindow {
  /** The start timestamp as written in the label file. */
  readonly startText: string;
  /** The end timestamp as written in the label file. */
  readonly endText: string;
  /** Start in milliseconds since the epoch (UTC). */
  readonly start: number;
  /** End in milliseconds since the epoch (UTC). */
  readonly end: number;
}

/** A scoring profile's weights (NAB's `CostMatrix`); tnWeight exists in NAB's files but is unused. */
export interface CostMatrix {
  readonly tpWeight: number;
  readonly fpWeight: number;
  readonly fnWeight: number;
}

/**
 * Reads NAB's label windows (`labels/combined_windows.json`: `{"<category>/<file>.csv": [[start, end], …]}`).
 * Windows of a file must be in time order and must not overlap (NAB's label combiner guarantees it).
 */
export function loadWindows(path: string): Map<string, AnomalyWindow[]> {
  const json = readJson(path);
  if (!isRecord(json)) throw new CorpusError(`${path}: expected an object of file name → windows`);
  const windows = new Map<string, AnomalyWindow[]>();
  for (const [name, list] of Object.entries(json)) {
    if (!Array.isArray(list)) throw new CorpusError(`${path}: ${name}: expected a list of [start, end] windows`);
    const parsed = list.map((pair: unknown, i): AnomalyWindow => {
      const [startText, endText] = Array.isArray(pair) ? (pair as unknown[]) : [];
      const start = typeof startText === 'string' ? parseNabTimestamp(startText) : undefined;
      const end = typeof endText === 'string' ? parseNabTimestamp(endText) : undefined;
      if (start === undefined || end === undefined || end < start) {
        throw new CorpusError(`${path}: ${name}: window ${i} is not a [start, end] pair of timestamps: ${JSON.stringify(pair)}`);
      }
      return { startText: startText as string, endText: endText as string, start, end };
    });
    parsed.forEach((w, i) => {
      if (i > 0 && w.start <= parsed[i - 1]!.end) throw new CorpusError(`${path}: ${name}: window ${i} starts before window ${i - 1} ends`);
    });
    windows.set(name, parsed);
  }
  return windows;
}

/**
 * Reads NAB's scoring profiles (`config/profiles.json`: `{"<profile>": {"CostMatrix": {tpWeight, fpWeight, fnWeight, …}}}`),
 * in file order (standard, reward_low_FP_rate, reward_low_FN_rate for NAB's own file).
 */
export function loadProfiles(path: string): Map<string, CostMatrix> {
  const json = readJson(path);
  if (!isRecord(json)) throw new CorpusError(`${path}: expected an object of profile name → {CostMatrix}`);
  const profiles = new Map<string, CostMatrix>();
  for (const [name, profile] of Object.entries(json)) {
    const matrix = isRecord(profile) ? profile['CostMatrix'] : undefined;
    const weight = (key: string) => (isRecord(matrix) && typeof matrix[key] === 'number' ? matrix[key] : undefined);
    const [tpWeight, fpWeight, fnWeight] = [weight('tpWeight'), weight('fpWeight'), weight('fnWeight')];
    if (tpWeight === undefined || fpWeight === undefined || fnWeight === undefined) {
      throw new CorpusError(`${path}: profile ${name} needs CostMatrix.tpWeight, fpWeight and fnWeight numbers`);
    }
    profiles.set(name, { tpWeight, fpWeight, fnWeight });
  }
  return profiles;
}

const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
