import { ELASTICSEARCH_CREDENTIALS, LOG_INDEX_PREFIX, type ElasticsearchConnection } from '../../src/components/logging/connection.js';

/** Host of the Elasticsearch client Service of the default release. */
export const ES_HOST = 'aiops-platform-elasticsearch.aiops-platform.svc.cluster.local';

/**
 * An Elasticsearch connection as the Elasticsearch construct hands it over, built by hand so a
 * client construct can be tested alone (security on, credentials in `secretName`).
 */
export function sampleElasticsearch(opts: { authEnabled?: boolean; secretName?: string } = {}): ElasticsearchConnection {
  const authEnabled = opts.authEnabled ?? true;
  return {
    serviceName: 'aiops-platform-elasticsearch',
    host: ES_HOST,
    port: 9200,
    url: `http://${ES_HOST}:9200`,
    authEnabled,
    secretName: authEnabled ? (opts.secretName ?? 'es-credentials') : undefined,
    ...ELASTICSEARCH_CREDENTIALS,
    indexPrefix: LOG_INDEX_PREFIX,
  };
}
