import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXEMPTIONS, exemptAnnotation, reasonAnnotation } from '../../src/core/audit-exemptions.js';
import { API_CALLS_ANNOTATION } from '../../src/lib/rbac.js';
import { find, ofKind, podSpecOf, renderValues, renderYaml } from '../support/render.js';
import { renderCases } from '../support/renders.js';
import { issuesOf } from '../support/values-issues.js';

/**
 * Issue 15: priority, zone spread, no needless API tokens, every deliberate deviation on record.
 * Invariants over every golden render, then the values that tune them.
 */

const WORKLOADS = ['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob'];
/** The workloads the scheduler must keep under node pressure (issue 15 #1). */
const CRITICAL = ['postgresql', 'redis', 'elasticsearch', 'prometheus', 'alertmanager', 'self-healing'].map((n) => `aiops-platform-${n}`);
/** The pods that call the Kubernetes API, so get a token (issue 15 #3). */
const API_CALLERS = ['prometheus', 'kube-state-metrics', 'traefik', 'filebeat', 'self-healing', 'elasticsearch-transport-ca', 'ai-engine'].map((n) => `aiops-platform-${n}`);

/** Each golden render's objects, its connection-test Pods included. */
const renders = renderCases().map((c) => {
  const rendered = renderValues(c.files, c.sets);
  return { name: c.name, objects: [...rendered.objects, ...rendered.testObjects] as any[] };
});
const workloadsOf = (objects: any[]) => objects.filter((o) => WORKLOADS.includes(o.kind));
/** The most pods a workload may run: its replicas, or its autoscaler's maximum. */
const maxReplicas = (objects: any[], w: any) => ofKind(objects, 'HorizontalPodAutoscaler').find((h) => h.spec.scaleTargetRef.name === w.metadata.name)?.spec.maxReplicas ?? w.spec.replicas ?? 1;
const matches = (labels: Record<string, string> = {}, selector: Record<string, string>) => Object.entries(selector).every(([k, v]) => labels[k] === v);

