import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { valuesJsonSchema } from '../../src/values/json-schema.js';
import { valueKeys, type SchemaNode } from '../../src/values/values-doc.js';
import { fixtures, SEED_DIR } from '../support/fixtures.js';
import { parse } from 'yaml';

describe('values.schema.json', () => {
  it('is up to date with the zod schema (run npm run schema)', () => {
    const committed = readFileSync(join(import.meta.dirname, '..', '..', 'values.schema.json'), 'utf8');
    expect(committed).toBe(`${JSON.stringify(valuesJsonSchema(), null, 2)}\n`);
  });

  it('accepts every seed values block and rejects a typo, as editors will', () => {
    const validate = new Ajv2020.default({ strict: false }).compile(valuesJsonSchema());
    for (const block of fixtures(SEED_DIR)) expect(validate(parse(block.text)), block.name).toBe(true);
    expect(validate({ elasticseach: {} })).toBe(false);
  });

  it('documents defaults', () => {
    const schema = valuesJsonSchema() as any;
    expect(schema.properties.prometheus.properties.retention.default).toBe('15d');
    expect(schema.properties.ingress.properties.hosts.default[0].host).toBe('aiops.local');
  });

  it('documents the defaults zod drops on the input side of transforming schemas (resources, imagePullSecrets)', () => {
    const schema = valuesJsonSchema() as any;
    expect(schema.properties.traefik.properties.resources.default).toEqual({ requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '128Mi' } });
    expect(schema.properties.postgresql.properties.maintenance.properties.resources.default.limits).toEqual({ memory: '64Mi' });
    expect(schema.properties.global.properties.imagePullSecrets.default).toEqual([]);
  });

  it('describes every key, at every depth', () => {
    const keys = valueKeys(valuesJsonSchema() as SchemaNode);
    const undescribed = keys.filter((k) => !k.schema.description?.trim()).map((k) => k.path);
    expect(undescribed, `keys without a description:\n${undescribed.join('\n')}`).toEqual([]);
    // The walk reaches array items, anyOf members and every slice (a walk that stops early proves nothing).
    const paths = keys.map((k) => k.path);
    expect(paths).toEqual(expect.arrayContaining(['ingress.hosts[].paths[].pathType', 'global.imagePullSecrets[].name', 'secrets.store.name']));
    expect(keys.length).toBeGreaterThan(600);
  });

  it('names the production default where it differs from the exported development one', () => {
    const schema = valuesJsonSchema() as any;
    expect(schema.properties.traefik.properties.replicas.description).toMatch(/\(default 1; production 2\)/);
    expect(schema.properties.prometheus.properties.persistence.description).toMatch(/default size 8Gi; production 50Gi/);
    expect(schema.properties.redis.properties.resources.description).toMatch(/production requests 250m CPU and 1Gi, limits 2Gi/);
  });
});
