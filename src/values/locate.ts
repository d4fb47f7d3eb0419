import type { ValuesIssue } from './issues.js';
import type { ValuesLayer } from './yaml-source.js';

/** Where a problem is shown. */
export interface Located {
  /** `file.yaml:12:3`, a `--set` flag, or `(defaults)` when no layer wrote any of the paths. */
  readonly location: string;
  /** The key path found there: the problem's own, or an involved one the user set. */
  readonly path: readonly PropertyKey[];
}

/**
 * Says where a problem about `path` comes from. For a cross-field problem, `involves` lists the
 * other values it compares: when the user did not set `path` (it is a default), the problem points
 * at the first involved value the user did set, never at `(defaults)` while one exists.
 */
export type Locate = (path: readonly PropertyKey[], options?: { atKey?: boolean; involves?: readonly (readonly PropertyKey[])[] }) => Located;

/** A {@link Locate} over the layers in merge order (the last one that writes a path wins). */
export function locator(layers: readonly ValuesLayer[]): Locate {
  const reversed = [...layers].reverse();
  const exact = (path: readonly PropertyKey[], atKey: boolean): string | undefined => {
    for (const layer of reversed) {
      const location = layer.locate(path, atKey);
      if (location) return location;
    }
    return undefined;
  };
  /** The path itself or its nearest parent that a layer writes. */
  const nearest = (path: readonly PropertyKey[], atKey: boolean): string | undefined => {
    for (let length = path.length; length >= 1; length--) {
      const location = exact(path.slice(0, length), atKey && length === path.length);
      if (location) return location;
    }
    return undefined;
  };
  return (path, options = {}) => {
    const atKey = options.atKey ?? false;
    const candidates = [path, ...(options.involves ?? [])];
    if (candidates.length > 1) {
      for (const candidate of candidates) {
        const location = exact(candidate, candidate === path && atKey);
        if (location) return { location, path: candidate };
      }
    }
    for (const candidate of candidates) {
      const location = nearest(candidate, candidate === path && atKey);
      if (location) return { location, path: candidate };
    }
    return { location: '(defaults)', path };
  };
}

/**
 * Orders issues as the user reads them: flags such as `--release` first, then the inputs in
 * command-line order (`names`: the values files, then `--set`), by line and column; `(defaults)` last.
 */
export function sortByLocation(issues: readonly ValuesIssue[], names: readonly string[]): ValuesIssue[] {
  const key = (issue: ValuesIssue): [number, number, number] => {
    const input = names.findIndex(
      (n) => issue.location === n || issue.location.startsWith(`${n}:`) || issue.location.startsWith(n === '--set' ? '--set' : `${n} `),
    );
    const rest = input < 0 ? '' : issue.location.slice(names[input]!.length);
    const [line, col] = /^:\d+:\d+$/.test(rest) ? rest.slice(1).split(':').map(Number) : [0, 0];
    const rank = input >= 0 ? input : issue.location.startsWith('--') ? -1 : names.length;
    return [rank, line ?? 0, col ?? 0];
  };
  return issues
    .map((issue, index) => ({ issue, index, key: key(issue) }))
    .sort((a, b) => a.key[0] - b.key[0] || a.key[1] - b.key[1] || a.key[2] - b.key[2] || a.index - b.index)
    .map((entry) => entry.issue);
}
