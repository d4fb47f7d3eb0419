/**
 * Elasticsearch snapshots (`backup.elasticsearch`): the repository on every node (fs volume or s3
 * client), its registration and the snapshot user by the setup Job, the snapshot CronJob; the
 * rendered scripts run with sh (and bash) against a recording fake Elasticsearch.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { problemsOf } from '../support/values-issues.js';
import { parse } from 'yaml';
import { assertValidK8sObjects } from '../support/k8s-validate.js';
import { basicAuth, startFakeElasticsearch, type FakeAnswer, type RecordedRequest } from '../support/fake-elasticsearch.js';
import { onPath, output, runProcess, toolsPresent } from '../support/process.js';
import { envValues, find, ofKind, RESTRICTED_CONTAINER, renderYaml, workload, type TestRender } from '../support/render.js';

const NAME = 'aiops-platform-elasticsearch-backup';
const ES = 'aiops-platform-elasticsearch';
const SETUP = 'aiops-platform-elasticsearch-setup';
const CLAIM = 'aiops-platform-elasticsearch-snapshots';
const backupJob = workload('CronJob', NAME);
const node = workload('StatefulSet', ES);
const setupJob = workload('Job', SETUP);

const render = (extra = '', base = 'backup: {enabled: true') => renderYaml(`${base}${extra}}\n`);
const S3 = ', elasticsearch: {type: s3, s3: {bucket: aiops-snapshots, endpoint: "minio.storage.svc:9000", protocol: http, region: garage, basePath: prod/es, pathStyleAccess: true, existingSecret: s3-keys}}';
const files = (r: TestRender, name: string): Record<string, string> => find(r.objects, 'ConfigMap', name).data;
const elasticsearchYml = (r: TestRender) => parse(files(r, ES)['elasticsearch.yml']);

const problems = problemsOf;

describe('Elasticsearch snapshots: render', () => {
  const fs = render();

  it('renders nothing of them by default, nor with backup.elasticsearch.enabled false', () => {
    for (const r of [renderYaml('{}'), render(', elasticsearch: {enabled: false}')]) {
      const text = JSON.stringify(r.objects);
      for (const mark of ['elasticsearch-snapshots', 'snapshot_manager', 'snapshot-manager', 'elasticsearch-backup', '/_snapshot/', 's3.client']) {
        expect(text.includes(mark), mark).toBe(false);
      }
      expect(elasticsearchYml(r)['path.repo']).toBeUndefined();
    }
    // PostgreSQL is still backed up.
    expect(find(render(', elasticsearch: {enabled: false}').objects, 'CronJob', 'aiops-platform-postgresql-backup')).toBeDefined();
  });

  it('fs: a 20Gi ReadWriteOnce claim (100Gi in production) mounted at path.repo on every node', () => {
    assertValidK8sObjects(fs.objects.filter((o: any) => [NAME, CLAIM].includes(o.metadata.name)));
    expect(find(fs.objects, 'PersistentVolumeClaim', CLAIM).spec).toEqual({ accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '20Gi' } } });
    expect(elasticsearchYml(fs)['path.repo']).toEqual(['/usr/share/elasticsearch/snapshots']);
    expect(node.container(fs, 'elasticsearch').volumeMounts).toContainEqual({ name: 'snapshots', mountPath: '/usr/share/elasticsearch/snapshots' });
    expect(node.pod(fs).volumes).toContainEqual({ name: 'snapshots', persistentVolumeClaim: { claimName: CLAIM } });
    const prod = renderYaml('global: {development: false}\nelasticsearch: {replicas: 1}\nbackup: {enabled: true}\n');
    expect(find(prod.objects, 'PersistentVolumeClaim', CLAIM).spec.resources.requests.storage).toBe('100Gi');
  });

  it('fs with three nodes: refuses ReadWriteOnce, naming the keys, and renders a ReadWriteMany claim when asked', () => {
    expect(problems('elasticsearch: {replicas: 3}\nbackup: {enabled: true}\n')).toEqual([
      expect.stringMatching(/^backup\.elasticsearch\.fs\.accessMode: elasticsearch\.replicas is 3 and every node mounts the fs snapshot volume: set backup\.elasticsearch\.fs\.accessMode: ReadWriteMany .*backup\.elasticsearch\.type: s3.*backup\.elasticsearch\.enabled: false$/),
    ]);
    expect(problems('global: {development: false}\nbackup: {enabled: true}\n')).toHaveLength(1);
    // No backups, s3, or Elasticsearch snapshots off: no volume, no problem.
    expect(problems('elasticsearch: {replicas: 3}\nbackup: {elasticsearch: {fs: {accessMode: ReadWriteOnce}}}\n')).toEqual([]);
    expect(problems('elasticsearch: {replicas: 3}\nbackup: {enabled: true, elasticsearch: {enabled: false}}\n')).toEqual([]);
    const rwx = renderYaml('elasticsearch: {replicas: 3}\nbackup: {enabled: true, elasticsearch: {fs: {accessMode: ReadWriteMany, storageClass: nfs-client, size: 50Gi}}}\n');
    expect(find(rwx.objects, 'PersistentVolumeClaim', CLAIM).spec).toEqual({ accessModes: ['ReadWriteMany'], storageClassName: 'nfs-client', resources: { requests: { storage: '50Gi' } } });
  });

  it('runs the snapshot CronJob on backup.schedule, restricted, with curl of the Elasticsearch image, as snapshot_manager', () => {
    const cron = backupJob.object(fs);
    expect(cron.spec).toMatchObject({ schedule: '15 2 * * *', concurrencyPolicy: 'Forbid' });
    expect(cron.spec.jobTemplate.spec).toMatchObject({ backoffLimit: 2, activeDeadlineSeconds: 21600 });
    expect(backupJob.container(fs).image).toBe('docker.elastic.co/elasticsearch/elasticsearch:8.19.3');
    expect(backupJob.container(fs).securityContext).toEqual(RESTRICTED_CONTAINER);
    expect(backupJob.pod(fs).securityContext).toMatchObject({ runAsUser: 1000, runAsNonRoot: true });
    expect(backupJob.container(fs).resources).toEqual({ requests: { cpu: '50m', memory: '128Mi' }, limits: { memory: '512Mi' } });
    expect(envValues(backupJob.container(fs))).toEqual({
      ES_URL: 'http://aiops-platform-elasticsearch.aiops-platform.svc.cluster.local:9200',
      REPOSITORY: 'aiops-platform-backups',
      SNAPSHOT_PREFIX: 'aiops-platform',
      KEEP: '7',
      WORK_DIR: '/run/elasticsearch-backup',
    });
    expect(backupJob.env(fs, 'SNAPSHOT_MANAGER_PASSWORD')).toEqual({ name: 'SNAPSHOT_MANAGER_PASSWORD', valueFrom: { secretKeyRef: { name: ES, key: 'snapshot-manager-password' } } });
    // It only calls the API: no volume but its script and in-memory scratch space.
    expect(backupJob.pod(fs).volumes.map((v: any) => v.name)).toEqual(['script', 'work']);
    const tuned = render(', schedule: "0 */6 * * *", keep: 30');
    expect(backupJob.object(tuned).spec.schedule).toBe('0 */6 * * *');
    expect(backupJob.env(tuned, 'KEEP').value).toBe('30');
  });

  it('the setup Job registers the repository last, then the snapshot_manager role and user; the Secret holds its password', () => {
    const setup = files(fs, SETUP);
    expect(JSON.parse(setup['snapshot-repository.json']!)).toEqual({ type: 'fs', settings: { location: '/usr/share/elasticsearch/snapshots', compress: true } });
    expect(JSON.parse(setup['snapshot-manager-role.json']!)).toEqual({
      cluster: ['create_snapshot', 'cluster:admin/snapshot/delete'],
      indices: [],
      metadata: { managed_by: SETUP },
    });
    expect(JSON.parse(setup['snapshot-manager-user.json']!)).toMatchObject({ roles: ['snapshot_manager'], enabled: true });
    expect(setup['setup.sh']).toMatch(/request PUT '\/_snapshot\/aiops-platform-backups' "\$config"\/'snapshot-repository\.json'\nrequest PUT '\/_security\/role\/snapshot_manager'/);
    expect(setup['setup.sh']).toContain('check_password SNAPSHOT_MANAGER_PASSWORD "$SNAPSHOT_MANAGER_PASSWORD"');
    expect(setupJob.env(fs, 'SNAPSHOT_MANAGER_PASSWORD').valueFrom.secretKeyRef).toEqual({ name: ES, key: 'snapshot-manager-password' });
    expect(Object.keys(find(fs.objects, 'Secret', ES).stringData ?? find(fs.objects, 'Secret', ES).data)).toContain('snapshot-manager-password');
    // Without backups the Secret and the setup pod do not mention it (existing Secrets need no new key).
    const plain = renderYaml('{}');
    expect(JSON.stringify(find(plain.objects, 'Secret', ES))).not.toContain('snapshot');
    expect(JSON.stringify(setupJob.object(plain))).not.toContain('SNAPSHOT');
  });

  it('with security off: no user, no password, anonymous calls', () => {
    const r = render('', 'elasticsearch: {auth: {enabled: false}}\nbackup: {enabled: true');
    expect(files(r, SETUP)['snapshot-repository.json']).toBeDefined();
    expect(files(r, SETUP)['snapshot-manager-user.json']).toBeUndefined();
    expect(backupJob.container(r).env.map((e: any) => e.name)).toEqual(['ES_URL', 'REPOSITORY', 'SNAPSHOT_PREFIX', 'KEEP', 'WORK_DIR']);
    expect(files(r, NAME)['snapshot.sh']).not.toContain('curl.conf');
  });

  it('s3: client settings in elasticsearch.yml, the keys from the Secret into the keystore at start, no volume', () => {
    const r = render(S3);
    const yml = elasticsearchYml(r);
    expect(yml['path.repo']).toBeUndefined();
    expect(Object.fromEntries(Object.entries(yml).filter(([k]) => k.startsWith('s3.')))).toEqual({
      's3.client.backup.endpoint': 'minio.storage.svc:9000',
      's3.client.backup.protocol': 'http',
      's3.client.backup.path_style_access': true,
      's3.client.backup.region': 'garage',
    });
    expect(JSON.stringify(r.objects)).not.toContain(CLAIM);
    expect(JSON.parse(files(r, SETUP)['snapshot-repository.json']!)).toEqual({
      type: 's3',
      settings: { bucket: 'aiops-snapshots', client: 'backup', base_path: 'prod/es', compress: true },
    });
    const env = node.container(r, 'elasticsearch').env;
    expect(env).toContainEqual({ name: 'S3_ACCESS_KEY', valueFrom: { secretKeyRef: { name: 's3-keys', key: 'access-key' } } });
    expect(env).toContainEqual({ name: 'S3_SECRET_KEY', valueFrom: { secretKeyRef: { name: 's3-keys', key: 'secret-key' } } });
    const start = files(r, ES)['start.sh']!;
    expect(start).toContain(`printf '%s' "$S3_ACCESS_KEY" | '/usr/share/elasticsearch/bin/elasticsearch-keystore' add --stdin --force 's3.client.backup.access_key'\nunset S3_ACCESS_KEY`);
    expect(start).toContain(`printf '%s' "$S3_SECRET_KEY" | '/usr/share/elasticsearch/bin/elasticsearch-keystore' add --stdin --force 's3.client.backup.secret_key'\nunset S3_SECRET_KEY`);
    // The keystore is filled before the image's entrypoint starts Elasticsearch.
    expect(start.indexOf('keystore')).toBeLessThan(start.indexOf('exec /usr/local/bin/docker-entrypoint.sh'));
    const keys = renderYaml(`backup: {enabled: true${S3.replace('existingSecret: s3-keys', 'existingSecret: s3-keys, accessKeyKey: AWS_ACCESS_KEY_ID, secretKeyKey: AWS_SECRET_ACCESS_KEY')}}\n`);
    expect(node.env(keys, 'S3_ACCESS_KEY', 'elasticsearch').valueFrom.secretKeyRef.key).toBe('AWS_ACCESS_KEY_ID');
    // AWS itself: no endpoint, https.
    const aws = render(', elasticsearch: {type: s3, s3: {bucket: my-bucket, existingSecret: s3-keys}}');
    expect(Object.entries(elasticsearchYml(aws)).filter(([k]) => k.startsWith('s3.'))).toEqual([
      ['s3.client.backup.protocol', 'https'],
      ['s3.client.backup.path_style_access', false],
    ]);
    // Three nodes need no shared volume with s3.
    expect(problems(`elasticsearch: {replicas: 3}\nbackup: {enabled: true${S3}}\n`)).toEqual([]);
  });

  it('s3 needs a bucket and the Secret of the keys', () => {
    expect(problems('backup: {enabled: true, elasticsearch: {type: s3}}\n')).toEqual([
      expect.stringMatching(/^backup\.elasticsearch\.s3\.bucket: type s3 needs a bucket/),
      expect.stringMatching(/^backup\.elasticsearch\.s3\.existingSecret: type s3 needs the Secret/),
    ]);
  });

  it.each([
    ['repository', `{repository: "a'b"}`],
    ['repository', '{repository: "x$(id)"}'],
    ['repository', '{repository: "a\\nb"}'],
    ['repository', '{repository: "{{.Values}}"}'],
    ['repository', '{repository: "${HOME}"}'],
    ['repository', '{repository: "_internal"}'],
    ['repository', '{repository: "Upper"}'],
    ['s3.bucket', '{s3: {bucket: "b\'; rm -rf /"}}'],
    ['s3.bucket', '{s3: {bucket: "my..bucket"}}'],
    ['s3.bucket', '{s3: {bucket: "192.168.1.10"}}'],
    ['s3.bucket', '{s3: {bucket: "xn--bucket"}}'],
    ['s3.bucket', '{s3: {bucket: "ab"}}'],
    ['s3.bucket', '{s3: {bucket: "My-Bucket"}}'],
    ['s3.endpoint', '{s3: {endpoint: "https://minio:9000"}}'],
    ['s3.endpoint', '{s3: {endpoint: "${S3_HOST}"}}'],
    ['s3.endpoint', '{s3: {endpoint: "minio:99999"}}'],
    ['s3.endpoint', '{s3: {endpoint: "minio\\n  evil: true"}}'],
    ['s3.endpoint', '{s3: {endpoint: "$(id).example.com"}}'],
    ['s3.region', '{s3: {region: "us east"}}'],
    ['s3.region', '{s3: {region: "${REGION}"}}'],
    ['s3.basePath', '{s3: {basePath: "/abs"}}'],
    ['s3.basePath', '{s3: {basePath: "a//b"}}'],
    ['s3.basePath', '{s3: {basePath: "a/../b"}}'],
    ['s3.basePath', '{s3: {basePath: "a\\"b"}}'],
    ['s3.basePath', '{s3: {basePath: "{{x}}"}}'],
    ['s3.basePath', '{s3: {basePath: "a\\nb"}}'],
    ['s3.accessKeyKey', '{s3: {accessKeyKey: "key with space"}}'],
    ['s3.existingSecret', '{s3: {existingSecret: "Bad_Name"}}'],
    ['fs.accessMode', '{fs: {accessMode: ReadOnlyMany}}'],
  ])('rejects a hostile or invalid %s: %s', (key, slice) => {
    const found = problems(`backup:\n  elasticsearch: ${slice}\n`);
    expect(found.length, found.join('\n')).toBeGreaterThan(0);
    expect(found.every((p) => p.startsWith(`backup.elasticsearch.${key}: `)), found.join('\n')).toBe(true);
  });

  it('accepts the usual spellings', () => {
    expect(problems('backup:\n  enabled: true\n  elasticsearch:\n    repository: logs_backups-2\n    type: s3\n    s3: {bucket: my.bucket-01, endpoint: "10.0.0.5:9000", region: eu-central-1, basePath: "clusters/prod_1/es.v8", existingSecret: s3-keys}\n')).toEqual([]);
  });

  it('NetworkPolicies: the CronJob reaches Elasticsearch only; with s3 the nodes reach the endpoint port', () => {
    const r = renderYaml('networkPolicy: {enabled: true}\nbackup: {enabled: true}\n');
    const policies = ofKind(r.objects, 'NetworkPolicy');
    const own = policies.find((p: any) => p.metadata.name === NAME);
    expect(own.spec.ingress ?? []).toEqual([]);
    const egress = JSON.stringify(own.spec.egress);
    expect(egress).toContain('"app.kubernetes.io/component":"log-store"');
    expect(egress).not.toContain('"app.kubernetes.io/component":"database"');
    const server = policies.find((p: any) => p.metadata.name === ES);
    expect(server.spec.ingress).toContainEqual({
      from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'aiops-platform' } }, podSelector: { matchLabels: { 'app.kubernetes.io/component': 'backup', 'app.kubernetes.io/instance': 'aiops-platform', 'app.kubernetes.io/name': 'elasticsearch' } } }],
      ports: [{ port: 9200, protocol: 'TCP' }],
    });
    const world = (p: any) => p.spec.egress.filter((e: any) => !e.to).map((e: any) => e.ports);
    expect(world(server)).toEqual([]);
    const s3 = renderYaml(`networkPolicy: {enabled: true}\nbackup: {enabled: true${S3}}\n`);
    expect(world(ofKind(s3.objects, 'NetworkPolicy').find((p: any) => p.metadata.name === ES))).toEqual([[{ port: 9000, protocol: 'TCP' }]]);
    const aws = renderYaml('networkPolicy: {enabled: true}\nbackup: {enabled: true, elasticsearch: {type: s3, s3: {bucket: my-bucket, existingSecret: s3-keys}}}\n');
    expect(world(ofKind(aws.objects, 'NetworkPolicy').find((p: any) => p.metadata.name === ES))).toEqual([[{ port: 443, protocol: 'TCP' }]]);
  });

  it('renders scripts that parse with sh -n (and bash -n when present)', () => {
    for (const shell of ['sh', ...(onPath('bash') ? ['bash'] : [])]) {
      for (const script of [files(fs, NAME)['snapshot.sh']!, files(render(S3), ES)['start.sh']!, files(fs, SETUP)['setup.sh']!]) {
        const r = spawnSync(shell, ['-n'], { input: script, encoding: 'utf8' });
        expect(r.status, r.stderr).toBe(0);
      }
    }
  });
});

