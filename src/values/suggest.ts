import { closest, distance } from 'fastest-levenshtein';

/** The part of a JSON Schema this module walks. */
interface SchemaNode {
  properties?: Record<string, SchemaNode>;
  items?: SchemaNode;
  additionalProperties?: SchemaNode | boolean;
  anyOf?: SchemaNode[];
  oneOf?: SchemaNode[];
  allOf?: SchemaNode[];
}

/** Returns the candidate `word` is most likely a misspelling of, or undefined when none is close. */
export function didYouMean(word: string, candidates: readonly string[]): string | undefined {
  if (candidates.length === 0) return undefined;
  const sameCase = candidates.find((c) => c.toLowerCase() === word.toLowerCase());
  if (sameCase) return sameCase;
  const best = closest(word, [...candidates]);
  return distance(word, best) <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

/** The keys allowed at `path` in the values JSON Schema (empty when the path allows free keys). */
export function keysAt(schema: unknown, path: readonly PropertyKey[]): string[] {
  let nodes: SchemaNode[] = [schema as SchemaNode];
  for (const segment of path) {
    nodes = nodes.flatMap(expand).flatMap((node) => {
      if (typeof segment === 'number') return node.items ? [node.items] : [];
      const property = node.properties?.[String(segment)];
      if (property) return [property];
      return typeof node.additionalProperties === 'object' ? [node.additionalProperties] : [];
    });
  }
  return [...new Set(nodes.flatMap(expand).flatMap((node) => Object.keys(node.properties ?? {})))].sort();
}

function expand(node: SchemaNode): SchemaNode[] {
  const members = [...(node.anyOf ?? []), ...(node.oneOf ?? []), ...(node.allOf ?? [])];
  return [node, ...members.flatMap(expand)];
}
