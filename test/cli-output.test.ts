import { spawnSync } from 'node:child_process';
import { chmodSync, linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { reason } from '../src/cli/input-files.js';
import { GENERATED_HEADER } from '../src/cli/output-folder.js';
import { cli, filesIn, renderFiles, treeState } from './support/cli.js';

let dir: string;
let out: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'aiops-output-'));
  out = join(dir, 'dist');
  mkdirSync(out);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Expects a refusal: exit 2, the message, and nothing changed anywhere under `dir`. */
function expectRefused(argv: string[], message: RegExp | string): void {
  const before = treeState(dir);
  const result = cli(...argv);
  expect(result.stderr).toMatch(message);
  expect(result.code).toBe(2);
  expect(treeState(dir)).toBe(before);
}

/** A render of the previous version: the same objects, no header. */
function previousRender(release = 'aiops-platform'): string {
  const scratch = join(dir, 'scratch');
  expect(cli('--output', scratch, '--release', release).code).toBe(0);
  const text = readFileSync(join(scratch, `${release}.k8s.yaml`), 'utf8').slice(GENERATED_HEADER.length);
  rmSync(scratch, { recursive: true });
  return text;
}

describe('--output refuses folders holding what this tool did not write (issue 8 #12)', () => {
  it('refuses a folder holding the -f values file being read, which stays', () => {
    writeFileSync(join(out, 'values.yaml'), 'redis:\n  auth:\n    password: mine\n');
    expectRefused(['-f', join(out, 'values.yaml'), '--output', out], /refusing to replace the folder, it holds values\.yaml \(an input of this run\)/);
  });

  it('refuses a folder holding a hard link to the values file', () => {
    writeFileSync(join(dir, 'values.yaml'), 'redis: {}\n');
    linkSync(join(dir, 'values.yaml'), join(out, 'other-name.yaml'));
    expectRefused(['-f', join(dir, 'values.yaml'), '--output', out], /other-name\.yaml \(an input of this run\)/);
  });

  it('refuses a folder holding a --set-file input', () => {
    writeFileSync(join(out, 'password.yaml'), 'secret');
    expectRefused(['--set-file', `redis.auth.password=${join(out, 'password.yaml')}`, '--output', out], /password\.yaml \(an input of this run\)/);
  });

  it('refuses a folder of hand-written manifests (YAML without the header)', () => {
    writeFileSync(join(out, 'my-app.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: mine\n');
    writeFileSync(join(out, 'aiops-platform.k8s.yaml'), `${GENERATED_HEADER}kind: List\n`);
    expectRefused(['--output', out], /it holds my-app\.yaml \(not written by this tool\)/);
  });

  it('refuses a <release>.k8s.yaml that is not a cdk8s render of that release', () => {
    writeFileSync(join(out, 'aiops-platform.k8s.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: mine\n');
    expectRefused(['--output', out], /aiops-platform\.k8s\.yaml \(not written by this tool\)/);
    writeFileSync(join(out, 'aiops-platform.k8s.yaml'), previousRender('other'));
    expectRefused(['--output', out], /aiops-platform\.k8s\.yaml \(not written by this tool\)/);
  });

  it('refuses folders, links and other files inside, naming at most three', () => {
    mkdirSync(join(out, 'sub'));
    symlinkSync('/etc/hostname', join(out, 'link.yaml'));
    for (const name of ['a.txt', 'b.json', 'c.yml']) writeFileSync(join(out, name), 'x: 1\n');
    const before = treeState(dir);
    const result = cli('--output', out);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/it holds \S+ \(.+\), \S+ \(.+\), \S+ \(.+\) and 2 more;/);
    expect(treeState(dir)).toBe(before);
  });

  it('replaces a folder written by the previous version (<release>.k8s.yaml, cdk8s objects of that release, no header)', () => {
    writeFileSync(join(out, 'aiops-platform.k8s.yaml'), previousRender());
    writeFileSync(join(out, 'ops.k8s.yaml'), previousRender('ops'));
    const result = cli('--output', out);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(filesIn(out)).toEqual(renderFiles());
    expect(readFileSync(join(out, 'aiops-platform.k8s.yaml'), 'utf8').startsWith(GENERATED_HEADER)).toBe(true);
  });

  it('creates a missing folder and its parents, and writes into an empty one', () => {
    expect(cli('--output', join(dir, 'a', 'b', 'dist')).code).toBe(0);
    expect(filesIn(join(dir, 'a', 'b', 'dist'))).toEqual(renderFiles());
    expect(cli('--output', out).code).toBe(0);
    expect(readdirSync(dir).sort()).toEqual(['a', 'dist']);
  });
});

describe('--output through a symbolic link (issue 8 #18)', () => {
  it('replaces the folder the link points to and keeps the link', () => {
    const real = join(dir, 'real');
    mkdirSync(real);
    writeFileSync(join(real, 'old.k8s.yaml'), `${GENERATED_HEADER}kind: Old\n`);
    symlinkSync(real, join(dir, 'link'));
    const result = cli('--output', join(dir, 'link'));
    expect(result.code).toBe(0);
    expect(filesIn(real)).toEqual(renderFiles());
    expect(spawnSync('readlink', [join(dir, 'link')]).stdout.toString().trim()).toBe(real);
    expect(readdirSync(dir).sort()).toEqual(['dist', 'link', 'real']);
  });

  it('applies the ownership rules to the target folder', () => {
    const real = join(dir, 'real');
    mkdirSync(real);
    writeFileSync(join(real, 'notes.md'), 'mine');
    symlinkSync(real, join(dir, 'link'));
    expectRefused(['--output', join(dir, 'link')], /notes\.md \(not written by this tool\)/);
  });
});

/** Runs the CLI in a child process: `prefix` runs before it in bash (ulimit, trap), `uid` drops privileges. */
function child(argv: string[], options: { prefix?: string; uid?: number } = {}) {
  const tsx = resolve('node_modules/.bin/tsx');
  const command = `${options.prefix ?? ''} exec ${tsx} src/main.ts ${argv.map((a) => `'${a}'`).join(' ')}`;
  const uid = options.uid === undefined ? {} : { uid: options.uid, gid: options.uid };
  const result = spawnSync('bash', ['-c', command], { encoding: 'utf8', env: { ...process.env, HOME: dir }, ...uid });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** True when this process may mount a tmpfs (root with CAP_SYS_ADMIN). */
function canMount(): boolean {
  const probe = mkdtempSync(join(tmpdir(), 'aiops-mount-probe-'));
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe]).status === 0;
  if (mounted) spawnSync('umount', [probe]);
  rmSync(probe, { recursive: true, force: true });
  return mounted;
}