// ---------------------------------------------------------------------------------------------
// The rendered scripts against a fake Elasticsearch

const SHELLS = ['sh', ...(onPath('bash') ? ['bash'] : [])];
const haveTools = toolsPresent('the snapshot scripts', ['sh', 'curl', 'sed', 'tr', 'sort', 'head', 'wc'].filter((b) => !onPath(b)), 'Debian: apt-get install curl');
const PASSWORD = `snap "q" \\ $HOME \`x\` 'single' ü`;
const SECRET: Record<string, string> = {
  'elastic-password': 'el "quoted" $(id)',
  'kibana-system-password': 'kibana-pass',
  'logstash-writer-password': 'logstash-pass',
  'logs-reader-password': 'reader-pass',
  'metrics-reader-password': 'metrics-pass',
  'snapshot-manager-password': PASSWORD,
};

const cleanups: (() => unknown)[] = [];
afterAll(async () => {
  for (const c of cleanups) await c();
});

/** Runs `file` of the ConfigMap `configMap` with the env of `container`, ES_URL and the directories pointed at the fake and temp dirs. */
async function runScript(shell: string, r: TestRender, configMap: string, file: string, container: any, esUrl: string) {
  const root = mkdtempSync(join(tmpdir(), 'es-backup-'));
  cleanups.push(() => rmSync(root, { recursive: true, force: true }));
  const [config, work] = [join(root, 'config'), join(root, 'work')];
  mkdirSync(config);
  mkdirSync(work);
  for (const [name, text] of Object.entries(files(r, configMap))) writeFileSync(join(config, name), text);
  const overrides: Record<string, string> = { ES_URL: esUrl, WORK_DIR: work, SETUP_CONFIG_DIR: config, SETUP_WORK_DIR: work };
  const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
  for (const e of container.env) env[e.name] = overrides[e.name] ?? e.value ?? SECRET[e.valueFrom.secretKeyRef.key]!;
  return runProcess(shell, [join(config, file)], { env, timeoutMs: 30_000 });
}

