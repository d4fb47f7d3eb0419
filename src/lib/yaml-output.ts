import YAML from 'yaml';

/**
 * YAML text of plain data, byte for byte what the `yaml` package writes with two option sets, about
 * ten times faster (the package's stringify was half of a warm render):
 * - {@link manifestYaml}: the rendered manifests, as cdk8s' `Yaml.stringify(...docs)` writes them
 *   (YAML 1.1 schema, no line folding, an object met twice written as an alias);
 * - {@link configYaml}: config files (YAML 1.2 core schema, no line folding, an object met twice
 *   written again, keys whose value is undefined left out).
 * Only plain JSON data is written here (maps, lists, strings, finite numbers, booleans, null), in
 * the block style the package picks for it: a string is plain unless it would read back as
 * something else under the schema or breaks a plain scalar's rules, then quoted (single quotes when
 * it holds a `"` and no `'`, JSON's double quotes otherwise); a multi-line value is a literal block.
 * A document with anything rarer (control characters, the merge key `<<`, a key that is empty,
 * multi-line or over 1,024 characters, a document marker at a line start, whitespace after a
 * value's last line break, an alias, a value that is not JSON) is handed to the package whole, so
 * the output is the package's in every case; test/lib/yaml-output.test.ts compares both on
 * generated documents.
 */
export function manifestYaml(documents: readonly unknown[]): string {
  // One list of pieces for all documents, joined once (a join per document copied the text twice).
  const out: string[] = [];
  documents.forEach((document, i) => {
    if (i > 0) out.push('---\n');
    if (document === undefined) return void out.push('\n');
    const mark = out.length;
    try {
      new Writer(MANIFEST, out).root(document);
      out.push('\n');
    } catch (error) {
      if (error !== RARE) throw error;
      out.length = mark;
      out.push(YAML.stringify(document, MANIFEST.options));
    }
  });
  return out.join('');
}

/** A config file's YAML: `yaml`'s `stringify(config, { lineWidth: 0, aliasDuplicateObjects: false })`. */
export function configYaml(config: unknown): string {
  return ownDocumentYaml(config, 'config') ?? YAML.stringify(config, CONFIG.options);
}

/** The schema's tags that would read a plain scalar as something other than a string (bool, int, float, null…), taken from the package's own schema. */
function nonStringTests(version: '1.1' | '1.2'): RegExp[] {
  const schema = new YAML.Document(null, { version }).schema;
  const tags = [...schema.tags, ...(schema.compat ?? [])] as { default?: unknown; tag: string; test?: RegExp }[];
  return tags.filter((tag) => tag.default && tag.tag !== 'tag:yaml.org,2002:str' && tag.test).map((tag) => tag.test!);
}

/** What differs between the two outputs. */
interface Dialect {
  /** The package's options this dialect reproduces. */
  readonly options: YAML.DocumentOptions & YAML.SchemaOptions & YAML.CreateNodeOptions & YAML.ToStringOptions;
  readonly nonString: readonly RegExp[];
  /** The package writes an object met twice as an alias (left to it), else writes it again. */
  readonly aliases: boolean;
}

const MANIFEST: Dialect = { options: { keepUndefined: true, lineWidth: 0, version: '1.1' }, nonString: nonStringTests('1.1'), aliases: true };
const CONFIG: Dialect = { options: { lineWidth: 0, aliasDuplicateObjects: false }, nonString: nonStringTests('1.2'), aliases: false };

/** One document written here, or undefined when it holds something left to the `yaml` package (exported for the comparison test). */
export function ownDocumentYaml(document: unknown, dialect: 'manifest' | 'config' = 'manifest'): string | undefined {
  try {
    const out: string[] = [];
    new Writer(dialect === 'manifest' ? MANIFEST : CONFIG, out).root(document);
    return `${out.join('')}\n`;
  } catch (error) {
    if (error !== RARE) throw error;
    return undefined;
  }
}

/** Thrown (and caught above) when a document holds something this writer leaves to the package. */
const RARE = Symbol('rare');

