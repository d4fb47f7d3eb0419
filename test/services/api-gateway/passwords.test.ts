/**
 * Password hashing (identity/passwords.ts): the stored string describes itself, verifies the
 * right password only, survives a parameter change (old hashes verify and ask for a re-hash),
 * refuses garbled or hostile stored strings without throwing, and the policy.
 */
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SCRYPT,
  hashPassword,
  parseStoredHash,
  passwordProblem,
  verifyPassword,
  type ScryptParams,
} from '../../../src/services/api-gateway/identity/passwords.js';

/** Cheap parameters for the tests that are about the format, not the cost. */
const CHEAP: ScryptParams = { logN: 10, r: 8, p: 1, keyLength: 32, saltLength: 16 };

describe('scrypt password hashes', () => {
  it('stores $scrypt$ln=…,r=…,p=…$salt$key with the default parameters, a fresh salt each time', async () => {
    const a = await hashPassword('correct horse battery');
    const b = await hashPassword('correct horse battery');
    expect(a).toMatch(/^\$scrypt\$ln=15,r=8,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    expect(a).not.toBe(b);
    expect(parseStoredHash(a)?.params).toEqual(DEFAULT_SCRYPT);
  });

  it('verifies the right password and refuses a wrong one, a case change and a prefix', async () => {
    const stored = await hashPassword('correct horse battery', CHEAP);
    expect(await verifyPassword('correct horse battery', stored, CHEAP)).toEqual({ ok: true, rehash: false, malformed: false });
    for (const wrong of ['correct horse batterz', 'Correct horse battery', 'correct horse batter', '']) {
      expect((await verifyPassword(wrong, stored, CHEAP)).ok, wrong).toBe(false);
    }
  });

  it('compares Unicode passwords after NFC: é typed precomposed or combined is the same password', async () => {
    const stored = await hashPassword('caf\u00e9 au lait noir', CHEAP);
    expect((await verifyPassword('cafe\u0301 au lait noir', stored, CHEAP)).ok).toBe(true);
  });

  it('verifies a hash made with other parameters and asks for a re-hash (only when it matched)', async () => {
    const old = await hashPassword('correct horse battery', { ...CHEAP, logN: 11 });
    expect(await verifyPassword('correct horse battery', old, CHEAP)).toEqual({ ok: true, rehash: true, malformed: false });
    expect(await verifyPassword('wrong horse battery', old, CHEAP)).toEqual({ ok: false, rehash: false, malformed: false });
  });

  it('refuses garbled and hostile stored strings as malformed, without throwing', async () => {
    const good = await hashPassword('correct horse battery', CHEAP);
    const [, , params, salt, key] = good.split('$');
    const cases = [
      '',
      'plaintext-password',
      good.replace('$scrypt$', '$argon2id$'),
      `$scrypt$${params}$${salt}`,
      `$scrypt$${params}$${salt}$${key}$extra`,
      `$scrypt$${params}$${salt}=$${key}`,
      `$scrypt$${params}$${salt}$${key!.slice(0, -1)}*`,
      `$scrypt$${params}$${salt!.slice(0, 4)}$${key}`, // salt too short
      `$scrypt$ln=25,r=8,p=1$${salt}$${key}`, // 4 GiB of memory
      `$scrypt$ln=20,r=32,p=1$${salt}$${key}`, // 4 GiB
      `$scrypt$ln=15,r=8,p=16$${salt}$${key}`, // 16 × the work: allowed
      `$scrypt$ln=16,r=16,p=16$${salt}$${key}`, // too much work
      `$scrypt$ln=9,r=8,p=1$${salt}$${key}`, // too weak
      `$scrypt$ln=15,r=0,p=1$${salt}$${key}`,
    ];
    const checks = await Promise.all(cases.map((c) => verifyPassword('correct horse battery', c, CHEAP)));
    expect(checks.map((c) => c.malformed)).toEqual([true, true, true, true, true, true, true, true, true, true, false, true, true, true]);
    // None matches (the p=16 one is well-formed, with another key).
    expect(checks.map((c) => c.ok)).toEqual(cases.map(() => false));
  });

  it('with the default parameters one hash is not cheap: over 20 ms (≈ 90 ms on an idle machine here, see passwords.ts)', async () => {
    const started = performance.now();
    const stored = await hashPassword('correct horse battery');
    const ms = performance.now() - started;
    expect(ms).toBeGreaterThan(20);
    // A loaded CI machine may take longer; this only catches a hang.
    expect(ms).toBeLessThan(5_000);
    expect((await verifyPassword('correct horse battery', stored)).ok).toBe(true);
  });
});

describe('the password policy', () => {
  it('wants 12 to 1024 characters, counted as code points, and not the username in any case', () => {
    expect(passwordProblem('short', 'alice')).toBe('the password must have at least 12 characters (it has 5)');
    expect(passwordProblem('a'.repeat(11), 'alice')).toMatch(/at least 12/);
    expect(passwordProblem('a'.repeat(12), 'alice')).toBeUndefined();
    expect(passwordProblem('😀'.repeat(12), 'alice')).toBeUndefined();
    expect(passwordProblem('😀'.repeat(11), 'alice')).toMatch(/it has 11/);
    expect(passwordProblem('a'.repeat(1024), 'alice')).toBeUndefined();
    expect(passwordProblem('a'.repeat(1025), 'alice')).toBe('the password must have at most 1024 characters');
    expect(passwordProblem('Alice.Example1', 'alice.example1')).toBe('the password must not be the username');
  });
});
