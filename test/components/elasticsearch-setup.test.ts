import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ElasticsearchSetup } from '../../src/components/logging/elasticsearch-setup.js';
import { sampleElasticsearch } from '../support/connections.js';
import { renderConstruct } from '../support/construct.js';
import { assertValidK8sObjects } from '../support/k8s-validate.js';
import { onPath, output, runProcess, toolsPresent, type RunResult } from '../support/process.js';
import { find } from '../support/render.js';

type Obj = any;

const URL = 'http://aiops-platform-elasticsearch.aiops-platform.svc.cluster.local:9200';
const SECRET = 'aiops-platform-elasticsearch';

/** A connection as the Elasticsearch construct provides it, built by hand. */
const connection = (authEnabled: boolean) => sampleElasticsearch({ authEnabled, secretName: SECRET });

/** Renders the setup alone from a values file; `auth` is the connection's security switch. */
function render(valuesYaml = '', auth = true) {
  const { objects, built: setup } = renderConstruct(valuesYaml, (chart, ctx, values) => {
    return new ElasticsearchSetup(chart, 'setup', { ctx, values: values.elasticsearch, connection: connection(auth) });
  });
  const NAME = 'aiops-platform-elasticsearch-setup';
  const job = find(objects, 'Job', NAME);
  const cronJob = find(objects, 'CronJob', NAME);
  const files: Record<string, string> = find(objects, 'ConfigMap', NAME).data;
  const json = (file: string) => JSON.parse(files[file]!);
  const container = job.spec.template.spec.containers[0];
  return { objects, setup: setup, job, cronJob, files, json, container, script: files['setup.sh']! };
}

const shellSyntaxErrors = (shell: string, script: string) => {
  const r = spawnSync(shell, ['-n'], { input: script, encoding: 'utf8' });
  return r.status === 0 ? '' : r.stderr || `exit ${r.status}`;
};

