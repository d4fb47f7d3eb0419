import type { EnvironmentRender } from './render-environments.js';
import type { Rendered } from './render.js';
import { APPLYSET_FOLDER } from './output-layout.js';
import { pruneCommands } from './prune-scripts.js';

/** One-screen summary of a render: objects per kind, files written, warnings, how to apply (or install, with `--format helm`). */
export function summary(
  rendered: Rendered,
  o: { release: string; namespace: string; development: boolean; output: string; format?: 'manifests' | 'helm'; written?: Record<string, string> },
): string {
  const kinds = new Map<string, number>();
  for (const object of rendered.objects) kinds.set(String(object.kind), (kinds.get(String(object.kind)) ?? 0) + 1);
  const perKind = [...kinds.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([kind, n]) => `${kind} ${n}`);
  const written = o.written ?? rendered.files;
  const bytes = Object.values(written).reduce((n, text) => n + Buffer.byteLength(text), 0);
  const files =
    o.format === 'helm'
      ? [`  ${o.output}/helm/ (a chart: ${Object.keys(written).length} files, ${(bytes / 1024).toFixed(1)} KiB)`]
      : Object.entries(written).map(([name, text]) => `  ${o.output}/${name} (${(Buffer.byteLength(text) / 1024).toFixed(1)} KiB)`);
  return [
    `Rendered ${rendered.objects.length} objects for release ${o.release} in namespace ${o.namespace} (${o.development ? 'development' : 'production'} profile)`,
    `  ${perKind.join(', ')}`,
    'Files:',
    ...files,
    rendered.warnings.length > 0 ? `${rendered.warnings.length} warning(s), shown above` : 'No warnings',
    o.format === 'helm'
      ? `Install with: helm install ${o.release} ${o.output}/helm -n ${o.namespace} --create-namespace --take-ownership`
      : [
          `Apply with: kubectl apply -f ${o.output}/`,
          `  or, deleting what a values change dropped (once before: the README's "Pruning" set-up):`,
          `  ${pruneCommands(o.release, o.output, APPLYSET_FOLDER).apply}`,
        ].join('\n'),
  ].join('\n');
}

const gib = (bytes: number) => `${(bytes / 2 ** 30).toFixed(1)}Gi`;

/**
 * The `--environments` summary: one table (a row per environment, in name order, with its footprint totals: CPU and memory requests, storage), then one line
 * with the totals and the run's time in seconds (the only figure that varies between runs).
 */
export function environmentsSummary(rows: readonly EnvironmentRender[], o: { output: string; seconds: number }): string {
  const kib = (row: EnvironmentRender) => row.rendered.bytes / 1024;
  const table = [
    ['ENVIRONMENT', 'RELEASE', 'NAMESPACE', 'PROFILE', 'OBJECTS', 'SIZE', 'WARNINGS', 'CPU REQ', 'MEM REQ', 'STORAGE'],
    ...rows.map((row) => [
      `${row.name}/`,
      row.release,
      row.namespace,
      row.development ? 'development' : 'production',
      String(row.rendered.objectCount),
      `${kib(row).toFixed(1)} KiB`,
      String(row.rendered.warnings.length),
      String(row.rendered.footprint.totals.requests.cpu),
      gib(row.rendered.footprint.totals.requests.memory),
      gib(row.rendered.footprint.totals.storage),
    ]),
  ];
  const right = new Set([4, 5, 6, 7, 8, 9]);
  const widths = table[0]!.map((_, column) => Math.max(...table.map((cells) => cells[column]!.length)));
  const lines = table.map((cells) => cells.map((cell, column) => (right.has(column) ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!))).join('  ').trimEnd());
  const objects = rows.reduce((n, row) => n + row.rendered.objectCount, 0);
  const warnings = rows.reduce((n, row) => n + row.rendered.warnings.length, 0);
  return [
    `Rendered ${rows.length} environment${rows.length === 1 ? '' : 's'} into ${o.output}/:`,
    ...lines.map((line) => `  ${line}`),
    `${objects} objects, ${warnings > 0 ? `${warnings} warning(s), shown above` : 'no warnings'}, in ${o.seconds.toFixed(2)} s`,
    `Apply one with: kubectl apply -f ${o.output}/<environment>/`,
  ].join('\n');
}
