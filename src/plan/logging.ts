import type { PlatformContext } from '../lib/context.js';
import { CRONJOB_NAME_MAX, serviceUrl, STATEFULSET_NAME_MAX } from '../lib/names.js';
import type { Values } from '../values/schema/index.js';
import { ROUTE_PREFIXES } from '../values/schema/ingress-routes.js';
import { CATALOG } from './catalog.js';
import type { ComponentPlan, RouteLogin, ServedPlan } from './component.js';
import { connect, type Connected } from './connections.js';
import { apiServer, podsOf, tcp, use, WORLD, type Endpoint, type Use } from './network.js';
import { parseEndpoint } from '../values/schema/backup-elasticsearch.js';
import { servedComponent, workloadPlan } from './served.js';

const { elasticsearch: ES, transportCa: CA, elasticsearchSetup: SETUP, elasticsearchBackup: BACKUP, logstash: LS, filebeat: FB, kibana: KB } = CATALOG;

/** Elasticsearch: StatefulSet and Service `<release>-elasticsearch`. */
export interface ElasticsearchPlan extends ServedPlan {
  /** Headless Service of the StatefulSet (`<name>-headless`): the pods' DNS names. */
  readonly headless: string;
  /** In-cluster base URL, e.g. `http://aiops-platform-elasticsearch.aiops-platform.svc.cluster.local:9200`. */
  readonly url: string;
  /** X-Pack security (`elasticsearch.auth.enabled`): clients authenticate. */
  readonly authEnabled: boolean;
  /** TLS between the nodes: security on and more than one node (the transport-CA Job makes the certificates). */
  readonly transportTls: boolean;
  /** elasticsearch_exporter sidecar (`elasticsearch.exporter.enabled`). */
  readonly exporter: Endpoint | undefined;
  /** The snapshot repository (`backup.enabled` and `backup.elasticsearch.enabled`), undefined without backups. */
  readonly snapshots: SnapshotRepository | undefined;
}

/**
 * The snapshot repository of Elasticsearch: its values (`backup.elasticsearch`), the name prefix of
 * the snapshots the CronJob takes (`<release>`), and for `fs` the claim every node mounts.
 */
export interface SnapshotRepository {
  readonly values: Values['backup']['elasticsearch'];
  /** Snapshots are `<prefix>-<UTC yyyy.mm.dd-HHMMSS>`; the CronJob's retention only counts and deletes names of that form. */
  readonly snapshotPrefix: string;
  /** The fs repository's PersistentVolumeClaim, `<release>-elasticsearch-snapshots`. */
  readonly claimName: string;
  /** The name of the repository-s3 client whose settings (elasticsearch.yml) and keys (keystore) the repository uses. */
  readonly s3Client: string;
}

/** Logstash: Deployment and Service `<release>-logstash`. */
export interface LogstashPlan extends ServedPlan, Connected<{ elasticsearch: ServedPlan }> {
  /** The Beats input ({@link ServedPlan.port}). */
  readonly beatsPort: number;
}

/** The logging components that render: each needs the one it sends to; the skipped ones are explained in `warnings`. */
export interface LoggingPlan {
  readonly elasticsearch: ElasticsearchPlan | undefined;
  readonly transportCa: ComponentPlan | undefined;
  readonly elasticsearchSetup: ComponentPlan | undefined;
  /** The snapshot CronJob (`backup.elasticsearch`). */
  readonly elasticsearchBackup: ComponentPlan | undefined;
  readonly logstash: LogstashPlan | undefined;
  readonly filebeat: (ComponentPlan & Connected<{ logstash: ServedPlan }>) | undefined;
  readonly kibana: (ServedPlan & Connected<{ elasticsearch: ServedPlan }>) | undefined;
  readonly warnings: readonly string[];
}

/** The snapshot repository when `backup` turns Elasticsearch snapshots on. */
export function snapshotRepository(ctx: PlatformContext, backup: Values['backup'] | undefined): SnapshotRepository | undefined {
  if (!backup?.enabled || !backup.elasticsearch.enabled) return undefined;
  return { values: backup.elasticsearch, snapshotPrefix: ctx.release, claimName: podsOf(ctx, ES.id, BACKUP.snapshotsRole).name, s3Client: 'backup' };
}

/**
 * The nodes' connection to the s3 repository's endpoint. NetworkPolicies match addresses, never
 * host names: the egress allows the endpoint's port to any address.
 */
function snapshotEgress(repository: SnapshotRepository | undefined): Use[] {
  if (repository?.values.type !== 's3') return [];
  const { endpoint, protocol } = repository.values.s3;
  const parsed = endpoint === '' ? undefined : parseEndpoint(endpoint);
  const port = (typeof parsed === 'object' ? parsed.port : undefined) ?? (protocol === 'https' ? 443 : 80);
  return use({ peer: WORLD, ports: tcp(port) }, 'Elasticsearch nodes write and read snapshots in the s3 repository');
}

