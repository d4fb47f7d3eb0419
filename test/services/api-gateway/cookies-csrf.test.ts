/**
 * The session cookie (identity/cookies.ts), the CSRF token and the cross-site check
 * (identity/csrf.ts), and the request facts of identity/request.ts: on hand-made requests.
 */
import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { GATEWAY_AUTH } from '../../../src/core/gateway-auth.js';
import {
  clearedSessionCookie,
  cookieIsSecure,
  parseCookies,
  serializeCookie,
  SESSION_COOKIE,
  sessionCookie,
  sessionIdOf,
} from '../../../src/services/api-gateway/identity/cookies.js';
import { crossSiteRequest, csrfMatches, newCsrfToken } from '../../../src/services/api-gateway/identity/csrf.js';
import { acceptsHtml, forwardedRequest, safeNext, sourceAddress } from '../../../src/services/api-gateway/identity/request.js';

function req(headers: Record<string, string | string[]>, o: { encrypted?: boolean; remote?: string; method?: string } = {}): IncomingMessage {
  return { headers, method: o.method ?? 'GET', socket: { encrypted: o.encrypted, remoteAddress: o.remote ?? '10.0.0.7' } } as unknown as IncomingMessage;
}

describe('cookies', () => {
  it('parses pairs; the first of a name wins; quoted values are unquoted; junk is skipped', () => {
    const c = parseCookies(' a=1; aiops_session=first; b="two"; aiops_session=second; =x; noequals; bad name=3; e=');
    expect([...c]).toEqual([
      ['a', '1'],
      ['aiops_session', 'first'],
      ['b', 'two'],
      ['e', ''],
    ]);
    expect(parseCookies(undefined).size).toBe(0);
    expect(sessionIdOf(req({ cookie: 'x=1; aiops_session=abc' }))).toBe('abc');
    expect(sessionIdOf(req({ cookie: 'aiops_session=' }))).toBeUndefined();
  });

  it('writes the session cookie HttpOnly, SameSite=Lax, Path=/, with Max-Age, Secure only when asked', () => {
    expect(SESSION_COOKIE).toBe(GATEWAY_AUTH.sessionCookie);
    expect(sessionCookie('id123', false, 86400)).toBe('aiops_session=id123; Path=/; HttpOnly; SameSite=Lax; Max-Age=86400');
    expect(sessionCookie('id123', true, 60)).toBe('aiops_session=id123; Path=/; HttpOnly; SameSite=Lax; Secure; Max-Age=60');
    expect(clearedSessionCookie(true)).toBe('aiops_session=; Path=/; HttpOnly; SameSite=Lax; Secure; Max-Age=0');
  });

  it('refuses names and values a cookie cannot hold (no header injection)', () => {
    expect(() => serializeCookie('a b', 'x', { secure: false })).toThrow(/not a token/);
    for (const value of ['a;b', 'a b', 'a\r\nSet-Cookie: x=1', 'a"b', 'a,b', 'a\\b', 'é']) {
      expect(() => serializeCookie('n', value, { secure: false }), value).toThrow(/cannot hold/);
    }
    expect(() => serializeCookie('n', 'v', { secure: false, maxAgeSeconds: -1 })).toThrow(/Max-Age/);
  });

  it('Secure: always with COOKIE_SECURE=true; with auto only over https (TLS or X-Forwarded-Proto: https)', () => {
    expect(cookieIsSecure('true', req({}))).toBe(true);
    expect(cookieIsSecure('auto', req({}))).toBe(false);
    expect(cookieIsSecure('auto', req({ 'x-forwarded-proto': 'http' }))).toBe(false);
    expect(cookieIsSecure('auto', req({ 'x-forwarded-proto': 'https' }))).toBe(true);
    expect(cookieIsSecure('auto', req({ 'x-forwarded-proto': 'HTTPS, http' }))).toBe(true);
    expect(cookieIsSecure('auto', req({ 'x-forwarded-proto': 'http, https' }))).toBe(false);
    expect(cookieIsSecure('auto', req({}, { encrypted: true }))).toBe(true);
  });
});

