import type { ConfigError } from '../lib/errors.js';
import { formatPath, ValuesError, type ValuesIssue } from '../values/issues.js';
import type { ValuesSource } from '../values/load.js';

/** The command line a render ran with, to locate problems caused by a flag. */
export interface RenderFlags {
  readonly release: string;
  readonly namespace: string;
  /** Where the release is set when not by `--release` (an environment file's `file:line:col`; default the flag). */
  readonly releaseAt?: string | undefined;
  /** Where the namespace is set when not by `--namespace` (default the flag). */
  readonly namespaceAt?: string | undefined;
}

/**
 * The configuration problems of a render as one {@link ValuesError}, each located like a values
 * problem: at the value the user set (`file:line:col` or `--set`), or at the flag (`--release x`).
 * Problems of one group (every object name a long release makes too long) are reported once, the
 * heaviest. Without a source (a render from values built in code), value paths are shown unlocated.
 */
export function renderProblemsError(problems: readonly ConfigError[], flags: RenderFlags, source?: ValuesSource): ValuesError {
  const groups = new Map<string, ConfigError>();
  const kept: ConfigError[] = [];
  for (const problem of problems) {
    const group = problem.source.group;
    if (!group) {
      if (!kept.some((k) => k.message === problem.message)) kept.push(problem);
      continue;
    }
    const previous = groups.get(group.id);
    if (!previous) kept.push(problem);
    if (!previous || previous.source.group!.weight < group.weight) {
      if (previous) kept[kept.indexOf(previous)] = problem;
      groups.set(group.id, problem);
    }
  }
  const issues = kept.map((problem) => issueOf(problem, flags, source));
  return new ValuesError(source ? source.finish(issues) : issues);
}

function issueOf(problem: ConfigError, flags: RenderFlags, source: ValuesSource | undefined): ValuesIssue {
  const { flag, path, involves } = problem.source;
  if (flag) {
    const release = flag === '--release';
    const at = release ? flags.releaseAt : flags.namespaceAt;
    if (at) return { location: at, path: release ? 'release' : 'namespace', message: problem.message };
    return { location: `${flag} ${JSON.stringify(release ? flags.release : flags.namespace)}`, path: '', message: problem.message };
  }
  if (!path) return { location: '(render)', path: '', message: problem.message };
  const location = source?.locate(path, { involves }).location ?? '(values)';
  return { location, path: formatPath(path), message: problem.message };
}
