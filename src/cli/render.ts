import { App } from 'cdk8s';
import { PlatformChart } from '../chart.js';
import { ConfigError } from '../lib/errors.js';
import type { ValuesSource } from '../values/load.js';
import type { Values } from '../values/schema/index.js';
import { hideMaps, restoreMaps } from '../lib/opaque-maps.js';
import { manifestYaml } from '../lib/yaml-output.js';
import { annotateExemptions } from '../core/audit-exemptions.js';
import { isConnectionTestObject } from '../components/tests/connection-tests.js';
import type { ServiceCode } from '../lib/service-code.js';
import { renderProblemsError, type RenderFlags } from './render-problems.js';
import { applysetFiles } from './applyset.js';
import { APPLYSET_FOLDER, TESTS_FOLDER } from './output-layout.js';

/** The result of one render. */
export interface Rendered {
  /** Output file name → YAML contents: the manifests, and the ApplySet's bootstrap files in `applyset/` (cli/applyset.ts). */
  readonly files: Record<string, string>;
  /** Every object, in output order. */
  readonly objects: Record<string, unknown>[];
  /**
   * The connection test objects (Helm test hooks), in output order: written apart, to
   * `tests/<release>-tests.k8s.yaml`, so that `kubectl apply -f <output>/` (not recursive) leaves them out.
   */
  readonly testObjects: Record<string, unknown>[];
  readonly warnings: string[];
}

/**
 * Renders the platform from validated values. Pure: no file system, no process state. Every
 * configuration problem found while building is collected and thrown at the end as one
 * ValuesError, located through `source` (the loaded values' files and flags). Objects are
 * synthesized once and written by lib/yaml-output.ts (cdk8s' YAML, faster); string maps cdk8s would mishandle (prototype-named keys, large maps) travel
 * around its serializer (see lib/opaque-maps.ts). `serviceCode` gives the platform services'
 * bundles (the CLI reads build/services after ensureServiceBundles(); tests hand fixed stand-ins);
 * `at` locates release and namespace problems where an environment file sets them.
 */
export function render(values: Values, release: string, namespace: string, source?: ValuesSource, serviceCode?: ServiceCode, at?: Pick<RenderFlags, 'releaseAt' | 'namespaceAt'>): Rendered {
  const problems: ConfigError[] = [];
  const fail = () => renderProblemsError(problems, { release, namespace, ...at }, source);
  const app = new App({ outdir: 'unused' });
  let chart: PlatformChart;
  try {
    chart = new PlatformChart(app, release, { values, release, namespace, report: (problem) => problems.push(problem), serviceCode });
  } catch (error) {
    // A problem that stops the build: reported with those collected before it.
    if (!(error instanceof ConfigError)) throw error;
    problems.push(error);
    throw fail();
  }
  if (problems.length > 0) throw fail();
  const vault = hideMaps(chart);
  // One synthesis (cdk8s resolves and validates the whole app on each toJson), then the connection
  // tests put apart; every deliberate deviation from the auditors' checks marked with its reason (core/audit-exemptions.ts).
  const all = restoreMaps(chart.toJson() as Record<string, unknown>[], vault);
  const objects = annotateExemptions(all.filter((o) => !isConnectionTestObject(o)));
  const testObjects = all.filter(isConnectionTestObject);
  const tests = testObjects.length > 0 ? { [testsFileName(release)]: manifestYaml(testObjects) } : {};
  const applyset = Object.entries(applysetFiles(release)).map(([name, text]) => [`${APPLYSET_FOLDER}/${name}`, text]);
  return { files: { [`${release}.k8s.yaml`]: manifestYaml(objects), ...Object.fromEntries(applyset), ...tests }, objects, testObjects, warnings: chart.warnings };
}

/** The file of the connection tests, in their subfolder: `tests/<release>-tests.k8s.yaml`. */
export function testsFileName(release: string): string {
  return `${TESTS_FOLDER}/${release}-tests.k8s.yaml`;
}
