import { z } from 'zod';
import { buildValuesSchema, profileFor } from './schema/index.js';

/**
 * The values JSON Schema, from zod's own export (input side, so defaults and optional keys are as
 * users write them). Defaults shown are the development profile's; descriptions name the production ones.
 */
export function valuesJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(buildValuesSchema(profileFor(true)), { io: 'input', unrepresentable: 'any' });
  return {
    ...schema,
    title: 'aiops-platform values',
  };
}