/** `aiops-platform-<date>-<time>` of `days` ago. */
const ours = (days: number, time = '021500') => `aiops-platform-${new Date(Date.now() - days * 86_400_000).toISOString().slice(0, 10).replaceAll('-', '.')}-${time}`;

/** A fake repository: `existing` snapshots (id → status) in `_cat/snapshots`, the new one ending `ends`. */
async function fakeRepository(o: { existing: Record<string, string>; ends?: string; auth?: string }) {
  let taken = '';
  const respond = (r: RecordedRequest): FakeAnswer => {
    if (r.authorization !== o.auth) return [401, { error: 'unauthenticated' }];
    const path = r.url.split('?')[0]!;
    if (r.method === 'PUT' && path.startsWith('/_snapshot/aiops-platform-backups/')) {
      taken = path.slice('/_snapshot/aiops-platform-backups/'.length);
      return [200, { accepted: true }];
    }
    if (r.method === 'GET' && path === `/_snapshot/aiops-platform-backups/${taken}`) {
      return [200, { snapshots: [{ snapshot: taken, repository: 'aiops-platform-backups', state: o.ends ?? 'SUCCESS', shards: { failed: 0 } }], total: 1, remaining: 0 }];
    }
    if (r.method === 'GET' && r.url === '/_cat/snapshots/aiops-platform-backups?h=id,status&s=id') {
      const rows = Object.entries({ ...o.existing, [taken]: o.ends ?? 'SUCCESS' }).sort(([a], [b]) => (a < b ? -1 : 1));
      return [200, rows.map(([id, status]) => `${id} ${status}`).join('\n') + '\n', 'text'];
    }
    if (r.method === 'DELETE' && path.startsWith('/_snapshot/aiops-platform-backups/')) return [200, { acknowledged: true }];
    return [404, { error: `unexpected ${r.method} ${r.url}` }];
  };
  const es = await startFakeElasticsearch(respond);
  cleanups.push(() => es.close());
  return es;
}

