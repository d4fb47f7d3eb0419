import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import { parse } from 'yaml';
import { registerCustomValidator, type ValidationProblem } from './k8s-validate.js';

/** Folder of the CRD manifests the chart's custom resources are generated from. */
const CRD_DIR = join(import.meta.dirname, '..', '..', 'imports', 'crds');

interface CrdVersion {
  name: string;
  served: boolean;
  schema?: { openAPIV3Schema?: Record<string, unknown> };
}

/**
 * Makes a structural CRD schema strict: every object schema with `properties` rejects other keys,
 * unless it preserves unknown fields. (The API server would prune them silently; we want to know.)
 */
function strict(schema: unknown, branch = false): unknown {
  if (Array.isArray(schema)) return schema.map((s) => strict(s, branch));
  if (typeof schema !== 'object' || schema === null) return schema;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'properties') out[key] = Object.fromEntries(Object.entries(value as object).map(([k, v]) => [k, strict(v)]));
    // anyOf/oneOf/allOf/not branches only name required fields of the object around them (Cilium's spec).
    else out[key] = strict(value, ['anyOf', 'oneOf', 'allOf', 'not'].includes(key));
  }
  if (!branch && out.properties && out.additionalProperties === undefined && !out['x-kubernetes-preserve-unknown-fields']) {
    // metadata is validated by the Kubernetes ObjectMeta model, not by the CRD.
    out.additionalProperties = false;
  }
  return out;
}

const path = (e: ErrorObject) => e.instancePath.replace(/^\//, '').replace(/\/(\d+)(?=\/|$)/g, '[$1]').replace(/\//g, '.');

/**
 * CRD patterns are Go (RE2) regular expressions, checked by the API server: RE2's one-letter
 * Unicode classes `\pC`/`\PC` are written `\p{C}`/`\P{C}` in JavaScript (Cilium's CRD uses them).
 */
const goRegExp = Object.assign((pattern: string, flags: string) => new RegExp(pattern.replace(/\\([pP])([A-Za-z])/g, '\\$1{$2}'), flags), {
  code: 'goRegExp',
});

/** Registers a validator for every served version of every CRD in imports/crds. */
export function registerCrdValidators(): void {
  const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false, code: { regExp: goRegExp } });
  for (const file of readdirSync(CRD_DIR).filter((f) => f.endsWith('.yaml'))) {
    const crd = parse(readFileSync(join(CRD_DIR, file), 'utf8'));
    const group: string = crd.spec.group;
    const kind: string = crd.spec.names.kind;
    for (const version of crd.spec.versions as CrdVersion[]) {
      const schema = version.schema?.openAPIV3Schema;
      if (!version.served || !schema) continue;
      const props = { ...(schema.properties as Record<string, unknown>), metadata: { type: 'object' } };
      const validate = ajv.compile(strict({ ...schema, properties: props }) as object);
      registerCustomValidator(`${group}/${version.name}`, kind, (obj): ValidationProblem[] => {
        if (validate(obj)) return [];
        return (validate.errors ?? []).map((e) => ({
          path: path(e),
          message: e.keyword === 'additionalProperties' ? `unknown field "${String(e.params.additionalProperty)}"` : (e.message ?? e.keyword),
        }));
      });
    }
  }
}
