// Loads the bundled CLI (build/cli/main.cjs, CommonJS) with a V8 code cache: scripts/synth.mjs
// runs it this way, and test/cli/cli-bundle-output.test.ts loads it the same way.
//
// Compiling the 3.7 MB bundle and then compiling each function on its first call are a large part
// of a one-shot synth. The code cache (`vm.Script` cachedData, V8's own format) holds the compiled
// bytecode of the top level and of every function a render called, so the next process skips
// parsing and those compilations: measured here ≈ 60 ms less to load and ≈ 40 ms less for the
// first render. It is written after a successful render when there was none (or V8 refused it),
// next to the bundle, named by the bundle's SHA-256 (from its manifest, which the staleness check
// has just matched to the bundle: V8 itself checks only the source's length), the Node.js version,
// the architecture and the node flags (`process.execArgv`, which V8 also checks); caches of other
// bundles are removed. V8 refuses a cache of another V8 version or other flags
// (`cachedDataRejected`); the bundle is then compiled from source, as without a cache, and a new
// cache replaces it. A cache that cannot be written (a read-only checkout) only loses the saving.
// AIOPS_SYNTH_CODE_CACHE=0 loads without it.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import vm from 'node:vm';

/** The bundle and its manifest, relative to the repository root (src/cli/cli-bundle.ts writes both). */
export const BUNDLE = 'build/cli/main.cjs';
export const MANIFEST = 'build/cli/manifest.json';
const CACHE_PATTERN = /^main\.([0-9a-f]{16})\.v[\d.]+-[a-z0-9]+(?:-[0-9a-f]{8})?\.cache$/;

/**
 * Loads the bundle in this process and returns its exports (`run`) and `finish(exitCode, argv)`,
 * which writes the code cache when it is missing or was refused and the run rendered (exit 0 and
 * not `--help`, `--write-schema` or `--write-values-doc`: a cache made then would lack the
 * render's functions). `useCache` false loads from source alone.
 */
export function loadCli(root, { useCache = process.env.AIOPS_SYNTH_CODE_CACHE !== '0' } = {}) {
  const file = join(root, BUNDLE);
  const source = readFileSync(file, 'utf8');
  const cacheFile = useCache ? cachePath(root) : undefined;
  let cachedData;
  if (cacheFile) {
    try {
      cachedData = readFileSync(cacheFile);
    } catch {
      cachedData = undefined;
    }
  }
  // Node's own CommonJS wrapper, on the first line: the bundle's line numbers stay as they are.
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, { filename: file, cachedData });
  const module = { exports: {} };
  script.runInThisContext().call(module.exports, module.exports, createRequire(file), module, file, dirname(file));
  const cache = !cacheFile ? 'off' : cachedData === undefined ? 'none' : script.cachedDataRejected ? 'refused' : 'used';
  return {
    exports: module.exports,
    /** The code cache: `used`, `none` (not there yet), `refused` (by V8) or `off`. */
    cache,
    /** Writes the cache when it was missing or refused and the run rendered; true when it wrote it. */
    finish(exitCode, argv) {
      if (cache === 'off' || cache === 'used' || exitCode !== 0) return false;
      if (argv.some((arg) => ['-h', '--help', '--write-schema', '--write-values-doc'].includes(arg.split('=')[0]))) return false;
      return writeCache(cacheFile, script.createCachedData());
    },
  };
}

/** The cache's path for this bundle (by the manifest's SHA-256), Node.js version and architecture; undefined without a manifest. */
function cachePath(root) {
  try {
    const { output } = JSON.parse(readFileSync(join(root, MANIFEST), 'utf8'));
    if (typeof output?.sha256 !== 'string') return undefined;
    // V8 refuses a cache made under other flags: a run with other node flags keeps its own.
    const flags = process.execArgv.length > 0 ? `-${createHash('sha256').update(process.execArgv.join('\0')).digest('hex').slice(0, 8)}` : '';
    return join(root, 'build/cli', `main.${output.sha256.slice(0, 16)}.${process.version}-${process.arch}${flags}.cache`);
  } catch {
    return undefined;
  }
}

/** Writes the cache atomically and removes the caches of other bundles; false when it cannot be written. */
function writeCache(cacheFile, data) {
  const temporary = `${cacheFile}.tmp-${process.pid}`;
  try {
    mkdirSync(dirname(cacheFile), { recursive: true });
    writeFileSync(temporary, data);
    renameSync(temporary, cacheFile);
    const bundle = CACHE_PATTERN.exec(cacheFile.slice(dirname(cacheFile).length + 1))?.[1];
    for (const name of readdirSync(dirname(cacheFile))) {
      const of = CACHE_PATTERN.exec(name)?.[1];
      if (of !== undefined && of !== bundle) rmSync(join(dirname(cacheFile), name), { force: true });
    }
    return true;
  } catch (error) {
    if (error?.code === undefined) throw error;
    return false;
  } finally {
    rmSync(temporary, { force: true });
  }
}
