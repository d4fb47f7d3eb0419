import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { encodeCommand, keySlot, redisConnection, redisEnvShape, RedisReplyError, RespParser, RedisProtocolError } from '../../../src/services/kit/redis.js';

describe('RESP2 encoding and parsing', () => {
  it('encodes bulk lengths in bytes, not characters', () => {
    expect(encodeCommand(['SET', 'k', 'é€😀', 5]).toString('utf8')).toBe('*4\r\n$3\r\nSET\r\n$1\r\nk\r\n$9\r\né€😀\r\n$1\r\n5\r\n');
  });

  it('parses every reply type, fed one byte at a time', () => {
    const wire = Buffer.concat([
      Buffer.from('+OK\r\n-WRONGPASS invalid username-password pair\r\n:42\r\n$-1\r\n*-1\r\n$0\r\n\r\n'),
      Buffer.from('$9\r\né€😀\r\n*2\r\n:1\r\n*1\r\n$4\r\na\r\nb\r\n'),
    ]);
    const parser = new RespParser();
    const replies = [];
    for (const byte of wire) replies.push(...parser.push(Buffer.from([byte])));
    expect(replies).toHaveLength(8);
    expect(replies[0]).toBe('OK');
    expect(replies[1]).toBeInstanceOf(RedisReplyError);
    expect((replies[1] as RedisReplyError).code).toBe('WRONGPASS');
    expect(replies.slice(2, 5)).toEqual([42, null, null]);
    expect(replies[5]).toEqual(Buffer.alloc(0));
    expect((replies[6] as Buffer).toString('utf8')).toBe('é€😀');
    expect(replies[7]).toEqual([1, [Buffer.from('a\r\nb')]]);
  });

  it('returns several replies of one chunk and keeps the incomplete rest', () => {
    const parser = new RespParser();
    expect(parser.push(Buffer.from('+A\r\n+B\r\n$5\r\nhel'))).toEqual(['A', 'B']);
    expect(parser.push(Buffer.from('lo\r'))).toEqual([]);
    expect(parser.push(Buffer.from('\n'))).toEqual([Buffer.from('hello')]);
  });

  it('refuses bytes that are not RESP2', () => {
    expect(() => new RespParser().push(Buffer.from('HTTP/1.1 400\r\n'))).toThrow(RedisProtocolError);
  });
});

describe('cluster key slots (CRC16/XMODEM mod 16384)', () => {
  it('matches Redis CLUSTER KEYSLOT, hash tags included', () => {
    expect(keySlot('123456789')).toBe(0x31c3);
    expect(keySlot('foo')).toBe(12182);
    expect(keySlot('{user1000}.following')).toBe(keySlot('user1000'));
  });
});

describe('REDIS_* variables', () => {
  const schema = z.object(redisEnvShape);
  it('no REDIS_HOST: no Redis', () => {
    expect(redisConnection(schema.parse({}))).toBeUndefined();
  });
  it('defaults: port 6379, no password, not a cluster', () => {
    expect(redisConnection(schema.parse({ REDIS_HOST: 'redis' }))).toEqual({ host: 'redis', port: 6379, password: undefined, cluster: false });
    expect(redisConnection(schema.parse({ REDIS_HOST: 'r', REDIS_PORT: '7000', REDIS_PASSWORD: 'pw', REDIS_CLUSTER: 'true' }))).toEqual({ host: 'r', port: 7000, password: 'pw', cluster: true });
  });
});
