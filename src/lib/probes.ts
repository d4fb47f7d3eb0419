import { k8s } from './k8s.js';

/** Timings of a probe; the defaults suit most services. */
export interface ProbeTiming {
  /** Seconds before the first probe (default 0; use a startup probe for slow starts). */
  readonly initialDelaySeconds?: number;
  /** Seconds between probes (default 10). */
  readonly periodSeconds?: number;
  /** Seconds before a probe times out (default 5). */
  readonly timeoutSeconds?: number;
  /** Consecutive failures that count as failed (default 6). */
  readonly failureThreshold?: number;
}

/** The three probes of a long-running container. */
export interface ContainerProbes {
  readinessProbe: k8s.Probe;
  livenessProbe: k8s.Probe;
  startupProbe?: k8s.Probe;
}

type Action = Pick<k8s.Probe, 'exec' | 'httpGet' | 'tcpSocket'>;

function probe(action: Action, timing: ProbeTiming = {}): k8s.Probe {
  return {
    ...action,
    initialDelaySeconds: timing.initialDelaySeconds ?? 0,
    periodSeconds: timing.periodSeconds ?? 10,
    timeoutSeconds: timing.timeoutSeconds ?? 5,
    failureThreshold: timing.failureThreshold ?? 6,
    successThreshold: 1,
  };
}

/** A probe action that runs a command in the container. */
export const execAction = (command: string[]): Action => ({ exec: { command } });

/** A probe action that sends an HTTP GET to a named or numbered port. */
export const httpAction = (path: string, port: string | number): Action => ({
  httpGet: { path, port: typeof port === 'number' ? k8s.IntOrString.fromNumber(port) : k8s.IntOrString.fromString(port) },
});

/** A probe action that opens a TCP connection. */
export const tcpAction = (port: string | number): Action => ({
  tcpSocket: { port: typeof port === 'number' ? k8s.IntOrString.fromNumber(port) : k8s.IntOrString.fromString(port) },
});

/**
 * Readiness, liveness and (when `startupSeconds` is given) a startup probe with the same action:
 * the startup probe allows a slow first start, liveness then restarts a hung process.
 * `livenessAction` and `startupAction` replace the action of those two probes (default: `action`),
 * e.g. a TCP check for a server whose HTTP health depends on another service.
 */
export function probes(
  action: Action,
  opts: { readiness?: ProbeTiming; liveness?: ProbeTiming; startupSeconds?: number; livenessAction?: Action; startupAction?: Action } = {},
): ContainerProbes {
  const result: ContainerProbes = {
    readinessProbe: probe(action, { periodSeconds: 10, failureThreshold: 3, ...opts.readiness }),
    livenessProbe: probe(opts.livenessAction ?? action, { periodSeconds: 20, failureThreshold: 6, ...opts.liveness }),
  };
  if (opts.startupSeconds) {
    result.startupProbe = probe(opts.startupAction ?? action, { periodSeconds: 5, failureThreshold: Math.ceil(opts.startupSeconds / 5) });
  }
  return result;
}
