import { join, resolve } from 'node:path';
import { CorpusError, loadCorpus, type CorpusFile } from './corpus.js';
import { loadProfiles, loadWindows, type CostMatrix } from './labels.js';
import type { LabelledFile } from './score.js';
import { labelRows } from './windows.js';

/** The NAB part shipped next to the repository: `../shared/nab` from the repository root. */
export const SHARED_NAB_DIR = resolve(import.meta.dirname, '../../../shared/nab');

/** A NAB-layout benchmark folder, loaded: data, labelled rows and scoring profiles. */
export interface Benchmark {
  readonly root: string;
  readonly corpus: readonly CorpusFile[];
  readonly labelled: readonly LabelledFile[];
  readonly profiles: ReadonlyMap<string, CostMatrix>;
  /** The number of anomaly windows of the corpus files. */
  readonly windowCount: number;
}

/**
 * Loads a NAB-layout folder (`data/<category>/<file>.csv`, `labels/combined_windows.json`,
 * `config/profiles.json`) and labels each file's rows. Every data file needs an entry in the
 * label file (possibly `[]`). Default `root`: SHARED_NAB_DIR.
 */
export function loadBenchmark(root = SHARED_NAB_DIR): Benchmark {
  const corpus = loadCorpus(join(root, 'data'));
  const windowsPath = join(root, 'labels/combined_windows.json');
  const windows = loadWindows(windowsPath);
  const labelled = corpus.map(({ name, data }) => {
    const fileWindows = windows.get(name);
    if (!fileWindows) throw new CorpusError(`${windowsPath} has no entry for the data file ${name}`);
    return { name, labels: labelRows(data.times, fileWindows, name) };
  });
  const windowCount = labelled.reduce((n, f) => n + f.labels.windowCount, 0);
  return { root, corpus, labelled, profiles: loadProfiles(join(root, 'config/profiles.json')), windowCount };
}
