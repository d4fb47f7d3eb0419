import { k8s } from '../../src/lib/k8s.js';
import { describe, expect, it } from 'vitest';
import { convertJson } from '../../src/lib/opaque-maps.js';
import { find, parseManifests, podSpecOf, renderYaml } from '../support/render.js';

/** Keys every plain JavaScript object inherits: valid Kubernetes label/annotation keys or env names all the same. */
const PROTOTYPE_KEYS = ['constructor', 'toString', 'hasOwnProperty', 'valueOf', 'isPrototypeOf'] as const;
const map = Object.fromEntries([...PROTOTYPE_KEYS.map((k) => [k, `v-${k}`]), ['value', 'v-value']]);
const sorted = (m: Record<string, string>) => Object.fromEntries(Object.keys(m).sort().map((k) => [k, m[k]!]));

/** Renders, and parses the YAML back (what kubectl reads), checking objects and YAML agree. */
function renderBoth(text: string) {
  const rendered = renderYaml(text);
  // The manifests and the connection tests, the objects the render returns (not the other files of the output).
  const parsed = parseManifests([rendered.files['aiops-platform.k8s.yaml']!, rendered.files['tests/aiops-platform-tests.k8s.yaml']].filter(Boolean).join('---\n'));
  expect(parsed).toEqual(JSON.parse(JSON.stringify([...rendered.objects, ...rendered.testObjects])));
  return parsed;
}

describe('string maps with keys named like Object.prototype members', () => {
  it('renders them in commonLabels on every object (cdk8s threw "can\'t render non-simple object")', () => {
    const objects = renderBoth(`global:\n  commonLabels: ${JSON.stringify(map)}\n`);
    expect(objects.length).toBeGreaterThan(20);
    for (const object of objects) {
      const labels = (object.metadata as { labels: Record<string, string> }).labels;
      expect(labels).toMatchObject(map);
    }
  });

  it('renders them in podLabels, podAnnotations and nodeSelector, exactly (cdk8s kept only { value } of a map with constructor and value)', () => {
    const objects = renderBoth(
      `grafana:\n  podLabels: ${JSON.stringify(map)}\n  podAnnotations: ${JSON.stringify(map)}\n  nodeSelector: ${JSON.stringify(map)}\n` +
        `prometheus:\n  nodeSelector: {constructor: a, value: b}\n`,
    );
    const grafana = find(objects, 'Deployment', 'aiops-platform-grafana');
    expect(grafana.spec.template.metadata.labels).toMatchObject(map);
    expect(grafana.spec.template.metadata.annotations).toMatchObject(map);
    expect(podSpecOf(grafana).nodeSelector).toEqual(sorted(map));
    expect(Object.keys(podSpecOf(grafana).nodeSelector)).toEqual(Object.keys(sorted(map)));
    expect(podSpecOf(find(objects, 'StatefulSet', 'aiops-platform-prometheus')).nodeSelector).toEqual({ constructor: 'a', value: 'b' });
  });

  it('renders them in Ingress and Service annotations', () => {
    const objects = renderBoth(`ingress:\n  annotations: {constructor: a, toString: b}\ntraefik:\n  service:\n    annotations: {valueOf: c, hasOwnProperty: d}\n`);
    expect(find(objects, 'Ingress', 'aiops-platform').metadata.annotations).toMatchObject({ constructor: 'a', toString: 'b' });
    expect(find(objects, 'Service', 'aiops-platform-traefik').metadata.annotations).toEqual({ valueOf: 'c', hasOwnProperty: 'd' });
  });

  it('renders extraEnv names constructor, __defineGetter__ and valueOf as variables', () => {
    const objects = renderBoth('aiEngine:\n  extraEnv: {constructor: a, __defineGetter__: b, valueOf: c}\n');
    const env = podSpecOf(find(objects, 'Deployment', 'aiops-platform-ai-engine')).containers[0].env as { name: string; value?: string }[];
    expect(env.filter((e) => ['constructor', '__defineGetter__', 'valueOf'].includes(e.name))).toEqual([
      { name: '__defineGetter__', value: 'b' },
      { name: 'constructor', value: 'a' },
      { name: 'valueOf', value: 'c' },
    ]);
  });

  it('renders them in production objects too: NetworkPolicy selectors, PodDisruptionBudgets, HPAs, the Redis Cluster Job', () => {
    const objects = renderBoth(
      `global:\n  development: false\n  commonLabels: ${JSON.stringify(map)}\nnetworkPolicy:\n  dns:\n    podSelector: {constructor: kube-dns, value: x}\nredis: {cluster: {enabled: true}}\n`,
    );
    for (const kind of ['NetworkPolicy', 'PodDisruptionBudget', 'HorizontalPodAutoscaler', 'Job', 'StatefulSet']) {
      const ofKind = objects.filter((o) => o.kind === kind);
      expect(ofKind.length, kind).toBeGreaterThan(0);
      for (const object of ofKind) expect((object.metadata as { labels: object }).labels).toMatchObject(map);
    }
    const selectors = JSON.stringify(objects.filter((o) => o.kind === 'NetworkPolicy'));
    expect(selectors).toContain('{"constructor":"kube-dns","value":"x"}');
  });

  it('renders them when given with --set', () => {
    const rendered = renderYaml('', ['global.commonLabels.constructor=x', 'grafana.nodeSelector.toString=y', 'aiEngine.extraEnv.valueOf=z']);
    const grafana = find(rendered.objects, 'Deployment', 'aiops-platform-grafana');
    expect(grafana.metadata.labels.constructor).toBe('x');
    expect(podSpecOf(grafana).nodeSelector).toEqual({ toString: 'y' });
    const env = podSpecOf(find(rendered.objects, 'Deployment', 'aiops-platform-ai-engine')).containers[0].env;
    expect(env).toContainEqual({ name: 'valueOf', value: 'z' });
  });

  it('renders the same values twice to the same bytes (the values are not changed by a render)', () => {
    const text = `global:\n  commonLabels: ${JSON.stringify(map)}\n`;
    expect(renderYaml(text).yaml).toBe(renderYaml(text).yaml);
  });
});

