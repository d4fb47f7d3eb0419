import * as z from 'zod';
import { CHART_LABEL_KEYS } from '../../core/label-keys.js';
import { isDnsSubdomain } from './primitives.js';

/**
 * Kubernetes object metadata as the API server validates it (apimachinery's IsQualifiedName,
 * IsValidLabelValue, ValidateAnnotations): label and annotation keys, label values, and the total
 * size of annotations.
 */

const NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
/** Total size of an object's annotations (keys and values, in bytes). */
const ANNOTATIONS_MAX_BYTES = 256 * 1024;

/** Why `key` is not a qualified name (`[prefix/]name`), or undefined when it is one. */
export function qualifiedNameProblem(key: string): string | undefined {
  const slash = key.lastIndexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && !isDnsSubdomain(prefix)) {
    return `the prefix "${prefix}" of the key ${JSON.stringify(key)} is not a DNS-1123 subdomain (lower-case letters, digits, '-' and '.', at most 253 characters)`;
  }
  if (name.length > 63 || !NAME.test(name)) {
    return `the key ${JSON.stringify(key)} is not a Kubernetes key: [prefix/]name where name has at most 63 letters, digits, '-', '_' or '.', beginning and ending with a letter or digit`;
  }
  return undefined;
}

/** Why `value` is not a label value, or undefined when it is one. */
export function labelValueProblem(value: string): string | undefined {
  return value === '' || (value.length <= 63 && NAME.test(value))
    ? undefined
    : `expected a label value (at most 63 letters, digits, '-', '_' or '.', beginning and ending with a letter or digit, or empty), found ${JSON.stringify(value)}`;
}

const key = z.string().superRefine((k, ctx) => {
  const problem = qualifiedNameProblem(k);
  if (problem) ctx.addIssue({ code: 'custom', input: k, message: problem });
});

const labelValue = z.string().superRefine((v, ctx) => {
  const problem = labelValueProblem(v);
  if (problem) ctx.addIssue({ code: 'custom', input: v, message: problem });
});

/** Labels (and node selectors): qualified-name keys, label values. */
export const labelMap = z.record(key, labelValue);

/** Annotations: qualified-name keys, any values, at most 256 KiB in all. */
export const annotationMap = z.record(key, z.string()).superRefine((annotations, ctx) => {
  const bytes = Object.entries(annotations).reduce((sum, [k, v]) => sum + Buffer.byteLength(k) + Buffer.byteLength(v), 0);
  if (bytes > ANNOTATIONS_MAX_BYTES) {
    ctx.addIssue({
      code: 'custom',
      input: annotations,
      message: `annotations total ${bytes} bytes, more than the ${ANNOTATIONS_MAX_BYTES} (256 KiB) the API server accepts on one object`,
    });
  }
});


/**
 * Extra labels for the chart's objects (commonLabels, podLabels): a label map without the
 * `app.kubernetes.io/*` labels the chart sets itself (selectors rely on them; the chart's would win).
 */
export const extraLabelMap = labelMap.superRefine((labels, ctx) => {
  for (const key of Object.keys(labels).filter((k) => (CHART_LABEL_KEYS as readonly string[]).includes(k))) {
    ctx.addIssue({
      code: 'custom',
      path: [key],
      input: labels[key],
      message: `${key} is set by the chart on every object (selectors rely on it): remove it, or use a label of your own`,
    });
  }
});
