import { readFileSync } from 'node:fs';

/** One share of a CPU profile's self time. */
export interface CpuShare {
  /** A package (`node_modules/yaml`), a source folder (`src/components/monitoring`), a Node.js module (`node:vm`, `node:internal/modules`), or what V8 calls the rest (`(garbage collector)`). */
  readonly name: string;
  readonly ms: number;
  /** Of the profile's total, idle excluded. */
  readonly share: number;
}

/**
 * Self time of a `--cpu-prof` profile by package or source folder, biggest first. Frames in the
 * CLI bundle are placed by the `// <path>` comment esbuild writes above each module it bundles
 * (`bundleSource`: the bundle's text), so the shares name the modules, not the one bundle file.
 */
export function cpuShares(profileFile: string, bundleSource: string): CpuShare[] {
  const profile = JSON.parse(readFileSync(profileFile, 'utf8')) as {
    nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
    samples: number[];
    timeDeltas: number[];
  };
  const modules = moduleStarts(bundleSource);
  const selfTime = new Map<number, number>();
  profile.samples.forEach((id, i) => selfTime.set(id, (selfTime.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const byName = new Map<string, number>();
  for (const node of profile.nodes) {
    const time = selfTime.get(node.id) ?? 0;
    if (time === 0) continue;
    const { url, lineNumber, functionName } = node.callFrame;
    let name: string;
    if (url.endsWith('build/cli/main.cjs')) name = groupOf(moduleAt(modules, lineNumber));
    else if (url.startsWith('node:')) name = url.split('/').slice(0, url.startsWith('node:internal/') ? 2 : 1).join('/');
    else if (url === '') name = functionName.startsWith('(') ? functionName : `(native) ${functionName}`;
    else name = groupOf(url.replace(/^.*?\/(node_modules|scripts|src)\//, '$1/'));
    byName.set(name, (byName.get(name) ?? 0) + time);
  }
  byName.delete('(idle)');
  const total = [...byName.values()].reduce((a, b) => a + b, 0);
  return [...byName]
    .map(([name, micros]) => ({ name, ms: micros / 1000, share: micros / total }))
    .sort((a, b) => b.ms - a.ms);
}

/** Line (0-based) where each bundled module starts, with its path, in order. */
function moduleStarts(source: string): { line: number; path: string }[] {
  const starts: { line: number; path: string }[] = [];
  source.split('\n').forEach((text, line) => {
    const match = /^\/\/ ((?:node_modules|src|imports)\/\S+)$/.exec(text);
    if (match) starts.push({ line, path: match[1]! });
  });
  return starts;
}

function moduleAt(starts: readonly { line: number; path: string }[], line: number): string {
  let low = 0;
  let high = starts.length - 1;
  let found = '(bundle runtime)';
  while (low <= high) {
    const mid = (low + high) >> 1;
    if (starts[mid]!.line <= line) {
      found = starts[mid]!.path;
      low = mid + 1;
    } else high = mid - 1;
  }
  return found;
}

/** `node_modules/<package>` (scoped too) or the first two folders under src/. */
function groupOf(path: string): string {
  const pkg = /^(node_modules\/(?:@[^/]+\/)?[^/]+)/.exec(path);
  if (pkg) return pkg[1]!;
  const parts = path.split('/');
  return parts.length > 2 ? parts.slice(0, path.startsWith('src/') ? 3 : 2).join('/') : path;
}
