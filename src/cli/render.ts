import { App, Yaml } from 'cdk8s';
import { PlatformChart } from '../chart.js';
import type { Values } from '../values/schema/index.js';
import { hideMaps, restoreMaps } from './opaque-maps.js';

/** The result of one render. */
export interface Rendered {
  /** Output file name → YAML contents. */
  readonly files: Record<string, string>;
  /** Every object, in output order. */
  readonly objects: Record<string, unknown>[];
  readonly warnings: string[];
}

/**
 * Renders the platform from validated values. Pure: no file system, no process state. Objects are
 * synthesized once; string maps cdk8s would mishandle (prototype-named keys, large maps) travel
 * around its serializer (see opaque-maps.ts).
 */
export function render(values: Values, release: string, namespace: string): Rendered {
  const app = new App({ outdir: 'unused' });
  const chart = new PlatformChart(app, release, { values, release, namespace });
  const vault = hideMaps(chart);
  const objects = restoreMaps(chart.toJson() as Record<string, unknown>[], vault);
  return { files: { [`${release}.k8s.yaml`]: Yaml.stringify(...objects) }, objects, warnings: chart.warnings };
}
