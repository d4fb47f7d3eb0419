import { buildValuesSchema, profileOfRaw, type Profile, type Values } from './schema/index.js';
import { describeIssue } from './describe-issue.js';
import { ValuesError, type ValuesIssue } from './issues.js';
import { valuesJsonSchema } from './json-schema.js';
import { mergeValues, type PlainMap } from './merge.js';
import { parseSetFlag } from './set-flag.js';
import { parseValuesFile, type ValuesLayer } from './yaml-source.js';

/** What the user gave: values files (already read) in order, then `--set` flags in order. */
export interface ValuesInput {
  files: readonly { name: string; text: string }[];
  sets: readonly string[];
}

/** Validated values and what they were made of. */
export interface LoadedValues {
  values: Values;
  profile: Profile;
  /** The merged user layers before defaults. */
  raw: PlainMap;
}

/**
 * Parses, merges (files in order, then `--set`, later wins) and validates the values. Throws a
 * {@link ValuesError} with every problem found, each located in its file, line and column.
 */
export function loadValues(input: ValuesInput): LoadedValues {
  const parsed = [...input.files.map((f) => parseValuesFile(f.name, f.text)), ...input.sets.map(parseSetFlag)];
  const parseIssues = parsed.flatMap((p) => p.issues);
  if (parseIssues.length > 0) throw new ValuesError(parseIssues);
  const layers = parsed.flatMap((p) => (p.layer ? [p.layer] : []));
  const raw = layers.reduce<PlainMap>((merged, layer) => mergeValues(merged, layer.data), {});
  const profile = profileOfRaw(raw);
  const result = buildValuesSchema(profile).safeParse(raw, { reportInput: true });
  if (!result.success) {
    const jsonSchema = valuesJsonSchema();
    const locate = locator(layers);
    const issues: ValuesIssue[] = result.error.issues.flatMap((issue) => describeIssue(issue, jsonSchema, locate));
    throw new ValuesError(sortByLocation(issues, layers));
  }
  return { values: result.data, profile, raw };
}

/** Finds the layer that last wrote a path (or its nearest written parent); `(defaults)` when none did. */
function locator(layers: readonly ValuesLayer[]) {
  return (path: readonly PropertyKey[], atKey: boolean): string => {
    for (let length = path.length; length >= 1; length--) {
      const prefix = path.slice(0, length);
      for (const layer of [...layers].reverse()) {
        const location = layer.locate(prefix, atKey && length === path.length);
        if (location) return location;
      }
    }
    return '(defaults)';
  };
}

/** Orders issues as the user reads them: layer by layer, then by line and column. */
function sortByLocation(issues: ValuesIssue[], layers: readonly ValuesLayer[]): ValuesIssue[] {
  const key = (issue: ValuesIssue): [number, number, number] => {
    const layer = layers.findIndex((l) => issue.location === l.name || issue.location.startsWith(`${l.name}:`));
    const [line, col] = issue.location.slice(layers[layer]?.name.length ?? 0).split(':').slice(1).map(Number);
    return [layer < 0 ? layers.length : layer, line ?? 0, col ?? 0];
  };
  return issues
    .map((issue) => ({ issue, key: key(issue) }))
    .sort((a, b) => a.key[0] - b.key[0] || a.key[1] - b.key[1] || a.key[2] - b.key[2])
    .map((entry) => entry.issue);
}
