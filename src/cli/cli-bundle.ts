import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

/**
 * The bundled CLI: src/main.ts and everything it imports (node_modules included, esbuild excepted)
 * in one CommonJS file, `build/cli/main.cjs` (git-ignored), which scripts/synth.mjs runs on plain
 * `node` (`npm run synth`, `npx cdk8s synth`) through scripts/cli-loader.mjs, with a V8 code
 * cache: no TypeScript loader at start-up. Next to it,
 * `manifest.json` records every file the bundle was built from (each with its size, modification
 * time and SHA-256, taken from the very bytes esbuild bundled), the esbuild version, the options
 * and the bundle's own size and time. scripts/synth.mjs reads that manifest on every run, decides
 * whether the bundle is stale, and when it is, loads this file (through esbuild's transform) and
 * rebuilds before rendering. `npm ci` (the prepare script) and `npm run build:cli` build it here.
 *
 * The bundle lives in build/cli/, two folders below the repository root like src/cli/: the
 * modules that find the repository from their own `import.meta.url` (src/cli/service-bundles.ts:
 * src/services/ and build/services/) resolve to the same paths from the bundle, where every
 * module's `import.meta.url` is the bundle's. The bundle is a module, not a program: it exports
 * `run`, and scripts/synth.mjs calls it (run directly, the entry checks of src/main.ts and of
 * service-bundles.ts would both see themselves as the program). Of the bundled packages, only
 * cdk8s's `Yaml.load` (for `Include`, which the chart does not use) reads a file next to its
 * own source (`__dirname`): it would fail in the bundle rather than read something else.
 */

/** The repository root (this file is src/cli/cli-bundle.ts). */
const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const ENTRY = 'src/main.ts';
/** The bundle, relative to the repository root. */
export const CLI_BUNDLE = 'build/cli/main.cjs';
/** Its manifest, relative to the repository root. */
export const CLI_MANIFEST = 'build/cli/manifest.json';
/**
 * Read besides what esbuild bundles: compiler options, the package type, this builder (its
 * options) and esbuild's version. Each bundled package's package.json is added too (its
 * `exports` and `main` decide which file an import resolves to).
 */
const EXTRA_INPUTS = ['tsconfig.json', 'package.json', 'src/cli/cli-bundle.ts', 'node_modules/esbuild/package.json'];

/**
 * The build options, recorded in the manifest. CommonJS, so that scripts/cli-loader.mjs can compile
 * it as a `vm.Script` with a code cache (Node.js 20 keeps no code cache for ES modules). The sources
 * use `import.meta.url`, which a CommonJS bundle would leave empty: it is defined as the bundle's
 * own file URL, made in the banner from `__filename`. esbuild stays external: its JS API spawns its
 * own native binary found from its package folder (src/cli/service-bundles.ts and this builder use
 * it at run time). Without `keepNames`: esbuild renames top-level classes and functions that share a
 * name across modules (`Yaml2`), and keeping their `.name` wrapped 3,751 of them in a defineProperty
 * call at load (≈ 20 ms of the load and ≈ 20 ms of the first render, measured alternating); no
 * output depends on those names (cdk8s, constructs, yaml and zod print a constructor's name only in
 * errors about objects that are not plain data, which the render never makes), and
 * test/cli/cli-bundle-output.test.ts compares every golden case's output and messages with the
 * sources'. Not minified: whitespace minification (3.9 → 2.7 MB) made no measurable difference to
 * the start-up, and stack traces keep reading like the sources.
 */
export const CLI_BUNDLE_OPTIONS = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  external: ['esbuild'],
  legalComments: 'none',
  define: { 'import.meta.url': '__cliBundleUrl' },
  banner: { js: "var __cliBundleUrl = require('node:url').pathToFileURL(__filename).href;" },
} as const satisfies esbuild.BuildOptions;

/** One file the bundle was built from. */
export interface InputRecord {
  readonly size: number;
  readonly mtimeMs: number;
  /** SHA-256, hex. */
  readonly sha256: string;
}

/** What `build/cli/manifest.json` records. */
export interface CliManifest {
  readonly entry: string;
  readonly esbuild: string;
  readonly options: typeof CLI_BUNDLE_OPTIONS;
  /** Every input (relative path, forward slashes, sorted) → its record at build time. */
  readonly inputs: Readonly<Record<string, InputRecord>>;
  /** The bundle as written: size, modification time and SHA-256. */
  readonly output: InputRecord;
}

