import { existsSync, mkdirSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCli, UsageError, USAGE, type CliOptions } from './cli/args.js';
import { readEnvironmentFolder } from './cli/environment-folder.js';
import { readInputs, reason } from './cli/input-files.js';
import { HELM_FOLDER, stageOutputFolder, writeOutputFolder, type OutputStaging } from './cli/output-folder.js';
import { estimateReleaseSecretBytes, helmChart, SECRET_LIMIT_BYTES } from './cli/helm-chart.js';
import { isServiceCodeConfigMap } from './components/aiops/platform-service.js';
import type { Rendered } from './cli/render.js';
import type { Values } from './values/schema/index.js';
import { APP_VERSION } from './values/schema/images.js';
import { withoutCredentials } from './values/redact.js';
import { render } from './cli/render.js';
import { renderEnvironments } from './cli/render-environments.js';
import { BundleError, ensureServiceBundles } from './cli/service-bundles.js';
import { ConfigError } from './lib/errors.js';
import { footprint, footprintTable } from './cli/footprint.js';
import { environmentsSummary, summary } from './cli/summary.js';
import type { ServiceCode } from './lib/service-code.js';
import { ValuesError } from './values/issues.js';
import { valuesJsonSchema } from './values/json-schema.js';
import { loadValues } from './values/load.js';
import { valuesReference } from './values/values-doc.js';

/** Where the CLI prints. */
export interface Output {
  stdout(text: string): void;
  stderr(text: string): void;
}

/**
 * Runs the CLI and returns its exit code. This module (with cli/input-files.ts,
 * cli/environment-folder.ts, cli/output-folder.ts and cli/service-bundles.ts, which it calls) is the only one that touches the
 * file system and the process: it reads the command line and values files, makes the platform
 * services' bundles fresh, renders, writes the output folder atomically and prints. Expected
 * failures (values, usage, files that cannot be read or written) exit 2 with a message, services
 * that do not bundle exit 1 with esbuild's; anything else exits 1 with a stack trace.
 */
export function run(argv: readonly string[], env: Readonly<Record<string, string | undefined>>, out: Output): number {
  try {
    return synth(argv, env, out);
  } catch (error) {
    if (error instanceof ValuesError || error instanceof UsageError || error instanceof ConfigError || error instanceof BundleError) {
      out.stderr(`error: ${error.message}\n`);
      return error.exitCode;
    }
    out.stderr(`error: ${(error as Error).stack ?? String(error)}\n`);
    return 1;
  }
}

function synth(argv: readonly string[], env: Readonly<Record<string, string | undefined>>, out: Output): number {
  const options = parseCli(argv, env);
  if (options.help) {
    out.stdout(`${USAGE}\n`);
    return 0;
  }
  if (options.writeSchema !== undefined || options.writeValuesDoc !== undefined) {
    if (options.writeSchema !== undefined) writeGenerated('--write-schema', options.writeSchema, `${JSON.stringify(valuesJsonSchema(), null, 2)}\n`, out);
    if (options.writeValuesDoc !== undefined) writeGenerated('--write-values-doc', options.writeValuesDoc, valuesReference(), out);
    return 0;
  }
  if (options.environments !== undefined) return synthEnvironments(options, options.environments, out);
  const phases = new Phases(env.AIOPS_SYNTH_TIMING === '1');
  const inputs = readInputs(options.valuesFiles, options.sets);
  const { values, source } = loadValues({ files: inputs.files, sets: inputs.sets, issues: [...options.problems, ...inputs.issues] });
  phases.end('values');
  // The platform services' code: bundles rebuilt here when their sources changed, never stale.
  const bundles = new Map(ensureServiceBundles().map((bundle) => [bundle.name, bundle.code]));
  phases.end('service bundles');
  const rendered = render(values, options.release, options.namespace, source, (service) => bundles.get(service));
  phases.end('render');
  for (const warning of rendered.warnings) out.stderr(`warning: ${warning}\n`);
  if (options.strict && rendered.warnings.length > 0) {
    out.stderr(`error: ${rendered.warnings.length} warning(s) and --strict: nothing written\n`);
    return 2;
  }
  const files = options.format === 'helm' ? helmFiles(rendered, values, options) : rendered.files;
  writeOutputFolder(options.output, files, inputs.ids);
  phases.end('write');
  const resources = footprint(rendered.objects);
  if (options.report === 'json') out.stdout(`${JSON.stringify({ release: options.release, namespace: options.namespace, ...resources }, null, 2)}\n`);
  else out.stdout(`${summary(rendered, { ...options, development: values.global.development, written: files })}\n\n${footprintTable(resources)}\n`);
  phases.report(out);
  return 0;
}

/**
 * `--format helm`: the render as a Helm chart in `<output>/helm/` (cli/helm-chart.ts), its
 * values.yaml without credentials. Refused (exit 2, nothing written) when Helm could not store the
 * release: Helm keeps each release in a Secret (the chart and the manifest, gzipped), and a
 * Secret holds at most 1 MiB; the platform services' bundled code (≈ 570 KB of base64, counted
 * twice) is what passes it, so the message names the images that replace it.
 */
