import { CATALOG } from '../../plan/catalog.js';
import type { Values } from '../../values/schema/index.js';

/**
 * Container ports of Traefik's entry points. All above 1024, so Traefik binds them as the
 * non-root uid 65532 without NET_BIND_SERVICE; the Service maps 80 and 443 onto the first two.
 */
export const TRAEFIK_PORTS = CATALOG.traefik.ports;

/** Ports of the Service in front of Traefik: web 80 → 8000, websecure 443 → 8443. */
export const SERVICE_PORTS = { web: 80, websecure: 443 } as const;

const SECTION = Symbol('traefik section');

/**
 * A section of the static configuration that is enabled by its presence (a pointer in Traefik's
 * Go configuration): rendered as `--<path>=true` before its options, as Traefik's CLI reference
 * writes it (`--ping=true`, `--metrics.prometheus=true`).
 */
export type Section<T extends object = Record<never, never>> = T & { readonly [SECTION]: true };

/** Marks `options` as a {@link Section}. */
function section<T extends object>(options: T): Section<T> {
  return Object.assign({ [SECTION]: true as const }, options);
}

/** Traefik's log levels. */
export type TraefikLogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

/** `entryPoints.<name>` of the static configuration (the keys this chart sets). */
export interface TraefikEntryPoint {
  /** Listen address, e.g. `:8000/tcp`. */
  readonly address: string;
  /** Routers without explicit entry points attach to the entry points marked default. */
  readonly asDefault?: boolean;
  readonly http?: {
    /** TLS on every router of this entry point (the certificates come from the Ingress TLS Secrets). */
    readonly tls?: Section;
    /** Redirect every request of this entry point (HTTP → HTTPS). */
    readonly redirections?: { readonly entryPoint: { readonly to: string; readonly scheme: 'https'; readonly permanent: boolean } };
  };
}

/** The static configuration of Traefik v3 this chart sets, keyed as in `traefik.yml`. */
export interface TraefikStaticConfig {
  readonly global: { readonly checkNewVersion: boolean; readonly sendAnonymousUsage: boolean };
  readonly log: { readonly level: TraefikLogLevel };
  readonly accessLog: Section<{ readonly format: 'json' | 'common' }>;
  readonly entryPoints: Readonly<Record<string, TraefikEntryPoint>>;
  readonly ping: Section<{ readonly entryPoint: string }>;
  readonly metrics: {
    readonly prometheus: Section<{
      readonly entryPoint: string;
      readonly buckets: readonly number[];
      readonly addEntryPointsLabels: boolean;
      readonly addServicesLabels: boolean;
    }>;
  };
  readonly providers: {
    readonly kubernetesIngress: Section<{
      readonly namespaces: readonly string[];
      readonly ingressClass: string;
      readonly strictPrefixMatching: boolean;
      readonly allowEmptyServices: boolean;
      readonly ingressEndpoint: { readonly publishedService: string };
    }>;
    /** Present only when the chart renders Traefik custom resources (the gateway's login Middlewares). */
    readonly kubernetesCRD?: Section<{
      readonly namespaces: readonly string[];
      readonly allowEmptyServices: boolean;
    }>;
  };
}

/** What the static configuration depends on. */
export interface TraefikConfigOptions {
  /** The one namespace the Ingress provider watches (the platform namespace). */
  readonly namespace: string;
  /** IngressClass whose Ingresses this Traefik serves. */
  readonly ingressClassName: string;
  /** `<namespace>/<service>` whose load-balancer address goes into the Ingress status. */
  readonly publishedService: string;
  /** `global.logLevel`. */
  readonly logLevel: Values['global']['logLevel'];
  /** Latency histogram buckets in seconds (`traefik.latencyBuckets`). */
  readonly latencyBuckets: readonly number[];
  /** Redirect HTTP to HTTPS (any `ingress.tls` entry). */
  readonly tls: boolean;
  /** Turn on the kubernetesCRD provider in the same namespace, for the chart's Middlewares (default false). */
  readonly crdProvider?: boolean;
}

const LOG_LEVELS: Record<Values['global']['logLevel'], TraefikLogLevel> = { debug: 'DEBUG', info: 'INFO', warn: 'WARN', error: 'ERROR' };

