import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import type * as esbuild from 'esbuild';
import { sha256, writeAtomically } from './build-files.js';
import { codeChecksum, codeSizes, deterministicGzip, rememberGzip } from '../lib/service-code.js';

/**
 * The platform services' bundles: one CommonJS file per `src/services/<name>/main.ts` that exists,
 * `build/services/<name>.js` (git-ignored), which the chart puts into a ConfigMap and runs on the
 * official Node.js image. Next to each bundle, `<name>.manifest.json` records what it was built
 * from: every input esbuild read (its metafile) with its SHA-256, tsconfig.json, the esbuild
 * version and the build options. A bundle is rebuilt when it is missing, or its manifest says it
 * is stale: an input's hash differs (hashes, not modification times: a git checkout resets those;
 * under node_modules/, where only npm writes and it writes new files, size and modification time,
 * as scripts/synth.mjs checks the CLI bundle's: ≈ 250 files per service not read on every synth),
 * an input is gone, the esbuild version or the options changed, or the bundle is not the one the
 * manifest recorded. `npm ci` (the prepare script), `npm run build:services` and every render of
 * `npm run synth` go through {@link ensureServiceBundles}, so a render never uses a stale bundle.
 */

const requireHere = createRequire(import.meta.url);
let esbuildModule: typeof esbuild | undefined;
/** esbuild's JS API, loaded only to build: loading it cost ≈ 9 ms of every synth. */
const esbuildApi = (): typeof esbuild => (esbuildModule ??= requireHere('esbuild') as typeof esbuild);
/** The installed esbuild's version, from its package.json, without loading it. */
export function esbuildVersion(): string {
  const main = requireHere.resolve('esbuild');
  return (JSON.parse(readFileSync(join(dirname(main), '..', 'package.json'), 'utf8')) as { version: string }).version;
}

/** The repository root (this file is src/cli/service-bundles.ts). */
const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SERVICES_DIR = 'src/services';
const OUT_DIR = 'build/services';
const ENTRY_FILE = 'main.ts';
/** Read by esbuild besides the metafile's inputs (compiler options of the TypeScript sources). */
const EXTRA_INPUTS = ['tsconfig.json'];
/**
 * `build/services/package.json`: the bundles are CommonJS, and the repository's package.json says
 * `"type": "module"`, so without it `node build/services/<name>.js` would read them as ES modules.
 * (In the pod, /app/main.js has no package.json above it: CommonJS already.)
 */
const PACKAGE_MARKER = `${JSON.stringify({ type: 'commonjs' })}\n`;

/**
 * The build options, recorded in each manifest. CommonJS: pino's CommonJS code calls
 * `require('node:os')`, which an ESM bundle turns into a failing `Dynamic require`. Target node20
 * runs on the Node.js 22 image and on the Node.js 20 the tests here use. Minification, measured on
 * the self-healing executor (raw / gzip / base64 bytes): none 650,487 / 135,670 / 180,896; full
 * 291,258 / 96,808 / 129,080; full + keepNames 307,095 / 102,636 / 136,848; whitespace + syntax +
 * keepNames 448,914 / 114,851 / 153,136. The last one is chosen: identifiers stay as written, so a
 * stack trace in the pods' logs reads like the source, for 19 % more ConfigMap bytes (60 % of the
 * 256 KiB object limit, which test/render/object-size.test.ts guards; full minification is the
 * fallback if a service outgrows it).
 */
export const BUNDLE_OPTIONS = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  minifyWhitespace: true,
  minifySyntax: true,
  keepNames: true,
  legalComments: 'none',
} as const satisfies esbuild.BuildOptions;

/** A service whose sources do not bundle (a syntax error, an import that does not resolve): exit 1, esbuild's messages. */
export class BundleError extends Error {
  readonly exitCode = 1;
  constructor(message: string) {
    super(message);
    this.name = 'BundleError';
  }
}

