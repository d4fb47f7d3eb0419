import { valuesSchemaFor, profileOfRaw, type Values } from './schema/index.js';
import { describeIssue } from './describe-issue.js';
import { ValuesError, type ValuesIssue } from './issues.js';
import { valuesJsonSchema } from './json-schema.js';
import { locator, sortByLocation, type Locate } from './locate.js';
import { mergeValues, type PlainMap } from './merge.js';
import { credentialsIn, credentialsInFlags, redactIssues } from './redact.js';
import { parseSetFlags, type SetFlag } from './set-flag.js';
import { parseValuesFile } from './yaml-source.js';

/** What the user gave: values files (already read) in order, then `--set` flags (a string is `--set`) in order. */
export interface ValuesInput {
  files: readonly { name: string; text: string }[];
  sets: readonly (string | SetFlag)[];
  /** Problems found before, e.g. in flags: reported together with the values' own (default none). */
  issues?: readonly ValuesIssue[];
}

/** Where the values came from: what later stages (the render) need to report problems like the loader does. */
export interface ValuesSource {
  /** Locates a key path in the files and flags (see {@link Locate}). */
  readonly locate: Locate;
  /** Orders issues and hides the credentials of the values in them. */
  readonly finish: (issues: readonly ValuesIssue[]) => ValuesIssue[];
}

/** Validated values and what they were made of. */
export interface LoadedValues {
  values: Values;
  /** Locating and redacting problems found later (render stage). */
  source: ValuesSource;
}

/**
 * Parses, merges (files in order, then `--set`, later wins) and validates the values. Throws a
 * {@link ValuesError} with every problem found, each located in its file, line and column: the
 * YAML and `--set` problems of some inputs together with the schema problems of the others.
 */
export function loadValues(input: ValuesInput): LoadedValues {
  const parsed = [...input.files.map((f) => parseValuesFile(f.name, f.text)), parseSetFlags(input.sets)];
  const parseIssues = parsed.flatMap((p) => p.issues);
  const layers = parsed.flatMap((p) => (p.layer ? [p.layer] : []));
  const raw = layers.reduce<PlainMap>((merged, layer) => mergeValues(merged, layer.data), {});
  const flagTexts = input.sets.map((s) => (typeof s === 'string' ? s : s.kind === 'set-file' ? '' : s.text));
  const credentials = [...layers.flatMap((l) => credentialsIn(l.data)), ...credentialsInFlags(flagTexts)];
  const names = [...input.files.map((f) => f.name), '--set'];
  const source: ValuesSource = {
    locate: locator(layers),
    finish: (issues) => redactIssues(sortByLocation(issues, names), credentials),
  };
  const profile = profileOfRaw(raw);
  const result = valuesSchemaFor(profile).safeParse(raw, { reportInput: true });
  const issues = [...(input.issues ?? []), ...parseIssues];
  if (!result.success) {
    const jsonSchema = valuesJsonSchema();
    const schemaIssues = result.error.issues.flatMap((issue) => describeIssue(issue, jsonSchema, source.locate));
    // With an input left out (it did not parse), a problem no input wrote may only be its absence.
    issues.push(...(parseIssues.length > 0 ? schemaIssues.filter((i) => i.location !== '(defaults)') : schemaIssues));
  }
  if (issues.length > 0 || !result.success) throw new ValuesError(source.finish(issues));
  // The schema is shared by every load in the process and zod copies defaults one level deep: a
  // deep copy (≈ 0.1 ms) keeps two loads (two environments of one run) from sharing objects.
  return { values: structuredClone(result.data), source };
}