describe('CSRF', () => {
  it('tokens are 256 random bits; only the same token matches', () => {
    const t = newCsrfToken();
    expect(t).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(newCsrfToken()).not.toBe(t);
    expect(csrfMatches(t, t)).toBe(true);
    expect(csrfMatches(t, `${t}x`)).toBe(false);
    expect(csrfMatches(t, t.slice(1))).toBe(false);
    expect(csrfMatches(t, undefined)).toBe(false);
    expect(csrfMatches(t, '')).toBe(false);
    expect(csrfMatches('', '')).toBe(false);
  });

  it('cross-site: Sec-Fetch-Site cross-site or same-site, Origin null, unparsable or of another host', () => {
    const host = { host: 'aiops.example.com' };
    expect(crossSiteRequest(req(host))).toBe(false);
    expect(crossSiteRequest(req({ ...host, 'sec-fetch-site': 'same-origin', origin: 'https://aiops.example.com' }))).toBe(false);
    expect(crossSiteRequest(req({ ...host, 'sec-fetch-site': 'none' }))).toBe(false);
    expect(crossSiteRequest(req({ ...host, 'sec-fetch-site': 'cross-site' }))).toBe(true);
    expect(crossSiteRequest(req({ ...host, 'sec-fetch-site': 'same-site' }))).toBe(true);
    expect(crossSiteRequest(req({ ...host, origin: 'null' }))).toBe(true);
    expect(crossSiteRequest(req({ ...host, origin: 'https://evil.example' }))).toBe(true);
    expect(crossSiteRequest(req({ ...host, origin: 'https://aiops.example.com:8443' }))).toBe(true);
    expect(crossSiteRequest(req({ ...host, origin: 'not a url' }))).toBe(true);
    // Behind Traefik: the host the client addressed is X-Forwarded-Host.
    expect(crossSiteRequest(req({ host: 'gateway:8080', 'x-forwarded-host': 'aiops.example.com', origin: 'https://aiops.example.com' }))).toBe(false);
    expect(crossSiteRequest(req({ host: 'aiops.example.com', 'x-forwarded-host': 'other.example', origin: 'https://aiops.example.com' }))).toBe(true);
  });
});

describe('request facts', () => {
  it('the source address is the last X-Forwarded-For entry (Traefik\u2019s), else the peer; IPv4-mapped shown as IPv4', () => {
    expect(sourceAddress(req({ 'x-forwarded-for': '203.0.113.9' }))).toBe('203.0.113.9');
    expect(sourceAddress(req({ 'x-forwarded-for': '1.2.3.4, 203.0.113.9' }))).toBe('203.0.113.9');
    expect(sourceAddress(req({ 'x-forwarded-for': '1.2.3.4, not-an-ip' }))).toBe('10.0.0.7');
    expect(sourceAddress(req({}, { remote: '::ffff:10.1.2.3' }))).toBe('10.1.2.3');
    expect(sourceAddress(req({ 'x-forwarded-for': '2001:db8::1' }))).toBe('2001:db8::1');
  });

  it('the forwarded request: X-Forwarded-Method and -Uri, its path without the query', () => {
    expect(forwardedRequest(req({ 'x-forwarded-method': 'post', 'x-forwarded-uri': '/alertmanager/api/v2/silences?x=1' }))).toEqual({
      method: 'POST',
      uri: '/alertmanager/api/v2/silences?x=1',
      path: '/alertmanager/api/v2/silences',
    });
    expect(forwardedRequest(req({}, { method: 'GET' }))).toEqual({ method: 'GET', uri: '/', path: '/' });
  });

  it('browsers are told by Accept: text/html', () => {
    expect(acceptsHtml(req({ accept: 'text/html,application/xhtml+xml,*/*;q=0.8' }))).toBe(true);
    expect(acceptsHtml(req({ accept: 'application/json' }))).toBe(false);
    expect(acceptsHtml(req({ accept: 'text/htmlx' }))).toBe(false);
    expect(acceptsHtml(req({}))).toBe(false);
  });

  it('next: same-site paths only', () => {
    expect(safeNext('/grafana/d/abc?orgId=1')).toBe('/grafana/d/abc?orgId=1');
    for (const bad of ['https://evil.example/', '//evil.example/', '/\\evil.example', 'javascript:alert(1)', 'grafana', '/a\nb', '/a\\b', '', null, undefined, `/${'a'.repeat(2000)}`]) {
      expect(safeNext(bad), String(bad)).toBe('/');
    }
  });
});
