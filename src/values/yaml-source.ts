import { isAlias, isMap, isScalar, isSeq, LineCounter, parseAllDocuments, type Document, type Node } from 'yaml';
import { isPlainMap, type PlainMap } from './merge.js';
import type { ValuesIssue } from './issues.js';
import { structureProblems } from './yaml-checks.js';

/** One values layer: its data and a way to say where a key path is written. */
export interface ValuesLayer {
  /** The layer's name for messages: a file path or a `--set` flag. */
  readonly name: string;
  readonly data: PlainMap;
  /** Location (`file:line:col`, or the flag) of a path this layer sets; undefined when it does not set it. */
  locate(path: readonly PropertyKey[], atKey?: boolean): string | undefined;
}

/** Alias expansions allowed per file: enough for real reuse, far too few for a "billion laughs" bomb. */
const MAX_ALIAS_COUNT = 100;
/** Deepest nesting of mappings and lists accepted (values nest about 10 deep; deeper is a mistake or an attack). */
const MAX_DEPTH = 64;
/** YAML errors shown per file (a deeply broken file would otherwise print hundreds of lines). */
const MAX_ERRORS = 5;

/**
 * Parses one YAML values file (a single document, YAML 1.2 core schema plus `<<` merge keys as in
 * Helm), keeping source positions; every problem becomes a located issue.
 */
export function parseValuesFile(name: string, text: string): { layer?: ValuesLayer; issues: ValuesIssue[] } {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, uniqueKeys: true, prettyErrors: false, merge: true });
  const where = (offset: number) => {
    const { line, col } = lineCounter.linePos(offset);
    return `${name}:${line}:${col}`;
  };
  const fail = (offset: number, message: string) => ({ issues: [{ location: where(offset), path: '', message }] });
  const list = Array.isArray(docs) ? docs : [];
  const errors = list.flatMap((d) => d.errors);
  if (errors.length > 0) {
    const seen = new Set<string>();
    const issues = errors
      .map((e) => ({ location: where(e.pos[0]), path: '', message: e.code === 'RESOURCE_EXHAUSTION' ? `nested too deeply or too large to parse` : `malformed YAML: ${e.message.split('\n')[0]}` }))
      .filter((issue) => !seen.has(issue.message + issue.location) && seen.add(issue.message + issue.location));
    const more = issues.length - MAX_ERRORS;
    if (more > 0) issues.splice(MAX_ERRORS, more, { location: name, path: '', message: `and ${more} more YAML errors` });
    return { issues };
  }
  const documents = list.filter((d) => !isEmpty(d));
  if (documents.length > 1) {
    const second = documents[1]!.range[0];
    return fail(
      second,
      `expected one YAML document, found a second one starting at line ${lineCounter.linePos(second).line}: ` +
        'a values file holds one document; remove the "---" separator or pass each document as its own -f file',
    );
  }
  const doc = documents[0];
  if (!doc) return { layer: { name, data: {}, locate: () => undefined }, issues: [] };
  const deep = tooDeep(doc);
  if (deep !== undefined) return fail(deep, `nested more than ${MAX_DEPTH} levels deep`);
  const problems = structureProblems(doc, text);
  if (problems.length > 0) return { issues: problems.map((p) => ({ location: where(p.offset), path: '', message: p.message })) };
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) ?? {};
  } catch (error) {
    if (error instanceof ReferenceError && /alias count/i.test(error.message)) {
      return fail(firstAlias(doc) ?? 0, `too many alias expansions (more than ${MAX_ALIAS_COUNT}): refusing a file that expands to a huge document`);
    }
    throw error;
  }
  if (!isPlainMap(data)) {
    return fail(doc.contents?.range?.[0] ?? 0, `expected a mapping of values at the top, found ${describe(data)}`);
  }
  const locate = (path: readonly PropertyKey[], atKey = false) => {
    const found = findNode(doc, path, atKey);
    return found?.range ? where(found.range[0]) : undefined;
  };
  return { layer: { name, data, locate }, issues: [] };
}

/** A document with nothing in it (only comments, or an empty `---` section). */
function isEmpty(doc: Document): boolean {
  const contents = doc.contents;
  return contents === null || (isScalar(contents) && contents.value === null && !contents.tag && contents.source === '');
}

/** Offset of the first node nested deeper than {@link MAX_DEPTH}, walking without recursion. */
function tooDeep(doc: Document): number | undefined {
  const stack: [unknown, number][] = [[doc.contents, 0]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (!isMap(node) && !isSeq(node)) continue;
    if (depth >= MAX_DEPTH) return node.range?.[0] ?? 0;
    for (const item of node.items) {
      if (isMap(node)) stack.push([(item as { value: unknown }).value, depth + 1], [(item as { key: unknown }).key, depth + 1]);
      else stack.push([item, depth + 1]);
    }
  }
  return undefined;
}

function firstAlias(doc: Document): number | undefined {
  let offset: number | undefined;
  const walk = (node: unknown): void => {
    if (offset !== undefined) return;
    if (isAlias(node)) offset = node.range?.[0];
    else if (isMap(node)) node.items.forEach((p) => walk(p.value));
    else if (isSeq(node)) node.items.forEach(walk);
  };
  walk(doc.contents);
  return offset;
}

/**
 * Walks a YAML node along a key path, following aliases and `<<` merge keys; with `atKey`,
 * returns the key node of the last segment.
 */
function findNode(doc: Document, path: readonly PropertyKey[], atKey: boolean): Node | undefined {
  let current: unknown = doc.contents;
  for (let i = 0; i < path.length; i++) {
    const segment = path[i];
    const last = i === path.length - 1;
    if (isAlias(current)) current = current.resolve(doc);
    if (isMap(current)) {
      const pair = findPair(doc, current, segment);
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

type YamlPair = { key: unknown; value: unknown };

/** The pair of `key` in a map, or in the maps it merges with `<<` (the map's own keys win). */
function findPair(doc: Document, map: { items: YamlPair[] }, key: PropertyKey, depth = 0): YamlPair | undefined {
  const keyOf = (p: YamlPair) => (isScalar(p.key) ? p.key.value : p.key);
  const own = map.items.find((p) => keyOf(p) === key);
  if (own || depth > 10) return own;
  const isMerge = (p: YamlPair) => isScalar(p.key) && (p.key.source === '<<' || p.key.value === '<<');
  for (const merge of map.items.filter(isMerge)) {
    const sources = isSeq(merge.value) ? merge.value.items : [merge.value];
    for (const source of sources) {
      const target = isAlias(source) ? source.resolve(doc) : source;
      const found = isMap(target) ? findPair(doc, target as { items: YamlPair[] }, key, depth + 1) : undefined;
      if (found) return found;
    }
  }
  return undefined;
}

/** Short description of a found value for messages: `string "abc"`, `number 3`, `a list`. */
export function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (Number.isNaN(value)) return 'not a number (.nan)';
  if (typeof value === 'number' && !Number.isFinite(value)) return `number ${String(value)} (.inf, or a number too large)`;
  if (value instanceof Date) return 'a timestamp';
  if (value instanceof Uint8Array) return 'binary data';
  if (typeof value === 'object') return 'a mapping';
  return `${typeof value} ${JSON.stringify(value)}`;
}
