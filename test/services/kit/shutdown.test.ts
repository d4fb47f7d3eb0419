import { spawn, type ChildProcess } from 'node:child_process';
import { Agent, request as httpRequest } from 'node:http';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { request } from './http.js';

/**
 * Graceful shutdown of a real process: the fixture service (fixtures/service.ts) runs on the kit
 * under `node --import tsx`, and receives SIGTERM while a request is in flight.
 */

const ROOT = resolve(__dirname, '../../..');
const FIXTURE = resolve(__dirname, 'fixtures/service.ts');

/** A port that was free a moment ago on 127.0.0.1. */
function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const probe = createServer();
    probe.once('error', fail);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => done(port));
    });
  });
}

interface Fixture {
  readonly child: ChildProcess;
  readonly port: number;
  readonly lines: Record<string, unknown>[];
  readonly stderr: () => string;
  /** Resolves with the first log line matching `msg` (rejects after 20 s). */
  waitFor(msg: string): Promise<Record<string, unknown>>;
  readonly exited: Promise<number | null>;
}

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

async function startFixture(env: Record<string, string>): Promise<Fixture> {
  const port = await freePort();
  const metricsPort = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE], {
    cwd: ROOT,
    env: { PATH: process.env['PATH'], PORT: String(port), METRICS_PORT: String(metricsPort), LOG_LEVEL: 'info', SHUTDOWN_DELAY_SECONDS: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const lines: Record<string, unknown>[] = [];
  const waiters: { msg: string; done: (l: Record<string, unknown>) => void }[] = [];
  let buffered = '';
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  child.stdout!.on('data', (c: Buffer) => {
    buffered += c.toString();
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = JSON.parse(buffered.slice(0, nl)) as Record<string, unknown>;
      buffered = buffered.slice(nl + 1);
      lines.push(line);
      for (const w of waiters.filter((w) => w.msg === line['msg'])) w.done(line);
    }
  });
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  const waitFor = (msg: string) =>
    new Promise<Record<string, unknown>>((done, fail) => {
      const seen = lines.find((l) => l['msg'] === msg);
      if (seen) return done(seen);
      const timer = setTimeout(() => fail(new Error(`no "${msg}" log line within 20 s; stderr: ${stderr}`)), 20_000);
      waiters.push({ msg, done: (l) => (clearTimeout(timer), done(l)) });
    });
  await waitFor('listening');
  return { child, port, lines, stderr: () => stderr, waitFor, exited };
}

/** Rejects with the connection error code when nothing listens on `port`. */
function connectError(port: number): Promise<string> {
  return request(port, '/fast').then(
    (a) => `answered ${a.status}`,
    (error: NodeJS.ErrnoException) => error.code ?? error.message,
  );
}

describe('graceful shutdown (child process)', { timeout: 40_000 }, () => {
  it('on SIGTERM finishes the request in flight with 200, refuses new connections, closes idle keep-alive sockets and exits 0', async () => {
    const fx = await startFixture({ FIXTURE_SLOW_MS: '1500', FIXTURE_GRACE_MS: '10000' });
    // An idle keep-alive connection must not hold the process until the grace runs out.
    const agent = new Agent({ keepAlive: true });
    let idleClosedAt = 0;
    await new Promise<void>((done, fail) => {
      httpRequest({ host: '127.0.0.1', port: fx.port, path: '/fast', agent }, (res) => {
        res.resume();
        res.on('end', done);
      })
        .on('socket', (socket) => socket.once('close', () => (idleClosedAt = Date.now())))
        .on('error', fail)
        .end();
    });
    const inFlight = request(fx.port, '/slow');
    inFlight.catch(() => {}); // awaited below; never an unhandled rejection if an assertion fails first
    await fx.waitFor('slow started');
    const signalled = Date.now();
    fx.child.kill('SIGTERM');
    await fx.waitFor('shutting down');
    expect(await connectError(fx.port)).toBe('ECONNREFUSED');
    const answer = await inFlight;
    expect(answer.status).toBe(200);
    expect(answer.body).toBe('slow done');
    expect(answer.headers['connection']).toBe('close');
    expect(await fx.exited).toBe(0);
    expect(Date.now() - signalled).toBeLessThan(10_000);
    // The server closed the idle keep-alive socket at SIGTERM, not after its 5 s keep-alive timeout
    // (nor after the slow request's 1.5 s).
    expect(idleClosedAt).toBeGreaterThan(0);
    expect(idleClosedAt - signalled).toBeLessThan(1200);
    agent.destroy();
    expect(fx.lines.map((l) => l['msg'])).toEqual(expect.arrayContaining(['shutting down', 'stopped']));
    expect(fx.lines.find((l) => l['msg'] === 'shutting down')).toMatchObject({ reason: 'SIGTERM', inFlight: 1, service: 'fixture' });
  });

  it('keeps serving new connections during the drain delay (readiness 503), then closes the listeners', async () => {
    const fx = await startFixture({ SHUTDOWN_DELAY_SECONDS: '2' });
    const signalled = Date.now();
    fx.child.kill('SIGTERM');
    await fx.waitFor('draining: readiness answers 503, still serving until the endpoints are updated');
    expect((await request(fx.port, '/healthz/ready')).status).toBe(503);
    const during = await request(fx.port, '/fast');
    expect([during.status, during.body]).toEqual([200, 'fast']);
    await fx.waitFor('shutting down');
    expect(Date.now() - signalled).toBeGreaterThanOrEqual(1900);
    expect(await connectError(fx.port)).toBe('ECONNREFUSED');
    expect(await fx.exited).toBe(0);
  });

  it('exits 0 at once on SIGTERM when idle', async () => {
    const fx = await startFixture({});
    fx.child.kill('SIGTERM');
    expect(await fx.exited).toBe(0);
  });

  it('exits 1 when the grace runs out with a request still in flight', async () => {
    const fx = await startFixture({ FIXTURE_SLOW_MS: '20000', FIXTURE_GRACE_MS: '500' });
    const inFlight = request(fx.port, '/slow').then(
      (a) => `answered ${a.status}`,
      (error: NodeJS.ErrnoException) => error.code ?? error.message,
    );
    await fx.waitFor('slow started');
    const signalled = Date.now();
    fx.child.kill('SIGTERM');
    expect(await fx.exited).toBe(1);
    expect(Date.now() - signalled).toBeLessThan(5000);
    expect(await inFlight).toBe('ECONNRESET');
    expect(fx.lines.find((l) => l['msg'] === 'shutdown grace expired with requests in flight')).toMatchObject({ level: 'error', graceMs: 500, inFlight: 1 });
  });

  it('exits 1 with one line per bad variable on stderr', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE], {
      cwd: ROOT,
      env: { PATH: process.env['PATH'], PORT: 'abc', FIXTURE_SLOW_MS: '-5' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    const code = await new Promise<number | null>((done) => child.once('exit', done));
    expect(code).toBe(1);
    expect(stderr).toBe('config: PORT: expected an integer 1-65535, found "abc"\nconfig: FIXTURE_SLOW_MS: expected an integer 0-600000, found "-5"\n');
    expect(stdout).toBe('');
  });
});
