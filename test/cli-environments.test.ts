import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GENERATED_HEADER } from '../src/cli/output-folder.js';
import { cli, filesIn, renderFiles, treeState } from './support/cli.js';

let dir: string;
let envs: string;
let out: string;
let shared: string;

/** Writes a file under the test folder; returns its path. */
function file(name: string, text: string): string {
  const path = join(dir, name);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
  return path;
}

/** The three environments of the happy path: values only, and the release/namespace each sets. */
const ENVIRONMENTS = {
  prod: { head: 'release: shop\nnamespace: shop-prod\n', values: 'global: {development: false}\npostgresql: {auth: {password: secret}}\n' },
  staging: { head: '{namespace: shop-staging, ', values: 'redis: {enabled: false}}\n' },
  dev: { head: '', values: 'grafana: {replicas: 1}\n' },
};

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'aiops-envs-'));
  envs = join(dir, 'envs');
  out = join(dir, 'dist');
  shared = file('shared.yaml', 'global: {commonLabels: {team: from-shared-file}}\n');
  file('envs/prod.yaml', ENVIRONMENTS.prod.head + ENVIRONMENTS.prod.values);
  file('envs/staging.yml', ENVIRONMENTS.staging.head + ENVIRONMENTS.staging.values);
  file('envs/dev.yaml', ENVIRONMENTS.dev.head + ENVIRONMENTS.dev.values);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Runs with the environments folder and the shared file; expects exit 2, the output untouched, and returns the problem lines. */
function problems(...argv: string[]): string[] {
  const before = treeState(dir);
  const result = cli('--output', out, ...argv);
  expect(result.code).toBe(2);
  expect(result.stdout).toBe('');
  expect(treeState(dir)).toBe(before);
  return result.stderr.trimEnd().split('\n');
}

