import { describe, it, expect } from 'vitest';
import { assertValidK8sObjects, registerCustomValidator, validateK8sObject } from './support/k8s-validate.js';

type Obj = Record<string, unknown>;

function statefulSet(): Obj {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 'db', namespace: 'aiops', labels: { app: 'db' }, annotations: { 'example.com/x': 'y' } },
    spec: {
      replicas: 3,
      serviceName: 'db',
      selector: { matchLabels: { app: 'db' } },
      template: {
        metadata: { labels: { app: 'db' } },
        spec: {
          containers: [
            {
              name: 'db',
              image: 'postgres:16',
              imagePullPolicy: 'IfNotPresent',
              ports: [{ name: 'pg', containerPort: 5432 }],
              env: [{ name: 'PGDATA', value: '/data/pg' }],
              resources: { requests: { cpu: '250m', memory: '512Mi' }, limits: { memory: '1Gi' } },
              readinessProbe: { tcpSocket: { port: 'pg' }, periodSeconds: 10 },
              livenessProbe: { exec: { command: ['pg_isready'] }, failureThreshold: 3 },
              volumeMounts: [{ name: 'data', mountPath: '/data' }],
            },
          ],
        },
      },
      volumeClaimTemplates: [
        {
          metadata: { name: 'data' },
          spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '10Gi' } } },
        },
      ],
    },
  };
}

function podSpec(obj: Obj): Obj {
  const spec = obj['spec'] as { template: { spec: Obj } };
  return spec.template.spec;
}