export function elasticsearchPlan(ctx: PlatformContext, v: Values['elasticsearch'], backup?: Values['backup']): ElasticsearchPlan {
  const served = servedComponent(ctx, ES.id, ES.port, { maxName: STATEFULSET_NAME_MAX });
  const { pods } = served;
  const transportTls = v.auth.enabled && v.replicas > 1;
  const snapshots = snapshotRepository(ctx, backup);
  return {
    ...served,
    headless: podsOf(ctx, ES.id, 'headless').name,
    url: serviceUrl(ctx, pods.name, ES.port),
    authEnabled: v.auth.enabled,
    transportTls,
    exporter: v.exporter.enabled ? { peer: pods, ports: tcp(ES.exporterPort) } : undefined,
    snapshots,
    uses: [
      ...(v.replicas > 1 ? use({ peer: pods, ports: tcp(ES.transportPort) }, 'Elasticsearch nodes: discovery, cluster state, shard replication') : []),
      ...snapshotEgress(snapshots),
    ],
  };
}

export function loggingPlan(ctx: PlatformContext, v: Values): LoggingPlan {
  const warnings: string[] = [];
  const es = v.elasticsearch.enabled ? elasticsearchPlan(ctx, v.elasticsearch, v.backup) : undefined;
  const logstashOn = v.logstash.enabled && Boolean(es);
  const filebeatOn = v.filebeat.enabled && logstashOn;
  if (v.logstash.enabled && !logstashOn) warnings.push('logstash.enabled but elasticsearch.enabled is false: Logstash is not rendered (it has nowhere to send logs)');
  if (v.filebeat.enabled && v.elasticsearch.enabled && !filebeatOn) warnings.push('filebeat.enabled but logstash.enabled is false: Filebeat is not rendered (it ships to Logstash)');
  if (v.kibana.enabled && !v.elasticsearch.enabled) warnings.push('kibana.enabled but elasticsearch.enabled is false: Kibana is not rendered');
  const logstash = es && logstashOn ? logstashPlan(ctx, es) : undefined;
  return {
    elasticsearch: es,
    transportCa: es?.transportTls ? workloadPlan(ctx, CA.id, { role: CA.role, uses: [apiServer('the transport-CA Job reads and creates its Secret')] }) : undefined,
    elasticsearchSetup: es
      ? workloadPlan(ctx, SETUP.id, { role: SETUP.role, maxName: CRONJOB_NAME_MAX, uses: use(es.endpoint, 'the setup Job and CronJob apply ILM, the index template and the users') })
      : undefined,
    elasticsearchBackup: es?.snapshots
      ? workloadPlan(ctx, BACKUP.id, { role: BACKUP.role, maxName: CRONJOB_NAME_MAX, uses: use(es.endpoint, 'the backup CronJob takes, lists and deletes snapshots') })
      : undefined,
    logstash,
    filebeat: logstash && filebeatOn ? filebeatPlan(ctx, logstash) : undefined,
    kibana: es && v.kibana.enabled ? kibanaPlan(ctx, v.ingress.enabled, es) : undefined,
    warnings,
  };
}

function logstashPlan(ctx: PlatformContext, es: ElasticsearchPlan): LogstashPlan {
  const c = connect({ elasticsearch: es }, { elasticsearch: 'Logstash writes the log indices' });
  return { ...servedComponent(ctx, LS.id, LS.beatsPort, { uses: c.uses }), beatsPort: LS.beatsPort, connections: c.connections };
}

/** Filebeat runs in the node agents' namespace. */
function filebeatPlan(ctx: PlatformContext, logstash: LogstashPlan): ComponentPlan & Connected<{ logstash: ServedPlan }> {
  const c = connect({ logstash }, { logstash: 'Filebeat ships the container logs to the Beats input' });
  const uses = [...c.uses, apiServer('Filebeat add_kubernetes_metadata reads pods, namespaces and nodes')];
  return { ...workloadPlan(ctx, FB.id, { namespace: ctx.agentsNamespace, uses }), connections: c.connections };
}

/** Kibana under `/kibana`: its own login with Elasticsearch security, none without (then routed only behind the gateway's ForwardAuth). */
function kibanaPlan(ctx: PlatformContext, routed: boolean, es: ElasticsearchPlan): ServedPlan & Connected<{ elasticsearch: ServedPlan }> {
  const c = connect({ elasticsearch: es }, { elasticsearch: 'Kibana reads logs and keeps its saved objects' });
  const login: RouteLogin = es.authEnabled ? 'own' : 'none';
  const routes = routed ? [{ path: ROUTE_PREFIXES.kibana, login }] : [];
  return { ...servedComponent(ctx, KB.id, KB.port, { uses: c.uses, routes }), connections: c.connections };
}
