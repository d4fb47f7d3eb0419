import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildEvent, FIELD_MANAGER, inClusterBaseUrl, KubeApiError, KubeClient, truncateUtf8 } from '../../../src/services/kit/kubernetes.js';
import { startFakeKubeApi, type FakeKubeApi } from '../../support/fake-kube-api.js';

/** Every call of the client against the recording fake API server over a real socket. */

let kube: FakeKubeApi;
let client: KubeClient;

const NS = 'apps';
const WRITE = `fieldManager=${FIELD_MANAGER}`;

beforeEach(async () => {
  kube = await startFakeKubeApi();
  client = new KubeClient(kube.clientOptions());
  kube.seed({
    pods: [
      { metadata: { name: 'web-0', namespace: NS, labels: { app: 'web' } } },
      { metadata: { name: 'db-0', namespace: NS, labels: { app: 'db' } } },
    ],
    deployments: [{ metadata: { name: 'web', namespace: NS }, spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template: {} } }],
    statefulsets: [{ metadata: { name: 'db', namespace: NS }, spec: { replicas: 1, serviceName: 'db', selector: { matchLabels: { app: 'db' } }, template: {} } }],
    horizontalpodautoscalers: [
      { metadata: { name: 'web', namespace: NS }, spec: { minReplicas: 2, maxReplicas: 6, scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' } } },
    ],
  });
});

afterEach(async () => {
  await kube.close();
});

/** The one request the fake received (after clearing), for exact assertions. */
function only() {
  expect(kube.requests).toHaveLength(1);
  return kube.requests[0]!;
}

/** The rejection of `promise`, which must be a KubeApiError. */
async function apiError(promise: Promise<unknown>): Promise<KubeApiError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(KubeApiError);
  return error as KubeApiError;
}

