import type { ServedPlan } from './component.js';
import { use, type Use } from './network.js';

/**
 * The components one component connects to, by the name of the construct prop that receives each
 * connection (undefined: that component is not rendered).
 */
export type Connections = { readonly [prop: string]: ServedPlan | undefined };

/** A component's connections and their edges. */
export interface Connected<C extends Connections> {
  readonly connections: C;
  /** One edge per rendered connection, to the endpoint of the component it connects to. */
  readonly uses: readonly Use[];
}

/**
 * `connections`, each one also an edge of the NetworkPolicies (cdk8s-plus `connections.allowTo`
 * is the model): the chart hands a construct only the connections its plan entry has
 * ({@link handedConnections}), so no connection is made that the policies do not allow.
 */
export function connect<C extends Connections>(connections: C, why: { readonly [K in keyof C]: string }): Connected<C> {
  return { connections, uses: (Object.keys(connections) as (keyof C & string)[]).flatMap((k) => use(connections[k]?.endpoint, why[k])) };
}

/**
 * What the chart hands a construct: the connections the other constructs built, each only where
 * the plan entry `planned` has that connection (and therefore its edge). A prop the plan does not
 * know is a type error.
 */
export function handedConnections<C extends Connections, B extends { readonly [K in keyof B]: K extends keyof C ? unknown : never }>(
  planned: C,
  built: B,
): { [K in keyof B]: B[K] | undefined } {
  const out: Partial<Record<keyof B, unknown>> = {};
  for (const key of Object.keys(built) as (keyof B & string)[]) out[key] = planned[key] ? built[key] : undefined;
  return out as { [K in keyof B]: B[K] | undefined };
}
