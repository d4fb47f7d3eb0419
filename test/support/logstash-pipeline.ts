/**
 * Reads back what renderLogstashPipeline writes, as Logstash does, and runs its filter section on
 * events in JavaScript. There is no Logstash here: the reader follows Logstash's LSCL grammar
 * (logstash-core/lib/logstash/compiler/lscl/lscl_grammar.treetop) for the constructs the renderer
 * writes, and the runner follows Logstash's semantics for the filters and conditions the platform's
 * pipeline uses (EventCondition.java; the json and mutate filters), and refuses anything else.
 */
import type { LogstashCondition, LogstashPipeline, LogstashStep, LogstashValue } from '../../src/components/logging/logstash-config.js';

/**
 * Parses a pipeline: strings by the grammar (`'"' ('\"' / !'"' .)* '"'`), then unescaped as with
 * `config.support_escapes: true` (Logstash's StringEscape: `\\ \" \' \n \r \t`; any other escaped
 * character as itself); conditionals `if / else if / else` with `![a]`, `[a] =~ "re"` and
 * `[a] in [list]`.
 */
export function parsePipeline(text: string): LogstashPipeline {
  let at = 0;
  const skip = () => {
    while (/\s/.test(text[at] ?? '')) at += 1;
  };
  const expectText = (token: string) => {
    skip();
    if (!text.startsWith(token, at)) throw new Error(`expected ${token} at ${at}: ${text.slice(at, at + 20)}`);
    at += token.length;
  };
  const token = (pattern: RegExp) => {
    skip();
    const match = pattern.exec(text.slice(at));
    if (!match) throw new Error(`expected ${String(pattern)} at ${at}: ${text.slice(at, at + 20)}`);
    at += match[0].length;
    return match[0];
  };
  const lookingAt = (pattern: RegExp) => {
    skip();
    return pattern.test(text.slice(at));
  };
  const name = () => token(/^[A-Za-z0-9_-]+/);
  const unescape = (raw: string) => raw.replace(/\\(.)/gs, (_, c: string) => ({ n: '\n', r: '\r', t: '\t' })[c as 'n' | 'r' | 't'] ?? c);
  const string = () => {
    expectText('"');
    let raw = '';
    while (text[at] !== '"') {
      if (at >= text.length) throw new Error('unterminated string');
      if (text.startsWith('\\"', at)) {
        raw += '\\"';
        at += 2;
      } else {
        raw += text[at];
        at += 1;
      }
    }
    at += 1;
    return unescape(raw);
  };
  const value = (): LogstashValue => {
    skip();
    if (text[at] === '"') return string();
    if (text[at] === '[') {
      at += 1;
      const items: LogstashValue[] = [];
      skip();
      while (text[at] !== ']') {
        items.push(value());
        skip();
        if (text[at] === ',') at += 1;
        skip();
      }
      at += 1;
      return items;
    }
    if (text[at] === '{') {
      at += 1;
      const hash: Record<string, LogstashValue> = {};
      skip();
      while (text[at] !== '}') {
        const key = string();
        expectText('=>');
        hash[key] = value();
        skip();
      }
      at += 1;
      return hash;
    }
    const bare = token(/^(true|false|-?\d+(\.\d+)?)(?![\w.])/);
    return bare === 'true' ? true : bare === 'false' ? false : Number(bare);
  };
  // selector_element: "[" [^\]\[,]+ "]"
  const selector = () => [...token(/^(\[[^\][,]+\])+/).matchAll(/\[([^\][,]+)\]/g)].map((m) => m[1]!);
  const condition = (): LogstashCondition => {
    skip();
    if (text[at] === '!') {
      at += 1;
      return { absent: selector() };
    }
    const field = selector();
    if (lookingAt(/^=~/)) {
      expectText('=~');
      return { field, matches: string() };
    }
    expectText('in');
    const list = value();
    if (!Array.isArray(list) || !list.every((v) => typeof v === 'string')) throw new Error(`expected a list of strings after in at ${at}`);
    return { field, oneOf: list as string[] };
  };
  const block = (): LogstashStep[] => {
    expectText('{');
    const steps: LogstashStep[] = [];
    while (!lookingAt(/^\}/)) steps.push(step());
    expectText('}');
    return steps;
  };
  const step = (): LogstashStep => {
    if (lookingAt(/^if\s/)) {
      expectText('if');
      const branches = [{ when: condition(), then: block() }];
      let otherwise: LogstashStep[] | undefined;
      while (lookingAt(/^else\b/)) {
        expectText('else');
        if (lookingAt(/^if\s/)) {
          expectText('if');
          branches.push({ when: condition(), then: block() });
        } else {
          otherwise = block();
          break;
        }
      }
      return otherwise ? { branches, otherwise } : { branches };
    }
    const plugin = name();
    expectText('{');
    const settings: Record<string, LogstashValue> = {};
    while (!lookingAt(/^\}/)) {
      const key = name();
      expectText('=>');
      settings[key] = value();
    }
    expectText('}');
    return { plugin, settings };
  };
  const pipeline = { input: [], filter: [], output: [] } as { [K in keyof LogstashPipeline]: LogstashStep[] };
  skip();
  while (at < text.length) {
    const section = name() as keyof LogstashPipeline;
    pipeline[section].push(...block());
    skip();
  }
  return pipeline;
}

