import { spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { codeChecksum, deterministicGzip } from '../../src/lib/service-code.js';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as esbuild from 'esbuild';
import { BUNDLE_OPTIONS, BundleError, ensureServiceBundles, esbuildVersion, serviceEntries, type BundleManifest } from '../../src/cli/service-bundles.js';

/**
 * The staleness check of the platform services' bundles, on a temporary copy of the repository's
 * src/services and src/core (node_modules linked): the real tree and its build/ are never touched.
 */

const REPO = resolve(__dirname, '../..');
const root = mkdtempSync(join(tmpdir(), 'aiops-bundles-'));
for (const dir of ['src/services', 'src/core']) cpSync(join(REPO, dir), join(root, dir), { recursive: true });
for (const file of ['tsconfig.json', 'package.json']) cpSync(join(REPO, file), join(root, file));
symlinkSync(join(REPO, 'node_modules'), join(root, 'node_modules'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const entries = serviceEntries(root);
const [service] = entries;
const bundleFile = join(root, 'build/services', `${service}.js`);
const manifestFile = join(root, 'build/services', `${service}.manifest.json`);
const manifest = (): BundleManifest => JSON.parse(readFileSync(manifestFile, 'utf8')) as BundleManifest;
/** Which services the call rebuilt. */
const rebuilt = () => ensureServiceBundles({ root }).filter((b) => b.rebuilt).map((b) => b.name);

describe('service bundles (a temporary copy of the sources)', () => {
  it('finds one entry per src/services/<name>/main.ts: self-healing, not the kit', () => {
    expect(entries).toContain('self-healing');
    expect(entries).not.toContain('kit');
  });

  it('builds a missing bundle: CommonJS for node20, with a manifest of its inputs, the esbuild version and the options', () => {
    expect(rebuilt()).toEqual(entries);
    const m = manifest();
    expect(m.entry).toBe(`src/services/${service}/main.ts`);
    expect(m.options).toEqual(BUNDLE_OPTIONS);
    expect(m.options).toMatchObject({ format: 'cjs', platform: 'node', target: 'node20' });
    expect(m.esbuild).toMatch(/^\d+\.\d+\.\d+$/);
    // The freshness check reads the version from esbuild's package.json, without loading esbuild.
    expect(esbuildVersion()).toBe(esbuild.version);
    expect(m.esbuild).toBe(esbuild.version);
    expect(Object.keys(m.inputs)).toEqual(expect.arrayContaining([`src/services/${service}/main.ts`, 'src/services/kit/run.ts', 'tsconfig.json']));
    // Own files by SHA-256; the packages' files (node_modules/, written only by npm) by size and time.
    const own = Object.entries(m.inputs).filter(([input]) => !input.includes('node_modules/'));
    const packages = Object.entries(m.inputs).filter(([input]) => input.includes('node_modules/'));
    expect(own.length).toBeGreaterThan(0);
    expect(packages.length).toBeGreaterThan(0);
    expect(own.every(([, hash]) => /^[0-9a-f]{64}$/.test(hash))).toBe(true);
    expect(packages.every(([, signature]) => /^size:\d+,mtime:[\d.]+$/.test(signature))).toBe(true);
    // Relative paths only: the bundle does not depend on where the checkout is.
    expect(readFileSync(bundleFile, 'utf8')).not.toContain(root);
    expect(readFileSync(join(root, 'build/services/package.json'), 'utf8')).toBe('{"type":"commonjs"}\n');
  });

  it('rebuilds nothing when nothing changed, nor when only modification times did (hashes, not mtimes)', () => {
    const before = readFileSync(bundleFile);
    expect(rebuilt()).toEqual([]);
    const main = join(root, `src/services/${service}/main.ts`);
    utimesSync(main, new Date(), new Date(Date.now() + 60_000));
    expect(rebuilt()).toEqual([]);
    expect(readFileSync(bundleFile)).toEqual(before);
  });

  it('rebuilds when a source changes, even with its old modification time (as after a checkout)', () => {
    const kit = join(root, 'src/services/kit/run.ts');
    const { mtime } = statSync(kit);
    appendFileSync(kit, '\nexport const bundleProbe = (globalThis as { bundleProbe?: string }).bundleProbe = "edited";\n');
    utimesSync(kit, mtime, mtime);
    expect(rebuilt()).toEqual(entries);
    expect(readFileSync(bundleFile, 'utf8')).toContain('"edited"');
    expect(rebuilt()).toEqual([]);
  });

  it('rebuilds the one bundle whose esbuild version, options, bundle or inputs differ from its manifest, and no other', () => {
    const tamper = (change: (m: BundleManifest & Record<string, unknown>) => void) => {
      const m = manifest() as BundleManifest & Record<string, unknown>;
      change(m);
      writeFileSync(manifestFile, JSON.stringify(m));
    };
    tamper((m) => Object.assign(m, { esbuild: '0.0.1' }));
    expect(rebuilt()).toEqual([service]);
    tamper((m) => Object.assign(m, { options: { ...m.options, minifyIdentifiers: true } }));
    expect(rebuilt()).toEqual([service]);
    tamper((m) => Object.assign(m, { inputs: { ...m.inputs, 'src/services/gone.ts': 'a'.repeat(64) } }));
    expect(rebuilt()).toEqual([service]);
    // A package file with another size or time (node_modules/ is linked to the real one here: the manifest is changed instead).
    tamper((m) => {
      const input = Object.keys(m.inputs).find((name) => name.includes('node_modules/'))!;
      Object.assign(m, { inputs: { ...m.inputs, [input]: m.inputs[input]!.replace(/mtime:[\d.]+/, 'mtime:1') } });
    });
    expect(rebuilt()).toEqual([service]);
    appendFileSync(bundleFile, '\n');
    expect(rebuilt()).toEqual([service]);
    rmSync(manifestFile);
    expect(rebuilt()).toEqual([service]);
    expect(rebuilt()).toEqual([]);
  });

  it('builds the same bytes again (deterministic), and a new service as soon as its main.ts exists', () => {
    const before = readFileSync(bundleFile);
    expect(ensureServiceBundles({ root, force: true }).map((b) => b.rebuilt)).toEqual(entries.map(() => true));
    expect(readFileSync(bundleFile)).toEqual(before);
    mkdirSync(join(root, 'src/services/zz-probe'));
    writeFileSync(join(root, 'src/services/zz-probe/helper.ts'), 'export const greeting = "hello from zz-probe";\n');
    expect(serviceEntries(root)).toEqual(entries);
    writeFileSync(join(root, 'src/services/zz-probe/main.ts'), 'import { greeting } from "./helper.js";\nconsole.log(greeting);\n');
    expect(rebuilt()).toEqual(['zz-probe']);
    const run = spawnSync(process.execPath, [join(root, 'build/services/zz-probe.js')], { encoding: 'utf8' });
    expect(run.stdout).toBe('hello from zz-probe\n');
  });

  it("keeps each bundle's gzip beside it, content-addressed, exactly the render's packing; drops older copies", () => {
    const bundles = ensureServiceBundles({ root });
    const dir = join(root, 'build/services');
    for (const b of bundles) {
      const gz = readdirSync(dir).filter((f) => f.startsWith(`${b.name}.`) && f.endsWith('.js.gz'));
      expect(gz).toEqual([`${b.name}.${codeChecksum(b.code).slice(0, 16)}.js.gz`]);
      // The bytes the render would make itself (gunzip gives the code back, and fflate's output is pinned).
      expect(gunzipSync(readFileSync(join(dir, gz[0]!)))).toEqual(b.code);
      expect(Buffer.from(readFileSync(join(dir, gz[0]!))).equals(Buffer.from(deterministicGzip(Buffer.from(b.code))))).toBe(true);
    }
    // Copies of other code go.
    writeFileSync(join(dir, `${service}.0123456789abcdef.js.gz`), 'stale');
    ensureServiceBundles({ root });
    expect(readdirSync(dir).filter((f) => f.startsWith(`${service}.`) && f.endsWith('.js.gz'))).toEqual([`${service}.${codeChecksum(bundles.find((b) => b.name === service)!.code).slice(0, 16)}.js.gz`]);
  });

  it('fails with esbuild\'s message when a service does not bundle', () => {
    writeFileSync(join(root, 'src/services/zz-probe/helper.ts'), 'export const greeting = ;\n');
    expect(() => ensureServiceBundles({ root })).toThrow(BundleError);
    expect(() => ensureServiceBundles({ root })).toThrow(/bundling src\/services\/zz-probe\/main\.ts failed:[\s\S]*helper\.ts/);
    rmSync(join(root, 'src/services/zz-probe'), { recursive: true });
  });
});
