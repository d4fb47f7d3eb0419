import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GENERATED_HEADER } from '../src/cli/output-folder.js';
import { cli, filesIn, renderFiles, treeState } from './support/cli.js';

let dir: string;
let out: string;

function values(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'aiops-cli-'));
  out = join(dir, 'dist');
  mkdirSync(out);
  writeFileSync(join(out, 'previous.k8s.yaml'), `${GENERATED_HEADER}kind: Previous\n`);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('synth command', () => {
  it('renders the defaults into the output folder and prints a summary', () => {
    const result = cli('--output', out);
    expect(result.code).toBe(0);
    expect(filesIn(out)).toEqual(renderFiles());
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
    const before = treeState(out);
    const loose = cli('--output', join(dir, 'other'), '-f', file);
    expect(loose.code).toBe(0);
    expect(loose.stderr).toContain('warning: postgresql.auth.password is a plaintext credential');
    const strict = cli('--output', out, '-f', file, '--strict');
    expect(strict.code).toBe(2);
    expect(strict.stderr).toMatch(/warning\(s\) and --strict: nothing written/);
    expect(treeState(out)).toBe(before);
  });

  it('marks every file it writes with the generated header, and replaces its own files on the next run', () => {
    expect(cli('--output', out).code).toBe(0);
    const first = readFileSync(join(out, 'aiops-platform.k8s.yaml'), 'utf8');
    expect(first.startsWith(GENERATED_HEADER)).toBe(true);
    expect(first.slice(GENERATED_HEADER.length)).toMatch(/^apiVersion: v1\nkind: Namespace\n/);
    expect(cli('--output', out, '--set', 'redis.enabled=false').code).toBe(0);
    expect(filesIn(out)).toEqual(renderFiles());
    for (const name of filesIn(out)) expect(readFileSync(join(out, name), 'utf8').startsWith(GENERATED_HEADER), name).toBe(true);
  });

  it('--set-string keeps numeric-looking values strings; --set types them', () => {
    const typed = cli('--output', out, '--set', 'redis.auth.password=1234567890');
    expect(typed.code).toBe(2);
    expect(typed.stderr).toMatch(/--set redis\.auth\.password=.* {2}redis\.auth\.password: expected string, found (a )?number/);
    const kept = cli('--output', out, '--set-string', 'redis.auth.password=1234567890,postgresql.auth.password=42');
    expect(kept.code).toBe(0);
  });

  it('--set-file sets a value to the contents of a file, and the values file, --set, --set-string, --set-file apply in that order', () => {
    const password = values('redis-password', 'from-a-file');
    const result = cli('--output', out, '-f', values('v.yaml', 'redis:\n  auth:\n    password: from-values\n'), '--set-file', `redis.auth.password=${password}`, '--set', 'redis.auth.password=from-set');
    expect(result.code).toBe(0);
    const yaml = readFileSync(join(out, 'aiops-platform.k8s.yaml'), 'utf8');
    expect(yaml).toContain('redis-password: from-a-file\n');
  });

  it('two --set flags on the same list entry merge, as in Helm', () => {
    const result = cli('--output', out, '--set', 'ingress.hosts[0].host=a.example.com', '--set', 'ingress.hosts[0].paths[0].path=/a', '--set', 'ingress.hosts[1].host=b.example.com');
    expect(result.code).toBe(0);
    const yaml = readFileSync(join(out, 'aiops-platform.k8s.yaml'), 'utf8');
    expect(yaml).toContain('host: a.example.com');
    expect(yaml).toContain('host: b.example.com');
  });

  it('null in values or --set restores the default even when no earlier layer set the key', () => {
    const file = values('v.yaml', 'redis:\n  auth:\n    password: null\nprometheus:\n  retention: ~\n');
    const result = cli('--output', out, '-f', file, '--set', 'grafana.replicas=null');
    expect(result.code).toBe(0);
    expect(readFileSync(join(out, 'aiops-platform.k8s.yaml'), 'utf8')).toContain('--storage.tsdb.retention.time=15d');
  });

  it('reads a values file from a pipe, as with -f <(sops -d secrets.yaml)', () => {
    const fifo = join(dir, 'secrets.fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const writer = spawn('sh', ['-c', `printf 'redis:\\n  auth:\\n    password: piped\\n' > '${fifo}'`]);
    const result = cli('--output', out, '-f', fifo);
    writer.kill();
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(readFileSync(join(out, 'aiops-platform.k8s.yaml'), 'utf8')).toContain('redis-password: piped\n');
  });

  it('prints help', () => {
    const result = cli('--help');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('--set KEY=VALUE');
  });

  it('writes the JSON Schema and the values reference in one run, creating their folders, and renders nothing', () => {
    const schema = join(dir, 'values.schema.json');
    const doc = join(dir, 'docs', 'values.md');
    const before = treeState(out);
    const result = cli('--write-schema', schema, '--write-values-doc', doc, '--output', out);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`Wrote ${schema}\nWrote ${doc}\n`);
    expect(JSON.parse(readFileSync(schema, 'utf8')).title).toBe('aiops-platform values');
    expect(readFileSync(doc, 'utf8')).toMatch(/^# Values reference\n[\s\S]*\| `prometheus\.retention` \|/);
    expect(treeState(out)).toBe(before);
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
    { name: 'bad release name', argv: () => ['--release', 'AIOps'], message: /--release "AIOps"  expected a DNS-1035 label/ },
    { name: 'release starting with a digit (Service names are DNS-1035)', argv: () => ['--release', '1aiops'], message: /--release "1aiops"  expected a DNS-1035 label \(starts with a lower-case letter/ },
    { name: 'empty release', argv: () => ['--release', ''], message: /--release needs a value, found an empty string/ },
    { name: 'reserved namespace kube-system', argv: () => ['--namespace', 'kube-system'], message: /--namespace "kube-system"  reserved for Kubernetes itself/ },
    { name: 'reserved namespace default', argv: () => ['--namespace', 'default'], message: /--namespace "default"  reserved for Kubernetes itself/ },
    { name: 'namespace with a dot', argv: () => ['--namespace', 'ai.ops'], message: /--namespace "ai\.ops"  expected a DNS-1123 label/ },
    { name: '--release given twice', argv: () => ['--release', 'a', '--release', 'b'], message: /--release is given more than once/ },
    { name: '--namespace given twice', argv: () => ['--namespace', 'a', '--namespace=b'], message: /--namespace is given more than once/ },
    { name: '--output given twice', argv: () => ['--output', out, '--output', join(dir, 'other')], message: /--output is given more than once/ },
    { name: '--write-schema given twice', argv: () => ['--write-schema', join(dir, 'a.json'), '--write-schema', join(dir, 'b.json')], message: /--write-schema is given more than once/ },
    { name: 'empty --write-values-doc (rendered before)', argv: () => ['--write-values-doc', ''], message: /--write-values-doc needs a value, found an empty string/ },
    { name: 'empty --write-schema', argv: () => ['--write-schema='], message: /--write-schema needs a value, found an empty string/ },
    { name: 'empty -f', argv: () => ['-f', ''], message: /-f \(--values\) needs a value, found an empty string/ },
    { name: 'empty --set', argv: () => ['--set', ''], message: /--set needs a value, found an empty string/ },
    { name: '--write-schema pointing at a folder', argv: () => ['--write-schema', out], message: /--write-schema .*dist: is a folder or not a regular file; give a file name/ },
    { name: '--write-values-doc below a file', argv: () => ['--write-values-doc', join(dir, 'v.yaml', 'doc.md'), '-f', values('v.yaml', '{}\n')], message: /--write-values-doc .*doc\.md: cannot write: a file is in the way of a folder to create/ },
    { name: '--output that is a file', argv: () => ['--output', values('v.yaml', 'redis: {}\n')], message: /--output .*v\.yaml: is a file; give a folder/ },
    { name: '--output /dev/null', argv: () => ['--output', '/dev/null'], message: /--output \/dev\/null: is not a folder \(a device, pipe or socket\)/ },
    { name: '--output below a file', argv: () => ['--output', join(values('v.yaml', 'redis: {}\n'), 'dist')], message: /--output .*v\.yaml\/dist: (cannot write: a parent in the path is not a folder|a parent in the path is not a folder)/ },
    { name: '--output that is a dangling symbolic link', argv: () => { symlinkSync(join(dir, 'nowhere'), join(dir, 'link')); return ['--output', join(dir, 'link')]; }, message: /--output .*link: is a symbolic link that leads nowhere/ },
    { name: '--output that is the current folder', argv: () => ['--output', process.cwd()], message: /is the current folder or one of its parents/ },
    { name: '--output that is a parent of the current folder', argv: () => ['--output', join(process.cwd(), '..')], message: /is the current folder or one of its parents/ },
    { name: 'YAML alias bomb', argv: () => ['-f', values('v.yaml', aliasBomb())], message: /v\.yaml:2:\d+ {2}too many alias expansions \(more than 100\)/ },
    { name: 'mappings nested 100 deep', argv: () => ['-f', values('v.yaml', `global:\n  commonLabels: ${'{a: '.repeat(100)}1${'}'.repeat(100)}\n`)], message: /v\.yaml:2:\d+ {2}nested more than 64 levels deep/ },
    { name: 'lists nested 5000 deep', argv: () => ['-f', values('v.yaml', `a: ${'['.repeat(5000)}${']'.repeat(5000)}\n`)], message: /v\.yaml:1:\d+ {2}nested too deeply or too large to parse/ },
    { name: '--set path 20000 keys deep', argv: () => ['--set', `${Array(20000).fill('a').join('.')}=1`], message: /key path nested more than 64 levels deep/ },
    { name: 'invalid UTF-8 (a Latin-1 byte)', argv: () => ['-f', values('v.yaml', Buffer.from('redis:\n  auth:\n    password: "caf\xe9"\n', 'latin1') as unknown as string)], message: /v\.yaml:3:19 {2}invalid UTF-8 \(byte 0xE9\); save the file as UTF-8/ },
    { name: 'invalid UTF-8 after multi-byte characters', argv: () => ['-f', values('v.yaml', Buffer.concat([Buffer.from('# é ü\nredis: {}\n# ok ß '), Buffer.from([0xc3, 0x28])]) as unknown as string)], message: /v\.yaml:3:8 {2}invalid UTF-8 \(byte 0xC3\)/ },
    { name: 'a UTF-16 file', argv: () => ['-f', values('v.yaml', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('redis: {}\n', 'utf16le')]) as unknown as string)], message: /v\.yaml:1:1 {2}the file is UTF-16; save it as UTF-8/ },
    { name: '.inf where a number is expected', argv: () => ['-f', values('v.yaml', 'elasticsearch:\n  replicas: .inf\n')], message: /v\.yaml:2:13 {2}elasticsearch\.replicas: expected number, found number Infinity \(\.inf, or a number too large\)/ },
    { name: '.nan where a number is expected', argv: () => ['-f', values('v.yaml', 'elasticsearch:\n  replicas: .nan\n')], message: /elasticsearch\.replicas: expected number, found not a number \(\.nan\)/ },
    { name: '!!binary value', argv: () => ['-f', values('v.yaml', 'redis:\n  auth:\n    password: !!binary aGVsbG8=\n')], message: /v\.yaml:3:15 {2}the tag !!binary \(binary data\) is not supported/ },
    { name: '!!timestamp value', argv: () => ['-f', values('v.yaml', 'postgresql:\n  auth:\n    password: !!timestamp 2001-12-14\n')], message: /v\.yaml:3:15 {2}the tag !!timestamp \(a timestamp\) is not supported/ },
    { name: '!!set value', argv: () => ['-f', values('v.yaml', 'global:\n  imagePullSecrets: !!set {a, b}\n')], message: /v\.yaml:2:21 {2}the tag !!set \(a set\) is not supported/ },
    { name: 'unknown tag', argv: () => ['-f', values('v.yaml', 'redis:\n  auth:\n    password: !vault secret/redis\n')], message: /v\.yaml:3:15 {2}unknown tag !vault/ },
    { name: 'two YAML documents', argv: () => ['-f', values('v.yaml', 'redis: {}\n---\nprometheus: {}\n')], message: /v\.yaml:2:1 {2}expected one YAML document, found a second one starting at line 2/ },
    { name: 'two YAML documents after a leading ---', argv: () => ['-f', values('v.yaml', '# values\n---\nredis: {}\n...\n---\nprometheus: {}\n')], message: /v\.yaml:5:1 {2}expected one YAML document, found a second one starting at line 5/ },
    { name: '__proto__ key in a file', argv: () => ['-f', values('v.yaml', '__proto__:\n  polluted: true\n')], message: /v\.yaml:1:1 {2}"__proto__" cannot be a key/ },
    { name: 'nested __proto__ key in a file', argv: () => ['-f', values('v.yaml', 'global:\n  commonLabels:\n    __proto__: x\n')], message: /v\.yaml:3:5 {2}"__proto__" cannot be a key/ },
    { name: '--set __proto__.x=1 (crashed with a TypeError)', argv: () => ['--set', '__proto__.x=1'], message: /--set __proto__\.x=1 {2}"__proto__" cannot be a key/ },
    { name: '--set with __proto__ inside the path', argv: () => ['--set', 'global.__proto__.x=1'], message: /--set global\.__proto__\.x=1 {2}"__proto__" cannot be a key/ },
    { name: '--set constructor.x=1', argv: () => ['--set', 'constructor.x=1'], message: /--set constructor\.x=1 {2}constructor: unknown key "constructor"/ },
    { name: '--set with prototype inside the path', argv: () => ['--set', 'redis.prototype.x=1'], message: /--set redis\.prototype\.x=1 {2}redis\.prototype: unknown key "prototype"/ },
    { name: 'a mapping used as a key', argv: () => ['-f', values('v.yaml', 'global:\n  ? {a: 1}\n  : x\n')], message: /v\.yaml:2:5 {2}expected a plain key, found a mapping or list used as a key/ },
    { name: '--set-file of a missing file', argv: () => ['--set-file', `redis.auth.password=${join(dir, 'missing')}`], message: /--set-file redis\.auth\.password=.*missing {2}cannot read ".*missing": no such file/ },
    { name: '--set-file without a file', argv: () => ['--set-file', 'redis.auth.password'], message: /--set-file redis\.auth\.password {2}expected KEY=FILE/ },
    { name: '--set-file of a file that is not UTF-8', argv: () => ['--set-file', `redis.auth.password=${values('pw', Buffer.from([0x70, 0xff]) as unknown as string)}`], message: /pw:1:2 {2}invalid UTF-8 \(byte 0xFF\)/ },
    { name: 'an unreadable file, a bad --set-file and a bad --set, all in one run', argv: () => ['-f', join(dir, 'missing.yaml'), '--set-file', `redis.auth.password=${join(dir, 'nope')}`, '--set', 'grafana.replicas=two', '-f', values('ok.yaml', 'elasticsearch:\n  replicas: 0\n')], message: /4 problems[\s\S]*ok\.yaml:2:13 {2}elasticsearch\.replicas[\s\S]*--set-file redis\.auth\.password=.* {2}cannot read ".*nope": no such file[\s\S]*grafana\.replicas: expected number[\s\S]*missing\.yaml {2}cannot read values file: no such file/ },
    { name: 'a 9 MiB values file', argv: () => ['-f', values('big.yaml', `# ${'x'.repeat(9 * 1024 * 1024)}\n`)], message: /big\.yaml {2}cannot read values file: larger than 8 MiB/ },
    { name: 'a values file that is a symbolic link loop', argv: () => { symlinkSync(join(dir, 'loop.yaml'), join(dir, 'loop.yaml')); return ['-f', join(dir, 'loop.yaml')]; }, message: /loop\.yaml {2}cannot read values file: too many symbolic links/ },
    { name: 'a values file that never ends (/dev/zero)', argv: () => ['-f', '/dev/zero'], message: /\/dev\/zero {2}cannot read values file: larger than 8 MiB/ },
    { name: '--set on an entry an earlier --set made a string', argv: () => ['--set', 'global.imageRegistry=x', '--set', 'global.imageRegistry.host=y'], message: /--set global\.imageRegistry\.host=y {2}key "host" used on something that is not a mapping/ },
    { name: 'release name too long for the object names', argv: () => ['--release', 'a'.repeat(45)], message: /object name "a{45}-[a-z-]+" has \d+ characters, more than 52: choose a release name at least \d+ characters shorter/ },
    { name: 'several problems at once', argv: () => ['-f', values('v.yaml', 'elasticseach: {}\nprometheus:\n  retention: soon\n')], message: /2 problems\n.*elasticseach.*\n.*prometheus\.retention: expected a Prometheus duration/ },
    { name: 'error in the second of two files', argv: () => ['-f', values('a.yaml', 'redis: {}\n'), '-f', values('b.yaml', '\nredis:\n  auth:\n    enabled: 1\n')], message: /b\.yaml:4:14 {2}redis\.auth\.enabled: expected boolean, found number 1/ },
  ];

  it.each(cases.map((c) => [c.name, c] as const))('%s: exit 2 with a located message, nothing changed', (_name, c) => {
    const argv = c.argv();
    const before = treeState(dir);
    const result = cli(...(argv[0] === '--output' ? argv : ['--output', out, ...argv]));
    expect(result.stderr).toMatch(c.message);
    expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(treeState(dir)).toBe(before); // the output folder byte- and mtime-identical, no staging folder left
  });
});

/** A "billion laughs" document: 9^11 expansions from a few hundred bytes. */
function aliasBomb(): string {
  const lines = ['a: &a [x, x, x, x, x, x, x, x, x]'];
  for (let i = 0, previous = 'a'; i < 10; previous = `b${i}`, i++) lines.push(`b${i}: &b${i} [${Array(9).fill(`*${previous}`).join(', ')}]`);
  return `${lines.join('\n')}\n`;
}

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
