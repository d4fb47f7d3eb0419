/**
 * The API gateway's identity store (src/services/api-gateway/identity/store.ts) on a real
 * PostgreSQL (Debian's server binaries, a throwaway cluster on 127.0.0.1, SCRAM over TCP):
 * the schema and its migrations (idempotent, safe for replicas starting together), the first
 * admin (created once, never overwritten), users (case-insensitive names, the last admin kept,
 * the credentials epoch), API keys (hashed, role bounded by the owner's, expiry, revocation,
 * last use throttled), the audit (append-only: UPDATE, DELETE and TRUNCATE refused by the
 * trigger, even for the superuser; filters, newest first) and parameterised statements only.
 *
 * Skipped with a warning when the PostgreSQL binaries are missing locally; fails in CI (`CI=true`).
 */
import { createHash } from 'node:crypto';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword, verifyPassword } from '../../src/services/api-gateway/identity/passwords.js';
import { ROLES } from '../../src/services/api-gateway/identity/roles.js';
import { MIGRATIONS } from '../../src/services/api-gateway/identity/schema.js';
import { IdentityStore, KeyRoleError, LastAdminError, UserExistsError } from '../../src/services/api-gateway/identity/store.js';
import { createLogger } from '../../src/services/kit/log.js';
import { postgresPresent, PostgresCluster } from '../support/postgresql-server.js';

const havePostgres = postgresPresent('the API gateway store tests');

const USER = 'gateway';
const PASSWORD = `gw 'pass' wörd\\`;