describe('--environments renders every environment of a folder (issue 13 #4)', () => {
  it('writes <output>/<name>/ per environment, each with its release and namespace, byte-identical to rendering it alone', () => {
    const result = cli('--environments', envs, '-f', shared, '--output', out, '--set', 'kibana.replicas=2');
    expect(result.code).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['dev', 'prod', 'staging']);
    const expected = { prod: ['shop', 'shop-prod'], staging: ['aiops-platform', 'shop-staging'], dev: ['aiops-platform', 'aiops-platform'] };
    for (const [name, [release, namespace]] of Object.entries(expected)) {
      expect(filesIn(join(out, name))).toEqual(renderFiles(release));
      const alone = join(dir, `alone-${name}`);
      const values = file(`${name}-values.yaml`, ENVIRONMENTS[name as keyof typeof ENVIRONMENTS].values.replace(/^(redis.*)}\n$/, '$1\n'));
      expect(cli('-f', shared, '-f', values, '--set', 'kibana.replicas=2', '--release', release!, '--namespace', namespace!, '--output', alone).code).toBe(0);
      const text = readFileSync(join(out, name, `${release}.k8s.yaml`), 'utf8');
      expect(text).toBe(readFileSync(join(alone, `${release}.k8s.yaml`), 'utf8'));
      expect(text).toContain(`namespace: ${namespace}\n`);
      expect(text).toContain('team: from-shared-file\n');
    }
    expect(readFileSync(join(out, 'staging', 'aiops-platform.k8s.yaml'), 'utf8')).not.toContain('name: aiops-platform-redis\n');
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(`Rendered 3 environments into ${out}/:`);
    expect(lines[1]).toMatch(/^ {2}ENVIRONMENT +RELEASE +NAMESPACE +PROFILE +OBJECTS +SIZE +WARNINGS +CPU REQ +MEM REQ +STORAGE$/);
    expect(lines.slice(2, 5).map((line) => line.trim().split(/ {2,}/).slice(0, 4))).toEqual([
      ['dev/', 'aiops-platform', 'aiops-platform', 'development'],
      ['prod/', 'shop', 'shop-prod', 'production'],
      ['staging/', 'aiops-platform', 'shop-staging', 'development'],
    ]);
    expect(lines[5]).toMatch(/^\d+ objects, \d+ warning\(s\), shown above, in \d+\.\d\d s$/);
    expect(result.stderr).toMatch(/^warning: prod: postgresql\.auth\.password is a plaintext credential/m);
    // Deterministic: the same table on the next run (which replaces the folder it wrote).
    const again = cli('--environments', envs, '-f', shared, '--output', out, '--set', 'kibana.replicas=2');
    expect(again.code).toBe(0);
    expect(again.stdout.split('\n').slice(0, 5)).toEqual(lines.slice(0, 5));
  });

  it('replaces a single render or an earlier environments run, dropping environments that are gone', () => {
    expect(cli('--output', out).code).toBe(0);
    expect(cli('--environments', envs, '--output', out).code).toBe(0);
    rmSync(join(envs, 'dev.yaml'));
    expect(cli('--environments', envs, '--output', out).code).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['prod', 'staging']);
    expect(cli('--output', out).code).toBe(0);
    expect(filesIn(out)).toEqual(renderFiles());
  });

  it('reports every problem of every environment at once, at the environment file and line', () => {
    file('envs/prod.yaml', 'release: 9shop\nglobal: {development: false}\nelasticsearch:\n  replicas: many\n');
    file('envs/staging.yml', 'namespace: kube-system\nelasticseach: {}\n');
    file('envs/dev.yaml', 'grafana: {replicas: 1}\n');
    const lines = problems('--environments', envs, '-f', file('bad-shared.yaml', 'kibana: {replicas: -1}\n'));
    expect(lines).toEqual([
      'error: invalid values: 5 problems',
      expect.stringMatching(/^ {2}\S*bad-shared\.yaml:1:\d+ \(every environment\) {2}kibana\.replicas: expected a number at least 1/),
      expect.stringMatching(/^ {2}\S*envs\/prod\.yaml:1:10 {2}release: expected a DNS-1035 label/),
      expect.stringMatching(/^ {2}\S*envs\/prod\.yaml:4:13 {2}elasticsearch\.replicas: expected (a )?number/),
      expect.stringMatching(/^ {2}\S*envs\/staging\.yml:1:12 {2}namespace: reserved for Kubernetes itself/),
      expect.stringMatching(/^ {2}\S*envs\/staging\.yml:2:1 {2}elasticseach: unknown key "elasticseach"; did you mean "elasticsearch"\?/),
    ]);
  });

  it('names the environments a shared problem concerns, and locates a render problem at the release the file sets', () => {
    file('envs/prod.yaml', `release: ${'a'.repeat(45)}\n`);
    const lines = problems('--environments', envs, '--release', 'Bad');
    expect(lines).toEqual([
      'error: invalid values: 2 problems',
      expect.stringMatching(/^ {2}--release "Bad" \(environments dev, staging\) {2}expected a DNS-1035 label/),
      expect.stringMatching(new RegExp(`^ {2}.*envs/prod\\.yaml:1:10 {2}release: object name "a{45}-[a-z-]+" has \\d+ characters`)),
    ]);
  });

  it.each([
    { name: 'a file that is not .yaml or .yml', setup: () => file('envs/README.md', '# envs\n'), message: /envs\/README\.md {2}not an environment file/ },
    { name: 'a name that is not a DNS label', setup: () => file('envs/Prod_EU.yaml', 'redis: {}\n'), message: /envs\/Prod_EU\.yaml {2}the environment name "Prod_EU" \(also its output folder\): expected a DNS-1123 label/ },
    { name: 'the same name twice', setup: () => file('envs/prod.yml', 'redis: {}\n'), message: /envs\/prod\.yml {2}environment "prod" is also given by .*envs\/prod\.yaml: keep one file per environment/ },
    { name: 'a subfolder', setup: () => mkdirSync(join(envs, 'eu')), message: /envs\/eu {2}not an environment file/ },
    { name: 'a YAML error', setup: () => file('envs/dev.yaml', 'grafana: [\n'), message: /envs\/dev\.yaml:2:1 {2}malformed YAML/ },
  ])('refuses $name, with the other environments\' problems', ({ setup, message }) => {
    setup();
    file('envs/staging.yml', 'elasticsearch: {replicas: 0}\n');
    const text = problems('--environments', envs).join('\n');
    expect(text).toMatch(message);
    expect(text).toMatch(/envs\/staging\.yml:1:\d+ {2}elasticsearch\.replicas: /);
  });

  it('refuses an empty folder, a file and a missing folder', () => {
    mkdirSync(join(dir, 'empty'));
    expect(problems('--environments', join(dir, 'empty'))).toEqual(['error: invalid values: 1 problem', `  --environments ${join(dir, 'empty')}  the folder is empty: put one <name>.yaml file in it per environment`]);
    expect(problems('--environments', shared)[1]).toBe(`  --environments ${shared}  is not a folder; give the folder that holds the <name>.yaml environment files`);
    expect(problems('--environments', join(dir, 'none'))[1]).toBe(`  --environments ${join(dir, 'none')}  cannot read the folder: no such file`);
    expect(problems('--environments', envs, '--environments', envs)).toEqual(['error: --environments is given more than once: give it once']);
  });

  it('writes all or nothing: a failure in the third environment leaves the output folder exactly as it was', () => {
    expect(cli('--environments', envs, '--output', out).code).toBe(0);
    file('envs/staging.yml', 'elasticsearch: {replicas: 0}\n'); // staging sorts third
    const before = treeState(dir);
    const result = cli('--environments', envs, '--output', out, '--set', 'grafana.replicas=2');
    expect(result.code).toBe(2);
    expect(treeState(dir)).toBe(before);
    expect(readdirSync(dir).sort()).toEqual(['dist', 'envs', 'shared.yaml']); // no staging folder left
  });

  it('keeps the output folder safety rule: refuses a subfolder holding what this tool did not write, or an input', () => {
    expect(cli('--environments', envs, '--output', out).code).toBe(0);
    const refusal = (...argv: string[]) => problems('--environments', envs, ...argv).at(-1);
    writeFileSync(join(out, 'prod', 'kustomization.yaml'), 'resources: [shop.k8s.yaml]\n');
    expect(refusal()).toBe(`error: --output ${out}: refusing to replace the folder, it holds prod/kustomization.yaml (not written by this tool); give an empty or new folder, or one this tool wrote`);
    rmSync(join(out, 'prod', 'kustomization.yaml'));
    mkdirSync(join(out, 'empty'));
    expect(refusal()).toMatch(/it holds empty \(a folder\);/);
    rmdirSync(join(out, 'empty'));
    mkdirSync(join(out, 'prod', 'deeper'));
    expect(refusal()).toMatch(/it holds prod\/deeper \(a folder\);/);
    rmdirSync(join(out, 'prod', 'deeper'));
    writeFileSync(join(out, 'prod', 'shop-values.yaml'), 'redis: {}\n');
    expect(refusal('-f', join(out, 'prod', 'shop-values.yaml'))).toMatch(/it holds prod\/shop-values\.yaml \(an input of this run\)/);
    rmSync(join(out, 'prod', 'shop-values.yaml'));
    expect(readFileSync(join(out, 'prod', 'shop.k8s.yaml'), 'utf8').startsWith(GENERATED_HEADER)).toBe(true);
    expect(cli('--environments', envs, '--output', out).code).toBe(0);
  });

  it('refuses an output folder holding the environment files themselves', () => {
    const inside = join(out, 'envs');
    mkdirSync(inside, { recursive: true });
    writeFileSync(join(inside, 'dev.yaml'), `${GENERATED_HEADER}grafana: {replicas: 1}\n`);
    expect(problems('--environments', inside).at(-1)).toMatch(/it holds envs\/dev\.yaml \(an input of this run\)/);
  });

  it('--strict: a warning in one environment writes nothing', () => {
    const before = treeState(dir);
    const result = cli('--environments', envs, '--output', out, '--strict');
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^warning: prod: postgresql\.auth\.password is a plaintext credential/m);
    expect(result.stderr).not.toMatch(/^warning: dev:/m);
    expect(result.stderr).toMatch(/error: \d+ warning\(s\) and --strict: nothing written\n$/);
    expect(treeState(dir)).toBe(before);
    file('envs/prod.yaml', 'release: shop\n');
    file('envs/staging.yml', 'namespace: shop-staging\n');
    expect(cli('--environments', envs, '--output', out, '--strict').code).toBe(0);
  });
});
