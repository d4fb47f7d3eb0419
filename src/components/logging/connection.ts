import type { SnapshotRepository } from '../../plan/logging.js';

/**
 * How the logging components reach Elasticsearch: the contract between the Elasticsearch
 * construct (which provides it) and Logstash, Kibana, Grafana and the setup Job (which use it).
 */
export interface ElasticsearchConnection {
  /** Client Service name, e.g. aiops-platform-elasticsearch. */
  readonly serviceName: string;
  /** Fully qualified Service host. */
  readonly host: string;
  /** HTTP port (9200). */
  readonly port: number;
  /** In-cluster base URL, e.g. `http://aiops-platform-elasticsearch.aiops-platform.svc.cluster.local:9200`. */
  readonly url: string;
  /** X-Pack security on (`elasticsearch.auth.enabled`): clients authenticate with basic auth. */
  readonly authEnabled: boolean;
  /** Secret holding the passwords under {@link ElasticsearchConnection.keys} (undefined when auth is off). */
  readonly secretName?: string | undefined;
  /** Keys of that Secret. */
  readonly keys: {
    /** Password of the `elastic` superuser (setup Job only). */
    readonly elastic: 'elastic-password';
    /** Password of the built-in `kibana_system` user (Kibana). */
    readonly kibanaSystem: 'kibana-system-password';
    /** Password of the `logstash_writer` user (Logstash). */
    readonly logstashWriter: 'logstash-writer-password';
    /** Password of the `logs_reader` user (Grafana's log datasource: read-only on the log indices). */
    readonly logsReader: 'logs-reader-password';
    /** Password of the `metrics_reader` user (the exporter: cluster and index monitoring only). */
    readonly metricsReader: 'metrics-reader-password';
  };
  /** User names of the clients. */
  readonly users: {
    readonly kibana: 'kibana_system';
    readonly logstash: 'logstash_writer';
    readonly logsReader: 'logs_reader';
    readonly metricsReader: 'metrics_reader';
  };
  /** Prefix of the log indices Logstash writes (`<prefix>-YYYY.MM.dd`); ILM policy and index template match `<prefix>-*`. */
  readonly indexPrefix: string;
  /**
   * The snapshot repository the setup Job registers and the backup CronJob uses (undefined without
   * backups); with security on, the Secret also holds {@link SNAPSHOT_MANAGER}'s password.
   */
  readonly snapshots?: SnapshotRepository | undefined;
}

/** The Secret keys and users of {@link ElasticsearchConnection}, in one place. */
export const ELASTICSEARCH_CREDENTIALS = {
  keys: {
    elastic: 'elastic-password',
    kibanaSystem: 'kibana-system-password',
    logstashWriter: 'logstash-writer-password',
    logsReader: 'logs-reader-password',
    metricsReader: 'metrics-reader-password',
  },
  users: { kibana: 'kibana_system', logstash: 'logstash_writer', logsReader: 'logs_reader', metricsReader: 'metrics_reader' },
} as const;

/**
 * The user the snapshot CronJob signs in as (security on, snapshots on): a role of its own with
 * `create_snapshot` (create, list, inspect) and the one action that deletes snapshots; its
 * password is this key of the Elasticsearch credentials Secret (derived from the elastic one
 * unless an existing Secret holds it). Only there when snapshots are, so existing Secrets without
 * backups need no new key.
 */
export const SNAPSHOT_MANAGER = { user: 'snapshot_manager', key: 'snapshot-manager-password' } as const;

/** Prefix of the platform's log indices. */
export const LOG_INDEX_PREFIX = 'aiops-logs';
