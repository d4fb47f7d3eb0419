/**
 * Reading rendered objects (plain JSON, as the render emits them or the API server returns them):
 * which kinds run pods from a template, and that template's pod spec. The footprint, `verify`'s
 * drift check and the audit exemptions read workloads through this one place.
 */

/** The kinds that run pods from a pod template (a CronJob through its Job template). */
export const WORKLOAD_KINDS: ReadonlySet<string> = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob']);

/** The pod spec of a workload's template; undefined for any other object. */
export function workloadPodSpec<T = Record<string, unknown>>(object: { kind?: unknown; spec?: unknown }): T | undefined {
  if (!WORKLOAD_KINDS.has(String(object.kind))) return undefined;
  const spec = object.spec as { template?: { spec?: T }; jobTemplate?: { spec?: { template?: { spec?: T } } } } | undefined;
  return object.kind === 'CronJob' ? spec?.jobTemplate?.spec?.template?.spec : spec?.template?.spec;
}
