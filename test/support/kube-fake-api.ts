import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';

/**
 * A recording fake Kubernetes API server on 127.0.0.1 for clients that discover kinds
 * (@kubernetes/client-node's KubernetesObjectApi, `npm run verify`) and for the real kubectl
 * (`kubectl apply --server-side --prune --applyset`, `kubectl wait`): legacy discovery (`/api`,
 * `/apis`, one APIResourceList per group version, built from the kinds it is given, with the short
 * names the real server has), GET of one object, lists by label selector (one namespace, all
 * namespaces, cluster-scoped) and `metadata.name` field selector, server-side apply PATCHes (the
 * applied object stored as sent, with a uid and resource version) and DELETE. A
 * CustomResourceDefinition is Established as soon as it is applied. Objects are seeded with
 * {@link KubeFakeApi.seed}; `beforeGet` lets a test change one before it is read (a rollout that
 * progresses). No field merging, no admission: enough to see what a client sends and which objects
 * it would delete.
 */

/** A kind the fake serves. */
export interface ServedKind {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  readonly namespaced: boolean;
}

export type KubeObject = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string>; [key: string]: unknown }; [key: string]: unknown };

export interface KubeFakeApi {
  /** Every request as `METHOD path?query`, in order. */
  calls(): string[];
  /** The stored objects. */
  objects(): KubeObject[];
  /** Stores objects as they are (replacing any of the same kind, namespace and name). */
  seed(...objects: KubeObject[]): void;
  /** Called with a stored object before each GET of it returns; may change it in place. */
  beforeGet(hook: (object: KubeObject) => void): void;
  /** A kubeconfig file for this server, its context's namespace `namespace`. */
  kubeconfig(namespace: string): string;
  stop(): Promise<void>;
}

/** The resource name kubectl expects for a kind (the plural, lower case). */
export function pluralOf(kind: string): string {
  const lower = kind.toLowerCase();
  if (lower.endsWith('y')) return `${lower.slice(0, -1)}ies`;
  if (lower.endsWith('s')) return `${lower}es`;
  return `${lower}s`;
}

/** The kinds of rendered objects as the fake serves them (cluster-scoped: the objects without a namespace). */
export function servedKinds(objects: readonly Record<string, unknown>[]): ServedKind[] {
  const kinds = new Map<string, ServedKind>();
  for (const object of objects) {
    const apiVersion = String(object.apiVersion);
    const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
    const kind = String(object.kind);
    kinds.set(`${apiVersion}/${kind}`, { group: group!, version: version!, kind, namespaced: (object.metadata as { namespace?: string }).namespace !== undefined });
  }
  return [...kinds.values()];
}

