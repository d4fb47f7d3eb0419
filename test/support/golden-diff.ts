import { parse } from 'yaml';
import { renderStream } from './render.js';

/** One YAML document of a render, exactly as written, keyed by kind, namespace and name. */
export interface Document {
  readonly key: string;
  readonly text: string;
}

/** Splits a render's YAML into its documents (at the `---` lines; block scalars are indented, so only separators start a line with it). */
export function documents(yaml: string): Document[] {
  const docs = yaml.split(/^---\n/m).map((text) => {
    const o = parse(text) as { kind?: string; metadata?: { name?: string; namespace?: string } } | null;
    if (!o?.kind || !o.metadata?.name) throw new Error(`a document without kind and name:\n${text.slice(0, 200)}`);
    return { key: `${o.kind} ${o.metadata.namespace ?? ''}/${o.metadata.name}`, text };
  });
  const keys = new Set(docs.map((d) => d.key));
  if (keys.size !== docs.length) throw new Error('two documents with the same kind, namespace and name');
  return docs;
}

type Edit = { op: ' ' | '-' | '+'; line: string };

/** Beyond this many differing lines the edit script is "replace all" (Myers' trace grows with its square). */
const MAX_DISTANCE = 2000;

/** The shortest edit script from `a` to `b` (Myers' O(ND) algorithm), line by line. */
function edits(a: readonly string[], b: readonly string[]): Edit[] {
  const offset = a.length + b.length + 1;
  const v = new Int32Array(2 * offset + 1);
  const trace: Int32Array[] = [];
  for (let d = 0; d <= Math.min(a.length + b.length, MAX_DISTANCE); d++) {
    trace.push(v.slice(offset - d - 1, offset + d + 2));
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[offset + k - 1]! < v[offset + k + 1]!) ? v[offset + k + 1]! : v[offset + k - 1]! + 1;
      let y = x - k;
      while (x < a.length && y < b.length && a[x] === b[y]) (x++, y++);
      v[offset + k] = x;
      if (x >= a.length && y >= b.length) return backtrack(trace, a, b);
    }
  }
  return [...a.map((line) => ({ op: '-' as const, line })), ...b.map((line) => ({ op: '+' as const, line }))];
}

function backtrack(trace: Int32Array[], a: readonly string[], b: readonly string[]): Edit[] {
  const out: Edit[] = [];
  let x = a.length;
  let y = b.length;
  for (let d = trace.length - 1; d >= 0; d--) {
    // trace[d] holds v[-d-1 .. d+1] as it was before round d.
    const at = (k: number) => trace[d]![k + d + 1]!;
    const k = x - y;
    const prevK = k === -d || (k !== d && at(k - 1) < at(k + 1)) ? k + 1 : k - 1;
    const prevX = at(prevK);
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) out.push({ op: ' ', line: a[--x]! }), y--;
    if (d > 0) out.push(x === prevX ? { op: '+', line: b[--y]! } : { op: '-', line: a[--x]! });
  }
  return out.reverse();
}

/** A unified diff (`context` lines around each change, `@@ -l,n +l,n @@` hunks) of two texts. */
export function unifiedDiff(before: string, after: string, context = 3): string {
  const script = edits(before.split('\n'), after.split('\n'));
  const changes = script.flatMap((e, i) => (e.op === ' ' ? [] : [i]));
  const out: string[] = [];
  for (let g = 0; g < changes.length; ) {
    let last = g;
    while (last + 1 < changes.length && changes[last + 1]! - changes[last]! <= 2 * context + 1) last++;
    const from = Math.max(0, changes[g]! - context);
    const to = Math.min(script.length, changes[last]! + context + 1);
    const lineAt = (upTo: number, side: '-' | '+') => script.slice(0, upTo).filter((e) => e.op !== (side === '-' ? '+' : '-')).length;
    const part = script.slice(from, to);
    const count = (side: '-' | '+') => part.filter((e) => e.op !== (side === '-' ? '+' : '-')).length;
    out.push(`@@ -${lineAt(from, '-') + 1},${count('-')} +${lineAt(from, '+') + 1},${count('+')} @@`, ...collapsed(part));
    g = last + 1;
  }
  return out.join('\n');
}

/** Runs of removed lines longer than this show their first and last lines only: the base has them. */
const REMOVED_SHOWN = 3;

/** The lines of a hunk, long runs of removed lines cut to their ends and a `⋮ N more removed lines` line. */
function collapsed(part: readonly Edit[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < part.length; ) {
    let j = i;
    while (j < part.length && part[j]!.op === '-') j++;
    if (j - i > 2 * REMOVED_SHOWN + 1) {
      const run = part.slice(i, j).map((e) => `-${e.line}`);
      out.push(...run.slice(0, REMOVED_SHOWN), `⋮ ${run.length - 2 * REMOVED_SHOWN} more removed lines`, ...run.slice(-REMOVED_SHOWN));
      i = j;
    } else {
      const e = part[i]!;
      out.push(`${e.op}${e.line}`);
      i++;
    }
  }
  return out;
}

