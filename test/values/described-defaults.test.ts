import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { valuesJsonSchema } from '../../src/values/json-schema.js';
import { resourcesText, type ResourceDefaults } from '../../src/values/schema/describe.js';
import { buildValuesSchema, profileFor } from '../../src/values/schema/index.js';
import { valueKeys, type SchemaNode } from '../../src/values/values-doc.js';

/** The `(default …)` of a description split into the development and production texts; undefined without one. */
function defaultTexts(description: string): { development: string; production: string } | undefined {
  const start = description.lastIndexOf('(default ');
  if (start < 0) return undefined;
  const text = description.slice(start + '(default '.length);
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '"') quoted = !quoted;
    if (quoted) continue;
    if (c === '[' || c === '{') depth++;
    else if (c === ']' || c === '}') depth--;
    else if (depth === 0 && c === ')' ) {
      parts.push(text.slice(from, i));
      break;
    } else if (depth === 0 && text.startsWith('; production ', i)) {
      parts.push(text.slice(from, i));
      from = i + '; production '.length;
      i = from - 1;
    } else if (depth === 0 && text.startsWith(': ', i)) {
      // What follows a colon explains the value.
      parts.push(text.slice(from, i));
      const next = text.indexOf('; production ', i);
      if (next < 0 || next > text.indexOf(')', i)) break;
      from = next + '; production '.length;
      i = from - 1;
    }
  }
  const [development, production = development] = parts.map((p) => p.replace(/ in both profiles$/, ''));
  return { development: development!, production };
}

/** Whether a description's default text says `value`. */
function says(text: string, value: unknown): boolean {
  if (typeof value === 'string' && value !== '' && text === value) return true;
  if (text === JSON.stringify(value)) return true;
  if (text === 'off' || text === 'on') {
    const on = text === 'on';
    return value === on || (typeof value === 'object' && value !== null && (value as { enabled?: unknown }).enabled === on);
  }
  if (/^\d/.test(text) && typeof value === 'object') text = `size ${text}`; // "size 8Gi; production 50Gi"
  if (text.startsWith('size ')) return (value as { size?: unknown } | undefined)?.size === text.slice('size '.length);
  if (text.startsWith('requests ')) return resourcesText(value as ResourceDefaults) === text;
  try {
    return isDeepStrictEqual(parse(text), value);
  } catch {
    return false;
  }
}

/**
 * The value of `path` in values parsed from `{}` (objects whose own default is `{}` describe what
 * their keys default to); undefined inside lists and maps, which `{}` does not reach.
 */
function parsedAt(values: unknown, path: string): { value: unknown } | undefined {
  if (/\[\]|\.\*|</.test(path)) return undefined;
  return { value: path.split('.').reduce<any>((node, key) => node?.[key], values) };
}

/** Keys inside list items whose "(default X)" is the Kubernetes API server's default, not the chart's. */
const KUBERNETES_DEFAULTS = /\.tolerations\[\]\.operator$/;

/** Each profile's keys (as docs/values.md lists them) and the values `{}` parses to. */
const profiles = [true, false].map((development) => ({
  name: development ? 'development' : 'production',
  keys: valueKeys(valuesJsonSchema(development) as SchemaNode),
  values: buildValuesSchema(profileFor(development)).parse({}),
}));
const [development, production] = profiles as [(typeof profiles)[number], (typeof profiles)[number]];

describe('described defaults', () => {
  it('finds the same keys in both profiles', () => {
    expect(production.keys.map((k) => k.path)).toEqual(development.keys.map((k) => k.path));
    expect(development.keys.length).toBeGreaterThan(600);
  });

  it('says in every "(default X)" the default of the development profile, and in "production Y" that of production', () => {
    const wrong: string[] = [];
    let checked = 0;
    development.keys.forEach(({ path, schema: { description = '' } }, i) => {
      const texts = defaultTexts(description);
      if (!texts || KUBERNETES_DEFAULTS.test(path)) return;
      checked++;
      for (const profile of profiles) {
        const text = profile === development ? texts.development : texts.production;
        const { schema } = profile.keys[i]!;
        const hasDefault = 'default' in schema;
        const parsed = parsedAt(profile.values, path);
        if (!hasDefault && !parsed) wrong.push(`${path}: says (default ${text}) in ${profile.name}, but neither the schema nor {} gives one`);
        else if (!(hasDefault && says(text, schema.default)) && !(parsed && says(text, parsed.value))) {
          wrong.push(`${path}: says ${text} in ${profile.name}, the default is ${JSON.stringify(hasDefault ? schema.default : parsed!.value)}`);
        }
      }
    });
    expect(wrong).toEqual([]);
    expect(checked).toBeGreaterThan(300);
  });

  it('reads the forms the descriptions use, and tells a wrong text', () => {
    expect(defaultTexts('Replicas (default 1; production 3).')).toEqual({ development: '1', production: '3' });
    expect(defaultTexts('Labels (default {kubernetes.io/os: linux}).')).toEqual({ development: '{kubernetes.io/os: linux}', production: '{kubernetes.io/os: linux}' });
    expect(defaultTexts('Password (default "": a development value in development).')).toEqual({ development: '""', production: '""' });
    expect(defaultTexts('Scaling (default off in both profiles).')).toEqual({ development: 'off', production: 'off' });
    expect(defaultTexts('Size (default: the component\'s).')).toBeUndefined();
    expect(says('[alertname, namespace]', ['alertname', 'namespace'])).toBe(true);
    expect(says('size 8Gi', { enabled: true, size: '8Gi' })).toBe(true);
    expect(says('off', { enabled: false })).toBe(true);
    expect(says('4', 3)).toBe(false);
    expect(says('on', { enabled: false })).toBe(false);
    expect(says('size 9Gi', { size: '8Gi' })).toBe(false);
    expect(says('requests 10m CPU and 32Mi, limits 64Mi', { requests: { cpu: '10m', memory: '32Mi' }, limits: { memory: '128Mi' } })).toBe(false);
  });

  it('gives no default where a description says "(default: none)"', () => {
    const wrong = profiles.flatMap((profile) =>
      profile.keys
        .filter(({ path, schema }) => schema.description?.includes('(default: none') && ('default' in schema || parsedAt(profile.values, path)?.value !== undefined))
        .map(({ path }) => `${path} in ${profile.name}`),
    );
    expect(wrong).toEqual([]);
  });
});
