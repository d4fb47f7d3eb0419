/**
 * Cross-site request forgery defences for cookie-authenticated requests (API-key requests carry
 * no ambient credential and are exempt):
 * - the session's token: an unsafe method must send it in `X-CSRF-Token` (or the form field
 *   `_csrf`), compared in constant time ({@link csrfMatches});
 * - the browser's own word: a request whose `Sec-Fetch-Site` is `cross-site` or `same-site`, or
 *   whose `Origin` is another origin than the host it was sent to, is refused
 *   ({@link crossSiteRequest}): this also covers the login form (login CSRF) and the UIs behind
 *   ForwardAuth, which know nothing of our token. SameSite=Lax already keeps the cookie off
 *   cross-site POSTs in current browsers.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** The request header carrying the token. */
export const CSRF_HEADER = 'x-csrf-token';
/** The form field carrying the token (HTML forms cannot set headers). */
export const CSRF_FIELD = '_csrf';

/** A new token: 32 random bytes, base64url (43 characters). */
export function newCsrfToken(): string {
  return randomBytes(32).toString('base64url');
}

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/** True when `given` equals `expected`; compared as SHA-256 digests in constant time (no length leak). */
export function csrfMatches(expected: string, given: string | undefined): boolean {
  if (given === undefined || given === '' || expected === '') return false;
  return timingSafeEqual(digest(expected), digest(given));
}

/** The token of the `X-CSRF-Token` header, or undefined. */
export function csrfHeaderOf(req: IncomingMessage): string | undefined {
  const value = req.headers[CSRF_HEADER];
  return typeof value === 'string' ? value : undefined;
}

/** The host the client addressed: Traefik's `X-Forwarded-Host` (first value), else `Host`; lower case. */
export function requestHost(req: IncomingMessage): string | undefined {
  const forwarded = req.headers['x-forwarded-host'];
  const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim();
  return (first || req.headers.host)?.toLowerCase();
}

/**
 * True when the browser says the request comes from another site or origin: `Sec-Fetch-Site`
 * `cross-site` or `same-site` (a sibling subdomain is another origin), or an `Origin` header that
 * is `null` or whose host differs from {@link requestHost}. Clients that send neither header
 * (curl, scripts) are not browsers and pass.
 */
export function crossSiteRequest(req: IncomingMessage): boolean {
  const site = req.headers['sec-fetch-site'];
  if (site === 'cross-site' || site === 'same-site') return true;
  const origin = req.headers.origin;
  if (origin === undefined) return false;
  if (origin === 'null') return true;
  let host: string;
  try {
    host = new URL(origin).host.toLowerCase();
  } catch {
    return true;
  }
  return host !== requestHost(req);
}
