import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureServiceBundles } from '../../src/cli/service-bundles.js';
import { SERVICE_ENV } from '../../src/core/service-env.js';
import { codeSizes } from '../../src/lib/service-code.js';
import { containerOf, find, podSpecOf, renderValues } from '../support/render.js';
import { request } from './kit/http.js';

/**
 * The real bundle starts: build/services/self-healing.js, copied to `<tmp>/app/main.js` as the
 * unpack init container writes it (no node_modules, no package.json around it), runs under plain
 * `node` (no tsx) with the environment the chart renders for the executor, and answers
 * `/healthz/live`, `/healthz/ready` and `/metrics` on loopback ports. What the pod would reach in
 * the cluster is a fake on 127.0.0.1: the rendered in-cluster URLs (Prometheus) and the Kubernetes
 * API (KUBERNETES_API_URL, the executor's override of the in-cluster address) point at it; the
 * files of its ConfigMap mounts (the rules) are written to a temporary folder; PostgreSQL (the
 * audit table, optional) is left out.
 */

const NAME = 'aiops-platform-self-healing';
const dir = mkdtempSync(join(tmpdir(), 'aiops-self-healing-bundle-'));
const bundle = ensureServiceBundles().find((b) => b.name === 'self-healing')!;
const requests: string[] = [];
let fake: Server;
let child: ChildProcess | undefined;
let output = '';

/** A port that was free a moment ago on 127.0.0.1. */
function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const probe = createTcpServer();
    probe.once('error', fail);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => done(port));
    });
  });
}

/** Prometheus' readiness and query API, and the Kubernetes API's Lease and Event endpoints, as far as a starting executor uses them. */
function answer(req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://fake');
  requests.push(`${req.method} ${url.pathname}`);
  const json = (status: number, body: unknown): void => void res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  let text = '';
  req.on('data', (chunk: Buffer) => (text += chunk.toString()));
  req.on('end', () => {
    if (url.pathname.endsWith('/-/ready') || url.pathname.endsWith('/-/healthy')) {
      res.writeHead(200).end('Ready.\n');
    } else if (url.pathname.endsWith('/api/v1/query')) {
      json(200, { status: 'success', data: { resultType: 'vector', result: [] } });
    } else if (/\/(leases|events)(\/|$)/.test(url.pathname) && (req.method === 'POST' || req.method === 'PUT')) {
      const body = JSON.parse(text || '{}') as { metadata?: Record<string, unknown> };
      json(req.method === 'POST' ? 201 : 200, { ...body, metadata: { ...body.metadata, resourceVersion: String(requests.length) } });
    } else {
      json(404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404, message: `${url.pathname} not found` });
    }
  });
}

/** The executor's environment as the chart renders it, with the cluster's addresses and files replaced by loopback and temporary ones. */
function executorEnv(fakeUrl: string, port: number, metricsPort: number): Record<string, string> {
  const render = renderValues();
  const pod = podSpecOf(find(render.objects, 'Deployment', NAME));
  const container = containerOf(pod);
  // ConfigMap mounts: their files under the temporary folder.
  const mounts = new Map<string, string>();
  for (const mount of container.volumeMounts as { name: string; mountPath: string }[]) {
    const configMap = (pod.volumes as { name: string; configMap?: { name: string } }[]).find((v) => v.name === mount.name)?.configMap;
    if (!configMap) continue;
    const target = join(dir, 'mounts', mount.name);
    mkdirSync(target, { recursive: true });
    for (const [file, text] of Object.entries(find(render.objects, 'ConfigMap', configMap.name).data as Record<string, string>)) writeFileSync(join(target, file), text);
    mounts.set(mount.mountPath, target);
  }
  const secretValue = (name: string, key: string): string => {
    const secret = find(render.objects, 'Secret', name);
    return secret.stringData?.[key] ?? Buffer.from(secret.data[key], 'base64').toString('utf8');
  };
  const fields: Record<string, string> = { 'metadata.name': `${NAME}-bundle-test`, 'metadata.namespace': 'aiops-platform' };
  const env: Record<string, string> = {};
  for (const e of container.env as { name: string; value?: string; valueFrom?: any }[]) {
    let value = e.value ?? (e.valueFrom?.fieldRef ? fields[e.valueFrom.fieldRef.fieldPath]! : secretValue(e.valueFrom.secretKeyRef.name, e.valueFrom.secretKeyRef.key));
    value = value.replace(/^https?:\/\/[^/]+\.svc\.cluster\.local(:\d+)?/, fakeUrl);
    for (const [mountPath, target] of mounts) if (value.startsWith(`${mountPath}/`)) value = target + value.slice(mountPath.length);
    env[e.name] = value;
  }
  // No PostgreSQL here: the audit table is optional (decisions are then kept in memory).
  for (const name of Object.values(SERVICE_ENV.postgres)) delete env[name];
  // The service account's CA and token are not mounted outside a pod.
  delete env['NODE_EXTRA_CA_CERTS'];
  writeFileSync(join(dir, 'token'), 'bundle-test-token\n');
  return { ...env, PORT: String(port), METRICS_PORT: String(metricsPort), KUBERNETES_API_URL: fakeUrl, KUBERNETES_TOKEN_FILE: join(dir, 'token') };
}

