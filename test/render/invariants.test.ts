import { describe, expect, it } from 'vitest';
import { registerCrdValidators } from '../support/crd-validate.js';
import { assertValidK8sObjects } from '../support/k8s-validate.js';
import { parseManifests, podSpecOf, renderValues } from '../support/render.js';
import { renderCases } from '../support/renders.js';

/** Objects with pods: the workloads, and the bare Pods of the connection tests (in tests/, part of every render's text). */
const WORKLOADS = ['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob', 'Pod'];
/** The pod template of a workload (a bare Pod is its own). */
const templateOf = (w: any) => (w.kind === 'CronJob' ? w.spec.jobTemplate.spec.template : w.kind === 'Pod' ? w : w.spec.template);
const CLUSTER_SCOPED = ['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'IngressClass', 'PriorityClass'];
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

registerCrdValidators();

const renders = renderCases().map((c) => {
  const rendered = renderValues(c.files, c.sets);
  return { name: c.name, objects: parseManifests(rendered.yaml), yaml: rendered.yaml };
});

/** Characters outside YAML's printable set (tab, line feed and carriage return aside): YAML parsers such as kubectl's refuse them unescaped. */
const NON_PRINTABLE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u0084\u0086-\u009f\ud800-\udfff\ufffe\uffff]/u;

describe.each(renders.map((r) => [r.name, r.yaml] as const))('render %s as text', (_name, yaml) => {
  it('holds only YAML-printable characters', () => {
    const at = yaml.search(NON_PRINTABLE);
    expect(at, at >= 0 ? JSON.stringify(yaml.slice(Math.max(0, at - 60), at + 10)) : '').toBe(-1);
  });
});

const each = renders.map((r) => [r.name, r.objects] as const);
const isLongRunning = (o: any) => ['Deployment', 'StatefulSet', 'DaemonSet'].includes(o.kind);
const containersOf = (o: any) => {
  const spec = podSpecOf(o);
  return [...(spec.initContainers ?? []).map((c: any) => ({ c, init: true })), ...spec.containers.map((c: any) => ({ c, init: false }))];
};
const includes = (labels: Record<string, string> = {}, selector: Record<string, string> = {}) =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);