/** What a manifest records (`build/services/<name>.manifest.json`). */
export interface BundleManifest {
  /** The entry, relative to the repository root. */
  readonly entry: string;
  readonly esbuild: string;
  readonly options: typeof BUNDLE_OPTIONS;
  /** Every input (relative path, forward slashes) → its {@link inputSignature}. */
  readonly inputs: Readonly<Record<string, string>>;
  /** SHA-256 of the bundle written next to it. */
  readonly output: string;
}

/** One service's bundle, fresh. */
export interface ServiceBundle {
  /** Service (and component) name: the folder under src/services/, e.g. `self-healing`. */
  readonly name: string;
  /** Absolute path of the bundle. */
  readonly file: string;
  readonly code: Buffer;
  /** True when this call built it (it was missing or stale). */
  readonly rebuilt: boolean;
}

/** Options of {@link ensureServiceBundles}. */
export interface EnsureOptions {
  /** Repository root to build in (default: this checkout). */
  readonly root?: string;
  /** Rebuild every bundle even when fresh (default false). */
  readonly force?: boolean;
}

/** The services with an entry file, sorted: the folders of src/services/ holding a main.ts. */
export function serviceEntries(root: string = REPO_ROOT): string[] {
  const dir = join(root, SERVICES_DIR);
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(dir, entry.name, ENTRY_FILE)))
    .map((entry) => entry.name)
    .sort();
}

/** Makes every service's bundle fresh (building the missing and stale ones) and returns them by name order. */
export function ensureServiceBundles(options: EnsureOptions = {}): ServiceBundle[] {
  const root = options.root ?? REPO_ROOT;
  const entries = serviceEntries(root);
  if (entries.length > 0) ensureFile(join(root, OUT_DIR, 'package.json'), PACKAGE_MARKER);
  // The services share most of their inputs (src/core/, the packages): each is looked at once.
  const signatures = new Map<string, string | undefined>();
  const signature = (input: string) => {
    if (!signatures.has(input)) signatures.set(input, inputSignature(root, input));
    return signatures.get(input);
  };
  return entries.map((name) => {
    const file = join(root, OUT_DIR, `${name}.js`);
    const manifestFile = join(root, OUT_DIR, `${name}.manifest.json`);
    if (!options.force) {
      const code = freshBundle(file, manifestFile, signature);
      if (code) return keepGzip(root, name, { name, file, code, rebuilt: false });
    }
    return keepGzip(root, name, { name, file, code: buildBundle(root, name, file, manifestFile), rebuilt: true });
  });
}

/**
 * What a manifest records of an input, and what is compared: the SHA-256 of the repository's own
 * files; `size:<bytes>,mtime:<ms>` of a file under node_modules/; undefined when it cannot be read.
 */
export function inputSignature(root: string, input: string): string | undefined {
  const path = join(root, input);
  if (!input.split('/').includes('node_modules')) return fileHash(path);
  try {
    const { size, mtimeMs } = statSync(path);
    return `size:${size},mtime:${mtimeMs}`;
  } catch {
    return undefined;
  }
}

/**
 * The bundle's gzip as the render packs it, kept beside it as `<name>.<sha-16>.js.gz` (content
 * addressed by the code's SHA-256; written atomically from deterministicGzip's own output): read
 * and handed to the render's memo when present, else made and written for the next run; copies of
 * older code are removed. A read-only checkout only loses the saving.
 */
