import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** True when `file` exists and is executable. */
export function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Absolute path of an executable on PATH (then in `extraDirs`), or undefined. */
export function onPath(name: string, extraDirs: readonly string[] = []): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), ...extraDirs].filter(Boolean);
  return dirs.map((d) => join(d, name)).find(isExecutable);
}

/**
 * Decides whether a suite that needs external tools runs: it runs when nothing is missing; when
 * something is, it is skipped with a loud message locally and fails in CI (`CI=true`), where
 * .ci/run installs the tools.
 */
export function toolsPresent(suite: string, missing: readonly string[], install: string): boolean {
  if (missing.length === 0) return true;
  const message = `${suite} need ${missing.join(', ')} (${install})`;
  if (process.env.CI === 'true') throw new Error(`${message}: they are required in CI (CI=true)`);
  console.warn(`\n!!! SKIPPING ${suite}: ${message}.\n`);
  return false;
}

/** The outcome of a finished process. */
export interface RunResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

/** Runs a command to completion (killed after `timeoutMs`); never rejects on a non-zero exit. */
export function runProcess(
  file: string,
  args: readonly string[],
  opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number; cwd?: string; input?: string } = {},
): Promise<RunResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { env: opts.env ?? process.env, cwd: opts.cwd, stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    if (opts.input !== undefined) child.stdin!.end(opts.input);
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 20_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - started });
    });
  });
}

/** A failed run's exit code and output, for assertion messages. */
export const output = (r: RunResult) => `exit ${r.code}\n${r.stdout}\n${r.stderr}`;
