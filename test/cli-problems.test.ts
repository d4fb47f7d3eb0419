import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { run } from '../src/main.js';

/**
 * Every problem of every stage in one run, each located at what the user wrote: flags, YAML,
 * `--set`, schema (cross-field rules included) and the render. Credentials never echoed.
 */

let dir: string;
let out: string;

function cli(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = run(['--output', out, ...argv], {}, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr };
}

let fresh = 0;
/** Runs into a fresh output folder (for runs that succeed). */
function cliFresh(...argv: string[]) {
  let stderr = '';
  const code = run(['--output', join(dir, `fresh-${fresh++}`), ...argv], {}, { stdout: () => {}, stderr: (t) => (stderr += t) });
  return { code, stderr };
}

function values(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function state(folder: string): string {
  return readdirSync(folder, { recursive: true, encoding: 'utf8' })
    .sort()
    .map((f) => `${f}@${statSync(join(folder, f)).mtimeMs}`)
    .join('\n');
}

/** Runs, expects exit 2 with nothing written, and returns the problem lines. */
function problems(...argv: string[]): string[] {
  const before = state(dir);
  const result = cli(...argv);
  expect(result.code).toBe(2);
  expect(result.stdout).toBe('');
  expect(result.stderr).not.toMatch(/\n\s+at /);
  expect(state(dir)).toBe(before);
  const [head, ...lines] = result.stderr.trimEnd().split('\n');
  expect(head).toBe(`error: invalid values: ${lines.length} problem${lines.length === 1 ? '' : 's'}`);
  return lines.map((l) => l.trim());
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'aiops-problems-'));
  out = join(dir, 'dist');
  mkdirSync(out);
  writeFileSync(join(out, 'aiops-platform.k8s.yaml'), 'kind: Previous\n');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('all problems at once', () => {
  it('reports a bad --release together with bad values (was: the flag alone)', () => {
    const file = values('v.yaml', 'grafana:\n  replicas: two\n');
    expect(problems('--release', 'AIOps', '-f', file)).toEqual([
      '--release "AIOps"  expected a DNS-1035 label (starts with a lower-case letter; lower-case letters, digits and \'-\'), at most 53 characters',
      `${file}:2:13  grafana.replicas: expected number, found string "two"`,
    ]);
  });

  it('reports a reserved --namespace together with a bad --set and a bad file', () => {
    const file = values('v.yaml', 'kibana: {replicas: 0}\n');
    const lines = problems('--namespace', 'kube-system', '-f', file, '--set', 'redis.enabled=maybe');
    expect(lines[0]).toMatch(/^--namespace "kube-system" {2}reserved for Kubernetes itself/);
    expect(lines[1]).toMatch(new RegExp(`^${file}:1:\\d+ {2}kibana\\.replicas: `));
    expect(lines[2]).toMatch(/^--set redis\.enabled=maybe {2}redis\.enabled: expected boolean/);
  });

  it('reports YAML problems of one file together with schema problems of another', () => {
    const a = values('a.yaml', 'redis: [\n');
    const b = values('b.yaml', 'prometheus:\n  retention: forever\nelasticseach: {}\n');
    const lines = problems('-f', a, '-f', b);
    expect(lines[0]).toMatch(new RegExp(`^${a}:2:1 {2}malformed YAML`));
    expect(lines.slice(1)).toEqual([
      expect.stringMatching(new RegExp(`^${b}:2:14 {2}prometheus\\.retention: expected a Prometheus duration`)),
      `${b}:3:1  elasticseach: unknown key "elasticseach"; did you mean "elasticsearch"?`,
    ]);
  });

  it('reports a malformed --set together with a schema problem of a file', () => {
    const file = values('v.yaml', 'postgresql:\n  maxConnections: lots\n');
    const lines = problems('-f', file, '--set', 'grafana.replicas');
    expect(lines).toEqual([
      expect.stringMatching(new RegExp(`^${file}:2:19 {2}postgresql\\.maxConnections: expected number`)),
      expect.stringMatching(/^--set grafana\.replicas {2}expected key=value/),
    ]);
  });
});

