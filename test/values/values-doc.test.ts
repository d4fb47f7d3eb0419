import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { valueKeys, valuesReference, type SchemaNode } from '../../src/values/values-doc.js';

const sample: SchemaNode = {
  type: 'object',
  properties: {
    app: {
      type: 'object',
      description: 'The app.',
      properties: {
        level: { type: 'string', enum: ['debug', 'info'], default: 'debug', description: 'Log level | verbosity.' },
        hosts: {
          type: 'array',
          default: [{ host: 'a.local' }],
          description: 'Hosts.',
          items: { type: 'object', properties: { host: { type: 'string', description: 'Host.' } } },
        },
        pullSecrets: {
          type: 'array',
          items: { anyOf: [{ type: 'string' }, { type: 'object', properties: { name: { type: 'string', description: 'Name.' } } }] },
          description: 'Pull secrets.',
        },
        labels: { type: 'object', additionalProperties: { type: 'string' }, default: {}, description: 'Labels of <release>, cron `0 * * * *`.' },
        servers: {
          type: 'object',
          additionalProperties: { type: 'object', properties: { port: { type: 'integer', description: 'Port.' } } },
          description: 'Servers by name.',
        },
        size: { anyOf: [{ type: 'number' }, { type: 'string' }], default: '', description: 'Size.' },
      },
    },
  },
};

describe('valueKeys', () => {
  it('walks properties, array items, anyOf objects and map values, in schema order', () => {
    expect(valueKeys(sample).map((k) => k.path)).toEqual([
      'app',
      'app.level',
      'app.hosts',
      'app.hosts[].host',
      'app.pullSecrets',
      'app.pullSecrets[].name',
      'app.labels',
      'app.servers',
      'app.servers.*.port',
      'app.size',
    ]);
  });
});

describe('valuesReference', () => {
  const doc = valuesReference(sample);
  const row = (key: string) => doc.split('\n').find((line) => line.startsWith(`| \`${key}\` |`));

  it('renders one section per top-level key with its description and a key table', () => {
    expect(doc).toContain('## app\n\nThe app.\n\n| key | type | default | description |\n| --- | --- | --- | --- |\n');
    expect(doc).toContain('[app](#app)');
  });

  it('lists enums in the type column, defaults as inline code and escapes pipes', () => {
    expect(row('app.level')).toBe('| `app.level` | `debug` \\| `info` | `debug` | Log level \\| verbosity. |');
    expect(row('app.hosts')).toBe('| `app.hosts` | object[] | `[{"host":"a.local"}]` | Hosts. |');
    expect(row('app.pullSecrets')).toBe('| `app.pullSecrets` | (string \\| object)[] |  | Pull secrets. |');
    expect(row('app.size')).toBe('| `app.size` | number \\| string | `""` | Size. |');
    expect(row('app.servers.*.port')).toBe('| `app.servers.*.port` | integer |  | Port. |');
  });

  it('escapes Markdown in descriptions so <release> and cron stars show as written', () => {
    expect(row('app.labels')).toBe('| `app.labels` | map of string | `{}` | Labels of \\<release\\>, cron \\`0 \\* \\* \\* \\*\\`. |');
  });
});

describe('docs/values.md', () => {
  it('is up to date with the values schema (run npm run schema)', () => {
    const committed = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'values.md'), 'utf8');
    expect(committed).toBe(valuesReference());
  });

  it('has a row for every key of the values with its default', () => {
    const doc = valuesReference();
    expect(doc).toContain('| `prometheus.retention` | string | `15d` | Time-based retention');
    expect(doc).toContain('| `global.logLevel` | `debug` \\| `info` \\| `warn` \\| `error` | `debug` |');
    expect(doc).toContain('| `ingress.hosts[].paths[].pathType` |');
  });
});
