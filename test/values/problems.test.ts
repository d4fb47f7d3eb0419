import { describe, expect, it } from 'vitest';
import { renderProblemsError } from '../../src/cli/render-problems.js';
import { ConfigError } from '../../src/lib/errors.js';
import { ValuesError } from '../../src/values/issues.js';
import { loadValues } from '../../src/values/load.js';
import { locator } from '../../src/values/locate.js';
import { credentialsIn, isCredentialPath, redactor } from '../../src/values/redact.js';
import { parseValuesFile } from '../../src/values/yaml-source.js';

function layer(name: string, text: string) {
  return parseValuesFile(name, text).layer!;
}

describe('locating problems', () => {
  it('points a cross-field problem at its own value when set, else at the first involved value set, else at the nearest parent', () => {
    const locate = locator([layer('a.yaml', 'x:\n  min: 3\n'), layer('b.yaml', 'x:\n  max: 1\ny: {}\n')]);
    expect(locate(['x', 'min'], { involves: [['x', 'max']] }).location).toBe('a.yaml:2:8');
    expect(locate(['x', 'other'], { involves: [['x', 'max']] })).toEqual({ location: 'b.yaml:2:8', path: ['x', 'max'] });
    expect(locate(['x', 'other'], { involves: [['z']] }).location).toBe('b.yaml:2:3'); // nearest written parent: x (last layer)
    expect(locate(['w'], { involves: [['v']] }).location).toBe('(defaults)');
  });

  it('runs a root rule when the slices it reads are valid, even with problems elsewhere', () => {
    try {
      loadValues({ files: [{ name: 'v.yaml', text: 'grafana: {replicas: x}\ntraefik: {latencyBuckets: [0.5, 1]}\n' }], sets: [] });
      expect.unreachable();
    } catch (error) {
      expect((error as ValuesError).issues.map((i) => `${i.location} ${i.path}`)).toEqual([
        'v.yaml:1:21 grafana.replicas',
        'v.yaml:2:27 alerting.thresholds.responseTimeSeconds',
      ]);
    }
  });

  it('does not run a root rule on a slice that failed (no second, misleading problem)', () => {
    try {
      loadValues({ files: [{ name: 'v.yaml', text: 'traefik: {latencyBuckets: [one]}\n' }], sets: [] });
      expect.unreachable();
    } catch (error) {
      expect((error as ValuesError).issues.map((i) => i.path)).toEqual(['traefik.latencyBuckets[0]']);
    }
  });

  it('reports render problems once per group (the heaviest), each at its flag or value', () => {
    const error = renderProblemsError(
      [
        new ConfigError('name a too long by 2', { flag: '--release', group: { id: 'release-length', weight: 2 } }),
        new ConfigError('name b too long by 9', { flag: '--release', group: { id: 'release-length', weight: 9 } }),
        new ConfigError('heap', { path: ['logstash', 'resources', 'limits', 'memory'] }),
        new ConfigError('heap', { path: ['logstash', 'resources', 'limits', 'memory'] }),
      ],
      { release: 'r', namespace: 'n' },
    );
    expect(error.issues).toEqual([
      { location: '--release "r"', path: '', message: 'name b too long by 9' },
      { location: '(values)', path: 'logstash.resources.limits.memory', message: 'heap' },
    ]);
  });
});

describe('hiding credentials', () => {
  it('knows credential keys by name, and receiver URLs', () => {
    for (const path of [['postgresql', 'auth', 'password'], ['selfHealing', 'webhookToken'], ['alertmanager', 'receivers', 'slack', 'apiUrl'], ['alertmanager', 'receivers', 'webhook', 'url'], ['kibana', 'encryptionKeys', 'security'], ['apiGateway', 'admin', 'password'], ['apiGateway', 'approvalToken']]) {
      expect(isCredentialPath(path), path.join('.')).toBe(true);
    }
    expect(isCredentialPath(['grafana', 'existingSecret'])).toBe(false);
    expect(isCredentialPath(['ingress', 'tls', 0, 'secretName'])).toBe(false);
    expect(isCredentialPath(['prometheus', 'url'])).toBe(false);
  });

  it('collects credentials, URLs with user:password included, and hides them in any text', () => {
    const found = credentialsIn({ redis: { auth: { password: 'p4ssw0rd' } }, x: { endpoint: 'https://u:pw@host/x' }, y: { name: 'public' } });
    expect(found).toEqual(['p4ssw0rd', 'https://u:pw@host/x']);
    const redact = redactor(found);
    expect(redact('found string "p4ssw0rd" and https://u:pw@host/x')).toBe('found a string of 8 characters (hidden) and (hidden: 19 characters)');
  });

  it('never hides a short credential in unrelated text (it would hide other values)', () => {
    expect(redactor(['1'])('expected 1 replica, found 10')).toBe('expected 1 replica, found 10');
  });
});
