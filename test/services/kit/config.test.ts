import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { commonConfigSchema, KIT_ENV, envBoolean, envEnum, envInt, envPort, envString, envUrl, loadConfig } from '../../../src/services/kit/config.js';
import { SERVICE_ENV } from '../../../src/core/service-env.js';
import { problems } from './config-problems.js';


describe('loadConfig', () => {
  it('reads the common variables the chart sets, with the chart defaults when absent', () => {
    expect(loadConfig(commonConfigSchema, {})).toEqual({ BASE_PATH: '/', LOG_LEVEL: 'info', PORT: 8080, METRICS_PORT: 9464, POD_NAME: undefined, POD_NAMESPACE: undefined, SHUTDOWN_DELAY_SECONDS: 5 });
    expect(loadConfig(commonConfigSchema, { BASE_PATH: '/ai', LOG_LEVEL: 'debug', PORT: '8081', METRICS_PORT: '9465', POD_NAME: 'p-1', POD_NAMESPACE: 'ns' })).toEqual({
      BASE_PATH: '/ai',
      LOG_LEVEL: 'debug',
      PORT: 8081,
      METRICS_PORT: 9465,
      POD_NAME: 'p-1',
      POD_NAMESPACE: 'ns',
      SHUTDOWN_DELAY_SECONDS: 5,
    });
  });

  it('uses the names of src/core/service-env.ts, and the kit’s own', () => {
    expect(Object.keys(commonConfigSchema.shape).sort()).toEqual([...Object.values(SERVICE_ENV.common), ...Object.values(KIT_ENV)].sort());
  });

  it('names the variable and the problem on one line: a port that is not a number', () => {
    expect(problems(() => loadConfig(commonConfigSchema, { PORT: 'abc' }))).toEqual(['config: PORT: expected an integer 1-65535, found "abc"']);
  });

  it('refuses ports out of range, fractions and signs', () => {
    for (const bad of ['0', '65536', '80.5', '-1', '1e3']) {
      expect(problems(() => loadConfig(commonConfigSchema, { METRICS_PORT: bad }))).toEqual([`config: METRICS_PORT: expected an integer 1-65535, found "${bad}"`]);
    }
  });

  it('gives one line per bad variable, each single-line', () => {
    const lines = problems(() => loadConfig(commonConfigSchema, { PORT: 'x', LOG_LEVEL: 'loud', BASE_PATH: 'ai/' }));
    expect(lines).toEqual([
      'config: BASE_PATH: expected "/" or a path such as "/ai" (lower-case, no trailing slash), found "ai/"',
      'config: LOG_LEVEL: expected one of trace, debug, info, warn, error, fatal, found "loud"',
      'config: PORT: expected an integer 1-65535, found "x"',
    ]);
    for (const line of lines) expect(line).not.toContain('\n');
  });

  it('says when a required variable is not set, and shortens a long value', () => {
    const schema = z.object({ TOKEN: envString({ secret: true }), LIMIT: envInt(1, 10), URL: envUrl(), FLAG: envBoolean(), MODE: envEnum(['a', 'b']), P: envPort(1) });
    expect(problems(() => loadConfig(schema, { LIMIT: 'x'.repeat(100), URL: 'ftp://u:secret@h', FLAG: 'maybe' }))).toEqual([
      'config: TOKEN: required, not set',
      `config: LIMIT: expected an integer 1-10, found "${'x'.repeat(39)}…" (100 characters)`,
      'config: URL: expected an http or https URL, found a string of 16 characters (hidden)',
      'config: FLAG: expected true or false, found "maybe"',
      'config: MODE: required (one of a, b), not set',
    ]);
  });

  it('parses the helpers’ good values', () => {
    const schema = z.object({ FLAG: envBoolean(), URL: envUrl(), MODE: envEnum(['a', 'b'], 'a'), N: envInt(0, 5, 3) });
    expect(loadConfig(schema, { FLAG: 'Yes', URL: 'http://prometheus:9090/' })).toEqual({ FLAG: true, URL: 'http://prometheus:9090', MODE: 'a', N: 3 });
  });
});
