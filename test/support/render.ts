import { parseAllDocuments } from 'yaml';
import { render, type Rendered } from '../../src/cli/render.js';
import { loadValues } from '../../src/values/load.js';
import type { Fixture } from './fixtures.js';

/** One render with its YAML text and parsed objects. */
export interface TestRender extends Rendered {
  readonly yaml: string;
}

/** Renders values files (YAML texts) and `--set` flags in-process, exactly as the CLI does. */
export function renderValues(files: readonly Fixture[] = [], sets: readonly string[] = [], release = 'aiops-platform', namespace = 'aiops-platform'): TestRender {
  const { values } = loadValues({ files, sets });
  const rendered = render(values, release, namespace);
  const yaml = Object.values(rendered.files).join('');
  return { ...rendered, yaml };
}

/** Renders a values YAML text given inline. */
export function renderYaml(text: string, sets: readonly string[] = []): TestRender {
  return renderValues([{ name: 'inline.yaml', text }], sets);
}

/** Parses rendered YAML back into objects (what kubectl would read). */
export function parseManifests(yaml: string): Record<string, unknown>[] {
  return parseAllDocuments(yaml).map((d) => d.toJS() as Record<string, unknown>);
}

/** Finds one object by kind and name; throws when absent. */
export function find(objects: readonly Record<string, unknown>[], kind: string, name: string): any {
  const found = objects.find((o) => o.kind === kind && (o.metadata as { name?: string }).name === name);
  if (!found) throw new Error(`no ${kind} ${name} in the render (have: ${objects.map((o) => `${String(o.kind)}/${(o.metadata as { name: string }).name}`).join(', ')})`);
  return found;
}

/** All objects of a kind. */
export function ofKind(objects: readonly Record<string, unknown>[], kind: string): any[] {
  return objects.filter((o) => o.kind === kind);
}

/** The pod spec of a workload object (Deployment, StatefulSet, DaemonSet, Job, CronJob). */
export function podSpecOf(workload: any): any {
  return workload.kind === 'CronJob' ? workload.spec.jobTemplate.spec.template.spec : workload.spec.template.spec;
}
