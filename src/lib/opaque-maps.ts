import { ApiObject } from 'cdk8s';
import type { Construct } from 'constructs';

/**
 * String maps that cdk8s cannot serialize as they are, carried around its serializer.
 *
 * cdk8s breaks on two kinds of `{ [key: string]: string }` maps (labels, annotations, node
 * selectors, ConfigMap data…), both valid in Kubernetes:
 * - a key named like an `Object.prototype` member: `constructor` makes `sanitizeValue` throw
 *   ("can't render non-simple object"), and a map with `constructor` and `value` keys is replaced
 *   by `{ value }` by its `NumberStringUnionResolver`;
 * - a large map: the generated `toJson_*` converters copy the map once per key
 *   (`reduce((r, i) => ({ ...r, [k]: v }))`), quadratic in its size (2,000 labels: minutes).
 *
 * Before synthesis, {@link hideMaps} swaps each such map in every ApiObject's props and metadata
 * for a one-key stand-in that every stage copies as is; {@link restoreMaps} puts the maps back
 * (keys sorted, as cdk8s sorts them) into the synthesized JSON. Only maps of string values are
 * swapped, and only risky ones: for them every cdk8s and `toJson_*` stage is the identity.
 */

/** Stand-in key: a NUL character cannot be in a label, annotation or data key. */
const MARK = '\u0000opaque-map';

/** Above this many keys a map is swapped (the quadratic copy costs nothing below it). */
const LARGE_MAP = 16;

/** Maps taken out of the objects, by stand-in number. */
export type MapVault = Map<string, Readonly<Record<string, string>>>;

/** Swaps the risky string maps of every ApiObject under `root` for one-key stand-ins. */
export function hideMaps(root: Construct): MapVault {
  const vault: MapVault = new Map();
  for (const node of root.node.findAll()) {
    if (!ApiObject.isApiObject(node)) continue;
    const internals = node as unknown as { props: unknown };
    internals.props = hide(internals.props, vault);
    const metadata = node.metadata as unknown as { labels: unknown; annotations: unknown };
    metadata.labels = hide(metadata.labels, vault);
    metadata.annotations = hide(metadata.annotations, vault);
  }
  return vault;
}

/** Puts the maps back into synthesized objects (in place), keys sorted. */
export function restoreMaps<T>(value: T, vault: MapVault): T {
  if (vault.size === 0) return value;
  return restore(value, vault) as T;
}

/**
 * Applies a generated `k8s.toJson_*` converter to a value outside an ApiObject (a manifest kept in a
 * config file), with the same protection: linear in map sizes, prototype-named keys kept.
 */
export function convertJson<T, R>(value: T, convert: (value: T) => R): R {
  const vault: MapVault = new Map();
  return restoreMaps(convert(hide(value, vault) as T), vault);
}

function hide(value: unknown, vault: MapVault): unknown {
  if (Array.isArray(value)) {
    // Copied only when an item changes (most objects have no risky map: nothing is allocated).
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const hidden = hide(value[i], vault);
      if (hidden !== value[i] && !copy) copy = value.slice(0, i);
      copy?.push(hidden);
    }
    return copy ?? value;
  }
  if (!isPlainObject(value)) return value;
  const keys = Object.keys(value);
  if (keys.length > 0 && keys.every((k) => typeof value[k] === 'string') && isRisky(keys)) {
    const id = String(vault.size);
    vault.set(id, value as Record<string, string>);
    return { [MARK]: id };
  }
  let copy: Record<string, unknown> | undefined;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    const hidden = hide(value[key], vault);
    if (hidden !== value[key] && !copy) {
      copy = {};
      for (const before of keys.slice(0, i)) define(copy, before, value[before]);
    }
    if (copy) define(copy, key, hidden);
  }
  return copy ?? value;
}

/** Sets an own enumerable property, whatever its name (`__proto__` included). */
function define(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function restore(value: unknown, vault: MapVault): unknown {
  if (Array.isArray(value)) return value.map((item) => restore(item, vault));
  if (!isPlainObject(value)) return value;
  const keys = Object.keys(value);
  if (keys.length === 1 && keys[0] === MARK) {
    const map = vault.get(value[MARK] as string);
    if (!map) throw new Error(`internal: no map for stand-in ${String(value[MARK])}`);
    return Object.fromEntries(Object.keys(map).sort().map((k) => [k, map[k]]));
  }
  for (const key of keys) value[key] = restore(value[key], vault);
  return value;
}

/** True for a map cdk8s would mishandle: a key an `Object.prototype` member has, or many keys. */
function isRisky(keys: readonly string[]): boolean {
  return keys.length > LARGE_MAP || keys.some((k) => k in Object.prototype);
}

/** An object literal (or a null-prototype map), however its own keys are named. */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
