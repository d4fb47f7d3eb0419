import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCli, UsageError, USAGE } from './cli/args.js';
import { render } from './cli/render.js';
import { ConfigError } from './lib/errors.js';
import { summary } from './cli/summary.js';
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
 * Runs the CLI and returns its exit code. This module is the only one that touches the file
 * system and the process: it reads the command line and values files, renders, writes the output
 * folder atomically and prints.
 */
export function run(argv: readonly string[], env: Readonly<Record<string, string | undefined>>, out: Output): number {
  try {
    return synth(argv, env, out);
  } catch (error) {
    if (error instanceof ValuesError || error instanceof UsageError || error instanceof ConfigError) {
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
  if (options.writeSchema || options.writeValuesDoc) {
    if (options.writeSchema) writeGenerated(options.writeSchema, `${JSON.stringify(valuesJsonSchema(), null, 2)}\n`, out);
    if (options.writeValuesDoc) writeGenerated(options.writeValuesDoc, valuesReference(), out);
    return 0;
  }
  const files = options.valuesFiles.map((name) => ({ name, text: readValuesFile(name) }));
  const { values } = loadValues({ files, sets: options.sets });
  const rendered = render(values, options.release, options.namespace);
  for (const warning of rendered.warnings) out.stderr(`warning: ${warning}\n`);
  if (options.strict && rendered.warnings.length > 0) {
    out.stderr(`error: ${rendered.warnings.length} warning(s) and --strict: nothing written\n`);
    return 2;
  }
  replaceFolder(options.output, rendered.files);
  out.stdout(`${summary(rendered, { ...options, development: values.global.development })}\n`);
  return 0;
}

/** Writes a generated file (schema, reference), creating its folder. */
function writeGenerated(file: string, text: string, out: Output): void {
  mkdirSync(dirname(resolve(file)), { recursive: true });
  writeFileSync(file, text);
  out.stdout(`Wrote ${file}\n`);
}

function readValuesFile(name: string): string {
  try {
    return readFileSync(name, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a folder' : (error as Error).message;
    throw new ValuesError([{ location: name, path: '', message: `cannot read values file: ${why}` }]);
  }
}

/**
 * Writes the files into a fresh sibling folder, then swaps it in place of `folder`. A folder that
 * holds anything but YAML files is never replaced.
 */
function replaceFolder(folder: string, files: Record<string, string>): void {
  const target = resolve(folder);
  if (existsSync(target)) {
    const foreign = readdirSync(target, { withFileTypes: true }).filter((e) => !e.isFile() || !/\.ya?ml$/.test(e.name));
    if (foreign.length > 0) {
      throw new UsageError(
        `--output ${folder}: the folder holds ${foreign.map((e) => e.name).slice(0, 3).join(', ')}, which are not manifests; refusing to replace it`,
      );
    }
  }
  const staging = `${target}.tmp-${process.pid}`;
  const previous = `${target}.old-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(staging, name)), { recursive: true });
    writeFileSync(join(staging, name), text);
  }
  if (existsSync(target)) renameSync(target, previous);
  renameSync(staging, target);
  rmSync(previous, { recursive: true, force: true });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = run(process.argv.slice(2), process.env, {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
  });
}
