/**
 * The services' Redis client (src/services/kit/redis.ts) and the AI engine's state store against a
 * real redis-server on 127.0.0.91 (with a password): AUTH, GET/SET/PX, binary-safe values, a
 * restart, and the state store's memory fallback while Redis is down. Cluster redirects use a
 * fake node on 127.0.0.1 answering `-MOVED`/`-ASK` towards the real server (a 3-master cluster
 * is not needed to follow one redirect). Needs redis-server and redis-cli (Debian: `apt-get
 * install redis-server`); skipped with a warning when missing locally, fails in CI (`CI=true`).
 */
import { randomBytes } from 'node:crypto';
import { createServer, type AddressInfo, type Server as NetServer } from 'node:net';
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  createStateStore,
  DEFAULT_STATE_TTL_MS,
  STATE_STORE_FAILURES_METRIC,
} from '../../src/services/ai-engine/state-store.js';
import {
  RedisClient,
  RedisConnectionError,
  RedisReplyError,
  RedisTimeoutError,
  RespParser,
  keySlot,
  type RedisClientOptions,
} from '../../src/services/kit/redis.js';
import { onPath, toolsPresent } from '../support/process.js';
import { LocalRedis, sleep, waitForPong, type Server } from '../support/redis-servers.js';

const haveRedis = toolsPresent('the Redis client tests', ['redis-server', 'redis-cli'].filter((b) => !onPath(b)), 'Debian: apt-get install redis-server');
const log = pino({ level: 'silent' });
const HOST = '127.0.0.91';
/** Nothing listens there (Redis "down"). */
const DOWN_HOST = '127.0.0.92';
const PASSWORD = 'pä$$ "wörd"';
const local = new LocalRedis();
const clients: RedisClient[] = [];

function client(extra: Partial<RedisClientOptions> = {}): RedisClient {
  const c = new RedisClient({ host: HOST, port: 6379, password: PASSWORD, commandTimeoutMs: 2000, backoffMinMs: 50, backoffMaxMs: 400, ...extra });
  clients.push(c);
  return c;
}

function startRedis(): Server {
  return local.start(HOST, 'redis-server', ['--bind', HOST, '--port', '6379', '--requirepass', PASSWORD, '--save', '', '--appendonly', 'no']);
}

