/**
 * Redis for the platform services: the `REDIS_*` variables (src/core/service-env.ts) and a small
 * RESP2 client over `node:net` with the few commands the services need (AUTH, PING, GET, SET … PX,
 * DEL), a per-command timeout, reconnection with backoff and, in cluster mode, `-MOVED`/`-ASK`
 * redirects.
 *
 * No npm client: ioredis 5.11 measured with esbuild 0.28 (`--bundle --platform=node --format=cjs
 * --minify`, an entry that connects, SETs with PX and GETs) is 149,848 bytes minified, 45,360
 * gzipped (ioredis + denque, redis-parser, cluster-key-slot, debug…), while the AI engine's code
 * ships in a ConfigMap (1 MiB object limit, the engine aims at 256 KiB). This file: 7,506 bytes
 * minified alone, 10,071 (4,279 gzipped) in the same kind of entry with config.ts (zod external).
 *
 * Not supported (not needed): pipelining by the caller, pub/sub, RESP3, TLS, multi-key commands
 * across cluster slots, reading the cluster's slot map up front (slots are learnt from redirects).
 */
import { connect, type Socket } from 'node:net';
import { SERVICE_ENV } from '../../core/service-env.js';
import { envBoolean, envOptionalString, envPort } from './config.js';
import type { Logger } from './log.js';

const R = SERVICE_ENV.redis;

/**
 * The `REDIS_*` variables, all optional: without `REDIS_HOST` the service has no Redis. Spread into
 * a service's `z.object({...})`. Defaults: port 6379, no password, cluster mode off.
 */
export const redisEnvShape = {
  [R.host]: envOptionalString(),
  [R.port]: envPort(6379),
  [R.password]: envOptionalString(),
  [R.cluster]: envBoolean(false),
};

/** The parsed `REDIS_*` variables. */
export interface RedisEnv {
  readonly [R.host]: string | undefined;
  readonly [R.port]: number;
  readonly [R.password]: string | undefined;
  readonly [R.cluster]: boolean;
}

/** Where to connect and how. */
export interface RedisConnectionOptions {
  readonly host: string;
  readonly port: number;
  /** Sent with `AUTH <password>` (default user) on every new connection; absent: no AUTH. */
  readonly password?: string | undefined;
  /** Follow `-MOVED`/`-ASK` redirects to other nodes (default false: they are errors). */
  readonly cluster?: boolean;
}

/** The connection the variables describe, or undefined when `REDIS_HOST` is unset (no Redis). */
export function redisConnection(env: RedisEnv): RedisConnectionOptions | undefined {
  const host = env[R.host];
  if (host === undefined) return undefined;
  return { host, port: env[R.port], password: env[R.password], cluster: env[R.cluster] };
}

/** `host:port (cluster)`, for logs: never the password. */
export function describeRedis(c: RedisConnectionOptions): string {
  return `${c.host}:${c.port}${c.cluster ? ' (cluster)' : ''}`;
}

// ---------------------------------------------------------------------------------------------
// Errors

/** An error reply of the server (`-ERR …`, `-WRONGPASS …`, `-MOVED …`); `code` is its first word. */
export class RedisReplyError extends Error {
  readonly code: string;
  constructor(message: string) {
    super(message);
    this.name = 'RedisReplyError';
    this.code = /^\S+/.exec(message)?.[0] ?? 'ERR';
  }
}

/** No reply within the command timeout (the connection is then closed: later replies could not be matched). */
export class RedisTimeoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RedisTimeoutError';
  }
}

/** The connection could not be opened or was lost before the reply. */
export class RedisConnectionError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RedisConnectionError';
  }
}

/** The protocol was broken (a reply that is not RESP2): the connection is closed. */
export class RedisProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RedisProtocolError';
  }
}

// ---------------------------------------------------------------------------------------------
// RESP2

