import type { ValuesIssue } from './issues.js';

const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * Decodes a values file as UTF-8 (a leading BOM is dropped). Invalid bytes are an issue located at
 * `file:line:col` of the first one, never silently replaced by U+FFFD.
 */
export function decodeUtf8(name: string, bytes: Uint8Array): { text?: string; issues: ValuesIssue[] } {
  try {
    return { text: decoder.decode(bytes), issues: [] };
  } catch {
    const utf16 = (bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff);
    const offset = utf16 ? 0 : firstInvalidByte(bytes);
    const before = bytes.subarray(0, offset);
    const lineStart = before.lastIndexOf(0x0a) + 1;
    const line = before.reduce((n, b) => n + (b === 0x0a ? 1 : 0), 1);
    const col = [...decoder.decode(bytes.subarray(lineStart, offset))].length + 1;
    const byte = bytes[offset]!.toString(16).toUpperCase().padStart(2, '0');
    const message = utf16
      ? 'the file is UTF-16; save it as UTF-8'
      : `invalid UTF-8 (byte 0x${byte}); save the file as UTF-8`;
    return { issues: [{ location: `${name}:${line}:${col}`, path: '', message }] };
  }
}

/** Offset of the first byte that does not start or continue a valid UTF-8 sequence. */
export function firstInvalidByte(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    const [length, min, max] =
      b < 0x80 ? [1, 0, 0] : b >= 0xc2 && b <= 0xdf ? [2, 0x80, 0xbf] : b === 0xe0 ? [3, 0xa0, 0xbf] : b === 0xed ? [3, 0x80, 0x9f]
        : b >= 0xe1 && b <= 0xef ? [3, 0x80, 0xbf] : b === 0xf0 ? [4, 0x90, 0xbf] : b >= 0xf1 && b <= 0xf3 ? [4, 0x80, 0xbf]
          : b === 0xf4 ? [4, 0x80, 0x8f] : [0, 0, 0];
    if (length === 0) return i;
    for (let k = 1; k < length; k++) {
      const c = bytes[i + k];
      const [lo, hi] = k === 1 ? [min, max] : [0x80, 0xbf];
      if (c === undefined || c < lo || c > hi) return i;
    }
    i += length;
  }
  return i;
}
