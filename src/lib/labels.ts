import { LABEL_KEY } from '../core/label-keys.js';
import type { PlatformContext } from './context.js';

/** The identity of a component's workload: `app.kubernetes.io/name` and `…/component`. */
export interface ComponentIdentity {
  /** Application name, e.g. postgresql (app.kubernetes.io/name). */
  readonly name: string;
  /** Role inside the platform, e.g. database (app.kubernetes.io/component). */
  readonly component: string;
}

/** The stable label subset used in selectors: never includes the version, so upgrades keep selectors. */
export function selectorLabels(ctx: PlatformContext, id: ComponentIdentity): Record<string, string> {
  return {
    [LABEL_KEY.name]: id.name,
    [LABEL_KEY.instance]: ctx.release,
    [LABEL_KEY.component]: id.component,
  };
}

/** Full labels of an object: selector labels, part-of, managed-by, version and `global.commonLabels`. */
export function objectLabels(ctx: PlatformContext, id: ComponentIdentity, version?: string): Record<string, string> {
  return {
    ...ctx.global.commonLabels,
    ...selectorLabels(ctx, id),
    [LABEL_KEY.partOf]: 'aiops-platform',
    [LABEL_KEY.managedBy]: 'cdk8s',
    ...(version ? { [LABEL_KEY.version]: labelValue(version) } : {}),
  };
}

/** Makes a string a valid label value (≤ 63 characters of [A-Za-z0-9._-]). */
export function labelValue(value: string): string {
  return value.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 63).replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
}