/** A RESP2 reply: simple string, integer, bulk string (bytes), null, array, or an error reply. */
export type RedisReply = string | number | Buffer | null | RedisReplyError | readonly RedisReply[];

/** One command argument; numbers are sent as their decimal text. */
export type RedisArg = string | Buffer | number;

/** A command as RESP2 bytes: an array of bulk strings, lengths in bytes. */
export function encodeCommand(args: readonly RedisArg[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const arg of args) {
    const bytes = Buffer.isBuffer(arg) ? arg : Buffer.from(String(arg), 'utf8');
    parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, CRLF);
  }
  return Buffer.concat(parts);
}

const CRLF = Buffer.from('\r\n');

/** What {@link parseReply} found: a reply and the offset after it, or `need` (more bytes are required). */
type Parsed = { readonly value: RedisReply; readonly next: number } | { readonly need: number };

/** One reply starting at `at`, or how many bytes of `buf` are needed at least before trying again. */
function parseReply(buf: Buffer, at: number): Parsed {
  const eol = buf.indexOf(CRLF, at);
  if (eol < 0) return { need: buf.length + 1 };
  const line = buf.toString('utf8', at + 1, eol);
  const next = eol + 2;
  switch (buf[at]) {
    case 0x2b: // +
      return { value: line, next };
    case 0x2d: // -
      return { value: new RedisReplyError(line), next };
    case 0x3a: // :
      return { value: integer(line), next };
    case 0x24: {
      // $
      const len = integer(line);
      if (len === -1) return { value: null, next };
      if (len < 0) throw new RedisProtocolError(`bad bulk length ${line}`);
      if (buf.length < next + len + 2) return { need: next + len + 2 };
      if (buf[next + len] !== 0x0d || buf[next + len + 1] !== 0x0a) throw new RedisProtocolError('bulk string not followed by CRLF');
      return { value: Buffer.from(buf.subarray(next, next + len)), next: next + len + 2 };
    }
    case 0x2a: {
      // *
      const count = integer(line);
      if (count === -1) return { value: null, next };
      if (count < 0) throw new RedisProtocolError(`bad array length ${line}`);
      const items: RedisReply[] = [];
      let pos = next;
      for (let i = 0; i < count; i++) {
        const item = parseReply(buf, pos);
        if (!('value' in item)) return item;
        items.push(item.value);
        pos = item.next;
      }
      return { value: items, next: pos };
    }
    default:
      throw new RedisProtocolError(`unexpected reply type byte 0x${(buf[at] ?? 0).toString(16)}`);
  }
}

function integer(text: string): number {
  if (!/^-?\d+$/.test(text)) throw new RedisProtocolError(`bad integer ${JSON.stringify(text.slice(0, 40))}`);
  return Number(text);
}

/**
 * Parses replies incrementally: feed TCP chunks as they come, get the complete replies. A reply
 * split across chunks waits, and a large bulk string is not re-parsed until all its bytes are in.
 */
export class RespParser {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private need = 1;

  /** Adds a chunk; returns the replies it completed, in order. Throws {@link RedisProtocolError} on bytes that are not RESP2. */
  push(chunk: Buffer): RedisReply[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    if (this.buffered < this.need) return [];
    let buf = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    const replies: RedisReply[] = [];
    let at = 0;
    for (;;) {
      if (at >= buf.length) {
        this.need = 1;
        break;
      }
      const r = parseReply(buf, at);
      if (!('value' in r)) {
        this.need = r.need - at;
        break;
      }
      replies.push(r.value);
      at = r.next;
    }
    buf = buf.subarray(at);
    this.chunks = buf.length > 0 ? [buf] : [];
    this.buffered = buf.length;
    return replies;
  }
}

// ---------------------------------------------------------------------------------------------
// One node

/** Tuning of a connection; every field has a default. */
export interface RedisTimingOptions {
  /** Most time from a command's call to its reply, connecting included (default 2000 ms). */
  readonly commandTimeoutMs?: number;
  /** Wait before the first reconnection attempt after a failure, doubled each failure (default 100 ms). */
  readonly backoffMinMs?: number;
  /** Longest wait between reconnection attempts (default 5000 ms). */
  readonly backoffMaxMs?: number;
}

