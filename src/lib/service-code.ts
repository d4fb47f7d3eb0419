import { createHash } from 'node:crypto';
import { gzipSync } from 'fflate';

/**
 * The bundled code of the platform's own services (src/services/<name>/main.ts, bundled by
 * src/cli/service-bundles.ts), as the chart receives it, and its deterministic packing into a
 * ConfigMap.
 */

/**
 * The code of a platform service by its component name (`self-healing`): the bundled `main.js`,
 * or undefined when the render was given none for it. The render entry reads the real bundles;
 * tests hand small fixed stand-ins so that goldens do not change with the services' code.
 */
export type ServiceCode = (service: string) => Uint8Array | undefined;

/** A render without bundled code (default): a platform service without `image` is then a problem. */
export const NO_SERVICE_CODE: ServiceCode = () => undefined;

/** gzip header bytes 4–7: modification time, and byte 9: operating system (3, Unix). */
const MTIME = [4, 8] as const;
const OS_BYTE = 9;
const OS_UNIX = 3;

/**
 * gzip of `code`, byte-identical on every machine and Node.js version: fflate's pure-JS deflate
 * (pinned in package.json; Node's bundled zlib may change its output between releases) at level
 * 9, with a fixed header: no file name, modification time 0, OS byte 3.
 */
export function deterministicGzip(code: Uint8Array): Uint8Array {
  const key = codeChecksum(code);
  const known = GZIPPED.get(key);
  if (known) return known;
  const gz = gzipSync(code, { level: 9, mtime: 0 });
  gz.fill(0, ...MTIME);
  gz[OS_BYTE] = OS_UNIX;
  remember(key, gz);
  return gz;
}

/**
 * Level-9 deflate of the services' bundles costs ≈ 100 ms per render: each result is kept by the
 * code's SHA-256 (a few entries), and the CLI hands in the copies it keeps on disk beside the
 * bundles ({@link rememberGzip}), so neither a second environment nor a second run pays it again.
 * The bytes are the function's own output either way; callers must not modify them.
 */
const GZIPPED = new Map<string, Uint8Array>();
const GZIPPED_LIMIT = 16;

function remember(key: string, gz: Uint8Array): void {
  GZIPPED.delete(key);
  GZIPPED.set(key, gz);
  while (GZIPPED.size > GZIPPED_LIMIT) GZIPPED.delete(GZIPPED.keys().next().value!);
}

/** Records `gz` as {@link deterministicGzip}'s output for `code` (the CLI's copy on disk, written from that output). */
export function rememberGzip(code: Uint8Array, gz: Uint8Array): void {
  remember(codeChecksum(code), gz);
}

/**
 * SHA-256 of the code, hex: the `checksum/code` pod annotation that rolls the pods when the code
 * changes. Kept per bundle object (the CLI hands the same bundles to every render of a run; bundles
 * are never modified), since hashing 1.6 MB of code cost ≈ 3 ms of every render.
 */
export function codeChecksum(code: Uint8Array): string {
  let checksum = CHECKSUMS.get(code);
  if (checksum === undefined) CHECKSUMS.set(code, (checksum = createHash('sha256').update(code).digest('hex')));
  return checksum;
}

const CHECKSUMS = new WeakMap<Uint8Array, string>();
const BASE64 = new WeakMap<Uint8Array, string>();

/** {@link deterministicGzip} of the code as base64, a ConfigMap's `binaryData` value (kept per bundle object, like the checksum). */
export function gzipBase64(code: Uint8Array): string {
  let text = BASE64.get(code);
  if (text === undefined) BASE64.set(code, (text = Buffer.from(deterministicGzip(code)).toString('base64')));
  return text;
}

/** Sizes of a bundle in bytes: as built, gzipped, and as the base64 text a ConfigMap's binaryData holds. */
export interface CodeSizes {
  readonly raw: number;
  readonly gzip: number;
  readonly base64: number;
}

/** The sizes of `code` as it travels into a ConfigMap. */
export function codeSizes(code: Uint8Array): CodeSizes {
  const gzip = deterministicGzip(code).length;
  return { raw: code.length, gzip, base64: 4 * Math.ceil(gzip / 3) };
}