/** Control characters: the package writes them only double-quoted with escapes, as lone surrogates. */
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/;
/** Text the package escapes (the test without the `u` flag and the surrogate ranges is several times faster on long strings). */
const escaped = (text: string) => CONTROL.test(text) || !(text as string & { isWellFormed(): boolean }).isWellFormed();
/** Where a plain scalar cannot be used: an indicator first, `- `/`? `, `: `, ` #`, a space or colon last… (YAML 1.2 §7.3.3, as the package applies it). */
const NOT_PLAIN = /^[\n\t ,[\]{}#&*!|>'"%@`]|^[?-]$|^[?-][ \t]|[\n:][ \t]|[ \t]\n|[\n\t ]#|[\n\t :]$/;
/** A line that a YAML 1.1 reader could take for a directive or a document boundary (`%`, `---`, `...` after any of JavaScript's line terminators, as the package tests it). */
const DOCUMENT_MARKER = /^(%|---|\.\.\.)/m;
/** The marker test, run only on text that holds a marker's characters (a fast scan first). */
const hasDocumentMarker = (text: string) => (text.includes('%') || text.includes('---') || text.includes('...')) && DOCUMENT_MARKER.test(text);
/** Whitespace after the last line break: a literal block cannot keep it. */
const TRAILING_BLANK_LINE = /\n[\t ]+$/;
/** A run of line breaks not followed by another one or by the end. */
const INNER_BREAKS = /(^|(?<!\n))\n+(?!\n|$)/g;
const STEP = '  ';

class Writer {
  /** Objects already written in this document (with aliases) or being written (without: a cycle). */
  private readonly seen = new Set<object>();

  /**
   * @param out where the document's text goes, in pieces joined once by the caller (joining per
   * level copied the text once per nesting level)
   */
  constructor(
    private readonly dialect: Dialect,
    private readonly out: string[],
  ) {}

  /** A document's top level: a map or a list (a lone scalar is left to the package). */
  root(value: unknown): void {
    if (!isList(value) && !isMap(value)) throw RARE;
    this.collection(value, '');
  }

  /** A block collection whose lines after the first start at `indent` (the first's is the caller's); `[]` or `{}` when empty. */
  private collection(value: unknown[] | Record<string, unknown>, indent: string): void {
    if (this.seen.has(value)) throw RARE;
    this.seen.add(value);
    this.items(value, indent);
    if (!this.dialect.aliases) this.seen.delete(value);
  }

  private items(value: unknown[] | Record<string, unknown>, indent: string): void {
    const out = this.out;
    const separator = `\n${indent}`;
    if (Array.isArray(value)) {
      if (value.length === 0) return void out.push('[]');
      const inner = indent + STEP;
      for (let i = 0; i < value.length; i++) {
        if (!(i in value)) throw RARE;
        if (i > 0) out.push(separator);
        out.push('- ');
        this.node(value[i], inner, true);
      }
      return;
    }
    const keys = this.keysOf(value);
    if (keys.length === 0) return void out.push('{}');
    for (let i = 0; i < keys.length; i++) {
      if (i > 0) out.push(separator);
      this.pair(keys[i]!, value[keys[i]!], indent);
    }
  }

  /** A map's keys as the package writes them: all, or (config files) those with a value. */
  private keysOf(value: Record<string, unknown>): string[] {
    const keys = Object.keys(value);
    return this.dialect.options.keepUndefined ? keys : keys.filter((key) => value[key] !== undefined);
  }

  /** `key: value` in a map whose lines start at `indent`. */
  private pair(key: string, value: unknown, indent: string): void {
    if (key === '' || key.length > 1024 || key.includes('\n')) throw RARE;
    const inner = indent + STEP;
    if ((isList(value) && value.length > 0) || (isMap(value) && this.keysOf(value).length > 0)) {
      // A block collection starts on the next line; a list keeps its dashes indented under the key.
      this.out.push(this.singleLine(key), ':\n', inner);
      this.collection(value, inner);
      return;
    }
    this.out.push(this.singleLine(key), ': ');
    this.node(value, inner, false);
  }

  /** A value after `- ` or `key: `; `indent` is where its further lines start. */
  private node(value: unknown, indent: string, inList: boolean): void {
    if (isList(value) || isMap(value)) {
      // Only a list item starts a non-empty collection on its own line (pair() writes a key's).
      if (!inList && (Array.isArray(value) ? value.length > 0 : this.keysOf(value).length > 0)) throw RARE;
      this.collection(value, indent);
      return;
    }
    this.out.push(this.scalar(value, indent));
  }

  /** A scalar value; a multi-line string's block lines start at `indent`. */
  private scalar(value: unknown, indent: string): string {
    switch (typeof value) {
      case 'string':
        return value.includes('\n') ? literalBlock(value, indent) : this.singleLine(value);
      case 'number':
        if (!Number.isFinite(value)) throw RARE;
        return Object.is(value, -0) ? '-0' : JSON.stringify(value);
      case 'boolean':
        return value ? 'true' : 'false';
      default:
        if (value === null) return 'null';
        throw RARE;
    }
  }

  /** A one-line string as a key or value: plain when that reads back as the same string, else quoted. */
  private singleLine(text: string): string {
    const nonString = this.dialect.nonString;
    if (text.length > 1024 && !NOT_BASE64.test(text)) return nonString.some((test) => test.test(text)) ? JSON.stringify(text) : text;
    // `<<` is YAML 1.1's merge key: the package writes it as one.
    if (text === '<<' || escaped(text) || hasDocumentMarker(text)) throw RARE;
    if (!NOT_PLAIN.test(text) && !nonString.some((test) => test.test(text))) return text;
    if (text.includes('"') && !text.includes("'")) return `'${text}'`;
    return JSON.stringify(text);
  }
}

/**
 * A character outside base64's alphabet. Long text without one (the services' code) holds no
 * control character, indicator, line break or document marker: of the checks below only the type
 * tags can match. (Testing for an outside character is one plain scan; `^[…]+$` kept a
 * backtracking position per character: ≈ 3 ms per production render.)
 */
const NOT_BASE64 = /[^A-Za-z0-9+/=]/;

/**
 * A multi-line string as a literal block (`|`), its lines at `indent`: the header's chomping keeps
 * the trailing line breaks exactly (`|-` none, `|` one, `|+` more), and an indentation indicator
 * is added when the text starts with spaces.
 */
function literalBlock(text: string, indent: string): string {
  if (escaped(text) || hasDocumentMarker(text) || TRAILING_BLANK_LINE.test(text)) throw RARE;
  let endStart = text.length;
  while (endStart > 0 && ' \t\n'.includes(text[endStart - 1]!)) endStart--;
  let end = text.slice(endStart);
  const firstBreak = end.indexOf('\n');
  const chomp = firstBreak === -1 ? '-' : endStart === 0 || firstBreak !== end.length - 1 ? '+' : '';
  let body = text.slice(0, endStart);
  if (end.endsWith('\n')) end = end.slice(0, -1);
  end = end.replace(INNER_BREAKS, `$&${indent}`);
  // Leading spaces and blank lines: the spaces need an indentation indicator; the blank lines
  // before the first text line are written apart from it.
  let leading = 0;
  let lastLeadingBreak = -1;
  let startsWithSpace = false;
  for (; leading < body.length; leading++) {
    const ch = body[leading];
    if (ch === ' ') startsWithSpace = true;
    else if (ch === '\n') lastLeadingBreak = leading;
    else break;
  }
  let start = body.slice(0, lastLeadingBreak + 1);
  body = body.slice(start.length);
  start = start.replace(/\n+/g, `$&${indent}`);
  const header = `|${startsWithSpace ? '2' : ''}${chomp}`;
  return `${header}\n${indent}${start}${body.replace(/\n+/g, `$&${indent}`)}${end}`;
}

function isList(value: unknown): value is unknown[] {
  return Array.isArray(value);
}

/** A plain object (a class instance, a Map or a Date is not JSON: the package's business). */
function isMap(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) throw RARE;
  return true;
}