describe('ElasticsearchSetup', () => {
  it('runs the same pod as a Job after install and as a CronJob every 6 hours', () => {
    const { setup, job, cronJob } = render();
    expect(setup.cronJobName).toBe('aiops-platform-elasticsearch-setup');
    expect(cronJob.spec.jobTemplate.spec.template).toEqual(job.spec.template);
    expect(job.spec).toMatchObject({ backoffLimit: 10, activeDeadlineSeconds: 1800, ttlSecondsAfterFinished: 300 });
    expect(cronJob.spec).toMatchObject({ schedule: '0 */6 * * *', concurrencyPolicy: 'Forbid', startingDeadlineSeconds: 3600 });
    expect(cronJob.spec.successfulJobsHistoryLimit).toBeLessThanOrEqual(3);
    expect(cronJob.spec.failedJobsHistoryLimit).toBeLessThanOrEqual(3);
    // CronJob runs keep their Job for inspection (history limits), only the install Job expires.
    expect(cronJob.spec.jobTemplate.spec.ttlSecondsAfterFinished).toBeUndefined();
    expect(render('elasticsearch: { setup: { schedule: "@daily" } }').cronJob.spec.schedule).toBe('@daily');
    expect(() => render('elasticsearch: { setup: { schedule: "every 6h" } }')).toThrow(/cron schedule/);
  });

  it('renders valid Kubernetes objects with security on and off', () => {
    assertValidK8sObjects(render().objects);
    assertValidK8sObjects(render('', false).objects);
  });

  it('runs curl from the Elasticsearch image as uid 1000, read-only, with small resources and no probes', () => {
    const { job, container } = render();
    const pod = job.spec.template.spec;
    expect(container.image).toBe('docker.elastic.co/elasticsearch/elasticsearch:8.19.3');
    expect(container.command).toEqual(['sh', '/etc/elasticsearch-setup/setup.sh']);
    expect(pod.securityContext).toMatchObject({ runAsUser: 1000, runAsGroup: 1000, runAsNonRoot: true });
    expect(container.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
    expect(container.resources).toEqual({ requests: { cpu: '10m', memory: '32Mi' }, limits: { memory: '64Mi' } });
    expect(container.readinessProbe ?? container.livenessProbe).toBeUndefined();
    expect(pod.restartPolicy).toBe('OnFailure');
    expect(pod.volumes.find((v: Obj) => v.name === 'work').emptyDir.medium).toBe('Memory');
    expect(job.spec.template.metadata.labels['app.kubernetes.io/component']).toBe('setup');
  });

  it('deletes log indices retentionDays after creation: 7 in development, 30 in production, values win', () => {
    const deleteAge = (yaml: string) => render(yaml).json('ilm-policy.json').policy.phases.delete;
    expect(deleteAge('')).toEqual({ min_age: '7d', actions: { delete: {} } });
    expect(deleteAge('global: { development: false }').min_age).toBe('30d');
    expect(deleteAge('elasticsearch: { retentionDays: 3 }').min_age).toBe('3d');
    // Daily indices, no rollover alias: a rollover action would stall every index.
    expect(render().json('ilm-policy.json').policy.phases.hot.actions).not.toHaveProperty('rollover');
  });

  it('templates aiops-logs-* as plain indices, above every built-in template', () => {
    const { json, script } = render();
    const template = json('index-template.json');
    expect(template.index_patterns).toEqual(['aiops-logs-*']);
    expect(template.priority).toBeGreaterThan(100);
    expect(template).not.toHaveProperty('data_stream');
    expect(template.template.settings.index.lifecycle.name).toBe('aiops-logs');
    expect(script).toContain("request PUT '/_ilm/policy/aiops-logs' ");
    expect(template.template.mappings.properties['@timestamp']).toEqual({ type: 'date' });
    expect(template.template.mappings.properties.message).toEqual({ type: 'text' });
    expect(template.template.mappings.properties.kubernetes.properties.namespace.type).toBe('keyword');
    // The level the Logstash pipeline parses, filtered by the AI engine's logs source.
    expect(template.template.mappings.properties.log).toEqual({ properties: { level: { type: 'keyword', ignore_above: 1024 } } });
  });

  it('asks for one replica only when there is a second node to hold it', () => {
    const replicas = (n: number) => render(`elasticsearch: { replicas: ${n} }`).json('index-template.json').template.settings.index.number_of_replicas;
    expect(replicas(1)).toBe(0);
    expect(replicas(2)).toBe(1);
    expect(replicas(3)).toBe(1);
  });

  it('reads the five passwords from the connection Secret and reaches Elasticsearch at the connection URL', () => {
    const env = render().container.env;
    expect(env.find((e: Obj) => e.name === 'ES_URL').value).toBe(URL);
    const refs = Object.fromEntries(env.filter((e: Obj) => e.valueFrom).map((e: Obj) => [e.name, e.valueFrom.secretKeyRef]));
    expect(refs).toEqual({
      ELASTIC_PASSWORD: { name: SECRET, key: 'elastic-password' },
      KIBANA_SYSTEM_PASSWORD: { name: SECRET, key: 'kibana-system-password' },
      LOGSTASH_WRITER_PASSWORD: { name: SECRET, key: 'logstash-writer-password' },
      LOGS_READER_PASSWORD: { name: SECRET, key: 'logs-reader-password' },
      METRICS_READER_PASSWORD: { name: SECRET, key: 'metrics-reader-password' },
    });
  });

  it('grants logstash_writer only indexing into aiops-logs-*', () => {
    const role = render().json('logstash-writer-role.json');
    expect(role.cluster).toEqual(['monitor']);
    expect(role.indices).toEqual([{ names: ['aiops-logs-*'], privileges: ['create_index', 'create', 'auto_configure'] }]);
    expect(render().json('logstash-writer-user.json').roles).toEqual(['logstash_writer']);
  });

  it('grants metrics_reader (the exporter) only the monitor privileges', () => {
    const role = render().json('metrics-reader-role.json');
    expect(role.cluster).toEqual(['monitor']);
    expect(role.indices).toEqual([{ names: ['*'], privileges: ['monitor'] }]);
    expect(render().json('metrics-reader-user.json').roles).toEqual(['metrics_reader']);
  });

  it('grants logs_reader (Grafana) reading aiops-logs-* and the two cluster actions of its health check and cluster info', () => {
    const role = render().json('logs-reader-role.json');
    // Grafana 12's Elasticsearch datasource: CheckHealth sends GET /_cluster/health?wait_for_status=yellow
    // (pkg/tsdb/elasticsearch/healthcheck.go), GetClusterInfo sends GET / (client/cluster_info.go);
    // Elasticsearch authorizes them as these transport actions. A raw action name in a role is
    // resolved as the pattern `<action>*` (ClusterPrivilegeResolver.resolve).
    const grafanaCalls: Record<string, string> = {
      'GET /_cluster/health?wait_for_status=yellow': 'cluster:monitor/health',
      'GET /': 'cluster:monitor/main',
    };
    const granted = (action: string) => role.cluster.some((p: string) => action.startsWith(p));
    for (const [call, action] of Object.entries(grafanaCalls)) expect(granted(action), call).toBe(true);
    // Least privilege: not the whole monitor privilege (node stats, tasks, cluster state) nor more.
    expect(role.cluster).toEqual(['cluster:monitor/health', 'cluster:monitor/main']);
    expect(granted('cluster:monitor/state')).toBe(false);
    expect(granted('cluster:monitor/nodes/stats')).toBe(false);
    expect(role.indices).toEqual([{ names: ['aiops-logs-*'], privileges: ['read', 'view_index_metadata'] }]);
    expect(render().json('logs-reader-user.json').roles).toEqual(['logs_reader']);
  });

  it('keeps passwords out of the ConfigMap and the pod spec', () => {
    const password = 'Vq8-secret-in-values';
    const { objects, files } = render(`elasticsearch: { auth: { password: ${password} } }`);
    expect(JSON.stringify(objects)).not.toContain(password);
    for (const [file, text] of Object.entries(files)) if (file.endsWith('.json')) expect(JSON.parse(text), file).not.toHaveProperty('password');
    expect(files['kibana-system-user.json']).toBe('{}');
  });

  it('has no credentials, no password env and no security requests with security off', () => {
    const { container, files, script } = render('', false);
    expect(container.env.some((e: Obj) => e.valueFrom)).toBe(false);
    expect(Object.keys(files).sort()).toEqual(['disk-cleanup.sh', 'ilm-policy.json', 'index-template.json', 'setup.sh']);
    expect(script).not.toMatch(/_security|PASSWORD|curl\.conf| -K /);
    expect(files['disk-cleanup.sh']).not.toMatch(/PASSWORD|curl\.conf| -K /);
  });

  it('never puts a password on a command line: curl reads the elastic password from a config file', () => {
    const curlLines = render().script.split('\n').filter((line) => /\bcurl -/.test(line));
    expect(curlLines).toHaveLength(1);
    expect(curlLines[0]).toContain('-K "$work/curl.conf"');
    expect(curlLines[0]).not.toMatch(/PASSWORD|\s-u\s|--user/);
  });

  it('renders scripts that parse with sh -n (and bash -n when present)', () => {
    for (const shell of ['sh', ...(onPath('bash') ? ['bash'] : [])]) {
      expect(shellSyntaxErrors(shell, render().script), shell).toBe('');
      expect(shellSyntaxErrors(shell, render('', false).script), shell).toBe('');
    }
  });
});

// ---------------------------------------------------------------------------------------------
// The rendered script against a fake Elasticsearch on loopback

const haveTools = toolsPresent('the Elasticsearch setup script runs', ['sh', 'curl', 'sed', 'tr'].filter((b) => !onPath(b)), 'Debian: apt-get install curl');
/** Shells to run the script with: the image's /bin/sh is bash; dash is the strict POSIX check. */
const SHELLS = ['sh', ...(onPath('bash') ? ['bash'] : [])];

interface Recorded {
  method: string;
  url: string;
  authorization: string | undefined;
  contentType: string | undefined;
  body: string;
}
type Responder = (r: Recorded, count: number) => [number, unknown];

const servers: Server[] = [];
const dirs: string[] = [];
afterAll(() => {
  for (const s of servers) s.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A fake Elasticsearch: records every request; answers 401 without the expected basic auth, else as `respond` says. */
async function fakeElasticsearch(expectedAuth: string | undefined, respond: Responder = () => [200, { acknowledged: true }]) {
  const requests: Recorded[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString('utf8')));
    req.on('end', () => {
      const r: Recorded = { method: req.method!, url: req.url!, authorization: req.headers.authorization, contentType: req.headers['content-type'], body };
      requests.push(r);
      const [status, answer] = r.authorization !== expectedAuth ? [401, { error: 'unauthenticated' }] : respond(r, requests.length);
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
}

/**
 * Runs the rendered script as the pod would: the ConfigMap files in a temp config dir, the env of
 * the rendered container with ES_URL and the two directories pointed at the fake server and temp dirs,
 * and Secret values for the secretKeyRefs.
 */
async function runSetup(
  shell: string,
  rendered: ReturnType<typeof render>,
  esUrl: string,
  secret: Record<string, string>,
  onWorkDir: (dir: string) => void = () => {},
) {
  const root = mkdtempSync(join(tmpdir(), 'es-setup-'));
  dirs.push(root);
  const [config, work] = [join(root, 'config'), join(root, 'work')];
  mkdirSync(config);
  mkdirSync(work);
  onWorkDir(work);
  for (const [file, text] of Object.entries(rendered.files)) writeFileSync(join(config, file), text);
  const overrides: Record<string, string> = { ES_URL: esUrl, SETUP_CONFIG_DIR: config, SETUP_WORK_DIR: work };
  const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
  for (const e of rendered.container.env) env[e.name] = overrides[e.name] ?? e.value ?? secret[e.valueFrom.secretKeyRef.key];
  const result: RunResult = await runProcess(shell, [join(config, 'setup.sh')], { env, timeoutMs: 30_000 });
  return { result, workFiles: readdirSync(work) };
}

const basic = (password: string) => `Basic ${Buffer.from(`elastic:${password}`).toString('base64')}`;
const secret = {
  'elastic-password': 'el "quoted" \\ back$lash `tick` %s ü',
  'kibana-system-password': 'kb\\"\\\\ "end',
  'logstash-writer-password': 'ls $(id) \'single\' \\n "',
  'logs-reader-password': 'rd `x` \\" end',
  'metrics-reader-password': 'mt $HOME "q"',
};

describe.runIf(haveTools).each(SHELLS)('the setup script run by %s', (shell) => {
  it('waits for health, then applies policy, template, kibana_system password, the reader and writer roles and users, with passwords intact', async () => {
    const rendered = render();
    let work = '';
    const credentialModes = new Set<string>();
    const es = await fakeElasticsearch(basic(secret['elastic-password']), () => {
      credentialModes.add((statSync(join(work, 'curl.conf')).mode & 0o777).toString(8));
      return [200, { acknowledged: true }];
    });
    const { result, workFiles } = await runSetup(shell, rendered, es.url, secret, (dir) => (work = dir));
    expect(result.code, output(result)).toBe(0);
    expect([...credentialModes]).toEqual(['600']);
    expect(es.requests.map((r) => `${r.method} ${r.url}`)).toEqual([
      'GET /_cluster/health?wait_for_status=yellow&timeout=30s',
      'PUT /_ilm/policy/aiops-logs',
      'PUT /_index_template/aiops-logs',
      'PUT /_security/role/metrics_reader',
      'PUT /_security/user/metrics_reader',
      'POST /_security/user/kibana_system/_password',
      'PUT /_security/role/logs_reader',
      'PUT /_security/user/logs_reader',
      'PUT /_security/role/logstash_writer',
      'PUT /_security/user/logstash_writer',
    ]);
    const bodies = es.requests.slice(1).map((r) => JSON.parse(r.body));
    expect(bodies).toEqual([
      rendered.json('ilm-policy.json'),
      rendered.json('index-template.json'),
      rendered.json('metrics-reader-role.json'),
      { password: secret['metrics-reader-password'], ...rendered.json('metrics-reader-user.json') },
      { password: secret['kibana-system-password'] },
      rendered.json('logs-reader-role.json'),
      { password: secret['logs-reader-password'], ...rendered.json('logs-reader-user.json') },
      rendered.json('logstash-writer-role.json'),
      { password: secret['logstash-writer-password'], ...rendered.json('logstash-writer-user.json') },
    ]);
    expect(es.requests.slice(1).every((r) => r.contentType === 'application/json')).toBe(true);
    // The credentials file and the bodies with passwords do not outlive the run.
    expect(workFiles.filter((f) => f !== 'response')).toEqual([]);
  });

  it('retries the health check until Elasticsearch answers 200', async () => {
    const es = await fakeElasticsearch(undefined, (_r, n) => (n === 1 ? [503, { status: 'red' }] : [200, { status: 'yellow' }]));
    const { result } = await runSetup(shell, render('', false), es.url, {});
    expect(result.code, output(result)).toBe(0);
    expect(result.stdout).toContain('(HTTP 503)');
    expect(es.requests.map((r) => r.url).slice(0, 2)).toEqual(['/_cluster/health?wait_for_status=yellow&timeout=30s', '/_cluster/health?wait_for_status=yellow&timeout=30s']);
  });

  it('exits non-zero and prints the response when a request fails, sending nothing after it', async () => {
    const es = await fakeElasticsearch(basic(secret['elastic-password']), (r) =>
      r.url.startsWith('/_ilm/') ? [500, { error: { reason: 'policy store unavailable' } }] : [200, {}],
    );
    const { result } = await runSetup(shell, render(), es.url, secret);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('PUT /_ilm/policy/aiops-logs failed with HTTP 500');
    expect(result.stderr).toContain('policy store unavailable');
    expect(es.requests.map((r) => r.method)).toEqual(['GET', 'PUT']);
  });

  it('stops at once when Elasticsearch refuses the elastic password', async () => {
    const es = await fakeElasticsearch(basic('the password Elasticsearch has'));
    const { result } = await runSetup(shell, render(), es.url, secret);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('refused the elastic user with the password of the Secret (HTTP 401)');
    expect(result.stderr).toContain('unauthenticated');
    expect(result.ms).toBeLessThan(4000);
    expect(es.requests).toHaveLength(1);
  });

  it('sends no credentials and no security requests with security off', async () => {
    const es = await fakeElasticsearch(undefined);
    const { result } = await runSetup(shell, render('', false), es.url, {});
    expect(result.code, output(result)).toBe(0);
    expect(es.requests.map((r) => `${r.method} ${r.url.split('?')[0]}`)).toEqual([
      'GET /_cluster/health',
      'PUT /_ilm/policy/aiops-logs',
      'PUT /_index_template/aiops-logs',
    ]);
  });

  it('refuses an empty password or one with a control character before sending anything', async () => {
    const es = await fakeElasticsearch(undefined);
    const tab = await runSetup(shell, render(), es.url, { ...secret, 'logstash-writer-password': 'with\ttab' });
    expect(tab.result.code).not.toBe(0);
    expect(tab.result.stderr).toContain('LOGSTASH_WRITER_PASSWORD contains a control character');
    const empty = await runSetup(shell, render(), es.url, { ...secret, 'kibana-system-password': '' });
    expect(empty.result.code).not.toBe(0);
    expect(empty.result.stderr).toContain('KIBANA_SYSTEM_PASSWORD is empty');
    expect(es.requests).toEqual([]);
  });
});
