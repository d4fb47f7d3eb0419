import { ValuesError, type ValuesIssue } from '../../src/values/issues.js';
import { loadValues } from '../../src/values/load.js';

/**
 * The issues `attempt` fails with (a values load or a render that loads values); fails the test
 * when it succeeds, rethrows any other error.
 */
export function issuesThrownBy(attempt: () => unknown, what = 'the values'): ValuesIssue[] {
  try {
    attempt();
  } catch (error) {
    if (error instanceof ValuesError) return [...error.issues];
    throw error;
  }
  throw new Error(`expected ${what} to be rejected`);
}

/** Loads a values file `values.yaml` with `text` (and `--set` flags) and returns the issues it fails with. */
export function issuesOf(text: string, sets: readonly string[] = []): ValuesIssue[] {
  return issuesThrownBy(() => loadValues({ files: [{ name: 'values.yaml', text }], sets }), `the values:\n${text}`);
}

/** The problems of a values file `values.yaml` with `text`, as `<path>: <message>` lines; none when it loads. */
export function problemsOf(text: string): string[] {
  try {
    loadValues({ files: [{ name: 'values.yaml', text }], sets: [] });
    return [];
  } catch (error) {
    if (error instanceof ValuesError) return error.issues.map((i) => `${i.path}: ${i.message}`);
    throw error;
  }
}
