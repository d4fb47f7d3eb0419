import { Chart, Testing } from 'cdk8s';
import { createPlatformContext, type PlatformContext } from '../../src/lib/context.js';
import { loadValues } from '../../src/values/load.js';
import type { Values } from '../../src/values/schema/index.js';
import { STAND_IN_CODE } from './service-code.js';

/** The objects a construct rendered, its context, the warnings it gave and what `build` returned. */
export interface ConstructRender<T = unknown> {
  readonly objects: any[];
  readonly warnings: string[];
  readonly values: Values;
  readonly ctx: PlatformContext;
  /** What `build` returned (the construct, or its connection). */
  readonly built: T;
}

/**
 * Renders one construct on its own: validates `valuesYaml` like the CLI, builds the platform
 * context (release and namespace aiops-platform, the stand-in bundles of the platform services)
 * and calls `build` inside a fresh chart.
 */
export function renderConstruct<T>(valuesYaml: string, build: (chart: Chart, ctx: PlatformContext, values: Values) => T): ConstructRender<T> {
  const { values } = loadValues({ files: [{ name: 'values.yaml', text: valuesYaml }], sets: [] });
  const warnings: string[] = [];
  const ctx = createPlatformContext(values, 'aiops-platform', 'aiops-platform', (m) => warnings.push(m), undefined, STAND_IN_CODE);
  const app = Testing.app();
  const chart = new Chart(app, 'test', { disableResourceNameHashes: true });
  const built = build(chart, ctx, values);
  return { objects: Testing.synth(chart), warnings, values, ctx, built };
}
