import { describe, expect, it } from 'vitest';
import { decodeUtf8, firstInvalidByte } from '../../src/values/utf8.js';
import { describe as describeValue, parseValuesFile } from '../../src/values/yaml-source.js';

const parse = (text: string) => parseValuesFile('v.yaml', text);
const issuesOf = (text: string) => parse(text).issues.map((i) => `${i.location}  ${i.message}`);

describe('one YAML document per values file', () => {
  it('accepts a leading ---, a trailing --- or ..., and comment-only files', () => {
    expect(parse('---\nredis: {}\n').layer?.data).toEqual({ redis: {} });
    expect(parse('redis: {}\n---\n').layer?.data).toEqual({ redis: {} });
    expect(parse('redis: {}\n...\n').layer?.data).toEqual({ redis: {} });
    expect(parse('# nothing yet\n').layer?.data).toEqual({});
    expect(parse('').layer?.data).toEqual({});
  });

  it('rejects a second document and says where it starts', () => {
    expect(issuesOf('a: 1\n---\nb: 2\n')).toEqual([
      'v.yaml:2:1  expected one YAML document, found a second one starting at line 2: a values file holds one document; remove the "---" separator or pass each document as its own -f file',
    ]);
    expect(issuesOf('---\na: 1\n---\n# second\nb: 2\n---\nc: 3\n')[0]).toMatch(/^v\.yaml:3:1 {2}expected one YAML document, found a second one starting at line 3/);
  });
});

describe('tags and keys', () => {
  it('accepts the core schema tags', () => {
    expect(parse('a: !!str 123\nb: !!int "7"\nc: !!bool true\nd: !!null ~\ne: !!map {x: 1}\nf: !!seq [1]\ng: !!float 1.5\n').layer?.data).toEqual({
      a: '123',
      b: 7,
      c: true,
      e: { x: 1 },
      f: [1],
      g: 1.5,
      d: null,
    });
  });

  it('rejects a core tag on a value it does not fit (it would silently become a string)', () => {
    expect(issuesOf('a: !!int abc\nb: !!float 1\nc: !!map [1]\n')).toEqual([
      'v.yaml:1:4  the value does not fit its tag !!int',
      'v.yaml:2:4  the value does not fit its tag !!float',
      'v.yaml:3:4  the value does not fit its tag !!map',
    ]);
  });

  it('rejects other tags at the tag, all of them at once', () => {
    expect(issuesOf('a: !!binary aGk=\nb:\n  c: !!timestamp 2001-12-14\nd: !custom x\ne: !!omap [a: 1]\nf: &anchor !thing y\n')).toEqual([
      'v.yaml:1:4  the tag !!binary (binary data) is not supported in values: write the value as a plain string, number or list',
      'v.yaml:3:6  the tag !!timestamp (a timestamp) is not supported in values: write the value as a plain string, number or list',
      'v.yaml:4:4  unknown tag !custom: values files use plain YAML (strings, numbers, booleans, null, lists and mappings)',
      'v.yaml:5:4  the tag !!omap (an ordered map) is not supported in values: write the value as a plain string, number or list',
      'v.yaml:6:12  unknown tag !thing: values files use plain YAML (strings, numbers, booleans, null, lists and mappings)',
    ]);
  });

  it('rejects __proto__ keys at any depth and keys that are collections', () => {
    expect(issuesOf('a:\n  - b:\n      __proto__: 1\n"__proto__": 2\n? [x]\n: 3\n')).toEqual([
      'v.yaml:3:7  "__proto__" cannot be a key',
      'v.yaml:4:1  "__proto__" cannot be a key',
      'v.yaml:5:3  expected a plain key, found a mapping or list used as a key',
    ]);
  });

  it('keeps constructor and prototype as ordinary keys', () => {
    expect(parse('constructor: {prototype: 1}\n').layer?.data).toEqual({ constructor: { prototype: 1 } });
  });
});

