#!/usr/bin/env node
// The synth command (`npm run synth`, cdk8s.yaml's `app:`): runs the bundled CLI, build/cli/main.cjs,
// on plain node with a V8 code cache (scripts/cli-loader.mjs), after making sure it is not stale. src/cli/cli-bundle.ts builds the bundle and its
// manifest (build/cli/manifest.json: every input with its size, modification time and SHA-256).
//
// The check, on every run: the bundle's size and time are the ones recorded; every input of the
// repository's own (src/, imports/, tsconfig.json, package.json) has the recorded SHA-256 (its
// contents are read and hashed: a checkout, a copy that keeps modification times, or an edit undone
// all give the right answer); every input under node_modules/ has the recorded size and time (only
// npm writes there, and it writes new files). Measured on the ~740 inputs: hashing the own inputs and
// stat-ing node_modules' ≈ 10 ms; hashing all of them (8 MB) ≈ 20 ms; stat only ≈ 5 ms.
// When stale (or missing), it loads src/cli/cli-bundle.ts through esbuild's transform, rebuilds in
// this process, says so on stderr, and runs the new bundle. Set AIOPS_SYNTH_TIMING=1 to print the
// check's own time, the bundle's load (and whether the code cache was used) and the run on stderr.
//
// package.json and cdk8s.yaml run it as `node --max-semi-space-size=2 --v8-pool-size=1
// scripts/synth.mjs` (test/cli/synth-command.test.ts keeps the two equal): a synth keeps little of
// what it allocates, so a 2 MiB young generation and one V8 worker thread take its peak RSS from
// ≈ 120 to ≈ 98 MiB at the same speed, and fifty environments in one run are as fast (measured
// alternating; --lite-mode saved more memory but halved the speed of many environments).
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { BUNDLE, loadCli, MANIFEST } from './cli-loader.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BUILDER = 'src/cli/cli-bundle.ts';

/** Why the bundle must be rebuilt, or undefined when it is fresh. */
function staleness(root) {
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(join(root, MANIFEST), 'utf8'));
  } catch {
    return 'no manifest';
  }
  const same = (path, recorded, byContents) => {
    try {
      if (byContents) return createHash('sha256').update(readFileSync(path)).digest('hex') === recorded.sha256;
      const { size, mtimeMs } = statSync(path);
      return size === recorded.size && mtimeMs === recorded.mtimeMs;
    } catch {
      return false;
    }
  };
  if (!manifest.output || !same(join(root, BUNDLE), manifest.output, false)) return `${BUNDLE} is not the one built`;
  for (const [input, recorded] of Object.entries(manifest.inputs ?? {})) {
    if (!same(join(root, input), recorded, !input.includes('node_modules/'))) return `${input} changed`;
  }
  return undefined;
}

/** Builds the bundle in this process: src/cli/cli-bundle.ts, transformed by esbuild into a module next to the bundle. */
async function rebuild(root, reason) {
  const started = performance.now();
  const esbuild = await import('esbuild');
  const { code } = await esbuild.transform(readFileSync(join(root, BUILDER), 'utf8'), { loader: 'ts', format: 'esm', target: 'node20', sourcefile: BUILDER });
  // Next to the bundle, so that its `import 'esbuild'` resolves from the repository's node_modules.
  const builder = join(root, `build/cli/.builder-${process.pid}.mjs`);
  try {
    mkdirSync(join(root, 'build/cli'), { recursive: true });
    writeFileSync(builder, code);
    const { buildCliBundle } = await import(pathToFileURL(builder).href);
    const built = await buildCliBundle(root);
    process.stderr.write(`synth: rebuilt ${BUNDLE} (${reason}) in ${Math.round(performance.now() - started)} ms\n`);
    return built;
  } finally {
    rmSync(builder, { force: true });
  }
}

const started = performance.now();
const reason = staleness(ROOT);
if (process.env.AIOPS_SYNTH_TIMING === '1') process.stderr.write(`synth: bundle check ${(performance.now() - started).toFixed(1)} ms (${reason ?? 'fresh'})\n`);
if (reason !== undefined) {
  try {
    await rebuild(ROOT, reason);
  } catch (error) {
    process.stderr.write(`error: ${error.message}\n`);
    process.exit(1);
  }
}
const argv = process.argv.slice(2);
const loading = performance.now();
const cli = loadCli(ROOT);
const loaded = performance.now();
process.exitCode = cli.exports.run(argv, process.env, {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
});
const ran = performance.now();
const written = cli.finish(process.exitCode, argv);
if (process.env.AIOPS_SYNTH_TIMING === '1') {
  const ms = (from, to) => `${(to - from).toFixed(1)} ms`;
  process.stderr.write(`synth: load ${ms(loading, loaded)} (code cache ${cli.cache}), run ${ms(loaded, ran)}${written ? ', code cache written' : ''}\n`);
}
