import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../../src/main.js';

/** Runs the CLI in-process; returns exit code and what it printed. */
export function cli(...argv: string[]): { code: number; stdout: string; stderr: string } {
  let stdout = '';
  let stderr = '';
  const code = run(argv, {}, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr };
}

/** Every file under `folder`, as sorted relative paths (`applyset/x.k8s.yaml`). */
export function filesIn(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true })
    .flatMap((entry) => (entry.isDirectory() ? filesIn(join(folder, entry.name)).map((name) => `${entry.name}/${name}`) : [entry.name]))
    .sort();
}

/** The files one render of `release` writes (manifests, the ApplySet's bootstrap files, the connection tests). */
export const renderFiles = (release = 'aiops-platform'): string[] =>
  [`${release}.k8s.yaml`, `applyset/${release}-applyset.k8s.yaml`, 'applyset/applyset-crd.k8s.yaml', `tests/${release}-tests.k8s.yaml`].sort();

/**
 * A snapshot of a folder tree: every entry with its type, modification time and contents (links
 * by target), so that "untouched" means byte- and mtime-identical with no entry added or removed.
 */
export function treeState(folder: string): string {
  return readdirSync(folder)
    .sort()
    .map((name) => {
      const path = join(folder, name);
      const stat = lstatSync(path);
      if (stat.isSymbolicLink()) return `${name} -> ${readlinkSync(path)}`;
      if (stat.isDirectory()) return `${name}/@${stat.mtimeMs}\n${treeState(path).replace(/^/gm, '  ')}`;
      if (!stat.isFile()) return `${name} (special)`;
      return `${name}@${stat.mtimeMs}:${readFileSync(path, 'utf8')}`;
    })
    .join('\n');
}
