import { describe, expect, it } from 'vitest';
import { loadValues } from '../../src/values/load.js';
import { buildValuesSchema, profileFor, valuesSchemaFor } from '../../src/values/schema/index.js';

/** Every object and array reachable from a value. */
function containers(value: unknown, into = new Set<object>()): Set<object> {
  if (typeof value === 'object' && value !== null && !into.has(value)) {
    into.add(value);
    for (const child of Object.values(value)) containers(child, into);
  }
  return into;
}

describe('the values schema is built once per profile', () => {
  it('returns the same schema for a profile, and a different one per profile', () => {
    expect(valuesSchemaFor(profileFor(true))).toBe(valuesSchemaFor(profileFor(true)));
    expect(valuesSchemaFor(profileFor(false))).not.toBe(valuesSchemaFor(profileFor(true)));
  });

  it.each([true, false])('two loads (development %s) share no object, so a render cannot change the next one', (development) => {
    const input = { files: [{ name: 'v.yaml', text: `global:\n  development: ${development}\n` }], sets: [] };
    const first = loadValues(input).values;
    const second = loadValues(input).values;
    const shared = [...containers(first)].filter((object) => containers(second).has(object));
    expect(shared).toEqual([]);
    // And the reused schema gives what a fresh one gives.
    expect(second).toEqual(buildValuesSchema(profileFor(development)).parse({ global: { development } }));
  });
});
