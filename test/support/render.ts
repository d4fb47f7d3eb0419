import { parseAllDocuments } from 'yaml';
import { render, type Rendered } from '../../src/cli/render.js';
import { APPLYSET_FOLDER } from '../../src/cli/output-layout.js';
import { loadValues } from '../../src/values/load.js';
import type { Fixture } from './fixtures.js';
import { STAND_IN_CODE } from './service-code.js';

/** One render with its YAML text and parsed objects. */
export interface TestRender extends Rendered {
  readonly yaml: string;
}

/** Renders values files (YAML texts) and `--set` flags in-process, as the CLI does but with the stand-in bundles of the platform services. */
export function renderValues(files: readonly Fixture[] = [], sets: readonly string[] = [], release = 'aiops-platform', namespace = 'aiops-platform'): TestRender {
  const { values } = loadValues({ files, sets });
  const rendered = render(values, release, namespace, undefined, STAND_IN_CODE);
  return { ...rendered, yaml: renderStream(rendered.files).yaml };
}

/**
 * The files a cluster runs (the manifests, then the connection tests) as one YAML stream, one
 * document per object, and their names; not the ApplySet's bootstrap files (applyset/: its
 * parent's kind exists only once its CRD is applied; test/cli/prune.test.ts covers them).
 */
export function renderStream(files: Rendered['files']): { names: string[]; yaml: string } {
  const kept = Object.entries(files).filter(([name]) => !name.startsWith(`${APPLYSET_FOLDER}/`));
  return { names: kept.map(([name]) => name), yaml: kept.map(([, text]) => text).join('---\n') };
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

/** The names of the objects of a kind, in render order. */
export function namesOf(objects: readonly Record<string, unknown>[], kind: string): string[] {
  return ofKind(objects, kind).map((o) => o.metadata.name);
}

/** The pod spec of a workload object (Deployment, StatefulSet, DaemonSet, Job, CronJob; a bare Pod: its own spec). */
export function podSpecOf(workload: any): any {
  if (workload.kind === 'Pod') return workload.spec;
  return workload.kind === 'CronJob' ? workload.spec.jobTemplate.spec.template.spec : workload.spec.template.spec;
}

/** A container of a pod spec: the first one, or the (init) container named `name` (undefined when none is). */
export function containerOf(pod: any, name?: string): any {
  return name === undefined ? pod.containers[0] : [...(pod.initContainers ?? []), ...pod.containers].find((c: any) => c.name === name);
}

/** The env entry `name` of a container (undefined when it has none). */
export const envOf = (container: any, name: string): any => container.env?.find((e: any) => e.name === name);

/** The literal env values of a container by name (entries read from a Secret or field left out). */
export function envValues(container: any): Record<string, string> {
  return Object.fromEntries((container.env ?? []).filter((e: any) => e.value !== undefined).map((e: any) => [e.name, e.value]));
}

/** Anything that rendered objects: a whole-chart render or one construct's. */
interface HasObjects {
  readonly objects: readonly Record<string, unknown>[];
}

/**
 * Accessors for one workload of a render: the object, its pod spec, a container (the first, or by
 * name) and an env entry of it. `workload('StatefulSet', NAME).container(r)` reads like the test means.
 */
export function workload(kind: string, name: string) {
  const object = (r: HasObjects): any => find(r.objects, kind, name);
  const pod = (r: HasObjects): any => podSpecOf(object(r));
  const container = (r: HasObjects, containerName?: string): any => containerOf(pod(r), containerName);
  const env = (r: HasObjects, envName: string, containerName?: string): any => envOf(container(r, containerName), envName);
  return { name, object, pod, container, env };
}

/** The security context of a container that runs restricted: no escalation, privilege, capability or writable root. */
export const RESTRICTED_CONTAINER = {
  allowPrivilegeEscalation: false,
  privileged: false,
  readOnlyRootFilesystem: true,
  runAsNonRoot: true,
  capabilities: { drop: ['ALL'] },
  seccompProfile: { type: 'RuntimeDefault' },
} as const;
