import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyRenderDiff, renderDiff } from '../support/golden-diff.js';
import { renderValues, type TestRender } from '../support/render.js';
import { renderCases } from '../support/renders.js';

/**
 * The guard of every refactor: a few whole golden renders (WHOLE_GOLDENS), and for every other
 * case a golden of what it changes against its base (test/support/golden-diff.ts). A diff pins
 * every byte of its render: the last test rebuilds each render from its base and its diff.
 */
const cases = renderCases();
const renders = new Map<string, TestRender>(cases.map((c) => [c.name, renderValues(c.files, c.sets)]));
const render = (name: string) => renders.get(name)!;
const diffed = cases.flatMap((c) => (c.base ? [[c.name, c.base] as const] : []));

describe('golden renders', () => {
  it.each(cases.filter((c) => !c.base).map((c) => [c.name] as const))('%s matches its whole golden', async (name) => {
    await expect(render(name).yaml).toMatchFileSnapshot(`./__golden__/${name}.k8s.yaml`);
  });

  it.each(diffed)('%s changes against %s what its golden diff says', async (name, base) => {
    await expect(renderDiff({ name: base, files: render(base).files }, render(name))).toMatchFileSnapshot(`./__golden__/${name}.k8s.diff`);
  });

  it('rebuilds every diffed render from its base and its diff, byte for byte', () => {
    for (const [name, base] of diffed) {
      const rebuilt = applyRenderDiff(render(base).yaml, renderDiff({ name: base, files: render(base).files }, render(name)));
      expect(rebuilt === render(name).yaml, name).toBe(true);
    }
  });

  it('keeps a golden file for every case and none for a case that is gone', () => {
    const expected = cases.map((c) => `${c.name}.${c.base ? 'k8s.diff' : 'k8s.yaml'}`);
    expect(readdirSync(join(import.meta.dirname, '__golden__')).sort()).toEqual(expected.sort());
  });

  it('renders byte-identical YAML for the same values', () => {
    for (const c of cases) {
      expect(renderValues(c.files, c.sets).yaml, c.name).toBe(render(c.name).yaml);
    }
  });
});
