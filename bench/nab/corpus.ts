import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readTimeSeriesCsv, type TimeSeriesTable } from './csv.js';

/** One data file of a NAB-layout corpus. */
export interface CorpusFile {
  /** `<category>/<file>.csv`, the key NAB's label files use. */
  readonly name: string;
  /** The data rows (`timestamp,value`). */
  readonly data: TimeSeriesTable;
}

/** A corpus folder that cannot be used (missing, not a folder, no data files). */
export class CorpusError extends Error {
  override readonly name = 'CorpusError';
}

/**
 * The `<category>/<file>.csv` names of a NAB-layout data folder, sorted. Files directly in the
 * folder, deeper folders and hidden entries are not part of the layout and are ignored.
 * Throws a CorpusError when the folder is missing, not a folder, or holds no data file.
 */
export function corpusFileNames(dataDir: string): string[] {
  if (!existsSync(dataDir)) throw new CorpusError(`corpus folder ${dataDir} does not exist`);
  if (!statSync(dataDir).isDirectory()) throw new CorpusError(`corpus ${dataDir} is not a folder`);
  const names: string[] = [];
  for (const category of readdirSync(dataDir, { withFileTypes: true })) {
    if (!category.isDirectory() || category.name.startsWith('.')) continue;
    for (const file of readdirSync(join(dataDir, category.name), { withFileTypes: true })) {
      if (file.isFile() && file.name.endsWith('.csv') && !file.name.startsWith('.')) names.push(`${category.name}/${file.name}`);
    }
  }
  if (names.length === 0) throw new CorpusError(`corpus folder ${dataDir} holds no <category>/<file>.csv data file`);
  return names.sort();
}

/** Reads every data file of a NAB-layout folder (see corpusFileNames); CSV problems throw a CsvError. */
export function loadCorpus(dataDir: string): CorpusFile[] {
  return corpusFileNames(dataDir).map((name) => ({ name, data: readTimeSeriesCsv(join(dataDir, name), 'value') }));
}

/**
 * Reads a detector's results for every corpus file from a NAB results folder:
 * `<resultsDir>/<category>/<file>.csv`, or NAB's own naming `<category>/<detector>_<file>.csv`
 * when `detector` is given, each with `timestamp` and `anomaly_score` columns. The rows must be
 * the data file's rows, timestamp for timestamp. Returns the scores in row order per file name.
 */
export function loadResults(resultsDir: string, corpus: readonly CorpusFile[], detector?: string): Map<string, Float64Array> {
  const results = new Map<string, Float64Array>();
  for (const { name, data } of corpus) {
    const [category, file] = name.split('/') as [string, string];
    const candidates = [join(resultsDir, category, file), ...(detector ? [join(resultsDir, category, `${detector}_${file}`)] : [])];
    const path = candidates.find((p) => existsSync(p));
    if (!path) throw new CorpusError(`no results for ${name} in ${resultsDir} (looked for ${candidates.join(', ')})`);
    const table = readTimeSeriesCsv(path, 'anomaly_score');
    if (table.timestamps.length !== data.timestamps.length) {
      throw new CorpusError(`${path}: ${table.timestamps.length} rows, but the data file ${name} has ${data.timestamps.length}`);
    }
    const mismatch = table.times.findIndex((t, i) => t !== data.times[i]);
    if (mismatch >= 0) {
      throw new CorpusError(`${path}:${mismatch + 2}: timestamp ${table.timestamps[mismatch]} is not the data file's ${data.timestamps[mismatch]}`);
    }
    results.set(name, table.numbers);
  }
  return results;
}

/** Reads a JSON file of the corpus (label windows, profiles). */
export function readJson(path: string): unknown {
  if (!existsSync(path)) throw new CorpusError(`${path} does not exist`);
  return JSON.parse(readFileSync(path, 'utf8')) as unknown;
}
