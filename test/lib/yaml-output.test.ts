import { Yaml } from 'cdk8s';
import YAML from 'yaml';
import { describe, expect, it } from 'vitest';
import { configYaml, manifestYaml, ownDocumentYaml } from '../../src/lib/yaml-output.js';

/** cdk8s' own writer: the reference every document must match byte for byte. */
const packageYaml = (document: unknown) => Yaml.stringify(document);

/** A small deterministic generator (mulberry32): the same cases on every run. */
function random(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  return { next, pick };
}

/** Pieces that matter to YAML: indicators, spaces and breaks, words YAML 1.1 reads as other types, markers, non-ASCII, escapes. */
const PIECES = [
  'a', 'b', 'x', 'Z', '0', '1', '9', '.', '-', '_', '/', '=', '+', ' ', ' ', '  ', '\n', '\n', '\n\n', '\t', ':', ': ', '#', ' #', '?', '? ',
  '"', "'", '{', '}', '[', ']', ',', '&', '*', '!', '|', '>', '%', '@', '`', '~', '<<', '\\', 'é', '日本', '😀', '\u00a0', '\u0085',
  '\u2028', '\u2029', '\r', '\r\n', '\x01', '\x7f', '\ud800', 'true', 'False', 'yes', 'No', 'on', 'OFF', 'y', 'n', 'null', 'Null', '0x1F', '0o17', '012', '0b101',
  '1_000', '1:20', '190:20:30.15', '.inf', '-.Inf', '.NaN', '1e3', '6.8523015e+5', '2001-12-14', '2001-12-14t21:59:43.10-05:00', '---',
  '...', '%YAML', '- a', '{{ .Values }}', '${env}', 'http://x:80/a#b', 'key: value', '  indented', 'a\n  b', '\n \n', ' \n',
];

function randomString(r: ReturnType<typeof random>): string {
  const n = Math.floor(r.next() * 6);
  let text = '';
  for (let i = 0; i < n; i++) text += r.pick(PIECES);
  return text;
}

function randomValue(r: ReturnType<typeof random>, depth: number): unknown {
  const roll = r.next();
  if (depth > 0 && roll < 0.2) return Array.from({ length: Math.floor(r.next() * 4) }, () => randomValue(r, depth - 1));
  if (depth > 0 && roll < 0.45) return randomMap(r, depth - 1);
  if (roll < 0.75) return randomString(r);
  if (roll < 0.85) return r.pick([0, -0, 1, -7, 3.25, 1e21, 1e-7, 0.1, 2 ** 53, -1.5e300, 42]);
  if (roll < 0.93) return r.next() < 0.5;
  return null;
}

function randomMap(r: ReturnType<typeof random>, depth: number): Record<string, unknown> {
  const map: Record<string, unknown> = {};
  const n = Math.floor(r.next() * 5);
  for (let i = 0; i < n; i++) map[r.next() < 0.5 ? r.pick(['name', 'app.kubernetes.io/name', 'a b', '80', 'on', 'data']) : randomString(r)] = randomValue(r, depth);
  return map;
}

