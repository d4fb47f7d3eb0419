import type { Rendered } from './render.js';

/** One-screen summary of a render: objects per kind, files written, warnings. */
export function summary(rendered: Rendered, o: { release: string; namespace: string; development: boolean; output: string }): string {
  const kinds = new Map<string, number>();
  for (const object of rendered.objects) kinds.set(String(object.kind), (kinds.get(String(object.kind)) ?? 0) + 1);
  const perKind = [...kinds.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([kind, n]) => `${kind} ${n}`);
  const files = Object.entries(rendered.files).map(
    ([name, text]) => `  ${o.output}/${name} (${(Buffer.byteLength(text) / 1024).toFixed(1)} KiB)`,
  );
  return [
    `Rendered ${rendered.objects.length} objects for release ${o.release} in namespace ${o.namespace} (${o.development ? 'development' : 'production'} profile)`,
    `  ${perKind.join(', ')}`,
    'Files:',
    ...files,
    rendered.warnings.length > 0 ? `${rendered.warnings.length} warning(s), shown above` : 'No warnings',
    `Apply with: kubectl apply -f ${o.output}/`,
  ].join('\n');
}
