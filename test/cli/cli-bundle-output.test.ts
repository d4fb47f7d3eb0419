import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { cli, filesIn } from '../support/cli.js';
import { renderCases } from '../support/renders.js';

/**
 * The bundled CLI (build/cli/main.cjs on plain node, loaded by scripts/cli-loader.mjs) against the sources (src/main.ts, in this
 * process): every golden case renders the same output files, byte for byte, with the same exit
 * code and messages, and the bundle packs the real platform services' bundles of build/services/.
 */

const REPO = resolve(__dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'aiops-cli-bundle-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Outcome {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Every file of a folder by name → contents. */
const filesOf = (folder: string): Record<string, Buffer> => Object.fromEntries(filesIn(folder).map((name) => [name, readFileSync(join(folder, name))]));

/** Runs the bundle in one plain-node process for every command line, as scripts/synth.mjs does; the outcomes in order. */
function runBundle(argvs: readonly (readonly string[])[]): Outcome[] {
  const driver = `
    import { readFileSync } from 'node:fs';
    const { loadCli } = await import(${JSON.stringify(join(REPO, 'scripts/cli-loader.mjs'))});
    const { run } = loadCli(${JSON.stringify(REPO)}).exports;
    const outcomes = JSON.parse(readFileSync(0, 'utf8')).map((argv) => {
      let stdout = '', stderr = '';
      const code = run(argv, {}, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
      return { code, stdout, stderr };
    });
    process.stdout.write(JSON.stringify(outcomes));`;
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', driver], { input: JSON.stringify(argvs), encoding: 'utf8', maxBuffer: 64 << 20 });
  expect(child.stderr).toBe('');
  return JSON.parse(child.stdout) as Outcome[];
}

describe('the bundled CLI', () => {
  // The launcher makes the bundle fresh (building it when stale) and runs it: --help renders nothing.
  const launcher = spawnSync(process.execPath, [join(REPO, 'scripts/synth.mjs'), '--help'], { cwd: REPO, encoding: 'utf8' });

  it('runs through scripts/synth.mjs on plain node', () => {
    expect(launcher.stderr).not.toMatch(/error/);
    expect(launcher.status).toBe(0);
    expect(launcher.stdout).toBe(cli('--help').stdout);
  });

  it('renders every golden case into byte-identical output files, with the same exit code and messages as the sources', () => {
    const cases = renderCases();
    const argvs = cases.map((c) => {
      const input = join(dir, 'values', c.name);
      mkdirSync(input, { recursive: true });
      const files = c.files.flatMap((f) => ['-f', join(input, f.name)]);
      for (const f of c.files) writeFileSync(join(input, f.name), f.text);
      return [...files, ...c.sets.flatMap((s) => ['--set', s])];
    });
    const bundled = runBundle(argvs.map((argv, i) => [...argv, '--output', join(dir, 'bundled', cases[i]!.name)]));
    cases.forEach((c, i) => {
      const fromSources = cli(...argvs[i]!, '--output', join(dir, 'sources', c.name));
      const normal = (o: Outcome, side: string) => ({ ...o, stdout: o.stdout.replaceAll(join(dir, side), '<out>'), stderr: o.stderr.replaceAll(join(dir, side), '<out>') });
      expect(normal(bundled[i]!, 'bundled'), c.name).toEqual(normal(fromSources, 'sources'));
      expect(fromSources.code, c.name).toBe(0);
      const [a, b] = [filesOf(join(dir, 'bundled', c.name)), filesOf(join(dir, 'sources', c.name))];
      expect(Object.keys(a), c.name).toEqual(Object.keys(b));
      for (const name of Object.keys(b)) expect(a[name]!.equals(b[name]!), `${c.name}: ${name}`).toBe(true);
    });
    expect(cases.length).toBeGreaterThanOrEqual(10);
  });

  it('packs the real platform services from build/services/, not stand-ins', () => {
    const out = join(dir, 'bundled', 'defaults');
    const [yamlFile] = readdirSync(out);
    const packed = parseAllDocuments(readFileSync(join(out, yamlFile!), 'utf8'))
      .map((d) => d.toJS() as { kind: string; metadata: { name: string }; binaryData?: Record<string, string> })
      .filter((o) => o.kind === 'ConfigMap' && o.binaryData?.['main.js.gz']);
    expect(packed.map((o) => o.metadata.name).sort()).toEqual(['aiops-platform-ai-engine-code', 'aiops-platform-api-gateway-code', 'aiops-platform-self-healing-code']);
    for (const o of packed) {
      const service = o.metadata.name.replace(/^aiops-platform-|-code$/g, '');
      const code = gunzipSync(Buffer.from(o.binaryData!['main.js.gz']!, 'base64'));
      expect(code.equals(readFileSync(join(REPO, 'build/services', `${service}.js`))), service).toBe(true);
      expect(code.length).toBeGreaterThan(100_000);
    }
  });
});
