/**
 * Test support: validate rendered Kubernetes objects.
 *
 * Two independent checks run on every built-in object:
 *  1. Schema validation with the precompiled validators of `kubernetes-models`
 *     (types, required fields, enums, formats).
 *  2. A strict unknown-field check driven by the typed models of
 *     `@kubernetes/client-node` (`attributeTypeMap`), because kubernetes-models
 *     accepts additional properties such as `spec.replcas`.
 */
import * as k8s from "@kubernetes/client-node";
import { closest, distance } from "fastest-levenshtein";
import * as admissionregistrationV1 from "kubernetes-models/admissionregistration.k8s.io/v1";
import * as apiextensionsV1 from "kubernetes-models/apiextensions.k8s.io/v1";
import * as apiregistrationV1 from "kubernetes-models/apiregistration.k8s.io/v1";
import * as appsV1 from "kubernetes-models/apps/v1";
import * as autoscalingV1 from "kubernetes-models/autoscaling/v1";
import * as autoscalingV2 from "kubernetes-models/autoscaling/v2";
import * as batchV1 from "kubernetes-models/batch/v1";
import * as certificatesV1 from "kubernetes-models/certificates.k8s.io/v1";
import * as coordinationV1 from "kubernetes-models/coordination.k8s.io/v1";
import * as discoveryV1 from "kubernetes-models/discovery.k8s.io/v1";
import * as eventsV1 from "kubernetes-models/events.k8s.io/v1";
import * as networkingV1 from "kubernetes-models/networking.k8s.io/v1";
import * as nodeV1 from "kubernetes-models/node.k8s.io/v1";
import * as policyV1 from "kubernetes-models/policy/v1";
import * as rbacV1 from "kubernetes-models/rbac.authorization.k8s.io/v1";
import * as schedulingV1 from "kubernetes-models/scheduling.k8s.io/v1";
import * as storageV1 from "kubernetes-models/storage.k8s.io/v1";
import * as coreV1 from "kubernetes-models/v1";

export interface ValidationProblem {
  /** JSON path inside the object, e.g. `spec.template.spec.containers[0].image`; "" for the object itself. */
  path: string;
  message: string;
}

export type CustomValidator = (obj: Record<string, unknown>) => ValidationProblem[];

/**
 * Only GA API groups are loaded: beta versions removed before Kubernetes 1.27
 * (policy/v1beta1, batch/v1beta1, autoscaling/v2beta2, ...) are reported as unknown.
 */
const SCHEMA_MODULES: readonly object[] = [
  admissionregistrationV1, apiextensionsV1, apiregistrationV1, appsV1, autoscalingV1, autoscalingV2,
  batchV1, certificatesV1, coordinationV1, discoveryV1, eventsV1, networkingV1, nodeV1, policyV1, rbacV1,
  schedulingV1, storageV1, coreV1,
];

/** A kubernetes-models class for a top-level kind (has static apiVersion/kind). */
interface SchemaModel {
  apiVersion: string;
  kind: string;
  new (data: object): { validate(): void };
}

/** Shape of a field according to a client-node `attributeTypeMap` type string. */
type FieldShape =
  | { kind: "leaf" }
  | { kind: "model"; model: ModelInfo }
  | { kind: "array"; item: FieldShape }
  | { kind: "map"; item: FieldShape };

interface ModelInfo {
  fields: Map<string, FieldShape>;
  names: string[];
}

interface ResolvedKind {
  schema?: SchemaModel;
  model?: ModelInfo;
}

const kindKey = (apiVersion: string, kind: string): string => `${apiVersion}|${kind}`;
const LEAF: FieldShape = { kind: "leaf" };
const clientModels = k8s as unknown as Record<string, { attributeTypeMap?: { baseName: string; type: string }[] }>;
const customValidators = new Map<string, CustomValidator>();
const resolvedKinds = new Map<string, ResolvedKind>();
const modelInfos = new Map<string, ModelInfo | undefined>();
const fieldShapes = new Map<string, FieldShape>();
let schemaModels: Map<string, SchemaModel> | undefined;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function joinPath(path: string, key: string | number): string {
  if (typeof key === "number") return `${path}[${key}]`;
  if (/^[A-Za-z_$][\w$-]*$/.test(key)) return path ? `${path}.${key}` : key;
  return `${path}[${JSON.stringify(key)}]`;
}

