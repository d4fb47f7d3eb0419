import { valuesJsonSchema } from './json-schema.js';

/** The keywords of a JSON Schema node the reference reads (as `z.toJSONSchema` writes them). */
export interface SchemaNode {
  readonly type?: string | readonly string[];
  readonly description?: string;
  readonly default?: unknown;
  readonly enum?: readonly unknown[];
  readonly const?: unknown;
  readonly properties?: Readonly<Record<string, SchemaNode>>;
  readonly items?: SchemaNode;
  readonly additionalProperties?: SchemaNode | boolean;
  readonly anyOf?: readonly SchemaNode[];
}

/** One key of the values file: its dotted path (arrays as `hosts[].host`, map values as `labels.*`) and its schema. */
export interface ValueKey {
  readonly path: string;
  readonly schema: SchemaNode;
}

/**
 * Every key below `schema`, depth first in schema order: object properties, array items, map
 * values (`additionalProperties` schemas) and the object members of `anyOf`. `prefix` is the path
 * of `schema` itself.
 */
export function valueKeys(schema: SchemaNode, prefix = ''): ValueKey[] {
  const keys: ValueKey[] = [];
  const visit = (node: SchemaNode, path: string): void => {
    for (const [name, child] of Object.entries(node.properties ?? {})) {
      const childPath = path ? `${path}.${name}` : name;
      keys.push({ path: childPath, schema: child });
      visit(child, childPath);
    }
    if (node.items) visit(node.items, `${path}[]`);
    if (typeof node.additionalProperties === 'object') visit(node.additionalProperties, `${path}.*`);
    for (const member of node.anyOf ?? []) visit(member, path);
  };
  visit(schema, prefix);
  return keys;
}

const HEADER = `# Values reference

Generated from the values schema (src/values/schema) by \`npm run schema\`; do not edit it by hand.
Every key of the values file with its type, default and meaning. Defaults are the development
profile's (\`global.development: true\`); descriptions name the production default where it differs.
Editors get the same help from values.schema.json.`;

/** The values reference (docs/values.md): one section per top-level key, one table row per key below it. */
export function valuesReference(schema: SchemaNode = valuesJsonSchema() as SchemaNode): string {
  const slices = Object.entries(schema.properties ?? {});
  const contents = slices.map(([key]) => `[${key}](#${key.toLowerCase()})`).join(' · ');
  return `${[HEADER, contents, ...slices.map(([key, slice]) => section(key, slice))].join('\n\n')}\n`;
}

function section(key: string, slice: SchemaNode): string {
  const rows = valueKeys(slice, key).map(
    ({ path, schema }) => `| ${cell(code(path))} | ${cell(typeText(schema))} | ${cell(defaultCell(schema))} | ${cell(prose(schema.description ?? ''))} |`,
  );
  return [`## ${key}`, ...(slice.description ? ['', prose(slice.description)] : []), '', '| key | type | default | description |', '| --- | --- | --- | --- |', ...rows].join('\n');
}

/** `string`, `integer[]`, `number | string`, `map of string`, or the values of an enum. */
function typeText(s: SchemaNode): string {
  if (s.enum) return s.enum.map((v) => code(literal(v))).join(' | ');
  if (s.const !== undefined) return code(literal(s.const));
  if (s.anyOf) return [...new Set(s.anyOf.map(typeText))].join(' | ');
  const types = typeof s.type === 'string' ? [s.type] : (s.type ?? []);
  if (types.length === 0) return 'any';
  return types.map((t) => (t === 'array' ? arrayText(s.items) : t === 'object' ? objectText(s) : t)).join(' | ');
}

function arrayText(items: SchemaNode | undefined): string {
  if (!items) return 'array';
  const item = typeText(items);
  return item.includes(' | ') ? `(${item})[]` : `${item}[]`;
}

function objectText(s: SchemaNode): string {
  const values = s.additionalProperties;
  if (s.properties || typeof values !== 'object' || Object.keys(values).length === 0) return 'object';
  return `map of ${typeText(values)}`;
}

/** The default as inline code: strings as they are, everything else as compact JSON. */
function defaultCell(s: SchemaNode): string {
  if (!('default' in s)) return '';
  return code(literal(s.default));
}

function literal(value: unknown): string {
  return typeof value === 'string' && value !== '' ? value : JSON.stringify(value);
}

/** Inline code that survives backticks in `text`. */
function code(text: string): string {
  const fence = '`'.repeat(Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length)) + 1);
  const pad = text.startsWith('`') || text.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${text}${pad}${fence}`;
}

/** Plain text in Markdown: emphasis marks, HTML brackets and backticks escaped (`<release>`, cron `*`). */
function prose(text: string): string {
  return text.replace(/[\\*<>`]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])/g, '\\$&');
}

/** A table cell: pipes escaped (GitHub tables split on them even inside code), one line. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');
}
