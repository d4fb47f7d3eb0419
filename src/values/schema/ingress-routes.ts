import type * as z from 'zod';
import { addCrossFieldIssue } from '../issues.js';

/**
 * The path prefix each routed component serves under on every Ingress host, by values slice: the
 * chart routes them, so a host's own `paths` (routed to the API gateway) cannot reuse them.
 */
export const ROUTE_PREFIXES = {
  grafana: '/grafana',
  prometheus: '/prometheus',
  alertmanager: '/alertmanager',
  kibana: '/kibana',
  aiEngine: '/ai',
  apiGateway: '/api',
} as const;

type RoutedSlice = keyof typeof ROUTE_PREFIXES;

/** The values slices with a route prefix. */
export const ROUTED_SLICES = Object.keys(ROUTE_PREFIXES) as RoutedSlice[];

/** The slices of the root values this rule reads. */
type RouteValues = {
  ingress: { enabled: boolean; hosts: readonly { host: string; paths: readonly { path: string }[] }[] };
} & Record<RoutedSlice, { enabled: boolean }>;

/**
 * Root rule: each host's own paths go to the API gateway, beside the enabled components' prefixes
 * on the same host. A path given twice on a host, or equal to an enabled component's prefix, would
 * be two Ingress rules for one path (the API server keeps one, silently).
 */
export function refineIngressPaths(v: RouteValues, ctx: z.RefinementCtx): void {
  if (!v.ingress.enabled || !v.apiGateway.enabled) return;
  const owners = new Map<string, { owner: string; involves: PropertyKey[] }>();
  for (const [slice, prefix] of Object.entries(ROUTE_PREFIXES) as [RoutedSlice, string][]) {
    if (v[slice].enabled) owners.set(prefix, { owner: `${slice} (its prefix ${prefix})`, involves: [slice, 'enabled'] });
  }
  v.ingress.hosts.forEach((host, i) => {
    const seen = new Map(owners);
    host.paths.forEach((p, j) => {
      const here = ['ingress', 'hosts', i, 'paths', j, 'path'];
      const taken = seen.get(p.path);
      if (taken) {
        addCrossFieldIssue(ctx, {
          path: here,
          involves: [taken.involves, ['apiGateway', 'enabled']],
          input: p.path,
          message: `"${p.path}" on ${host.host} is already routed to ${taken.owner}; remove it or use another path`,
        });
      }
      seen.set(p.path, { owner: `ingress.hosts[${i}].paths (the API gateway)`, involves: here });
    });
  });
}