describe.each(renders.map((r) => [r.name, r.objects] as const))('render %s', (_name, objects) => {
  it('gives every pod a PriorityClass the render defines: critical for the data stores, monitoring and the executor, standard for the rest', () => {
    const classes = new Map(ofKind(objects, 'PriorityClass').map((c) => [c.metadata.name, c.value]));
    expect([...classes.keys()].sort()).toEqual(['aiops-platform-critical', 'aiops-platform-standard']);
    expect(classes.get('aiops-platform-critical')).toBeGreaterThan(classes.get('aiops-platform-standard'));
    for (const w of workloadsOf(objects)) {
      const tier = CRITICAL.includes(w.metadata.name) && ['StatefulSet', 'Deployment'].includes(w.kind) ? 'critical' : 'standard';
      expect(podSpecOf(w).priorityClassName, `${w.kind} ${w.metadata.name}`).toBe(`aiops-platform-${tier}`);
    }
    const tests = ofKind(objects, 'Pod');
    expect(tests.length).toBeGreaterThan(0);
    for (const pod of tests) expect(pod.spec.priorityClassName, pod.metadata.name).toBe('aiops-platform-standard');
  });

  it('spreads every workload that may run more than one pod over zones and nodes, selecting exactly its own pods; nothing for one pod', () => {
    const templates = workloadsOf(objects).map((w) => ({ w, labels: (w.kind === 'CronJob' ? w.spec.jobTemplate.spec.template : w.spec.template).metadata.labels }));
    for (const w of objects.filter((o) => o.kind === 'Deployment' || o.kind === 'StatefulSet')) {
      const constraints = podSpecOf(w).topologySpreadConstraints ?? [];
      if (maxReplicas(objects, w) <= 1) {
        expect(constraints, w.metadata.name).toEqual([]);
        continue;
      }
      expect(constraints.map((c: any) => c.topologyKey), w.metadata.name).toEqual(['topology.kubernetes.io/zone', 'kubernetes.io/hostname']);
      for (const c of constraints) {
        expect(c.labelSelector.matchLabels, w.metadata.name).toEqual(w.spec.selector.matchLabels);
        const selected = templates.filter((t) => matches(t.labels, c.labelSelector.matchLabels)).map((t) => t.w.metadata.name);
        expect(selected, `${w.metadata.name}'s spread selects`).toEqual([w.metadata.name]);
      }
    }
    for (const w of objects.filter((o) => ['DaemonSet', 'Job', 'CronJob'].includes(o.kind))) expect(podSpecOf(w).topologySpreadConstraints, w.metadata.name).toBeUndefined();
  });

  it('mounts a token only in the pods that call the API, each account saying which calls', () => {
    for (const w of workloadsOf(objects)) {
      const spec = podSpecOf(w);
      expect(spec.automountServiceAccountToken, w.metadata.name).toBe(API_CALLERS.includes(w.metadata.name) && spec.serviceAccountName !== undefined);
    }
    for (const account of ofKind(objects, 'ServiceAccount')) {
      expect(account.automountServiceAccountToken, account.metadata.name).toBe(false);
      expect(API_CALLERS, account.metadata.name).toContain(account.metadata.name);
      expect(account.metadata.annotations?.[API_CALLS_ANNOTATION], account.metadata.name).toMatch(/^\S.{20,}$/);
    }
  });

  it('marks every exemption with a reason from the one table, and nothing else', () => {
    const checks = new Set(EXEMPTIONS.map((e) => e.check));
    for (const o of objects) {
      const annotations: Record<string, string> = o.metadata.annotations ?? {};
      for (const key of Object.keys(annotations).filter((k) => k.startsWith('polaris.fairwinds.com/'))) {
        const check = /^polaris\.fairwinds\.com\/(.+)-exempt$/.exec(key)?.[1];
        expect(check && checks.has(check), `${o.kind} ${o.metadata.name}: ${key}`).toBe(true);
        expect(annotations[key]).toBe('true');
        expect(annotations[reasonAnnotation(check!)], `${o.metadata.name}: reason of ${check}`).toBe(EXEMPTIONS.find((e) => e.check === check)!.reason);
      }
    }
  });

  it('exempts exactly the workloads that fail each check (checked here as Polaris evaluates it)', () => {
    const pdbs = ofKind(objects, 'PodDisruptionBudget');
    /** Each check of the table, written again from Polaris' check definitions: the oracle. */
    const failsPolaris: Record<string, (w: any, spec: any) => boolean> = {
      cpuLimitsMissing: (_w, spec) => spec.containers.some((c: any) => !c.resources?.limits?.cpu),
      pullPolicyNotAlways: (_w, spec) => [...(spec.initContainers ?? []), ...spec.containers].some((c: any) => c.imagePullPolicy !== 'Always'),
      deploymentMissingReplicas: (w) => w.kind === 'Deployment' && !(w.spec.replicas >= 2),
      missingPodDisruptionBudget: (w) => w.kind === 'Deployment' && !pdbs.some((p) => matches(w.spec.template.metadata.labels, p.spec.selector.matchLabels)),
      topologySpreadConstraint: (w, spec) => !['Job', 'CronJob'].includes(w.kind) && !(spec.topologySpreadConstraints?.length > 0),
      automountServiceAccountToken: (_w, spec) => spec.automountServiceAccountToken !== false,
      hostNetworkSet: (_w, spec) => spec.hostNetwork === true,
      hostPathSet: (_w, spec) => (spec.volumes ?? []).some((v: any) => v.hostPath),
      runAsRootAllowed: (_w, spec) => !(spec.securityContext?.runAsNonRoot === true || spec.securityContext?.runAsUser >= 1),
    };
    expect(Object.keys(failsPolaris).sort()).toEqual(EXEMPTIONS.map((e) => e.check).sort());
    for (const w of workloadsOf(objects)) {
      const annotations: Record<string, string> = w.metadata.annotations ?? {};
      for (const [check, fails] of Object.entries(failsPolaris)) {
        expect(annotations[exemptAnnotation(check)] === 'true', `${w.kind} ${w.metadata.name}: ${check}`).toBe(fails(w, podSpecOf(w)));
      }
    }
  });

  it('pulls every image pinned by tag Always and every image pinned by digest IfNotPresent, the test Pods\' included', () => {
    for (const o of objects.filter((x) => [...WORKLOADS, 'Pod'].includes(x.kind))) {
      const spec = o.kind === 'Pod' ? o.spec : podSpecOf(o);
      for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
        expect(c.imagePullPolicy, `${o.metadata.name}/${c.name} ${c.image}`).toBe(/@sha256:/.test(c.image) ? 'IfNotPresent' : 'Always');
      }
    }
  });

  it('names no ConfigMap key as a credential (Polaris\' sensitiveConfigmapContent)', () => {
    for (const cm of ofKind(objects, 'ConfigMap')) {
      expect(Object.keys(cm.data ?? {}).filter((k) => /password|token|bearer|secret/i.test(k)), cm.metadata.name).toEqual([]);
    }
  });
});

