import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Testing } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { PlatformChart } from '../../src/chart.js';
import { redisClusterStartScript } from '../../src/components/data/redis-scripts.js';
import { buildValuesSchema, profileFor } from '../../src/values/schema/index.js';
import { registerCrdValidators } from '../support/crd-validate.js';
import { assertValidK8sObjects } from '../support/k8s-validate.js';
import { containerOf, envOf, find } from '../support/render.js';
import { STAND_IN_CODE } from '../support/service-code.js';

registerCrdValidators();

type Obj = any;

/** Renders the chart with `redis` values (and optionally the production profile). */
function render(redis: Record<string, unknown> = {}, development = true): { objects: Obj[]; warnings: string[] } {
  const values = buildValuesSchema(profileFor(development)).parse({ global: { development }, redis });
  const chart = new PlatformChart(Testing.app(), 'test', { values, release: 'aiops-platform', namespace: 'aiops-platform', serviceCode: STAND_IN_CODE });
  return { objects: Testing.synth(chart), warnings: chart.warnings };
}

const redisObjects = (objects: Obj[]) => objects.filter((o) => o.metadata?.labels?.['app.kubernetes.io/name'] === 'redis');
const sts = (objects: Obj[]) => find(objects, 'StatefulSet', 'aiops-platform-redis');
const job = (objects: Obj[]) => find(objects, 'Job', 'aiops-platform-redis-cluster-init');
const jobScript = (objects: Obj[]): string => job(objects).spec.template.spec.containers[0].command[2];
const initScript = (objects: Obj[]): string => containerOf(sts(objects).spec.template.spec, 'auth-config').command[2];
const redisConf = (objects: Obj[]): string => find(objects, 'ConfigMap', 'aiops-platform-redis').data['redis.conf'];

/** `sh -n`: parses the script without running it. */
function shellSyntaxErrors(script: string): string {
  const result = spawnSync('sh', ['-n'], { input: script, encoding: 'utf8' });
  return result.status === 0 ? '' : result.stderr || `exit ${result.status}`;
}

