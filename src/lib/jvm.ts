import type { ResourceValues } from '../values/schema/common.js';
import { ConfigError } from './errors.js';
import { toMebibytes } from '../core/quantity.js';

/** Bounds of a derived JVM heap, in MiB (default none). */
export interface HeapBounds {
  /** A smaller derived heap is raised to this. */
  readonly minMi?: number;
  /** A larger derived heap is lowered to this (Elasticsearch: 31744, to keep compressed object pointers). */
  readonly maxMi?: number;
}

/**
 * The JVM heap of a container in MiB (`-Xms` = `-Xmx`): `heapSize` when set (the values schema
 * checks it against the memory limit), else half the memory limit, or half the memory request
 * when there is no limit, within `bounds`. The other half is the JVM's off-heap memory (metaspace,
 * threads, direct buffers) and, for Elasticsearch, the file system cache.
 */
export function jvmHeapMi(resources: ResourceValues, heapSize: string | undefined, bounds: HeapBounds = {}, valuesPath?: string): number {
  if (heapSize !== undefined) return toMebibytes(heapSize);
  const memory = resources.limits.memory ?? resources.requests.memory;
  // Located at the slice's memory limit (or request) when the caller names its values path.
  const at = (key: 'limits' | 'requests') => (valuesPath ? { path: [valuesPath, 'resources', key, 'memory'] } : {});
  if (memory === undefined) throw new ConfigError('a JVM heap needs resources.limits.memory or resources.requests.memory', at('limits'));
  const half = Math.floor(toMebibytes(memory) / 2);
  const heap = Math.min(Math.max(half, bounds.minMi ?? 0), bounds.maxMi ?? Infinity);
  if (heap < 1) {
    throw new ConfigError(
      `memory ${memory} leaves no JVM heap (half of it is under 1Mi): raise resources.limits.memory`,
      at(resources.limits.memory !== undefined ? 'limits' : 'requests'),
    );
  }
  return heap;
}

/** The JVM options of a fixed heap: `-Xms<mi>m -Xmx<mi>m` (equal, so the heap never resizes). */
export function jvmHeapOptions(heapMi: number): string {
  return `-Xms${heapMi}m -Xmx${heapMi}m`;
}
