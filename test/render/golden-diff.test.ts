import { describe, expect, it } from 'vitest';
import { applyDiff, applyRenderDiff, documents, renderDiff, unifiedDiff } from '../support/golden-diff.js';

/** A small deterministic random generator (the same cases on every run). */
function random(seed: number) {
  return (n: number) => ((seed = (seed * 1103515245 + 12345) % 2147483648), seed % n);
}
const doc = (kind: string, name: string, extra = '') => `apiVersion: v1\nkind: ${kind}\nmetadata:\n  name: ${name}\n${extra}`;
const yamlOf = (...docs: string[]) => docs.join('---\n');
const files = (yaml: string) => ({ 'aiops-platform.k8s.yaml': yaml });

describe('golden diffs', () => {
  it('rebuild the text they were taken from, whatever the edit', () => {
    const rnd = random(7);
    for (let t = 0; t < 2000; t++) {
      const lines = (n: number) => Array.from({ length: rnd(n) }, () => String(rnd(t % 2 ? 5 : 2))).join('\n');
      const [a, b] = [lines(60), lines(60)];
      expect(applyDiff(a, unifiedDiff(a, b)), `${JSON.stringify(a)} -> ${JSON.stringify(b)}`).toBe(b);
    }
  });

  it('show a long run of removed lines by its ends, and still rebuild the text', () => {
    const a = Array.from({ length: 40 }, (_, i) => `line ${i}`).join('\n');
    const b = a.split('\n').filter((_, i) => i < 10 || i >= 30).join('\n');
    const diff = unifiedDiff(a, b);
    expect(diff.split('\n')).toEqual(['@@ -8,26 +8,6 @@', ' line 7', ' line 8', ' line 9', '-line 10', '-line 11', '-line 12', '⋮ 14 more removed lines', '-line 27', '-line 28', '-line 29', ' line 30', ' line 31', ' line 32']);
    expect(applyDiff(a, diff)).toBe(b);
  });

  it('name what a render adds, removes and changes, and rebuild it from the base', () => {
    const base = yamlOf(doc('Namespace', 'ns'), doc('ConfigMap', 'a', 'data:\n  x: "1"\n'), doc('Secret', 'gone'));
    const target = yamlOf(doc('Namespace', 'ns'), doc('Service', 'new'), doc('ConfigMap', 'a', 'data:\n  x: "2"\n'));
    const diff = renderDiff({ name: 'base', files: files(base) }, { files: files(target) });
    expect(diff).toBe(
      [
        '# Against base.k8s.yaml: 1 added, 1 removed, 1 changed; every other object as there, in the same order.',
        '# files: aiops-platform.k8s.yaml',
        '## removed: Secret /gone',
        '## added: Service /new (object 2 of 3)',
        '  apiVersion: v1',
        '  kind: Service',
        '  metadata:',
        '    name: new',
        '## changed: ConfigMap /a',
        '@@ -3,5 +3,5 @@',
        ' metadata:',
        '   name: a',
        ' data:',
        '-  x: "1"',
        '+  x: "2"',
        ' ', // the empty line after the last line break, as context
        '',
      ].join('\n'),
    );
    expect(applyRenderDiff(base, diff)).toBe(target);
  });

  it('list the order when the objects the base has too come in another order', () => {
    const base = yamlOf(doc('Namespace', 'ns'), doc('ConfigMap', 'a'));
    const target = yamlOf(doc('ConfigMap', 'a'), doc('Namespace', 'ns'));
    const diff = renderDiff({ name: 'base', files: files(base) }, { files: files(target) });
    expect(diff).toContain('# order:\n#   ConfigMap /a\n#   Namespace /ns\n');
    expect(applyRenderDiff(base, diff)).toBe(target);
  });

  it('refuse a render whose objects cannot be told apart', () => {
    expect(() => documents(yamlOf(doc('ConfigMap', 'a'), doc('ConfigMap', 'a')))).toThrow(/same kind, namespace and name/);
    expect(() => documents('just: text\n')).toThrow(/without kind and name/);
  });
});