describe('large string maps', () => {
  it('renders 2,000 commonLabels in linear time (151 s before; the bound is generous)', { timeout: 60_000 }, () => {
    const labels = Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`example.com/label-${i}`, `v${i}`]));
    const started = Date.now();
    const rendered = renderYaml(JSON.stringify({ global: { commonLabels: labels } }));
    const seconds = (Date.now() - started) / 1000;
    expect(seconds).toBeLessThan(20);
    const namespace = rendered.objects.find((o) => o.kind === 'Namespace')!;
    expect(Object.keys((namespace.metadata as { labels: object }).labels).length).toBeGreaterThan(2000);
    expect((namespace.metadata as { labels: Record<string, string> }).labels['example.com/label-1999']).toBe('v1999');
  });

  it('keeps a large map sorted by key, as cdk8s sorts smaller ones', () => {
    const annotations = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`z${40 - i}`, String(i)]));
    const objects = renderBoth(JSON.stringify({ grafana: { podAnnotations: annotations } }));
    const rendered = find(objects, 'Deployment', 'aiops-platform-grafana').spec.template.metadata.annotations;
    expect(Object.keys(rendered)).toEqual(Object.keys(rendered).sort());
    expect(rendered).toMatchObject(annotations);
  });

  it('converts a manifest kept in a config file (the self-healing Job template) in linear time, keys kept', () => {
    const labels = Object.fromEntries([...Array.from({ length: 20_000 }, (_, i) => [`l${i}`, 'v']), ['constructor', 'x'], ['value', 'y']]);
    const started = Date.now();
    const spec = convertJson({ template: { metadata: { labels }, spec: { containers: [] } } } as k8s.JobSpec, k8s.toJson_JobSpec)!;
    expect(Date.now() - started).toBeLessThan(5000); // the converter alone copies the map once per key: minutes
    expect(spec.template.metadata!.labels).toEqual(labels);
  });

  it('renders the self-healing rules with 2,000 commonLabels on their Job templates', () => {
    const labels = Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`example.com/l${i}`, 'v']));
    const rendered = renderYaml(JSON.stringify({ global: { commonLabels: { ...labels, constructor: 'x' } } }));
    const rules = rendered.objects.find((o) => o.kind === 'ConfigMap' && JSON.stringify(o).includes('create-job'));
    expect(JSON.stringify(rules)).toContain('example.com/l1999');
    expect(JSON.stringify(rules)).toContain('constructor');
  });
});
