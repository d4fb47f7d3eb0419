import type * as z from 'zod';

/** A problem found in the values, with where it came from. */
export interface ValuesIssue {
  /** `file.yaml:12:3`, `--set a.b=c`, `(defaults)` or `command line`. */
  location: string;
  /** Dotted key path, e.g. `redis.cluster.nodes` or `ingress.hosts[0].host`; empty for the whole file. */
  path: string;
  /** What was expected and what was found. */
  message: string;
}

/** Thrown when values are invalid; carries every problem found at once. Exit code 2. */
export class ValuesError extends Error {
  readonly exitCode = 2;
  constructor(readonly issues: readonly ValuesIssue[]) {
    super(formatIssues(issues));
    this.name = 'ValuesError';
  }
}

/** Formats issues one per line, `location  path: message`. */
function formatIssues(issues: readonly ValuesIssue[]): string {
  const head = `invalid values: ${issues.length} problem${issues.length === 1 ? '' : 's'}`;
  const lines = issues.map((i) => `  ${i.location}  ${i.path ? `${i.path}: ` : ''}${i.message}`);
  return [head, ...lines].join('\n');
}

/** Renders a key path as `a.b[0].c`. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((segment, index) => (typeof segment === 'number' ? `[${segment}]` : `${index === 0 ? '' : '.'}${String(segment)}`))
    .join('');
}

/** Params of a cross-field issue: the other values involved, relative to the refined object like the issue's path. */
interface CrossFieldParams {
  involves: PropertyKey[][];
  /** Length of the issue's path inside the refined object (the rest is the object's own path). */
  depth: number;
}

/**
 * Adds a cross-field issue to a refinement: `path` is the value reported, `involves` the values it
 * conflicts with (both relative to the refined object). The loader points at `path` when the user
 * set it, else at the first involved value the user set (never at `(defaults)` while one exists).
 */
export function addCrossFieldIssue(
  ctx: z.RefinementCtx,
  issue: { path: PropertyKey[]; involves: PropertyKey[][]; input: unknown; message: string },
): void {
  const params: CrossFieldParams = { involves: issue.involves, depth: issue.path.length };
  ctx.addIssue({ code: 'custom', path: issue.path, input: issue.input, message: issue.message, params });
}

/** The absolute paths of the values a cross-field issue involves (none for other issues). */
export function involvedPaths(issue: z.core.$ZodIssue): PropertyKey[][] {
  const params = issue.code === 'custom' ? (issue.params as Partial<CrossFieldParams> | undefined) : undefined;
  if (!params?.involves || params.depth === undefined) return [];
  const base = issue.path.slice(0, issue.path.length - params.depth);
  return params.involves.map((p) => [...base, ...p]);
}

/**
 * Params of a root rule (superRefine) that reads the given slices: it runs whenever those parsed,
 * even when other slices did not, so that its problem is reported with theirs (zod skips a
 * refinement after any aborting issue by default). It still never sees a slice that failed.
 */
export function whenValid(...reads: PropertyKey[][]): { when: (payload: z.core.ParsePayload) => boolean } {
  const related = (a: readonly PropertyKey[], b: readonly PropertyKey[]) => a.every((s, i) => i >= b.length || s === b[i]);
  return { when: (payload) => !payload.issues.some((issue) => reads.some((path) => related(path, issue.path ?? []))) };
}
