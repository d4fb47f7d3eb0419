/**
 * Benchmark: prints figures, asserts nothing. Compare ratios within one run (the machine is noisy).
 * - whole command: `npm run synth` equivalent (tsx src/main.ts) in a fresh process, median of 5;
 * - in-process: values loading + render for the defaults and the production fixture, median of 20;
 * - memory: peak RSS of one whole-command run.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { render } from '../src/cli/render.js';
import { ensureServiceBundles } from '../src/cli/service-bundles.js';
import { loadValues } from '../src/values/load.js';

const root = join(import.meta.dirname, '..');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const out = mkdtempSync(join(tmpdir(), 'aiops-bench-'));
/** The real bundles, as the CLI renders them. */
const bundles = new Map(ensureServiceBundles().map((b) => [b.name, b.code]));
const serviceCode = (service: string) => bundles.get(service);

/** GNU time reports peak RSS; without it (not on every machine) memory is not measured. */
const gnuTime = existsSync('/usr/bin/time');

function wholeCommand(): { ms: number; maxRssKb: number } {
  const synth = ['node', '--import', 'tsx', 'src/main.ts', '--output', join(out, 'dist')];
  const [command, ...args] = gnuTime ? ['/usr/bin/time', '-f', '%M', ...synth] : synth;
  const start = performance.now();
  const r = spawnSync(command!, args, { cwd: root, encoding: 'utf8' });
  const ms = performance.now() - start;
  if (r.status !== 0) throw new Error(`synth failed: ${r.stderr}`);
  return { ms, maxRssKb: gnuTime ? Number(r.stderr.trim().split('\n').pop()) : Number.NaN };
}

function inProcess(files: { name: string; text: string }[]): number {
  const times: number[] = [];
  for (let i = 0; i < 20; i++) {
    const start = performance.now();
    const { values } = loadValues({ files, sets: [] });
    render(values, 'aiops-platform', 'aiops-platform', undefined, serviceCode);
    times.push(performance.now() - start);
  }
  return median(times);
}

const runs = Array.from({ length: 5 }, wholeCommand);
const production = [{ name: 'production.yaml', text: readFileSync(join(root, 'test/fixtures/values/production.yaml'), 'utf8') }];
const defaultsMs = inProcess([]);
const productionMs = inProcess(production);
const { values } = loadValues({ files: [], sets: [] });
const objects = render(values, 'aiops-platform', 'aiops-platform', undefined, serviceCode).objects.length;

console.log(`synth whole command (median of 5): ${median(runs.map((r) => r.ms)).toFixed(0)} ms  [runs: ${runs.map((r) => r.ms.toFixed(0)).join(', ')}]`);
console.log(`synth peak RSS (median of 5): ${(median(runs.map((r) => r.maxRssKb)) / 1024).toFixed(0)} MiB`);
console.log(`load + render in-process, defaults (median of 20): ${defaultsMs.toFixed(1)} ms for ${objects} objects`);
console.log(`load + render in-process, production fixture (median of 20): ${productionMs.toFixed(1)} ms`);
console.log(`process start-up share of the whole command: ${((1 - defaultsMs / median(runs.map((r) => r.ms))) * 100).toFixed(0)} %`);
rmSync(out, { recursive: true, force: true });