describe('Redis', () => {
  it('renders a standalone StatefulSet with one replica, a client and a headless Service by default', () => {
    const { objects } = render();
    const statefulSet = sts(objects);
    expect(statefulSet.spec.replicas).toBe(1);
    expect(statefulSet.spec.podManagementPolicy).toBe('OrderedReady');
    expect(statefulSet.spec.serviceName).toBe('aiops-platform-redis-headless');
    const client = find(objects, 'Service', 'aiops-platform-redis');
    expect(client.spec.ports.map((p: Obj) => p.port)).toEqual([6379, 9121]);
    const headless = find(objects, 'Service', 'aiops-platform-redis-headless');
    expect(headless.spec.clusterIP).toBe('None');
    expect(headless.spec.publishNotReadyAddresses).toBe(true);
    expect(headless.spec.ports.map((p: Obj) => p.port)).toEqual([6379]);
    expect(redisObjects(objects).some((o) => o.kind === 'Job')).toBe(false);
    expect(redisObjects(objects).some((o) => o.kind === 'PodDisruptionBudget')).toBe(false);
  });

  it('renders only valid Kubernetes objects in standalone and cluster mode', () => {
    assertValidK8sObjects(render().objects);
    assertValidK8sObjects(render({ cluster: { enabled: true } }).objects);
  });

  it('runs as the redis user with a restricted, read-only container and probes that ping through redis-cli', () => {
    const pod = sts(render().objects).spec.template.spec;
    expect(pod.securityContext).toMatchObject({ runAsUser: 999, runAsGroup: 999, runAsNonRoot: true });
    const redis = containerOf(pod, 'redis');
    expect(redis.command).toEqual(['redis-server', '/etc/redis/redis.conf']);
    expect(redis.securityContext.readOnlyRootFilesystem).toBe(true);
    expect(redis.readinessProbe.exec.command).toEqual(['sh', '-c', 'redis-cli -h 127.0.0.1 -p 6379 ping | grep -q PONG']);
    expect(redis.startupProbe.failureThreshold * redis.startupProbe.periodSeconds).toBe(120);
    expect(redis.volumeMounts.map((m: Obj) => m.mountPath)).toEqual(['/data', '/etc/redis', '/run/redis', '/tmp']);
    const metrics = containerOf(pod, 'metrics');
    expect(metrics.readinessProbe.httpGet.path).toBe('/health');
    expect(envOf(metrics, 'REDIS_ADDR').value).toBe('redis://127.0.0.1:6379');
    const annotations = sts(render().objects).spec.template.metadata.annotations;
    expect(annotations['prometheus.io/port']).toBe('9121');
    expect(annotations['checksum/config']).toMatch(/^[a-f0-9]{64}$/);
  });

  it('keeps the password out of ConfigMaps and plain env values: only the Secret holds it', () => {
    const password = 'Zq7Kv9"w\\x';
    const { objects } = render({ auth: { password } });
    const secret = find(objects, 'Secret', 'aiops-platform-redis');
    expect(secret.stringData['redis-password']).toBe(password);
    for (const o of objects.filter((x) => x.kind !== 'Secret')) expect(JSON.stringify(o)).not.toContain('Zq7Kv9');
    for (const cm of objects.filter((o) => o.kind === 'ConfigMap')) expect(JSON.stringify(cm.data ?? {})).not.toContain('requirepass');
    expect(redisConf(objects)).toMatch(/include \/run\/redis\/auth\.conf\n$/);
    expect(redisConf(objects)).toContain('protected-mode yes\n');
  });

  it('reads REDIS_PASSWORD and REDISCLI_AUTH from the Secret', () => {
    const pod = sts(render().objects).spec.template.spec;
    const ref = { secretKeyRef: { name: 'aiops-platform-redis', key: 'redis-password' } };
    expect(envOf(containerOf(pod, 'redis'), 'REDISCLI_AUTH').valueFrom).toEqual(ref);
    expect(envOf(containerOf(pod, 'metrics'), 'REDIS_PASSWORD').valueFrom).toEqual(ref);
    expect(envOf(containerOf(pod, 'auth-config'), 'REDIS_PASSWORD').valueFrom).toEqual(ref);
    expect(containerOf(pod, 'auth-config').volumeMounts).toEqual([{ name: 'run', mountPath: '/run/redis' }]);
    expect(pod.volumes.find((v: Obj) => v.name === 'run').emptyDir.medium).toBe('Memory');
  });

  it('uses an existingSecret without rendering a Secret', () => {
    const { objects } = render({ auth: { existingSecret: 'my-redis' } });
    expect(redisObjects(objects).some((o) => o.kind === 'Secret')).toBe(false);
    const pod = sts(objects).spec.template.spec;
    expect(envOf(containerOf(pod, 'redis'), 'REDISCLI_AUTH').valueFrom.secretKeyRef.name).toBe('my-redis');
    expect(envOf(containerOf(pod, 'metrics'), 'REDIS_PASSWORD').valueFrom.secretKeyRef.name).toBe('my-redis');
  });

  it('renders no Secret, no init container and no include with auth disabled, and turns protected mode off', () => {
    const { objects } = render({ auth: { enabled: false } });
    expect(redisObjects(objects).some((o) => o.kind === 'Secret')).toBe(false);
    const pod = sts(objects).spec.template.spec;
    expect(pod.initContainers).toBeUndefined();
    expect(envOf(containerOf(pod, 'redis'), 'REDISCLI_AUTH')).toBeUndefined();
    expect(envOf(containerOf(pod, 'metrics'), 'REDIS_PASSWORD')).toBeUndefined();
    expect(redisConf(objects)).toContain('protected-mode no\n');
    expect(redisConf(objects)).not.toContain('include');
  });

  it('sets maxmemory to 80 % of the memory limit with LRU eviction and maps the log level', () => {
    const conf = redisConf(render({ resources: { requests: { cpu: '100m', memory: '1Gi' }, limits: { memory: '1Gi' } } }).objects);
    expect(conf).toContain(`maxmemory ${Math.floor(2 ** 30 * 0.8)}\n`);
    expect(conf).toContain('maxmemory-policy allkeys-lru\n');
    expect(conf).toContain('loglevel debug\n');
    expect(conf).toContain('save ""\n');
    expect(redisConf(render({}, false).objects)).toContain('loglevel notice\n');
  });

  it('forms a 6-node cluster: replicas, bus port, cluster config, parallel start and the init Job', () => {
    const { objects } = render({ cluster: { enabled: true, nodes: 6 } });
    const statefulSet = sts(objects);
    expect(statefulSet.spec.replicas).toBe(6);
    expect(statefulSet.spec.podManagementPolicy).toBe('Parallel');
    const redis = containerOf(statefulSet.spec.template.spec, 'redis');
    expect(redis.command.slice(0, 2)).toEqual(['sh', '-c']);
    expect(redis.args).toEqual(['redis-server', '/etc/redis/redis.conf', '--cluster-announce-ip', '$(POD_IP)']);
    expect(envOf(redis, 'POD_IP').valueFrom.fieldRef.fieldPath).toBe('status.podIP');
    expect(envOf(containerOf(statefulSet.spec.template.spec, 'metrics'), 'REDIS_EXPORTER_IS_CLUSTER').value).toBe('true');
    const headless = find(objects, 'Service', 'aiops-platform-redis-headless');
    expect(headless.spec.ports.map((p: Obj) => p.port)).toEqual([6379, 16379]);
    expect(redisConf(objects)).toContain('cluster-enabled yes\n');
    expect(redisConf(objects)).toContain('cluster-config-file /data/nodes.conf\n');
    const script = jobScript(objects);
    expect(script).toContain('--cluster-replicas 1');
    for (let i = 0; i < 6; i++) {
      expect(script).toContain(`aiops-platform-redis-${i}.aiops-platform-redis-headless.aiops-platform.svc.cluster.local`);
    }
    expect(script).not.toContain('aiops-platform-redis-6.');
    expect(redisObjects(objects).filter((o) => o.kind === 'PodDisruptionBudget')).toHaveLength(1);
  });

  it('runs the cluster Job as a restricted, bounded, retrying pod that the Services never select', () => {
    const { objects } = render({ cluster: { enabled: true } });
    const j = job(objects);
    expect(j.spec).toMatchObject({ backoffLimit: 20, ttlSecondsAfterFinished: 300, activeDeadlineSeconds: 1800 });
    const pod = j.spec.template.spec;
    expect(pod.restartPolicy).toBe('OnFailure');
    expect(pod.securityContext.runAsUser).toBe(999);
    expect(pod.containers[0].resources.requests).toBeDefined();
    expect(pod.containers[0].securityContext.allowPrivilegeEscalation).toBe(false);
    expect(envOf(pod.containers[0], 'REDISCLI_AUTH').valueFrom.secretKeyRef.key).toBe('redis-password');
    expect(j.spec.template.metadata.labels['app.kubernetes.io/component']).toBe('cluster-init');
    expect(find(objects, 'Service', 'aiops-platform-redis').spec.selector['app.kubernetes.io/component']).toBe('cache');
  });

  it('lists every node of an 8-node cluster in the Job script', () => {
    const script = jobScript(render({ cluster: { enabled: true, nodes: 8 } }).objects);
    for (let i = 0; i < 8; i++) expect(script).toContain(`aiops-platform-redis-${i}.aiops-platform-redis-headless`);
  });

  it('the cluster Job script grows a formed cluster in master/replica pairs and only reports a shrink', () => {
    const script = jobScript(render({ cluster: { enabled: true, nodes: 8 } }).objects);
    expect(shellSyntaxErrors(script)).toBe('');
    // Node ids of the desired hosts, then the steps in order: form, stop on extra nodes, add, rebalance.
    const steps = [
      'cluster myid',
      'redis-cli --cluster create $addresses --cluster-replicas 1 --cluster-yes',
      'removing nodes is not automated, nothing was changed',
      'redis-cli --cluster add-node "$ip:6379" "$first_ip:6379" --cluster-slave --cluster-master-id "$master"',
      'redis-cli --cluster add-node "$ip:6379" "$first_ip:6379"\n',
      'redis-cli --cluster rebalance "$first_ip:6379" --cluster-use-empty-masters --cluster-yes',
    ].map((step) => script.indexOf(step));
    expect(steps.every((at) => at > 0), String(steps)).toBe(true);
    expect(steps).toEqual([...steps].sort((x, y) => x - y));
    expect(script).toContain('redis-cli --cluster check "$first_ip:6379"');
    // The manual scale-in steps: reshard, then del-node.
    expect(script).toMatch(/--cluster reshard \$first_ip:6379 --cluster-from <its id>[^\n]*\n[^\n]*\n[^\n]*--cluster del-node \$first_ip:6379 <its id>/);
    // Every wait is bounded by the shared deadline, and no password is passed on a command line.
    const waits = script.split('\n').filter((l) => /^\s*until /.test(l));
    expect(waits.length).toBeGreaterThanOrEqual(5);
    for (const w of waits) expect(script.slice(script.indexOf(w)).split('done')[0], w).toContain('wait_or_fail');
    expect(script).not.toMatch(/ -a |--pass|--user/);
  });

  it('starts cluster nodes through the re-meet start-up script, which then execs the args (redis-server stays PID 1)', () => {
    const { objects } = render({ cluster: { enabled: true, nodes: 6 } });
    const redis = containerOf(sts(objects).spec.template.spec, 'redis');
    const [sh, flag, script, name] = redis.command;
    expect([sh, flag, name]).toEqual(['sh', '-c', 'redis-cluster-start']);
    expect(shellSyntaxErrors(script)).toBe('');
    expect(script).toContain("peers='aiops-platform-redis-headless.aiops-platform.svc.cluster.local'\n");
    expect(script.trimEnd().split('\n').at(-1)).toBe('exec "$@"');
    // Known ids only, at addresses the node does not have, with the bus port; never a password on a command line.
    expect(script).toContain('cluster myid');
    expect(script).toContain('cluster meet "$ip" "$port" "$bus"');
    expect(script).toContain("port='6379'\nbus='16379'\n");
    expect(script).not.toMatch(/ -a |--pass|--user/);
    expect(envOf(redis, 'POD_IP').valueFrom.fieldRef.fieldPath).toBe('status.podIP');
    expect(envOf(redis, 'REDISCLI_AUTH').valueFrom.secretKeyRef.key).toBe('redis-password');
    // The pods' DNS names come from the headless Service, which publishes not-ready pods too.
    expect(find(objects, 'Service', 'aiops-platform-redis-headless').spec.publishNotReadyAddresses).toBe(true);
    // A replica takes over a master that stays down after a full restart (cache: availability first).
    expect(redisConf(objects)).toContain('cluster-replica-validity-factor 0\n');
    expect(redisConf(render().objects)).not.toContain('cluster-replica-validity-factor');
  });

  it('quotes the headless Service host in the start-up script (a hostile value stays one word) and resolves it in the pod IP family', () => {
    const hostile = `x'"; touch /tmp/PWNED; echo "$(id)\`id\``;
    const script = redisClusterStartScript(hostile);
    expect(shellSyntaxErrors(script)).toBe('');
    // Run the assignments only (up to the function), then print what the script holds.
    const head = script.slice(0, script.indexOf('heal() {'));
    const result = spawnSync('sh', ['-c', `${head}\nprintf '%s' "$peers"`], { env: { PATH: process.env.PATH, POD_IP: '10.0.0.1' }, encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe(hostile);
    // The address family of the lookup follows the pod's own (IPv6-only clusters resolve AAAA records).
    const family = (podIp: string) =>
      spawnSync('sh', ['-c', `${head}\nprintf '%s' "$family"`], { env: { PATH: process.env.PATH, POD_IP: podIp }, encoding: 'utf8' }).stdout;
    expect(family('10.0.0.1')).toBe('ahostsv4');
    expect(family('fd00::1')).toBe('ahostsv6');
  });

  it('uses an emptyDir named data when persistence is disabled', () => {
    const statefulSet = sts(render({ persistence: { enabled: false } }).objects);
    expect(statefulSet.spec.volumeClaimTemplates).toBeUndefined();
    expect(statefulSet.spec.template.spec.volumes.find((v: Obj) => v.name === 'data')).toEqual({ name: 'data', emptyDir: {} });
    expect(sts(render().objects).spec.volumeClaimTemplates[0].metadata.name).toBe('data');
  });

  it('renders a PodDisruptionBudget in the production profile', () => {
    const { objects } = render({ auth: { existingSecret: 'redis-credentials' } }, false);
    const pdb = find(objects, 'PodDisruptionBudget', 'aiops-platform-redis');
    expect(pdb.spec.selector.matchLabels['app.kubernetes.io/component']).toBe('cache');
  });

  it('generates shell scripts that parse', () => {
    const { objects } = render({ cluster: { enabled: true } });
    expect(shellSyntaxErrors(initScript(objects))).toBe('');
    expect(shellSyntaxErrors(jobScript(objects))).toBe('');
  });

  it('writes auth.conf with the password quoted for redis.conf and mode 0600', () => {
    const dir = mkdtempSync(join(tmpdir(), 'redis-auth-'));
    const script = initScript(render().objects).replaceAll('/run/redis/', `${dir}/`);
    const run = (password: string) => spawnSync('sh', ['-c', script], { env: { PATH: process.env.PATH, REDIS_PASSWORD: password }, encoding: 'utf8' });
    expect(run('a"b\\c $d').status).toBe(0);
    expect(readFileSync(join(dir, 'auth.conf'), 'utf8')).toBe('requirepass "a\\"b\\\\c $d"\nmasterauth "a\\"b\\\\c $d"\n');
    expect(statSync(join(dir, 'auth.conf')).mode & 0o777).toBe(0o600);
    expect(run('').stderr).toContain('is empty');
    expect(run('a\nb').stderr).toContain('line break');
  });
});
