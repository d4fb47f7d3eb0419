import { parseArgs } from 'node:util';

/** Parsed command line. */
export interface CliOptions {
  /** Values files in order; later files win. */
  readonly valuesFiles: string[];
  /** `--set` flags in order; they win over files. */
  readonly sets: string[];
  /** Release name (default aiops-platform). */
  readonly release: string;
  /** Namespace (default aiops-platform). */
  readonly namespace: string;
  /** Output folder (default dist, or $CDK8S_OUTDIR under `cdk8s synth`). */
  readonly output: string;
  /** Warnings become errors (default false). */
  readonly strict: boolean;
  readonly help: boolean;
  /** Write the values JSON Schema to this file instead of rendering. */
  readonly writeSchema?: string | undefined;
  /** Write the Markdown values reference to this file instead of rendering (with writeSchema, both). */
  readonly writeValuesDoc?: string | undefined;
}

/** A command-line mistake; exit code 2. */
export class UsageError extends Error {
  readonly exitCode = 2;
}

export const USAGE = `Usage: npm run synth -- [options]      (or: npx cdk8s synth)

Renders the AIOps platform's Kubernetes manifests from values.

Options:
  -f, --values FILE     values file (repeatable; later files win, maps merge, lists replace)
      --set KEY=VALUE   set a value (repeatable; a.b=c, a.b[0]=x, list={x,y}, numbers and
                        true/false are typed; escape . , = with \\)
      --release NAME    release name, the prefix of every object name (default aiops-platform)
      --namespace NS    namespace of every object (default aiops-platform)
      --output DIR      output folder, replaced only when rendering succeeds (default dist)
      --strict          treat warnings as errors
      --write-schema F  write the values JSON Schema to F and exit
      --write-values-doc F
                        write the Markdown values reference to F and exit (with
                        --write-schema, both are written)
  -h, --help            show this help

Exit codes: 0 rendered, 1 unexpected error, 2 invalid values or usage (the output folder is untouched).`;

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Parses argv (without node and script); throws {@link UsageError} on mistakes. */
export function parseCli(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): CliOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        values: { type: 'string', short: 'f', multiple: true, default: [] },
        set: { type: 'string', multiple: true, default: [] },
        release: { type: 'string', default: 'aiops-platform' },
        namespace: { type: 'string', default: 'aiops-platform' },
        output: { type: 'string', default: env.CDK8S_OUTDIR || 'dist' },
        strict: { type: 'boolean', default: false },
        'write-schema': { type: 'string' },
        'write-values-doc': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n\n${USAGE}`);
  }
  const v = parsed.values;
  for (const [flag, value, max] of [
    ['--release', v.release, 53],
    ['--namespace', v.namespace, 63],
  ] as const) {
    if (!DNS_LABEL.test(value) || value.length > max) {
      throw new UsageError(`${flag} "${value}": expected a DNS-1123 label (lower-case letters, digits and '-', at most ${max} characters)`);
    }
  }
  return {
    valuesFiles: v.values,
    sets: v.set,
    release: v.release,
    namespace: v.namespace,
    output: v.output,
    strict: v.strict,
    help: v.help,
    writeSchema: v['write-schema'],
    writeValuesDoc: v['write-values-doc'],
  };
}
