import type { ImageDefaults } from './common.js';

/** The chart's application version: the version label of the bundled platform services. */
export const APP_VERSION = '0.1.0';

/**
 * Pinned upstream images, one place for all of them. Official images only (no Bitnami: its
 * versioned tags moved to a legacy catalog in 2025). Every entry is overridable through values,
 * but `node` and `curl`: `node` is the runtime of the platform services whose code the chart bundles (the AI engine,
 * the API gateway, the self-healing executor), pinned with that code; `<service>.image` replaces
 * both with a user-built image.
 */
export const IMAGES = {
  traefik: { registry: 'docker.io', repository: 'library/traefik', tag: 'v3.7.11' },
  prometheus: { registry: 'quay.io', repository: 'prometheus/prometheus', tag: 'v3.5.0' },
  alertmanager: { registry: 'quay.io', repository: 'prometheus/alertmanager', tag: 'v0.28.1' },
  grafana: { registry: 'docker.io', repository: 'grafana/grafana', tag: '12.1.1' },
  nodeExporter: { registry: 'quay.io', repository: 'prometheus/node-exporter', tag: 'v1.9.1' },
  kubeStateMetrics: { registry: 'registry.k8s.io', repository: 'kube-state-metrics/kube-state-metrics', tag: 'v2.16.0' },
  elasticsearch: { registry: 'docker.elastic.co', repository: 'elasticsearch/elasticsearch', tag: '8.19.3' },
  elasticsearchExporter: { registry: 'quay.io', repository: 'prometheuscommunity/elasticsearch-exporter', tag: 'v1.9.0' },
  logstash: { registry: 'docker.elastic.co', repository: 'logstash/logstash', tag: '8.19.3' },
  filebeat: { registry: 'docker.elastic.co', repository: 'beats/filebeat', tag: '8.19.3' },
  kibana: { registry: 'docker.elastic.co', repository: 'kibana/kibana', tag: '8.19.3' },
  redis: { registry: 'docker.io', repository: 'library/redis', tag: '7.4.5-bookworm' },
  redisExporter: { registry: 'docker.io', repository: 'oliver006/redis_exporter', tag: 'v1.74.0' },
  postgresql: { registry: 'docker.io', repository: 'library/postgres', tag: '17.6-bookworm' },
  postgresExporter: { registry: 'quay.io', repository: 'prometheuscommunity/postgres-exporter', tag: 'v0.17.1' },
  /** Node.js 22 LTS ("Jod") on Debian bookworm, slim: the bundles target node20, so they also run on the Node.js 20 of the tests. */
  node: { registry: 'docker.io', repository: 'library/node', tag: '22.23.4-bookworm-slim' },
  /**
   * curl's official image (Alpine, uid 100), the HTTP client of the connection tests (`helm test`,
   * `dist/tests/`): a test pod of its own, never a workload of the platform. Like `node`, not a values
   * key: `global.imageRegistry` mirrors it with the others.
   */
  curl: { registry: 'docker.io', repository: 'curlimages/curl', tag: '8.15.0' },
} satisfies Record<string, ImageDefaults>;