interface Pending {
  readonly resolve: (reply: RedisReply) => void;
  readonly reject: (err: Error) => void;
}

/**
 * One TCP connection to one node, opened on the first command and reopened after a loss (not
 * before `backoff` has passed since the last failed attempt; the wait counts in the command's
 * timeout). Replies come back in command order.
 */
export class RedisNodeConnection {
  private socket: Socket | undefined;
  /** Resolves once connected and authenticated; undefined when there is no live connection. */
  private opening: Promise<Socket> | undefined;
  private readonly pending: Pending[] = [];
  private parser = new RespParser();
  private backoffMs = 0;
  private nextAttemptAt = 0;
  private closed = false;
  private readonly timeoutMs: number;
  private readonly minBackoff: number;
  private readonly maxBackoff: number;

  constructor(
    readonly host: string,
    readonly port: number,
    private readonly password: string | undefined,
    timing: RedisTimingOptions = {},
    private readonly log?: Logger,
  ) {
    this.timeoutMs = timing.commandTimeoutMs ?? 2000;
    this.minBackoff = timing.backoffMinMs ?? 100;
    this.maxBackoff = timing.backoffMaxMs ?? 5000;
  }

  /** `host:port`. */
  get address(): string {
    return `${this.host}:${this.port}`;
  }