function helmFiles(rendered: Rendered, values: Values, options: CliOptions): Record<string, string> {
  const chart = helmChart({
    // The connection tests too: their `helm.sh/hook: test` annotations make them `helm test`'s Pods, never installed.
    objects: [...rendered.objects, ...rendered.testObjects],
    release: options.release,
    namespace: options.namespace,
    chartVersion: options.chartVersion,
    appVersion: APP_VERSION,
    values: withoutCredentials(values),
  });
  const bytes = estimateReleaseSecretBytes(chart, { release: options.release, namespace: options.namespace });
  if (bytes > SECRET_LIMIT_BYTES) {
    const code = rendered.objects.filter(isServiceCodeConfigMap).map((o) => (o.metadata as { name: string }).name);
    throw new UsageError(
      `--format helm: Helm would store this release in a Secret of ≈ ${Math.ceil(bytes / 1024)} KiB, over the 1 MiB a Secret may hold` +
        (code.length > 0 ? `; the platform services' bundled code (${code.join(', ')}) is most of it: run them from images (aiEngine.image, apiGateway.image, selfHealing.image; README, "Platform service images"), or apply the manifests without Helm` : ''),
    );
  }
  return Object.fromEntries(Object.entries(chart).map(([name, text]) => [`${HELM_FOLDER}/${name}`, text]));
}

/** With AIOPS_SYNTH_TIMING=1, the time of each phase of a render, printed on stderr (`npm run bench` reads it). */
class Phases {
  private readonly times: string[] = [];
  private last = performance.now();
  constructor(private readonly enabled: boolean) {}
  end(name: string): void {
    const now = performance.now();
    this.times.push(`${name} ${(now - this.last).toFixed(1)} ms`);
    this.last = now;
  }
  report(out: Output): void {
    if (this.enabled) out.stderr(`synth: ${this.times.join(', ')}\n`);
  }
}

/**
 * `--environments`: reads the folder's environment files and the shared inputs, loads and renders
 * every environment (the service bundles made fresh once), staging each one's files as it renders,
 * and only when all succeeded (and, under `--strict`, none warned) swaps `<output>/<name>/` in for
 * all of them at once.
 */
function synthEnvironments(options: CliOptions, folder: string, out: Output): number {
  const started = performance.now();
  const shared = readInputs(options.valuesFiles, options.sets);
  const found = readEnvironmentFolder(folder);
  let bundles: ServiceCode | undefined;
  const serviceCode = (): ServiceCode => {
    if (!bundles) {
      const code = new Map(ensureServiceBundles().map((bundle) => [bundle.name, bundle.code]));
      bundles = (service) => code.get(service);
    }
    return bundles;
  };
  if (found.environments.length === 0) throw new ValuesError([...options.problems, ...shared.issues, ...found.issues]);
  // Each environment's files are staged as soon as it rendered (a run keeps no render in memory)
  // and swapped in only when every environment rendered (and, under --strict, none warned).
  let staging: OutputStaging | undefined;
  let stagingError: UsageError | undefined;
  const stage = (name: string, files: Record<string, string>) => {
    if (stagingError) return;
    try {
      staging ??= stageOutputFolder(options.output, [...shared.ids, ...found.environments.map((e) => e.file.id)]);
      for (const [file, text] of Object.entries(files)) staging.write(`${name}/${file}`, text);
    } catch (error) {
      if (!(error instanceof UsageError)) throw error;
      staging = undefined;
      stagingError = error;
    }
  };
  let renders;
  try {
    renders = renderEnvironments(
      found.environments,
      { files: shared.files, sets: shared.sets, issues: [...options.problems, ...shared.issues], release: options.release, namespace: options.namespace },
      serviceCode,
      stage,
    );
  } catch (error) {
    staging?.discard();
    // The folder's problems (a file that is not an environment) come first, with every environment's.
    if (error instanceof ValuesError && found.issues.length > 0) throw new ValuesError([...found.issues, ...error.issues]);
    throw error;
  }
  if (found.issues.length > 0 || stagingError) {
    staging?.discard();
    if (found.issues.length > 0) throw new ValuesError(found.issues);
    throw stagingError!;
  }
  const warnings = renders.flatMap((r) => r.rendered.warnings.map((warning) => `${r.name}: ${warning}`));
  for (const warning of warnings) out.stderr(`warning: ${warning}\n`);
  if (options.strict && warnings.length > 0) {
    staging?.discard();
    out.stderr(`error: ${warnings.length} warning(s) and --strict: nothing written\n`);
    return 2;
  }
  staging!.commit();
  if (options.report === 'json') {
    const report = Object.fromEntries(renders.map((r) => [r.name, { release: r.release, namespace: r.namespace, ...r.rendered.footprint }]));
    out.stdout(`${JSON.stringify({ environments: report }, null, 2)}\n`);
  } else out.stdout(`${environmentsSummary(renders, { output: options.output, seconds: (performance.now() - started) / 1000 })}\n`);
  return 0;
}

/**
 * Writes a generated file (schema, reference), creating its folder: into a temporary sibling
 * first, then renamed over the file (through a symbolic link to its target), so a failed write
 * leaves the previous file whole.
 */
function writeGenerated(flag: string, file: string, text: string, out: Output): void {
  let target = resolve(file);
  let temporary: string | undefined;
  try {
    if (existsSync(target)) target = realpathSync(target);
    if (existsSync(target) && !statSync(target).isFile()) throw new UsageError(`${flag} ${file}: is a folder or not a regular file; give a file name`);
    mkdirSync(dirname(target), { recursive: true });
    temporary = `${target}.tmp-${process.pid}`;
    rmSync(temporary, { force: true });
    writeFileSync(temporary, text);
    renameSync(temporary, target);
    temporary = undefined;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === undefined) throw error;
    throw new UsageError(`${flag} ${file}: cannot write: ${reason(error)}`);
  } finally {
    if (temporary) rmSync(temporary, { force: true });
  }
  out.stdout(`Wrote ${file}\n`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = run(process.argv.slice(2), process.env, {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
  });
}
