import { describe, expect, it } from 'vitest';
import { parseSetFlag, parseSetFlags, type SetFlag } from '../../src/values/set-flag.js';

const data = (flag: string) => {
  const { layer, issues } = parseSetFlag(flag);
  expect(issues).toEqual([]);
  return layer!.data;
};

describe('--set parsing', () => {
  it('types numbers, booleans and null', () => {
    expect(data('a.b=3,a.c=true,a.d=null,a.e=1.5,a.f=007,a.g=-2')).toEqual({ a: { b: 3, c: true, d: null, e: 1.5, f: '007', g: -2 } });
  });

  it('keeps integers too large to hold exactly as strings, as Helm does', () => {
    expect(data('a=9007199254740991,b=12345678901234567890,c=-99999999999999999999')).toEqual({ a: 9007199254740991, b: '12345678901234567890', c: '-99999999999999999999' });
  });

  it('parses lists and list indexes', () => {
    expect(data('a={x,y,3}')).toEqual({ a: ['x', 'y', 3] });
    expect(data('a.hosts[0].host=x.example.com,a.hosts[1].host=y')).toEqual({ a: { hosts: [{ host: 'x.example.com' }, { host: 'y' }] } });
    expect(data('a={}')).toEqual({ a: [] });
  });

  it('honours escapes of dots, commas and equals signs', () => {
    expect(data('podAnnotations.prometheus\\.io/scrape=true')).toEqual({ podAnnotations: { 'prometheus.io/scrape': true } });
    expect(data('a=x\\,y')).toEqual({ a: 'x,y' });
    expect(data('a=b\\=c')).toEqual({ a: 'b=c' });
  });

  it('keeps the rest of the value after the first =', () => {
    expect(data('a=b=c')).toEqual({ a: 'b=c' });
  });

  it.each([
    ['novalue', 'expected key=value'],
    ['=x', 'expected a key path'],
    ['a..b=1', 'expected a key path'],
    ['a={x', 'unclosed list'],
    ['a[3]=x', 'skips list entries'],
    ['__proto__.x=1', '"__proto__" cannot be a key'],
    ['a.__proto__=1', '"__proto__" cannot be a key'],
    ['a[99999999999]=1', 'list index [99999999999] is too large'],
    [`${Array(65).fill('a').join('.')}=1`, 'key path nested more than 64 levels deep'],
    ['a=1,b', 'expected key=value, found "b"'],
  ])('rejects %j', (flag, message) => {
    const { issues } = parseSetFlag(flag);
    expect(issues[0]!.location).toBe(`--set ${flag}`);
    expect(issues[0]!.message).toContain(message);
  });
});

describe('several value flags (Helm: all write into one map, in order)', () => {
  const layerOf = (flags: (string | SetFlag)[]) => {
    const { layer, issues } = parseSetFlags(flags);
    expect(issues).toEqual([]);
    return layer!;
  };

  it('merges two flags on the same list entry instead of replacing the list', () => {
    expect(layerOf(['a[0].x=1', 'a[0].y=2']).data).toEqual({ a: [{ x: 1, y: 2 }] });
    expect(layerOf(['a.hosts[0].host=x', 'a.hosts[0].paths[0].path=/p', 'a.hosts[1].host=y']).data).toEqual({
      a: { hosts: [{ host: 'x', paths: [{ path: '/p' }] }, { host: 'y' }] },
    });
  });

  it('lets a later flag index into a list an earlier flag set whole', () => {
    expect(layerOf(['a={p,q}', 'a[1]=r', 'a[2]=s']).data).toEqual({ a: ['p', 'r', 's'] });
  });

  it('locates a path at the last flag that wrote it, or a parent or child of it', () => {
    const layer = layerOf(['a[0].x=1', 'a[0].y=2', 'b=3']);
    expect(layer.locate(['a', 0, 'x'])).toBe('--set a[0].x=1');
    expect(layer.locate(['a', 0, 'x', 'deeper'])).toBe('--set a[0].x=1');
    expect(layer.locate(['a', 0])).toBe('--set a[0].y=2');
    expect(layer.locate(['b'])).toBe('--set b=3');
    expect(layer.locate(['c'])).toBeUndefined();
  });

  it('--set-string keeps every value a string, lists included', () => {
    expect(layerOf([{ kind: 'set-string', text: 'a=0123,b=true,c=null,d={1,2},e=1.5' }]).data).toEqual({
      a: '0123',
      b: 'true',
      c: 'null',
      d: ['1', '2'],
      e: '1.5',
    });
  });

  it('--set-file sets the contents verbatim (commas, = and line breaks included) and names the flag', () => {
    const layer = layerOf([{ kind: 'set-file', text: 'tls.key=./key.pem', contents: 'a,b=c\nline 2\n' }]);
    expect(layer.data).toEqual({ tls: { key: 'a,b=c\nline 2\n' } });
    expect(layer.locate(['tls', 'key'])).toBe('--set-file tls.key=./key.pem');
  });

  it('reports every bad flag at once, each at its own flag', () => {
    const { issues } = parseSetFlags(['a', '__proto__.x=1', { kind: 'set-file', text: 'k' }, 'ok=1']);
    expect(issues.map((i) => i.location)).toEqual(['--set a', '--set __proto__.x=1', '--set-file k']);
  });

  it('treats constructor, prototype and toString as ordinary keys, never as inherited properties', () => {
    expect(layerOf(['constructor.x=1', 'a.prototype.y=2', 'toString.z=3', 'hasOwnProperty=4']).data).toEqual({
      constructor: { x: 1 },
      a: { prototype: { y: 2 } },
      toString: { z: 3 },
      hasOwnProperty: 4,
    });
    expect(Object.prototype).not.toHaveProperty('x');
  });
});
