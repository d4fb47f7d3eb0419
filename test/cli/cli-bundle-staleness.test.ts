import { spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI_BUNDLE, CLI_BUNDLE_OPTIONS, CLI_MANIFEST, buildCliBundle, type CliManifest } from '../../src/cli/cli-bundle.js';

/**
 * The launcher's staleness check (scripts/synth.mjs), on a temporary copy of the repository's
 * sources (node_modules linked): the real tree and its build/ are never touched. Every run is the
 * real command, `node scripts/synth.mjs`, rendering into a folder of the copy.
 */

const REPO = resolve(__dirname, '../..');
const root = mkdtempSync(join(tmpdir(), 'aiops-cli-stale-'));
for (const dir of ['src', 'imports', 'scripts']) cpSync(join(REPO, dir), join(root, dir), { recursive: true });
for (const file of ['tsconfig.json', 'package.json']) cpSync(join(REPO, file), join(root, file));
symlinkSync(join(REPO, 'node_modules'), join(root, 'node_modules'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const out = join(root, 'out');
const manifest = (): CliManifest => JSON.parse(readFileSync(join(root, CLI_MANIFEST), 'utf8')) as CliManifest;
/** One synth run of the copy: its exit code, the rebuild reason it printed (undefined: none), and the render. */
function synth(args: readonly string[] = [], env: Record<string, string> = {}) {
  const child = spawnSync(process.execPath, [join(root, 'scripts/synth.mjs'), '--output', out, ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, AIOPS_SYNTH_TIMING: '1', ...env } });
  const rebuilt = /^synth: rebuilt build\/cli\/main\.cjs \((.*)\) in \d+ ms$/m.exec(child.stderr)?.[1];
  const cache = /^synth: load [\d.]+ ms \(code cache (\w+)\), run [\d.]+ ms(, code cache written)?$/m.exec(child.stderr);
  const yaml = child.status === 0 && !args.includes('--help') ? readFileSync(join(out, 'aiops-platform.k8s.yaml'), 'utf8') : '';
  return { code: child.status, stderr: child.stderr, rebuilt, cache: cache?.[1], cacheWritten: cache?.[2] !== undefined, yaml };
}
/** The code caches beside the bundle. */
const caches = () => readdirSync(join(root, 'build/cli')).filter((name) => name.endsWith('.cache'));
/** Changes a file's contents and puts its modification time back (as a copy that keeps times would). */
function editKeepingTime(file: string, edit: (text: string) => string): void {
  const { atime, mtime } = statSync(file);
  writeFileSync(file, edit(readFileSync(file, 'utf8')));
  utimesSync(file, atime, mtime);
}
const images = join(root, 'src/values/schema/images.ts');

describe('the synth launcher (a temporary copy of the sources)', () => {
  it('builds the missing bundle, then renders with it, finding the copy\'s own services', () => {
    const run = synth();
    expect(run.code).toBe(0);
    expect(run.rebuilt).toBe('no manifest');
    expect(existsSync(join(root, CLI_BUNDLE))).toBe(true);
    // The bundle in build/cli/ found src/services/ and build/services/ of this copy, as src/cli/ does.
    for (const service of ['ai-engine', 'api-gateway', 'self-healing']) expect(existsSync(join(root, 'build/services', `${service}.js`)), service).toBe(true);
    expect(run.yaml).toContain('app.kubernetes.io/version: 0.1.0');
    const m = manifest();
    expect(m.options).toEqual(CLI_BUNDLE_OPTIONS);
    expect(Object.keys(m.inputs)).toEqual(expect.arrayContaining(['src/main.ts', 'src/cli/cli-bundle.ts', 'tsconfig.json', 'package.json', 'node_modules/esbuild/package.json']));
    // Bundled packages by their real path (node_modules is a link here), each with its package.json.
    expect(Object.keys(m.inputs).filter((input) => input.endsWith('node_modules/cdk8s/package.json'))).toHaveLength(1);
    // Relative paths only: the bundle does not depend on where the checkout is.
    expect(readFileSync(join(root, CLI_BUNDLE), 'utf8')).not.toContain(root);
  });

  it('does not rebuild when nothing changed, nor when only a modification time did', () => {
    expect(synth().rebuilt).toBeUndefined();
    utimesSync(images, new Date(), new Date(Date.now() + 60_000));
    expect(synth().rebuilt).toBeUndefined();
  });

  it('keeps a V8 code cache per bundle: written by a render, then used; refused by V8 when damaged (same output), rewritten', () => {
    for (const name of caches()) rmSync(join(root, 'build/cli', name));
    const help = synth(['--help']);
    expect(help).toMatchObject({ code: 0, cache: 'none', cacheWritten: false });
    expect(caches()).toEqual([]);
    const first = synth();
    expect(first).toMatchObject({ code: 0, cache: 'none', cacheWritten: true });
    // Named by the bundle's SHA-256 (V8 checks only the source's length), Node.js version and architecture.
    expect(caches()).toEqual([`main.${manifest().output.sha256.slice(0, 16)}.${process.version}-${process.arch}.cache`]);
    const second = synth();
    expect(second).toMatchObject({ code: 0, cache: 'used', cacheWritten: false, yaml: first.yaml });
    const cacheFile = join(root, 'build/cli', caches()[0]!);
    const damaged = Buffer.from(readFileSync(cacheFile).map((byte, i) => (i < 64 ? byte ^ 0xff : byte)));
    writeFileSync(cacheFile, damaged);
    expect(synth()).toMatchObject({ code: 0, cache: 'refused', cacheWritten: true, yaml: first.yaml });
    expect(readFileSync(cacheFile).equals(damaged)).toBe(false);
    expect(synth([], { AIOPS_SYNTH_CODE_CACHE: '0' })).toMatchObject({ code: 0, cache: 'off', cacheWritten: false, yaml: first.yaml });
  });

  it('rebuilds when a source changes with its size and modification time kept, and renders the change', () => {
    editKeepingTime(images, (text) => text.replace("APP_VERSION = '0.1.0'", "APP_VERSION = '0.1.9'"));
    const before = caches();
    const run = synth();
    expect(run.rebuilt).toBe('src/values/schema/images.ts changed');
    expect(run.yaml).toContain('app.kubernetes.io/version: 0.1.9');
    expect(run.yaml).not.toContain('app.kubernetes.io/version: 0.1.0');
    // The old bundle's code cache is not used for the new one, and is replaced.
    expect(run).toMatchObject({ cache: 'none', cacheWritten: true });
    expect(caches()).toHaveLength(1);
    expect(caches()).not.toEqual(before);
    expect(synth()).toMatchObject({ rebuilt: undefined, cache: 'used' });
  });

  it('rebuilds when the builder, a package file under node_modules or the bundle differ from the manifest', () => {
    appendFileSync(join(root, 'src/cli/cli-bundle.ts'), '\n');
    expect(synth().rebuilt).toBe('src/cli/cli-bundle.ts changed');
    // node_modules/ is linked to the real one: the manifest is changed instead (as if the file had been).
    const m = manifest() as CliManifest & { inputs: Record<string, { size: number; mtimeMs: number; sha256: string }> };
    const cdk8s = Object.keys(m.inputs).find((input) => input.endsWith('node_modules/cdk8s/package.json'))!;
    m.inputs[cdk8s] = { ...m.inputs[cdk8s]!, mtimeMs: 1 };
    writeFileSync(join(root, CLI_MANIFEST), JSON.stringify(m));
    expect(synth().rebuilt).toBe(`${cdk8s} changed`);
    appendFileSync(join(root, CLI_BUNDLE), '\n');
    expect(synth().rebuilt).toBe('build/cli/main.cjs is not the one built');
    rmSync(join(root, CLI_BUNDLE));
    expect(synth().rebuilt).toBe('build/cli/main.cjs is not the one built');
    expect(synth().rebuilt).toBeUndefined();
  });

  it('stops with esbuild\'s message and exit 1 when the sources do not bundle, and writes nothing', () => {
    const before = readFileSync(join(out, 'aiops-platform.k8s.yaml'));
    editKeepingTime(images, (text) => `${text}\nexport const broken = ;\n`);
    const run = synth();
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/bundling src\/main\.ts failed:[\s\S]*images\.ts/);
    expect(readFileSync(join(out, 'aiops-platform.k8s.yaml'))).toEqual(before);
    // The edit undone: the bundle built before it matches the sources again (contents, not times).
    editKeepingTime(images, (text) => text.replace('\nexport const broken = ;\n', ''));
    const again = synth();
    expect(again.rebuilt).toBeUndefined();
    expect(again.yaml).toContain('app.kubernetes.io/version: 0.1.9');
  });

  it('builds the same bytes again (deterministic)', async () => {
    const before = readFileSync(join(root, CLI_BUNDLE));
    await buildCliBundle(root);
    expect(readFileSync(join(root, CLI_BUNDLE)).equals(before)).toBe(true);
  });
});
