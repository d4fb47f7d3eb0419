import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DestinationStream } from 'pino';
import type { Registry } from 'prom-client';
import type * as z from 'zod';
import { commonConfigSchema, ConfigError, KIT_ENV, loadConfig, type CommonConfig, type EnvSchema } from './config.js';
import { createLogger, type Logger } from './log.js';
import { createMetrics } from './metrics.js';
import { createMetricsServer, ServiceServer } from './server.js';

/**
 * Wiring of a platform service: config (common variables + the service's), logger, metrics
 * registry, main and metrics servers, graceful shutdown.
 */

/**
 * Default time in-flight requests get once the listeners are closed. With the drain delay
 * (SHUTDOWN_DELAY_SECONDS, default 5 s) it stays below the pod's terminationGracePeriodSeconds
 * (30 s, src/lib/pod.ts).
 */
export const DEFAULT_SHUTDOWN_GRACE_MS = 20_000;

/** What `build` receives to set the service up. */
export interface BuildContext<C> {
  readonly config: CommonConfig & C;
  readonly log: Logger;
  /** The service's own registry (already has process metrics and the request histogram). */
  readonly registry: Registry;
  /** Register routes and readiness checks on it. */
  readonly server: ServiceServer;
}

/** What `build` may return: resources to release after the last request (pools, timers). */
export interface BuiltService {
  close?(): Promise<void> | void;
}

export interface ServiceDefinition<S extends EnvSchema> {
  /** Service name: the `service` field of every log line and the `service` label of every metric. */
  readonly name: string;
  /** The service's own variables (the common ones of src/core/service-env.ts are always parsed). */
  readonly configSchema?: S;
  readonly build: (ctx: BuildContext<z.output<S>>) => Promise<BuiltService | void> | BuiltService | void;
  /** Time in-flight requests get after SIGTERM before the process gives up with exit 1. */
  readonly shutdownGraceMs?: number;
  /** Time a readiness check may take. */
  readonly readyTimeoutMs?: number;
}

export interface StartOptions {
  /** Environment to read (default process.env). */
  readonly env?: Record<string, string | undefined>;
  /** Log destination (default stdout). */
  readonly logDestination?: DestinationStream;
  /** Interface to listen on (default all). */
  readonly host?: string;
  /** Listen on ephemeral ports instead of PORT and METRICS_PORT (tests). */
  readonly ephemeralPorts?: boolean;
}

/** A started service. */
export interface RunningService {
  readonly log: Logger;
  readonly server: ServiceServer;
  readonly registry: Registry;
  readonly port: number;
  readonly metricsPort: number;
  /**
   * Stops accepting (listeners closed), lets in-flight requests finish, closes idle keep-alive
   * sockets, then releases the service's resources. Resolves 0 when done within the grace, 1 when
   * the grace ran out (remaining connections are destroyed). Calling it again returns the same promise.
   */
  shutdown(reason: string): Promise<0 | 1>;
}

function listen(server: Server, port: number, host: string | undefined): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function closed(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) resolve();
    else server.close(() => resolve());
  });
}

