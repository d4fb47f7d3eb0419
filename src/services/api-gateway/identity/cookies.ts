/**
 * The session cookie: parsing the `Cookie` header (RFC 6265 §5.4 pairs) and writing `Set-Cookie`.
 *
 * `aiops_session=<id>; Path=/; HttpOnly; SameSite=Lax[; Secure]; Max-Age=<seconds>`: HttpOnly (no
 * script reads it), SameSite=Lax (not sent on cross-site POSTs), Path=/ (one login for every UI
 * behind the gateway), Secure when COOKIE_SECURE=true or the request came over https
 * ({@link cookieIsSecure}).
 */
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { GATEWAY_AUTH } from '../../../core/gateway-auth.js';

/** The session cookie's name (src/core/gateway-auth.ts). */
export const SESSION_COOKIE = GATEWAY_AUTH.sessionCookie;

/** COOKIE_SECURE: `true` (always Secure) or `auto` (Secure when the request came over https). */
export const COOKIE_SECURE_MODES = ['true', 'auto'] as const;
export type CookieSecureMode = (typeof COOKIE_SECURE_MODES)[number];

/** RFC 6265 cookie-name (an RFC 7230 token). */
const NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** RFC 6265 cookie-octet: visible ASCII but `"`, `,`, `;`, `\`. */
const VALUE = /^[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]*$/;

/**
 * The cookies of a `Cookie` header, name → value. The first pair of a name wins (browsers send
 * the most specific path first; a later duplicate cannot shadow it); a value in double quotes is
 * unquoted; pairs without `=` or with an invalid name are skipped; values are not URL-decoded.
 */
export function parseCookies(header: string | readonly string[] | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  const text = Array.isArray(header) ? header.join('; ') : (header as string | undefined) ?? '';
  for (const pair of text.split(';')) {
    const eq = pair.indexOf('=');
    if (eq < 0) continue;
    const name = pair.slice(0, eq).trim();
    let value = pair.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    if (!NAME.test(name) || cookies.has(name)) continue;
    cookies.set(name, value);
  }
  return cookies;
}

/** Attributes of {@link serializeCookie}. */
export interface CookieAttributes {
  /** Lifetime in whole seconds (0 deletes the cookie); absent: a browser-session cookie. */
  readonly maxAgeSeconds?: number;
  readonly secure: boolean;
}

/** `Set-Cookie` value: `name=value; Path=/; HttpOnly; SameSite=Lax[; Secure][; Max-Age=n]`. Throws on a name or value a cookie cannot hold. */
export function serializeCookie(name: string, value: string, attrs: CookieAttributes): string {
  if (!NAME.test(name)) throw new RangeError(`cookie name ${JSON.stringify(name)} is not a token`);
  if (!VALUE.test(value)) throw new RangeError(`cookie ${name}: the value has characters a cookie cannot hold`);
  const parts = [`${name}=${value}`, 'Path=/', 'HttpOnly', 'SameSite=Lax'];
  if (attrs.secure) parts.push('Secure');
  if (attrs.maxAgeSeconds !== undefined) {
    if (!Number.isSafeInteger(attrs.maxAgeSeconds) || attrs.maxAgeSeconds < 0) throw new RangeError(`cookie ${name}: Max-Age must be a whole number of seconds ≥ 0`);
    parts.push(`Max-Age=${attrs.maxAgeSeconds}`);
  }
  return parts.join('; ');
}

/** The session cookie carrying `id`, kept by the browser `maxAgeSeconds`. */
export function sessionCookie(id: string, secure: boolean, maxAgeSeconds: number): string {
  return serializeCookie(SESSION_COOKIE, id, { secure, maxAgeSeconds });
}

/** The `Set-Cookie` that removes the session cookie. */
export function clearedSessionCookie(secure: boolean): string {
  return serializeCookie(SESSION_COOKIE, '', { secure, maxAgeSeconds: 0 });
}

/** The session id the request carries, or undefined. */
export function sessionIdOf(req: IncomingMessage): string | undefined {
  const value = parseCookies(req.headers.cookie).get(SESSION_COOKIE);
  return value === undefined || value === '' ? undefined : value;
}

/**
 * True when the request came over https: TLS on this socket, or `X-Forwarded-Proto: https` from
 * Traefik (its first value, when a list).
 */
export function cameOverHttps(req: IncomingMessage): boolean {
  if ((req.socket as Partial<TLSSocket>).encrypted) return true;
  const proto = req.headers['x-forwarded-proto'];
  const first = (Array.isArray(proto) ? proto[0] : proto)?.split(',')[0]?.trim().toLowerCase();
  return first === 'https';
}

/** Whether the cookie set in answer to `req` is Secure: always with `true`, over https with `auto`. */
export function cookieIsSecure(mode: CookieSecureMode, req: IncomingMessage): boolean {
  return mode === 'true' || cameOverHttps(req);
}
