import { App } from 'cdk8s';
import { PlatformChart } from '../chart.js';
import type { Values } from '../values/schema/index.js';

/** The result of one render. */
export interface Rendered {
  /** Output file name → YAML contents. */
  readonly files: Record<string, string>;
  /** Every object, in output order. */
  readonly objects: Record<string, unknown>[];
  readonly warnings: string[];
}

/** Renders the platform from validated values. Pure: no file system, no process state. */
export function render(values: Values, release: string, namespace: string): Rendered {
  const app = new App({ outdir: 'unused' });
  const chart = new PlatformChart(app, release, { values, release, namespace });
  const objects = chart.toJson() as Record<string, unknown>[];
  return { files: { [`${release}.k8s.yaml`]: app.synthYaml() }, objects, warnings: chart.warnings };
}