/** Parses the config (throws {@link ConfigError}), builds the service and listens on both ports. */
export async function startService<S extends EnvSchema>(def: ServiceDefinition<S>, opts: StartOptions = {}): Promise<RunningService> {
  const env = opts.env ?? process.env;
  const problems: string[] = [];
  const parse = <T extends EnvSchema>(schema: T): z.output<T> | undefined => {
    try {
      return loadConfig(schema, env);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems.push(...error.lines);
      return undefined;
    }
  };
  const common = parse(commonConfigSchema);
  const own = def.configSchema ? parse(def.configSchema) : {};
  if (problems.length > 0 || !common || !own) throw new ConfigError(problems);
  const config = { ...own, ...common } as CommonConfig & z.output<S>;

  const log = createLogger({
    service: def.name,
    level: config.LOG_LEVEL,
    podName: config.POD_NAME,
    podNamespace: config.POD_NAMESPACE,
    destination: opts.logDestination,
  });
  const metrics = createMetrics(def.name);
  const server = new ServiceServer({ basePath: config.BASE_PATH, log, metrics, readyTimeoutMs: def.readyTimeoutMs });
  const built = (await def.build({ config, log, registry: metrics.registry, server })) ?? {};
  const metricsServer = createMetricsServer(metrics, log);

  const port = await listen(server.server, opts.ephemeralPorts ? 0 : config.PORT, opts.host);
  const metricsPort = await listen(metricsServer, opts.ephemeralPorts ? 0 : config.METRICS_PORT, opts.host);
  log.info({ port, metricsPort, basePath: config.BASE_PATH }, 'listening');

  const grace = def.shutdownGraceMs ?? DEFAULT_SHUTDOWN_GRACE_MS;
  let stopping: Promise<0 | 1> | undefined;
  const shutdown = (reason: string): Promise<0 | 1> => {
    stopping ??= (async () => {
      server.startDraining();
      // Endpoint draining: the pod is removed from its Services' endpoints only after the kubelet
      // saw SIGTERM; until every proxy and Ingress controller has caught up, new connections still
      // arrive. Serve them (readiness already answers 503) before closing the listeners.
      const delayMs = config[KIT_ENV.shutdownDelay] * 1000;
      if (delayMs > 0) {
        log.info({ reason, delayMs }, 'draining: readiness answers 503, still serving until the endpoints are updated');
        await new Promise((r) => setTimeout(r, delayMs));
      }
      // Stop accepting on both ports; idle keep-alive sockets go now, busy ones when their response ends.
      const drained = Promise.all([closed(server.server), closed(metricsServer)]);
      server.server.closeIdleConnections();
      metricsServer.closeIdleConnections();
      // Logged once the listeners are closed: from this line on, a new connection is refused.
      log.info({ reason, graceMs: grace, inFlight: server.activeRequests }, 'shutting down');
      let timer: NodeJS.Timeout | undefined;
      const expired = new Promise<'expired'>((resolve) => {
        timer = setTimeout(() => resolve('expired'), grace);
      });
      const outcome = await Promise.race([drained.then(() => 'drained' as const), expired]);
      clearTimeout(timer);
      if (outcome === 'expired') {
        log.error({ graceMs: grace, inFlight: server.activeRequests }, 'shutdown grace expired with requests in flight');
        server.server.closeAllConnections();
        metricsServer.closeAllConnections();
        return 1;
      }
      try {
        await built.close?.();
      } catch (error) {
        log.error({ err: error }, 'releasing resources failed');
        return 1;
      }
      log.info('stopped');
      return 0;
    })();
    return stopping;
  };

  return { log, server, registry: metrics.registry, port, metricsPort, shutdown };
}

/**
 * The entry point of a service: starts it (a bad variable prints one line per problem on stderr
 * and exits 1), then exits 0 after a graceful shutdown on SIGTERM or SIGINT, 1 when the grace ran out.
 */
export async function runService<S extends EnvSchema>(def: ServiceDefinition<S>): Promise<void> {
  let running: RunningService | undefined;
  let pending: NodeJS.Signals | undefined;
  let signalled = false;
  const stop = (service: RunningService, signal: NodeJS.Signals) => {
    signalled = true;
    void service.shutdown(signal).then((code) => process.exit(code));
  };
  // Installed before starting: a signal during startup shuts down as soon as the service listens.
  const onSignal = (signal: NodeJS.Signals) => {
    if (!running) {
      pending ??= signal;
    } else if (signalled) {
      // A second signal while draining is logged, not fatal: the grace timer decides.
      running.log.warn({ signal }, 'signal while shutting down: still draining');
    } else {
      stop(running, signal);
    }
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  try {
    running = await startService(def);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
    } else {
      process.stderr.write(`${def.name}: failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    }
    process.exit(1);
  }
  if (pending) stop(running, pending);
}
