import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApiException, KubeConfig, KubernetesObjectApi } from '@kubernetes/client-node';
import { parseCli, UsageError } from './cli/args.js';
import { readInputs } from './cli/input-files.js';
import { render } from './cli/render.js';
import { BundleError, ensureServiceBundles } from './cli/service-bundles.js';
import type { KubeJson } from './cli/verify/compare.js';
import { verifyCluster, verifyReportText, type ClusterReader } from './cli/verify/verify.js';
import { ConfigError } from './lib/errors.js';
import { ValuesError } from './values/issues.js';
import { loadValues } from './values/load.js';
import type { Output } from './main.js';

/** The flags of verify besides synth's values, release and namespace flags. */
export const VERIFY_USAGE = `Usage: npm run verify -- [synth's -f/--set/--release/--namespace flags] [options]

Renders the platform as synth does and compares it with a live cluster: every object must exist,
workloads' images, resources and replicas and the NetworkPolicies must be as rendered, and every
Deployment, StatefulSet and DaemonSet must roll out (progress on stderr).

Options:
      --kubeconfig FILE  kubeconfig (default: $KUBECONFIG, then ~/.kube/config)
      --context NAME     context of the kubeconfig (default: its current context)
      --timeout SECONDS  how long to wait for the rollouts (default 300; 0 checks once)

Exit codes: 0 everything present, as rendered and rolled out; 1 something missing, drifted or not
rolled out in time; 2 invalid values or flags, or the cluster cannot be reached.`;

/** The verify command: renders, reads the cluster, prints the report; returns the exit code. */
export async function runVerify(argv: readonly string[], env: Readonly<Record<string, string | undefined>>, out: Output): Promise<number> {
  try {
    const own = { kubeconfig: undefined as string | undefined, context: undefined as string | undefined, timeout: 300 };
    const rest: string[] = [];
    for (let i = 0; i < argv.length; i++) {
      const arg = argv[i]!;
      const [flag, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
      if (flag === '--kubeconfig' || flag === '--context' || flag === '--timeout') {
        const value = inline ?? argv[++i];
        if (value === undefined || value === '') throw new UsageError(`${flag} needs a value`);
        if (flag === '--timeout') {
          if (!/^\d+$/.test(value)) throw new UsageError(`--timeout ${JSON.stringify(value)}: expected whole seconds`);
          own.timeout = Number(value);
        } else own[flag.slice(2) as 'kubeconfig' | 'context'] = value;
      } else rest.push(arg);
    }
    const options = parseCli(rest, env);
    if (options.help) {
      out.stdout(`${VERIFY_USAGE}\n`);
      return 0;
    }
    const inputs = readInputs(options.valuesFiles, options.sets);
    const { values, source } = loadValues({ files: inputs.files, sets: inputs.sets, issues: [...options.problems, ...inputs.issues] });
    const bundles = new Map(ensureServiceBundles().map((bundle) => [bundle.name, bundle.code]));
    const { objects } = render(values, options.release, options.namespace, source, (service) => bundles.get(service));

    const kc = new KubeConfig();
    const kubeconfig = own.kubeconfig ?? env.KUBECONFIG;
    if (kubeconfig) kc.loadFromFile(kubeconfig);
    else kc.loadFromDefault();
    if (own.context !== undefined) {
      if (!kc.getContexts().some((c) => c.name === own.context)) throw new UsageError(`--context ${own.context}: not in the kubeconfig (it has ${kc.getContexts().map((c) => c.name).join(', ') || 'none'})`);
      kc.setCurrentContext(own.context);
    }
    const report = await verifyCluster(objects as KubeJson[], clusterReader(kc), {
      timeoutMs: own.timeout * 1000,
      onProgress: (waiting, elapsed) =>
        out.stderr(`waiting ${Math.round(elapsed / 1000)} s for ${waiting.length} rollout(s): ${waiting.map((c) => `${c.id} ${c.rollout!.ready}/${c.rollout!.desired}`).join(', ')}\n`),
    });
    out.stdout(`${verifyReportText(report)}\n`);
    return report.ok ? 0 : 1;
  } catch (error) {
    if (error instanceof ValuesError || error instanceof UsageError || error instanceof ConfigError || error instanceof BundleError || error instanceof ClusterError) {
      out.stderr(`error: ${error.message}\n`);
      return error instanceof BundleError ? 1 : 2;
    }
    throw error;
  }
}

/** The cluster cannot be read (unreachable, refused, forbidden): exit 2. */
class ClusterError extends Error {}

/** Reads live objects with @kubernetes/client-node's generic client (it discovers each kind's resource). */
function clusterReader(kc: KubeConfig): ClusterReader {
  const client = KubernetesObjectApi.makeApiClient(kc);
  return {
    async read(object) {
      try {
        const spec = { apiVersion: object.apiVersion, kind: object.kind, metadata: { name: object.metadata.name, ...(object.metadata.namespace ? { namespace: object.metadata.namespace } : {}) } };
        return JSON.parse(JSON.stringify(await client.read(spec))) as KubeJson;
      } catch (error) {
        if (error instanceof ApiException && error.code === 404) return undefined;
        const what = `${object.kind} ${object.metadata.name}`;
        throw new ClusterError(`cannot read ${what} from ${kc.getCurrentCluster()?.server ?? 'the cluster'}: ${error instanceof ApiException ? `HTTP ${error.code}` : (error as Error).message}`);
      }
    },
  };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  runVerify(process.argv.slice(2), process.env, { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) }).then(
    (code) => (process.exitCode = code),
    (error: Error) => {
      process.stderr.write(`error: ${error.stack ?? String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
