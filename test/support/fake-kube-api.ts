import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { V1Deployment, V1StatefulSet } from '@kubernetes/client-node';
import type { HorizontalPodAutoscaler, Job, Json, KubeEvent, Lease, Pod } from '../../src/services/kit/kubernetes.js';
import {
  alreadyExists,
  autoscalerProblems,
  badRequest,
  conflict,
  disruptionBudgetRefusal,
  eventProblems,
  invalid,
  isFakeResource,
  labelMatcher,
  leaseProblems,
  mergePatch,
  nameProblems,
  nameSuffix,
  notFound,
  replicasProblems,
  RESOURCES,
  selectorString,
  StatusError,
  type FakeResource,
  type KubeObject,
} from './fake-kube-semantics.js';

export type { FakeResource, KubeObject } from './fake-kube-semantics.js';

/**
 * A recording fake Kubernetes API server on 127.0.0.1 (an ephemeral port), for tests of code that
 * calls the API: it keeps a small in-memory store and answers like the real API server.
 *
 *     const kube = await startFakeKubeApi();                 // accepts `Bearer test-token`
 *     kube.seed({ pods: [{ metadata: { name: 'web-0', namespace: 'apps', labels: { app: 'web' } } }] });
 *     const client = new KubeClient(kube.clientOptions());
 *     …
 *     expect(kube.calls()).toEqual(['POST /api/v1/namespaces/apps/pods/web-0/eviction?fieldManager=aiops-self-healing']);
 *     expect(kube.get('pods', 'apps', 'web-0')).toBeUndefined();
 *     await kube.close();
 *
 * Served (all namespaced): pods (+ `eviction`), deployments and statefulsets (+ `scale`),
 * autoscaling/v2 horizontalpodautoscalers, batch/v1 jobs, core/v1 events, coordination.k8s.io/v1
 * leases; verbs GET (item, or list with an equality `labelSelector`), POST (create), PUT
 * (replace), PATCH (JSON merge patch only). As the real server does, it answers:
 * - 401 Unauthorized without an accepted bearer token ({@link FakeKubeApi.setTokens});
 * - Status objects on errors: 404 NotFound, 409 AlreadyExists, 409 Conflict (PUT or merge patch
 *   carrying a stale metadata.resourceVersion), 422 Invalid (Event fields, HPA min/max, scale
 *   replicas, names; a Lease PUT without resourceVersion), 400 BadRequest (body kind, apiVersion,
 *   namespace or name not matching the URL, bad JSON, a dryRun value other than `All`);
 * - 415 on a POST/PUT that is not `application/json`, and on a PATCH that is not
 *   `application/merge-patch+json` (stricter than the real server, which also takes strategic-merge
 *   and JSON patches: the executor must send merge patches);
 * - 429 TooManyRequests with a `DisruptionBudget` cause on an eviction of a pod that a
 *   {@link FakeKubeApi.addDisruptionBudget} rule protects; a successful eviction deletes the pod and answers 201;
 * - `generateName` + 5 random characters; a resourceVersion counter incremented on every write;
 *   `?dryRun=All` validates and answers but changes nothing.
 * Deployments and StatefulSets roll out at once: a scale write sets status.replicas too.
 */

/** One request as the fake received it. */
export interface KubeRequest {
  readonly method: string;
  /** Path without the query, as sent (percent-encoding kept). */
  readonly path: string;
  /** Query parameters (the last value of a repeated one). */
  readonly query: Readonly<Record<string, string>>;
  /** Path and query, as sent. */
  readonly url: string;
  readonly contentType: string | undefined;
  readonly authorization: string | undefined;
  readonly userAgent: string | undefined;
  /** The body parsed as JSON; the raw text when it is not JSON; undefined when empty. */
  readonly body: unknown;
  /** The status the fake answered (set once answered; undefined while a request hangs). */
  status?: number;
}

/** A change the store went through (dry runs and refused requests are not changes). */
export interface KubeWrite {
  readonly verb: 'create' | 'replace' | 'patch' | 'scale' | 'evict';
  readonly resource: FakeResource;
  readonly namespace: string;
  readonly name: string;
  /** The object after the change (the evicted pod for `evict`). */
  readonly object: KubeObject;
}

/** A PodDisruptionBudget stand-in: evictions of the namespace's pods whose labels include `matchLabels` get 429. */
export interface DisruptionBudgetRule {
  readonly name: string;
  readonly namespace: string;
  readonly matchLabels: Readonly<Record<string, string>>;
}

/** An interceptor's answer: a status and body, or `'hang'` (never answered: for timeouts). */
export type InterceptAnswer = { readonly status: number; readonly body?: unknown } | 'hang';