describe('problems found while building the chart, located', () => {
  it('reports the extraEnv collision, the Ingress path collision and the empty receiver URL together, each at its line', () => {
    const file = values(
      'v.yaml',
      [
        'aiEngine:',
        '  extraEnv: {PORT: "1"}',
        'selfHealing:',
        '  extraEnv:',
        '    WEBHOOK_TOKEN: x',
        'ingress:',
        '  hosts:',
        '    - host: a.example.com',
        '      paths: [{path: /}, {path: /grafana}, {path: /x}, {path: /x}]',
        'alertmanager:',
        '  receivers:',
        '    webhook: {enabled: true}',
        '',
      ].join('\n'),
    );
    expect(problems('-f', file)).toEqual([
      `${file}:2:20  aiEngine.extraEnv.PORT: PORT is set by the chart on the AI engine (from the values and connections): remove it from extraEnv`,
      `${file}:5:20  selfHealing.extraEnv.WEBHOOK_TOKEN: WEBHOOK_TOKEN is set by the chart on the self-healing executor (from the values and connections): remove it from extraEnv`,
      `${file}:9:33  ingress.hosts[0].paths[1].path: "/grafana" on a.example.com is already routed to grafana (its prefix /grafana); remove it or use another path`,
      `${file}:9:63  ingress.hosts[0].paths[3].path: "/x" on a.example.com is already routed to ingress.hosts[0].paths (the API gateway); remove it or use another path`,
      expect.stringMatching(
        new RegExp(`^${file}:12:24 {2}alertmanager\\.receivers\\.webhook\\.url: alertmanager\\.receivers\\.webhook\\.url is empty while the webhook receiver is enabled`),
      ),
    ]);
  });

  it('accepts what those rules allow: a component prefix when the component is off, receivers with a Secret or in production', () => {
    for (const text of [
      'grafana: {enabled: false}\ningress:\n  hosts: [{host: a.example.com, paths: [{path: /}, {path: /grafana}]}]\n',
      'alertmanager: {existingSecret: am-credentials, receivers: {slack: {enabled: true}}}\n',
      'secrets: {external: true}\nalertmanager: {receivers: {webhook: {enabled: true}}}\n',
      'global: {development: false}\nalertmanager: {receivers: {slack: {enabled: true}}}\n',
    ]) {
      const result = cliFresh('-f', values('ok.yaml', text));
      expect(result.stderr).not.toMatch(/^error/m);
      expect(result.code).toBe(0);
    }
  });

  it('reports a release name that makes many object names too long once, with the largest excess', () => {
    const release = 'a'.repeat(45);
    const lines = problems('--release', release);
    expect(lines).toHaveLength(1);
    const excess = Number(/at least (\d+) characters shorter/.exec(lines[0]!)![1]);
    // The longest object name decides: shortening by less would still fail.
    expect(cliFresh('--release', 'a'.repeat(45 - excess)).code).toBe(0);
    expect(cliFresh('--release', 'a'.repeat(45 - excess + 1)).code).toBe(2);
    expect(lines[0]).toMatch(new RegExp(`^--release "${release}" {2}object name "${release}-[a-z-]+" has \\d+ characters`));
  });

  it('locates a namespace too long for the agents namespace at --namespace, and a JVM memory at its line, in one run', () => {
    const file = values('v.yaml', 'logstash:\n  resources:\n    requests: {cpu: 100m, memory: 1Mi}\n    limits: {memory: 1Mi}\n');
    const namespace = 'n'.repeat(55);
    expect(problems('--namespace', namespace, '-f', file)).toEqual([
      expect.stringMatching(new RegExp(`^--namespace "${namespace}" {2}namespace "${namespace}" is too long: the node agents' namespace`)),
      `${file}:4:22  logstash.resources.limits.memory: memory 1Mi leaves no JVM heap (half of it is under 1Mi): raise resources.limits.memory`,
    ]);
  });
});