/**
 * The static configuration:
 * - `web` and `websecure` are the only default entry points, so Ingress routers (which name none)
 *   never attach to the metrics or ping ports; `websecure` terminates TLS;
 * - with TLS, `web` redirects permanently to HTTPS on `:443`, the Service port: naming the
 *   `websecure` entry point instead would redirect to its container port 8443
 *   (traefik/traefik-helm-chart#166; the official chart renders `to=:<exposedPort>` too);
 * - Prometheus metrics on their own entry point, with per-service and per-entry-point labels and
 *   the latency buckets from values; access logs as JSON on stdout; `/ping` on the internal
 *   `traefik` entry point for the probes;
 * - the Ingress provider watches one namespace and one IngressClass, matches `Prefix` paths
 *   element-wise as the Ingress specification says (`strictPrefixMatching`, Traefik ≥ 3.5:
 *   `/ai` matches `/ai/x` but not `/aix`) and publishes the Service address in the Ingress status;
 * - `allowEmptyServices` on both Kubernetes providers: a backend without a ready endpoint (Kibana
 *   while it starts) keeps its router and answers 503; with Traefik's default (false) the router
 *   is dropped and `/kibana/…` falls through to the `/` catch-all (the API gateway), a 404;
 * - with `crdProvider`, the kubernetesCRD provider in the same one namespace (the chart's
 *   Middlewares, referenced from Ingress annotations as `<ns>-<name>@kubernetescrd`). It cannot be
 *   narrowed to some kinds: it starts informers for all ten traefik.io kinds, so every one of
 *   their CRDs must be installed in the cluster (see {@link Traefik} for its RBAC);
 * - no version check or usage statistics (offline clusters); no API or dashboard: no `--api*` flag
 *   at all, because any `api.*` option would create the `api` section and enable the API.
 */
export function traefikStaticConfig(o: TraefikConfigOptions): TraefikStaticConfig {
  const address = (port: number) => `:${port}/tcp`;
  return {
    global: { checkNewVersion: false, sendAnonymousUsage: false },
    log: { level: LOG_LEVELS[o.logLevel] },
    accessLog: section({ format: 'json' }),
    entryPoints: {
      web: {
        address: address(TRAEFIK_PORTS.web),
        asDefault: true,
        ...(o.tls ? { http: { redirections: { entryPoint: { to: `:${SERVICE_PORTS.websecure}`, scheme: 'https', permanent: true } } } } : {}),
      },
      websecure: { address: address(TRAEFIK_PORTS.websecure), asDefault: true, http: { tls: section({}) } },
      metrics: { address: address(TRAEFIK_PORTS.metrics) },
      traefik: { address: address(TRAEFIK_PORTS.traefik) },
    },
    ping: section({ entryPoint: 'traefik' }),
    metrics: {
      prometheus: section({ entryPoint: 'metrics', buckets: o.latencyBuckets, addEntryPointsLabels: true, addServicesLabels: true }),
    },
    providers: {
      kubernetesIngress: section({
        namespaces: [o.namespace],
        ingressClass: o.ingressClassName,
        strictPrefixMatching: true,
        allowEmptyServices: true,
        ingressEndpoint: { publishedService: o.publishedService },
      }),
      ...(o.crdProvider ? { kubernetesCRD: section({ namespaces: [o.namespace], allowEmptyServices: true }) } : {}),
    },
  };
}

/**
 * The static configuration as command-line flags, in the order built: `--a.b.c=value` for every
 * leaf, lists joined by commas, `--<path>=true` for every {@link Section}. Traefik's flags are
 * case-insensitive; the keys keep the spelling of `traefik.yml`.
 */
export function traefikArgs(config: TraefikStaticConfig): string[] {
  const args: string[] = [];
  const visit = (path: string, value: unknown): void => {
    if (value === undefined) return;
    if (Array.isArray(value)) {
      args.push(`--${path}=${value.join(',')}`);
    } else if (typeof value === 'object' && value !== null) {
      if (SECTION in value) args.push(`--${path}=true`);
      for (const [key, child] of Object.entries(value)) visit(path ? `${path}.${key}` : key, child);
    } else {
      args.push(`--${path}=${String(value)}`);
    }
  };
  visit('', config);
  return args;
}
