/**
 * Password hashing with scrypt (node:crypto, on libuv's thread pool: the event loop never waits),
 * stored as a self-describing PHC string that carries its parameters:
 *
 *     $scrypt$ln=15,r=8,p=1$<salt, base64 without padding>$<key, base64 without padding>
 *
 * so that changing {@link DEFAULT_SCRYPT} later still verifies the old hashes, and a login with
 * an old hash re-hashes it ({@link PasswordCheck.rehash}).
 *
 * Cost: N = 2^15, r = 8, p = 1 needs 32 MiB and took 90–96 ms per hash on the 2-core machine of
 * the tests (Node.js 20; 2^14: 46–61 ms, 2^16: 181–193 ms). At most {@link MAX_CONCURRENT_HASHES}
 * run at once (64 MiB at most): a burst of logins queues instead of exhausting the pod's memory.
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { GATEWAY_PASSWORD_MIN_LENGTH } from '../../../core/gateway-auth.js';

/** scrypt's cost parameters and sizes. */
export interface ScryptParams {
  /** log2 of N, the CPU/memory cost. */
  readonly logN: number;
  /** Block size. */
  readonly r: number;
  /** Parallelisation. */
  readonly p: number;
  /** Bytes of the derived key. */
  readonly keyLength: number;
  /** Bytes of the random salt. */
  readonly saltLength: number;
}

/** The parameters new hashes get: ln=15 (32768), r=8, p=1, 32-byte key, 16-byte salt (≈ 90 ms, 32 MiB). */
export const DEFAULT_SCRYPT: ScryptParams = { logN: 15, r: 8, p: 1, keyLength: 32, saltLength: 16 };

/** Most scrypt computations at once in this process (2: 64 MiB with the default parameters). */
export const MAX_CONCURRENT_HASHES = 2;

/** Shortest (src/core/gateway-auth.ts: 12) and longest password, in characters (code points after NFC). */
export const PASSWORD_MIN_LENGTH = GATEWAY_PASSWORD_MIN_LENGTH;
export const PASSWORD_MAX_LENGTH = 1024;

/**
 * Bounds on a stored string's parameters: a hash outside them is refused as malformed, so that a
 * tampered row cannot make one login cost gigabytes or minutes. Memory 128·N·r ≤ 256 MiB; work N·r·p ≤ 16× the default's.
 */
const LIMITS = { logN: [10, 20], r: [1, 32], p: [1, 16], keyLength: [16, 64], saltLength: [16, 64], maxMemory: 256 * 1024 * 1024, maxWork: 16 * 2 ** 15 * 8 };

let running = 0;
const waiting: (() => void)[] = [];

/** Runs `work` when fewer than {@link MAX_CONCURRENT_HASHES} hashes are running. */
async function limited<T>(work: () => Promise<T>): Promise<T> {
  if (running >= MAX_CONCURRENT_HASHES) await new Promise<void>((resolve) => waiting.push(resolve));
  running += 1;
  try {
    return await work();
  } finally {
    running -= 1;
    waiting.shift()?.();
  }
}

function derive(password: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  const N = 2 ** params.logN;
  const options: ScryptOptions = { N, r: params.r, p: params.p, maxmem: 2 * 128 * N * params.r + 1024 * 1024 };
  return limited(
    () =>
      new Promise((resolve, reject) => {
        scrypt(password.normalize('NFC'), salt, params.keyLength, options, (err, key) => (err ? reject(err) : resolve(key)));
      }),
  );
}

const b64 = (bytes: Buffer) => bytes.toString('base64').replace(/=+$/, '');

