import { Writable } from 'node:stream';
import * as z from 'zod/mini';
import { describe, expect, it } from 'vitest';
import { SERVICE_ENV } from '../../../src/core/service-env.js';
import { problems } from './config-problems.js';
import { envString, loadConfig } from '../../../src/services/kit/config.js';
import { createLogger } from '../../../src/services/kit/log.js';
import {
  createPostgresPool,
  describePostgres,
  postgresConnection,
  postgresEnvCheck,
  postgresEnvSchema,
  postgresEnvShape,
  withTimeout,
  type PostgresConnection,
} from '../../../src/services/kit/postgres.js';

const P = SERVICE_ENV.postgres;


const full = { [P.host]: 'aiops-platform-postgresql', [P.port]: '5433', [P.db]: 'aiops', [P.user]: 'aiops', [P.password]: 's3cret', [P.sslMode]: 'disable' };

describe('the POSTGRES_* configuration', () => {
  it('uses the names of src/core/service-env.ts', () => {
    expect(Object.keys(postgresEnvShape).sort()).toEqual(Object.values(P).sort());
  });

  it('is optional as a group: without POSTGRES_HOST there is no database', () => {
    const env = loadConfig(postgresEnvSchema, {});
    expect(env).toEqual({ [P.host]: undefined, [P.port]: 5432, [P.db]: undefined, [P.user]: undefined, [P.password]: undefined, [P.sslMode]: 'require' });
    expect(postgresConnection(env)).toBeUndefined();
  });

  it('reads the connection the chart sets', () => {
    expect(postgresConnection(loadConfig(postgresEnvSchema, full))).toEqual({
      host: 'aiops-platform-postgresql',
      port: 5433,
      database: 'aiops',
      user: 'aiops',
      password: 's3cret',
      sslMode: 'disable',
    });
  });

  it('requires the database and the user once the host is set, one line each', () => {
    expect(problems(() => loadConfig(postgresEnvSchema, { [P.host]: 'db' }))).toEqual([
      'config: POSTGRES_DB: required when POSTGRES_HOST is set, not set',
      'config: POSTGRES_USER: required when POSTGRES_HOST is set, not set',
    ]);
  });

  it('refuses a bad port and an sslmode it does not implement (prefer: TLS only if offered)', () => {
    expect(problems(() => loadConfig(postgresEnvSchema, { ...full, [P.port]: 'x', [P.sslMode]: 'prefer' }))).toEqual([
      'config: POSTGRES_PORT: expected an integer 1-65535, found "x"',
      'config: POSTGRES_SSLMODE: expected one of disable, require, verify-ca, verify-full, found "prefer"',
    ]);
  });

  it('spreads into a service schema, the group check included', () => {
    const schema = z.object({ RULES_FILE: envString(), ...postgresEnvShape }).check(postgresEnvCheck);
    expect(problems(() => loadConfig(schema, { [P.host]: 'db', [P.db]: 'aiops' }))).toEqual([
      'config: RULES_FILE: required, not set',
    ]);
    expect(problems(() => loadConfig(schema, { RULES_FILE: '/etc/rules.json', [P.host]: 'db', [P.db]: 'aiops' }))).toEqual([
      'config: POSTGRES_USER: required when POSTGRES_HOST is set, not set',
    ]);
    expect(loadConfig(schema, { RULES_FILE: '/etc/rules.json' })[P.host]).toBeUndefined();
  });
});

describe('createPostgresPool', () => {
  const log = createLogger({ service: 'test', level: 'silent', destination: new Writable({ write: (_c, _e, cb) => cb() }) });
  const connection = (over: Partial<PostgresConnection> = {}): PostgresConnection => ({
    host: 'db.example',
    port: 5432,
    database: 'aiops',
    user: 'aiops',
    password: 'pa$$word',
    sslMode: 'verify-full',
    ...over,
  });

  it('maps each sslmode to TLS options as libpq means it', async () => {
    const ssl = async (sslMode: PostgresConnection['sslMode']) => {
      const pool = createPostgresPool(connection({ sslMode }), log);
      const option = pool.options.ssl;
      await pool.end();
      return option;
    };
    expect(await ssl('disable')).toBe(false);
    expect(await ssl('require')).toEqual({ rejectUnauthorized: false });
    const verifyCa = (await ssl('verify-ca')) as { rejectUnauthorized: boolean; checkServerIdentity: () => unknown };
    expect(verifyCa.rejectUnauthorized).toBe(true);
    expect(verifyCa.checkServerIdentity()).toBeUndefined();
    expect(await ssl('verify-full')).toEqual({ rejectUnauthorized: true });
  });

  it('keeps the password out of the printable options and of the description', async () => {
    const pool = createPostgresPool(connection(), log, { applicationName: 'aiops-test' });
    expect(JSON.stringify(pool.options)).not.toContain('pa$$word');
    expect(pool.options).toMatchObject({ max: 2, connectionTimeoutMillis: 3000, statement_timeout: 10_000, query_timeout: 10_000, application_name: 'aiops-test' });
    await pool.end();
    expect(describePostgres(connection())).toBe('aiops@db.example:5432/aiops (sslmode verify-full)');
  });
});

describe('withTimeout', () => {
  it('passes a result through, and rejects naming what timed out', async () => {
    await expect(withTimeout(Promise.resolve(7), 100, 'x')).resolves.toBe(7);
    await expect(withTimeout(new Promise(() => {}), 20, 'PostgreSQL SELECT 1')).rejects.toThrow('PostgreSQL SELECT 1 timed out after 20 ms');
  });
});
