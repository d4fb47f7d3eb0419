import { describe, expect, it } from 'vitest';
import { parseSetFlag } from '../../src/values/set-flag.js';

const data = (flag: string) => {
  const { layer, issues } = parseSetFlag(flag);
  expect(issues).toEqual([]);
  return layer!.data;
};

describe('--set parsing', () => {
  it('types numbers, booleans and null', () => {
    expect(data('a.b=3,a.c=true,a.d=null,a.e=1.5,a.f=007,a.g=-2')).toEqual({ a: { b: 3, c: true, d: null, e: 1.5, f: '007', g: -2 } });
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
  ])('rejects %j', (flag, message) => {
    const { issues } = parseSetFlag(flag);
    expect(issues[0]!.location).toBe(`--set ${flag}`);
    expect(issues[0]!.message).toContain(message);
  });
});