/** Objects to store, by resource; metadata.namespace defaults to `default`, kind/apiVersion are filled in. */
export interface FakeSeed {
  readonly pods?: readonly Pod[];
  readonly deployments?: readonly Json<V1Deployment>[];
  readonly statefulsets?: readonly Json<V1StatefulSet>[];
  readonly horizontalpodautoscalers?: readonly HorizontalPodAutoscaler[];
  readonly jobs?: readonly Job[];
  readonly events?: readonly KubeEvent[];
  readonly leases?: readonly Lease[];
}

export interface FakeKubeApiOptions {
  /** Accepted bearer tokens. Default `['test-token']`. */
  readonly tokens?: readonly string[];
}

export interface FakeKubeApi {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** Every request, in order of arrival. */
  readonly requests: KubeRequest[];
  /** Every change of the store, in order. */
  readonly writes: KubeWrite[];
  /** `{ baseUrl, token }` for `new KubeClient(…)` (the first accepted token). */
  clientOptions(): { baseUrl: string; token: string };
  /** Stores objects (replacing any of the same name); no request is recorded. */
  seed(objects: FakeSeed): void;
  /** A stored object (a copy), or undefined. */
  get(resource: FakeResource, namespace: string, name: string): KubeObject | undefined;
  /** Stored objects (copies) of a resource, of one namespace or all. */
  list(resource: FakeResource, namespace?: string): KubeObject[];
  /** Changes a stored object in place (a Job's status, say), incrementing its resourceVersion; no request is recorded. */
  update(resource: FakeResource, namespace: string, name: string, change: (object: KubeObject) => void): KubeObject;
  /** Protects pods from eviction as a PodDisruptionBudget that allows no disruption would. */
  addDisruptionBudget(rule: DisruptionBudgetRule): void;
  /** Replaces the accepted bearer tokens (a rotation: the old one gets 401). */
  setTokens(...tokens: string[]): void;
  /** Answers requests `answer` returns something for before the fake's own logic; returns the removal. */
  intercept(answer: (request: KubeRequest) => InterceptAnswer | undefined): () => void;
  /** Calls `listener` after every change of the store; returns the removal. */
  onWrite(listener: (write: KubeWrite) => void): () => void;
  /** Requests as `METHOD url` (query included). */
  calls(): string[];
  /** Requests other than GET. */
  mutations(): KubeRequest[];
  /** Forgets the recorded requests and writes (the store stays). */
  clearRequests(): void;
  /** Stops the server; hanging requests are cut. */
  close(): Promise<void>;
}

const PATH = /^(\/api\/v1|\/apis\/[^/]+\/[^/]+)\/namespaces\/([^/]+)\/([^/]+)(?:\/([^/]+)(?:\/([^/]+))?)?$/;

/** Where a request points. */
interface Target {
  readonly resource: FakeResource;
  readonly namespace: string;
  readonly name: string | undefined;
  readonly subresource: string | undefined;
}

