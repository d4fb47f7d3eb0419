/**
 * The quoting helpers of src/lib/config-files.ts: one per config language. redis.conf strings are
 * checked against a real redis-server (127.0.0.231), which must read the password back exactly.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { assignmentConfFile, iniFile, keyValueConfFile } from '../../src/lib/config-files.js';
import { shellQuote } from '../../src/lib/shell-scripts.js';
import { onPath, toolsPresent } from '../support/process.js';
import { cli, LocalRedis, waitForPong } from '../support/redis-servers.js';

describe('keyValueConfFile (redis.conf)', () => {
  it('writes plain words bare and quotes the rest with backslash escapes, control characters as \\xHH', () => {
    expect(keyValueConfFile([['port', 6379], ['appendonly', true], ['save', ''], ['requirepass', 'a "b" \\c\nd\x01\x7f']])).toBe(
      'port 6379\nappendonly yes\nsave ""\nrequirepass "a \\"b\\" \\\\c\\x0ad\\x01\\x7f"\n',
    );
  });

  const haveRedis = toolsPresent('the redis.conf quoting test', ['redis-server', 'redis-cli'].filter((b) => !onPath(b)), 'Debian: apt-get install redis-server');
  const redis = new LocalRedis();
  afterAll(() => redis.stopAll());

  it.skipIf(!haveRedis)('gives redis-server a password with quotes, backslashes, spaces and control characters exactly', async () => {
    const password = `it's "quoted" \\ back\tslash \x01 $HOME #x`;
    const dir = redis.tempDir('aiops-redis-conf-');
    const host = '127.0.0.231';
    const conf = join(dir, 'redis.conf');
    writeFileSync(
      conf,
      keyValueConfFile([['bind', host], ['port', 6379], ['dir', dir], ['save', ''], ['appendonly', false], ['requirepass', password]]),
    );
    const server = redis.start(host, 'redis-server', [conf]);
    await waitForPong(server, password);
    const wrong = await cli(host, ['ping'], `${password}x`);
    expect(wrong.stdout + wrong.stderr).toMatch(/WRONGPASS|invalid password/i);
  });
});

describe('assignmentConfFile (postgresql.conf) and iniFile', () => {
  it('single-quotes strings with doubled quotes', () => {
    expect(assignmentConfFile([['a', "it's"], ['b', 5], ['c', true]])).toBe("a = 'it''s'\nb = 5\nc = on\n");
  });

  it('refuses a line break in an INI value', () => {
    expect(() => iniFile({ security: { admin_user: 'a\nb' } })).toThrow('line break');
  });
});

describe('shellQuote', () => {
  it('quotes the empty string and single quotes', () => {
    expect(shellQuote('')).toBe("''");
    expect(shellQuote("it's")).toBe("'it'\\''s'");
  });
});
