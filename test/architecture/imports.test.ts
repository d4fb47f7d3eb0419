import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The import graph of src/: no cycle, and the layers point one way. core/ is the leaf layer
 * (pure facts and parsers, imports nothing but core/); values/ (the schema and its loading) imports
 * only core/ and itself; lib/, then plan/ (the pure platform plan), then components/ sit above values/.
 * services/ (the platform's own programs, bundled apart from the chart) imports only core/ and itself.
 */

const SRC = resolve(__dirname, '../../src');

/** Every .ts file under `dir`, relative to src/ with forward slashes. */
function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [relative(SRC, path).split('\\').join('/')] : [];
  });
}

/** `import … from './x.js'`, `import type …`, `export … from`, side-effect `import './x.js'`. */
const IMPORT = /^\s*(?:import|export)\b[^'";]*?(?:from\s*)?['"](\.{1,2}\/[^'"]+)['"]/gm;

/** The files of src/ that `file` imports (relative specifiers; type-only imports count; generated imports/ left out). */
function importsOf(file: string): string[] {
  const text = readFileSync(join(SRC, file), 'utf8');
  return [...text.matchAll(IMPORT)]
    .map((m) => relative(SRC, resolve(SRC, dirname(file), m[1]!.replace(/\.js$/, '.ts'))).split('\\').join('/'))
    .filter((target) => !target.startsWith('../'));
}

const files = sourceFiles(SRC);
const graph = new Map(files.map((file) => [file, importsOf(file)]));

/** Every cycle as the list of files around it (one per strongly connected component, Tarjan). */
function cycles(): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (file: string): void => {
    index.set(file, counter);
    low.set(file, counter);
    counter += 1;
    stack.push(file);
    onStack.add(file);
    for (const next of graph.get(file) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(file, Math.min(low.get(file)!, low.get(next)!));
      } else if (onStack.has(next)) {
        low.set(file, Math.min(low.get(file)!, index.get(next)!));
      }
    }
    if (low.get(file) !== index.get(file)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== file);
    if (component.length > 1 || (graph.get(file) ?? []).includes(file)) found.push(component.sort());
  };
  for (const file of graph.keys()) if (!index.has(file)) visit(file);
  return found;
}

/** Imports from files under `from` into files outside the folders `allowed`. */
function importsLeaving(from: string, allowed: readonly string[]): string[] {
  return [...graph.keys()]
    .filter((file) => file.startsWith(from))
    .flatMap((file) => graph.get(file)!.filter((target) => !allowed.some((folder) => target.startsWith(folder))).map((target) => `${file} → ${target}`));
}

describe('import graph of src/', () => {
  it('reads the imports of every file (the pattern finds them)', () => {
    expect(graph.get('chart.ts')!.length).toBeGreaterThan(10);
    expect(graph.get('values/schema/common.ts')).toContain('values/schema/primitives.ts');
  });

  it('resolves every relative import to a file of src/', () => {
    const missing = [...graph].flatMap(([file, targets]) => targets.filter((t) => !graph.has(t)).map((t) => `${file} → ${t}`));
    expect(missing).toEqual([]);
  });

  it('has no import cycle', () => {
    expect(cycles()).toEqual([]);
  });

  it('core/ imports nothing of the project but core/', () => {
    expect(importsLeaving('core/', ['core/'])).toEqual([]);
  });

  it('values/ imports only values/ and core/ (never lib/, components/ or the chart)', () => {
    expect(importsLeaving('values/', ['values/', 'core/'])).toEqual([]);
  });

  it('lib/ never imports components/, the chart or the CLI', () => {
    expect(importsLeaving('lib/', ['lib/', 'values/', 'core/'])).toEqual([]);
  });

  it('plan/ (the pure platform plan) imports only lib/, values/ and core/: never a construct of components/ or the chart', () => {
    expect(importsLeaving('plan/', ['plan/', 'lib/', 'values/', 'core/'])).toEqual([]);
  });

  it('components/ and plan/ never import the chart, the CLI or the entry point', () => {
    const below = ['components/', 'plan/', 'lib/', 'values/', 'core/'];
    expect([...importsLeaving('components/', below), ...importsLeaving('plan/', below)]).toEqual([]);
  });

  it('services/ (our own programs) imports only services/ and core/: never lib/, components/, plan/, values/ or the chart', () => {
    expect(importsLeaving('services/', ['services/', 'core/'])).toEqual([]);
  });

  it('services/ never imports cdk8s or constructs (the bundled programs carry no synth code)', () => {
    const synthImports = files
      .filter((file) => file.startsWith('services/'))
      .filter((file) => /^\s*(?:import|export)\b[^'";]*?from\s*'(?:cdk8s|cdk8s-plus-27|cdk8s-cli|constructs)(?:\/[^']*)?'/m.test(readFileSync(join(SRC, file), 'utf8')));
    expect(files.some((file) => file.startsWith('services/kit/'))).toBe(true);
    expect(synthImports).toEqual([]);
  });

  it('builds shell scripts only in *-scripts.ts files; *-config.ts files build config files, no scripts or Kubernetes objects', () => {
    const scriptBuilders = [...graph].filter(([, targets]) => targets.includes('lib/shell-scripts.ts')).map(([file]) => file);
    expect(scriptBuilders.length).toBeGreaterThan(0);
    expect(scriptBuilders.filter((file) => !file.endsWith('-scripts.ts'))).toEqual([]);
    const impure = files
      .filter((file) => file.endsWith('-config.ts'))
      .filter((file) => /^import (?!type\b)[^;]*from '(?:cdk8s|cdk8s-plus-27(?:\/[^']*)?|constructs|(?:\.\.?\/)+(?:lib\/)?k8s\.js)'/m.test(readFileSync(join(SRC, file), 'utf8')));
    expect(impure).toEqual([]);
  });

  it('finds a cycle and an upward import when there is one (the checks can fail)', () => {
    graph.set('values/zz-probe.ts', ['lib/zz-probe.ts']);
    graph.set('lib/zz-probe.ts', ['values/zz-probe.ts']);
    try {
      expect(cycles()).toContainEqual(['lib/zz-probe.ts', 'values/zz-probe.ts']);
      expect(importsLeaving('values/', ['values/', 'core/'])).toContain('values/zz-probe.ts → lib/zz-probe.ts');
    } finally {
      graph.delete('values/zz-probe.ts');
      graph.delete('lib/zz-probe.ts');
    }
  });
});
