import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { run } from '../src/main.js';

let dir: string;
let out: string;

/** Runs the CLI in-process; returns exit code and what it printed. */
function cli(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = run(argv, {}, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr };
}

/** A snapshot of a folder: file names with their modification times and contents. */
function folderState(folder: string): string {
  return readdirSync(folder)
    .sort()
    .map((f) => `${f}@${statSync(join(folder, f)).mtimeMs}:${readFileSync(join(folder, f), 'utf8')}`)
    .join('\n');
}

function values(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'aiops-cli-'));
  out = join(dir, 'dist');
  mkdirSync(out);
  writeFileSync(join(out, 'previous.k8s.yaml'), 'kind: Previous\n');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('synth command', () => {
  it('renders the defaults into the output folder and prints a summary', () => {
    const result = cli('--output', out);
    expect(result.code).toBe(0);
    expect(readdirSync(out)).toEqual(['aiops-platform.k8s.yaml']);
    expect(result.stdout).toMatch(/Rendered \d+ objects for release aiops-platform in namespace aiops-platform \(development profile\)/);
    expect(result.stdout).toMatch(/StatefulSet \d+/);
    expect(result.stdout).toContain(`${out}/aiops-platform.k8s.yaml`);
    expect(readdirSync(dir).sort()).toEqual(['dist']);
  });

  it('uses --release and --namespace in names and file name', () => {
    const result = cli('--output', out, '--release', 'ops', '--namespace', 'monitoring');
    expect(result.code).toBe(0);
    const yaml = readFileSync(join(out, 'ops.k8s.yaml'), 'utf8');
    expect(yaml).toContain('name: ops-postgresql\n');
    expect(yaml).toContain('namespace: monitoring\n');
  });

  it('prints warnings to stderr and fails with --strict without writing', () => {
    const file = values('prod.yaml', 'global: {development: false}\npostgresql: {auth: {password: secret}}\n');
    const before = folderState(out);
    const loose = cli('--output', join(dir, 'other'), '-f', file);
    expect(loose.code).toBe(0);
    expect(loose.stderr).toContain('warning: postgresql.auth.password is a plaintext credential');
    const strict = cli('--output', out, '-f', file, '--strict');
    expect(strict.code).toBe(2);
    expect(strict.stderr).toMatch(/warning\(s\) and --strict: nothing written/);
    expect(folderState(out)).toBe(before);
  });

  it('prints help', () => {
    const result = cli('--help');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('--set KEY=VALUE');
  });

  it('writes the JSON Schema and the values reference in one run, creating their folders, and renders nothing', () => {
    const schema = join(dir, 'values.schema.json');
    const doc = join(dir, 'docs', 'values.md');
    const before = folderState(out);
    const result = cli('--write-schema', schema, '--write-values-doc', doc, '--output', out);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`Wrote ${schema}\nWrote ${doc}\n`);
    expect(JSON.parse(readFileSync(schema, 'utf8')).title).toBe('aiops-platform values');
    expect(readFileSync(doc, 'utf8')).toMatch(/^# Values reference\n[\s\S]*\| `prometheus\.retention` \|/);
    expect(folderState(out)).toBe(before);
  });
});

