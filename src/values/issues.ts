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
export function formatIssues(issues: readonly ValuesIssue[]): string {
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
