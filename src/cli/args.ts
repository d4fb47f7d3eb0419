import { parseArgs } from 'node:util';
import type { ValuesIssue } from '../values/issues.js';
import type { SetFlag } from '../values/set-flag.js';

/** Parsed command line. */
export interface CliOptions {
  /** Values files in order; later files win. */
  readonly valuesFiles: string[];
  /** `--set`, then `--set-string`, then `--set-file` flags (Helm's order), each kind in command-line order; they win over files. */
  readonly sets: SetFlag[];
  /** Mistakes in flag values (`--release`, `--namespace`), reported together with the values' problems. */
  readonly problems: ValuesIssue[];
  /** Release name (default aiops-platform). */
  readonly release: string;
  /** Namespace (default aiops-platform). */
  readonly namespace: string;
  /** Output folder (default dist, or $CDK8S_OUTDIR under `cdk8s synth`). */
  readonly output: string;
  /**
   * Folder of environment files (`<name>.yaml`, see cli/environment-file.ts): each is rendered into
   * `<output>/<name>/`, all in one run (default none: one render into the output folder).
   */
  readonly environments?: string | undefined;
  /** Warnings become errors (default false). */
  readonly strict: boolean;
  /** How the render's footprint is printed: a table after the summary, or JSON alone on stdout for CI (default table). */
  readonly report: 'table' | 'json';
  /** What is written: the manifests (`<release>.k8s.yaml`), or a Helm chart in `<output>/helm/` (default manifests). */
  readonly format: 'manifests' | 'helm';
  /** Chart.yaml `version` with `--format helm` (default 0.1.0; SemVer 2, as Helm requires). */
  readonly chartVersion: string;
  readonly help: boolean;
  /** Write the values JSON Schema to this file instead of rendering. */
  readonly writeSchema?: string | undefined;
  /** Write the Markdown values reference to this file instead of rendering (with writeSchema, both). */
  readonly writeValuesDoc?: string | undefined;
}

/** A command-line mistake, or an output the CLI cannot write; exit code 2. */
export class UsageError extends Error {
  readonly exitCode = 2;
}

export const USAGE = `Usage: npm run synth -- [options]      (or: npx cdk8s synth)

Renders the AIOps platform's Kubernetes manifests from values.

Options:
  -f, --values FILE     values file (repeatable; later files win, maps merge, lists replace,
                        null restores the default)
      --set KEY=VALUE   set a value (repeatable; a.b=c, a.b[0]=x, list={x,y}, numbers and
                        true/false are typed; escape . , = with \\)
      --set-string KEY=VALUE
                        like --set, but every value stays a string (e.g. a password 1234)
      --set-file KEY=FILE
                        set a value to the contents of FILE
      --release NAME    release name, the prefix of every object name (default aiops-platform)
      --namespace NS    namespace of every object (default aiops-platform)
      --output DIR      output folder, replaced only when rendering succeeds (default dist);
                        refused when it holds files this tool did not write
      --environments DIR
                        render every DIR/<name>.yaml (or .yml) into <output>/<name>/, all or
                        nothing; each file holds values, layered on the -f files and under the
                        --set flags (which apply to every environment), plus two optional
                        top-level keys that are not values: release and namespace (the
                        --release and --namespace flags are their defaults). e.g. envs/prod.yaml:
                          release: shop
                          namespace: shop-prod
                          global: {development: false}
      --strict          treat warnings as errors
      --format manifests|helm
                        write the manifests (default), or a Helm chart in <output>/helm/
                        (helm install/upgrade/rollback/list work on it; see the README)
      --chart-version V the chart's version with --format helm (default 0.1.0, SemVer)
      --report table|json
                        the footprint (each workload's pods, CPU and memory requests and
                        limits, storage, and the totals): a table after the summary
                        (default), or JSON alone on stdout, for CI
      --write-schema F  write the values JSON Schema to F and exit
      --write-values-doc F
                        write the Markdown values reference to F and exit (with
                        --write-schema, both are written)
  -h, --help            show this help

Exit codes: 0 rendered, 1 unexpected error, 2 invalid values, usage or an output that cannot be
written (the output folder is then untouched).`;

