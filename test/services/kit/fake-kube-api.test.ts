import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeKubeApi, type FakeKubeApi } from '../../support/fake-kube-api.js';

/**
 * The fake API server's own answers to requests the client never sends (wrong token, wrong
 * content types, stale writes, invalid objects): the fake must fail a wrong client as the real
 * API server would, or the client tests prove nothing.
 */

let kube: FakeKubeApi;

beforeEach(async () => {
  kube = await startFakeKubeApi();
  kube.seed({
    pods: [{ metadata: { name: 'web-0', namespace: 'apps', labels: { app: 'web', tier: 'front' } } }, { metadata: { name: 'web-1', namespace: 'apps', labels: { app: 'web' } } }],
    deployments: [{ metadata: { name: 'web', namespace: 'apps' }, spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template: {} } }],
    leases: [{ metadata: { name: 'leader', namespace: 'apps' }, spec: { holderIdentity: 'a' } }],
  });
});

afterEach(async () => {
  await kube.close();
});

/** A raw request: method, path, optional JSON body and content type; returns status and parsed body. */
async function send(method: string, path: string, body?: unknown, contentType = 'application/json', token = 'test-token') {
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  if (body !== undefined) headers['content-type'] = contentType;
  const res = await fetch(`${kube.url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

const LEASE = '/apis/coordination.k8s.io/v1/namespaces/apps/leases/leader';

describe('fake Kubernetes API server', () => {
  it('answers 401 with a Status object without an accepted bearer token, and records the request', async () => {
    const answer = await send('GET', '/api/v1/namespaces/apps/pods/web-0', undefined, undefined, 'other');
    expect(answer).toEqual({ status: 401, body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 } });
    expect(kube.requests[0]).toMatchObject({ method: 'GET', authorization: 'Bearer other', status: 401 });
  });

  it('answers 404 NotFound for absent objects and unknown paths', async () => {
    expect((await send('GET', '/api/v1/namespaces/apps/pods/nope')).body).toMatchObject({ reason: 'NotFound', message: 'pods "nope" not found', code: 404 });
    expect((await send('GET', '/apis/apps/v1/namespaces/apps/deployments/nope/scale')).body).toMatchObject({ message: 'deployments.apps "nope" not found' });
    expect((await send('GET', '/apis/apps/v1/namespaces/apps/pods/web-0')).status).toBe(404);
    expect((await send('GET', '/api/v1/namespaces/apps/pods/web-0/log')).status).toBe(404);
  });

  it('refuses a PATCH that is not a JSON merge patch, and a POST/PUT that is not JSON, with 415', async () => {
    const scale = '/apis/apps/v1/namespaces/apps/deployments/web/scale';
    expect((await send('PATCH', scale, { spec: { replicas: 3 } }, 'application/strategic-merge-patch+json')).status).toBe(415);
    expect((await send('PATCH', scale, [{ op: 'replace', path: '/spec/replicas', value: 3 }], 'application/json-patch+json')).status).toBe(415);
    expect((await send('PATCH', scale, { spec: { replicas: 3 } }, 'application/json')).body).toMatchObject({ reason: 'UnsupportedMediaType', code: 415 });
    expect((await send('POST', '/api/v1/namespaces/apps/events', {}, 'text/plain')).status).toBe(415);
    expect(kube.get('deployments', 'apps', 'web')!['spec']).toMatchObject({ replicas: 2 });
    expect((await send('PATCH', scale, { spec: { replicas: 3 } }, 'application/merge-patch+json; charset=utf-8')).status).toBe(200);
  });

  it('answers 409 Conflict to a Lease PUT with a stale resourceVersion and 422 to one without', async () => {
    const current = (await send('GET', LEASE)).body;
    const fresh = await send('PUT', LEASE, { ...current, spec: { holderIdentity: 'b' } });
    expect(fresh.status).toBe(200);
    expect(Number(fresh.body['metadata'].resourceVersion)).toBeGreaterThan(Number(current['metadata'].resourceVersion));
    const stale = await send('PUT', LEASE, { ...current, spec: { holderIdentity: 'c' } });
    expect(stale.body).toMatchObject({
      reason: 'Conflict',
      code: 409,
      message: 'Operation cannot be fulfilled on leases.coordination.k8s.io "leader": the object has been modified; please apply your changes to the latest version and try again',
    });
    const unconditional = await send('PUT', LEASE, { metadata: { name: 'leader' }, spec: { holderIdentity: 'd' } });
    expect(unconditional.body).toMatchObject({ reason: 'Invalid', code: 422 });
    expect(kube.get('leases', 'apps', 'leader')!['spec']).toEqual({ holderIdentity: 'b' });
  });

  it('answers 400 when the body disagrees with the URL (kind, apiVersion, namespace, name) or is not JSON', async () => {
    const current = (await send('GET', LEASE)).body;
    expect((await send('PUT', LEASE, { ...current, metadata: { ...current['metadata'], name: 'other' } })).body['message']).toBe('the name of the object (other) does not match the name on the URL (leader)');
    expect((await send('POST', '/api/v1/namespaces/apps/events', { kind: 'Pod', metadata: { name: 'x' } })).status).toBe(400);
    expect((await send('POST', '/apis/batch/v1/namespaces/apps/jobs', { apiVersion: 'batch/v2', metadata: { name: 'x' } })).status).toBe(400);
    expect((await send('POST', '/apis/batch/v1/namespaces/apps/jobs', { metadata: { name: 'x', namespace: 'other' } })).status).toBe(400);
    const res = await fetch(`${kube.url}/apis/batch/v1/namespaces/apps/jobs`, { method: 'POST', headers: { authorization: 'Bearer test-token', 'content-type': 'application/json' }, body: '{not json' });
    expect(res.status).toBe(400);
    expect(kube.list('jobs')).toEqual([]);
  });

  it('validates Events as the API server does when eventTime is set (action, reportingComponent, reportingInstance, message size)', async () => {
    const event = {
      metadata: { generateName: 'web-0.' },
      involvedObject: { kind: 'Pod', name: 'web-0', namespace: 'apps' },
      reason: 'PodEvicted',
      message: 'x'.repeat(1025),
      type: 'Normal',
      eventTime: '2024-05-01T12:00:00.000000Z',
    };
    const answer = await send('POST', '/api/v1/namespaces/apps/events', event);
    expect(answer.status).toBe(422);
    expect(answer.body['details'].causes.map((c: { field: string }) => c.field)).toEqual(['reportingComponent', 'reportingInstance', 'action', 'message']);
    const valid = { ...event, message: 'ok', action: 'Evict', reportingComponent: 'aiops-self-healing', reportingInstance: 'pod-x' };
    expect((await send('POST', '/api/v1/namespaces/apps/events', { ...valid, eventTime: '2024-05-01T12:00:00.000Z' })).status).toBe(422);
    const created = await send('POST', '/api/v1/namespaces/apps/events', valid);
    expect(created.status).toBe(201);
    expect(created.body['metadata'].name).toMatch(/^web-0\.[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  });

  it('refuses a scale below zero and an HPA whose minReplicas exceeds maxReplicas with 422', async () => {
    expect((await send('PATCH', '/apis/apps/v1/namespaces/apps/deployments/web/scale', { spec: { replicas: -1 } }, 'application/merge-patch+json')).status).toBe(422);
    kube.seed({ horizontalpodautoscalers: [{ metadata: { name: 'web', namespace: 'apps' }, spec: { minReplicas: 1, maxReplicas: 3, scaleTargetRef: { kind: 'Deployment', name: 'web' } } }] });
    const hpa = '/apis/autoscaling/v2/namespaces/apps/horizontalpodautoscalers/web';
    expect((await send('PATCH', hpa, { spec: { minReplicas: 4 } }, 'application/merge-patch+json')).status).toBe(422);
    expect((await send('PATCH', hpa, { spec: { minReplicas: 3 } }, 'application/merge-patch+json')).status).toBe(200);
  });

  it('changes nothing on ?dryRun=All, refuses other dryRun values, and lists by label selector', async () => {
    const created = await send('POST', '/apis/batch/v1/namespaces/apps/jobs?dryRun=All', { metadata: { name: 'j' } });
    expect(created.status).toBe(201);
    expect(kube.list('jobs')).toEqual([]);
    expect((await send('POST', '/apis/batch/v1/namespaces/apps/jobs?dryRun=true', { metadata: { name: 'j' } })).status).toBe(400);
    const eviction = await send('POST', '/api/v1/namespaces/apps/pods/web-0/eviction?dryRun=All', { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'web-0' } });
    expect(eviction.status).toBe(201);
    expect(kube.get('pods', 'apps', 'web-0')).toBeDefined();
    expect(kube.writes).toEqual([]);
    const names = async (selector: string) =>
      ((await send('GET', `/api/v1/namespaces/apps/pods?labelSelector=${encodeURIComponent(selector)}`)).body['items'] as { metadata: { name: string } }[]).map((p) => p.metadata.name);
    expect(await names('app=web,tier=front')).toEqual(['web-0']);
    expect(await names('app==web,tier!=front')).toEqual(['web-1']);
    expect(await names('!tier')).toEqual(['web-1']);
    expect(await names('tier')).toEqual(['web-0']);
  });

  it('refuses an eviction whose body names another pod, and one with mismatching deleteOptions.dryRun', async () => {
    const path = '/api/v1/namespaces/apps/pods/web-0/eviction';
    expect((await send('POST', path, { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'web-1' } })).status).toBe(400);
    expect((await send('POST', path, { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'web-0' }, deleteOptions: { dryRun: ['Some'] } })).status).toBe(400);
    expect((await send('POST', path, { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'web-0' }, deleteOptions: { dryRun: ['All'] } })).status).toBe(201);
    expect(kube.get('pods', 'apps', 'web-0')).toBeDefined();
  });

  it('tells listeners about writes, lets tests update objects, and cuts hanging requests on close', async () => {
    const seen: string[] = [];
    kube.onWrite((w) => seen.push(`${w.verb} ${w.resource} ${w.namespace}/${w.name}`));
    await send('POST', '/api/v1/namespaces/apps/pods/web-1/eviction', { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'web-1' } });
    await send('PATCH', '/apis/apps/v1/namespaces/apps/deployments/web/scale', { spec: { replicas: 5 } }, 'application/merge-patch+json');
    expect(seen).toEqual(['evict pods apps/web-1', 'scale deployments apps/web']);
    expect(kube.get('deployments', 'apps', 'web')!['status']).toEqual({ replicas: 5 });
    const before = kube.get('leases', 'apps', 'leader')!.metadata.resourceVersion;
    const updated = kube.update('leases', 'apps', 'leader', (lease) => void (lease['spec'] = { holderIdentity: 'z' }));
    expect(Number(updated.metadata.resourceVersion)).toBeGreaterThan(Number(before));
    kube.intercept(() => 'hang');
    const hanging = fetch(`${kube.url}/api/v1/namespaces/apps/pods/web-0`, { headers: { authorization: 'Bearer test-token' } });
    for (let i = 0; i < 100 && kube.requests.length < 3; i += 1) await new Promise((r) => setTimeout(r, 5));
    expect(kube.requests[2]!.status).toBeUndefined();
    await kube.close();
    await expect(hanging).rejects.toThrow();
    kube = await startFakeKubeApi();
  });
});
