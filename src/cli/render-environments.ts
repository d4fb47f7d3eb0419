import type { ServiceCode } from '../lib/service-code.js';
import { ValuesError, type ValuesIssue } from '../values/issues.js';
import { loadValues } from '../values/load.js';
import type { SetFlag } from '../values/set-flag.js';
import { splitEnvironmentFile } from './environment-file.js';
import type { EnvironmentInput } from './environment-folder.js';
import { footprint, type Footprint } from './footprint.js';
import { render, type Rendered } from './render.js';

/**
 * One environment rendered, as the summary needs it: warnings, how many objects, how many bytes
 * of YAML, its footprint (the files go to `onRendered` as each environment is rendered, and are not kept: a
 * hundred production environments held ≈ 450 MiB until the end).
 */
export interface EnvironmentRender {
  readonly name: string;
  readonly release: string;
  readonly namespace: string;
  readonly development: boolean;
  readonly rendered: Pick<Rendered, 'warnings'> & { readonly objectCount: number; readonly bytes: number; readonly footprint: Footprint };
}

/** What every environment shares: the `-f` files, the value flags, and the flags' release and namespace (the defaults). */
export interface SharedInputs {
  readonly files: readonly { name: string; text: string }[];
  readonly sets: readonly SetFlag[];
  /** Problems of the shared inputs (a file that cannot be read) and of the flags, reported with each environment's. */
  readonly issues: readonly ValuesIssue[];
  readonly release: string;
  readonly namespace: string;
}

/**
 * Loads and renders every environment, one after another in this process: the shared `-f` files,
 * then the environment file, then the value flags (which apply to every environment). Pure apart
 * from `serviceCode` (asked only once an environment has loaded) and `onRendered`, which receives
 * each environment's files as soon as it rendered (default: dropped). Every problem of every
 * environment is collected; when there is any, throws one {@link ValuesError} with all of them:
 * those located in the environment's own file as they are, the others (a shared file, a flag,
 * the defaults) marked with the environments they concern, once.
 */
export function renderEnvironments(
  environments: readonly EnvironmentInput[],
  shared: SharedInputs,
  serviceCode: () => ServiceCode,
  onRendered: (name: string, files: Rendered['files']) => void = () => {},
): EnvironmentRender[] {
  const renders: EnvironmentRender[] = [];
  const problems: { issue: ValuesIssue; environment?: string }[] = [];
  for (const { name, file } of environments) {
    const split = splitEnvironmentFile(file.name, file.text);
    const sets = (key: string) => split.issues.some((i) => i.path === key);
    const release = split.release?.value ?? shared.release;
    const namespace = split.namespace?.value ?? shared.namespace;
    // A flag's problem concerns the environments that use the flag's value.
    const flagIssues = shared.issues.filter(
      (i) => !(i.location.startsWith('--release ') && (split.release || sets('release'))) && !(i.location.startsWith('--namespace ') && (split.namespace || sets('namespace'))),
    );
    try {
      const { values, source } = loadValues({ files: [...shared.files, { name: file.name, text: split.valuesText }], sets: shared.sets, issues: [...flagIssues, ...split.issues] });
      const at = { releaseAt: split.release?.location, namespaceAt: split.namespace?.location };
      const { files, warnings, objects } = render(values, release, namespace, source, serviceCode(), at);
      const bytes = Object.values(files).reduce((n, text) => n + Buffer.byteLength(text), 0);
      renders.push({ name, release, namespace, development: values.global.development, rendered: { warnings, objectCount: objects.length, bytes, footprint: footprint(objects) } });
      onRendered(name, files);
    } catch (error) {
      if (!(error instanceof ValuesError)) throw error;
      for (const issue of error.issues) problems.push(issue.location.startsWith(`${file.name}:`) || issue.location === file.name ? { issue } : { issue, environment: name });
    }
  }
  if (problems.length > 0) throw new ValuesError(mergeShared(problems, environments.length));
  return renders;
}

/** One issue per shared problem, located with the environments it concerns ("every environment" when all). */
function mergeShared(problems: readonly { issue: ValuesIssue; environment?: string }[], total: number): ValuesIssue[] {
  const merged = new Map<string, { issue: ValuesIssue; environments: string[] }>();
  const order: ({ issue: ValuesIssue } | string)[] = [];
  for (const { issue, environment } of problems) {
    if (environment === undefined) {
      order.push({ issue });
      continue;
    }
    const key = JSON.stringify([issue.location, issue.path, issue.message]);
    const entry = merged.get(key);
    if (entry) entry.environments.push(environment);
    else {
      merged.set(key, { issue, environments: [environment] });
      order.push(key);
    }
  }
  return order.map((item) => {
    if (typeof item !== 'string') return item.issue;
    const { issue, environments } = merged.get(item)!;
    const which = total > 1 && environments.length === total ? 'every environment' : `environment${environments.length > 1 ? 's' : ''} ${environments.join(', ')}`;
    return { ...issue, location: `${issue.location} (${which})` };
  });
}
