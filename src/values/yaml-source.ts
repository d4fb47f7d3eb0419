import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import { isPlainMap, type PlainMap } from './merge.js';
import type { ValuesIssue } from './issues.js';

/** One values layer: its data and a way to say where a key path is written. */
export interface ValuesLayer {
  /** The layer's name for messages: a file path or a `--set` flag. */
  readonly name: string;
  readonly data: PlainMap;
  /** Location (`file:line:col`, or the flag) of a path this layer sets; undefined when it does not set it. */
  locate(path: readonly PropertyKey[], atKey?: boolean): string | undefined;
}

/** Parses one YAML values file, keeping source positions; YAML errors become issues. */
export function parseValuesFile(name: string, text: string): { layer?: ValuesLayer; issues: ValuesIssue[] } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  const where = (offset: number) => {
    const { line, col } = lineCounter.linePos(offset);
    return `${name}:${line}:${col}`;
  };
  if (doc.errors.length > 0) {
    return {
      issues: doc.errors.map((e) => ({
        location: where(e.pos[0]),
        path: '',
        message: `malformed YAML: ${e.message.split('\n')[0]}`,
      })),
    };
  }
  const data: unknown = doc.toJS({ maxAliasCount: 100 }) ?? {};
  if (!isPlainMap(data)) {
    return { issues: [{ location: where(0), path: '', message: `expected a mapping of values at the top, found ${describe(data)}` }] };
  }
  const locate = (path: readonly PropertyKey[], atKey = false) => {
    const found = findNode(doc.contents, path, atKey);
    return found?.range ? where(found.range[0]) : undefined;
  };
  return { layer: { name, data, locate }, issues: [] };
}

/** Walks a YAML node along a key path; with `atKey`, returns the key node of the last segment. */
function findNode(node: unknown, path: readonly PropertyKey[], atKey: boolean): Node | undefined {
  let current: unknown = node;
  for (let i = 0; i < path.length; i++) {
    const segment = path[i];
    const last = i === path.length - 1;
    if (isMap(current)) {
      const pair = current.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === segment);
      if (!pair) return undefined;
      if (last && (atKey || pair.value === null)) return pair.key as Node;
      current = pair.value;
    } else if (isSeq(current) && typeof segment === 'number') {
      current = current.items[segment];
    } else {
      return undefined;
    }
    if (current === undefined || current === null) return undefined;
  }
  return current as Node;
}

/** Short description of a found value for messages: `string "abc"`, `number 3`, `a list`. */
export function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `${typeof value} ${JSON.stringify(value)}`;
}