describe('KubeClient requests', () => {
  it('reads a pod with the bearer token, User-Agent and Accept headers; undefined when absent', async () => {
    const pod = await client.getPod(NS, 'web-0');
    expect(pod?.metadata?.labels).toEqual({ app: 'web' });
    const request = only();
    expect(request).toMatchObject({ method: 'GET', url: '/api/v1/namespaces/apps/pods/web-0', authorization: 'Bearer test-token', userAgent: FIELD_MANAGER, body: undefined });
    expect(await client.getPod(NS, 'gone')).toBeUndefined();
    expect(kube.requests[1]!.status).toBe(404);
  });

  it('evicts through the policy/v1 Eviction subresource (POST, JSON, fieldManager) and the pod is gone', async () => {
    expect(await client.evictPod(NS, 'web-0', { dryRun: false })).toEqual({ outcome: 'evicted' });
    const request = only();
    expect(request.method).toBe('POST');
    expect(request.url).toBe(`/api/v1/namespaces/apps/pods/web-0/eviction?${WRITE}`);
    expect(request.contentType).toBe('application/json');
    expect(request.body).toEqual({ apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'web-0', namespace: NS } });
    expect(request.status).toBe(201);
    expect(kube.get('pods', NS, 'web-0')).toBeUndefined();
    expect(kube.writes.map((w) => `${w.verb} ${w.resource} ${w.name}`)).toEqual(['evict pods web-0']);
  });

  it('reports an eviction a PodDisruptionBudget refuses (429) as blocked, not as an error, and keeps the pod', async () => {
    kube.addDisruptionBudget({ name: 'web-pdb', namespace: NS, matchLabels: { app: 'web' } });
    const result = await client.evictPod(NS, 'web-0', { dryRun: false });
    expect(result).toEqual({
      outcome: 'blocked',
      message: "Cannot evict pod as it would violate the pod's disruption budget. The disruption budget web-pdb needs 1 healthy pods and has 1 currently",
    });
    expect(only().status).toBe(429);
    expect(kube.get('pods', NS, 'web-0')).toBeDefined();
    // Another pod of the namespace is not covered by the budget.
    expect(await client.evictPod(NS, 'db-0', { dryRun: false })).toEqual({ outcome: 'evicted' });
  });

  it('throws on a 429 without a DisruptionBudget cause (API priority and fairness throttling)', async () => {
    kube.intercept(() => ({ status: 429, body: { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'TooManyRequests', message: 'Too many requests, please try again later.', code: 429 } }));
    const error = await apiError(client.evictPod(NS, 'web-0', { dryRun: false }));
    expect(error).toMatchObject({ status: 429, reason: 'TooManyRequests', method: 'POST', path: '/api/v1/namespaces/apps/pods/web-0/eviction' });
  });

  it('reports the eviction of an absent pod as not-found', async () => {
    expect(await client.evictPod(NS, 'gone', { dryRun: false })).toEqual({ outcome: 'not-found' });
    expect(only().status).toBe(404);
  });

  it('dry-runs an eviction with ?dryRun=All (and deleteOptions.dryRun, as kubectl does): the budget is checked, nothing is deleted', async () => {
    expect(await client.evictPod(NS, 'web-0', { dryRun: true })).toEqual({ outcome: 'evicted' });
    const request = only();
    expect(request.url).toBe(`/api/v1/namespaces/apps/pods/web-0/eviction?dryRun=All&${WRITE}`);
    expect(request.body).toEqual({ apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'web-0', namespace: NS }, deleteOptions: { dryRun: ['All'] } });
    expect(kube.get('pods', NS, 'web-0')).toBeDefined();
    kube.addDisruptionBudget({ name: 'web-pdb', namespace: NS, matchLabels: { app: 'web' } });
    expect((await client.evictPod(NS, 'web-0', { dryRun: true })).outcome).toBe('blocked');
    expect(kube.writes).toEqual([]);
  });

  it('reads the scale subresource of Deployments and StatefulSets; undefined when absent', async () => {
    const web = await client.getScale(NS, 'Deployment', 'web');
    const db = await client.getScale(NS, 'StatefulSet', 'db');
    expect(web).toEqual({ replicas: 2, resourceVersion: kube.get('deployments', NS, 'web')!.metadata.resourceVersion });
    expect(db?.replicas).toBe(1);
    expect(await client.getScale(NS, 'Deployment', 'gone')).toBeUndefined();
    expect(kube.calls()).toEqual([
      'GET /apis/apps/v1/namespaces/apps/deployments/web/scale',
      'GET /apis/apps/v1/namespaces/apps/statefulsets/db/scale',
      'GET /apis/apps/v1/namespaces/apps/deployments/gone/scale',
    ]);
  });

  it('scales with a JSON merge patch of the scale subresource and returns the new scale', async () => {
    const before = kube.get('deployments', NS, 'web')!.metadata.resourceVersion;
    const scale = await client.patchScale(NS, 'Deployment', 'web', 4, { dryRun: false });
    const request = only();
    expect(request.method).toBe('PATCH');
    expect(request.url).toBe(`/apis/apps/v1/namespaces/apps/deployments/web/scale?${WRITE}`);
    expect(request.contentType).toBe('application/merge-patch+json');
    expect(request.body).toEqual({ spec: { replicas: 4 } });
    const stored = kube.get('deployments', NS, 'web')!;
    expect(stored['spec']).toMatchObject({ replicas: 4 });
    expect(scale).toEqual({ replicas: 4, resourceVersion: stored.metadata.resourceVersion });
    expect(Number(scale.resourceVersion)).toBeGreaterThan(Number(before));
    await client.patchScale(NS, 'StatefulSet', 'db', 3, { dryRun: false });
    expect(kube.requests[1]!.path).toBe('/apis/apps/v1/namespaces/apps/statefulsets/db/scale');
    expect(kube.get('statefulsets', NS, 'db')!['spec']).toMatchObject({ replicas: 3 });
  });

  it('dry-runs a scale with ?dryRun=All: the answer shows the new replicas, the store is unchanged', async () => {
    const scale = await client.patchScale(NS, 'Deployment', 'web', 5, { dryRun: true });
    expect(scale.replicas).toBe(5);
    expect(only().url).toBe(`/apis/apps/v1/namespaces/apps/deployments/web/scale?dryRun=All&${WRITE}`);
    expect(kube.get('deployments', NS, 'web')!['spec']).toMatchObject({ replicas: 2 });
    expect(kube.writes).toEqual([]);
  });

  it('refuses replicas that are not a whole number ≥ 0 before any request', async () => {
    await expect(client.patchScale(NS, 'Deployment', 'web', -1, { dryRun: false })).rejects.toThrow(TypeError);
    await expect(client.patchScale(NS, 'Deployment', 'web', 1.5, { dryRun: false })).rejects.toThrow('invalid replicas 1.5');
    await expect(client.patchAutoscalerMinReplicas(NS, 'web', 0, { dryRun: false })).rejects.toThrow('invalid minReplicas 0');
    expect(kube.requests).toEqual([]);
  });

  it('reads an autoscaling/v2 HPA (undefined when absent) and raises its minReplicas with a merge patch', async () => {
    expect((await client.getAutoscaler(NS, 'web'))?.spec?.maxReplicas).toBe(6);
    expect(await client.getAutoscaler(NS, 'gone')).toBeUndefined();
    kube.clearRequests();
    const hpa = await client.patchAutoscalerMinReplicas(NS, 'web', 4, { dryRun: false });
    expect(hpa.spec?.minReplicas).toBe(4);
    const request = only();
    expect(request).toMatchObject({
      method: 'PATCH',
      url: `/apis/autoscaling/v2/namespaces/apps/horizontalpodautoscalers/web?${WRITE}`,
      contentType: 'application/merge-patch+json',
      body: { spec: { minReplicas: 4 } },
    });
    expect(kube.get('horizontalpodautoscalers', NS, 'web')!['spec']).toMatchObject({ minReplicas: 4, maxReplicas: 6 });
  });

  it('surfaces the API server refusing minReplicas above maxReplicas as a KubeApiError 422 Invalid', async () => {
    const error = await apiError(client.patchAutoscalerMinReplicas(NS, 'web', 7, { dryRun: true }));
    expect(error).toMatchObject({ status: 422, reason: 'Invalid', method: 'PATCH', path: '/apis/autoscaling/v2/namespaces/apps/horizontalpodautoscalers/web' });
    expect(error.message).toMatch(/^PATCH \/apis\/autoscaling\/v2\/namespaces\/apps\/horizontalpodautoscalers\/web: 422 Invalid: .*must be greater than or equal to `minReplicas`/);
    expect(error.statusObject?.details?.causes?.[0]?.field).toBe('spec.maxReplicas');
  });

  it('lists Jobs by an encoded equality label selector', async () => {
    const labels = { 'app.kubernetes.io/name': 'db-maintenance', 'aiops.io/action': 'optimize-database' };
    kube.seed({
      jobs: [
        { metadata: { name: 'vacuum-1', namespace: NS, labels } },
        { metadata: { name: 'other', namespace: NS, labels: { 'app.kubernetes.io/name': 'db-maintenance' } } },
        { metadata: { name: 'vacuum-elsewhere', namespace: 'other', labels } },
      ],
    });
    const jobs = await client.listJobs(NS, labels);
    expect(jobs.map((j) => j.metadata?.name)).toEqual(['vacuum-1']);
    expect(only().url).toBe('/apis/batch/v1/namespaces/apps/jobs?labelSelector=app.kubernetes.io%2Fname%3Ddb-maintenance%2Caiops.io%2Faction%3Doptimize-database');
    expect(only().query).toEqual({ labelSelector: 'app.kubernetes.io/name=db-maintenance,aiops.io/action=optimize-database' });
  });

  it('refuses selector keys and values that could widen the selector, before any request', async () => {
    await expect(client.listJobs(NS, { app: 'a,b' })).rejects.toThrow('invalid label value "a,b"');
    await expect(client.listJobs(NS, { 'app!': 'a' })).rejects.toThrow('invalid label key');
    expect(kube.requests).toEqual([]);
  });

  it('creates a Job (generateName honoured); a dry run stores nothing', async () => {
    const job = { metadata: { generateName: 'vacuum-', labels: { app: 'vacuum' } }, spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'x', image: 'postgres' }] } } } };
    const created = await client.createJob(NS, job, { dryRun: false });
    expect(created.metadata?.name).toMatch(/^vacuum-[a-z0-9]{5}$/);
    const request = only();
    expect(request).toMatchObject({ method: 'POST', url: `/apis/batch/v1/namespaces/apps/jobs?${WRITE}`, contentType: 'application/json' });
    expect(request.body).toEqual({ ...job, apiVersion: 'batch/v1', kind: 'Job' });
    expect(kube.get('jobs', NS, created.metadata!.name!)).toBeDefined();
    await client.createJob(NS, job, { dryRun: true });
    expect(kube.requests[1]!.url).toBe(`/apis/batch/v1/namespaces/apps/jobs?dryRun=All&${WRITE}`);
    expect(kube.list('jobs', NS)).toHaveLength(1);
  });

  it('creates a core/v1 Event that the API server validation accepts', async () => {
    const time = Date.parse('2024-05-01T12:00:00.123Z');
    const event = buildEvent({
      involvedObject: { kind: 'Pod', name: 'web-0', namespace: NS, apiVersion: 'v1' },
      reason: 'PodEvicted',
      action: 'Evict',
      message: 'evicted web-0: alert KubePodCrashLooping',
      type: 'Normal',
      reportingInstance: 'aiops-platform-self-healing-7d9f-abcde',
      time,
    });
    const created = await client.createEvent(NS, event);
    expect(created.metadata?.name).toMatch(/^web-0\.[a-z0-9]{5}$/);
    const request = only();
    expect(request).toMatchObject({ method: 'POST', url: `/api/v1/namespaces/apps/events?${WRITE}`, contentType: 'application/json', status: 201 });
    expect(request.body).toEqual({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { generateName: 'web-0.', namespace: NS },
      involvedObject: { kind: 'Pod', name: 'web-0', namespace: NS, apiVersion: 'v1' },
      reason: 'PodEvicted',
      action: 'Evict',
      message: 'evicted web-0: alert KubePodCrashLooping',
      type: 'Normal',
      source: { component: 'aiops-self-healing' },
      reportingComponent: 'aiops-self-healing',
      reportingInstance: 'aiops-platform-self-healing-7d9f-abcde',
      firstTimestamp: '2024-05-01T12:00:00Z',
      lastTimestamp: '2024-05-01T12:00:00Z',
      eventTime: '2024-05-01T12:00:00.123000Z',
      count: 1,
    });
  });

  it('cuts Event messages to 1024 UTF-8 bytes without splitting a character', async () => {
    const long = 'é'.repeat(600) + '🔥'.repeat(10);
    const cut = truncateUtf8(long, 1024);
    expect(Buffer.byteLength(cut, 'utf8')).toBeLessThanOrEqual(1024);
    expect(cut.endsWith('é…')).toBe(true);
    expect(truncateUtf8('short', 1024)).toBe('short');
    const event = buildEvent({ involvedObject: { kind: 'Pod', name: 'web-0', namespace: NS }, reason: 'R', action: 'A', message: long, type: 'Warning', reportingInstance: 'me' });
    expect(event.message).toBe(cut);
    await client.createEvent(NS, event);
    expect(only().status).toBe(201);
  });

  it('reads, creates and conditionally replaces Leases; an existing name or a stale resourceVersion is a conflict outcome', async () => {
    expect(await client.getLease(NS, 'leader')).toBeUndefined();
    const spec = { holderIdentity: 'pod-a', leaseDurationSeconds: 15 };
    const created = await client.createLease(NS, { metadata: { name: 'leader' }, spec });
    expect(created.outcome).toBe('written');
    const lease = created.outcome === 'written' ? created.lease : undefined;
    expect(await client.createLease(NS, { metadata: { name: 'leader' }, spec })).toMatchObject({ outcome: 'conflict', message: 'leases.coordination.k8s.io "leader" already exists' });
    const replaced = await client.replaceLease(NS, { ...lease, spec: { ...spec, holderIdentity: 'pod-b' } });
    expect(replaced.outcome).toBe('written');
    const stale = await client.replaceLease(NS, { ...lease, spec: { ...spec, holderIdentity: 'pod-c' } });
    expect(stale.outcome).toBe('conflict');
    expect(kube.get('leases', NS, 'leader')!['spec']).toMatchObject({ holderIdentity: 'pod-b' });
    expect(kube.calls()).toEqual([
      'GET /apis/coordination.k8s.io/v1/namespaces/apps/leases/leader',
      `POST /apis/coordination.k8s.io/v1/namespaces/apps/leases?${WRITE}`,
      `POST /apis/coordination.k8s.io/v1/namespaces/apps/leases?${WRITE}`,
      `PUT /apis/coordination.k8s.io/v1/namespaces/apps/leases/leader?${WRITE}`,
      `PUT /apis/coordination.k8s.io/v1/namespaces/apps/leases/leader?${WRITE}`,
    ]);
    expect(kube.requests.map((r) => r.status)).toEqual([404, 201, 409, 200, 409]);
    expect(kube.requests[3]!.body).toMatchObject({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'leader', resourceVersion: lease!.metadata!.resourceVersion } });
    await expect(client.replaceLease(NS, { metadata: { name: 'leader' }, spec })).rejects.toThrow('metadata.resourceVersion is required');
  });

  it('refuses namespaces and names Kubernetes would not accept, before any request', async () => {
    await expect(client.getPod('../kube-system', 'x')).rejects.toThrow('invalid namespace');
    await expect(client.getPod(NS, '..')).rejects.toThrow('invalid pod name');
    await expect(client.evictPod(NS, 'a/b', { dryRun: false })).rejects.toThrow('invalid pod name');
    await expect(client.getScale(NS, 'Deployment', 'Web')).rejects.toThrow('invalid Deployment name');
    expect(kube.requests).toEqual([]);
  });
});