/** Applies a unified diff of {@link unifiedDiff} to `before` (to prove the diff pins every byte). */
export function applyDiff(before: string, diff: string): string {
  const lines = before.split('\n');
  const out: string[] = [];
  let at = 0;
  for (const line of diff.split('\n')) {
    const hunk = /^@@ -(\d+),\d+ \+\d+,\d+ @@$/.exec(line);
    if (hunk) {
      const start = Number(hunk[1]) - 1;
      out.push(...lines.slice(at, start));
      at = start;
    } else if (line.startsWith('⋮ ')) at += Number(/^⋮ (\d+) more removed lines$/.exec(line)![1]);
    else if (line[0] === '+') out.push(line.slice(1));
    else if (line[0] === '-' || line[0] === ' ') {
      if (lines[at] !== line.slice(1)) throw new Error(`diff does not apply at line ${at + 1}`);
      if (line[0] === ' ') out.push(line.slice(1));
      at++;
    }
  }
  return [...out, ...lines.slice(at)].join('\n');
}

/**
 * What a render changes against its base render, as a readable text that still pins every byte:
 * the output files (one stream, as test/support/render.ts joins them), each removed object's key, each added object in full with its place, each
 * changed object as a unified diff of its YAML, and the order of the objects when it is not the
 * base's. {@link applyRenderDiff} rebuilds the render from the base and this text.
 */
export function renderDiff(base: { name: string; files: Record<string, string> }, target: { files: Record<string, string> }): string {
  const baseDocs = documents(renderStream(base.files).yaml);
  const { names, yaml } = renderStream(target.files);
  const docs = documents(yaml);
  const before = new Map(baseDocs.map((d) => [d.key, d.text]));
  const after = new Map(docs.map((d) => [d.key, d.text]));
  const added = docs.filter((d) => !before.has(d.key));
  const removed = baseDocs.filter((d) => !after.has(d.key));
  const changed = docs.filter((d) => before.has(d.key) && before.get(d.key) !== d.text);
  const kept = (list: Document[], other: Map<string, string>) => list.filter((d) => other.has(d.key)).map((d) => d.key);
  const sameOrder = kept(docs, before).join('\n') === kept(baseDocs, after).join('\n');
  const out = [
    `# Against ${base.name}.k8s.yaml: ${added.length} added, ${removed.length} removed, ${changed.length} changed; every other object as there${sameOrder ? ', in the same order' : ''}.`,
    `# files: ${names.join(', ')}`,
    ...(sameOrder ? [] : ['# order:', ...docs.map((d) => `#   ${d.key}`)]),
  ];
  for (const d of removed) out.push(`## removed: ${d.key}`);
  for (const d of added) {
    const text = d.text.endsWith('\n') ? d.text.slice(0, -1) : `${d.text}\n(no newline at the end)`;
    out.push(`## added: ${d.key} (object ${docs.indexOf(d) + 1} of ${docs.length})`, text.replace(/^/gm, '  '));
  }
  for (const d of changed) out.push(`## changed: ${d.key}`, unifiedDiff(before.get(d.key)!, d.text));
  return `${out.join('\n')}\n`;
}

/** Rebuilds a render's YAML from its base render's YAML and the text {@link renderDiff} wrote. */
export function applyRenderDiff(baseYaml: string, diff: string): string {
  const texts = new Map(documents(baseYaml).map((d) => [d.key, d.text]));
  let order = documents(baseYaml).map((d) => d.key);
  const explicitOrder: string[] = [];
  const placed: [number, string][] = [];
  const sections = diff.split(/^(?=## )/m);
  for (const line of sections[0]!.split('\n')) if (line.startsWith('#   ')) explicitOrder.push(line.slice(4));
  for (const section of sections.slice(1)) {
    const [head, ...body] = section.replace(/\n$/, '').split('\n');
    const [, what, key, at] = /^## (removed|added|changed): (.+?)(?: \(object (\d+) of \d+\))?$/.exec(head!)!;
    if (what === 'removed') order = order.filter((k) => k !== key);
    else if (what === 'changed') texts.set(key!, applyDiff(texts.get(key!)!, body.join('\n')));
    else {
      const text = body.map((l) => l.slice(2)).join('\n');
      texts.set(key!, text.endsWith('\n(no newline at the end)') ? text.slice(0, -'\n(no newline at the end)'.length) : `${text}\n`);
      placed.push([Number(at) - 1, key!]);
    }
  }
  for (const [index, key] of placed.sort((a, b) => a[0] - b[0])) order.splice(index, 0, key);
  return (explicitOrder.length > 0 ? explicitOrder : order).map((k) => texts.get(k)).join('---\n');
}