/** Polls `path` until it answers 200 (resolves the answer) or `ms` pass (resolves the last answer or error). */
async function poll(port: number, path: string, ms: number): Promise<{ status: number; body: string; afterMs: number }> {
  const start = Date.now();
  let last = { status: 0, body: '' };
  while (Date.now() - start < ms) {
    if (child?.exitCode !== null && child?.exitCode !== undefined) break;
    try {
      last = await request(port, path);
      if (last.status === 200) return { ...last, afterMs: Date.now() - start };
    } catch (error) {
      last = { status: 0, body: String(error) };
    }
    await new Promise((done) => setTimeout(done, 100));
  }
  return { ...last, afterMs: Date.now() - start };
}

describe('the self-healing bundle on plain node', () => {
  let port: number;
  let metricsPort: number;
  let startedAt: number;

  beforeAll(async () => {
    fake = createServer(answer);
    await new Promise<void>((done) => fake.listen(0, '127.0.0.1', done));
    const fakeUrl = `http://127.0.0.1:${(fake.address() as AddressInfo).port}`;
    [port, metricsPort] = [await freePort(), await freePort()];
    const app = join(dir, 'app');
    mkdirSync(app);
    writeFileSync(join(app, 'main.js'), bundle.code);
    const sizes = codeSizes(bundle.code);
    const n = (bytes: number) => bytes.toLocaleString('en-US');
    console.log(`self-healing bundle: ${n(sizes.raw)} bytes, gzip ${n(sizes.gzip)}, base64 ${n(sizes.base64)} (the ConfigMap's main.js.gz)`);
    startedAt = Date.now();
    child = spawn(process.execPath, [join(app, 'main.js')], { cwd: app, env: executorEnv(fakeUrl, port, metricsPort), stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  });

  afterAll(async () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await new Promise<void>((done) => (fake ? fake.close(() => done()) : done()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('is the built file, unchanged, and needs nothing beside it', () => {
    expect(readFileSync(join(dir, 'app', 'main.js'))).toEqual(readFileSync(bundle.file));
  });

  it('answers /healthz/live and then /healthz/ready', async () => {
    const live = await poll(port, '/healthz/live', 20_000);
    expect(live.status, `no live answer; the executor printed:\n${output.slice(-3000)}`).toBe(200);
    const ready = await poll(port, '/healthz/ready', 20_000);
    expect(ready.status, `not ready: ${ready.body}; fake API calls: ${requests.join(', ')}; the executor printed:\n${output.slice(-3000)}`).toBe(200);
    console.log(`self-healing bundle: live after ${live.afterMs} ms, ready ${Date.now() - startedAt} ms after start`);
  });

  it('serves its metrics on METRICS_PORT', async () => {
    const metrics = await request(metricsPort, '/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.body).toContain('process_cpu_user_seconds_total{service="self-healing"}');
  });

  it('stops on SIGTERM with exit code 0', async () => {
    const exited = new Promise<number | null>((done) => child!.once('exit', (code) => done(code)));
    child!.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
