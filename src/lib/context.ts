import type { Values } from '../values/schema/index.js';
import { ConfigError, reportProblem, type ProblemSink } from './errors.js';
import { NO_SERVICE_CODE, type ServiceCode } from './service-code.js';

/** What every component receives besides its own values slice. Built once by the chart. */
export interface PlatformContext extends ProblemSink {
  /** Release name, the prefix of every object name (default aiops-platform). */
  readonly release: string;
  /** Namespace of every namespaced object (default aiops-platform). */
  readonly namespace: string;
  /** True in the development profile. */
  readonly development: boolean;
  /** `global.*` values. */
  readonly global: Values['global'];
  /**
   * Namespace of the node agents that need host access (node-exporter, the log shipper):
   * `<namespace>-node-agents`, the one namespace allowed the privileged Pod Security level.
   */
  readonly agentsNamespace: string;
  /** Public base URL (`https://aiops.example.com`) of the first Ingress host; undefined without Ingress. */
  readonly publicBaseUrl: string | undefined;
  /** `secrets.*` values (external secret management). */
  readonly secrets: Values['secrets'];
  /** Records a warning for the user; `--strict` turns warnings into errors. */
  warn(message: string): void;
  /** The bundled code of the platform services, by component name (src/lib/service-code.ts). */
  readonly serviceCode: ServiceCode;
}

/**
 * Builds the context the chart hands to every component. With `report`, configuration problems are
 * collected (the render goes on, so all are reported at once); without it, the first one is thrown.
 * `serviceCode` gives the platform services' bundles (default none).
 */
export function createPlatformContext(
  values: Values,
  release: string,
  namespace: string,
  warn: (message: string) => void,
  report?: (problem: ConfigError) => void,
  serviceCode: ServiceCode = NO_SERVICE_CODE,
): PlatformContext {
  const sink: ProblemSink = { report };
  return {
    release,
    namespace,
    agentsNamespace: agentsNamespaceOf(namespace, sink),
    publicBaseUrl: publicBaseUrlOf(values),
    development: values.global.development,
    global: values.global,
    secrets: values.secrets,
    warn,
    report,
    serviceCode,
  };
}

/** `<namespace>-node-agents`, checked against the 63-character limit of namespace names. */
function agentsNamespaceOf(namespace: string, sink: ProblemSink): string {
  const name = `${namespace}-node-agents`;
  if (name.length > 63) {
    reportProblem(
      sink,
      new ConfigError(`namespace "${namespace}" is too long: the node agents' namespace "${name}" would exceed 63 characters; use at most 51`, {
        flag: '--namespace',
      }),
    );
  }
  return name;
}

/** `https://host` of the first Ingress host (http when no TLS entry names it); undefined without Ingress. */
function publicBaseUrlOf(values: Values): string | undefined {
  if (!values.ingress.enabled) return undefined;
  const host = values.ingress.hosts[0]!.host;
  const tls = values.ingress.tls.some((t) => t.hosts.includes(host));
  return `${tls ? 'https' : 'http'}://${host}`;
}