describe('in production', () => {
  it('spreads at least the HA workloads of the production profile', () => {
    const objects = renderYaml('global: {development: false}\n').objects as any[];
    const spread = objects.filter((o) => ['Deployment', 'StatefulSet'].includes(o.kind) && podSpecOf(o).topologySpreadConstraints).map((o) => o.metadata.name.replace('aiops-platform-', ''));
    expect(spread.sort()).toEqual(['ai-engine', 'alertmanager', 'api-gateway', 'elasticsearch', 'kibana', 'logstash', 'self-healing', 'traefik']);
  });
});

describe('values of priority and spread', () => {
  it('points at existing classes without rendering any (create: false), or leaves priorities out (enabled: false)', () => {
    const existing = renderYaml('global: {priorityClasses: {create: false, critical: {name: cluster-critical}, standard: {name: cluster-normal}}}\n').objects as any[];
    expect(ofKind(existing, 'PriorityClass')).toEqual([]);
    expect(podSpecOf(find(existing, 'StatefulSet', 'aiops-platform-postgresql')).priorityClassName).toBe('cluster-critical');
    expect(podSpecOf(find(existing, 'Deployment', 'aiops-platform-grafana')).priorityClassName).toBe('cluster-normal');
    const off = renderYaml('global: {priorityClasses: {enabled: false}}\n').objects as any[];
    expect(ofKind(off, 'PriorityClass')).toEqual([]);
    for (const w of workloadsOf(off)) expect(podSpecOf(w).priorityClassName, w.metadata.name).toBeUndefined();
  });

  it('renames and revalues the classes', () => {
    const objects = renderYaml('global: {priorityClasses: {critical: {name: ops-high, value: 5000}, standard: {value: 10}}}\n').objects as any[];
    expect(ofKind(objects, 'PriorityClass').map((c) => `${c.metadata.name}=${c.value}`)).toEqual(['ops-high=5000', 'aiops-platform-standard=10']);
  });

  it('refuses classes that cannot work, naming the keys', () => {
    const messages = (text: string) => issuesOf(text).map((i) => `${i.path}: ${i.message}`);
    expect(messages('global: {priorityClasses: {critical: {value: 10}, standard: {value: 10}}}\n')).toEqual([expect.stringMatching(/^global\.priorityClasses\.critical\.value: the critical class \(10\) must rank above the standard class \(10\)/)]);
    expect(messages('global: {priorityClasses: {critical: {name: system-node-critical}}}\n')).toEqual([expect.stringMatching(/^global\.priorityClasses\.critical\.name: .*system-/)]);
    expect(messages('global: {priorityClasses: {critical: {name: same}, standard: {name: same}}}\n')).toEqual([expect.stringMatching(/^global\.priorityClasses\.standard\.name: critical and standard name the same class "same"/)]);
    expect(messages('global: {priorityClasses: {critical: {value: 2000000000}}}\n')).toEqual([expect.stringMatching(/^global\.priorityClasses\.critical\.value: /)]);
    expect(messages('global: {priorityClasses: {standard: {name: "Bad Name; rm -rf /"}}}\n')).toEqual([expect.stringMatching(/^global\.priorityClasses\.standard\.name: /)]);
    expect(messages('global: {topologySpread: {zone: {whenUnsatisfiable: Sometimes}}}\n')).toEqual([expect.stringMatching(/^global\.topologySpread\.zone\.whenUnsatisfiable: /)]);
    expect(messages('kibana: {topologySpread: {zone: {maxSkew: 0}}}\n')).toEqual([expect.stringMatching(/^kibana\.topologySpread\.zone\.maxSkew: /)]);
    // One pod, or one per node: nothing to spread, so the key is not there to be silently ignored.
    for (const slice of ['nodeExporter', 'filebeat', 'kubeStateMetrics', 'postgresql']) {
      expect(messages(`${slice}: {topologySpread: {zone: {enabled: false}}}\n`)).toEqual([expect.stringMatching(new RegExp(`^${slice}\\.topologySpread: unknown key "topologySpread"`))]);
    }
  });

  it('tunes the spread globally and per component, key by key', () => {
    const objects = renderYaml(
      'global: {development: false, topologySpread: {hostname: {enabled: false}}}\nelasticsearch: {topologySpread: {zone: {whenUnsatisfiable: DoNotSchedule, maxSkew: 2}}}\n',
    ).objects as any[];
    const es = podSpecOf(find(objects, 'StatefulSet', 'aiops-platform-elasticsearch')).topologySpreadConstraints;
    expect(es.map((c: any) => [c.topologyKey, c.whenUnsatisfiable, c.maxSkew])).toEqual([['topology.kubernetes.io/zone', 'DoNotSchedule', 2]]);
    const kibana = podSpecOf(find(objects, 'Deployment', 'aiops-platform-kibana')).topologySpreadConstraints;
    expect(kibana.map((c: any) => [c.topologyKey, c.whenUnsatisfiable, c.maxSkew])).toEqual([['topology.kubernetes.io/zone', 'ScheduleAnyway', 1]]);
  });

  it('pulls tags Always, digests IfNotPresent (exempted with the reason), and a policy values choose as chosen (not exempted)', () => {
    const digest = `sha256:${'a'.repeat(64)}`;
    const objects = renderYaml(`grafana: {image: {digest: "${digest}"}}\nkibana: {image: {pullPolicy: IfNotPresent}}\n`).objects as any[];
    const grafana = find(objects, 'Deployment', 'aiops-platform-grafana');
    expect(podSpecOf(grafana).containers[0].imagePullPolicy).toBe('IfNotPresent');
    expect(grafana.metadata.annotations[exemptAnnotation('pullPolicyNotAlways')]).toBe('true');
    const kibana = find(objects, 'Deployment', 'aiops-platform-kibana');
    expect(podSpecOf(kibana).containers[0].imagePullPolicy).toBe('IfNotPresent');
    expect(kibana.metadata.annotations?.[exemptAnnotation('pullPolicyNotAlways')]).toBeUndefined();
    expect(podSpecOf(find(objects, 'StatefulSet', 'aiops-platform-postgresql')).containers[0].imagePullPolicy).toBe('Always');
  });
});

describe('the README', () => {
  it('prints the table of exemptions as the code has it, row for row', () => {
    const readme = readFileSync(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('### Scheduling, API tokens and audit exemptions'), readme.indexOf('\n## Components'));
    const rows = section.split('\n').filter((line) => /^\| `[A-Za-z]+` \|/.test(line));
    expect(rows).toEqual(EXEMPTIONS.map((e) => `| \`${e.check}\` | ${e.where} | ${e.reason} |`));
  });
});