describe('bad input leaves the output folder untouched', () => {
  const cases: { name: string; argv: () => string[]; message: RegExp }[] = [
    { name: 'unknown top-level key', argv: () => ['-f', values('v.yaml', 'elasticseach:\n  replicas: 3\n')], message: /v\.yaml:1:1 {2}elasticseach: unknown key "elasticseach"; did you mean "elasticsearch"\?/ },
    { name: 'nested typo', argv: () => ['-f', values('v.yaml', 'global:\n  storageClas: fast\n')], message: /v\.yaml:2:3 {2}global\.storageClas: .*did you mean "storageClass"\?/ },
    { name: 'wrong type', argv: () => ['-f', values('v.yaml', 'prometheus:\n  enabled: "true"\n')], message: /v\.yaml:2:12 {2}prometheus\.enabled: expected boolean, found string "true"/ },
    { name: 'bad quantity', argv: () => ['-f', values('v.yaml', 'elasticsearch:\n  storage:\n    size: 100GB\n')], message: /v\.yaml:3:11 {2}elasticsearch\.storage\.size: .*did you mean "100Gi"\?/ },
    { name: 'negative replicas', argv: () => ['-f', values('v.yaml', 'elasticsearch:\n  replicas: -3\n')], message: /elasticsearch\.replicas: expected a number at least 1, found number -3/ },
    { name: 'redis cluster with 5 nodes', argv: () => ['-f', values('v.yaml', 'redis:\n  cluster:\n    enabled: true\n    nodes: 5\n')], message: /v\.yaml:4:12 {2}redis\.cluster\.nodes: .*found 5/ },
    { name: 'malformed YAML', argv: () => ['-f', values('v.yaml', 'global: {development: true\n')], message: /v\.yaml:\d+:\d+ {2}malformed YAML/ },
    { name: 'bad --set type', argv: () => ['--set', 'grafana.replicas=two'], message: /--set grafana\.replicas=two {2}grafana\.replicas: expected number, found string "two"/ },
    { name: 'malformed --set', argv: () => ['--set', 'grafana.replicas'], message: /--set grafana\.replicas {2}expected key=value/ },
    { name: 'missing values file', argv: () => ['-f', join(dir, 'missing.yaml')], message: /missing\.yaml {2}cannot read values file: no such file/ },
    { name: 'values file is a folder', argv: () => ['-f', dir], message: /cannot read values file: is a folder/ },
    { name: 'bad host name', argv: () => ['-f', values('v.yaml', 'ingress:\n  hosts:\n    - host: "aiops example com"\n')], message: /ingress\.hosts\[0\]\.host: expected a lower-case DNS name/ },
    { name: 'latest tag', argv: () => ['--set', 'postgresql.image.tag=latest'], message: /postgresql\.image\.tag: the "latest" tag is not allowed/ },
    { name: 'unknown flag', argv: () => ['--valuez', 'x.yaml'], message: /Unknown option '--valuez'/ },
    { name: 'bad release name', argv: () => ['--release', 'AIOps'], message: /--release "AIOps": expected a DNS-1123 label/ },
    { name: 'release name too long for the object names', argv: () => ['--release', 'a'.repeat(45)], message: /object name "a{45}-postgresql" has 56 characters, more than 52: choose a release name at least 4 characters shorter/ },
    { name: 'several problems at once', argv: () => ['-f', values('v.yaml', 'elasticseach: {}\nprometheus:\n  retention: soon\n')], message: /2 problems\n.*elasticseach.*\n.*prometheus\.retention: expected a Prometheus duration/ },
    { name: 'error in the second of two files', argv: () => ['-f', values('a.yaml', 'redis: {}\n'), '-f', values('b.yaml', '\nredis:\n  auth:\n    enabled: 1\n')], message: /b\.yaml:4:14 {2}redis\.auth\.enabled: expected boolean, found number 1/ },
  ];

  it.each(cases.map((c) => [c.name, c] as const))('%s: exit 2 with a located message', (_name, c) => {
    const before = folderState(out);
    const result = cli('--output', out, ...c.argv());
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(c.message);
    expect(folderState(out)).toBe(before);
    expect(readdirSync(dir).filter((f) => f.startsWith('dist.'))).toEqual([]);
  });

  it('refuses to replace an output folder that holds other files', () => {
    writeFileSync(join(out, 'notes.txt'), 'mine');
    const before = folderState(out);
    const result = cli('--output', out);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('notes.txt, which are not manifests; refusing to replace it');
    expect(folderState(out)).toBe(before);
  });
});

describe('determinism', () => {
  it('writes byte-identical files on two runs of the same values', () => {
    const file = values('v.yaml', 'global: {development: false}\nredis: {cluster: {enabled: true}}\n');
    expect(cli('--output', join(dir, 'a'), '-f', file).code).toBe(0);
    expect(cli('--output', join(dir, 'b'), '-f', file).code).toBe(0);
    const a = readFileSync(join(dir, 'a', 'aiops-platform.k8s.yaml'), 'utf8');
    expect(a.length).toBeGreaterThan(1000);
    expect(readFileSync(join(dir, 'b', 'aiops-platform.k8s.yaml'), 'utf8')).toBe(a);
  });
});
