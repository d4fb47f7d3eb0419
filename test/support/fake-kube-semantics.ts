import { randomInt } from 'node:crypto';

/**
 * The API server's rules that test/support/fake-kube-api.ts imitates: Status objects, the
 * resources it serves, JSON merge patch, label selectors, generateName and the validations
 * that catch a wrong client (Event fields, HPA bounds, scale replicas, names).
 */

/** A stored object, loosely typed (the fake reads a few fields only). */
export type KubeObject = { metadata: KubeMeta; [field: string]: unknown };
export type KubeMeta = {
  name?: string;
  generateName?: string;
  namespace?: string;
  resourceVersion?: string;
  uid?: string;
  creationTimestamp?: string;
  labels?: Record<string, string>;
  [field: string]: unknown;
};

/** The resources the fake serves (their plural names, as in URLs). */
export type FakeResource = 'pods' | 'deployments' | 'statefulsets' | 'horizontalpodautoscalers' | 'jobs' | 'events' | 'leases';

export interface ResourceType {
  /** URL prefix of the group/version. */
  readonly prefix: string;
  /** API group ('' for core). */
  readonly group: string;
  readonly apiVersion: string;
  readonly kind: string;
  /** PUT without metadata.resourceVersion is allowed (false for Leases: their strategy refuses it). */
  readonly unconditionalUpdate: boolean;
}

export const RESOURCES: Record<FakeResource, ResourceType> = {
  pods: { prefix: '/api/v1', group: '', apiVersion: 'v1', kind: 'Pod', unconditionalUpdate: true },
  events: { prefix: '/api/v1', group: '', apiVersion: 'v1', kind: 'Event', unconditionalUpdate: true },
  deployments: { prefix: '/apis/apps/v1', group: 'apps', apiVersion: 'apps/v1', kind: 'Deployment', unconditionalUpdate: true },
  statefulsets: { prefix: '/apis/apps/v1', group: 'apps', apiVersion: 'apps/v1', kind: 'StatefulSet', unconditionalUpdate: true },
  horizontalpodautoscalers: { prefix: '/apis/autoscaling/v2', group: 'autoscaling', apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', unconditionalUpdate: true },
  jobs: { prefix: '/apis/batch/v1', group: 'batch', apiVersion: 'batch/v1', kind: 'Job', unconditionalUpdate: true },
  leases: { prefix: '/apis/coordination.k8s.io/v1', group: 'coordination.k8s.io', apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', unconditionalUpdate: false },
};

export const isFakeResource = (name: string): name is FakeResource => Object.hasOwn(RESOURCES, name);

/** `leases.coordination.k8s.io` / `pods`: how the API server names a resource in messages. */
export const qualified = (resource: FakeResource) => (RESOURCES[resource].group ? `${resource}.${RESOURCES[resource].group}` : resource);

/** An error answer: HTTP status and the Status object of the body. */
export class StatusError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }

  /** The Status object the API server sends. */
  body() {
    return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: this.message, reason: this.reason, ...(this.details ? { details: this.details } : {}), code: this.code };
  }
}

export const notFound = (resource: FakeResource, name: string) =>
  new StatusError(404, 'NotFound', `${qualified(resource)} "${name}" not found`, { name, group: RESOURCES[resource].group, kind: resource });
export const alreadyExists = (resource: FakeResource, name: string) =>
  new StatusError(409, 'AlreadyExists', `${qualified(resource)} "${name}" already exists`, { name, group: RESOURCES[resource].group, kind: resource });
export const conflict = (resource: FakeResource, name: string) =>
  new StatusError(409, 'Conflict', `Operation cannot be fulfilled on ${qualified(resource)} "${name}": the object has been modified; please apply your changes to the latest version and try again`, {
    name,
    group: RESOURCES[resource].group,
    kind: resource,
  });
export const badRequest = (message: string) => new StatusError(400, 'BadRequest', message);

/** 422 Invalid with one cause per problem (`field: message`). */
export function invalid(resource: FakeResource, name: string, problems: readonly (readonly [field: string, message: string])[]): StatusError {
  const causes = problems.map(([field, message]) => ({ reason: 'FieldValueInvalid', message: `${field}: ${message}`, field }));
  const text = problems.map(([field, message]) => `${field}: ${message}`).join(', ');
  return new StatusError(422, 'Invalid', `${RESOURCES[resource].kind} "${name}" is invalid: ${text}`, { name, group: RESOURCES[resource].group, kind: RESOURCES[resource].kind, causes });
}

/** 429 of an eviction a PodDisruptionBudget refuses, as pkg/registry/core/pod/storage/eviction.go words it. */
export const disruptionBudgetRefusal = (pdb: string) =>
  new StatusError(429, 'TooManyRequests', "Cannot evict pod as it would violate the pod's disruption budget.", {
    causes: [{ reason: 'DisruptionBudget', message: `The disruption budget ${pdb} needs 1 healthy pods and has 1 currently` }],
  });

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** RFC 7386 JSON merge patch: objects merge key by key, `null` deletes, anything else replaces. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return structuredClone(patch);
  const result: Record<string, unknown> = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