/** Starts the fake; the caller stops it. */
export async function startKubeFakeApi(kinds: readonly ServedKind[]): Promise<KubeFakeApi> {
  const calls: string[] = [];
  const store = new Map<string, KubeObject>();
  let getHook: ((object: KubeObject) => void) | undefined;
  let resourceVersion = 1;
  const dir = mkdtempSync(join(tmpdir(), 'aiops-kube-fake-api-'));
  const byPlural = new Map(kinds.map((k) => [`${k.group}/${k.version}/${pluralOf(k.kind)}`, k]));
  const key = (k: ServedKind, namespace: string | undefined, name: string) => `${k.group}/${k.kind}/${namespace ?? ''}/${name}`;

  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      calls.push(`${request.method} ${request.url}`);
      try {
        handle(request, response, Buffer.concat(chunks).toString('utf8'));
      } catch (error) {
        send(response, 500, status(500, 'InternalError', String(error)));
      }
    });
  });

  function handle(request: IncomingMessage, response: ServerResponse, body: string): void {
    const url = new URL(request.url ?? '/', 'http://fake');
    const path = url.pathname;
    if (path === '/version') return send(response, 200, { major: '1', minor: '35', gitVersion: 'v1.35.0', platform: 'linux/amd64' });
    if (path === '/api') return send(response, 200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] });
    if (path === '/apis') {
      const groups = [...new Set(kinds.filter((k) => k.group !== '').map((k) => `${k.group}/${k.version}`))].map((gv) => {
        const [name, version] = gv.split('/');
        const groupVersion = { groupVersion: gv, version };
        return { name, versions: [groupVersion], preferredVersion: groupVersion };
      });
      return send(response, 200, { kind: 'APIGroupList', apiVersion: 'v1', groups });
    }
    const discovery = /^\/(?:api\/(v1)|apis\/([^/]+)\/([^/]+))$/.exec(path);
    if (discovery) {
      const group = discovery[2] ?? '';
      const version = discovery[1] ?? discovery[3]!;
      const resources = kinds
        .filter((k) => k.group === group && k.version === version)
        .map((k) => ({
          name: pluralOf(k.kind),
          singularName: k.kind.toLowerCase(),
          namespaced: k.namespaced,
          kind: k.kind,
          verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
          ...(SHORT_NAMES[k.kind] ? { shortNames: SHORT_NAMES[k.kind] } : {}),
        }));
      if (resources.length === 0) return send(response, 404, status(404, 'NotFound', 'the server could not find the requested resource'));
      return send(response, 200, { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: group ? `${group}/${version}` : version, resources });
    }
    const resource = /^\/(?:api\/(v1)|apis\/([^/]+)\/([^/]+))(?:\/namespaces\/([^/]+))?\/([^/]+)(?:\/([^/]+))?$/.exec(path);
    const served = resource ? byPlural.get(`${resource[2] ?? ''}/${resource[1] ?? resource[3]}/${resource[5]}`) : undefined;
    if (!resource || !served) return send(response, 404, status(404, 'NotFound', 'the server could not find the requested resource'));
    const namespace = resource[4];
    const name = resource[6];
    if (name === undefined) {
      if (request.method !== 'GET') return send(response, 405, status(405, 'MethodNotAllowed', 'lists only'));
      const selector = url.searchParams.get('labelSelector') ?? '';
      const named = /^metadata\.name=(.*)$/.exec(url.searchParams.get('fieldSelector') ?? '')?.[1];
      const items = [...store.values()].filter(
        (o) =>
          o.kind === served.kind &&
          groupOf(o.apiVersion) === served.group &&
          (namespace === undefined || o.metadata.namespace === namespace) &&
          (named === undefined || o.metadata.name === named) &&
          matches(o.metadata.labels ?? {}, selector),
      );
      return send(response, 200, { kind: `${served.kind}List`, apiVersion: apiVersionOf(served), metadata: { resourceVersion: String(resourceVersion) }, items });
    }
    const id = key(served, namespace, name);
    const existing = store.get(id);
    switch (request.method) {
      case 'GET':
        if (!existing) return send(response, 404, status(404, 'NotFound', `${pluralOf(served.kind)} "${name}" not found`));
        getHook?.(existing);
        return send(response, 200, existing);
      case 'DELETE':
        if (!existing) return send(response, 404, status(404, 'NotFound', `${pluralOf(served.kind)} "${name}" not found`));
        store.delete(id);
        return send(response, 200, { kind: 'Status', apiVersion: 'v1', status: 'Success', details: { name, kind: pluralOf(served.kind) } });
      case 'PATCH': {
        if (!String(request.headers['content-type']).startsWith('application/apply-patch')) return send(response, 415, status(415, 'UnsupportedMediaType', 'server-side apply only'));
        const applied = parse(body) as KubeObject;
        if (applied.metadata?.name !== name || (applied.metadata.namespace ?? namespace) !== namespace) return send(response, 400, status(400, 'BadRequest', 'name or namespace differ from the path'));
        const stored: KubeObject = { ...applied, metadata: { ...applied.metadata, ...(namespace ? { namespace } : {}), uid: existing?.metadata.uid ?? `uid-${resourceVersion}`, resourceVersion: String(++resourceVersion) } };
        if (served.kind === 'CustomResourceDefinition') stored.status = { conditions: [{ type: 'NamesAccepted', status: 'True' }, { type: 'Established', status: 'True' }] };
        store.set(id, stored);
        return send(response, existing ? 200 : 201, stored);
      }
      default:
        return send(response, 405, status(405, 'MethodNotAllowed', `${request.method} is not served`));
    }
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    calls: () => [...calls],
    objects: () => [...store.values()],
    seed(...objects) {
      for (const object of objects) {
        const served = kinds.find((k) => apiVersionOf(k) === object.apiVersion && k.kind === object.kind);
        if (!served) throw new Error(`the fake does not serve ${object.apiVersion} ${object.kind}`);
        store.set(key(served, object.metadata.namespace, object.metadata.name), structuredClone(object));
        resourceVersion++;
      }
    },
    beforeGet(hook) {
      getHook = hook;
    },
    kubeconfig(namespace) {
      const file = join(dir, `kubeconfig-${namespace}`);
      writeFileSync(
        file,
        [
          'apiVersion: v1',
          'kind: Config',
          `clusters: [{name: fake, cluster: {server: "http://127.0.0.1:${port}", insecure-skip-tls-verify: true}}]`, // plain HTTP on loopback: client-node allows it only with this
          'users: [{name: fake, user: {token: test-token}}]',
          `contexts: [{name: fake, context: {cluster: fake, user: fake, namespace: ${namespace}}}]`,
          'current-context: fake',
          '',
        ].join('\n'),
      );
      return file;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
        rmSync(dir, { recursive: true, force: true });
      }),
  };
}

/** Short names the real API server serves (kubectl resolves `crd/<name>` through them). */
const SHORT_NAMES: Record<string, string[]> = { CustomResourceDefinition: ['crd', 'crds'] };

const groupOf = (apiVersion: string) => (apiVersion.includes('/') ? apiVersion.split('/')[0]! : '');
const apiVersionOf = (k: ServedKind) => (k.group ? `${k.group}/${k.version}` : k.version);

/** `a=b,c` label selectors (equality and existence), as kubectl's pruning sends them. */
function matches(labels: Record<string, string>, selector: string): boolean {
  if (selector === '') return true;
  return selector.split(',').every((term) => {
    const [k, v] = term.split('=');
    return v === undefined ? k! in labels : labels[k!] === v;
  });
}

function status(code: number, reason: string, message: string) {
  return { kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, message };
}

function send(response: ServerResponse, code: number, body: unknown): void {
  response.writeHead(code, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}