/** Strict unpadded base64 (the PHC alphabet), or undefined. */
function unb64(text: string): Buffer | undefined {
  if (!/^[A-Za-z0-9+/]+$/.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64');
  return b64(bytes) === text ? bytes : undefined;
}

/** A stored string's parts, or undefined when it is not a well-formed scrypt PHC string within {@link LIMITS}. */
export function parseStoredHash(stored: string): { params: ScryptParams; salt: Buffer; key: Buffer } | undefined {
  const m = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([^$]+)\$([^$]+)$/.exec(stored);
  if (!m) return undefined;
  const salt = unb64(m[4]!);
  const key = unb64(m[5]!);
  if (!salt || !key) return undefined;
  const params: ScryptParams = { logN: Number(m[1]), r: Number(m[2]), p: Number(m[3]), keyLength: key.length, saltLength: salt.length };
  const within = (value: number, [min, max]: number[]) => value >= min! && value <= max!;
  if (!within(params.logN, LIMITS.logN) || !within(params.r, LIMITS.r) || !within(params.p, LIMITS.p)) return undefined;
  if (!within(params.keyLength, LIMITS.keyLength) || !within(params.saltLength, LIMITS.saltLength)) return undefined;
  const N = 2 ** params.logN;
  if (128 * N * params.r > LIMITS.maxMemory || N * params.r * params.p > LIMITS.maxWork) return undefined;
  return { params, salt, key };
}

/** Hashes `password` with `params` (default {@link DEFAULT_SCRYPT}) and a new random salt: the stored string. */
export async function hashPassword(password: string, params: ScryptParams = DEFAULT_SCRYPT): Promise<string> {
  const salt = randomBytes(params.saltLength);
  const key = await derive(password, salt, params);
  return `$scrypt$ln=${params.logN},r=${params.r},p=${params.p}$${b64(salt)}$${b64(key)}`;
}

/** What {@link verifyPassword} found. */
export interface PasswordCheck {
  /** The password matches the stored hash. */
  readonly ok: boolean;
  /** It matched, and the hash's parameters differ from the current ones: store a new hash. */
  readonly rehash: boolean;
  /** The stored string is not a valid scrypt hash (never matches; worth a log line). */
  readonly malformed: boolean;
}

/**
 * Checks `password` against `stored`, comparing the keys in constant time. A malformed stored
 * string never matches, and costs a hash with the current parameters like a real check.
 */
export async function verifyPassword(password: string, stored: string, current: ScryptParams = DEFAULT_SCRYPT): Promise<PasswordCheck> {
  const parsed = parseStoredHash(stored);
  if (!parsed) {
    await burnPasswordTime(password, current);
    return { ok: false, rehash: false, malformed: true };
  }
  const key = await derive(password, parsed.salt, parsed.params);
  const ok = timingSafeEqual(key, parsed.key);
  const p = parsed.params;
  const rehash = ok && (p.logN !== current.logN || p.r !== current.r || p.p !== current.p || p.keyLength !== current.keyLength || p.saltLength !== current.saltLength);
  return { ok, rehash, malformed: false };
}

const BURN_SALT = randomBytes(DEFAULT_SCRYPT.saltLength);

/** Spends the time of one verification (an unknown or disabled user): answers take as long whether or not the user exists. */
export async function burnPasswordTime(password: string, current: ScryptParams = DEFAULT_SCRYPT): Promise<void> {
  await derive(password, BURN_SALT, current);
}

/** Characters of `password` as the policy counts them: code points after NFC. */
function characters(password: string): number {
  return [...password.normalize('NFC')].length;
}

/**
 * Why `password` may not be `username`'s password, or undefined when it may: between
 * {@link PASSWORD_MIN_LENGTH} and {@link PASSWORD_MAX_LENGTH} characters, not the username
 * (ignoring case). The message never repeats the password.
 */
export function passwordProblem(password: string, username: string): string | undefined {
  const length = characters(password);
  if (length < PASSWORD_MIN_LENGTH) return `the password must have at least ${PASSWORD_MIN_LENGTH} characters (it has ${length})`;
  if (length > PASSWORD_MAX_LENGTH) return `the password must have at most ${PASSWORD_MAX_LENGTH} characters`;
  if (password.normalize('NFC').toLowerCase() === username.normalize('NFC').toLowerCase()) return 'the password must not be the username';
  return undefined;
}
