import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onPath, runProcess, toolsPresent } from '../../support/process.js';

/**
 * TLS trust of the in-cluster client: the chart sets NODE_EXTRA_CA_CERTS to the service-account
 * ca.crt, and Node's global fetch must then trust an API server certificate signed by it (and
 * refuse it without). NODE_EXTRA_CA_CERTS is read once at process start, so the client runs in a
 * child process (fixtures/kube-get-pod.ts) against an https server with a throw-away certificate.
 */

const ROOT = resolve(__dirname, '../../..');
const FIXTURE = resolve(__dirname, 'fixtures/kube-get-pod.ts');
const openssl = onPath('openssl');
const run = toolsPresent('Kubernetes client TLS tests', openssl ? [] : ['openssl'], 'apt-get install openssl');

describe.runIf(run)('in-cluster client over TLS', { timeout: 30_000 }, () => {
  let dir: string;
  let server: Server;
  let port: number;
  const authorizations: (string | undefined)[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kube-tls-'));
    const made = await runProcess(openssl!, [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1',
      '-subj', '/CN=kube-apiserver', '-addext', 'subjectAltName=IP:127.0.0.1',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'ca.crt'),
    ]);
    expect(made.code, made.stderr).toBe(0);
    writeFileSync(join(dir, 'token'), 'sa-token\n');
    server = createServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'ca.crt')) }, (req, res) => {
      authorizations.push(req.headers.authorization);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ kind: 'Pod', apiVersion: 'v1', metadata: { name: 'web-0', namespace: 'apps' } }));
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    await new Promise<void>((done) => (server ? server.close(() => done()) : done()));
    rmSync(dir, { recursive: true, force: true });
  });

  /** Runs the fixture with the in-cluster variables (and `extra`); returns its printed line. */
  async function getPod(extra: Record<string, string>): Promise<Record<string, string>> {
    const result = await runProcess(process.execPath, ['--import', 'tsx', FIXTURE], {
      cwd: ROOT,
      env: { PATH: process.env['PATH'], KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: String(port), FIXTURE_TOKEN_FILE: join(dir, 'token'), ...extra },
    });
    expect(result.code, result.stderr).toBe(0);
    return JSON.parse(result.stdout.trim()) as Record<string, string>;
  }

  it('trusts the API server through NODE_EXTRA_CA_CERTS and sends the token file', async () => {
    expect(await getPod({ NODE_EXTRA_CA_CERTS: join(dir, 'ca.crt') })).toEqual({ name: 'web-0' });
    expect(authorizations.at(-1)).toBe('Bearer sa-token');
  });

  it('refuses the certificate without NODE_EXTRA_CA_CERTS (NetworkError naming the cause)', async () => {
    const answer = await getPod({});
    expect(answer['reason']).toBe('NetworkError');
    expect(answer['message']).toMatch(/SELF_SIGNED|UNABLE_TO_VERIFY|certificate/i);
  });
});
