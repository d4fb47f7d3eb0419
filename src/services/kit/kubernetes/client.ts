import { readFile } from 'node:fs/promises';
import { SERVICE_ACCOUNT_CA, SERVICE_ACCOUNT_TOKEN } from '../../../core/service-account.js';
import { checkName, checkNamespace, equalitySelector } from './names.js';
import type { HorizontalPodAutoscaler, Job, KubeEvent, Lease, MutationOptions, Pod, Status } from './types.js';

/**
 * A small typed Kubernetes client over the global `fetch`: the few REST calls the self-healing
 * executor makes, nothing else (client-node at run time would add ≈2.3 MB to the bundle).
 *
 * In a pod (the default) it talks to `https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT`
 * with the service-account token, re-read from its file every minute: bound service-account
 * tokens are rotated by the kubelet (about hourly), so a token read once goes stale.
 *
 * TLS trust: `fetch` verifies the API server's certificate against Node's CA store, which has no
 * cluster CA. The chart sets `NODE_EXTRA_CA_CERTS=/var/run/secrets/kubernetes.io/serviceaccount/ca.crt`
 * on the container; Node reads that variable once at start-up and adds the file to the store
 * every TLS connection (`fetch` included) trusts. Without it every call fails with a certificate
 * error (`KubeApiError`, reason `NetworkError`); never work around that with NODE_TLS_REJECT_UNAUTHORIZED.
 */

/** User-Agent of every request and `fieldManager` of every write. */
export const FIELD_MANAGER = 'aiops-self-healing';
/** Where the kubelet mounts the pod's (rotating) service-account token. */
export const SERVICE_ACCOUNT_TOKEN_FILE = SERVICE_ACCOUNT_TOKEN;
/** Where the kubelet mounts the cluster CA: the chart points NODE_EXTRA_CA_CERTS at it. */
export const SERVICE_ACCOUNT_CA_FILE = SERVICE_ACCOUNT_CA;
/** Default time a call may take, answer body included: 10 s. */
export const DEFAULT_TIMEOUT_MS = 10_000;
/** Default age after which the token file is read again: 60 s. */
export const DEFAULT_TOKEN_REFRESH_MS = 60_000;

export interface KubeClientOptions {
  /** API server URL, e.g. `http://127.0.0.1:6443` in tests. Default: in-cluster, from KUBERNETES_SERVICE_HOST/PORT. */
  readonly baseUrl?: string;
  /** A fixed bearer token (tests). Default: read from {@link KubeClientOptions.tokenFile}. */
  readonly token?: string;
  /** Token file, re-read every {@link KubeClientOptions.tokenRefreshMs}. Default {@link SERVICE_ACCOUNT_TOKEN_FILE}. */
  readonly tokenFile?: string;
  /** Age after which the token file is read again. Default {@link DEFAULT_TOKEN_REFRESH_MS}. */
  readonly tokenRefreshMs?: number;
  /** Time a call may take. Default {@link DEFAULT_TIMEOUT_MS}. */
  readonly timeoutMs?: number;
  /** Environment for the in-cluster URL. Default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Clock of the token refresh (epoch ms). Default `Date.now`. */
  readonly now?: () => number;
}

/**
 * A failed call: the API server answered an error status (`status`, and `reason` from its Status
 * object, e.g. `NotFound`, `Conflict`, `Invalid`, `Forbidden`), or did not answer at all
 * (`status` 0, `reason` `Timeout` or `NetworkError`).
 */
export class KubeApiError extends Error {
  constructor(
    readonly method: string,
    /** Request path without the query. */
    readonly path: string,
    /** HTTP status; 0 when no answer came. */
    readonly status: number,
    /** The Status object's reason (`Unknown` when the body had none), or `Timeout`/`NetworkError`. */
    readonly reason: string,
    detail: string,
    /** The Status object the API server answered, when it sent one. */
    readonly statusObject?: Status,
    options?: { cause?: unknown },
  ) {
    super(`${method} ${path}: ${status === 0 ? reason : `${status} ${reason}`}: ${detail}`, options);
    this.name = 'KubeApiError';
  }
}

/** What an eviction did: `blocked` is a PodDisruptionBudget refusing it (HTTP 429), not an error. */
export type EvictionResult = { readonly outcome: 'evicted' } | { readonly outcome: 'blocked'; readonly message: string } | { readonly outcome: 'not-found' };

/** Workloads with a `scale` subresource. */
export type ScalableKind = 'Deployment' | 'StatefulSet';

/** The scale subresource, reduced to what the executor needs. */
export interface ScaleInfo {
  /** Desired replicas (spec.replicas). */
  readonly replicas: number;
  readonly resourceVersion: string;
}