/** Starts a fake API server on 127.0.0.1 (ephemeral port). */
export async function startFakeKubeApi(opts: FakeKubeApiOptions = {}): Promise<FakeKubeApi> {
  const store = new Map<string, KubeObject>();
  const requests: KubeRequest[] = [];
  const writes: KubeWrite[] = [];
  const budgets: DisruptionBudgetRule[] = [];
  const interceptors = new Set<(request: KubeRequest) => InterceptAnswer | undefined>();
  const writeListeners = new Set<(write: KubeWrite) => void>();
  let tokens = new Set(opts.tokens ?? ['test-token']);
  let revision = 100;

  const key = (resource: FakeResource, namespace: string, name: string) => `${resource}/${namespace}/${name}`;
  const copy = <T>(value: T): T => structuredClone(value);
  const nextVersion = () => String((revision += 1));

  /** Stores `object` as a new revision and records the change. */
  function commit(verb: KubeWrite['verb'], resource: FakeResource, object: KubeObject): KubeObject {
    object.metadata.resourceVersion = nextVersion();
    store.set(key(resource, object.metadata.namespace!, object.metadata.name!), object);
    const write: KubeWrite = { verb, resource, namespace: object.metadata.namespace!, name: object.metadata.name!, object: copy(object) };
    writes.push(write);
    for (const listener of writeListeners) listener(write);
    return copy(object);
  }

  function stored(target: Target): KubeObject {
    const object = store.get(key(target.resource, target.namespace, target.name!));
    if (!object) throw notFound(target.resource, target.name!);
    return object;
  }

  function withType(resource: FakeResource, object: unknown, namespace: string): KubeObject {
    const o = copy(object) as KubeObject;
    return { ...o, apiVersion: RESOURCES[resource].apiVersion, kind: RESOURCES[resource].kind, metadata: { ...o.metadata, namespace } };
  }

  /** 400 unless the body is an object whose kind, apiVersion, namespace (and name) agree with the URL. */
  function checkBody(target: Target, body: unknown, kind = RESOURCES[target.resource].kind, apiVersions = [RESOURCES[target.resource].apiVersion]): KubeObject {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest('the request body is not a JSON object');
    const o = body as KubeObject;
    o.metadata ??= {};
    if (o['kind'] !== undefined && o['kind'] !== kind) throw badRequest(`the kind in the data (${String(o['kind'])}) does not match the expected kind (${kind})`);
    if (o['apiVersion'] !== undefined && !apiVersions.includes(String(o['apiVersion']))) {
      throw badRequest(`the API version in the data (${String(o['apiVersion'])}) does not match the expected API version (${apiVersions[0]})`);
    }
    if (o.metadata.namespace !== undefined && o.metadata.namespace !== target.namespace) {
      throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    if (target.name !== undefined && o.metadata.name !== undefined && o.metadata.name !== target.name) {
      throw badRequest(`the name of the object (${o.metadata.name}) does not match the name on the URL (${target.name})`);
    }
    return o;
  }

  function validate(resource: FakeResource, object: KubeObject): void {
    const problems = [
      ...nameProblems(object.metadata.name!),
      ...(resource === 'events' ? eventProblems(object, object.metadata.namespace!) : []),
      ...(resource === 'horizontalpodautoscalers' ? autoscalerProblems(object) : []),
      ...(resource === 'leases' ? leaseProblems(object) : []),
    ];
    if (problems.length > 0) throw invalid(resource, object.metadata.name!, problems);
  }

  function create(target: Target, body: unknown, dryRun: boolean): [number, unknown] {
    const input = checkBody(target, body);
    const meta = input.metadata;
    if (!meta.name && !meta.generateName) throw invalid(target.resource, '', [['metadata.name', 'Required value: name or generateName is required']]);
    const name = meta.name || `${meta.generateName}${nameSuffix()}`;
    if (store.has(key(target.resource, target.namespace, name))) throw alreadyExists(target.resource, name);
    const object = withType(target.resource, input, target.namespace);
    object.metadata = { ...object.metadata, name, uid: randomUUID(), creationTimestamp: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z') };
    delete object.metadata.resourceVersion;
    if (target.resource === 'jobs' || target.resource === 'pods') object['status'] = {};
    validate(target.resource, object);
    return [201, dryRun ? object : commit('create', target.resource, object)];
  }

  /** 409 when `resourceVersion` is given and is not the stored one. */
  function precondition(target: Target, current: KubeObject, resourceVersion: unknown): void {
    if (resourceVersion !== undefined && resourceVersion !== current.metadata.resourceVersion) throw conflict(target.resource, target.name!);
  }

  function replace(target: Target, body: unknown, dryRun: boolean): [number, unknown] {
    const input = checkBody(target, body);
    const current = stored(target);
    const version = input.metadata.resourceVersion;
    if (version === undefined && !RESOURCES[target.resource].unconditionalUpdate) {
      throw invalid(target.resource, target.name!, [['metadata.resourceVersion', 'Invalid value: 0x0: must be specified for an update']]);
    }
    precondition(target, current, version);
    const object = withType(target.resource, input, target.namespace);
    object.metadata = { ...object.metadata, name: target.name, uid: current.metadata.uid, creationTimestamp: current.metadata.creationTimestamp };
    validate(target.resource, object);
    return [200, dryRun ? object : commit('replace', target.resource, object)];
  }

  function patch(target: Target, body: unknown, dryRun: boolean): [number, unknown] {
    const current = stored(target);
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest('the merge patch is not a JSON object');
    precondition(target, current, (body as KubeObject).metadata?.resourceVersion);
    const object = checkBody(target, mergePatch(current, body));
    validate(target.resource, object);
    return [200, dryRun ? object : commit('patch', target.resource, object)];
  }

  /** The autoscaling/v1 Scale of a Deployment or StatefulSet. */
  function scaleOf(object: KubeObject) {
    const spec = (object['spec'] ?? {}) as { replicas?: number; selector?: { matchLabels?: Record<string, string> } };
    const status = (object['status'] ?? {}) as { replicas?: number };
    const { name, namespace, uid, resourceVersion, creationTimestamp } = object.metadata;
    return {
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      metadata: { name, namespace, uid, resourceVersion, creationTimestamp },
      spec: { replicas: spec.replicas ?? 1 },
      status: { replicas: status.replicas ?? 0, selector: selectorString(spec.selector?.matchLabels) },
    };
  }

  function patchScale(target: Target, body: unknown, dryRun: boolean): [number, unknown] {
    const current = stored(target);
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest('the merge patch is not a JSON object');
    precondition(target, current, (body as KubeObject).metadata?.resourceVersion);
    const scale = mergePatch(scaleOf(current), body) as { spec?: { replicas?: unknown } };
    const replicas = scale.spec?.replicas;
    const problems = replicasProblems(replicas);
    if (problems.length > 0) throw new StatusError(422, 'Invalid', `Scale.autoscaling "${target.name}" is invalid: ${problems.map((p) => p.join(': ')).join(', ')}`);
    const object = copy(current);
    object['spec'] = { ...(object['spec'] as object), replicas };
    object['status'] = { ...(object['status'] as object), replicas };
    return [200, scaleOf(dryRun ? object : commit('scale', target.resource, object))];
  }

  function evict(target: Target, body: unknown, dryRun: boolean): [number, unknown] {
    const eviction = checkBody({ ...target, name: undefined }, body, 'Eviction', ['policy/v1', 'policy/v1beta1']);
    if (eviction.metadata.name !== target.name) throw badRequest('name in URL does not match name in Eviction object');
    const bodyDryRun = ((eviction['deleteOptions'] ?? {}) as { dryRun?: string[] }).dryRun ?? [];
    // The query's dryRun and the body's deleteOptions.dryRun may both be set, then they must agree (only `All` exists).
    if (bodyDryRun.length > 0 && (bodyDryRun.length !== 1 || bodyDryRun[0] !== 'All')) throw badRequest(`Invalid dry run value: ${JSON.stringify(bodyDryRun)}`);
    const pod = stored(target);
    const labels = pod.metadata.labels ?? {};
    const budget = budgets.find((b) => b.namespace === target.namespace && Object.entries(b.matchLabels).every(([k, v]) => labels[k] === v));
    if (budget) throw disruptionBudgetRefusal(budget.name);
    if (!dryRun && bodyDryRun.length === 0) {
      store.delete(key('pods', target.namespace, target.name!));
      const write: KubeWrite = { verb: 'evict', resource: 'pods', namespace: target.namespace, name: target.name!, object: copy(pod) };
      writes.push(write);
      for (const listener of writeListeners) listener(write);
    }
    return [201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 }];
  }

  function list(target: Target, selector: string | undefined): [number, unknown] {
    const matches = labelMatcher(selector);
    const prefix = key(target.resource, target.namespace, '');
    const items = [...store].filter(([k, o]) => k.startsWith(prefix) && matches(o.metadata.labels)).map(([, o]) => copy(o));
    const { apiVersion, kind } = RESOURCES[target.resource];
    return [200, { apiVersion, kind: `${kind}List`, metadata: { resourceVersion: String(revision) }, items }];
  }

  /** Where `path` points (404 when the fake does not serve it). */
  function targetOf(path: string): Target {
    const m = PATH.exec(path);
    const unknown = new StatusError(404, 'NotFound', 'the server could not find the requested resource');
    if (!m) throw unknown;
    const [, prefix, namespace, resource, name, subresource] = m.map((part) => (part === undefined ? undefined : decodeURIComponent(part)));
    if (!isFakeResource(resource!) || RESOURCES[resource].prefix !== prefix) throw unknown;
    const allowed = subresource === undefined || (subresource === 'eviction' && resource === 'pods') || (subresource === 'scale' && (resource === 'deployments' || resource === 'statefulsets'));
    if (!allowed) throw unknown;
    return { resource, namespace: namespace!, name, subresource };
  }

  function route(request: KubeRequest): [number, unknown] {
    const token = request.authorization?.startsWith('Bearer ') ? request.authorization.slice('Bearer '.length) : undefined;
    if (token === undefined || !tokens.has(token)) {
      throw new StatusError(401, 'Unauthorized', 'Unauthorized');
    }
    const target = targetOf(request.path);
    const dryRunValue = request.query['dryRun'];
    if (dryRunValue !== undefined && dryRunValue !== 'All') throw badRequest(`Invalid dry run value: ${JSON.stringify(dryRunValue)}`);
    const dryRun = dryRunValue === 'All';
    const method = request.method;
    const mediaType = request.contentType?.split(';')[0]!.trim().toLowerCase();
    if ((method === 'POST' || method === 'PUT') && mediaType !== 'application/json') {
      throw new StatusError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf`);
    }
    if (method === 'PATCH' && mediaType !== 'application/merge-patch+json') {
      throw new StatusError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/merge-patch+json (the fake accepts merge patches only; got ${String(request.contentType)})`);
    }
    if (typeof request.body === 'string') throw badRequest('the request body is not valid JSON');
    const verb = `${method} ${target.name === undefined ? 'collection' : (target.subresource ?? 'item')}`;
    switch (verb) {
      case 'GET collection':
        return list(target, request.query['labelSelector']);
      case 'POST collection':
        return create(target, request.body, dryRun);
      case 'GET item':
        return [200, copy(stored(target))];
      case 'PUT item':
        return replace(target, request.body, dryRun);
      case 'PATCH item':
        return patch(target, request.body, dryRun);
      case 'GET scale':
        return [200, scaleOf(stored(target))];
      case 'PATCH scale':
        return patchScale(target, request.body, dryRun);
      case 'POST eviction':
        return evict(target, request.body, dryRun);
      default:
        throw new StatusError(405, 'MethodNotAllowed', `the fake API server does not implement ${method} on ${request.path}`);
    }
  }

  const hanging = new Set<ServerResponse>();

  function answer(request: KubeRequest, res: ServerResponse): void {
    for (const interceptor of interceptors) {
      const result = interceptor(request);
      if (result === 'hang') {
        hanging.add(res);
        return;
      }
      if (result) return send(res, request, result.status, result.body);
    }
    try {
      const [status, body] = route(request);
      send(res, request, status, body);
    } catch (error) {
      if (!(error instanceof StatusError)) throw error;
      send(res, request, error.code, error.body());
    }
  }

  function send(res: ServerResponse, request: KubeRequest, status: number, body: unknown): void {
    request.status = status;
    const text = body === undefined ? '' : JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
  }

  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url!, 'http://fake');
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        body = text;
      }
      const request: KubeRequest = {
        method: req.method!,
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        url: req.url!,
        contentType: req.headers['content-type'],
        authorization: req.headers.authorization,
        userAgent: req.headers['user-agent'],
        body,
      };
      requests.push(request);
      try {
        answer(request, res);
      } catch (error) {
        send(res, request, 500, new StatusError(500, 'InternalError', `fake API server: ${(error as Error).stack}`).body());
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    requests,
    writes,
    clientOptions: () => ({ baseUrl: url, token: [...tokens][0]! }),
    seed(objects) {
      for (const [resource, items] of Object.entries(objects) as [FakeResource, KubeObject[]][]) {
        for (const item of items) {
          if (!item.metadata?.name) throw new Error(`fake API server: seed ${resource}: every object needs metadata.name`);
          const object = withType(resource, item, item.metadata?.namespace ?? 'default');
          object.metadata = { uid: randomUUID(), creationTimestamp: '2024-01-01T00:00:00Z', ...object.metadata, resourceVersion: nextVersion() };
          store.set(key(resource, object.metadata.namespace!, object.metadata.name!), object);
        }
      }
    },
    get: (resource, namespace, name) => {
      const object = store.get(key(resource, namespace, name));
      return object && copy(object);
    },
    list: (resource, namespace) =>
      [...store].filter(([k]) => k.startsWith(namespace === undefined ? `${resource}/` : key(resource, namespace, ''))).map(([, o]) => copy(o)),
    update(resource, namespace, name, change) {
      const object = store.get(key(resource, namespace, name));
      if (!object) throw new Error(`fake API server: no ${resource} ${namespace}/${name} to update`);
      change(object);
      object.metadata.resourceVersion = nextVersion();
      return copy(object);
    },
    addDisruptionBudget: (rule) => void budgets.push(rule),
    setTokens: (...next) => void (tokens = new Set(next)),
    intercept(interceptor) {
      interceptors.add(interceptor);
      return () => interceptors.delete(interceptor);
    },
    onWrite(listener) {
      writeListeners.add(listener);
      return () => writeListeners.delete(listener);
    },
    calls: () => requests.map((r) => `${r.method} ${r.url}`),
    mutations: () => requests.filter((r) => r.method !== 'GET'),
    clearRequests() {
      requests.length = 0;
      writes.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of hanging) res.destroy();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * The mutations that act on the cluster: every request but GETs, the executor's Events (its audit)
 * and its Lease renewals (its election, every few seconds in the background).
 */
export function actionRequests(kube: FakeKubeApi): KubeRequest[] {
  return kube.mutations().filter((r) => !r.path.endsWith('/events') && !r.path.includes('/leases'));
}
