import { isAlias, isMap, isScalar, isSeq, visit, type Document, type Node } from 'yaml';
import { FORBIDDEN_KEYS } from './merge.js';

/** A problem found in the YAML structure, at a source offset. */
export interface YamlProblem {
  readonly offset: number;
  readonly message: string;
}

const CORE = 'tag:yaml.org,2002:';
/** Tags of the YAML 1.2 core schema: what a values file may say explicitly. */
const ALLOWED_TAGS = new Set(['str', 'int', 'float', 'bool', 'null', 'map', 'seq', 'merge'].map((t) => CORE + t));

/**
 * Finds what a values file must not contain although YAML allows it: tags outside the core schema
 * (`!!binary`, `!!timestamp`, `!!set`, custom `!tags`, which the loader would silently turn into
 * other types or plain strings), keys that are not scalars, and `__proto__` keys (which would be
 * dropped or reach a prototype).
 */
export function structureProblems(doc: Document, text: string): YamlProblem[] {
  const problems: YamlProblem[] = doc.warnings.flatMap((warning) => {
    const tag = /Unresolved tag: (\S+)/.exec(warning.message)?.[1];
    if (warning.code !== 'TAG_RESOLVE_FAILED') return [{ offset: warning.pos[0], message: warning.message.split('\n')[0]! }];
    // A core tag on a value it does not fit (`!!int abc`) would silently become a string; other tags are reported below.
    return tag && ALLOWED_TAGS.has(tag) ? [{ offset: warning.pos[0], message: `the value does not fit its tag ${shortTag(tag)}` }] : [];
  });
  visit(doc, {
    Node(_key, node) {
      if (node.tag && !ALLOWED_TAGS.has(node.tag)) {
        problems.push({ offset: tagOffset(text, node.range?.[0] ?? 0), message: tagMessage(node.tag) });
      }
    },
    Pair(_key, pair) {
      const key = pair.key as Node | null;
      if (key === null || isAlias(key)) return;
      const offset = key.range?.[0] ?? 0;
      if (isMap(key) || isSeq(key)) {
        problems.push({ offset, message: 'expected a plain key, found a mapping or list used as a key' });
      } else if (isScalar(key) && FORBIDDEN_KEYS.has(String(key.value))) {
        problems.push({ offset, message: `"${String(key.value)}" cannot be a key` });
      }
    },
  });
  return problems;
}

/** Where the tag of a node starting at `start` is written: it precedes the node, perhaps with an anchor. */
function tagOffset(text: string, start: number): number {
  const match = /!\S*\s+(?:&\S+\s+)?$|!\S*$/.exec(text.slice(Math.max(0, start - 1000), start));
  return match ? start - (Math.min(start, 1000) - match.index) : start;
}

function shortTag(tag: string): string {
  return tag.startsWith(CORE) ? `!!${tag.slice(CORE.length)}` : tag;
}

function tagMessage(tag: string): string {
  const short = shortTag(tag);
  const what: Record<string, string> = {
    '!!binary': 'binary data',
    '!!timestamp': 'a timestamp',
    '!!set': 'a set',
    '!!omap': 'an ordered map',
    '!!pairs': 'a list of pairs',
  };
  const kind = what[short];
  return kind
    ? `the tag ${short} (${kind}) is not supported in values: write the value as a plain string, number or list`
    : `unknown tag ${short}: values files use plain YAML (strings, numbers, booleans, null, lists and mappings)`;
}
