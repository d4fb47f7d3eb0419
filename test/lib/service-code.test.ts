import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { codeChecksum, codeSizes, deterministicGzip, gzipBase64, rememberGzip } from '../../src/lib/service-code.js';

describe('the code ConfigMap packing', () => {
  const code = Buffer.from('"use strict";\n'.repeat(2000) + 'console.log("ü");\n');

  it('gzips to a stream any gunzip reads, with a fixed header: no name, mtime 0, OS byte 3', () => {
    const gz = deterministicGzip(code);
    expect(gunzipSync(gz)).toEqual(code);
    expect([...gz.subarray(0, 10)]).toEqual([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 2, 3]);
    expect(gz.length).toBeLessThan(code.length / 10);
  });

  it('gives the same bytes every time (no clock, no randomness)', () => {
    expect(Buffer.from(deterministicGzip(code)).equals(Buffer.from(deterministicGzip(code)))).toBe(true);
    // Pinned: fflate's deflate is pure JS, so these bytes are the same on every machine and Node.js version.
    expect(Buffer.from(deterministicGzip(Buffer.from('aiops\n'))).toString('base64')).toBe('H4sIAAAAAAACA0vMzC8o5gIATiQ7NQYAAAA=');
  });

  it('keeps each result by the code\'s hash: equal code (another buffer) gets the same bytes; a remembered copy is used as is', () => {
    const first = deterministicGzip(code);
    expect(deterministicGzip(Buffer.from(code))).toBe(first);
    const other = Buffer.from('other code\n'.repeat(100));
    const made = Buffer.from(deterministicGzip(Buffer.from(other)));
    const copy = new Uint8Array(made);
    rememberGzip(other, copy);
    expect(deterministicGzip(other)).toBe(copy);
    expect(Buffer.from(copy).equals(made)).toBe(true);
  });

  it('checksums and measures the code as the ConfigMap carries it', () => {
    expect(codeChecksum(Buffer.from('abc'))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    const sizes = codeSizes(code);
    expect(sizes.raw).toBe(code.length);
    expect(sizes.gzip).toBe(deterministicGzip(code).length);
    expect(sizes.base64).toBe(Buffer.from(deterministicGzip(code)).toString('base64').length);
  });

  it('keeps checksum and base64 per bundle object: the same text for the same object, the right text for a new one', () => {
    const bundle = Buffer.from('let a = 1;\n'.repeat(500));
    const text = gzipBase64(bundle);
    expect(text).toBe(Buffer.from(deterministicGzip(bundle)).toString('base64'));
    expect(gzipBase64(bundle)).toBe(text);
    expect(codeChecksum(bundle)).toBe(codeChecksum(Buffer.from(bundle)));
    const changed = Buffer.from('let a = 2;\n'.repeat(500));
    expect(gzipBase64(changed)).not.toBe(text);
    expect(gunzipSync(Buffer.from(gzipBase64(changed), 'base64'))).toEqual(changed);
  });
});
