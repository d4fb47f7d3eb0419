import { isMap, isScalar, LineCounter, parseDocument, type Pair } from 'yaml';
import type { ValuesIssue } from '../values/issues.js';
import { namespaceProblem, releaseProblem } from './args.js';

/** The keys of an environment file that are not values: they name the environment's release and namespace. */
export const ENVIRONMENT_KEYS = ['release', 'namespace'] as const;
type EnvironmentKey = (typeof ENVIRONMENT_KEYS)[number];

/** A setting of an environment file: its value and where it is written (`file:line:col`). */
export interface EnvironmentSetting {
  readonly value: string;
  readonly location: string;
}

/** An environment file split into its own keys and the values it layers over the shared files. */
export interface EnvironmentFile {
  /** `release:` when the file sets it (else the `--release` flag applies). */
  readonly release?: EnvironmentSetting;
  /** `namespace:` when the file sets it (else the `--namespace` flag applies). */
  readonly namespace?: EnvironmentSetting;
  /**
   * The file's text without the `release:` and `namespace:` entries, each blanked with spaces so
   * that every other key keeps its line and column: the values loader reads it as a values file.
   */
  readonly valuesText: string;
  /** Problems of the two keys (not a string, not a valid name), located at the value. */
  readonly issues: ValuesIssue[];
}

/**
 * Splits an environment file: a values file whose top-level mapping may also hold `release:` and
 * `namespace:`, validated like the `--release` and `--namespace` flags. A file that does not
 * parse is handed on whole: the values loader reports its YAML problems with their positions.
 */
export function splitEnvironmentFile(name: string, text: string): EnvironmentFile {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false, merge: true });
  if (doc.errors.length > 0 || !isMap(doc.contents)) return { valuesText: text, issues: [] };
  const where = (offset: number) => {
    const { line, col } = lineCounter.linePos(offset);
    return `${name}:${line}:${col}`;
  };
  const issues: ValuesIssue[] = [];
  const settings: Partial<Record<EnvironmentKey, EnvironmentSetting>> = {};
  let valuesText = text;
  const blank = (from: number, to: number) => {
    valuesText = valuesText.slice(0, from) + valuesText.slice(from, to).replace(/[^\n\r]/g, ' ') + valuesText.slice(to);
  };
  for (const pair of doc.contents.items as Pair[]) {
    const key = isScalar(pair.key) ? pair.key.value : undefined;
    if (!(ENVIRONMENT_KEYS as readonly unknown[]).includes(key)) continue;
    const field = key as EnvironmentKey;
    const keyRange = (pair.key as { range?: [number, number, number] }).range!;
    const value = pair.value as { range?: [number, number, number]; anchor?: string } | null;
    const valueOffset = value?.range?.[0] ?? keyRange[0];
    const end = value?.range?.[1] ?? keyRange[1];
    blank(keyRange[0], end);
    // In a flow mapping ({release: a, global: …}) the separating comma goes with the entry.
    const comma = /^\s*,/.exec(valuesText.slice(end));
    if (comma) blank(end, end + comma[0].length);
    const problem = (message: string) => issues.push({ location: where(valueOffset), path: field, message });
    if (!isScalar(value) || typeof value.value !== 'string' || value.value === '') {
      problem(`expected the environment's ${field} name as a string, found ${isScalar(value) ? JSON.stringify(value.value) : 'a list or mapping'}`);
      continue;
    }
    if (value.anchor) {
      problem('an anchor here would vanish with the key (it is not a value); write the name itself');
      continue;
    }
    const message = field === 'release' ? releaseProblem(value.value) : namespaceProblem(value.value);
    if (message) problem(message);
    else settings[field] = { value: value.value, location: where(valueOffset) };
  }
  return { ...settings, valuesText, issues };
}