describe('validateK8sObject', () => {
  it('accepts a valid StatefulSet with containers, probes and volumeClaimTemplates', () => {
    expect(validateK8sObject(statefulSet())).toEqual([]);
  });

  it('reports an unknown spec field with its path and the closest known field', () => {
    const obj = statefulSet();
    (obj['spec'] as Obj)['replcas'] = 3;
    expect(validateK8sObject(obj)).toEqual([
      { path: 'spec.replcas', message: 'unknown field "replcas" (did you mean "replicas"?)' },
    ]);
  });

  it('reports a misspelled container field deep in the pod template with the full path', () => {
    const obj = statefulSet();
    const container = (podSpec(obj)['containers'] as Obj[])[0]!;
    delete container['imagePullPolicy'];
    container['imagePullPolcy'] = 'Always';
    expect(validateK8sObject(obj)).toEqual([
      {
        path: 'spec.template.spec.containers[0].imagePullPolcy',
        message: 'unknown field "imagePullPolcy" (did you mean "imagePullPolicy"?)',
      },
    ]);
  });

  it('reports unknown fields inside arrays of models such as volumeClaimTemplates', () => {
    const obj = statefulSet();
    const pvc = ((obj['spec'] as Obj)['volumeClaimTemplates'] as Obj[])[0]!;
    (pvc['spec'] as Obj)['storageClass'] = 'fast';
    const problems = validateK8sObject(obj);
    expect(problems).toHaveLength(1);
    expect(problems[0]!.path).toBe('spec.volumeClaimTemplates[0].spec.storageClass');
    expect(problems[0]!.message).toMatch(/^unknown field "storageClass" \(did you mean "storageClassName"\?\)$/);
  });

  it('does not walk free-form string maps such as labels, annotations and resource requests', () => {
    const obj = statefulSet();
    (obj['metadata'] as Obj)['labels'] = { anything: 'goes', 'app.kubernetes.io/name': 'db' };
    expect(validateK8sObject(obj)).toEqual([]);
  });

  it('omits the suggestion when no known field is close', () => {
    const obj = statefulSet();
    (obj['spec'] as Obj)['completelyUnrelatedThing'] = true;
    expect(validateK8sObject(obj)).toEqual([
      { path: 'spec.completelyUnrelatedThing', message: 'unknown field "completelyUnrelatedThing"' },
    ]);
  });

  it('reports a wrong type through the kubernetes-models schema validation', () => {
    const obj = statefulSet();
    (obj['spec'] as Obj)['replicas'] = 'three';
    const problems = validateK8sObject(obj);
    expect(problems).toHaveLength(1);
    expect(problems[0]!.path).toBe('spec.replicas');
    expect(problems[0]!.message).toMatch(/integer/);
  });

  it('reports a missing required field (a Service port without port)', () => {
    const service = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: 'aiops' },
      spec: { selector: { app: 'web' }, ports: [{ name: 'http', targetPort: 8080 }] },
    };
    expect(validateK8sObject(service)).toEqual([{ path: 'spec.ports[0].port', message: 'missing required field "port"' }]);
  });

  it('reports an unknown apiVersion/kind instead of accepting it', () => {
    const problems = validateK8sObject({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } });
    expect(problems).toHaveLength(1);
    expect(problems[0]!.message).toMatch(/unknown apiVersion\/kind "example.com\/v1" "Widget"/);
  });

  it('reports API versions removed before Kubernetes 1.27 as unknown', () => {
    const pdb = { apiVersion: 'policy/v1beta1', kind: 'PodDisruptionBudget', metadata: { name: 'x' }, spec: {} };
    expect(validateK8sObject(pdb)[0]!.message).toMatch(/unknown apiVersion\/kind/);
  });

  it('reports objects without string apiVersion and kind', () => {
    expect(validateK8sObject({ metadata: { name: 'x' } })).toEqual([
      { path: '', message: 'apiVersion and kind must be strings' },
    ]);
  });

  it.each<[string, Obj]>([
    ['Namespace', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'aiops', labels: { team: 'sre' } } }],
    [
      'Secret with stringData',
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'creds', namespace: 'aiops' },
        type: 'Opaque',
        stringData: { username: 'admin', password: 's3cret' },
      },
    ],
    [
      'PodDisruptionBudget',
      {
        apiVersion: 'policy/v1',
        kind: 'PodDisruptionBudget',
        metadata: { name: 'db', namespace: 'aiops' },
        spec: { maxUnavailable: 1, selector: { matchLabels: { app: 'db' } } },
      },
    ],
    [
      'HorizontalPodAutoscaler autoscaling/v2',
      {
        apiVersion: 'autoscaling/v2',
        kind: 'HorizontalPodAutoscaler',
        metadata: { name: 'api', namespace: 'aiops' },
        spec: {
          scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'api' },
          minReplicas: 2,
          maxReplicas: 10,
          metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } }],
          behavior: { scaleDown: { stabilizationWindowSeconds: 300 } },
        },
      },
    ],
    [
      'ClusterRole',
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: { name: 'reader' },
        rules: [{ apiGroups: [''], resources: ['pods', 'services'], verbs: ['get', 'list', 'watch'] }],
      },
    ],
  ])('accepts a valid %s', (_name, obj) => {
    expect(validateK8sObject(obj)).toEqual([]);
  });

  it('runs a registered custom validator for a CRD kind and checks its metadata strictly', () => {
    const unregister = registerCustomValidator('monitoring.coreos.com/v1', 'ServiceMonitor', (obj) =>
      (obj['spec'] as Obj | undefined)?.['endpoints'] ? [] : [{ path: 'spec.endpoints', message: 'required' }],
    );
    try {
      const monitor = { apiVersion: 'monitoring.coreos.com/v1', kind: 'ServiceMonitor', metadata: { name: 'm', lables: {} } };
      expect(validateK8sObject({ ...monitor, metadata: { name: 'm' }, spec: { endpoints: [{ port: 'http' }] } })).toEqual([]);
      expect(validateK8sObject(monitor)).toEqual([
        { path: 'metadata.lables', message: 'unknown field "lables" (did you mean "labels"?)' },
        { path: 'spec.endpoints', message: 'required' },
      ]);
    } finally {
      unregister();
    }
    expect(validateK8sObject({ apiVersion: 'monitoring.coreos.com/v1', kind: 'ServiceMonitor' })[0]!.message).toMatch(
      /unknown apiVersion\/kind/,
    );
  });
});

describe('assertValidK8sObjects', () => {
  it('does not throw when every object is valid', () => {
    expect(() => assertValidK8sObjects([statefulSet(), { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'aiops' } }])).not.toThrow();
  });

  it('throws listing every problem prefixed with kind/namespace/name', () => {
    const bad = statefulSet();
    (bad['spec'] as Obj)['replcas'] = 3;
    const role = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'reader' }, rulez: [] };
    let message = '';
    try {
      assertValidK8sObjects([bad, role]);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain('2 Kubernetes validation problem(s)');
    expect(message).toContain('StatefulSet/aiops/db: spec.replcas: unknown field "replcas" (did you mean "replicas"?)');
    expect(message).toContain('ClusterRole/reader: rulez: unknown field "rulez" (did you mean "rules"?)');
  });
});