describe('an output that cannot be written: exit 2, the folder unchanged, no staging left (issue 8 #14)', () => {
  const isRoot = process.getuid?.() === 0;

  it.runIf(canMount())('a full disk (a 128 KiB tmpfs; the render is about 290 KiB)', () => {
    const disk = join(dir, 'disk');
    mkdirSync(disk);
    expect(spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=128k', 'tmpfs', disk]).status).toBe(0);
    try {
      const target = join(disk, 'dist');
      mkdirSync(target);
      writeFileSync(join(target, 'aiops-platform.k8s.yaml'), `${GENERATED_HEADER}kind: Previous\n`);
      const before = treeState(disk);
      const result = cli('--output', target);
      expect(result.stderr).toBe(`error: --output ${target}: cannot write: no space left on the device; the output folder is unchanged\n`);
      expect(result.code).toBe(2);
      expect(treeState(disk)).toBe(before);
    } finally {
      expect(spawnSync('umount', [disk]).status).toBe(0);
    }
  });

  it('a file-size limit hit in the middle of the write (ulimit -f, works without privileges)', () => {
    writeFileSync(join(out, 'aiops-platform.k8s.yaml'), `${GENERATED_HEADER}kind: Previous\n`);
    const before = treeState(dir);
    const result = child(['--output', out], { prefix: "trap '' XFSZ; ulimit -f 100;" });
    expect(result.stderr).toBe(`error: --output ${out}: cannot write: file too large (file-system or process file-size limit); the output folder is unchanged\n`);
    expect(result.code).toBe(2);
    expect(treeState(dir)).toBe(before);
  });

  it.runIf(isRoot)('a folder the user may not write (run as nobody in a folder owned by root)', () => {
    chmodSync(dir, 0o755);
    writeFileSync(join(out, 'aiops-platform.k8s.yaml'), `${GENERATED_HEADER}kind: Previous\n`);
    const before = treeState(dir);
    const result = child(['--output', out], { uid: 65534 });
    expect(result.stderr).toBe(`error: --output ${out}: cannot write: permission denied; the output folder is unchanged\n`);
    expect(result.code).toBe(2);
    expect(treeState(dir)).toBe(before);
  });

  it.runIf(isRoot)('--write-schema into a folder the user may not write', () => {
    chmodSync(dir, 0o755);
    const result = child(['--write-schema', join(out, 'values.schema.json')], { uid: 65534 });
    expect(result.stderr).toBe(`error: --write-schema ${join(out, 'values.schema.json')}: cannot write: permission denied\n`);
    expect(result.code).toBe(2);
    expect(readdirSync(out)).toEqual([]);
  });
});

describe('generated files (--write-schema, --write-values-doc)', () => {
  it('write through a symbolic link into its target and keep the link', () => {
    const real = join(dir, 'schema.json');
    writeFileSync(real, '{}\n');
    symlinkSync(real, join(dir, 'link.json'));
    expect(cli('--write-schema', join(dir, 'link.json')).code).toBe(0);
    expect(JSON.parse(readFileSync(real, 'utf8')).title).toBe('aiops-platform values');
    expect(spawnSync('readlink', [join(dir, 'link.json')]).stdout.toString().trim()).toBe(real);
    expect(readdirSync(dir).sort()).toEqual(['dist', 'link.json', 'schema.json']);
  });
});

describe('unexpected errors stay exit 1', () => {
  it('a file-system reason is given only for errors with an errno code; anything else is rethrown', () => {
    expect(reason(Object.assign(new Error('x'), { code: 'ENOSPC' }))).toBe('no space left on the device');
    expect(reason(Object.assign(new Error('odd failure'), { code: 'EWEIRD' }))).toBe('odd failure');
    expect(() => reason(new TypeError('a bug'))).toThrow('a bug');
  });
});
