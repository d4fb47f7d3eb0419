import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import type { ValuesIssue } from '../values/issues.js';
import { setFileTarget, type SetFlag } from '../values/set-flag.js';
import { decodeUtf8 } from '../values/utf8.js';

/** Largest values file read (8 MiB): real values files are kilobytes; `/dev/zero` is endless. */
const MAX_INPUT_BYTES = 8 * 1024 * 1024;

/** A file read for this run, with its identity so that the output folder can be checked against it. */
export interface InputFile {
  readonly name: string;
  readonly text: string;
  /** `device:inode` of the file read. */
  readonly id: string;
}

/** What the CLI read: the values files and the `--set` flags with their `--set-file` contents filled in. */
export interface Inputs {
  /** Files that could not be read, located at the file or the flag; their inputs are left out, the others still load. */
  readonly issues: ValuesIssue[];
  /** The values files, in order. */
  readonly files: InputFile[];
  readonly sets: SetFlag[];
  /** `device:inode` of every file read (values files and `--set-file` files). */
  readonly ids: string[];
}

/**
 * Reads every values file and `--set-file` file (regular files, or pipes such as `<(sops -d …)`),
 * at most {@link MAX_INPUT_BYTES} each, as strict UTF-8. Files that cannot be read become issues
 * (reported with the values' problems, in one run).
 */
export function readInputs(valuesFiles: readonly string[], sets: readonly SetFlag[]): Inputs {
  const issues: ValuesIssue[] = [];
  const files: InputFile[] = [];
  const ids: string[] = [];
  const read = (name: string, location: string): InputFile | undefined => {
    const result = readInputFile(name, location);
    if ('issues' in result) {
      issues.push(...result.issues);
      return undefined;
    }
    ids.push(result.id);
    return result;
  };
  for (const name of valuesFiles) {
    const file = read(name, name);
    if (file) files.push(file);
  }
  const filled = sets.flatMap((flag) => {
    if (flag.kind !== 'set-file') return [flag];
    const target = setFileTarget(flag.text);
    if (typeof target === 'string') return [flag]; // the values loader reports the malformed flag
    const file = read(target.file, `--set-file ${flag.text}`);
    return file ? [{ ...flag, contents: file.text }] : [];
  });
  return { issues, files, sets: filled, ids };
}

/** Reads one file; `location` names it in messages (the file, or the flag that gave it). */
export function readInputFile(name: string, location: string): InputFile | { issues: ValuesIssue[] } {
  const fail = (why: string) => ({ issues: [{ location, path: '', message: `cannot read ${name === location ? 'values file' : `"${name}"`}: ${why}` }] });
  let fd: number;
  try {
    fd = openSync(name, 'r');
  } catch (error) {
    return fail(reason(error));
  }
  try {
    const stat = fstatSync(fd);
    if (stat.isDirectory()) return fail('is a folder');
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.alloc(Math.min(1024 * 1024, MAX_INPUT_BYTES + 1 - total));
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      chunks.push(chunk.subarray(0, n));
      total += n;
      if (total > MAX_INPUT_BYTES) return fail(`larger than ${MAX_INPUT_BYTES / 1024 / 1024} MiB; is it the right file?`);
    }
    const decoded = decodeUtf8(name, Buffer.concat(chunks));
    if (decoded.text === undefined) return { issues: decoded.issues };
    return { name, text: decoded.text, id: `${stat.dev}:${stat.ino}` };
  } catch (error) {
    return fail(reason(error));
  } finally {
    closeSync(fd);
  }
}

const REASONS: Record<string, string> = {
  ENOENT: 'no such file',
  EISDIR: 'is a folder',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ELOOP: 'too many symbolic links',
  ENOTDIR: 'a parent in the path is not a folder',
  ENXIO: 'not a file that can be read (a socket?)',
  ENAMETOOLONG: 'the name is too long',
  EEXIST: 'a file is in the way of a folder to create',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EFBIG: 'file too large (file-system or process file-size limit)',
  EROFS: 'read-only file system',
  EBUSY: 'the folder is busy (a mount point?)',
  EXDEV: 'the folder is on another file system than its parent (a mount point?)',
};

/** A short human reason for a file-system error. */
export function reason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === undefined) throw error;
  return REASONS[code] ?? `${(error as Error).message}`;
}
