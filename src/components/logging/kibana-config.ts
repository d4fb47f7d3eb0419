import { toMebibytes } from '../../core/quantity.js';
import type { Values } from '../../values/schema/index.js';

/** Kibana's log levels that `global.logLevel` maps onto one to one. */
type KibanaLogLevel = Values['global']['logLevel'];

/**
 * The kibana.yml the platform renders, with Kibana's dotted setting names. It holds no secret:
 * passwords and keys are `${VAR}` references that Kibana expands from the container's environment
 * at startup (and refuses to start when a referenced variable is missing).
 */
export interface KibanaYml {
  'server.host': string;
  'server.port': number;
  /** Name shown in Kibana and in its status API. */
  'server.name': string;
  /** Path Kibana is served under; with rewriteBasePath Kibana serves only under it (404 elsewhere). */
  'server.basePath': string;
  'server.rewriteBasePath': boolean;
  /** URL users reach Kibana at (links, redirects); must end with basePath. */
  'server.publicBaseUrl': string;
  'elasticsearch.hosts': string[];
  /** `kibana_system`; absent when Elasticsearch security is off. */
  'elasticsearch.username'?: string;
  /** `${KIBANA_SYSTEM_PASSWORD}`; absent when Elasticsearch security is off. */
  'elasticsearch.password'?: string;
  'xpack.security.encryptionKey': string;
  /** Secure flag on the session cookie: true when users reach Kibana over https (TLS ends at the Ingress). */
  'xpack.security.secureCookies': boolean;
  'xpack.encryptedSavedObjects.encryptionKey': string;
  'xpack.reporting.encryptionKey': string;
  /** No usage data leaves the cluster, and users cannot turn it on. */
  'telemetry.optIn': false;
  'telemetry.allowChangingOptInStatus': false;
  /** No newsfeed fetched from elastic.co (offline clusters). */
  'newsfeed.enabled': false;
  'logging.root.level': KibanaLogLevel;
}

/** Environment variable the kibana_system password is read into (from the Elasticsearch Secret). */
export const KIBANA_SYSTEM_PASSWORD_ENV = 'KIBANA_SYSTEM_PASSWORD';

/**
 * The three encryption keys: values key → environment variable and key in the `<release>-kibana`
 * Secret. The variable names match none of the names the image's kibana-docker entrypoint turns
 * into settings (those are setting names in capitals, e.g. XPACK_SECURITY_ENCRYPTIONKEY).
 */
export const KIBANA_ENCRYPTION_KEYS = {
  security: { env: 'KIBANA_SECURITY_ENCRYPTION_KEY', secretKey: 'security-encryption-key' },
  savedObjects: { env: 'KIBANA_SAVED_OBJECTS_ENCRYPTION_KEY', secretKey: 'saved-objects-encryption-key' },
  reporting: { env: 'KIBANA_REPORTING_ENCRYPTION_KEY', secretKey: 'reporting-encryption-key' },
} as const satisfies Record<keyof Values['kibana']['encryptionKeys'], { env: string; secretKey: string }>;

/** A reference Kibana replaces with the value of an environment variable. */
const envRef = (name: string) => `\${${name}}`;

/** What kibana.yml is built from. */
export interface KibanaYmlOptions {
  readonly name: string;
  readonly port: number;
  readonly basePath: string;
  readonly publicBaseUrl: string;
  readonly elasticsearchUrl: string;
  /** User Kibana authenticates to Elasticsearch as; undefined when security is off. */
  readonly elasticsearchUsername?: string | undefined;
  readonly logLevel: KibanaLogLevel;
}

/** Builds kibana.yml. */
export function kibanaYml(o: KibanaYmlOptions): KibanaYml {
  return {
    'server.host': '0.0.0.0',
    'server.port': o.port,
    'server.name': o.name,
    'server.basePath': o.basePath,
    'server.rewriteBasePath': true,
    'server.publicBaseUrl': o.publicBaseUrl,
    'elasticsearch.hosts': [o.elasticsearchUrl],
    ...(o.elasticsearchUsername
      ? { 'elasticsearch.username': o.elasticsearchUsername, 'elasticsearch.password': envRef(KIBANA_SYSTEM_PASSWORD_ENV) }
      : {}),
    'xpack.security.encryptionKey': envRef(KIBANA_ENCRYPTION_KEYS.security.env),
    'xpack.security.secureCookies': o.publicBaseUrl.startsWith('https://'),
    'xpack.encryptedSavedObjects.encryptionKey': envRef(KIBANA_ENCRYPTION_KEYS.savedObjects.env),
    'xpack.reporting.encryptionKey': envRef(KIBANA_ENCRYPTION_KEYS.reporting.env),
    // `telemetry.enabled: false` is deprecated in Kibana 8 and rewritten to exactly these two.
    'telemetry.optIn': false,
    'telemetry.allowChangingOptInStatus': false,
    'newsfeed.enabled': false,
    'logging.root.level': o.logLevel,
  };
}

/** Share of the container memory limit given to the Node.js heap (as ECK does for Kibana). */
const KIBANA_HEAP_PERCENT = 75;

/**
 * NODE_OPTIONS for a memory limit: `--max-old-space-size` = 75 % of the limit in MiB, rounded down,
 * so the heap grows as far as the limit allows while leaving room for buffers and native memory
 * (the ECK operator sizes Kibana's heap the same way). Undefined without a memory limit: Node then
 * chooses. The variable comes after the image's config/node.options, so it wins.
 */
export function kibanaNodeOptions(memoryLimit: string | undefined): string | undefined {
  if (memoryLimit === undefined) return undefined;
  return `--max-old-space-size=${Math.floor((toMebibytes(memoryLimit) * KIBANA_HEAP_PERCENT) / 100)}`;
}