/** Options that take one value: given twice is a mistake, not "the last one wins". */
const SINGLE = ['release', 'namespace', 'output', 'environments', 'report', 'format', 'chart-version', 'write-schema', 'write-values-doc'] as const;
/** Namespaces Kubernetes itself uses: the chart would relabel them (Pod Security) or mix with system objects. */
const RESERVED_NAMESPACES = /^(default|kube-.*)$/;
const DNS_1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const DNS_1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** SemVer 2.0.0 (semver.org's expression, build metadata included), as Helm checks Chart.yaml's version. */
const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

/** Parses argv (without node and script); throws {@link UsageError} on mistakes. */
export function parseCli(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): CliOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      tokens: true,
      options: {
        values: { type: 'string', short: 'f', multiple: true, default: [] },
        set: { type: 'string', multiple: true, default: [] },
        'set-string': { type: 'string', multiple: true, default: [] },
        'set-file': { type: 'string', multiple: true, default: [] },
        release: { type: 'string', default: 'aiops-platform' },
        namespace: { type: 'string', default: 'aiops-platform' },
        output: { type: 'string', default: env.CDK8S_OUTDIR || 'dist' },
        environments: { type: 'string' },
        strict: { type: 'boolean', default: false },
        report: { type: 'string', default: 'table' },
        format: { type: 'string', default: 'manifests' },
        'chart-version': { type: 'string' },
        'write-schema': { type: 'string' },
        'write-values-doc': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n\n${USAGE}`);
  }
  for (const token of parsed.tokens) {
    if (token.kind !== 'option') continue;
    const flag = token.rawName.startsWith('--') ? token.rawName : `${token.rawName} (--${token.name})`;
    if (token.value === '') throw new UsageError(`${flag} needs a value, found an empty string`);
    if ((SINGLE as readonly string[]).includes(token.name) && parsed.tokens.filter((t) => t.kind === 'option' && t.name === token.name).length > 1) {
      throw new UsageError(`--${token.name} is given more than once: give it once`);
    }
  }
  const v = parsed.values;
  if (v.report !== 'table' && v.report !== 'json') throw new UsageError(`--report ${JSON.stringify(v.report)}: expected table or json`);
  if (v.format !== 'manifests' && v.format !== 'helm') throw new UsageError(`--format ${JSON.stringify(v.format)}: expected manifests or helm`);
  if (v['chart-version'] !== undefined && v.format !== 'helm') throw new UsageError('--chart-version goes with --format helm');
  if (v['chart-version'] !== undefined && !SEMVER.test(v['chart-version'])) throw new UsageError(`--chart-version ${JSON.stringify(v['chart-version'])}: expected a SemVer 2 version such as 1.4.0 (Helm requires one)`);
  if (v.format === 'helm' && v.environments !== undefined) throw new UsageError('--format helm renders one release: it does not go with --environments');
  // Bad names are reported with the values' problems (one run shows all), not thrown here.
  const problems = [
    ...nameProblem(releaseProblem(v.release), `--release ${JSON.stringify(v.release)}`),
    ...nameProblem(namespaceProblem(v.namespace), `--namespace ${JSON.stringify(v.namespace)}`),
  ];
  return {
    problems,
    valuesFiles: v.values,
    sets: [
      ...v.set.map((text) => ({ kind: 'set' as const, text })),
      ...v['set-string'].map((text) => ({ kind: 'set-string' as const, text })),
      ...v['set-file'].map((text) => ({ kind: 'set-file' as const, text })),
    ],
    release: v.release,
    namespace: v.namespace,
    output: v.output,
    environments: v.environments,
    strict: v.strict,
    report: v.report,
    format: v.format,
    chartVersion: v['chart-version'] ?? '0.1.0',
    help: v.help,
    writeSchema: v['write-schema'],
    writeValuesDoc: v['write-values-doc'],
  };
}

function nameProblem(message: string | undefined, location: string): ValuesIssue[] {
  return message === undefined ? [] : [{ location, path: '', message }];
}

/** What is wrong with a release name (`--release`, or an environment file's `release:`); undefined when nothing. */
export function releaseProblem(value: string): string | undefined {
  return labelProblem(value, DNS_1035_LABEL, 53, "a DNS-1035 label (starts with a lower-case letter; lower-case letters, digits and '-')");
}

/** What is wrong with a namespace (`--namespace`, or an environment file's `namespace:`); undefined when nothing. */
export function namespaceProblem(value: string): string | undefined {
  if (RESERVED_NAMESPACES.test(value)) return 'reserved for Kubernetes itself (default, kube-*); choose a namespace of its own';
  return labelProblem(value, DNS_1123_LABEL, 63, "a DNS-1123 label (lower-case letters, digits and '-')");
}

/** What is wrong with an environment's name (its file name without .yaml, also a folder name); undefined when nothing. */
export function environmentNameProblem(value: string): string | undefined {
  return labelProblem(value, DNS_1123_LABEL, 63, "a DNS-1123 label (lower-case letters, digits and '-')");
}

function labelProblem(value: string, pattern: RegExp, max: number, what: string): string | undefined {
  return pattern.test(value) && value.length <= max ? undefined : `expected ${what}, at most ${max} characters`;
}
