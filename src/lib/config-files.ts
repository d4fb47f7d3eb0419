import { createHash } from 'node:crypto';
import { configYaml } from './yaml-output.js';

/** Serializes a typed config object as a YAML file (deterministic: key order as built, no line folding; the yaml package's output, see lib/yaml-output.ts). */
export function yamlFile(config: unknown): string {
  return configYaml(config);
}

/** A value of a `key value` config file (redis.conf, postgresql.conf style). */
export type ConfValue = string | number | boolean | readonly (string | number)[];

/**
 * Renders `key value` lines (redis.conf style). Strings that need it are double-quoted with
 * backslash escapes (control characters as `\xHH`, which Redis' sdssplitargs decodes); booleans
 * become yes/no; arrays become several arguments.
 */
/** `config` as a JSON file (two-space indent, trailing newline): for files a program reads with JSON.parse. */
export function jsonFile(config: unknown): string {
  return `${JSON.stringify(config, null, 2)}\n`;
}

export function keyValueConfFile(entries: readonly (readonly [string, ConfValue])[]): string {
  return entries.map(([key, value]) => `${key} ${confArgs(value)}`).join('\n') + '\n';
}

function confArgs(value: ConfValue): string {
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (Array.isArray(value)) return value.map((v) => confArgs(v)).join(' ');
  const text = String(value);
  if (/^[^\s"'\\\u0000-\u001f\u007f]+$/.test(text)) return text;
  const escaped = text
    .replace(/[\\"]/g, '\\$&')
    .replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return `"${escaped}"`;
}

/** Renders `key = value` lines (postgresql.conf style): strings single-quoted with '' escapes. */
export function assignmentConfFile(entries: readonly (readonly [string, string | number | boolean])[]): string {
  const render = (v: string | number | boolean) =>
    typeof v === 'number' ? String(v) : typeof v === 'boolean' ? (v ? 'on' : 'off') : `'${v.replace(/'/g, "''")}'`;
  return entries.map(([key, value]) => `${key} = ${render(value)}`).join('\n') + '\n';
}

/** A value of an INI file; undefined keys are left out. */
export type IniValue = string | number | boolean | undefined;

/** The sections of an INI file, each a map of keys to values, rendered in the order given. */
export type IniSections = Readonly<Record<string, Readonly<Record<string, IniValue>>>>;

/**
 * Renders an INI file (grafana.ini style): `[section]` headers followed by `key = value` lines,
 * sections and keys in insertion order, a blank line between sections. Values are written as they
 * are (booleans as true/false); a line break in a value, which INI cannot hold, is an error.
 */
export function iniFile(sections: IniSections): string {
  return Object.entries(sections)
    .map(([section, keys]) => {
      const lines = Object.entries(keys)
        .filter((entry): entry is [string, string | number | boolean] => entry[1] !== undefined)
        .map(([key, value]) => {
          const text = String(value);
          if (/[\r\n]/.test(text)) throw new Error(`INI value of [${section}] ${key} has a line break: ${JSON.stringify(text)}`);
          return `${key} = ${text}`;
        });
      return [`[${section}]`, ...lines].join('\n');
    })
    .join('\n\n') + '\n';
}

/** SHA-256 of config contents, for `checksum/*` pod annotations that roll pods when config changes. */
export function checksum(...contents: readonly unknown[]): string {
  return createHash('sha256').update(JSON.stringify(contents)).digest('hex');
}