function keepGzip(root: string, name: string, bundle: ServiceBundle): ServiceBundle {
  const dir = join(root, OUT_DIR);
  const own = `${name}.${codeChecksum(bundle.code).slice(0, 16)}.js.gz`;
  const path = join(dir, own);
  try {
    if (existsSync(path)) rememberGzip(bundle.code, readFileSync(path));
    else writeAtomically(path, deterministicGzip(bundle.code));
    for (const old of readdirSync(dir)) if (old !== own && old.startsWith(`${name}.`) && /^[^.]+\.[0-9a-f]{16}\.js\.gz$/.test(old)) rmSync(join(dir, old), { force: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === undefined) throw error;
  }
  return bundle;
}

/** The bundle when it exists and its manifest says it is fresh; undefined otherwise. */
function freshBundle(file: string, manifestFile: string, signature: (input: string) => string | undefined): Buffer | undefined {
  let manifest: BundleManifest;
  let code: Buffer;
  try {
    manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as BundleManifest;
    code = readFileSync(file);
  } catch {
    return undefined;
  }
  if (manifest.esbuild !== esbuildVersion()) return undefined;
  if (JSON.stringify(manifest.options) !== JSON.stringify(BUNDLE_OPTIONS)) return undefined;
  // codeChecksum: the same SHA-256, kept for this buffer, which the render's checksum annotation reads again.
  if (manifest.output !== codeChecksum(code)) return undefined;
  for (const [input, recorded] of Object.entries(manifest.inputs ?? {})) {
    if (signature(input) !== recorded) return undefined;
  }
  return code;
}

/** Bundles one service, writes the bundle and then its manifest (each atomically), returns the code. */
function buildBundle(root: string, name: string, file: string, manifestFile: string): Buffer {
  const entry = `${SERVICES_DIR}/${name}/${ENTRY_FILE}`;
  let result: esbuild.BuildResult<{ write: false; metafile: true }>;
  try {
    result = esbuildApi().buildSync({ ...BUNDLE_OPTIONS, entryPoints: [entry], absWorkingDir: root, write: false, metafile: true, logLevel: 'silent' });
  } catch (error) {
    throw new BundleError(`bundling ${entry} failed:\n${(error as Error).message}`);
  }
  const code = Buffer.from(result.outputFiles[0]!.contents);
  const inputs: Record<string, string> = {};
  for (const input of [...Object.keys(result.metafile.inputs), ...EXTRA_INPUTS].sort()) {
    inputs[input] = inputSignature(root, input) ?? 'missing';
  }
  const manifest: BundleManifest = { entry, esbuild: esbuildApi().version, options: BUNDLE_OPTIONS, inputs, output: codeChecksum(code) };
  // A bundle that cannot be written (a read-only checkout) is still used: the next run builds it again.
  try {
    writeAtomically(file, code);
    writeAtomically(manifestFile, `${JSON.stringify(manifest, null, 2)}\n`);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === undefined) throw error;
  }
  return code;
}

/** Writes `contents` to `file` unless it holds them already (a read-only checkout is left as it is). */
function ensureFile(file: string, contents: string): void {
  try {
    if (existsSync(file) && readFileSync(file, 'utf8') === contents) return;
    writeAtomically(file, contents);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === undefined) throw error;
  }
}

/** SHA-256 of a file, or undefined when it cannot be read. */
function fileHash(path: string): string | undefined {
  try {
    return sha256(readFileSync(path));
  } catch {
    return undefined;
  }
}

/** One line per bundle: name, state and its sizes (raw, gzip, base64 as in the ConfigMap). */
export function bundleReport(bundles: readonly ServiceBundle[], root: string = REPO_ROOT): string {
  const n = (bytes: number) => bytes.toLocaleString('en-US');
  return bundles
    .map(({ name, file, code, rebuilt }) => {
      const s = codeSizes(code);
      const where = file.startsWith(`${root}/`) ? file.slice(root.length + 1) : file;
      return `${name}: ${rebuilt ? 'built' : 'up to date'} ${where}: ${n(s.raw)} bytes, gzip ${n(s.gzip)}, base64 ${n(s.base64)}`;
    })
    .join('\n');
}

// `tsx src/cli/service-bundles.ts [--force]`: the prepare and build:services scripts.
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const unknown = process.argv.slice(2).filter((arg) => arg !== '--force');
  if (unknown.length > 0) {
    process.stderr.write(`usage: tsx src/cli/service-bundles.ts [--force] (unknown: ${unknown.join(' ')})\n`);
    process.exitCode = 2;
  } else {
    try {
      process.stdout.write(`${bundleReport(ensureServiceBundles({ force: process.argv.includes('--force') }))}\n`);
    } catch (error) {
      process.stderr.write(`error: ${(error as Error).message}\n`);
      process.exitCode = 1;
    }
  }
}
