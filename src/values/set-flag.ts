import type { ValuesIssue } from './issues.js';
import { FORBIDDEN_KEYS, isPlainMap, type PlainMap } from './merge.js';
import type { ValuesLayer } from './yaml-source.js';

/**
 * One value flag of the command line. `set` is Helm's `--set` (typed scalars, `{a,b}` lists),
 * `set-string` the same syntax with every value kept a string, `set-file` one `KEY=FILE` whose
 * value is the file's contents (read by the CLI, given here as `contents`).
 */
export interface SetFlag {
  readonly kind: 'set' | 'set-string' | 'set-file';
  /** The flag's argument as typed, e.g. `a.b=c,d[0]=e`. */
  readonly text: string;
  /** `set-file` only: the file's contents. */
  readonly contents?: string;
}

/**
 * Helm's `--set` syntax: `a.b=c`, several assignments separated by commas, list indexes
 * `a.b[0].c=x`, lists `{x,y}`, typed scalars (integers, decimals, true/false, null), and `\` to
 * escape `.`, `,`, `=` and `\`. As in Helm, all flags write into one map in order, so
 * `--set a[0].x=1 --set a[0].y=2` gives `a: [{x: 1, y: 2}]`; the layer locates a path at the last
 * flag that wrote it (or a parent or child of it). A plain string is a `--set` flag.
 */
export function parseSetFlags(flags: readonly (string | SetFlag)[]): { layer?: ValuesLayer; issues: ValuesIssue[] } {
  const data: PlainMap = {};
  const assigned: { name: string; path: PropertyKey[] }[] = [];
  const issues: ValuesIssue[] = [];
  for (const given of flags) {
    const flag: SetFlag = typeof given === 'string' ? { kind: 'set', text: given } : given;
    const name = flagName(flag);
    const result = assignments(flag);
    if (typeof result === 'string') {
      issues.push({ location: name, path: '', message: result });
      continue;
    }
    for (const { path, value } of result) {
      const error = assign(data, path, value);
      if (error) {
        issues.push({ location: name, path: '', message: error });
        break;
      }
      assigned.push({ name, path });
    }
  }
  if (issues.length > 0) return { issues };
  const locate = (path: readonly PropertyKey[]) =>
    [...assigned].reverse().find((a) => isPrefix(a.path, path) || isPrefix(path, a.path))?.name;
  return { layer: { name: '--set', data, locate }, issues: [] };
}

/** One `--set` flag on its own (see {@link parseSetFlags}). */
export function parseSetFlag(flag: string): { layer?: ValuesLayer; issues: ValuesIssue[] } {
  return parseSetFlags([flag]);
}

/** How a flag is named in messages: `--set a=b`. */
function flagName(flag: SetFlag): string {
  return `--${flag.kind} ${flag.text}`;
}

/** The file a `--set-file KEY=FILE` flag reads, or an error message. */
export function setFileTarget(text: string): { key: string; file: string } | string {
  const eq = indexOfUnescaped(text, '=');
  if (eq < 0) return `expected KEY=FILE, found "${text}"`;
  const file = text.slice(eq + 1);
  if (file === '') return `expected KEY=FILE, found no file name after "="`;
  return { key: text.slice(0, eq), file };
}

/** The flag's assignments in order, or an error message. */
function assignments(flag: SetFlag): { path: PropertyKey[]; value: unknown }[] | string {
  if (flag.kind === 'set-file') {
    const target = setFileTarget(flag.text);
    if (typeof target === 'string') return target;
    const path = parseKeyPath(target.key);
    return typeof path === 'string' ? path : [{ path, value: flag.contents ?? '' }];
  }
  const result: { path: PropertyKey[]; value: unknown }[] = [];
  for (const assignment of splitUnescaped(flag.text, ',', true)) {
    const eq = indexOfUnescaped(assignment, '=');
    if (eq < 0) return `expected key=value, found "${assignment}"`;
    const path = parseKeyPath(assignment.slice(0, eq));
    if (typeof path === 'string') return path;
    const value = parseSetValue(assignment.slice(eq + 1), flag.kind === 'set-string' ? String : parseScalar);
    if (value instanceof Error) return value.message;
    result.push({ path, value });
  }
  return result;
}

