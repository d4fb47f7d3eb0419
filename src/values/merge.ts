/**
 * Helm's merge of values layers: maps merge key by key, lists and scalars replace, and `null`
 * removes a key so that its default applies, whether or not an earlier layer set it.
 */

/** A plain YAML/JSON mapping. */
export type PlainMap = Record<string, unknown>;

/** Keys that would reach an object's prototype in JavaScript; refused in files and flags. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__']);

/** True for a plain mapping (not an array, not null, not a Date, Buffer or other class instance). */
export function isPlainMap(value: unknown): value is PlainMap {
  if (typeof value !== 'object' || value === null) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/**
 * Merges `overlay` onto `base` without changing either; returns a new object. A `null` in a
 * mapping of `overlay` (at any depth) leaves the key out of the result; `null` entries of lists
 * stay, as in Helm. Keys are set as own properties, so no key can reach a prototype.
 */
export function mergeValues(base: PlainMap, overlay: PlainMap): PlainMap {
  const result: PlainMap = {};
  for (const [key, value] of Object.entries(base)) setOwn(result, key, value);
  for (const [key, value] of Object.entries(overlay)) {
    const previous = Object.hasOwn(result, key) ? result[key] : undefined;
    if (value === null) {
      delete result[key];
    } else if (isPlainMap(value)) {
      setOwn(result, key, mergeValues(isPlainMap(previous) ? previous : {}, value));
    } else {
      setOwn(result, key, value);
    }
  }
  return result;
}

function setOwn(target: PlainMap, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}