function getSchemaModels(): Map<string, SchemaModel> {
  if (!schemaModels) {
    schemaModels = new Map();
    for (const mod of SCHEMA_MODULES) {
      for (const value of Object.values(mod) as unknown[]) {
        const model = value as Partial<SchemaModel>;
        if (typeof value === "function" && typeof model.apiVersion === "string" && typeof model.kind === "string") {
          schemaModels.set(kindKey(model.apiVersion, model.kind), value as SchemaModel);
        }
      }
    }
  }
  return schemaModels;
}

/** Field table of a client-node model class such as `V1StatefulSetSpec`; undefined when no such model. */
function modelInfo(name: string): ModelInfo | undefined {
  if (modelInfos.has(name)) return modelInfos.get(name);
  const attributes = clientModels[name]?.attributeTypeMap;
  const info = attributes ? { fields: new Map<string, FieldShape>(), names: attributes.map((a) => a.baseName) } : undefined;
  modelInfos.set(name, info); // set before resolving fields: models are recursive (JSONSchemaProps)
  for (const a of attributes ?? []) info!.fields.set(a.baseName, fieldShape(a.type));
  return info;
}

/** Parses `Array<X>`, `{ [key: string]: X; }` and model names; everything else is a leaf. */
function fieldShape(type: string): FieldShape {
  let shape = fieldShapes.get(type);
  if (shape) return shape;
  const array = /^Array<(.+)>$/.exec(type);
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (array) shape = { kind: "array", item: fieldShape(array[1]!) };
  else if (map) shape = { kind: "map", item: fieldShape(map[1]!) };
  else {
    const model = /^[A-Z]/.test(type) ? modelInfo(type) : undefined;
    shape = model ? { kind: "model", model } : LEAF;
  }
  fieldShapes.set(type, shape);
  return shape;
}

/** `apps/v1`+`StatefulSet` → `V1StatefulSet`; `v1`+`Event` → `CoreV1Event` (group-prefixed names win). */
function clientModelFor(apiVersion: string, kind: string): ModelInfo | undefined {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/", 2) : ["core", apiVersion];
  const prefix = capitalize(group!.split(".")[0]!);
  const ver = capitalize(version!);
  return modelInfo(`${prefix}${ver}${kind}`) ?? modelInfo(`${ver}${kind}`);
}

function resolveKind(apiVersion: string, kind: string): ResolvedKind {
  const key = kindKey(apiVersion, kind);
  let resolved = resolvedKinds.get(key);
  if (!resolved) {
    const schema = getSchemaModels().get(key);
    resolved = schema ? { schema, model: clientModelFor(apiVersion, kind) } : {};
    resolvedKinds.set(key, resolved);
  }
  return resolved;
}

function suggestion(key: string, names: string[]): string {
  if (names.length === 0) return "";
  const best = closest(key, names);
  return distance(key, best) <= Math.max(2, Math.floor(key.length / 3)) ? ` (did you mean "${best}"?)` : "";
}

function checkUnknownFields(value: unknown, shape: FieldShape, path: string, problems: ValidationProblem[]): void {
  if (shape.kind === "array") {
    if (Array.isArray(value)) value.forEach((item, i) => checkUnknownFields(item, shape.item, joinPath(path, i), problems));
  } else if (shape.kind !== "leaf" && isPlainObject(value)) {
    for (const [key, child] of Object.entries(value)) {
      const childPath = joinPath(path, key);
      const childShape = shape.kind === "map" ? shape.item : shape.model.fields.get(key);
      if (childShape) checkUnknownFields(child, childShape, childPath, problems);
      else if (shape.kind === "model") {
        problems.push({ path: childPath, message: `unknown field "${key}"${suggestion(key, shape.model.names)}` });
      }
    }
  }
  // leaf, or a type mismatch that the schema validation reports
}

