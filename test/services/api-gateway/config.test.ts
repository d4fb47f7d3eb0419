/** The API gateway's environment (service.ts): defaults, and one line per problem. */
import { describe, expect, it } from 'vitest';
import { apiGatewayConfigSchema } from '../../../src/services/api-gateway/service.js';
import { loadConfig } from '../../../src/services/kit/config.js';
import { problems } from '../kit/config-problems.js';

const PG = { POSTGRES_HOST: 'db', POSTGRES_DB: 'aiops', POSTGRES_USER: 'gateway' };

describe('the API gateway config', () => {
  it('defaults: API_PREFIX /api, ADMIN_USERNAME admin, no admin password, COOKIE_SECURE auto, SESSION_STORE unset (redis when REDIS_HOST)', () => {
    const c = loadConfig(apiGatewayConfigSchema, PG);
    expect(c.API_PREFIX).toBe('/api');
    expect(c.ADMIN_USERNAME).toBe('admin');
    expect(c.ADMIN_PASSWORD).toBeUndefined();
    expect(c.COOKIE_SECURE).toBe('auto');
    expect(c.SESSION_STORE).toBeUndefined();
  });

  it('needs PostgreSQL; SESSION_STORE=redis needs REDIS_HOST; a valid admin name and password; API_PREFIX below /', () => {
    expect(problems(() => loadConfig(apiGatewayConfigSchema, {}))).toEqual(['config: POSTGRES_HOST: required: the API gateway keeps its users and audit in PostgreSQL, not set']);
    expect(problems(() => loadConfig(apiGatewayConfigSchema, { ...PG, COOKIE_SECURE: 'false' }))).toEqual(['config: COOKIE_SECURE: expected one of true, auto, found "false"']);
    // The rules across variables, once every variable parses:
    expect(problems(() => loadConfig(apiGatewayConfigSchema, { ...PG, SESSION_STORE: 'redis', ADMIN_PASSWORD: 'short', API_PREFIX: '/' }))).toEqual([
      'config: REDIS_HOST: required when SESSION_STORE=redis, not set',
      'config: API_PREFIX: expected a path below "/" such as "/api", found "/"',
      'config: ADMIN_PASSWORD: the password must have at least 12 characters (it has 5) (a string of 5 characters, hidden)',
    ]);
    expect(problems(() => loadConfig(apiGatewayConfigSchema, { ...PG, SESSION_STORE: 'files' }))).toEqual(['config: SESSION_STORE: expected one of redis, memory, found "files"']);
    expect(problems(() => loadConfig(apiGatewayConfigSchema, { ...PG, ADMIN_USERNAME: 'root user' }))[0]).toMatch(/^config: ADMIN_USERNAME: a username has 1-64 characters/);
    expect(problems(() => loadConfig(apiGatewayConfigSchema, { ...PG, ADMIN_USERNAME: 'administrator', ADMIN_PASSWORD: 'Administrator' }))).toEqual([
      'config: ADMIN_PASSWORD: the password must not be the username (a string of 13 characters, hidden)',
    ]);
    expect(() => loadConfig(apiGatewayConfigSchema, { ...PG, SESSION_STORE: 'redis', REDIS_HOST: 'redis', ADMIN_PASSWORD: 'a-long-enough-pw' })).not.toThrow();
  });
});
