/**
 * Bad values of the edge credentials (basic-auth login, executor webhook token): exit 2, a message
 * located at the file:line:col or the --set flag with the key path, the secret never echoed, the
 * output folder untouched.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cli, treeState } from '../support/cli.js';

let dir: string;
let out: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'aiops-edge-auth-'));
  out = join(dir, 'dist');
  mkdirSync(out);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const file = (text: string): string => {
  const path = join(dir, 'v.yaml');
  writeFileSync(path, text);
  return path;
};

const LONG = 'x'.repeat(73);
const CASES: { name: string; argv: () => string[]; message: RegExp; secret?: string }[] = [
  { name: 'user name with ":" (ends the htpasswd user)', argv: () => ['-f', file('ingress:\n  basicAuth:\n    username: "ops:admin"\n')], message: /v\.yaml:3:15 {2}ingress\.basicAuth\.username: expected a user name of 1 to 64 characters .* found "ops:admin"/ },
  { name: 'empty user name', argv: () => ['--set', 'ingress.basicAuth.username='], message: /--set ingress\.basicAuth\.username= {2}ingress\.basicAuth\.username: expected a user name/ },
  { name: 'user name with a space', argv: () => ['-f', file('ingress: {basicAuth: {username: "ops team"}}\n')], message: /v\.yaml:1:\d+ {2}ingress\.basicAuth\.username: expected a user name/ },
  { name: 'password with a line break', argv: () => ['-f', file('ingress:\n  basicAuth:\n    password: "open\\nsesame-9876"\n')], message: /v\.yaml:3:15 {2}ingress\.basicAuth\.password: .*line break or another control character/, secret: 'sesame-9876' },
  { name: 'password longer than bcrypt reads', argv: () => ['--set', `ingress.basicAuth.password=${LONG}`], message: /--set ingress\.basicAuth\.password=.* {2}ingress\.basicAuth\.password: .*longer than 72 bytes/, secret: LONG },
  { name: 'password of 25 three-byte characters (75 bytes)', argv: () => ['-f', file(`ingress: {basicAuth: {password: "${'€'.repeat(25)}"}}\n`)], message: /ingress\.basicAuth\.password: .*longer than 72 bytes/, secret: '€'.repeat(25) },
  { name: 'short webhook token', argv: () => ['-f', file('selfHealing:\n  webhookToken: tooshort\n')], message: /v\.yaml:2:17 {2}selfHealing\.webhookToken: expected a bearer token of at least 16 characters/, secret: 'tooshort' },
  { name: 'webhook token with a space', argv: () => ['--set', 'selfHealing.webhookToken=abcdefgh ijklmnopqrst'], message: /selfHealing\.webhookToken: expected a bearer token/, secret: 'ijklmnopqrst' },
  { name: 'webhook token with a quote', argv: () => ['-f', file(`selfHealing: {webhookToken: "abc'defghijklmnopq"}\n`)], message: /selfHealing\.webhookToken: expected a bearer token/, secret: "abc'defghijklmnopq" },
  { name: 'unknown basicAuth key', argv: () => ['-f', file('ingress:\n  basicAuth:\n    user: ops\n')], message: /v\.yaml:3:5 {2}ingress\.basicAuth\.user: unknown key "user"/ },
];

describe('edge credentials: bad values', () => {
  it.each(CASES.map((c) => [c.name, c] as const))('%s: exit 2 with a located message, nothing changed', (_name, c) => {
    const argv = c.argv();
    const before = treeState(dir);
    const result = cli('--output', out, ...argv);
    expect(result.stderr).toMatch(c.message);
    expect(result.code).toBe(2);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    if (c.secret) expect(result.stderr.replace(/^.*--set \S+/gm, '')).not.toContain(c.secret);
    expect(treeState(dir)).toBe(before);
  });

  it('accepts a strong token and a password with ":" and non-ASCII characters', () => {
    const ok = cli('--output', out, '-f', file('selfHealing: {webhookToken: 0123456789abcdef-_.~+/0123=}\ningress: {basicAuth: {username: ops@example.com, password: "pa:ss wörd"}}\n'));
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
  });
});
