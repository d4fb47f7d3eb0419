import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { ValuesIssue } from '../values/issues.js';
import { environmentNameProblem } from './args.js';
import { readInputFile, reason, type InputFile } from './input-files.js';

/** One environment of `--environments`: its name (the file name without .yaml/.yml) and its file, read. */
export interface EnvironmentInput {
  readonly name: string;
  readonly file: InputFile;
}

/**
 * Lists and reads the environment files of `folder`, sorted by name: every entry must be a
 * `<name>.yaml` or `<name>.yml` file (a symbolic link to one is followed) whose name is a DNS-1123
 * label, each name once. Every problem becomes an issue located at the folder or the file, so that
 * they are reported together with the values' problems; a folder without environments is one.
 */
export function readEnvironmentFolder(folder: string): { environments: EnvironmentInput[]; issues: ValuesIssue[] } {
  const issues: ValuesIssue[] = [];
  const problem = (location: string, message: string) => issues.push({ location, path: '', message });
  let names: string[];
  try {
    if (!statSync(folder).isDirectory()) {
      problem(`--environments ${folder}`, 'is not a folder; give the folder that holds the <name>.yaml environment files');
      return { environments: [], issues };
    }
    names = readdirSync(folder).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  } catch (error) {
    problem(`--environments ${folder}`, `cannot read the folder: ${reason(error)}`);
    return { environments: [], issues };
  }
  const environments: EnvironmentInput[] = [];
  const seen = new Map<string, string>();
  for (const entry of names) {
    const path = join(folder, entry);
    const name = /^(.*)\.ya?ml$/.exec(entry)?.[1];
    if (name === undefined) {
      problem(path, 'not an environment file: the folder holds only <name>.yaml or <name>.yml files');
      continue;
    }
    const bad = environmentNameProblem(name);
    if (bad) {
      problem(path, `the environment name ${JSON.stringify(name)} (also its output folder): ${bad}`);
      continue;
    }
    const first = seen.get(name);
    if (first) {
      problem(path, `environment ${JSON.stringify(name)} is also given by ${first}: keep one file per environment`);
      continue;
    }
    seen.set(name, path);
    const file = readInputFile(path, path);
    if ('issues' in file) issues.push(...file.issues);
    else environments.push({ name, file });
  }
  if (names.length === 0) problem(`--environments ${folder}`, 'the folder is empty: put one <name>.yaml file in it per environment');
  return { environments, issues };
}