describe.runIf(havePostgres)('API gateway identity store on a real PostgreSQL', () => {
  let cluster: PostgresCluster;
  let databases = 0;
  const stores: IdentityStore[] = [];
  const logLines: Record<string, unknown>[] = [];
  const log = createLogger({ service: 'api-gateway', level: 'info', destination: { write: (line: string) => void logLines.push(JSON.parse(line)) } });
  const psql = (db: string, sql: string) => cluster.psql(db, sql);

  /** A migrated store on a new database. */
  const newStore = async (migrate = true): Promise<{ db: string; store: IdentityStore }> => {
    databases += 1;
    const db = `gateway_${databases}`;
    await psql('postgres', `CREATE DATABASE ${db} OWNER ${USER}`);
    const store = new IdentityStore({ connection: { host: '127.0.0.1', port: cluster.port, database: db, user: USER, password: PASSWORD, sslMode: 'disable' }, log, registry: new Registry() });
    stores.push(store);
    if (migrate) await store.migrate();
    return { db, store };
  };
  const cheapHash = (pw: string) => hashPassword(pw, { logN: 10, r: 8, p: 1, keyLength: 32, saltLength: 16 });

  beforeAll(async () => {
    // Every statement logged: the test reads that values arrived as parameters.
    cluster = await PostgresCluster.forApplication('pg-gateway-store-', USER, PASSWORD, '-c log_statement=all');
  }, 60_000);

  afterAll(async () => {
    await Promise.allSettled(stores.map((s) => s.close()));
    await cluster?.destroy();
  }, 40_000);

  it('creates the three tables, the case-insensitive username index and the append-only triggers; migrating again changes nothing', async () => {
    const { db, store } = await newStore();
    expect(await psql(db, 'SELECT version FROM gateway_schema_migrations')).toBe('1');
    const columns = async (table: string) =>
      (await psql(db, `SELECT column_name || ' ' || data_type || ' ' || is_nullable FROM information_schema.columns WHERE table_name = '${table}' ORDER BY ordinal_position`)).split('\n');
    expect(await columns('gateway_users')).toEqual([
      'id bigint NO',
      'username text NO',
      'role text NO',
      'disabled boolean NO',
      'password_hash text NO',
      'credentials_epoch integer NO',
      'created_at timestamp with time zone NO',
      'updated_at timestamp with time zone NO',
      'password_changed_at timestamp with time zone NO',
      'last_login_at timestamp with time zone YES',
    ]);
    expect(await columns('gateway_api_keys')).toEqual([
      'id text NO',
      'owner_id bigint NO',
      'name text NO',
      'role text NO',
      'secret_hash bytea NO',
      'created_at timestamp with time zone NO',
      'expires_at timestamp with time zone YES',
      'last_used_at timestamp with time zone YES',
      'revoked_at timestamp with time zone YES',
    ]);
    expect(await columns('gateway_audit')).toEqual([
      'id bigint NO',
      'at timestamp with time zone NO',
      'actor text YES',
      'role text YES',
      'method text NO',
      'path text NO',
      'target text YES',
      'outcome text NO',
      'request_id text NO',
      'source text YES',
      'detail jsonb YES',
    ]);
    expect(await psql(db, "SELECT indexdef FROM pg_indexes WHERE indexname = 'gateway_users_username_key'")).toMatch(/UNIQUE INDEX .* \(lower\(username\)\)$/);
    expect(await psql(db, "SELECT tgname FROM pg_trigger WHERE tgrelid = 'gateway_audit'::regclass ORDER BY tgname")).toBe('gateway_audit_no_change\ngateway_audit_no_truncate');
    // The roles the tables accept are the program's.
    for (const table of ['gateway_users', 'gateway_api_keys']) {
      const check = await psql(db, `SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = '${table}'::regclass AND contype = 'c'`);
      expect([...check.matchAll(/'([a-z]+)'::text/g)].map((m) => m[1]), table).toEqual([...ROLES]);
    }
    const before = await psql(db, 'SELECT version, applied_at FROM gateway_schema_migrations');
    await store.migrate();
    expect(await psql(db, 'SELECT version, applied_at FROM gateway_schema_migrations')).toBe(before);
    expect(MIGRATIONS.map((m) => m.version)).toEqual([1]);
  });

  it('lets replicas migrate together: four concurrent migrations on an empty database all succeed, once', async () => {
    const { db, store } = await newStore(false);
    const others = await Promise.all(
      [1, 2, 3].map(async () => {
        const s = new IdentityStore({ connection: { host: '127.0.0.1', port: cluster.port, database: db, user: USER, password: PASSWORD, sslMode: 'disable' }, log, registry: new Registry() });
        stores.push(s);
        await s.ready();
        return s;
      }),
    );
    await store.ready();
    const results = await Promise.allSettled([store, ...others].map((s) => s.migrate()));
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    expect(await psql(db, 'SELECT count(*) FROM gateway_schema_migrations')).toBe('1');
  });

  it('ensureAdmin creates the admin once and never overwrites an existing user (any case)', async () => {
    const { db, store } = await newStore();
    expect(await store.ensureAdmin('admin', 'first-password-1')).toBe('created');
    const hash = await psql(db, "SELECT password_hash FROM gateway_users WHERE username = 'admin'");
    expect(await store.ensureAdmin('admin', 'second-password-2')).toBe('exists');
    expect(await store.ensureAdmin('ADMIN', 'third-password-3')).toBe('exists');
    expect(await psql(db, 'SELECT count(*), min(role) FROM gateway_users')).toBe('1|admin');
    expect(await psql(db, "SELECT password_hash FROM gateway_users WHERE username = 'admin'")).toBe(hash);
    expect((await verifyPassword('first-password-1', hash)).ok).toBe(true);
    // Demoted by someone: a restart does not make it admin again.
    await psql(db, "UPDATE gateway_users SET role = 'viewer'");
    expect(await store.ensureAdmin('admin', 'first-password-1')).toBe('exists');
    expect(await psql(db, 'SELECT role FROM gateway_users')).toBe('viewer');
    expect(logLines.some((l) => l.msg === 'admin user created' && l.username === 'admin')).toBe(true);
    expect(JSON.stringify(logLines)).not.toContain('first-password-1');
  });

  it('users: names unique ignoring case, the last enabled admin kept, the epoch bumped by disable, role and password changes', async () => {
    const { store } = await newStore();
    await store.createUser('Alice', 'admin', await cheapHash('alice-password-1'));
    await expect(store.createUser('alice', 'viewer', await cheapHash('x-password-123'))).rejects.toBeInstanceOf(UserExistsError);
    expect((await store.getUser('ALICE'))?.username).toBe('Alice');
    await expect(store.updateUser('alice', { role: 'operator' })).rejects.toBeInstanceOf(LastAdminError);
    await expect(store.updateUser('alice', { disabled: true })).rejects.toBeInstanceOf(LastAdminError);
    await store.createUser('bob', 'admin', await cheapHash('bob-password-12'));
    // Two admins demoting each other at once: one of them stays admin.
    const both = await Promise.allSettled([store.updateUser('alice', { role: 'viewer' }), store.updateUser('bob', { role: 'viewer' })]);
    expect(both.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect((await store.listUsers()).filter((u) => u.role === 'admin')).toHaveLength(1);

    const epoch = async (name: string) => (await store.authUser(name))!.epoch;
    const e0 = await epoch('bob');
    const unchanged = await store.updateUser('bob', { role: (await store.getUser('bob'))!.role });
    expect(unchanged?.revoke).toBe(false);
    expect(await epoch('bob')).toBe(e0);
    await store.createUser('carol', 'viewer', await cheapHash('carol-password-1'));
    const e1 = await epoch('carol');
    expect((await store.updateUser('carol', { role: 'operator' }))?.revoke).toBe(true);
    expect((await store.updateUser('carol', { disabled: true }))?.revoke).toBe(true);
    expect((await store.updateUser('carol', { disabled: false }))?.revoke).toBe(false);
    const changed = await store.updateUser('carol', { passwordHash: await cheapHash('new-carol-pw-1') });
    expect(changed?.revoke).toBe(true);
    expect(changed?.epoch).toBe(e1 + 3);
    expect(await store.updateUser('nobody', { disabled: true })).toBeUndefined();
  });

  it('API keys: only the SHA-256 of the secret is stored; role ≤ the owner\u2019s; expiry, revocation and a disabled owner refuse; the role follows a demoted owner', async () => {
    const { db, store } = await newStore();
    await store.createUser('olga', 'operator', await cheapHash('olga-password-1'));
    await expect(store.createApiKey('olga', 'too much', 'admin', null)).rejects.toBeInstanceOf(KeyRoleError);
    const made = (await store.createApiKey('OLGA', 'ci job', 'operator', null))!;
    expect(made.key).toMatch(/^aiops_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    const secret = made.key.slice(23);
    const stored = await psql(db, `SELECT encode(secret_hash, 'hex') FROM gateway_api_keys WHERE id = '${made.view.id}'`);
    expect(stored).toBe(createHash('sha256').update(secret).digest('hex'));
    expect(await psql(db, `SELECT count(*) FROM gateway_api_keys WHERE encode(secret_hash, 'escape') LIKE '%${secret.slice(0, 10)}%'`)).toBe('0');

    expect(await store.verifyApiKey(made.key)).toEqual({ ok: true, principal: { keyId: made.view.id, username: 'olga', role: 'operator' } });
    expect(await store.verifyApiKey(`${made.key.slice(0, -1)}${made.key.endsWith('A') ? 'B' : 'A'}`)).toEqual({ ok: false, reason: 'wrong-secret', keyId: made.view.id });
    expect(await store.verifyApiKey(`aiops_ffffffffffffffff_${secret}`)).toEqual({ ok: false, reason: 'unknown', keyId: 'ffffffffffffffff' });
    expect(await store.verifyApiKey('aiops_nothex_x')).toEqual({ ok: false, reason: 'malformed' });

    await store.updateUser('olga', { role: 'viewer' });
    expect(await store.verifyApiKey(made.key)).toMatchObject({ ok: true, principal: { role: 'viewer' } });
    await store.updateUser('olga', { disabled: true });
    expect(await store.verifyApiKey(made.key)).toMatchObject({ ok: false, reason: 'owner-disabled' });
    expect(await store.createApiKey('olga', 'disabled owner', 'viewer', null)).toBeUndefined();
    await store.updateUser('olga', { disabled: false });

    const expiring = (await store.createApiKey('olga', 'short', 'viewer', new Date(Date.now() + 60_000)))!;
    expect((await store.verifyApiKey(expiring.key)).ok).toBe(true);
    await psql(db, `UPDATE gateway_api_keys SET expires_at = now() - interval '1 second' WHERE id = '${expiring.view.id}'`);
    expect(await store.verifyApiKey(expiring.key)).toMatchObject({ ok: false, reason: 'expired' });

    const revokedAt = (await store.revokeApiKey(made.view.id, 'olga'))!.revokedAt;
    expect(revokedAt).toBeInstanceOf(Date);
    expect(await store.verifyApiKey(made.key)).toMatchObject({ ok: false, reason: 'revoked' });
    expect((await store.revokeApiKey(made.view.id))!.revokedAt).toEqual(revokedAt);
    await store.createUser('mallory', 'admin', await cheapHash('mallory-password'));
    expect(await store.revokeApiKey(expiring.view.id, 'mallory')).toBeUndefined();
    expect((await store.listApiKeys('olga')).map((k) => k.name)).toEqual(['short', 'ci job']);
    expect(JSON.stringify(await store.listApiKeys())).not.toContain(secret);
  });

  it('API keys: last use written at most once a minute', async () => {
    const { db, store } = await newStore();
    await store.createUser('uma', 'viewer', await cheapHash('uma-password-12'));
    const made = (await store.createApiKey('uma', 'k', 'viewer', null))!;
    const lastUsed = () => psql(db, `SELECT coalesce(last_used_at::text, 'never') FROM gateway_api_keys WHERE id = '${made.view.id}'`);
    expect(await lastUsed()).toBe('never');
    await store.verifyApiKey(made.key);
    await expect.poll(lastUsed).not.toBe('never');
    const first = await lastUsed();
    for (let i = 0; i < 3; i++) await store.verifyApiKey(made.key);
    await new Promise((r) => setTimeout(r, 200));
    expect(await lastUsed()).toBe(first);
    await psql(db, `UPDATE gateway_api_keys SET last_used_at = now() - interval '61 seconds' WHERE id = '${made.view.id}'`);
    const old = await lastUsed();
    await store.verifyApiKey(made.key);
    await expect.poll(lastUsed).not.toBe(old);
  });

  it('the audit is append-only: UPDATE, DELETE and TRUNCATE are refused by the trigger, for the owner and the superuser', async () => {
    const { db, store } = await newStore();
    await store.appendAudit({ actor: 'alice', role: 'admin', method: 'POST', path: '/api/v1/users', target: 'user:bob', outcome: 'requested', requestId: 'r1', source: '10.0.0.1', detail: { role: 'viewer' } });
    const superuser = await cluster.superPsql(db, "UPDATE gateway_audit SET outcome = 'done 200'");
    expect(superuser.code).not.toBe(0);
    expect(superuser.stderr).toContain('gateway_audit is append-only: UPDATE refused');
    for (const [sql, op] of [
      ["UPDATE gateway_audit SET actor = 'mallory'", 'UPDATE'],
      ['DELETE FROM gateway_audit', 'DELETE'],
      ['TRUNCATE gateway_audit', 'TRUNCATE'],
    ] as const) {
      await expect(store.pool.query(sql), op).rejects.toThrow(`gateway_audit is append-only: ${op} refused`);
    }
    expect(await psql(db, 'SELECT actor, outcome FROM gateway_audit')).toBe('alice|requested');
  });

  it('the audit: every field kept (hostile text too), filters, newest first, paging; values always as parameters', async () => {
    const { db, store } = await newStore();
    const hostile = "x'); DROP TABLE gateway_users; --\u0000";
    for (let i = 1; i <= 5; i++) {
      await store.appendAudit({ actor: i % 2 ? 'Alice' : 'bob', role: 'admin', method: 'POST', path: `/p/${i}`, target: `t${i}`, outcome: i === 5 ? 'failed 403' : 'requested', requestId: `req-${i}`, source: '10.0.0.1', detail: { i } });
    }
    await store.appendAudit({ actor: hostile, role: null, method: 'POST', path: '/api/v1/auth/login', target: 'session', outcome: 'failed 401', requestId: 'req-6', source: null, detail: { reason: hostile } });
    const all = await store.listAudit({ limit: 100 });
    expect(all.map((r) => r.requestId)).toEqual(['req-6', 'req-5', 'req-4', 'req-3', 'req-2', 'req-1']);
    expect(all[0]).toMatchObject({ actor: hostile.replace('\u0000', '\uFFFD'), role: null, source: null, detail: { reason: hostile.replace('\u0000', '\uFFFD') } });
    expect(all[5]).toMatchObject({ actor: 'Alice', role: 'admin', method: 'POST', path: '/p/1', target: 't1', outcome: 'requested', source: '10.0.0.1', detail: { i: 1 } });
    expect(all[5]!.at).toBeInstanceOf(Date);
    expect((await store.listAudit({ actor: 'alice', limit: 100 })).map((r) => r.requestId)).toEqual(['req-5', 'req-3', 'req-1']);
    expect((await store.listAudit({ outcome: 'failed 403', limit: 100 })).map((r) => r.requestId)).toEqual(['req-5']);
    expect((await store.listAudit({ limit: 2 })).map((r) => r.requestId)).toEqual(['req-6', 'req-5']);
    expect((await store.listAudit({ beforeId: all[1]!.id, limit: 2 })).map((r) => r.requestId)).toEqual(['req-4', 'req-3']);
    expect(await store.listAudit({ since: new Date(Date.now() + 60_000), limit: 10 })).toEqual([]);
    expect(await store.listAudit({ actor: hostile, limit: 10 })).toHaveLength(1);
    expect(await psql(db, 'SELECT count(*) FROM gateway_users')).toBe('0');
    await expect(store.listAudit({ limit: 1001 })).rejects.toThrow(/limit/);
    // The server's statement log: the hostile text only ever arrived as a parameter.
    const statements = cluster.serverLog().split('\n').filter((l) => /statement: |execute [^:]*: /.test(l));
    expect(statements.some((l) => l.includes('DROP TABLE'))).toBe(false);
  });
});
