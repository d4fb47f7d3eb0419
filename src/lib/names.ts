import type { PlatformContext } from './context.js';
import { ConfigError, reportProblem } from './errors.js';

/** DNS-1035 label: what Service names must be (a letter first), so every object name is one. */
const DNS_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

/**
 * The explicit name of an object: `<release>-<component>[-<role>]`, a DNS-1035 label of at most
 * `max` characters (63; StatefulSets leave room for their pods' `-N` and revision-hash labels).
 * Never shortened or hashed: a name that does not fit is an error that says which one.
 */
export function objectName(ctx: PlatformContext, component: string, role?: string, max = 63): string {
  const name = [ctx.release, component, role].filter(Boolean).join('-');
  if (!DNS_LABEL.test(name)) {
    reportProblem(
      ctx,
      new ConfigError(
        `object name "${name}" is not a DNS-1035 label (Service names must be): use a release name that starts with a lower-case letter, then lower-case letters, digits and '-'`,
        { flag: '--release', group: { id: 'release-syntax', weight: 0 } },
      ),
    );
  } else if (name.length > max) {
    // Every name that does not fit is one problem with the release name: the longest one is reported.
    reportProblem(
      ctx,
      new ConfigError(
        `object name "${name}" has ${name.length} characters, more than ${max}: choose a release name at least ${name.length - max} characters shorter`,
        { flag: '--release', group: { id: 'release-length', weight: name.length - max } },
      ),
    );
  }
  return name;
}

/** Longest StatefulSet name that keeps `controller-revision-hash` label values within 63 characters. */
export const STATEFULSET_NAME_MAX = 52;

/** Longest CronJob name Kubernetes accepts: its Jobs append `-` and the scheduled minute (up to 11 characters in all). */
export const CRONJOB_NAME_MAX = 52;

/** Fully qualified in-cluster DNS name of a Service. */
export function serviceHost(ctx: PlatformContext, service: string): string {
  return `${service}.${ctx.namespace}.svc.${ctx.global.clusterDomain}`;
}

/** DNS name of one StatefulSet pod behind its headless Service. */
export function podHost(ctx: PlatformContext, statefulSet: string, ordinal: number, headlessService: string): string {
  return `${statefulSet}-${ordinal}.${serviceHost(ctx, headlessService)}`;
}

/** In-cluster URL of a Service port, e.g. `http://aiops-platform-prometheus.aiops-platform.svc.cluster.local:9090/prometheus`. */
export function serviceUrl(ctx: PlatformContext, service: string, port: number, path = ''): string {
  return `http://${serviceHost(ctx, service)}:${port}${path}`;
}

/** The URL users reach a sub-path at: through the Ingress when there is one, else in-cluster. */
export function externalUrl(ctx: PlatformContext, path: string, inCluster: { service: string; port: number }): string {
  return ctx.publicBaseUrl ? `${ctx.publicBaseUrl}${path}` : serviceUrl(ctx, inCluster.service, inCluster.port, path);
}
