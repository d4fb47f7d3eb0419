/**
 * Resolving a request to a principal (identity/credentials.ts) over memory sessions and a fake
 * user table: API key first (and never a fall-back to the cookie when it is refused), other
 * Authorization schemes ignored, sessions checked against the user (gone, disabled, epoch).
 */
import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { Credentials, type CredentialUsers } from '../../../src/services/api-gateway/identity/credentials.js';
import { MemorySessionStore } from '../../../src/services/api-gateway/identity/sessions.js';
import type { AuthUser } from '../../../src/services/api-gateway/identity/store.js';

const KEY = `aiops_0123456789abcdef_${'k'.repeat(43)}`;

function fakeUsers() {
  const users = new Map<string, AuthUser>([
    ['alice', { username: 'Alice', role: 'operator', disabled: false, epoch: 1 }],
    ['bob', { username: 'bob', role: 'viewer', disabled: false, epoch: 0 }],
  ]);
  const reads: string[] = [];
  const fake: CredentialUsers = {
    async authUser(name) {
      reads.push(name);
      return users.get(name.toLowerCase());
    },
    async verifyApiKey(token) {
      if (token === KEY) return { ok: true, principal: { keyId: '0123456789abcdef', username: 'bob', role: 'viewer' } };
      return { ok: false, reason: token.startsWith('aiops_0123456789abcdef_') ? 'wrong-secret' : 'malformed' };
    },
  };
  return { users, reads, fake };
}

const request = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage;

describe('credentials', () => {
  it('no cookie, no key: none', async () => {
    const { fake } = fakeUsers();
    const creds = new Credentials(new MemorySessionStore(), fake);
    expect(await creds.resolve(request({}))).toEqual({ reason: 'none' });
  });

  it('an API key: the key\u2019s principal; a wrong one is refused even with a valid cookie', async () => {
    const { fake } = fakeUsers();
    const sessions = new MemorySessionStore();
    const creds = new Credentials(sessions, fake);
    const { id } = await sessions.create({ username: 'Alice', role: 'operator', epoch: 1 });
    expect((await creds.resolve(request({ authorization: `Bearer ${KEY}` }))).principal).toEqual({ username: 'bob', role: 'viewer', via: 'api-key', keyId: '0123456789abcdef' });
    expect((await creds.resolve(request({ authorization: `bearer   ${KEY}` }))).principal?.via).toBe('api-key');
    const wrong = await creds.resolve(request({ authorization: `Bearer aiops_0123456789abcdef_${'x'.repeat(43)}`, cookie: `aiops_session=${id}` }));
    expect(wrong).toEqual({ reason: 'wrong-secret' });
  });

  it('another Authorization (Basic, a Grafana token) is not ours: the cookie decides', async () => {
    const { fake } = fakeUsers();
    const sessions = new MemorySessionStore();
    const creds = new Credentials(sessions, fake);
    const { id, record } = await sessions.create({ username: 'Alice', role: 'operator', epoch: 1 });
    for (const authorization of ['Basic YWxpY2U6cHc=', 'Bearer glsa_abcdef']) {
      const r = await creds.resolve(request({ authorization, cookie: `aiops_session=${id}` }));
      expect(r.principal).toEqual({ username: 'Alice', role: 'operator', via: 'session', session: { id, record } });
    }
  });

  it('a session is refused, and ended, when its user is gone, disabled, or changed since the login (epoch)', async () => {
    for (const change of ['gone', 'disabled', 'epoch'] as const) {
      const { users, fake } = fakeUsers();
      const sessions = new MemorySessionStore();
      const creds = new Credentials(sessions, fake, { cacheMs: 0 });
      const { id } = await sessions.create({ username: 'Alice', role: 'operator', epoch: 1 });
      const cookie = { cookie: `aiops_session=${id}` };
      expect((await creds.resolve(request(cookie))).principal?.username).toBe('Alice');
      if (change === 'gone') users.delete('alice');
      else users.set('alice', { ...users.get('alice')!, ...(change === 'disabled' ? { disabled: true } : { epoch: 2 }) });
      const expected = { gone: 'user-gone', disabled: 'user-disabled', epoch: 'session-revoked' }[change];
      expect(await creds.resolve(request(cookie))).toEqual({ reason: expected });
      // Ended: even restored, the user cannot bring it back.
      users.set('alice', { username: 'Alice', role: 'operator', disabled: false, epoch: 1 });
      expect(await creds.resolve(request(cookie))).toEqual({ reason: 'session-unknown' });
    }
  });

  it('caches users for cacheMs per process; forget() drops one at once', async () => {
    const { users, reads, fake } = fakeUsers();
    let t = 0;
    const sessions = new MemorySessionStore();
    const creds = new Credentials(sessions, fake, { cacheMs: 5000, now: () => t });
    const { id } = await sessions.create({ username: 'Alice', role: 'operator', epoch: 1 });
    const cookie = request({ cookie: `aiops_session=${id}` });
    await creds.resolve(cookie);
    await creds.resolve(cookie);
    expect(reads).toEqual(['Alice']);
    users.set('alice', { ...users.get('alice')!, disabled: true });
    t = 4999;
    expect((await creds.resolve(cookie)).principal).toBeDefined();
    creds.forget('ALICE');
    expect(await creds.resolve(cookie)).toEqual({ reason: 'user-disabled' });
  });
});
