/** Helm's merge of values layers: maps merge key by key, lists and scalars replace, `null` deletes a key. */

/** A plain YAML/JSON mapping. */
export type PlainMap = Record<string, unknown>;

/** True for a plain mapping (not an array, not null). */
export function isPlainMap(value: unknown): value is PlainMap {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Merges `overlay` onto `base` without changing either; returns a new object. */
export function mergeValues(base: PlainMap, overlay: PlainMap): PlainMap {
  const result: PlainMap = { ...base };
  for (const [key, value] of Object.entries(overlay)) {
    if (value === null) {
      delete result[key];
    } else if (isPlainMap(value) && isPlainMap(result[key])) {
      result[key] = mergeValues(result[key] as PlainMap, value);
    } else {
      result[key] = value;
    }
  }
  return result;
}
