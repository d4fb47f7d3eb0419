/**
 * The label keys the chart sets on every object: lib/labels.ts sets them, the values schema keeps
 * them out of `global.commonLabels`, Prometheus relabels and the CLI recognises objects by them.
 */

/** The recommended `app.kubernetes.io/*` label keys the chart uses. */
export const LABEL_KEY = {
  name: 'app.kubernetes.io/name',
  instance: 'app.kubernetes.io/instance',
  component: 'app.kubernetes.io/component',
  partOf: 'app.kubernetes.io/part-of',
  managedBy: 'app.kubernetes.io/managed-by',
  version: 'app.kubernetes.io/version',
} as const;

/** The keys of the selector labels, e.g. to find a component's objects by the labels they carry. */
export const SELECTOR_LABEL_KEYS = [LABEL_KEY.name, LABEL_KEY.instance, LABEL_KEY.component] as const;

/** Every label key the chart sets besides `global.commonLabels`: values may not set them. */
export const CHART_LABEL_KEYS = [...SELECTOR_LABEL_KEYS, LABEL_KEY.partOf, LABEL_KEY.managedBy, LABEL_KEY.version] as const;
