import { describe, expect, it } from 'vitest';
import { splitEnvironmentFile } from '../../src/cli/environment-file.js';
import { valuesJsonSchema } from '../../src/values/json-schema.js';

describe('environment files: release and namespace beside the values', () => {
  it('takes release and namespace out, keeping every other key at its line and column', () => {
    const text = 'release: shop  # the shop\nglobal:\n  development: false\nnamespace: "shop-prod"\nredis: {enabled: false}\n';
    const split = splitEnvironmentFile('envs/prod.yaml', text);
    expect(split.release).toEqual({ value: 'shop', location: 'envs/prod.yaml:1:10' });
    expect(split.namespace).toEqual({ value: 'shop-prod', location: 'envs/prod.yaml:4:12' });
    expect(split.issues).toEqual([]);
    const blank = (text: string) => ' '.repeat(text.length);
    expect(split.valuesText).toBe(`${blank('release: shop')}  # the shop\nglobal:\n  development: false\n${blank('namespace: "shop-prod"')}\nredis: {enabled: false}\n`);
    expect(split.valuesText.length).toBe(text.length);
  });

  it('takes them out of a flow mapping with their commas', () => {
    const blank = (text: string) => ' '.repeat(text.length);
    expect(splitEnvironmentFile('e.yaml', '{release: a, global: {development: true}, namespace: b}').valuesText).toBe(
      `{${blank('release: a,')} global: {development: true}, ${blank('namespace: b')}}`,
    );
  });

  it('leaves a file without them, or one that does not parse, as it is', () => {
    for (const text of ['global: {development: true}\n', 'a: [\n', '- a list\n', '']) {
      expect(splitEnvironmentFile('e.yaml', text)).toEqual({ valuesText: text, issues: [] });
    }
  });

  it('validates them like the flags, located at the value', () => {
    const split = splitEnvironmentFile('e.yaml', 'release: 9ops\nnamespace: kube-system\n');
    expect(split.issues).toEqual([
      { location: 'e.yaml:1:10', path: 'release', message: expect.stringMatching(/^expected a DNS-1035 label/) },
      { location: 'e.yaml:2:12', path: 'namespace', message: expect.stringMatching(/^reserved for Kubernetes itself/) },
    ]);
    expect(splitEnvironmentFile('e.yaml', 'release: 12\nnamespace: {a: b}\n').issues.map((i) => i.message)).toEqual([
      "expected the environment's release name as a string, found 12",
      "expected the environment's namespace name as a string, found a list or mapping",
    ]);
    expect(splitEnvironmentFile('e.yaml', 'release: &r shop\n').issues[0]!.message).toMatch(/anchor/);
  });

  it('uses keys the values do not have (a values key named so would be shadowed)', () => {
    const keys = Object.keys((valuesJsonSchema() as { properties: object }).properties);
    expect(keys).not.toContain('release');
    expect(keys).not.toContain('namespace');
  });
});
