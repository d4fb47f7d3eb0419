/**
 * The Kubernetes API for platform services: a small typed client over `fetch` (kubernetes/client.ts),
 * Event building (kubernetes/events.ts), Lease leader election (kubernetes/leader-elector.ts) and
 * the wire types (kubernetes/types.ts, client-node's models as `import type` only).
 */
export * from './kubernetes/client.js';
export * from './kubernetes/env.js';
export * from './kubernetes/events.js';
export * from './kubernetes/leader-elector.js';
export * from './kubernetes/time.js';
export type * from './kubernetes/types.js';
