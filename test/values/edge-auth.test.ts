/**
 * Bad values of the edge credentials (the gateway's first admin and approval token, the executor's
 * webhook token, the removed basic-auth login): exit 2, a message
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

const CASES: { name: string; argv: () => string[]; message: RegExp; secret?: string }[] = [
  { name: 'admin user name with ":"', argv: () => ['-f', file('apiGateway:\n  admin:\n    username: "ops:admin"\n')], message: /v\.yaml:3:15 {2}apiGateway\.admin\.username: expected a user name of 1 to 64 characters .* found "ops:admin"/ },
  { name: 'empty admin user name', argv: () => ['--set', 'apiGateway.admin.username='], message: /--set apiGateway\.admin\.username= {2}apiGateway\.admin\.username: expected a user name/ },
  { name: 'admin user name with a space', argv: () => ['-f', file('apiGateway: {admin: {username: "ops team"}}\n')], message: /v\.yaml:1:\d+ {2}apiGateway\.admin\.username: expected a user name/ },
  { name: 'admin password with a line break', argv: () => ['-f', file('apiGateway:\n  admin:\n    password: "open\\nsesame-9876"\n')], message: /v\.yaml:3:15 {2}apiGateway\.admin\.password: .*line break or another control character/, secret: 'sesame-9876' },
  { name: 'admin password shorter than the gateway accepts', argv: () => ['--set', 'apiGateway.admin.password=short-pw'], message: /apiGateway\.admin\.password: the admin password has 8 characters; the gateway accepts 12 at least/, secret: 'short-pw' },
  { name: 'short approval token', argv: () => ['-f', file('apiGateway:\n  approvalToken: tooshort\n')], message: /v\.yaml:2:18 {2}apiGateway\.approvalToken: expected a bearer token of at least 16 characters/, secret: 'tooshort' },
  { name: 'short webhook token', argv: () => ['-f', file('selfHealing:\n  webhookToken: tooshort\n')], message: /v\.yaml:2:17 {2}selfHealing\.webhookToken: expected a bearer token of at least 16 characters/, secret: 'tooshort' },
  { name: 'webhook token with a space', argv: () => ['--set', 'selfHealing.webhookToken=abcdefgh ijklmnopqrst'], message: /selfHealing\.webhookToken: expected a bearer token/, secret: 'ijklmnopqrst' },
  { name: 'webhook token with a quote', argv: () => ['-f', file(`selfHealing: {webhookToken: "abc'defghijklmnopq"}\n`)], message: /selfHealing\.webhookToken: expected a bearer token/, secret: "abc'defghijklmnopq" },
  { name: 'unknown admin key', argv: () => ['-f', file('apiGateway:\n  admin:\n    user: ops\n')], message: /v\.yaml:3:5 {2}apiGateway\.admin\.user: unknown key "user" \(allowed: existingSecret, password, username\)/ },
  {
    name: 'the removed ingress.basicAuth, naming its replacement and never echoing its password',
    argv: () => ['-f', file('ingress:\n  basicAuth:\n    username: ops\n    password: open-sesame-9876\n')],
    message: /v\.yaml:3:5 {2}ingress\.basicAuth: removed: the API gateway's login now guards every UI \(Traefik ForwardAuth\); delete this key, and set the first admin with apiGateway\.admin\.username and apiGateway\.admin\.password, or apiGateway\.admin\.existingSecret/,
    secret: 'open-sesame-9876',
  },
  { name: 'ingress.basicAuth: {enabled: false} too', argv: () => ['--set', 'ingress.basicAuth.enabled=false'], message: /ingress\.basicAuth: removed: the API gateway's login/ },
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

  it('accepts strong tokens and a password with ":", spaces and non-ASCII characters', () => {
    const ok = cli(
      '--output',
      out,
      '-f',
      file('selfHealing: {webhookToken: 0123456789abcdef-_.~+/0123=}\napiGateway: {approvalToken: 0123456789abcdef0123, admin: {username: ops@example.com, password: "pa:ss wörd 12"}}\n'),
    );
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
  });
});