/** Converts an ajv JSON pointer to a dotted path, using the object to tell array indexes from map keys. */
function pointerToPath(obj: unknown, pointer: string): string {
  let path = "";
  let current = obj;
  for (const raw of pointer.split("/").slice(1)) {
    const segment = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    const isIndex = Array.isArray(current) && /^\d+$/.test(segment);
    path = joinPath(path, isIndex ? Number(segment) : segment);
    current = isPlainObject(current) || Array.isArray(current) ? (current as Record<string, unknown>)[segment] : undefined;
  }
  return path;
}

interface AjvError {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

function checkSchema(schema: SchemaModel, obj: Record<string, unknown>): ValidationProblem[] {
  try {
    new schema(obj).validate();
    return [];
  } catch (err) {
    const errors = (err as { errors?: AjvError[] }).errors;
    if (!Array.isArray(errors)) return [{ path: "", message: `schema validation failed: ${String(err)}` }];
    return errors.map((e) => {
      const path = pointerToPath(obj, e.instancePath);
      if (e.keyword === "required") {
        const field = String(e.params["missingProperty"]);
        return { path: joinPath(path, field), message: `missing required field "${field}"` };
      }
      const allowed = Array.isArray(e.params["allowedValues"]) ? `: ${e.params["allowedValues"].join(", ")}` : "";
      return { path, message: `${e.message ?? e.keyword}${allowed}` };
    });
  }
}

/**
 * Registers an extra validator for one apiVersion/kind (e.g. a CRD such as
 * `monitoring.coreos.com/v1` `ServiceMonitor`). Objects of a kind unknown to
 * kubernetes-models are accepted only when a custom validator is registered;
 * for them `metadata` is still checked strictly against `V1ObjectMeta`. For
 * built-in kinds the custom validator runs in addition to the built-in checks.
 * Returns a function that unregisters the validator.
 */
export function registerCustomValidator(apiVersion: string, kind: string, fn: CustomValidator): () => void {
  const key = kindKey(apiVersion, kind);
  customValidators.set(key, fn);
  return () => {
    if (customValidators.get(key) === fn) customValidators.delete(key);
  };
}

/**
 * Validates one rendered Kubernetes object (plain JSON as it appears in the
 * synthesized YAML). Returns all problems found, [] when valid: schema errors
 * from kubernetes-models first, then unknown fields.
 */
export function validateK8sObject(obj: Record<string, unknown>): ValidationProblem[] {
  const { apiVersion, kind } = obj;
  if (typeof apiVersion !== "string" || typeof kind !== "string") {
    return [{ path: "", message: "apiVersion and kind must be strings" }];
  }
  const custom = customValidators.get(kindKey(apiVersion, kind));
  const { schema, model } = resolveKind(apiVersion, kind);
  const problems: ValidationProblem[] = [];
  if (schema) {
    problems.push(...checkSchema(schema, obj));
    if (model) checkUnknownFields(obj, { kind: "model", model }, "", problems);
    else problems.push({ path: "", message: `no @kubernetes/client-node model for ${apiVersion} ${kind}; cannot check unknown fields` });
  } else if (custom) {
    checkUnknownFields(obj["metadata"], fieldShape("V1ObjectMeta"), "metadata", problems);
  } else {
    problems.push({ path: "", message: `unknown apiVersion/kind "${apiVersion}" "${kind}" (register a custom validator for CRDs)` });
  }
  if (custom) problems.push(...custom(obj));
  return problems;
}

/** Label of an object for error messages: `kind/namespace/name`, or `kind/name` when cluster-scoped. */
function describe(obj: Record<string, unknown>): string {
  const meta = isPlainObject(obj["metadata"]) ? obj["metadata"] : {};
  return [obj["kind"], meta["namespace"], meta["name"] ?? "<unnamed>"].filter((p) => p !== undefined).map(String).join("/");
}

/**
 * Validates every object and throws an Error listing every problem of every
 * object (each prefixed with kind/namespace/name) when any object is invalid.
 */
export function assertValidK8sObjects(objs: Record<string, unknown>[]): void {
  const lines: string[] = [];
  for (const obj of objs) {
    for (const p of validateK8sObject(obj)) lines.push(`${describe(obj)}: ${p.path || "<root>"}: ${p.message}`);
  }
  if (lines.length > 0) {
    throw new Error(`${lines.length} Kubernetes validation problem(s):\n  ${lines.join("\n  ")}`);
  }
}
