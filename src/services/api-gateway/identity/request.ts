/**
 * Facts about a request that identity decisions use: the client's address behind Traefik, and
 * what the original request was when Traefik asks on its behalf (ForwardAuth's X-Forwarded-*).
 */
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';

const header = (req: IncomingMessage, name: string): string | undefined => {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
};

/**
 * The client's address: the last entry of `X-Forwarded-For` (the one Traefik appended: the
 * address it saw; Traefik drops the entries of untrusted clients), else the socket's peer. An
 * IPv4-mapped IPv6 address is shown as IPv4. Anything that is not an IP counts as the peer.
 */
export function sourceAddress(req: IncomingMessage): string {
  const forwarded = req.headers['x-forwarded-for'];
  const list = (Array.isArray(forwarded) ? forwarded.join(',') : forwarded ?? '').split(',');
  const last = list[list.length - 1]!.trim();
  const address = isIP(last) ? last : (req.socket.remoteAddress ?? 'unknown');
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

/** The original request Traefik asks about (ForwardAuth), or this request itself when called directly. */
export interface ForwardedRequest {
  readonly method: string;
  /** Path and query, as the client sent them. */
  readonly uri: string;
  /** The path alone. */
  readonly path: string;
}

/** `X-Forwarded-Method` and `X-Forwarded-Uri` (Traefik's ForwardAuth), else the request's own method and `/`. */
export function forwardedRequest(req: IncomingMessage): ForwardedRequest {
  const method = (header(req, 'x-forwarded-method') ?? req.method ?? 'GET').toUpperCase();
  const uri = header(req, 'x-forwarded-uri') ?? '/';
  const q = uri.search(/[?#]/);
  return { method, uri, path: q < 0 ? uri : uri.slice(0, q) };
}

/** True when the client takes HTML (a browser navigating), by its Accept header. */
export function acceptsHtml(req: IncomingMessage): boolean {
  return /(^|,)\s*text\/html\s*(;|,|$)/i.test(header(req, 'accept') ?? '');
}

/**
 * `next` when it is a path of this site (`/…`, not `//…` or `/\…`, no control characters, at most
 * 2000 characters), else `/`: the only places a sign-in may send the browser back to.
 */
export function safeNext(next: string | null | undefined): string {
  if (typeof next !== 'string' || next.length === 0 || next.length > 2000) return '/';
  if (!next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return '/';
  if (/[\u0000-\u001f\u007f\\]/.test(next)) return '/';
  return next;
}
