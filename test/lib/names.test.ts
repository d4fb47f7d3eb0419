import { describe, expect, it } from 'vitest';
import { createPlatformContext, type PlatformContext } from '../../src/lib/context.js';
import { ConfigError } from '../../src/lib/errors.js';
import { objectLabels, selectorLabels } from '../../src/lib/labels.js';
import { objectName, podHost, serviceHost } from '../../src/lib/names.js';
import { buildValuesSchema, profileFor } from '../../src/values/schema/index.js';

const values = buildValuesSchema(profileFor(true)).parse({});
const ctx = (release = 'aiops-platform'): PlatformContext =>
  createPlatformContext({ ...values, global: { ...values.global, commonLabels: { team: 'sre' } } }, release, 'aiops-platform', () => undefined);

describe('names', () => {
  it('builds <release>-<component>[-<role>]', () => {
    expect(objectName(ctx(), 'postgresql')).toBe('aiops-platform-postgresql');
    expect(objectName(ctx(), 'redis', 'headless')).toBe('aiops-platform-redis-headless');
  });

  it('refuses a name over the limit instead of shortening or hashing it', () => {
    expect(() => objectName(ctx('x'.repeat(53)), 'postgresql')).toThrow(ConfigError);
    expect(() => objectName(ctx('x'.repeat(42)), 'postgresql', undefined, 52)).toThrow('at least 1 characters shorter');
  });

  it('refuses names that are not DNS labels', () => expect(() => objectName(ctx('Ops'), 'redis')).toThrow('not a DNS-1035 label'));

  it('refuses a release that starts with a digit (Service names are DNS-1035 labels)', () =>
    expect(() => objectName(ctx('1ops'), 'redis')).toThrow('not a DNS-1035 label'));

  it('builds fully qualified service and pod hosts', () => {
    expect(serviceHost(ctx(), 'aiops-platform-redis')).toBe('aiops-platform-redis.aiops-platform.svc.cluster.local');
    expect(podHost(ctx(), 'aiops-platform-redis', 2, 'aiops-platform-redis-headless')).toBe(
      'aiops-platform-redis-2.aiops-platform-redis-headless.aiops-platform.svc.cluster.local',
    );
  });
});

describe('labels', () => {
  it('keeps the version out of selectors and puts it on objects', () => {
    const id = { name: 'redis', component: 'cache' };
    expect(selectorLabels(ctx(), id)).toEqual({
      'app.kubernetes.io/name': 'redis',
      'app.kubernetes.io/instance': 'aiops-platform',
      'app.kubernetes.io/component': 'cache',
    });
    expect(objectLabels(ctx(), id, '7.4.5-bookworm')).toMatchObject({
      'app.kubernetes.io/version': '7.4.5-bookworm',
      'app.kubernetes.io/part-of': 'aiops-platform',
      'app.kubernetes.io/managed-by': 'cdk8s',
      team: 'sre',
    });
  });

  it('makes any version a valid label value', () => {
    expect(objectLabels(ctx(), { name: 'a', component: 'b' }, 'v1.0+build/7')['app.kubernetes.io/version']).toBe('v1.0_build_7');
  });
});
