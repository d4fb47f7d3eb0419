import type { ValuesIssue } from './issues.js';
import { isPlainMap, type PlainMap } from './merge.js';
import type { ValuesLayer } from './yaml-source.js';

/**
 * Helm's `--set` syntax: `a.b=c`, several assignments separated by commas, list indexes
 * `a.b[0].c=x`, lists `{x,y}`, typed scalars (integers, decimals, true/false, null), and `\` to
 * escape `.`, `,`, `=` and `\`.
 */
export function parseSetFlag(flag: string): { layer?: ValuesLayer; issues: ValuesIssue[] } {
  const name = `--set ${flag}`;
  const fail = (message: string) => ({ issues: [{ location: name, path: '', message }] });
  const assigned: { path: PropertyKey[] }[] = [];
  const data: PlainMap = {};
  for (const assignment of splitUnescaped(flag, ',', true)) {
    const eq = indexOfUnescaped(assignment, '=');
    if (eq < 0) return fail(`expected key=value, found "${assignment}"`);
    const path = parseKeyPath(assignment.slice(0, eq));
    if (typeof path === 'string') return fail(path);
    const raw = assignment.slice(eq + 1);
    const value = parseSetValue(raw);
    if (value instanceof Error) return fail(value.message);
    const error = assign(data, path, value);
    if (error) return fail(error);
    assigned.push({ path });
  }
  const locate = (path: readonly PropertyKey[]) =>
    assigned.some((a) => isPrefix(a.path, path) || isPrefix(path, a.path)) ? name : undefined;
  return { layer: { name, data, locate }, issues: [] };
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

/** `a.b[0].c` → ['a','b',0,'c']; a string is an error message. */
function parseKeyPath(key: string): PropertyKey[] | string {
  const path: PropertyKey[] = [];
  for (const part of splitUnescaped(key, '.', true)) {
    const match = /^((?:\\.|[^[\\])*)((?:\[\d+\])*)$/.exec(part);
    if (!match || match[1] === '') return `expected a key path such as a.b[0].c, found "${key}"`;
    path.push(match[1]!.replace(/\\(.)/g, '$1'));
    for (const index of match[2]!.matchAll(/\[(\d+)\]/g)) path.push(Number(index[1]));
  }
  return path;
}

/** Types a `--set` value as Helm does: numbers, booleans, null, `{a,b}` lists, else a string. */
function parseSetValue(raw: string): unknown {
  if (raw.startsWith('{')) {
    if (!raw.endsWith('}')) return new Error(`unclosed list "${raw}": write {a,b}`);
    const inner = raw.slice(1, -1);
    return inner === '' ? [] : splitUnescaped(inner, ',', false).map(parseScalar);
  }
  return parseScalar(raw.replace(/\\(.)/g, '$1'));
}

function parseScalar(raw: string): unknown {
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  if (raw === 'null') return null;
  if (/^-?(0|[1-9]\d*)(\.\d+)?$/.test(raw)) return Number(raw);
  return raw;
}

/** Sets `value` at `path` inside `target`, creating maps and lists; a string is an error message. */
function assign(target: PlainMap, path: PropertyKey[], value: unknown): string | undefined {
  let current: unknown = target;
  for (let i = 0; i < path.length; i++) {
    const segment = path[i]!;
    const last = i === path.length - 1;
    const nextIsIndex = typeof path[i + 1] === 'number';
    const container = current as Record<PropertyKey, unknown>;
    if (typeof segment === 'number') {
      if (!Array.isArray(current)) return `index [${segment}] used on something that is not a list`;
      if (segment > current.length) return `index [${segment}] skips list entries: set [${current.length}] first`;
    } else if (!isPlainMap(current)) {
      return `key "${String(segment)}" used on something that is not a mapping`;
    }
    if (last) {
      container[segment] = value;
    } else {
      if (container[segment] === undefined) container[segment] = nextIsIndex ? [] : {};
      current = container[segment];
    }
  }
  return undefined;
}
