import { describe, expect, it } from 'vitest';
import { renderValues } from '../support/render.js';
import { renderCases } from '../support/renders.js';

describe('golden renders', () => {
  it.each(renderCases().map((c) => [c.name, c] as const))('%s matches its snapshot', async (name, c) => {
    const { yaml } = renderValues(c.files, c.sets);
    await expect(yaml).toMatchFileSnapshot(`./__golden__/${name}.k8s.yaml`);
  });

  it('renders byte-identical YAML for the same values', () => {
    for (const c of renderCases()) {
      expect(renderValues(c.files, c.sets).yaml, c.name).toBe(renderValues(c.files, c.sets).yaml);
    }
  });
});
