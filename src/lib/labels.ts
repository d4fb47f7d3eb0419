import type { PlatformContext } from './context.js';

/** The identity of a component's workload: `app.kubernetes.io/name` and `…/component`. */
export interface ComponentIdentity {
  /** Application name, e.g. postgresql (app.kubernetes.io/name). */
  readonly name: string;
  /** Role inside the platform, e.g. database (app.kubernetes.io/component). */
  readonly component: string;
}

/** The keys of {@link selectorLabels}, e.g. to find a component's objects by the labels they carry. */
export const SELECTOR_LABEL_KEYS = ['app.kubernetes.io/name', 'app.kubernetes.io/instance', 'app.kubernetes.io/component'] as const;

/** Every label key {@link objectLabels} sets besides `global.commonLabels`: values may not set them. */
export const CHART_LABEL_KEYS = [...SELECTOR_LABEL_KEYS, 'app.kubernetes.io/part-of', 'app.kubernetes.io/managed-by', 'app.kubernetes.io/version'] as const;

/** The stable label subset used in selectors: never includes the version, so upgrades keep selectors. */
export function selectorLabels(ctx: PlatformContext, id: ComponentIdentity): Record<string, string> {
  return {
    'app.kubernetes.io/name': id.name,
    'app.kubernetes.io/instance': ctx.release,
    'app.kubernetes.io/component': id.component,
  };
}

/** Full labels of an object: selector labels, part-of, managed-by, version and `global.commonLabels`. */
export function objectLabels(ctx: PlatformContext, id: ComponentIdentity, version?: string): Record<string, string> {
  return {
    ...ctx.global.commonLabels,
    ...selectorLabels(ctx, id),
    'app.kubernetes.io/part-of': 'aiops-platform',
    'app.kubernetes.io/managed-by': 'cdk8s',
    ...(version ? { 'app.kubernetes.io/version': labelValue(version) } : {}),
  };
}

/** Makes a string a valid label value (≤ 63 characters of [A-Za-z0-9._-]). */
export function labelValue(value: string): string {
  return value.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 63).replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
}
