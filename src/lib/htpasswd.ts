import { createHmac } from 'node:crypto';
import bcrypt from 'bcryptjs';

/**
 * bcrypt cost of the derived hashes: 2^10 rounds, the usual floor for bcrypt (OWASP), about 0.1 s
 * in bcryptjs at render time and some 50 ms of Traefik CPU per checked request (Traefik's
 * BasicAuth verifies every request, it keeps no session).
 */
export const BCRYPT_COST = 10;

const cache = new Map<string, string>();

/**
 * One htpasswd line `user:$2b$10$…` (bcrypt, which Traefik's BasicAuth accepts beside `$apr1$` and
 * `{SHA}`), deterministic so the same values render byte-identical manifests: the 16-byte salt is
 * HMAC-SHA256(password, `aiops-platform/basic-auth/<scope>/<user>`), not random. Equal passwords
 * therefore hash alike only within the same scope (release, namespace) and user; the salt is
 * still secret-dependent, so the hash reveals nothing without guessing the password at bcrypt
 * cost. `{SHA}` (unsalted SHA-1) and `$apr1$` (MD5) were not chosen: both are cheap to brute-force
 * if the manifests leak. The user name must be valid (no ":" or line break); the password at most
 * 72 bytes (bcrypt ignores the rest): the values schema checks both.
 */
export function htpasswdLine(user: string, password: string, scope: string): string {
  if (user.includes(':') || /[\r\n]/.test(user)) throw new Error(`htpasswd user "${user}" must not contain ":" or a line break`);
  if (Buffer.byteLength(password, 'utf8') > 72) throw new Error('htpasswd password longer than 72 bytes: bcrypt would ignore the rest');
  const seed = createHmac('sha256', password).update(`aiops-platform/basic-auth/${scope}/${user}`).digest();
  const salt = `$2b$${String(BCRYPT_COST).padStart(2, '0')}$${bcrypt.encodeBase64([...seed.subarray(0, 16)], 16)}`;
  const key = `${salt}\u0000${password}`;
  let hash = cache.get(key);
  if (hash === undefined) {
    hash = bcrypt.hashSync(password, salt);
    cache.set(key, hash);
  }
  return `${user}:${hash}`;
}
