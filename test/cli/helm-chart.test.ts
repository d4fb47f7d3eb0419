import { rmSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML, { parseAllDocuments } from 'yaml';
import { escapeHelmTemplateText, estimateReleaseSecretBytes, helmChart, HELM_CHART_NAME, type HelmChartInput } from '../../src/cli/helm-chart.js';
import { fixtures, FIXTURES_DIR } from '../support/fixtures.js';
import { runHelm, writeChart } from '../support/helm.js';
import { renderValues, renderYaml, workload, type TestRender } from '../support/render.js';

const RELEASE = 'aiops-platform';
const NAMESPACE = 'aiops-platform';

const folders: string[] = [];
afterAll(() => folders.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** The chart of a render, as the CLI builds it: the objects, then the connection tests (Helm test hooks). */
const chartOf = (rendered: Pick<TestRender, 'objects'> & Partial<Pick<TestRender, 'testObjects'>>, values: unknown = { global: { development: true } }): Record<string, string> =>
  helmChart({ objects: allObjects(rendered), release: RELEASE, namespace: NAMESPACE, appVersion: '0.1.0', values });
/** The objects of a render and its connection tests, as the chart holds them. */
const allObjects = (rendered: Pick<TestRender, 'objects'> & Partial<Pick<TestRender, 'testObjects'>>) => [...rendered.objects, ...(rendered.testObjects ?? [])];

/** Writes the chart to a temporary folder (removed after the file's tests). */
function folderOf(chart: Record<string, string>): string {
  const dir = writeChart(chart);
  folders.push(dir);
  return dir;
}

/** `apiVersion/kind/namespace/name`: what makes an object unique in a release. */
const keyOf = (object: any): string => `${object.apiVersion}/${object.kind}/${object.metadata?.namespace ?? ''}/${object.metadata?.name}`;

/** Runs `helm template` on a chart folder and parses the objects it prints. */
function helmTemplate(dir: string, release = RELEASE, namespace = NAMESPACE): Record<string, unknown>[] {
  const run = runHelm(['template', release, dir, '-n', namespace]);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  return parseAllDocuments(run.stdout)
    .map((document) => document.toJS() as Record<string, unknown> | null)
    .filter((object): object is Record<string, unknown> => object !== null);
}

/** Asserts that helm printed exactly `objects`: as many, each deeply equal to ours (Helm orders by kind, so matched by key). */
function expectSameObjects(printed: Record<string, unknown>[], objects: readonly Record<string, unknown>[]): void {
  expect(printed).toHaveLength(objects.length);
  const byKey = new Map(printed.map((object) => [keyOf(object), object]));
  expect(byKey.size).toBe(printed.length);
  for (const object of objects) expect(byKey.get(keyOf(object)), keyOf(object)).toStrictEqual(object);
}

describe('escapeHelmTemplateText', () => {
  it('turns every {{ into an action printing "{{" and leaves }} and the rest alone', () => {
    expect(escapeHelmTemplateText('a {{ .Release.Name }} b')).toBe('a {{"{{"}} .Release.Name }} b');
    expect(escapeHelmTemplateText('{{{ }} -}} }}}')).toBe('{{"{{"}}{ }} -}} }}}');
    expect(escapeHelmTemplateText('no braces: { } }}')).toBe('no braces: { } }}');
  });

  it('is undone exactly by replacing each {{"{{"}} with {{, even on text holding the escape itself', () => {
    for (const text of ['{{"{{"}}', '{{{{', '{{-', '{{/* c */}}', '{\n{', 'x{{', '{{"{{"}}"{{"}}']) {
      expect(escapeHelmTemplateText(text).replaceAll('{{"{{"}}', '{{')).toBe(text);
    }
  });
});

describe('helmChart files', () => {
  const objects = [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ns' } },
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'System:Odd_Name' } },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a.b-c', namespace: 'ns' } },
  ];
  const chart = helmChart({ objects, release: 'r', appVersion: '1.2.3', values: { a: { b: 'on' } } });

  it('names one template per object in render order: index, lower-case kind, name reduced to [a-z0-9.-]', () => {
    expect(Object.keys(chart).filter((f) => f.endsWith('.yaml') && f.startsWith('templates/'))).toStrictEqual([
      'templates/000-namespace-ns.yaml',
      'templates/001-clusterrole-system-odd-name.yaml',
      'templates/002-configmap-a.b-c.yaml',
    ]);
  });

  it('writes Chart.yaml with the chart name, versions and the Kubernetes range', () => {
    expect(YAML.parse(chart['Chart.yaml']!)).toStrictEqual({
      apiVersion: 'v2',
      name: HELM_CHART_NAME,
      description: expect.any(String),
      type: 'application',
      version: '0.1.0',
      appVersion: '1.2.3',
      kubeVersion: '>=1.25.0-0',
    });
    expect(YAML.parse(helmChart({ objects, release: 'r', appVersion: '1', chartVersion: '2.0.1', values: {} })['Chart.yaml']!).version).toBe('2.0.1');
  });

  it('keeps the values for the record, saying that changing them does nothing', () => {
    expect(chart['values.yaml']).toMatch(/^# .*\n# Changing them here .* changes nothing/);
    expect(YAML.parse(chart['values.yaml']!)).toStrictEqual({ a: { b: 'on' } });
    // YAML 1.1 words stay strings for Helm's Go YAML too.
    expect(chart['values.yaml']).toContain('b: "on"');
  });
});

describe('helm chart of a render, through the real helm 4', () => {
  let defaults: TestRender;
  let production: TestRender;
  beforeAll(() => {
    defaults = renderValues();
    production = renderValues(fixtures(FIXTURES_DIR));
  });

  it('the default render holds text Helm would read as a template (alert annotations, Alertmanager templates)', () => {
    expect(defaults.yaml).toContain('{{ $labels.node }}');
    expect(defaults.yaml.split('{{').length).toBeGreaterThan(20);
  });

  for (const profile of ['default', 'production'] as const) {
    it(`helm lint is clean on the ${profile} chart: no errors, no warnings`, () => {
      const run = runHelm(['lint', folderOf(chartOf(profile === 'default' ? defaults : production))]);
      expect(run.stdout).not.toMatch(/\[(ERROR|WARNING)\]/);
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
    });

    it(`helm template gives back every object of the ${profile} render unchanged, its connection tests included`, () => {
      const rendered = profile === 'default' ? defaults : production;
      expect(rendered.testObjects.length).toBeGreaterThan(5);
      expectSameObjects(helmTemplate(folderOf(chartOf(rendered))), allObjects(rendered));
    });
  }

  it('holds the connection tests as Helm test hooks: in the release hooks for `helm test`, never in the installed manifest', () => {
    const run = runHelm(['install', RELEASE, folderOf(chartOf(production)), '-n', NAMESPACE, '--dry-run=client', '-o', 'json']);
    expect(run.code, run.stderr).toBe(0);
    const release = JSON.parse(run.stdout) as { manifest: string; hooks: { name: string; kind: string; events: string[]; delete_policies?: string[] }[] };
    const tests = production.testObjects.map((o: any) => `${o.kind}/${o.metadata.name}`).sort();
    expect(release.hooks.filter((h) => h.events.includes('test')).map((h) => `${h.kind}/${h.name}`).sort()).toEqual(tests);
    for (const hook of release.hooks) expect(hook.delete_policies, hook.name).toEqual(['before-hook-creation', 'hook-succeeded']);
    expect(release.manifest).not.toContain('aiops-platform-test-');
    const skipped = runHelm(['template', RELEASE, folderOf(chartOf(production)), '-n', NAMESPACE, '--skip-tests']);
    expect(skipped.code, skipped.stderr).toBe(0);
    expect(skipped.stdout).not.toContain('helm.sh/hook');
  });

  it('values carrying template syntax come back unchanged (pod annotations of Grafana)', () => {
    const hostile = {
      'example.com/release': '{{ .Release.Name }}',
      'example.com/trim': 'a {{- b -}} c',
      'example.com/close': '}} -}} }}}',
      'example.com/comment': '{{/* c */}}',
      'example.com/escape': '{{"{{"}}',
      'example.com/lines': 'first\n  {{ .Values.x }}\n{{- end }}\n{\n{ last {{',
    };
    const rendered = renderYaml(YAML.stringify({ grafana: { podAnnotations: hostile } }));
    const grafana = workload('Deployment', 'aiops-platform-grafana');
    expect(grafana.object(rendered).spec.template.metadata.annotations).toMatchObject(hostile);
    const printed = helmTemplate(folderOf(chartOf(rendered)));
    expectSameObjects(printed, allObjects(rendered));
    expect(grafana.object({ objects: printed }).spec.template.metadata.annotations).toMatchObject(hostile);
  });

  it('brace runs and a last value ending in blank lines survive, though Helm trims each manifest', () => {
    const objects = [
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'braces', namespace: NAMESPACE }, data: { a: '{{{ {{}} }}} {{', b: '{{`raw`}}', c: 'x\n{{' } },
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'kept-lines', namespace: NAMESPACE }, data: { z: 'line\n\n\n' } },
    ];
    expect(YAML.stringify(objects[1])).toMatch(/\|\+\n {4}line\n\n\n$/);
    expectSameObjects(helmTemplate(folderOf(chartOf({ objects }))), objects);
  });

  it('installing under another release name or namespace fails with a message; helm lint is not affected', () => {
    const dir = folderOf(chartOf({ objects: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', namespace: NAMESPACE } }] }));
    const otherName = runHelm(['template', 'other', dir, '-n', NAMESPACE]);
    expect(otherName.code).not.toBe(0);
    expect(otherName.stderr).toContain('this chart was rendered for release aiops-platform, not other');
    const otherNamespace = runHelm(['template', RELEASE, dir, '-n', 'elsewhere']);
    expect(otherNamespace.code).not.toBe(0);
    expect(otherNamespace.stderr).toContain('this chart was rendered for namespace aiops-platform, not elsewhere');
    const lint = runHelm(['lint', dir]);
    expect(lint.stdout).not.toMatch(/\[(ERROR|WARNING)\]/);
    expect(lint.stderr).toBe('');
  });

  it("estimates the release Secret within 3 % of the release helm itself builds (production)", () => {
    const chart = chartOf(production);
    const run = runHelm(['install', RELEASE, folderOf(chart), '-n', NAMESPACE, '--dry-run=client', '-o', 'json']);
    expect(run.code).toBe(0);
    // What Helm's secrets driver stores: base64(gzip(release JSON)).
    const stored = 4 * Math.ceil(gzipSync(run.stdout, { level: 9 }).length / 3);
    const estimate = estimateReleaseSecretBytes(chart, { release: RELEASE, namespace: NAMESPACE });
    expect(Math.abs(estimate / stored - 1)).toBeLessThan(0.03);
  });
});

/** The input type is part of the module's contract with the CLI: a render's fields pass as they are. */
const _rendersPass = (rendered: TestRender): HelmChartInput => ({ ...rendered, release: RELEASE, appVersion: '0', values: {} });
void _rendersPass;
