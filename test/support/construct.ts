import { Chart, Testing } from 'cdk8s';
import { createPlatformContext, type PlatformContext } from '../../src/lib/context.js';
import { loadValues } from '../../src/values/load.js';
import type { Values } from '../../src/values/schema/index.js';

/** The objects a construct rendered, its context and the warnings it gave. */
export interface ConstructRender {
  readonly objects: any[];
  readonly warnings: string[];
  readonly values: Values;
  readonly ctx: PlatformContext;
}

/**
 * Renders one construct on its own: validates `valuesYaml` like the CLI, builds the platform
 * context (release and namespace aiops-platform) and calls `build` inside a fresh chart.
 */
export function renderConstruct(valuesYaml: string, build: (chart: Chart, ctx: PlatformContext, values: Values) => void): ConstructRender {
  const { values } = loadValues({ files: [{ name: 'values.yaml', text: valuesYaml }], sets: [] });
  const warnings: string[] = [];
  const ctx = createPlatformContext(values, 'aiops-platform', 'aiops-platform', (m) => warnings.push(m));
  const app = Testing.app();
  const chart = new Chart(app, 'test', { disableResourceNameHashes: true });
  build(chart, ctx, values);
  return { objects: Testing.synth(chart), warnings, values, ctx };
}