describe('<< merge keys (Helm accepts them)', () => {
  const text = 'defaults: &d\n  enabled: true\n  port: 80\nother: &o\n  extra: 1\na:\n  <<: *d\n  port: 81\nb:\n  <<: [*d, *o]\n';

  it('merges, with the map\'s own keys winning', () => {
    const data = parse(text).layer!.data;
    expect(data.a).toEqual({ enabled: true, port: 81 });
    expect(data.b).toEqual({ enabled: true, port: 80, extra: 1 });
  });

  it('locates a merged key where it is written', () => {
    const layer = parse(text).layer!;
    expect(layer.locate(['a', 'port'])).toBe('v.yaml:8:9');
    expect(layer.locate(['a', 'enabled'])).toBe('v.yaml:2:12');
    expect(layer.locate(['b', 'extra'])).toBe('v.yaml:5:10');
    expect(layer.locate(['b', 'extra'], true)).toBe('v.yaml:5:3');
  });
});

describe('resource limits', () => {
  it('allows a few aliases and refuses an alias bomb at its first alias', () => {
    expect(parse('a: &a [1, 2]\nb: [*a, *a, *a]\n').layer?.data).toEqual({ a: [1, 2], b: [[1, 2], [1, 2], [1, 2]] });
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x]', ...Array.from({ length: 8 }, (_, i) => `b${i}: &b${i} [${Array(9).fill(i === 0 ? '*a' : `*b${i - 1}`).join(', ')}]`)].join('\n');
    expect(issuesOf(bomb)).toEqual(['v.yaml:2:10  too many alias expansions (more than 100): refusing a file that expands to a huge document']);
  });

  it('refuses nesting deeper than 64 levels, in maps and in lists', () => {
    expect(parse(`a: ${'['.repeat(60)}${']'.repeat(60)}\n`).issues).toEqual([]);
    expect(issuesOf(`a: ${'['.repeat(70)}${']'.repeat(70)}\n`)[0]).toMatch(/^v\.yaml:1:\d+ {2}nested more than 64 levels deep$/);
    expect(issuesOf(`${Array.from({ length: 70 }, (_, i) => `${' '.repeat(i * 2)}k:`).join('\n')} 1\n`)[0]).toMatch(/nested more than 64 levels deep/);
  });

  it('shows at most five YAML errors per file', () => {
    const issues = issuesOf('a: [\n'.repeat(1) + 'b: "\n'.repeat(1) + '}\n'.repeat(20));
    expect(issues.length).toBeLessThanOrEqual(6);
  });
});

describe('describe (what was found, in messages)', () => {
  it('says what .inf, .nan, timestamps and binary data are', () => {
    expect(describeValue(Infinity)).toBe('number Infinity (.inf, or a number too large)');
    expect(describeValue(-Infinity)).toBe('number -Infinity (.inf, or a number too large)');
    expect(describeValue(NaN)).toBe('not a number (.nan)');
    expect(describeValue(new Date(0))).toBe('a timestamp');
    expect(describeValue(new Uint8Array(1))).toBe('binary data');
    expect(describeValue('x')).toBe('string "x"');
  });
});

describe('strict UTF-8', () => {
  const bytes = (...parts: (string | number[])[]) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));
  const where = (b: Buffer) => decodeUtf8('v.yaml', b).issues.map((i) => `${i.location}  ${i.message}`);

  it('decodes valid UTF-8 and drops a BOM', () => {
    expect(decodeUtf8('v.yaml', bytes([0xef, 0xbb, 0xbf], 'a: é😀\n')).text).toBe('a: é😀\n');
  });

  it('locates the first invalid byte by line and character column', () => {
    expect(where(bytes('a: 1\nb: "é', [0xe9], '"\n'))).toEqual(['v.yaml:2:6  invalid UTF-8 (byte 0xE9); save the file as UTF-8']);
  });

  it.each([
    ['an overlong encoding of "/"', [0xc0, 0xaf]],
    ['a UTF-16 surrogate', [0xed, 0xa0, 0x80]],
    ['a code point above U+10FFFF', [0xf4, 0x90, 0x80, 0x80]],
    ['a sequence cut at the end of the file', [0xe2, 0x82]],
    ['a lone continuation byte', [0x80]],
  ])('rejects %s', (_name, invalid) => {
    expect(firstInvalidByte(bytes('ok: ', invalid))).toBe(4);
    expect(where(bytes('ok: ', invalid))[0]).toMatch(/^v\.yaml:1:5 {2}invalid UTF-8/);
  });

  it('names UTF-16 files', () => {
    expect(where(bytes([0xfe, 0xff], [0, 0x61]))).toEqual(['v.yaml:1:1  the file is UTF-16; save it as UTF-8']);
  });
});