/** A CLI bundle just built. */
export interface BuiltCliBundle {
  /** Absolute path of the bundle. */
  readonly file: string;
  readonly bytes: number;
  readonly inputs: number;
  /** Build time in milliseconds (bundling, hashing, writing). */
  readonly ms: number;
}

/** The sources do not bundle (a syntax error, an import that does not resolve): exit 1, esbuild's messages. */
export class CliBundleError extends Error {
  readonly exitCode = 1;
  constructor(message: string) {
    super(message);
    this.name = 'CliBundleError';
  }
}

/**
 * Builds `build/cli/main.cjs` and its manifest (each written atomically, the bundle first) in
 * `root` (default: this checkout). Deterministic: the same sources give the same bytes, with
 * paths relative to the root. Every input is read by this builder itself (an esbuild plugin), so
 * its recorded hash is the hash of what was bundled even when a file is saved during the build;
 * its size and time are taken before it is read, so such a file looks changed on the next run.
 */
export async function buildCliBundle(root: string = REPO_ROOT): Promise<BuiltCliBundle> {
  const started = performance.now();
  const records = new Map<string, InputRecord>();
  const record = (absolute: string, contents?: Uint8Array): Uint8Array => {
    const { size, mtimeMs } = statSync(absolute);
    const bytes = contents ?? readFileSync(absolute);
    records.set(relative(root, absolute).split(sep).join('/'), { size, mtimeMs, sha256: sha256(bytes) });
    return bytes;
  };
  const recordInputs: esbuild.Plugin = {
    name: 'record-inputs',
    setup(build) {
      build.onLoad({ filter: /.*/, namespace: 'file' }, (args) => ({ contents: record(args.path), loader: 'default' }));
    },
  };
  let result: esbuild.BuildResult<{ write: false; metafile: true }>;
  try {
    result = await esbuild.build({
      ...CLI_BUNDLE_OPTIONS,
      entryPoints: [ENTRY],
      absWorkingDir: root,
      outfile: CLI_BUNDLE,
      write: false,
      metafile: true,
      logLevel: 'silent',
      plugins: [recordInputs],
    });
  } catch (error) {
    throw new CliBundleError(`bundling ${ENTRY} failed:\n${(error as Error).message}`);
  }
  const packages = new Set([...records.keys()].map(packageJsonOf).filter((p): p is string => p !== undefined));
  for (const extra of [...EXTRA_INPUTS, ...packages]) if (!records.has(extra)) record(join(root, extra));
  const code = result.outputFiles[0]!.contents;
  const file = join(root, CLI_BUNDLE);
  writeAtomically(file, code);
  const { size, mtimeMs } = statSync(file);
  const inputs = Object.fromEntries([...records].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const manifest: CliManifest = { entry: ENTRY, esbuild: esbuild.version, options: CLI_BUNDLE_OPTIONS, inputs, output: { size, mtimeMs, sha256: sha256(code) } };
  writeAtomically(join(root, CLI_MANIFEST), `${JSON.stringify(manifest, null, 1)}\n`);
  return { file, bytes: code.length, inputs: records.size, ms: Math.round(performance.now() - started) };
}

/** `node_modules/<package>/package.json` of a bundled file under node_modules (scoped and nested packages too). */
function packageJsonOf(input: string): string | undefined {
  const match = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input);
  return match ? `${match[1]}/package.json` : undefined;
}

/**
 * Writes through a temporary sibling renamed over the file, so a concurrent reader sees the old file or the new one whole.
 * (Kept here rather than imported from build-files.ts: scripts/synth.mjs transforms this one file alone to rebuild.)
 */
function writeAtomically(file: string, contents: string | Uint8Array): void {
  mkdirSync(dirname(file), { recursive: true });
  const temporary = `${file}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  try {
    writeFileSync(temporary, contents);
    renameSync(temporary, file);
  } finally {
    rmSync(temporary, { force: true });
  }
}

const sha256 = (contents: Uint8Array): string => createHash('sha256').update(contents).digest('hex');

// `tsx src/cli/cli-bundle.ts`: the prepare and build:cli scripts (always builds).
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  buildCliBundle().then(
    ({ file, bytes, inputs, ms }) => process.stdout.write(`cli: built ${relative(REPO_ROOT, file)}: ${bytes.toLocaleString('en-US')} bytes from ${inputs} files in ${ms} ms\n`),
    (error: Error) => {
      process.stderr.write(`error: ${error.message}\n`);
      process.exitCode = 1;
    },
  );
}