/** A Lease write: `conflict` when someone else wrote first (HTTP 409), which leader election expects. */
export type LeaseWriteResult = { readonly outcome: 'written'; readonly lease: Lease } | { readonly outcome: 'conflict'; readonly message: string };

const RESOURCE_OF: Record<ScalableKind, string> = { Deployment: 'deployments', StatefulSet: 'statefulsets' };
const MERGE_PATCH = 'application/merge-patch+json';
const JSON_TYPE = 'application/json';

interface Answer {
  readonly status: number;
  readonly body: unknown;
}

interface CallInit {
  readonly query?: Readonly<Record<string, string | undefined>>;
  readonly body?: unknown;
  readonly contentType?: string;
  /** Error statuses returned to the caller instead of thrown. */
  readonly accept?: readonly number[];
}

/** The in-cluster API server URL, from the variables the kubelet sets in every pod. */
export function inClusterBaseUrl(env: Readonly<Record<string, string | undefined>> = process.env): string {
  const host = env['KUBERNETES_SERVICE_HOST'];
  const port = env['KUBERNETES_SERVICE_PORT'];
  if (!host || !port) {
    throw new Error('not running in a Kubernetes pod: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set (pass baseUrl)');
  }
  return `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** `?dryRun=All&fieldManager=…` of a write. */
function writeQuery(opts?: MutationOptions): Record<string, string | undefined> {
  return { dryRun: opts?.dryRun ? 'All' : undefined, fieldManager: FIELD_MANAGER };
}

function isStatus(body: unknown): body is Status {
  return typeof body === 'object' && body !== null && (body as { kind?: unknown }).kind === 'Status';
}

function checkCount(what: string, value: number, min: number): number {
  if (!Number.isSafeInteger(value) || value < min) throw new TypeError(`invalid ${what} ${value}: expected an integer ≥ ${min}`);
  return value;
}

/** See the file comment. Every method throws {@link KubeApiError} on an unexpected answer. */
export class KubeClient {
  private readonly baseUrl: string;
  private readonly timeoutMs: number;
  private readonly tokenFile: string;
  private readonly tokenRefreshMs: number;
  private readonly now: () => number;
  private readonly fixedToken: string | undefined;
  private token: { value: string; readAt: number } | undefined;

  constructor(opts: KubeClientOptions = {}) {
    this.baseUrl = (opts.baseUrl ?? inClusterBaseUrl(opts.env)).replace(/\/+$/, '');
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.tokenFile = opts.tokenFile ?? SERVICE_ACCOUNT_TOKEN_FILE;
    this.tokenRefreshMs = opts.tokenRefreshMs ?? DEFAULT_TOKEN_REFRESH_MS;
    this.now = opts.now ?? Date.now;
    this.fixedToken = opts.token;
  }

  /** The Pod, or undefined when it does not exist. */
  async getPod(namespace: string, name: string): Promise<Pod | undefined> {
    const answer = await this.call('GET', `${core(namespace)}/pods/${checkName('pod', name)}`, { accept: [404] });
    return answer.status === 404 ? undefined : (answer.body as Pod);
  }

  /**
   * Evicts a pod through the Eviction API (policy/v1), so PodDisruptionBudgets hold: a 429 with a
   * DisruptionBudget cause is `blocked`; a 429 without one (API priority and fairness throttling) throws.
   */
  async evictPod(namespace: string, name: string, opts: MutationOptions): Promise<EvictionResult> {
    const body = {
      apiVersion: 'policy/v1',
      kind: 'Eviction',
      metadata: { name: checkName('pod', name), namespace: checkNamespace(namespace) },
      // The query's dryRun also travels in the body, as kubectl drain --dry-run=server sends it.
      ...(opts.dryRun ? { deleteOptions: { dryRun: ['All'] } } : {}),
    };
    const path = `${core(namespace)}/pods/${name}/eviction`;
    const answer = await this.call('POST', path, { query: writeQuery(opts), body, accept: [404, 429] });
    if (answer.status === 404) return { outcome: 'not-found' };
    if (answer.status !== 429) return { outcome: 'evicted' };
    const status = isStatus(answer.body) ? answer.body : undefined;
    const cause = status?.details?.causes?.find((c) => c.reason === 'DisruptionBudget');
    if (!cause) throw this.errorOf('POST', path, answer);
    return { outcome: 'blocked', message: [status?.message, cause.message].filter(Boolean).join(' ') };
  }

  /** Desired replicas and resourceVersion of a Deployment's or StatefulSet's scale subresource; undefined when absent. */
  async getScale(namespace: string, kind: ScalableKind, name: string): Promise<ScaleInfo | undefined> {
    const answer = await this.call('GET', scalePath(namespace, kind, name), { accept: [404] });
    return answer.status === 404 ? undefined : scaleInfo(answer.body);
  }

  /** Sets spec.replicas through the scale subresource (JSON merge patch `{"spec":{"replicas":N}}`). */
  async patchScale(namespace: string, kind: ScalableKind, name: string, replicas: number, opts: MutationOptions): Promise<ScaleInfo> {
    const body = { spec: { replicas: checkCount('replicas', replicas, 0) } };
    const answer = await this.call('PATCH', scalePath(namespace, kind, name), { query: writeQuery(opts), body, contentType: MERGE_PATCH });
    return scaleInfo(answer.body);
  }

  /** The autoscaling/v2 HorizontalPodAutoscaler, or undefined when it does not exist. */
  async getAutoscaler(namespace: string, name: string): Promise<HorizontalPodAutoscaler | undefined> {
    const answer = await this.call('GET', autoscalerPath(namespace, name), { accept: [404] });
    return answer.status === 404 ? undefined : (answer.body as HorizontalPodAutoscaler);
  }

  /** Sets an HPA's spec.minReplicas (JSON merge patch `{"spec":{"minReplicas":N}}`); the API server refuses N above maxReplicas (422). */
  async patchAutoscalerMinReplicas(namespace: string, name: string, minReplicas: number, opts: MutationOptions): Promise<HorizontalPodAutoscaler> {
    const body = { spec: { minReplicas: checkCount('minReplicas', minReplicas, 1) } };
    const answer = await this.call('PATCH', autoscalerPath(namespace, name), { query: writeQuery(opts), body, contentType: MERGE_PATCH });
    return answer.body as HorizontalPodAutoscaler;
  }

  /** The Jobs of a namespace whose labels equal every entry of `labelSelector` (`{}`: all Jobs). */
  async listJobs(namespace: string, labelSelector: Readonly<Record<string, string>>): Promise<Job[]> {
    const selector = equalitySelector(labelSelector);
    const answer = await this.call('GET', `${batch(namespace)}/jobs`, { query: { labelSelector: selector || undefined } });
    return (answer.body as { items?: Job[] }).items ?? [];
  }

  /** Creates a batch/v1 Job (metadata.name or metadata.generateName set by the caller); returns it as stored. */
  async createJob(namespace: string, job: Job, opts: MutationOptions): Promise<Job> {
    const body = { ...job, apiVersion: 'batch/v1', kind: 'Job' };
    const answer = await this.call('POST', `${batch(namespace)}/jobs`, { query: writeQuery(opts), body });
    return answer.body as Job;
  }

  /** Creates a core/v1 Event (build it with `buildEvent`). Events are the audit trail: no dry run. */
  async createEvent(namespace: string, event: KubeEvent): Promise<KubeEvent> {
    const body = { ...event, apiVersion: 'v1', kind: 'Event' };
    const answer = await this.call('POST', `${core(namespace)}/events`, { query: writeQuery(), body });
    return answer.body as KubeEvent;
  }

  /** The coordination.k8s.io/v1 Lease, or undefined when it does not exist. */
  async getLease(namespace: string, name: string): Promise<Lease | undefined> {
    const answer = await this.call('GET', `${leases(namespace)}/${checkName('lease', name)}`, { accept: [404] });
    return answer.status === 404 ? undefined : (answer.body as Lease);
  }

  /** Creates a Lease; `conflict` when one of that name exists already (409 AlreadyExists). */
  async createLease(namespace: string, lease: Lease): Promise<LeaseWriteResult> {
    const body = { ...lease, apiVersion: 'coordination.k8s.io/v1', kind: 'Lease' };
    return leaseWrite(await this.call('POST', leases(namespace), { query: writeQuery(), body, accept: [409] }));
  }

  /**
   * Replaces a Lease (PUT) on condition that it is unchanged since it was read: `lease.metadata.resourceVersion`
   * is required; `conflict` when someone wrote it in between (409 Conflict).
   */
  async replaceLease(namespace: string, lease: Lease): Promise<LeaseWriteResult> {
    const name = checkName('lease', lease.metadata?.name ?? '');
    if (!lease.metadata?.resourceVersion) throw new TypeError(`replaceLease ${name}: metadata.resourceVersion is required (read the Lease first)`);
    const body = { ...lease, apiVersion: 'coordination.k8s.io/v1', kind: 'Lease' };
    return leaseWrite(await this.call('PUT', `${leases(namespace)}/${name}`, { query: writeQuery(), body, accept: [409] }));
  }

  /** The bearer token: the fixed one, or the file's, read again when older than the refresh interval (or when `force`). */
  private async bearerToken(force = false): Promise<string> {
    if (this.fixedToken !== undefined) return this.fixedToken;
    const now = this.now();
    if (!force && this.token && now - this.token.readAt < this.tokenRefreshMs) return this.token.value;
    try {
      const value = (await readFile(this.tokenFile, 'utf8')).trim();
      if (!value) throw new Error('the file is empty');
      this.token = { value, readAt: now };
    } catch (error) {
      // A failed re-read keeps the last good token (a rotation writes the file atomically, so this is rare).
      if (!this.token) throw new Error(`cannot read the service-account token ${this.tokenFile}: ${(error as Error).message}`, { cause: error });
    }
    return this.token.value;
  }

  /**
   * One request: JSON in and out, bearer token, User-Agent, timeout. 2xx and the `accept`ed statuses
   * are returned; others throw. A 401 with a token file re-reads the file and, if the token changed, tries once more.
   */
  private async call(method: string, path: string, init: CallInit = {}): Promise<Answer> {
    let token = await this.bearerToken();
    let answer = await this.send(method, path, init, token);
    if (answer.status === 401 && this.fixedToken === undefined) {
      const fresh = await this.bearerToken(true);
      if (fresh !== token) {
        token = fresh;
        answer = await this.send(method, path, init, token);
      }
    }
    if ((answer.status >= 200 && answer.status < 300) || init.accept?.includes(answer.status)) return answer;
    throw this.errorOf(method, path, answer);
  }

  private async send(method: string, path: string, init: CallInit, token: string): Promise<Answer> {
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(init.query ?? {})) if (value !== undefined) query.set(key, value);
    const url = `${this.baseUrl}${path}${query.size > 0 ? `?${query}` : ''}`;
    const headers: Record<string, string> = { accept: JSON_TYPE, authorization: `Bearer ${token}`, 'user-agent': FIELD_MANAGER };
    if (init.body !== undefined) headers['content-type'] = init.contentType ?? JSON_TYPE;
    try {
      const res = await fetch(url, {
        method,
        headers,
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      const text = await res.text();
      let body: unknown = text;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        // not JSON (a proxy's error page): kept as text
      }
      return { status: res.status, body };
    } catch (error) {
      const timedOut = error instanceof DOMException && (error.name === 'TimeoutError' || error.name === 'AbortError');
      const detail = timedOut ? `no answer within ${this.timeoutMs} ms` : describeNetworkError(error);
      throw new KubeApiError(method, path, 0, timedOut ? 'Timeout' : 'NetworkError', detail, undefined, { cause: error });
    }
  }

  private errorOf(method: string, path: string, answer: Answer): KubeApiError {
    const status = isStatus(answer.body) ? answer.body : undefined;
    const detail = status?.message ?? (typeof answer.body === 'string' && answer.body ? answer.body.slice(0, 200) : 'no Status in the answer');
    return new KubeApiError(method, path, answer.status, status?.reason ?? 'Unknown', detail, status);
  }
}

/** `fetch failed` hides the reason in `cause` (ECONNREFUSED, a certificate error…). */
function describeNetworkError(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return [(error as Error).message, cause?.code ?? cause?.message].filter(Boolean).join(': ');
}

function scaleInfo(body: unknown): ScaleInfo {
  const scale = body as { spec?: { replicas?: number }; metadata?: { resourceVersion?: string } };
  return { replicas: scale.spec?.replicas ?? 0, resourceVersion: scale.metadata?.resourceVersion ?? '' };
}

function leaseWrite(answer: Answer): LeaseWriteResult {
  if (answer.status === 409) return { outcome: 'conflict', message: isStatus(answer.body) ? (answer.body.message ?? 'conflict') : 'conflict' };
  return { outcome: 'written', lease: answer.body as Lease };
}

const core = (namespace: string) => `/api/v1/namespaces/${checkNamespace(namespace)}`;
const batch = (namespace: string) => `/apis/batch/v1/namespaces/${checkNamespace(namespace)}`;
const leases = (namespace: string) => `/apis/coordination.k8s.io/v1/namespaces/${checkNamespace(namespace)}/leases`;
const scalePath = (namespace: string, kind: ScalableKind, name: string) =>
  `/apis/apps/v1/namespaces/${checkNamespace(namespace)}/${RESOURCE_OF[kind]}/${checkName(kind, name)}/scale`;
const autoscalerPath = (namespace: string, name: string) =>
  `/apis/autoscaling/v2/namespaces/${checkNamespace(namespace)}/horizontalpodautoscalers/${checkName('HorizontalPodAutoscaler', name)}`;