/** A fake node on 127.0.0.1: +OK to AUTH, `answer(command)` to anything else (nothing when it returns undefined); counts commands. */
async function fakeNode(answer: (args: string[]) => string | undefined): Promise<{ port: number; seen: string[][]; server: NetServer }> {
  const seen: string[][] = [];
  const server = createServer((socket) => {
    const parser = new RespParser();
    socket.on('data', (chunk) => {
      for (const cmd of parser.push(chunk)) {
        const args = (cmd as Buffer[]).map((b) => b.toString('utf8'));
        seen.push(args);
        const reply = args[0] === 'AUTH' ? '+OK\r\n' : answer(args);
        if (reply !== undefined) socket.write(reply);
      }
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  fakes.push(server);
  return { port: (server.address() as AddressInfo).port, seen, server };
}
const fakes: NetServer[] = [];

afterAll(async () => {
  for (const c of clients) c.close();
  for (const f of fakes) f.close();
  await local.stopAll();
}, 30_000);

describe.runIf(haveRedis)('Redis client on a real redis-server', () => {
  let server: Server;
  beforeAll(async () => {
    server = startRedis();
    await waitForPong(server, PASSWORD);
  });

  it('authenticates with the password; a wrong or missing one is refused with a typed error', async () => {
    await client().ping();
    const wrong = client({ password: 'nope' });
    await expect(wrong.ping()).rejects.toMatchObject({ name: 'RedisReplyError', code: 'WRONGPASS' });
    const none = client({ password: undefined });
    const err = await none.get('x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RedisReplyError);
    expect((err as RedisReplyError).code).toBe('NOAUTH');
  });

  it('SET, GET, DEL, and PX expiry', async () => {
    const c = client();
    await c.set('t:plain', 'hello');
    expect((await c.get('t:plain'))?.toString()).toBe('hello');
    expect(await c.del('t:plain')).toBe(1);
    expect(await c.del('t:plain')).toBe(0);
    expect(await c.get('t:plain')).toBeNull();

    await c.set('t:px', 'soon gone', { pxMs: 300 });
    const ttl = await c.command(['PTTL', 't:px']);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(300);
    expect((await c.get('t:px'))?.toString()).toBe('soon gone');
    await sleep(500);
    expect(await c.get('t:px')).toBeNull();
    await expect(c.set('t:px', 'x', { pxMs: 0 })).rejects.toThrow(RangeError);
    await expect(c.command(['NOSUCHCOMMAND'])).rejects.toMatchObject({ code: 'ERR' });
  });

  it('is binary safe: multi-byte UTF-8, CR LF and NUL bytes, and 1 MB split across TCP chunks', async () => {
    const c = client();
    const text = 'état 状態 😀\r\n$3\r\n*1';
    await c.set('t:utf8 ключ', text);
    expect((await c.get('t:utf8 ключ'))?.toString('utf8')).toBe(text);
    expect(await c.command(['STRLEN', 't:utf8 ключ'])).toBe(Buffer.byteLength(text));

    const binary = Buffer.from([0, 13, 10, 255, 0x24, 0x2a, 0, 13]);
    await c.set('t:bin', binary);
    expect(await c.get('t:bin')).toEqual(binary);

    const big = randomBytes(1024 * 1024);
    await c.set('t:big', big);
    const push = vi.spyOn(RespParser.prototype, 'push');
    try {
      const back = await c.get('t:big');
      expect(back?.equals(big)).toBe(true);
      expect(push.mock.calls.length, 'the 1 MB reply came in several chunks').toBeGreaterThan(2);
    } finally {
      push.mockRestore();
    }
  });

  it('reconnects after the server restarts', async () => {
    const c = client();
    await c.set('t:before', '1');
    await local.stop([server]);
    await expect(c.get('t:before')).rejects.toBeInstanceOf(RedisConnectionError);
    server = startRedis();
    await waitForPong(server, PASSWORD);
    const deadline = Date.now() + 5000;
    let value: Buffer | null | undefined;
    for (;;) {
      try {
        await c.set('t:after', 'back');
        value = await c.get('t:after');
        break;
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await sleep(100);
      }
    }
    expect(value?.toString()).toBe('back');
  });

  it('times out a command a node never answers, with a typed error', async () => {
    const silent = await fakeNode(() => undefined);
    const c = client({ host: '127.0.0.1', port: silent.port, commandTimeoutMs: 300 });
    const started = Date.now();
    await expect(c.ping()).rejects.toBeInstanceOf(RedisTimeoutError);
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('cluster mode follows -MOVED to the named node and remembers the slot', async () => {
    const fake = await fakeNode((args) => `-MOVED ${keySlot(args[1] ?? '')} ${HOST}:6379\r\n`);
    const c = client({ host: '127.0.0.1', port: fake.port, cluster: true });
    await c.set('t:moved', 'via redirect');
    expect((await c.get('t:moved'))?.toString()).toBe('via redirect');
    // SET was redirected; GET of the same slot went straight to its owner.
    expect(fake.seen.filter((a) => a[0] !== 'AUTH').map((a) => a[0])).toEqual(['SET']);

    // Without cluster mode a redirect is an error reply.
    const plain = client({ host: '127.0.0.1', port: fake.port });
    await expect(plain.get('t:moved')).rejects.toMatchObject({ name: 'RedisReplyError', code: 'MOVED' });
  });

  it('cluster mode follows -ASK once (ASKING then the command), without remembering the slot', async () => {
    const fake = await fakeNode((args) => `-ASK ${keySlot(args[1] ?? '')} ${HOST}:6379\r\n`);
    const c = client({ host: '127.0.0.1', port: fake.port, cluster: true });
    await c.set('t:ask', 'asked');
    expect((await c.get('t:ask'))?.toString()).toBe('asked');
    expect(fake.seen.filter((a) => a[0] !== 'AUTH').map((a) => a[0])).toEqual(['SET', 'GET']);
  });
});

describe.runIf(haveRedis)('AI engine state store', () => {
  beforeAll(async () => {
    // The client suite may have stopped and restarted it; make sure one runs.
    if (!(await client().ping().then(() => true, () => false))) await waitForPong(startRedis(), PASSWORD);
  });

  const failuresOf = async (registry: Registry) => (await registry.getSingleMetricAsString(STATE_STORE_FAILURES_METRIC));

  it('saves JSON snapshots in Redis under aiops:ai-engine:<name> with a 7-day TTL; a new store (a restarted pod) loads them', async () => {
    const redis = { host: HOST, port: 6379, password: PASSWORD };
    const first = createStateStore({ redis, log, registry: new Registry() });
    const snapshot = { series: { 'up{job="x"}': [1, 2.5, 3] }, note: 'état 😀' };
    await first.save('detectors', snapshot);
    first.close();

    const raw = client();
    expect(JSON.parse((await raw.get('aiops:ai-engine:detectors'))!.toString('utf8'))).toEqual(snapshot);
    const ttl = (await raw.command(['PTTL', 'aiops:ai-engine:detectors'])) as number;
    expect(ttl).toBeGreaterThan(DEFAULT_STATE_TTL_MS - 60_000);
    expect(ttl).toBeLessThanOrEqual(DEFAULT_STATE_TTL_MS);

    const second = createStateStore({ redis, log, registry: new Registry() });
    expect(await second.load('detectors')).toEqual(snapshot);
    expect(await second.load('nothing-here')).toBeUndefined();
    await second.remove('detectors');
    expect(await second.load('detectors')).toBeUndefined();
    second.close();
  });

  it('Redis down: saves stay in memory, loads come from memory, nothing throws, failures are counted', async () => {
    const registry = new Registry();
    const store = createStateStore({ redis: { host: DOWN_HOST, port: 6379, commandTimeoutMs: 500 }, log, registry });
    await expect(store.save('detectors', { a: 1 })).resolves.toBe(Buffer.byteLength('{"a":1}'));
    expect(await store.load('detectors')).toEqual({ a: 1 });
    expect(await store.load('never-saved')).toBeUndefined();
    const text = await failuresOf(registry);
    expect(text).toContain(`${STATE_STORE_FAILURES_METRIC}{operation="save"} 1`);
    expect(text).toContain(`${STATE_STORE_FAILURES_METRIC}{operation="load"} 1`);
    store.close();
  });

  it('without Redis: memory only', async () => {
    const store = createStateStore({ log, registry: new Registry() });
    expect(store.where).toBe('memory');
    await store.save('x', [1, 2]);
    expect(await store.load('x')).toEqual([1, 2]);
    await store.save('bad', { n: 1n });
    expect(await store.load('bad')).toBeUndefined();
  });
});
