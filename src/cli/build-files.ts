import { createHash } from 'node:crypto';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** What the bundle builders (service-bundles.ts, cli-bundle.ts) share: atomic writes and content hashes. */

/** Writes through a temporary sibling renamed over the file, so a concurrent reader sees the old file or the new one whole. */
export function writeAtomically(file: string, contents: string | Uint8Array): void {
  mkdirSync(dirname(file), { recursive: true });
  const temporary = `${file}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  try {
    writeFileSync(temporary, contents);
    renameSync(temporary, file);
  } finally {
    rmSync(temporary, { force: true });
  }
}

/** SHA-256 of `contents`, hex. */
export const sha256 = (contents: string | Uint8Array): string => createHash('sha256').update(contents).digest('hex');
