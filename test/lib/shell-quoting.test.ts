/**
 * Generated scripts under a real shell (sh = dash, and bash) with hostile values: every value a
 * script interpolates reaches the program it calls as one literal argument, whatever it holds
 * (quotes, `$()`, backticks, line breaks, globs, spaces), and nothing it holds is executed. The
 * programs the scripts call (redis-cli, getent, curl, elasticsearch-certutil, rm, mkdir) are fakes
 * on PATH that record their argv.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { redisClusterInitScript } from '../../src/components/data/redis-cluster-job-scripts.js';
import { transportCaScript, transportCertsScript } from '../../src/components/logging/elasticsearch-tls-scripts.js';
import { shellQuote } from '../../src/lib/shell-scripts.js';
import type { PlatformContext } from '../../src/lib/context.js';
import { onPath } from '../support/process.js';

const SHELLS = ['sh', ...(onPath('bash') ? ['bash'] : [])];
const dir = mkdtempSync(join(tmpdir(), 'aiops-shell-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A file the hostile values try to create: it must never exist. */
const PWNED = join(dir, 'PWNED');
const HOSTILE = [
  `x"; touch ${PWNED}; echo "`,
  `$(touch ${PWNED})`,
  `\`touch ${PWNED}\``,
  `it's'; touch ${PWNED}; '`,
  `line one\ntouch ${PWNED}\nline three`,
  '*',
  '  spaced   out  ',
  '\\" \\\\ $HOME ${PATH} %s %% \t tab',
];

/** Record separator between calls in the argv log. */
const END = '\u001e';

/**
 * A fake program: appends its name and arguments (NUL-separated, then {@link END}) to its own log,
 * `$ARGV_LOG.<name>` (fakes in one pipeline run at once: a shared log would interleave their
 * records), then runs `behaviour` (shell code).
 */
function fake(bin: string, name: string, behaviour: string): void {
  const file = join(bin, name);
  writeFileSync(
    file,
    ['#!/bin/sh', `{ printf '%s\\0' ${shellQuote(name)}; for a in "$@"; do printf '%s\\0' "$a"; done; printf '${END}\\0'; } >> "$ARGV_LOG.${name}"`, behaviour, ''].join('\n'),
  );
  chmodSync(file, 0o755);
}

/** Runs `script` with `shell` and the fakes of `bin` first on PATH; returns the recorded calls (argv arrays), program by program (each in its order). */
function run(shell: string, script: string, bin: string): { calls: string[][]; stderr: string; code: number | null } {
  const log = join(bin, 'argv.log');
  for (const f of readdirSync(bin).filter((f) => f.startsWith('argv.log.'))) rmSync(join(bin, f));
  const result = spawnSync(shell, ['-c', script], {
    env: { PATH: `${bin}:${process.env.PATH}`, ARGV_LOG: log, HOME: dir },
    cwd: dir,
    encoding: 'utf8',
    timeout: 20_000,
  });
  const calls = readdirSync(bin)
    .filter((f) => f.startsWith('argv.log.'))
    .sort()
    .map((f) => readFileSync(join(bin, f), 'utf8'))
    .join('')
    .split(`${END}\0`)
    .filter((c) => c !== '')
    .map((c) => c.split('\0').slice(0, -1));
  return { calls, stderr: result.stderr, code: result.status };
}

function binDir(name: string): string {
  const bin = join(dir, name);
  mkdirSync(bin, { recursive: true });
  return bin;
}

describe('shellQuote', () => {
  it.each(SHELLS)('passes every hostile value as one literal argument (%s)', (shell) => {
    const bin = binDir(`quote-${shell}`);
    fake(bin, 'prog', '');
    const { calls } = run(shell, `prog ${HOSTILE.map(shellQuote).join(' ')} ${shellQuote('')}`, bin);
    expect(calls).toEqual([['prog', ...HOSTILE, '']]);
    expect(existsSync(PWNED)).toBe(false);
  });
});

describe('Redis cluster Job script', () => {
  it.each(SHELLS)('gives redis-cli and getent each host as one literal argument (%s)', (shell) => {
    const bin = binDir(`redis-${shell}`);
    // PONG to every ping, so the script goes on to resolve the hosts; getent finds none: exit 1.
    fake(bin, 'redis-cli', 'for a in "$@"; do [ "$a" = ping ] && echo PONG; done; exit 0');
    fake(bin, 'getent', 'exit 2');
    const { calls, stderr, code } = run(shell, redisClusterInitScript(HOSTILE, 5), bin);
    expect(code).toBe(1);
    expect(stderr).toContain(`cannot resolve ${HOSTILE[0]}`);
    const pinged = calls.filter((c) => c[0] === 'redis-cli').map((c) => c.slice(1));
    expect(pinged).toEqual(HOSTILE.map((host) => ['-h', host, '-p', '6379', 'ping']));
    expect(calls.filter((c) => c[0] === 'getent')).toEqual([['getent', 'hosts', HOSTILE[0]]]);
    expect(existsSync(PWNED)).toBe(false);
  });
});

describe('Elasticsearch transport TLS scripts', () => {
  const hostile = HOSTILE.join('|');
  const ctx = { release: hostile, namespace: hostile } as unknown as PlatformContext;

  it.each(SHELLS)('asks for the CA Secret at the literal URL and names the CA after the literal release (%s)', (shell) => {
    const bin = binDir(`ca-${shell}`);
    // GET → 404 (absent), so the script goes on to make the CA; certutil then fails: exit 1.
    fake(bin, 'curl', 'cat > /dev/null; echo 404');
    fake(bin, 'elasticsearch-certutil', 'exit 1');
    fake(bin, 'rm', 'exit 0');
    fake(bin, 'mkdir', 'exit 0');
    fake(bin, 'cat', 'exit 0');
    const secret = `${hostile}-secret`;
    const { calls, code } = run(shell, transportCaScript(ctx, secret, { team: 'sre' }), bin);
    expect(code).toBe(1);
    const curl = calls.find((c) => c[0] === 'curl')!;
    expect(curl.at(-1)).toBe(`https://kubernetes.default.svc/api/v1/namespaces/${hostile}/secrets/${secret}`);
    const certutil = calls.find((c) => c[0] === 'elasticsearch-certutil')!;
    expect(certutil[certutil.indexOf('--ca-dn') + 1]).toBe(`CN=${hostile} Elasticsearch transport CA`);
    expect(existsSync(PWNED)).toBe(false);
  });

  it.each(SHELLS)('signs the node certificate for the literal host names (%s)', (shell) => {
    const bin = binDir(`certs-${shell}`);
    fake(bin, 'elasticsearch-certutil', 'exit 1');
    fake(bin, 'rm', 'exit 0');
    fake(bin, 'mkdir', 'exit 0');
    const script = transportCertsScript({ headlessHost: `${hostile}.headless`, clientHost: `${hostile}.client` });
    const { calls, code } = run(shell, `NODE_NAME=node-0 POD_IP=10.0.0.1; export NODE_NAME POD_IP\n${script}`, bin);
    expect(code).toBe(1);
    const certutil = calls.find((c) => c[0] === 'elasticsearch-certutil')!;
    expect(certutil[certutil.indexOf('--dns') + 1]).toBe(`node-0.${hostile}.headless,${hostile}.headless,${hostile}.client`);
    expect(certutil[certutil.indexOf('--name') + 1]).toBe('node-0');
    expect(existsSync(PWNED)).toBe(false);
  });
});
