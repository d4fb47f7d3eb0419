import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { valuesJsonSchema } from '../../src/values/json-schema.js';
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
});