/** Equality-based label selectors: `a=b`, `a==b`, `a!=b`, `a` (exists), `!a` (absent), comma-joined. */
export function labelMatcher(selector: string | undefined): (labels: Record<string, string> | undefined) => boolean {
  if (!selector) return () => true;
  const tests = selector.split(',').map((term): ((labels: Record<string, string>) => boolean) => {
    const m = /^\s*(!?)([A-Za-z0-9][-A-Za-z0-9_./]*)\s*(?:(==|=|!=)\s*([-A-Za-z0-9_.]*))?\s*$/.exec(term);
    if (!m) throw badRequest(`unable to parse requirement: ${JSON.stringify(term)} (the fake understands equality-based selectors only)`);
    const [, not, key, op, value] = m as unknown as [string, string, string, string | undefined, string | undefined];
    if (not && op) throw badRequest(`unable to parse requirement: ${JSON.stringify(term)}`);
    if (not) return (labels) => !(key in labels);
    if (!op) return (labels) => key in labels;
    return op === '!=' ? (labels) => labels[key] !== value : (labels) => labels[key] === value;
  });
  return (labels) => tests.every((test) => test(labels ?? {}));
}

/** `a=1,b=2` of a matchLabels map (a Scale's status.selector). */
export const selectorString = (labels: Record<string, string> | undefined) =>
  Object.entries(labels ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(',');

/** The 5 characters the API server appends to a generateName (k8s.io/apimachinery/pkg/util/rand: no vowels). */
export function nameSuffix(): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  return Array.from({ length: 5 }, () => alphabet[randomInt(alphabet.length)]).join('');
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const QUALIFIED_NAME = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

/** Problems of metadata.name. */
export function nameProblems(name: string): [string, string][] {
  return name.length <= 253 && DNS_SUBDOMAIN.test(name) ? [] : [['metadata.name', `Invalid value: ${JSON.stringify(name)}: a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.'`]];
}

/** Problems the API server finds in a core/v1 Event (pkg/apis/core/validation/events.go, legacyValidateEvent). */
export function eventProblems(event: KubeObject, namespace: string): [string, string][] {
  const problems: [string, string][] = [];
  const involved = (event['involvedObject'] ?? {}) as { namespace?: string };
  const text = (field: string) => (typeof event[field] === 'string' ? (event[field] as string) : '');
  if (!event['eventTime']) {
    if ((involved.namespace ?? '') !== namespace) problems.push(['involvedObject.namespace', 'does not match event.namespace']);
    return problems;
  }
  if (!involved.namespace && namespace !== 'default' && namespace !== 'kube-system') problems.push(['involvedObject.namespace', 'does not match event.namespace']);
  if (!text('reportingComponent')) problems.push(['reportingComponent', 'Required value']);
  else if (!QUALIFIED_NAME.test(text('reportingComponent'))) problems.push(['reportingComponent', 'Invalid value: not a qualified name']);
  if (!text('reportingInstance')) problems.push(['reportingInstance', 'Required value']);
  if (text('reportingInstance').length > 128) problems.push(['reportingInstance', 'can have at most 128 characters']);
  if (!text('action')) problems.push(['action', 'Required value']);
  if (text('action').length > 128) problems.push(['action', 'can have at most 128 characters']);
  if (!text('reason')) problems.push(['reason', 'Required value']);
  if (text('reason').length > 128) problems.push(['reason', 'can have at most 128 characters']);
  if (Buffer.byteLength(text('message'), 'utf8') > 1024) problems.push(['message', 'can have at most 1024 characters']);
  if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}(Z|[+-]\d\d:\d\d)$/.test(String(event['eventTime']))) problems.push(['eventTime', 'Invalid value: expected RFC 3339 with microseconds']);
  return problems;
}

/** Problems of an autoscaling/v2 HPA's replica bounds. */
export function autoscalerProblems(hpa: KubeObject): [string, string][] {
  const spec = (hpa['spec'] ?? {}) as { minReplicas?: unknown; maxReplicas?: unknown };
  const min = spec.minReplicas ?? 1;
  const max = spec.maxReplicas;
  const problems: [string, string][] = [];
  if (!Number.isInteger(min) || (min as number) < 1) problems.push(['spec.minReplicas', `Invalid value: ${JSON.stringify(min)}: must be greater than or equal to 1`]);
  if (!Number.isInteger(max) || (max as number) < 1) problems.push(['spec.maxReplicas', `Invalid value: ${JSON.stringify(max)}: must be greater than or equal to 1`]);
  else if (Number.isInteger(min) && (min as number) > (max as number)) problems.push(['spec.maxReplicas', `Invalid value: ${max}: must be greater than or equal to \`minReplicas\``]);
  return problems;
}

/** Problems of a Scale's spec.replicas. */
export function replicasProblems(replicas: unknown): [string, string][] {
  return Number.isInteger(replicas) && (replicas as number) >= 0 ? [] : [['spec.replicas', `Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0`]];
}

/** Problems of a Lease spec. */
export function leaseProblems(lease: KubeObject): [string, string][] {
  const duration = ((lease['spec'] ?? {}) as { leaseDurationSeconds?: unknown }).leaseDurationSeconds;
  return duration === undefined || (Number.isInteger(duration) && (duration as number) > 0)
    ? []
    : [['spec.leaseDurationSeconds', `Invalid value: ${JSON.stringify(duration)}: must be greater than 0`]];
}