describe.each(each)('render %s', (_name, objects) => {
  it('validates every object against the Kubernetes OpenAPI schema, unknown fields included', () => {
    expect(objects.length).toBeGreaterThan(0);
    assertValidK8sObjects(objects);
  });

  it('names every object explicitly: DNS-1123, at most 63 characters, no hash suffix', () => {
    for (const o of objects as any[]) {
      expect(o.metadata.name, `${o.kind} ${o.metadata.name}`).toMatch(DNS_LABEL);
      expect(o.metadata.name.length).toBeLessThanOrEqual(63);
      expect(o.metadata.name).not.toMatch(/-c8[0-9a-f]{6}$/);
    }
  });

  it('has no two objects with the same kind, namespace and name', () => {
    const keys = (objects as any[]).map((o) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('puts every namespaced object in the platform namespace, host agents in the agents namespace', () => {
    for (const o of objects as any[]) {
      if (CLUSTER_SCOPED.includes(o.kind)) expect(o.metadata.namespace, o.kind).toBeUndefined();
      else expect(['aiops-platform', 'aiops-platform-node-agents'], `${o.kind} ${o.metadata.name}`).toContain(o.metadata.namespace);
    }
    const namespaces = (objects as any[]).filter((o) => o.kind === 'Namespace').map((o) => o.metadata.name);
    for (const o of objects as any[]) if (o.metadata.namespace) expect(namespaces, `${o.kind} ${o.metadata.name}`).toContain(o.metadata.namespace);
  });

  it('gives host access only to pods in the privileged agents namespace', () => {
    const agents = (objects as any[]).find((o) => o.kind === 'Namespace' && o.metadata.name === 'aiops-platform-node-agents');
    if (agents) expect(agents.metadata.labels['pod-security.kubernetes.io/enforce']).toBe('privileged');
    for (const w of (objects as any[]).filter((o) => WORKLOADS.includes(o.kind))) {
      const pod = podSpecOf(w);
      const host = pod.hostNetwork || pod.hostPID || pod.hostIPC || (pod.volumes ?? []).some((v: any) => v.hostPath);
      if (host) expect(w.metadata.namespace, w.metadata.name).toBe('aiops-platform-node-agents');
    }
  });

  it('gives every container resources, a restricted security context and a pinned image', () => {
    for (const o of (objects as any[]).filter((x) => WORKLOADS.includes(x.kind))) {
      const pod = podSpecOf(o);
      // Root is allowed only for host agents in the privileged agents namespace (Filebeat reads root-owned logs).
      if (o.metadata.namespace !== 'aiops-platform-node-agents') expect(pod.securityContext?.runAsNonRoot, o.metadata.name).toBe(true);
      expect(pod.securityContext?.seccompProfile?.type).toBe('RuntimeDefault');
      for (const { c } of containersOf(o)) {
        const where = `${o.kind} ${o.metadata.name} container ${c.name}`;
        expect(c.resources?.requests?.cpu, where).toBeDefined();
        expect(c.resources?.requests?.memory, where).toBeDefined();
        expect(c.resources?.limits?.memory, where).toBeDefined();
        expect(c.securityContext?.allowPrivilegeEscalation, where).toBe(false);
        expect(c.securityContext?.capabilities?.drop, where).toEqual(['ALL']);
        expect(c.image, where).toMatch(/^[^\s]+:[^\s:]+$/);
        expect(c.image, where).not.toMatch(/:latest(@|$)/);
      }
    }
  });

  it('meets the restricted Pod Security Standard with every pod of the platform namespace', () => {
    const allowedVolumes = ['configMap', 'secret', 'emptyDir', 'persistentVolumeClaim', 'projected', 'downwardAPI', 'csi', 'ephemeral'];
    const platformWorkloads = (objects as any[]).filter((x) => WORKLOADS.includes(x.kind) && x.metadata.namespace === 'aiops-platform');
    expect(platformWorkloads.length).toBeGreaterThan(10);
    for (const o of platformWorkloads) {
      const pod = podSpecOf(o);
      const where = `${o.kind} ${o.metadata.name}`;
      expect(pod.hostNetwork || pod.hostPID || pod.hostIPC, where).toBeFalsy();
      for (const v of pod.volumes ?? []) expect(allowedVolumes, `${where} volume ${v.name}`).toContain(Object.keys(v).find((k) => k !== 'name'));
      for (const { c } of containersOf(o)) {
        const sc = { ...pod.securityContext, ...c.securityContext };
        expect(sc.runAsNonRoot, `${where}/${c.name}`).toBe(true);
        expect(sc.runAsUser ?? 1, `${where}/${c.name}`).not.toBe(0);
        expect(sc.privileged ?? false, `${where}/${c.name}`).toBe(false);
        expect(sc.seccompProfile?.type, `${where}/${c.name}`).toMatch(/^(RuntimeDefault|Localhost)$/);
        expect((c.securityContext?.capabilities?.add ?? []).filter((cap: string) => cap !== 'NET_BIND_SERVICE'), where).toEqual([]);
        expect((c.ports ?? []).filter((p: any) => p.hostPort), where).toEqual([]);
      }
    }
  });

  it('gives every long-running container readiness and liveness probes', () => {
    for (const o of (objects as any[]).filter(isLongRunning)) {
      for (const { c, init } of containersOf(o)) {
        if (init) continue;
        expect(c.readinessProbe, `${o.metadata.name}/${c.name}`).toBeDefined();
        expect(c.livenessProbe, `${o.metadata.name}/${c.name}`).toBeDefined();
      }
    }
  });

  it('selects pods whose template labels match every selector', () => {
    const workloads = (objects as any[]).filter((o) => WORKLOADS.includes(o.kind) && o.kind !== 'CronJob' && o.kind !== 'Job' && o.kind !== 'Pod');
    for (const w of workloads) {
      expect(includes(w.spec.template.metadata.labels, w.spec.selector.matchLabels), w.metadata.name).toBe(true);
      expect(w.spec.selector.matchLabels['app.kubernetes.io/version']).toBeUndefined();
    }
    const selecting = (objects as any[]).filter((o) => o.kind === 'Service' || o.kind === 'PodDisruptionBudget');
    for (const s of selecting) {
      const selector = s.kind === 'Service' ? s.spec.selector : s.spec.selector.matchLabels;
      const matches = workloads.filter((w) => includes(w.spec.template.metadata.labels, selector));
      expect(matches.length, `${s.kind} ${s.metadata.name} selects no workload`).toBeGreaterThan(0);
    }
  });

  it('selects the pods of a workload with every NetworkPolicy but the namespace-wide default-deny', () => {
    const templates = (objects as any[])
      .filter((o) => WORKLOADS.includes(o.kind) && !podSpecOf(o).hostNetwork)
      .map((w) => ({ namespace: w.metadata.namespace, labels: templateOf(w).metadata.labels }));
    for (const np of (objects as any[]).filter((o) => o.kind === 'NetworkPolicy')) {
      const selector = np.spec.podSelector.matchLabels ?? {};
      if (Object.keys(selector).length === 0) continue;
      const matches = templates.filter((t) => t.namespace === np.metadata.namespace && includes(t.labels, selector));
      expect(matches.length, `NetworkPolicy ${np.metadata.namespace}/${np.metadata.name} selects no pod`).toBeGreaterThan(0);
    }
  });

  it('points every Service port at a named port of the selected pods', () => {
    const workloads = (objects as any[]).filter((o) => ['Deployment', 'StatefulSet', 'DaemonSet'].includes(o.kind));
    for (const s of (objects as any[]).filter((o) => o.kind === 'Service')) {
      const pods = workloads.filter((w) => includes(w.spec.template.metadata.labels, s.spec.selector));
      for (const port of s.spec.ports) {
        const named = pods.some((w) => podSpecOf(w).containers.some((c: any) => (c.ports ?? []).some((p: any) => p.name === port.targetPort || p.containerPort === port.targetPort)));
        expect(named, `${s.metadata.name}:${port.name}`).toBe(true);
      }
    }
  });

  it('keeps credentials out of ConfigMaps', () => {
    const secretValues = (objects as any[])
      .filter((o) => o.kind === 'Secret')
      .flatMap((s) => Object.entries({ ...(s.stringData ?? {}) }) as [string, string][])
      .filter(([key]) => !/user/.test(key))
      .map(([, value]) => value)
      .filter((v) => v.length >= 4);
    for (const cm of (objects as any[]).filter((o) => o.kind === 'ConfigMap')) {
      const data = JSON.stringify(cm.data ?? {});
      expect(data, cm.metadata.name).not.toMatch(/requirepass|masterauth/);
      for (const value of secretValues) expect(data.includes(value), `${cm.metadata.name} holds a Secret value`).toBe(false);
    }
  });

  it('mounts every referenced ConfigMap and Secret volume from an object in the render or a named existing Secret', () => {
    const names = new Set((objects as any[]).filter((o) => o.kind === 'ConfigMap').map((o) => o.metadata.name));
    for (const w of (objects as any[]).filter((o) => WORKLOADS.includes(o.kind))) {
      for (const v of podSpecOf(w).volumes ?? []) {
        if (v.configMap) expect(names.has(v.configMap.name), `${w.metadata.name} volume ${v.name}`).toBe(true);
      }
    }
  });
});
