import { collectDefaultMetrics, Histogram, Registry } from 'prom-client';

/** A service's own metrics registry (never prom-client's global one) with the kit's standard metrics. */
export interface ServiceMetrics {
  readonly registry: Registry;
  /** `http_request_duration_seconds{method,route,status}`: route is the registered pattern, or `unmatched`. */
  readonly httpDuration: Histogram<'method' | 'route' | 'status'>;
}

/** Process metrics (`process_*`, `nodejs_*`) and the request histogram on a new registry labelled `service`. */
export function createMetrics(service: string): ServiceMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  const httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Duration of HTTP requests served on the main port, by method, route pattern and status.',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  return { registry, httpDuration };
}
