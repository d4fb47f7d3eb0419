import { describe, expect, it } from 'vitest';
import { isPlainMap, mergeValues } from '../../src/values/merge.js';
import { loadValues } from '../../src/values/load.js';

describe('mergeValues (Helm semantics)', () => {
  it('merges maps key by key; lists and scalars replace', () => {
    expect(mergeValues({ a: { x: 1, y: [1, 2] }, b: 1 }, { a: { y: [3] }, b: 2 })).toEqual({ a: { x: 1, y: [3] }, b: 2 });
  });

  it('null removes a key an earlier layer set', () => {
    expect(mergeValues({ a: { x: 1, y: 2 } }, { a: { x: null } })).toEqual({ a: { y: 2 } });
  });

  it('null removes a key no earlier layer set, at any depth, so that its default applies', () => {
    expect(mergeValues({}, { a: { b: { c: null, d: 1 } }, e: null })).toEqual({ a: { b: { d: 1 } } });
    expect(mergeValues({ a: 1 }, { b: { c: null } })).toEqual({ a: 1, b: {} });
  });

  it('keeps null entries of lists, as Helm does', () => {
    expect(mergeValues({}, { a: [null, 1] })).toEqual({ a: [null, 1] });
  });

  it('changes neither input', () => {
    const base = { a: { x: 1 } };
    const overlay = { a: { y: 2 } };
    mergeValues(base, overlay);
    expect(base).toEqual({ a: { x: 1 } });
    expect(overlay).toEqual({ a: { y: 2 } });
  });

  it('sets keys such as __proto__ and constructor as own keys, never on a prototype', () => {
    const overlay = JSON.parse('{"__proto__": {"polluted": true}, "constructor": {"x": 1}}') as Record<string, unknown>;
    const merged = mergeValues({}, overlay);
    expect(Object.getPrototypeOf(merged)).toBe(Object.prototype);
    expect(Object.keys(merged)).toEqual(['__proto__', 'constructor']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('sees Dates, Buffers and class instances as values, not mappings', () => {
    expect(isPlainMap({})).toBe(true);
    expect(isPlainMap(Object.create(null))).toBe(true);
    expect(isPlainMap(new Date())).toBe(false);
    expect(isPlainMap(Buffer.from('x'))).toBe(false);
    expect(isPlainMap([])).toBe(false);
  });
});

describe('null in values restores the schema default (issue 8 #18)', () => {
  const load = (text: string, sets: string[] = []) => loadValues({ files: [{ name: 'values.yaml', text }], sets }).values;

  it('in the first file, where no earlier layer set the key', () => {
    const values = load('redis:\n  auth:\n    password: null\nprometheus:\n  retention: ~\n');
    expect(values.redis.auth.password).toBe(load('{}\n').redis.auth.password);
    expect(values.prometheus.retention).toBe('15d');
  });

  it('from --set, with or without an earlier layer', () => {
    expect(load('{}\n', ['elasticsearch.replicas=null']).elasticsearch.replicas).toBe(1);
    expect(load('elasticsearch:\n  replicas: 3\n', ['elasticsearch.replicas=null']).elasticsearch.replicas).toBe(1);
  });

  it('for a whole section', () => {
    expect(load('prometheus: null\n').prometheus.retention).toBe('15d');
  });
});
