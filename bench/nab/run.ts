/**
 * `npm run bench:nab [-- --nab DIR]`: the Numenta Anomaly Benchmark for the platform's detector.
 *
 * Loads a NAB-layout folder (default: ../shared/nab), re-scores the reference detectors it ships
 * (`reference/<detector>/`) with the scorer port and checks them against the README's published
 * figures (within VALIDATION_TOLERANCE; exit 1 otherwise: the port would not be trustworthy), runs
 * the platform's streaming detector over every series, scores it with NAB's three profiles and
 * prints a table next to the published detectors, with the detector's cost on this machine.
 */
import { existsSync, readdirSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createSeriesDetector } from '../../src/services/ai-engine/detect/index.js';
import { loadBenchmark, SHARED_NAB_DIR } from './benchmark.js';
import { loadResults } from './corpus.js';
import { detectSeries } from './detect.js';
import { readPublishedScores } from './published.js';
import { scoreDetector, type ProfileScore } from './score.js';
import { formatTable, type TableRow } from './table.js';

/** How far a re-scored reference detector may be from its published score. */
const VALIDATION_TOLERANCE = 0.05;
/** Issue 11's target for the platform's detector: above Random Cut Forest. */
const TARGET: Record<string, number> = { standard: 50, reward_low_FP_rate: 39 };

const started = performance.now();
const { values: args } = parseArgs({ options: { nab: { type: 'string', default: SHARED_NAB_DIR } } });
const bench = loadBenchmark(args.nab);
const profiles = [...bench.profiles.keys()];
const rows = bench.corpus.reduce((n, f) => n + f.data.times.length, 0);
console.log(`NAB corpus ${bench.root}: ${bench.corpus.length} series, ${rows.toLocaleString('en')} rows, ${bench.windowCount} anomaly windows`);

const published = readPublishedScores(join(bench.root, 'README.md'));
const publishedFor = (detector: string) => published.find((p) => p.detector.split(/\s+/)[0] === detector);
const cells = (scores: readonly ProfileScore[]) => scores.map((s) => s.score.toFixed(2));
/** A threshold to 6 digits, in full when that would round it to 1 (detectors that saturate put their best threshold there). */
const threshold = (t: number) => (Number(t.toPrecision(6)) === 1 && t !== 1 ? String(t) : String(Number(t.toPrecision(6))));
const thresholds = (scores: readonly ProfileScore[]) => scores.map((s) => threshold(s.best.threshold)).join(' / ');

// 1. The scorer port, validated on the reference detectors' published results.
const referenceDir = join(bench.root, 'reference');
const references = existsSync(referenceDir) ? readdirSync(referenceDir).sort() : [];
const tableRows: TableRow[] = [];
const failures: string[] = [];
for (const detector of references) {
  const scores = scoreDetector(bench.labelled, loadResults(join(referenceDir, detector), bench.corpus, detector), bench.profiles);
  tableRows.push([`${detector} (re-scored by the port)`, ...cells(scores), thresholds(scores)]);
  const expected = publishedFor(detector);
  for (const s of scores) {
    const want = expected?.scores.get(s.profile);
    if (want !== undefined && Math.abs(s.score - want) > VALIDATION_TOLERANCE) failures.push(`${detector} ${s.profile}: ${s.score.toFixed(4)}, published ${want}`);
  }
}

// 2. The platform's detector, streaming over every series.
let detectMs = 0;
const detectorScores = new Map<string, Float64Array>();
for (const { name, data } of bench.corpus) {
  const t = performance.now();
  detectorScores.set(name, detectSeries(data, () => createSeriesDetector(), name));
  detectMs += performance.now() - t;
}
const platform = scoreDetector(bench.labelled, detectorScores, bench.profiles);
tableRows.unshift([`platform detector (this run)`, ...cells(platform), thresholds(platform)]);
for (const p of published) {
  if (references.includes(p.detector.split(/\s+/)[0]!)) continue;
  tableRows.push([`${p.detector} (published)`, ...profiles.map((name) => p.scores.get(name)?.toFixed(2) ?? '')]);
}

console.log();
console.log(formatTable(['detector', ...profiles, 'thresholds'], tableRows));
console.log();
const pointsPerSecond = rows / (detectMs / 1000);
console.log(
  `detector cost: ${rows.toLocaleString('en')} points in ${(detectMs / 1000).toFixed(2)} s = ` +
    `${Math.round(pointsPerSecond).toLocaleString('en')} points/s (one thread, node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'})`,
);
const targets = Object.entries(TARGET).map(([profile, min]) => {
  const got = platform.find((s) => s.profile === profile)?.score ?? Number.NaN;
  return `${profile} ${got.toFixed(2)} ${got >= min ? '≥' : '<'} ${min}`;
});
console.log(`target (issue 11, above Random Cut Forest): ${targets.join(', ')}`);
console.log(`total bench time ${((performance.now() - started) / 1000).toFixed(1)} s`);
if (failures.length > 0) {
  console.error(`\nThe scorer port does NOT reproduce the published reference scores (tolerance ${VALIDATION_TOLERANCE}):\n  ${failures.join('\n  ')}`);
  process.exitCode = 1;
}