/** A Logstash event as plain JSON. */
export type LogstashEvent = Record<string, unknown>;

/** `[a][b]` → ['a', 'b'] (a field reference given as a string setting). */
const pathOf = (reference: string) => [...reference.matchAll(/\[([^\][,]+)\]/g)].map((m) => m[1]!);

function get(event: LogstashEvent, path: readonly string[]): unknown {
  let node: unknown = event;
  for (const part of path) {
    if (node === null || typeof node !== 'object' || Array.isArray(node)) return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

function set(event: LogstashEvent, path: readonly string[], value: unknown): void {
  let node = event;
  for (const part of path.slice(0, -1)) {
    const next = node[part];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) node[part] = {};
    node = node[part] as LogstashEvent;
  }
  node[path.at(-1)!] = value;
}

function remove(event: LogstashEvent, path: readonly string[]): void {
  const parent = get(event, path.slice(0, -1));
  if (parent && typeof parent === 'object' && !Array.isArray(parent)) delete (parent as Record<string, unknown>)[path.at(-1)!];
}

/**
 * A value as Java's toString of the event's Ruby value, which `in` compares (FieldInConstantList):
 * strings as they are, integers as their digits. Maps and lists never equal a word here.
 */
function inString(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isInteger(value)) return String(value);
  if (typeof value === 'boolean') return String(value);
  return undefined;
}

/** EventCondition.java: FieldTruthy (null, "" and "false" are false), FieldMatches (strings only), FieldInConstantList. */
function holds(c: LogstashCondition, event: LogstashEvent): boolean {
  if ('absent' in c) {
    const v = get(event, c.absent);
    return v === undefined || v === null || v === false || v === '' || v === 'false';
  }
  const v = get(event, c.field);
  if ('matches' in c) {
    if (typeof v !== 'string') return false;
    // The portable subset means the same in both engines on subjects without a line feed.
    if (v.includes('\n')) throw new Error(`a matched field holds a line feed: ${JSON.stringify(v)}`);
    return new RegExp(c.matches).test(v);
  }
  const s = inString(v);
  return s !== undefined && c.oneOf.includes(s);
}

/** The json filter: parses `source` into `target`; with skip_on_invalid_json a line that does not parse is left alone. */
function json(settings: Record<string, LogstashValue>, event: LogstashEvent): void {
  const known = new Set(['source', 'target', 'skip_on_invalid_json']);
  for (const key of Object.keys(settings)) if (!known.has(key)) throw new Error(`json setting ${key} is not modelled`);
  const source = get(event, [settings.source as string]);
  if (typeof source !== 'string') return;
  let parsed: unknown;
  try {
    parsed = JSON.parse(source);
  } catch {
    if (settings.skip_on_invalid_json === true) return;
    set(event, ['tags'], [...((event.tags as string[] | undefined) ?? []), '_jsonparsefailure']);
    return;
  }
  set(event, pathOf(settings.target as string), parsed);
}

/** The mutate filter's remove_field and add_field (a second value of an existing field makes a list, as in Logstash). */
function mutate(settings: Record<string, LogstashValue>, event: LogstashEvent): void {
  for (const key of Object.keys(settings)) if (key !== 'remove_field' && key !== 'add_field') throw new Error(`mutate setting ${key} is not modelled`);
  for (const reference of (settings.remove_field as string[] | undefined) ?? []) remove(event, pathOf(reference));
  for (const [reference, value] of Object.entries((settings.add_field as Record<string, string> | undefined) ?? {})) {
    const path = pathOf(reference);
    const existing = get(event, path);
    set(event, path, existing === undefined ? value : [...(Array.isArray(existing) ? existing : [existing]), value]);
  }
}

/** Runs `steps` on `event` (changed in place, `@metadata` included, as Logstash holds it before the output). */
export function runFilters(steps: readonly LogstashStep[], event: LogstashEvent): LogstashEvent {
  for (const step of steps) {
    if ('plugin' in step) {
      if (step.plugin === 'mutate') mutate(step.settings as Record<string, LogstashValue>, event);
      else if (step.plugin === 'json') json(step.settings as Record<string, LogstashValue>, event);
      else throw new Error(`filter ${step.plugin} is not modelled`);
    } else {
      const branch = step.branches.find((b) => holds(b.when, event));
      runFilters(branch ? branch.then : (step.otherwise ?? []), event);
    }
  }
  return event;
}
