import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { CorpusError, loadCorpus } from './corpus.js';
import { CsvError } from './csv.js';
import { detectSeries, type SeriesDetectorFactory } from './detect.js';

/** Usage of the `detect` command. */
export const DETECT_USAGE = 'usage: npm run -s detect -- --corpus DATA_DIR --out OUT_DIR';

/** Where the command writes its messages. */
export interface CommandOutput {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

/**
 * The `detect` command: for every `DATA_DIR/<category>/<file>.csv` (`timestamp,value`), writes
 * `OUT_DIR/<category>/<file>.csv` with `timestamp,anomaly_score`, one row per input row (timestamp
 * copied verbatim), each score from a fresh streaming detector per file. Every input file is read
 * and checked before anything is written. Returns the exit code: 0 done, 2 bad arguments, corpus
 * (missing, not a folder, no data file, malformed CSV with file:line) or unwritable output.
 */
export function runDetectCommand(argv: readonly string[], create: SeriesDetectorFactory, io: CommandOutput): number {
  let corpusDir: string;
  let outDir: string;
  try {
    const { values } = parseArgs({ args: [...argv], options: { corpus: { type: 'string' }, out: { type: 'string' } }, strict: true, allowPositionals: false });
    if (!values.corpus || !values.out) throw new Error(`--corpus and --out are required`);
    corpusDir = values.corpus;
    outDir = values.out;
  } catch (e) {
    io.err(`detect: ${(e as Error).message}\n${DETECT_USAGE}`);
    return 2;
  }
  let corpus;
  try {
    corpus = loadCorpus(corpusDir);
  } catch (e) {
    if (e instanceof CorpusError || e instanceof CsvError) {
      io.err(`detect: ${e.message}`);
      return 2;
    }
    throw e;
  }
  try {
    mkdirSync(outDir, { recursive: true });
  } catch (e) {
    io.err(`detect: cannot create the output folder ${outDir}: ${(e as Error).message}`);
    return 2;
  }
  const started = performance.now();
  let rows = 0;
  for (const { name, data } of corpus) {
    const scores = detectSeries(data, create, join(corpusDir, name));
    const lines = ['timestamp,anomaly_score'];
    data.timestamps.forEach((t, i) => lines.push(`${t},${scores[i]}`));
    const target = join(outDir, name);
    try {
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, `${lines.join('\n')}\n`);
    } catch (e) {
      io.err(`detect: cannot write ${target}: ${(e as Error).message}`);
      return 2;
    }
    rows += scores.length;
  }
  const seconds = (performance.now() - started) / 1000;
  io.out(`detect: scored ${corpus.length} files, ${rows} rows in ${seconds.toFixed(2)} s → ${outDir}`);
  return 0;
}
