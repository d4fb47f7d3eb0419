import * as z from 'zod';
import { buildValuesSchema, profileFor } from './schema/index.js';

/**
 * The values JSON Schema, from zod's own export (input side, so defaults and optional keys are as
 * users write them). Defaults shown are the development profile's (default); descriptions name the
 * production ones.
 */
export function valuesJsonSchema(development = true): Record<string, unknown> {
  const schema = z.toJSONSchema(buildValuesSchema(profileFor(development)), { io: 'input', unrepresentable: 'any', override: keepInputDefault });
  return {
    ...schema,
    title: 'aiops-platform values',
  };
}

/**
 * On the input side zod drops the default of a `.default()` whose schema transforms anywhere inside
 * (its default could be an output value). Puts it back when it is valid input itself, as the
 * `resources` defaults (whose quantities transform) and `global.imagePullSecrets` are.
 */
function keepInputDefault({ zodSchema, jsonSchema }: { zodSchema: z.core.$ZodTypes; jsonSchema: z.core.JSONSchema.BaseSchema }): void {
  const def = zodSchema._zod.def;
  if (def.type !== 'default' || 'default' in jsonSchema) return;
  const value: unknown = def.defaultValue;
  if (z.safeParse(def.innerType, value).success) jsonSchema.default = JSON.parse(JSON.stringify(value));
}
