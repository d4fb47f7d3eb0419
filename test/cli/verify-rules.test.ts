import { describe, expect, it } from 'vitest';
import { driftOf, type KubeJson } from '../../src/cli/verify/compare.js';
import { rolloutOf } from '../../src/cli/verify/rollout.js';

const object = (kind: string, spec: unknown, status?: unknown, generation = 2): KubeJson => ({ apiVersion: 'apps/v1', kind, metadata: { name: 'w', namespace: 'n', generation }, spec, ...(status ? { status } : {}) }) as KubeJson;

describe('rollouts, read as kubectl rollout status reads them', () => {
  it('waits for the controller to see the current generation before anything else', () => {
    expect(rolloutOf(object('Deployment', { replicas: 2 }, { observedGeneration: 1, updatedReplicas: 2, availableReplicas: 2 }))).toEqual({ ready: 2, desired: 2, done: false, waitingFor: 'waiting for the controller to see the new spec' });
  });

  it('counts updated, then available pods of a Deployment', () => {
    expect(rolloutOf(object('Deployment', { replicas: 3 }, { observedGeneration: 2, updatedReplicas: 2, availableReplicas: 3 })).waitingFor).toBe('2 of 3 updated');
    expect(rolloutOf(object('Deployment', { replicas: 3 }, { observedGeneration: 2, updatedReplicas: 3, availableReplicas: 2 })).waitingFor).toBe('2 of 3 ready');
    expect(rolloutOf(object('Deployment', {}, { observedGeneration: 2, updatedReplicas: 1, availableReplicas: 1 }))).toEqual({ ready: 1, desired: 1, done: true });
  });

  it('counts a StatefulSet done only on the update revision, and a DaemonSet on its scheduled pods', () => {
    const sts = (status: object) => rolloutOf(object('StatefulSet', { replicas: 3 }, { observedGeneration: 2, readyReplicas: 3, ...status }));
    expect(sts({ currentRevision: 'a', updateRevision: 'b', updatedReplicas: 1, currentReplicas: 2 }).waitingFor).toBe('1 of 3 updated');
    expect(sts({ currentRevision: 'b', updateRevision: 'b', currentReplicas: 3 }).done).toBe(true);
    const ds = rolloutOf(object('DaemonSet', {}, { observedGeneration: 2, desiredNumberScheduled: 4, updatedNumberScheduled: 4, numberAvailable: 3 }));
    expect(ds).toEqual({ ready: 3, desired: 4, done: false, waitingFor: '3 of 4 ready' });
  });
});

describe('drift that matters', () => {
  const pod = (image: string, memory: string) => ({ template: { spec: { containers: [{ name: 'app', image, resources: { requests: { memory } } }] } } });
  it('compares images and resources by value, and replicas unless an HPA scales the workload', () => {
    const rendered = object('Deployment', { replicas: 2, ...pod('app:1', '1024Mi') });
    expect(driftOf(rendered, object('Deployment', { replicas: 2, ...pod('app:1', '1Gi') }), false)).toEqual([]);
    expect(driftOf(rendered, object('Deployment', { replicas: 4, ...pod('app:2', '2Gi') }), false).map((d) => d.field)).toEqual(['containers[app].image', 'containers[app].resources', 'replicas']);
    expect(driftOf(rendered, object('Deployment', { replicas: 4, ...pod('app:1', '1Gi') }), true)).toEqual([]);
    expect(driftOf(rendered, object('Deployment', { replicas: 2, template: { spec: { containers: [] } } }), false)).toEqual([{ field: 'containers[app]', rendered: 'present', live: 'missing' }]);
  });
});
