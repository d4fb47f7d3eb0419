import { describe, expect, it } from 'vitest';
import { find, namesOf, renderValues, renderYaml } from '../support/render.js';

describe('PlatformNamespace', () => {
  it('renders Namespace aiops-platform that warns and audits against the restricted standard', () => {
    const r = renderYaml('');
    const labels = find(r.objects, 'Namespace', 'aiops-platform').metadata.labels;
    expect(labels['pod-security.kubernetes.io/warn']).toBe('restricted');
    expect(labels['pod-security.kubernetes.io/audit']).toBe('restricted');
    expect(labels['pod-security.kubernetes.io/enforce']).toBeUndefined();
    expect(r.objects[0]!.kind).toBe('Namespace');
  });

  it('enforces the restricted standard for podSecurityPolicy.enabled and explains the PSP removal', () => {
    const r = renderYaml('podSecurityPolicy: {enabled: true}');
    const labels = find(r.objects, 'Namespace', 'aiops-platform').metadata.labels;
    expect(labels['pod-security.kubernetes.io/enforce']).toBe('restricted');
    expect(labels['pod-security.kubernetes.io/enforce-version']).toBe('v1.27');
    expect(r.warnings.join('\n')).toContain('PodSecurityPolicy was removed in Kubernetes 1.25');
  });

  it('is named by --namespace and every namespaced object lives in it', () => {
    const r = renderValues([], [], 'ops', 'observability');
    expect(namesOf(r.objects, 'Namespace').sort()).toEqual(['observability', 'observability-node-agents']);
    const namespaced = r.objects.filter((o: any) => o.kind !== 'Namespace' && o.metadata.namespace !== undefined);
    expect(new Set(namespaced.map((o: any) => o.metadata.namespace))).toEqual(new Set(['observability', 'observability-node-agents']));
    expect(namespaced.filter((o: any) => o.metadata.name !== 'ops' && !o.metadata.name.startsWith('ops-'))).toEqual([]);
  });
});