describe('manifestYaml: byte for byte what cdk8s writes', () => {
  it('equals the yaml package on 20,000 generated documents, and writes most of them itself', () => {
    const r = random(20261206);
    let own = 0;
    const total = 20_000;
    for (let i = 0; i < total; i++) {
      const document = r.next() < 0.8 ? randomMap(r, 4) : Array.from({ length: 3 }, () => randomValue(r, 3));
      const expected = packageYaml(document);
      const written = ownDocumentYaml(document);
      if (written !== undefined) {
        own++;
        if (written !== expected) expect({ document, written }).toEqual({ document, written: expected });
      }
      expect(manifestYaml([document])).toBe(expected);
    }
    // The generator leans on rare pieces; still, thousands of documents must take the own path, or the comparison proves little.
    expect(own).toBeGreaterThan(total * 0.4);
  });

  it('writes each generated string as a key, a value and a list item like the package', () => {
    const r = random(7);
    let own = 0;
    for (let i = 0; i < 20_000; i++) {
      const text = randomString(r);
      for (const document of [{ [text]: 1 }, { k: text }, { k: { deeper: [text, { m: text }] } }, [text], [[text]]]) {
        const written = ownDocumentYaml(document);
        if (written === undefined) continue;
        own++;
        expect(written, JSON.stringify(document)).toBe(packageYaml(document));
      }
    }
    expect(own).toBeGreaterThan(50_000);
  });

  it('writes multi-line text as literal blocks with the right chomping and indentation indicator', () => {
    const cases = ['a\nb', 'a\nb\n', 'a\nb\n\n', 'a\nb\n\n\n', '\na', '\n\na\n', '  a\nb', ' \n a\n', 'a\n\n\nb', 'a \nb\t\n', '\n', '\n\n', 'a\n  b\n   \nc'];
    for (const text of cases) {
      for (const document of [{ k: text }, { k: [text] }, [{ k: { j: text } }]]) {
        expect(ownDocumentYaml(document), JSON.stringify(document)).toBe(packageYaml(document));
      }
    }
    expect(ownDocumentYaml({ k: 'a\nb\n' })).toBe('k: |\n  a\n  b\n');
    expect(ownDocumentYaml({ k: '  a\nb' })).toBe('k: |2-\n    a\n  b\n');
  });

  it('leaves rare documents to the package: control characters, odd keys, shared objects, non-JSON values', () => {
    const shared = { a: 1 };
    for (const document of [{ k: 'a\x01' }, { '': 1 }, { ['k'.repeat(1025)]: 1 }, { 'a\nb': 1 }, { k: '---' }, { k: 'a\n \t' }, { '<<': 1 }, { k: '<<' }, { a: shared, b: shared }, { d: new Date(0) }, { n: Number.NaN }, { u: undefined }, 'scalar']) {
      expect(ownDocumentYaml(document), String(JSON.stringify(document))).toBeUndefined();
      expect(manifestYaml([document])).toBe(packageYaml(document));
    }
  });

  it('writes long base64 text (the services\' code) like the package, quoted where it reads as a number', () => {
    const code = Buffer.from('x'.repeat(3000)).toString('base64');
    for (const text of [code, `${code}=`, '1'.repeat(2000), `${'1'.repeat(2000)}e5`, 'A'.repeat(1500)]) {
      const document = { binaryData: { 'main.js.gz': text } };
      expect(ownDocumentYaml(document)).toBe(packageYaml(document));
    }
    expect(ownDocumentYaml({ k: '1'.repeat(2000) })).toBe(`k: "${'1'.repeat(2000)}"\n`);
  });

  it('writes config files like the package (YAML 1.2 core schema, objects met twice written again, undefined keys left out) on 20,000 generated documents', () => {
    const packageConfig = (document: unknown) => YAML.stringify(document, { lineWidth: 0, aliasDuplicateObjects: false });
    const r = random(1202);
    let own = 0;
    const total = 20_000;
    for (let i = 0; i < total; i++) {
      const document = randomMap(r, 4);
      // Shared objects and undefined values, which the config dialect writes (or leaves out) itself.
      const shared = randomMap(r, 1);
      Object.assign(document, { first: shared, second: { again: shared }, gone: undefined, nested: { gone: undefined, kept: 'yes' } });
      const expected = packageConfig(document);
      const written = ownDocumentYaml(document, 'config');
      if (written !== undefined) {
        own++;
        if (written !== expected) expect({ document, written }).toEqual({ document, written: expected });
      }
      expect(configYaml(document)).toBe(expected);
    }
    // Each document holds three random maps here, so fewer avoid every rare piece: still thousands compared.
    expect(own).toBeGreaterThan(total * 0.15);
    // The schemas differ: `yes` and `on` are strings in YAML 1.2 (plain), booleans in 1.1 (quoted).
    expect(ownDocumentYaml({ a: 'yes', b: 'on', c: 'true' }, 'config')).toBe('a: yes\nb: on\nc: "true"\n');
    expect(ownDocumentYaml({ a: 'yes', b: 'on', c: 'true' }, 'manifest')).toBe('a: "yes"\nb: "on"\nc: "true"\n');
    // A cycle is left to the package.
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = { back: cyclic };
    expect(ownDocumentYaml(cyclic, 'config')).toBeUndefined();
  });

  it('joins documents like cdk8s (`---` between, an undefined document is a blank line)', () => {
    const documents = [{ a: 1 }, undefined, { b: ['x'] }];
    expect(manifestYaml(documents)).toBe(Yaml.stringify(...documents));
    expect(manifestYaml([])).toBe('');
    expect(YAML.parseAllDocuments(manifestYaml(documents)).length).toBe(3);
  });
});