function isPrefix(prefix: readonly PropertyKey[], path: readonly PropertyKey[]): boolean {
  return prefix.length <= path.length && prefix.every((segment, i) => segment === path[i]);
}

/** Splits on `sep` outside `{…}` and not escaped; `keepEscapes` leaves `\` in the parts. */
function splitUnescaped(text: string, sep: string, keepEscapes: boolean): string[] {
  const parts: string[] = [];
  let current = '';
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\' && i + 1 < text.length) {
      current += keepEscapes ? c + text[i + 1] : text[i + 1];
      i++;
    } else if (c === '{') {
      depth++;
      current += c;
    } else if (c === '}') {
      depth--;
      current += c;
    } else if (c === sep && depth === 0) {
      parts.push(current);
      current = '';
    } else {
      current += c;
    }
  }
  parts.push(current);
  return parts;
}

function indexOfUnescaped(text: string, char: string): number {
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === char) return i;
  }
  return -1;
}

/** Longest key path accepted: values nest about 10 deep. */
const MAX_PATH_LENGTH = 64;

/** `a.b[0].c` → ['a','b',0,'c']; a string is an error message. */
function parseKeyPath(key: string): PropertyKey[] | string {
  const path: PropertyKey[] = [];
  for (const part of splitUnescaped(key, '.', true)) {
    const match = /^((?:\\.|[^[\\])*)((?:\[\d+\])*)$/.exec(part);
    if (!match || match[1] === '') return `expected a key path such as a.b[0].c, found "${key}"`;
    const name = match[1]!.replace(/\\(.)/g, '$1');
    if (FORBIDDEN_KEYS.has(name)) return `"${name}" cannot be a key (found in "${key}")`;
    path.push(name);
    for (const index of match[2]!.matchAll(/\[(\d+)\]/g)) {
      const n = Number(index[1]);
      if (!Number.isSafeInteger(n) || n > 100_000) return `list index [${index[1]}] is too large (found in "${key}")`;
      path.push(n);
    }
  }
  if (path.length > MAX_PATH_LENGTH) return `key path nested more than ${MAX_PATH_LENGTH} levels deep (found in "${key.slice(0, 40)}…")`;
  return path;
}

/** Types a `--set` value as Helm does: numbers, booleans, null, `{a,b}` lists, else a string. */
function parseSetValue(raw: string, scalar: (raw: string) => unknown): unknown {
  if (raw.startsWith('{')) {
    if (!raw.endsWith('}')) return new Error(`unclosed list "${raw}": write {a,b}`);
    const inner = raw.slice(1, -1);
    return inner === '' ? [] : splitUnescaped(inner, ',', false).map(scalar);
  }
  return scalar(raw.replace(/\\(.)/g, '$1'));
}

function parseScalar(raw: string): unknown {
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  if (raw === 'null') return null;
  // As Helm: an integer too large to hold exactly stays a string (a long numeric token is not a number).
  if (/^-?(0|[1-9]\d*)$/.test(raw)) return Number.isSafeInteger(Number(raw)) ? Number(raw) : raw;
  if (/^-?(0|[1-9]\d*)\.\d+$/.test(raw)) return Number(raw);
  return raw;
}

/** Sets `value` at `path` inside `target`, creating maps and lists; a string is an error message. */
function assign(target: PlainMap, path: PropertyKey[], value: unknown): string | undefined {
  let current: unknown = target;
  for (let i = 0; i < path.length; i++) {
    const segment = path[i]!;
    const last = i === path.length - 1;
    const nextIsIndex = typeof path[i + 1] === 'number';
    if (typeof segment === 'number') {
      if (!Array.isArray(current)) return `index [${segment}] used on something that is not a list`;
      if (segment > current.length) return `index [${segment}] skips list entries: set [${current.length}] first`;
    } else if (!isPlainMap(current)) {
      return `key "${String(segment)}" used on something that is not a mapping`;
    }
    const container = current as Record<PropertyKey, unknown>;
    const existing = Object.hasOwn(container, segment) ? container[segment] : undefined;
    if (last) {
      Object.defineProperty(container, segment, { value, enumerable: true, writable: true, configurable: true });
    } else {
      if (existing === undefined || existing === null) {
        Object.defineProperty(container, segment, { value: nextIsIndex ? [] : {}, enumerable: true, writable: true, configurable: true });
      }
      current = container[segment];
    }
  }
  return undefined;
}