describe.runIf(haveTools).each(SHELLS)('the snapshot script run by %s', (shell) => {
  const r = render(', keep: 3');
  const container = backupJob.container(r);
  const auth = basicAuth('snapshot_manager', PASSWORD);

  it('takes a dated snapshot, waits for SUCCESS, then deletes the oldest beyond keep and its own failed ones, never others', async () => {
    const existing = {
      [ours(5)]: 'SUCCESS',
      [ours(4)]: 'SUCCESS',
      [ours(3)]: 'FAILED',
      [ours(2)]: 'SUCCESS',
      [ours(1)]: 'SUCCESS',
      'manual-before-upgrade': 'SUCCESS',
      'other-release-2020.01.01-000000': 'SUCCESS',
      'aiops-platform-extra': 'SUCCESS',
    };
    const es = await fakeRepository({ existing, auth });
    const run = await runScript(shell, r, NAME, 'snapshot.sh', container, es.url);
    expect(run.code, output(run)).toBe(0);
    const calls = es.calls();
    const taken = /^PUT \/_snapshot\/aiops-platform-backups\/(aiops-platform-\d{4}\.\d\d\.\d\d-\d{6})$/.exec(calls[0]!)?.[1];
    expect(taken, calls[0]).toBeDefined();
    expect(taken!.slice('aiops-platform-'.length, 'aiops-platform-'.length + 10)).toBe(new Date().toISOString().slice(0, 10).replaceAll('-', '.'));
    expect(calls).toEqual([
      `PUT /_snapshot/aiops-platform-backups/${taken}`,
      `GET /_snapshot/aiops-platform-backups/${taken}`,
      'GET /_cat/snapshots/aiops-platform-backups?h=id,status&s=id',
      // Five successful ones of its own (with today's), keep 3: the two oldest go, and the failed one.
      `DELETE /_snapshot/aiops-platform-backups/${ours(5)}`,
      `DELETE /_snapshot/aiops-platform-backups/${ours(4)}`,
      `DELETE /_snapshot/aiops-platform-backups/${ours(3)}`,
    ]);
    expect(JSON.parse(es.requests[0]!.body)).toEqual({ indices: '*', include_global_state: true });
    expect(es.requests.every((q) => q.authorization === auth)).toBe(true);
    expect(run.stdout).toContain(`snapshot ${taken}: SUCCESS`);
    expect(run.stdout).toContain('repository aiops-platform-backups: 3 snapshots kept, 3 deleted');
  });

  it('deletes nothing while fewer than keep exist', async () => {
    const es = await fakeRepository({ existing: { [ours(1)]: 'SUCCESS' }, auth });
    const run = await runScript(shell, r, NAME, 'snapshot.sh', container, es.url);
    expect(run.code, output(run)).toBe(0);
    expect(es.calls().filter((c) => c.startsWith('DELETE'))).toEqual([]);
    expect(run.stdout).toContain('2 snapshots kept, 0 deleted');
  });

  it('fails on a snapshot that ends PARTIAL, deleting nothing', async () => {
    const es = await fakeRepository({ existing: { [ours(9)]: 'SUCCESS', [ours(8)]: 'SUCCESS', [ours(7)]: 'SUCCESS', [ours(6)]: 'SUCCESS' }, ends: 'PARTIAL', auth });
    const run = await runScript(shell, r, NAME, 'snapshot.sh', container, es.url);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/snapshot aiops-platform-[\d.-]+ ended PARTIAL:/);
    expect(es.calls()).toHaveLength(2);
  });

  it('stops at once when the password is refused', async () => {
    const es = await fakeRepository({ existing: {}, auth: basicAuth('snapshot_manager', 'another') });
    const run = await runScript(shell, r, NAME, 'snapshot.sh', container, es.url);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/PUT \/_snapshot\/aiops-platform-backups\/aiops-platform-[\d.-]+ failed with HTTP 401:/);
    expect(es.calls()).toHaveLength(1);
  });

  it('the setup script registers the repository, then the role and the user with the password intact', async () => {
    const es = await startFakeElasticsearch((q) => (q.url.startsWith('/_cluster/health') ? [200, { status: 'yellow' }] : [200, { acknowledged: true }]));
    cleanups.push(() => es.close());
    const run = await runScript(shell, r, SETUP, 'setup.sh', setupJob.container(r), es.url);
    expect(run.code, output(run)).toBe(0);
    expect(es.calls().slice(-3)).toEqual(['PUT /_snapshot/aiops-platform-backups', 'PUT /_security/role/snapshot_manager', 'PUT /_security/user/snapshot_manager']);
    const [repository, role, user] = es.requests.slice(-3).map((q) => JSON.parse(q.body));
    expect(repository).toEqual(JSON.parse(files(r, SETUP)['snapshot-repository.json']!));
    expect(role.cluster).toEqual(['create_snapshot', 'cluster:admin/snapshot/delete']);
    expect(user).toEqual({ password: PASSWORD, ...JSON.parse(files(r, SETUP)['snapshot-manager-user.json']!) });
  });
});