  /**
   * Sends the commands back to back on one connection (nothing else in between: `ASKING` and
   * its command) and resolves to their replies, error replies included as {@link RedisReplyError}
   * values. Rejects with {@link RedisTimeoutError} or {@link RedisConnectionError}.
   */
  async send(commands: readonly (readonly RedisArg[])[]): Promise<RedisReply[]> {
    if (this.closed) throw new RedisConnectionError(`redis ${this.address}: client closed`);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new RedisTimeoutError(`redis ${this.address}: no reply within ${this.timeoutMs} ms`)), this.timeoutMs);
    });
    let written = false;
    const work = (async () => {
      const socket = await this.connected();
      if (this.socket !== socket) throw new RedisConnectionError(`redis ${this.address}: connection lost`);
      written = true;
      const replies = commands.map(() => new Promise<RedisReply>((resolve, reject) => this.pending.push({ resolve, reject })));
      socket.write(Buffer.concat(commands.map(encodeCommand)));
      return Promise.all(replies);
    })();
    try {
      return await Promise.race([work, timeout]);
    } catch (err) {
      // After a timeout a late reply could be taken for the next command's: start afresh. (While
      // still connecting, the attempt has its own timeout and may serve the next command.)
      if (err instanceof RedisTimeoutError && written) this.drop(err);
      work.catch(() => undefined);
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Closes the connection; pending and later commands fail. */
  close(): void {
    this.closed = true;
    this.drop(new RedisConnectionError(`redis ${this.address}: client closed`));
  }

  private connected(): Promise<Socket> {
    this.opening ??= this.open();
    return this.opening;
  }

  private async open(): Promise<Socket> {
    const wait = this.nextAttemptAt - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    if (this.closed) throw new RedisConnectionError(`redis ${this.address}: client closed`);
    const dialing = this.dial();
    // dial() set this.socket synchronously: a failure below forgets that socket only if it is still current.
    const attempt = this.socket;
    try {
      const socket = await dialing;
      if (this.password !== undefined) {
        const [reply] = await this.exchange(socket, [['AUTH', this.password]]);
        if (reply instanceof RedisReplyError) throw reply;
      }
      if (this.closed) throw new RedisConnectionError(`redis ${this.address}: client closed`);
      socket.setTimeout(0);
      if (this.backoffMs > 0) this.log?.info({ redis: this.address }, 'redis: reconnected');
      this.backoffMs = 0;
      return socket;
    } catch (err) {
      this.backoffMs = Math.min(this.maxBackoff, this.backoffMs === 0 ? this.minBackoff : this.backoffMs * 2);
      this.nextAttemptAt = Date.now() + this.backoffMs;
      if (this.socket === attempt) this.drop(err instanceof Error ? err : new RedisConnectionError(String(err)));
      throw err instanceof RedisReplyError ? err : new RedisConnectionError(`redis ${this.address}: cannot connect: ${(err as Error).message}`, { cause: err });
    }
  }

  private dial(): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: this.host, port: this.port, noDelay: true });
      this.socket = socket;
      // Connecting and authenticating get the command timeout; a silent peer is then cut off.
      socket.setTimeout(this.timeoutMs, () => socket.destroy(new Error(`not connected and authenticated within ${this.timeoutMs} ms`)));
      this.parser = new RespParser();
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(socket);
      });
      socket.once('error', reject);
      socket.on('data', (chunk: Buffer) => this.onData(socket, chunk));
      socket.on('error', (err) => {
        if (this.socket === socket) this.log?.warn({ err, redis: this.address }, 'redis: connection error');
      });
      socket.on('close', () => {
        if (this.socket === socket) this.drop(new RedisConnectionError(`redis ${this.address}: connection closed`));
      });
    });
  }

  /** Sends commands on the socket being opened (before other callers can use it). */
  private exchange(socket: Socket, commands: readonly (readonly RedisArg[])[]): Promise<RedisReply[]> {
    const replies = commands.map(() => new Promise<RedisReply>((resolve, reject) => this.pending.push({ resolve, reject })));
    socket.write(Buffer.concat(commands.map(encodeCommand)));
    return Promise.all(replies);
  }

  private onData(socket: Socket, chunk: Buffer): void {
    if (this.socket !== socket) return;
    let replies: RedisReply[];
    try {
      replies = this.parser.push(chunk);
    } catch (err) {
      this.drop(err as Error);
      return;
    }
    for (const reply of replies) {
      const p = this.pending.shift();
      if (!p) {
        this.drop(new RedisProtocolError(`redis ${this.address}: a reply nobody asked for`));
        return;
      }
      p.resolve(reply);
    }
  }

  /** Forgets the connection: destroys the socket, fails every pending command with `err`. */
  private drop(err: Error): void {
    const socket = this.socket;
    this.socket = undefined;
    this.opening = undefined;
    socket?.destroy();
    for (const p of this.pending.splice(0)) p.reject(err);
  }
}

// ---------------------------------------------------------------------------------------------
// The client

/** Most redirects one command follows (default 5). */
const MAX_REDIRECTS = 5;