describe('KubeClient errors', () => {
  it('carries status, reason, method and path of an error answer', async () => {
    kube.intercept(() => ({ status: 403, body: { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Forbidden', message: 'pods "web-0" is forbidden: no', code: 403 } }));
    const error = await apiError(client.getPod(NS, 'web-0'));
    expect(error).toMatchObject({ name: 'KubeApiError', status: 403, reason: 'Forbidden', method: 'GET', path: '/api/v1/namespaces/apps/pods/web-0' });
    expect(error.message).toBe('GET /api/v1/namespaces/apps/pods/web-0: 403 Forbidden: pods "web-0" is forbidden: no');
  });

  it('reports an answer without a Status object with reason Unknown and the start of the body', async () => {
    kube.intercept(() => ({ status: 502, body: 'bad gateway' }));
    const error = await apiError(client.getLease(NS, 'x'));
    expect(error).toMatchObject({ status: 502, reason: 'Unknown' });
    expect(error.message).toContain('bad gateway');
  });

  it('gives up after the timeout with reason Timeout (status 0)', async () => {
    kube.intercept(() => 'hang');
    const slow = new KubeClient({ ...kube.clientOptions(), timeoutMs: 150 });
    const started = Date.now();
    const error = await apiError(slow.getPod(NS, 'web-0'));
    expect(Date.now() - started).toBeLessThan(2000);
    expect(error).toMatchObject({ status: 0, reason: 'Timeout', method: 'GET' });
    expect(error.message).toBe('GET /api/v1/namespaces/apps/pods/web-0: Timeout: no answer within 150 ms');
  });

  it('reports a refused connection with reason NetworkError and its code', async () => {
    // The old server's port is closed; the fresh fake (on another port) is started first so that it cannot take that port.
    const url = kube.url;
    const next = await startFakeKubeApi();
    await kube.close();
    kube = next;
    const error = await apiError(new KubeClient({ baseUrl: url, token: 't' }).getPod(NS, 'web-0'));
    expect(error).toMatchObject({ status: 0, reason: 'NetworkError' });
    // Refused, or reset when fetch's pool still held a keep-alive socket to the closed server: either way its code is named.
    expect(error.message).toMatch(/ECONNREFUSED|ECONNRESET/);
  });

  it('treats a token the server refuses as a 401 KubeApiError', async () => {
    const error = await apiError(new KubeClient({ baseUrl: kube.url, token: 'wrong' }).getPod(NS, 'web-0'));
    expect(error).toMatchObject({ status: 401, reason: 'Unauthorized' });
  });
});

describe('KubeClient service-account token', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kube-token-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the token file, keeps it for the refresh interval, then reads the rotated token', async () => {
    const tokenFile = join(dir, 'token');
    writeFileSync(tokenFile, 'token-1\n');
    kube.setTokens('token-1', 'token-2');
    let now = 1_000_000;
    const fromFile = new KubeClient({ baseUrl: kube.url, tokenFile, tokenRefreshMs: 60_000, now: () => now });
    await fromFile.getPod(NS, 'web-0');
    writeFileSync(tokenFile, 'token-2\n');
    now += 59_000;
    await fromFile.getPod(NS, 'web-0');
    now += 1_000;
    await fromFile.getPod(NS, 'web-0');
    expect(kube.requests.map((r) => r.authorization)).toEqual(['Bearer token-1', 'Bearer token-1', 'Bearer token-2']);
  });

  it('on a 401 reads the token file again at once and retries once with the new token', async () => {
    const tokenFile = join(dir, 'token');
    writeFileSync(tokenFile, 'token-1');
    kube.setTokens('token-1');
    const fromFile = new KubeClient({ baseUrl: kube.url, tokenFile, now: () => 0 });
    await fromFile.getPod(NS, 'web-0');
    writeFileSync(tokenFile, 'token-2');
    kube.setTokens('token-2');
    expect((await fromFile.getPod(NS, 'web-0'))?.metadata?.name).toBe('web-0');
    expect(kube.requests.map((r) => [r.authorization, r.status])).toEqual([
      ['Bearer token-1', 200],
      ['Bearer token-1', 401],
      ['Bearer token-2', 200],
    ]);
    // The token did not change: no second try.
    kube.setTokens('token-3');
    await expect(fromFile.getPod(NS, 'web-0')).rejects.toMatchObject({ status: 401 });
    expect(kube.requests).toHaveLength(4);
  });

  it('names the token file when it cannot be read', async () => {
    const fromFile = new KubeClient({ baseUrl: kube.url, tokenFile: join(dir, 'missing') });
    await expect(fromFile.getPod(NS, 'web-0')).rejects.toThrow(`cannot read the service-account token ${join(dir, 'missing')}`);
    expect(kube.requests).toEqual([]);
  });
});

describe('in-cluster configuration', () => {
  it('builds the API server URL from KUBERNETES_SERVICE_HOST and _PORT (IPv6 in brackets)', () => {
    expect(inClusterBaseUrl({ KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' })).toBe('https://10.96.0.1:443');
    expect(inClusterBaseUrl({ KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '443' })).toBe('https://[fd00::1]:443');
    expect(() => inClusterBaseUrl({})).toThrow('KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set');
    expect(() => new KubeClient({ env: {}, token: 't' })).toThrow('not running in a Kubernetes pod');
  });
});