describe('cross-field problems point at what the user set, never at (defaults)', () => {
  it('points the response-time threshold (a default) at the latency buckets the user set', () => {
    const file = values('v.yaml', 'traefik:\n  latencyBuckets: [0.1, 1]\n');
    expect(problems('-f', file)).toEqual([expect.stringMatching(new RegExp(`^${file}:2:19 {2}alerting\\.thresholds\\.responseTimeSeconds: the response-time alert could never fire`))]);
  });

  it('points minReplicas (a default) at the maxReplicas set in another file or flag', () => {
    const a = values('a.yaml', 'selfHealing:\n  limits: {window: 2h}\n');
    expect(problems('-f', a, '--set', 'selfHealing.limits.maxReplicas=0')[0]).toMatch(/^--set selfHealing\.limits\.maxReplicas=0 {2}selfHealing\.limits\.maxReplicas: expected a number at least 1/);
    const b = values('b.yaml', 'selfHealing:\n  limits:\n    minReplicas: 1\n');
    const c = values('c.yaml', 'selfHealing:\n  limits:\n    maxReplicas: 1\n');
    expect(cliFresh('-f', b, '-f', c).code).toBe(0);
    const d = values('d.yaml', 'selfHealing:\n  limits:\n    maxReplicas: 0\n');
    expect(problems('-f', d)[0]).toMatch(new RegExp(`^${d}:3:18`));
  });

  it('points a required email field (default empty) at the enabled flag that requires it', () => {
    const file = values('v.yaml', 'alertmanager:\n  receivers:\n    email:\n      enabled: true\n      smarthost: "smtp.example.com:587"\n');
    expect(problems('-f', file)).toEqual([
      `${file}:4:16  alertmanager.receivers.email.to: to is required when the email receiver is enabled`,
      `${file}:4:16  alertmanager.receivers.email.from: from is required when the email receiver is enabled`,
    ]);
  });

  it('points the sysctl init container (set) and the Prometheus retention size (default) at the user-set values they conflict with', () => {
    const file = values('v.yaml', 'podSecurityPolicy:\n  enabled: true\nelasticsearch:\n  sysctlInitContainer: {enabled: true}\nprometheus:\n  persistence: {size: 1Gi}\n  retentionSize: 2Gi\n');
    const lines = problems('-f', file);
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^${file}:4:34 {2}elasticsearch\\.sysctlInitContainer\\.enabled: `)));
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^${file}:7:18 {2}prometheus\\.retentionSize: retentionSize 2Gi is above the volume size`)));
    const set = problems('--set', 'grafana.replicas=2,grafana.persistence.enabled=true');
    expect(set).toEqual([expect.stringMatching(/^--set grafana\.replicas=2,grafana\.persistence\.enabled=true {2}grafana\.replicas: /)]);
    expect(problems('--set', 'podSecurityPolicy.enabled=true', '--set', 'elasticsearch.sysctlInitContainer.enabled=true')).toHaveLength(1);
  });
});

describe('credentials never echoed in messages', () => {
  it('hides a password given with --set, in the location and in the message', () => {
    const result = cli('--set', 'postgresql.auth.password=1234567', '--set', 'redis.auth.password={a,b}');
    expect(result.code).toBe(2);
    expect(result.stderr).not.toContain('1234567');
    expect(result.stderr).toMatch(/--set postgresql\.auth\.password=\(hidden: 7 characters\) {2}postgresql\.auth\.password: expected string, found a number \(hidden\)/);
    expect(result.stderr).toMatch(/--set redis\.auth\.password=\(hidden: 5 characters\) {2}redis\.auth\.password: /);
  });

  it('hides a Slack webhook URL and a webhook URL that fail validation, and a URL with user:password anywhere', () => {
    const slack = 'hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXX';
    const webhook = 'ftp://ops:s3cr3t-pass@hooks.example.com/x';
    const file = values('v.yaml', `alertmanager:\n  receivers:\n    slack: {enabled: true, apiUrl: "${slack}"}\n    webhook: {enabled: true, url: "${webhook}"}\n`);
    const result = cli('-f', file);
    expect(result.code).toBe(2);
    expect(result.stderr).not.toContain('XXXXXXXXXXXXXXXX');
    expect(result.stderr).not.toContain('s3cr3t-pass');
    expect(result.stderr).toMatch(/alertmanager\.receivers\.slack\.apiUrl: expected an http\(s\) URL .*found \(hidden: \d+ characters\)/);
  });

  it('hides passwords of the wrong type in YAML files, and keeps other values visible', () => {
    const file = values('v.yaml', 'grafana:\n  adminPassword: 987654321\n  replicas: seven\n');
    const result = cli('-f', file);
    expect(result.stderr).not.toContain('987654321');
    expect(result.stderr).toContain('grafana.adminPassword: expected string, found a number (hidden)');
    expect(result.stderr).toContain('grafana.replicas: expected number, found string "seven"');
  });

  it('hides a known password wherever a message repeats it', () => {
    const file = values('v.yaml', 'elasticsearch:\n  auth:\n    password: "hunter2-long"\n  replicas: "hunter2-long"\n');
    const result = cli('-f', file);
    expect(result.code).toBe(2);
    expect(result.stderr).not.toContain('hunter2-long');
    expect(result.stderr).toMatch(/elasticsearch\.replicas: expected number, found a string of 12 characters \(hidden\)/);
  });
});