/** CRC16/XMODEM of the key's hash tag (or the whole key), mod 16384: the cluster slot. */
export function keySlot(key: string | Buffer): number {
  let bytes = Buffer.isBuffer(key) ? key : Buffer.from(key, 'utf8');
  const open = bytes.indexOf(0x7b); // {
  if (open >= 0) {
    const close = bytes.indexOf(0x7d, open + 1); // }
    if (close > open + 1) bytes = bytes.subarray(open + 1, close);
  }
  let crc = 0;
  for (const byte of bytes) {
    crc ^= byte << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc % 16384;
}

/** Options of {@link RedisClient}: where, how, and the timing (every timing field has a default). */
export interface RedisClientOptions extends RedisConnectionOptions, RedisTimingOptions {
  /** Logs reconnections and connection errors (default: none). */
  readonly log?: Logger;
}

/**
 * A Redis client: GET, SET with PX, DEL, PING, or any command through {@link command}. Nothing
 * connects until the first command. In cluster mode the slot owners learnt from `-MOVED` replies
 * are remembered, and each node gets one connection (kept in a map by `host:port`).
 */
export class RedisClient {
  private readonly nodes = new Map<string, RedisNodeConnection>();
  private readonly seed: RedisNodeConnection;
  private readonly slotOwners = new Map<number, RedisNodeConnection>();

  constructor(private readonly options: RedisClientOptions) {
    this.seed = this.node(options.host, options.port);
  }

  /** Server round trip: resolves when it answers PONG. */
  async ping(): Promise<void> {
    const reply = await this.command(['PING']);
    if (reply !== 'PONG') throw new RedisProtocolError(`PING answered ${String(reply)}`);
  }

  /** The value's bytes, or null when the key does not exist. */
  async get(key: string): Promise<Buffer | null> {
    const reply = await this.command(['GET', key], key);
    if (reply !== null && !Buffer.isBuffer(reply)) throw new RedisProtocolError('GET did not answer a bulk string');
    return reply;
  }

  /** Sets the key; with `pxMs`, it expires after that many milliseconds (a positive integer). */
  async set(key: string, value: string | Buffer, opts: { pxMs?: number } = {}): Promise<void> {
    const args: RedisArg[] = ['SET', key, value];
    if (opts.pxMs !== undefined) {
      if (!Number.isSafeInteger(opts.pxMs) || opts.pxMs < 1) throw new RangeError(`SET PX: expected a positive integer of milliseconds, found ${opts.pxMs}`);
      args.push('PX', opts.pxMs);
    }
    const reply = await this.command(args, key);
    if (reply !== 'OK') throw new RedisProtocolError(`SET answered ${String(reply)}`);
  }

  /** Deletes the key; resolves to 1 if it existed, else 0. One key per call (cluster slots). */
  async del(key: string): Promise<number> {
    const reply = await this.command(['DEL', key], key);
    if (typeof reply !== 'number') throw new RedisProtocolError('DEL did not answer an integer');
    return reply;
  }

  /**
   * Runs one command and resolves to its reply; an error reply rejects as {@link RedisReplyError}.
   * `key` routes it in cluster mode (default: the seed node); redirects are followed there.
   */
  async command(args: readonly RedisArg[], key?: string): Promise<RedisReply> {
    const slot = this.options.cluster && key !== undefined ? keySlot(key) : undefined;
    let node = (slot !== undefined ? this.slotOwners.get(slot) : undefined) ?? this.seed;
    let asking = false;
    for (let redirects = 0; ; redirects++) {
      const replies = await node.send(asking ? [['ASKING'], args] : [args]);
      const reply = replies[replies.length - 1]!;
      if (!(reply instanceof RedisReplyError)) return reply;
      const redirect = this.options.cluster && (reply.code === 'MOVED' || reply.code === 'ASK') ? parseRedirect(reply.message, node.host) : undefined;
      if (!redirect || redirects >= MAX_REDIRECTS) throw reply;
      const target = this.node(redirect.host, redirect.port);
      if (reply.code === 'MOVED') this.slotOwners.set(redirect.slot, target);
      asking = reply.code === 'ASK';
      node = target;
    }
  }

  /** Closes every connection; later commands fail. */
  close(): void {
    for (const n of this.nodes.values()) n.close();
  }

  private node(host: string, port: number): RedisNodeConnection {
    const address = `${host}:${port}`;
    let n = this.nodes.get(address);
    if (!n) {
      n = new RedisNodeConnection(host, port, this.options.password, this.options, this.options.log);
      this.nodes.set(address, n);
    }
    return n;
  }
}

/** `MOVED 3999 10.0.0.5:6379` → slot and node; an empty host (`:6379`) is the node that answered. */
function parseRedirect(message: string, currentHost: string): { slot: number; host: string; port: number } | undefined {
  const m = /^(?:MOVED|ASK) (\d+) (.*):(\d+)$/.exec(message);
  if (!m) return undefined;
  const host = m[2]!.replace(/^\[(.*)\]$/, '$1');
  return { slot: Number(m[1]), host: host === '' ? currentHost : host, port: Number(m[3]) };
}
