import { existsSync, readFileSync } from 'node:fs';

/** A row of published NAB scores. */
export interface PublishedScores {
  readonly detector: string;
  /** Normalised scores by profile name (`standard`, `reward_low_FP_rate`, `reward_low_FN_rate`). */
  readonly scores: ReadonlyMap<string, number>;
}

/** The README's column headings → NAB's profile names. */
const COLUMN_PROFILES: Record<string, string> = {
  standard: 'standard',
  reward_low_FP: 'reward_low_FP_rate',
  reward_low_FN: 'reward_low_FN_rate',
};

/**
 * The reference scores table of a NAB corpus README (`| detector | standard | reward_low_FP | reward_low_FN |`),
 * so that the bench prints the figures that come with the corpus instead of a second hand-kept
 * copy. Returns [] when the file or the table is missing.
 */
export function readPublishedScores(readmePath: string): PublishedScores[] {
  if (!existsSync(readmePath)) return [];
  const rows = readFileSync(readmePath, 'utf8')
    .split('\n')
    .filter((line) => line.trim().startsWith('|'))
    .map((line) => line.trim().replace(/^\||\|$/g, '').split('|').map((cell) => cell.trim()));
  const header = rows.find((cells) => cells.includes('standard'));
  if (!header) return [];
  const columns = header.map((h) => COLUMN_PROFILES[h]);
  return rows
    .filter((cells) => cells !== header && cells.length === header.length && cells.slice(1).every((c) => /^-?\d+(\.\d+)?$/.test(c)))
    .map((cells) => ({
      detector: cells[0]!,
      scores: new Map(cells.flatMap((c, i) => (columns[i] ? [[columns[i], Number(c)] as const] : []))),
    }));
}
