import { k8s } from '../../lib/k8s.js';
import { Construct } from 'constructs';
import { checksum, yamlFile } from '../../lib/config-files.js';
import { baseContainer } from '../../lib/container.js';
import { createDisruptionBudget } from '../../lib/disruption.js';
import { metadata } from '../../lib/metadata.js';
import { externalUrl, podHost } from '../../lib/names.js';
import { podTemplate } from '../../lib/pod.js';
import { httpAction, probes } from '../../lib/probes.js';
import type { OptionalSourcesScraped } from '../../core/ai-engine-series.js';
import { toBinaryUnits } from '../../core/quantity.js';
import { createServiceAccount, type Rule } from '../../lib/rbac.js';
import { createService } from '../../lib/service.js';
import { createStatefulSet } from '../../lib/statefulset.js';
import { emptyDirVolume } from '../../lib/storage.js';
import { CATALOG } from '../../plan/catalog.js';
import type { ComponentProps } from '../../plan/component.js';
import { prefixedPlan, type PrefixedPlan } from '../../plan/monitoring.js';
import type { Values } from '../../values/schema/index.js';
import {
  PROMETHEUS_BYTE_UNITS,
  PROMETHEUS_ID as ID,
  PROMETHEUS_PATH_PREFIX,
  prometheusConfig,
  RULES_DIR,
  type AlertmanagerTarget,
} from './prometheus-config.js';

/** Props of {@link Prometheus}. */
export interface PrometheusProps extends ComponentProps<Values['prometheus'], PrefixedPlan & { readonly adminApi?: boolean }> {
  /** Alert rule files, file name (`*.yml`) → YAML text: mounted under `rules/` next to prometheus.yml and listed in rule_files. */
  readonly ruleFiles: Readonly<Record<string, string>>;
  /** The Alertmanager that gets the alerts and is scraped (default none: Alertmanager disabled, no alerting block). */
  readonly alertmanager?: AlertmanagerTarget | undefined;
  /** node-exporter runs in `ctx.agentsNamespace` (`nodeExporter.enabled`): its scrape job and a Role to discover it there. */
  readonly nodeExporter: boolean;
  /** kube-state-metrics runs in the platform namespace (`kubeStateMetrics.enabled`): its scrape job. */
  readonly kubeStateMetrics: boolean;
}

/** How Grafana, the AI engine and others query Prometheus. */
export interface PrometheusConnection {
  /** Client Service name, e.g. aiops-platform-prometheus. */
  readonly serviceName: string;
  /** HTTP port (9090). */
  readonly port: number;
  /** Route prefix of the UI and API (/prometheus). */
  readonly pathPrefix: string;
  /** In-cluster base URL with the prefix, e.g. `http://aiops-platform-prometheus.aiops-platform.svc.cluster.local:9090/prometheus`. */
  readonly url: string;
  /** The optional sources of metrics it scrapes: cAdvisor with `prometheus.kubelet.enabled`. */
  readonly scrapes: OptionalSourcesScraped;
  /** Where the TSDB snapshots are taken (admin API on, `backup.prometheus`), else undefined. */
  readonly snapshots?: PrometheusSnapshotSource | undefined;
}

/** Replica 0 of Prometheus, whose admin API takes the snapshots into its data volume. */
export interface PrometheusSnapshotSource {
  /** Replica 0's own URL with the route prefix (through the headless Service), e.g. `http://aiops-platform-prometheus-0.aiops-platform-prometheus-headless.<ns>.svc.cluster.local:9090/prometheus`. */
  readonly url: string;
  /** Its pod name (`<name>-0`), for the backup pod's affinity. */
  readonly podName: string;
  /** Its data volume's claim (`data-<name>-0`) and where Prometheus mounts it (the snapshots are in `<dataDir>/snapshots`). */
  readonly claimName: string;
  readonly dataDir: string;
  /** uid (and gid, fsGroup) Prometheus writes its files as. */
  readonly uid: number;
}

const PORT = CATALOG.prometheus.port;
/** uid/gid `nobody` the official image runs as. */
const PROMETHEUS_UID = 65534;
const CONFIG_DIR = '/etc/prometheus';
const DATA_DIR = '/prometheus';
/** Time the startup probe gives a restarted Prometheus to replay its WAL before liveness applies. */
const WAL_REPLAY_SECONDS = 900;

/** Discovering pods (the `pod` role) needs only list and watch; informers never get single objects. */
const PODS: Rule = { apiGroups: [''], resources: ['pods'], verbs: ['list', 'watch'] };
/** With Alertmanager: pods, plus what the `endpointslice` role (its peers) watches: EndpointSlices and the Services and pods they point at. */
const ENDPOINTSLICE_ROLE: Rule[] = [
  { apiGroups: [''], resources: ['pods', 'services'], verbs: ['list', 'watch'] },
  { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['list', 'watch'] },
];

/**
 * The kubelet job (`kubelet.enabled`), and nothing else cluster-wide: the `node` role lists and
 * watches Nodes; the kubelet authorizes /metrics/cadvisor as `get` on the `nodes/metrics`
 * subresource. Not `nodes/proxy` (the kubelet's exec and logs), not `get` on Nodes.
 */
const KUBELET_RULES: Rule[] = [
  { apiGroups: [''], resources: ['nodes'], verbs: ['list', 'watch'] },
  { apiGroups: [''], resources: ['nodes/metrics'], verbs: ['get'] },
];

/**
 * Prometheus on the official image: StatefulSet `<release>-prometheus` (pod `<release>-prometheus-0`)
 * serving everything under `/prometheus` on 9090, prometheus.yml and the alert rules from a
 * ConfigMap (a change rolls the pods through the `checksum/config` annotation, so no reloader and
 * no lifecycle API), time- and size-based retention so the volume never fills, and namespaced
 * Roles for Kubernetes service discovery of the platform and node-agents namespaces; with
 * `kubelet.enabled`, also the ClusterRole of the kubelet job ({@link KUBELET_RULES}).
 *
 * `replicas` > 1 runs independent HA replicas: each scrapes every target and sends every alert,
 * and Alertmanager deduplicates them (their external labels are identical on purpose).
 */
export class Prometheus extends Construct {
  readonly connection: PrometheusConnection;

  constructor(scope: Construct, id: string, props: PrometheusProps) {
    super(scope, id);
    const { ctx, values } = props;
    const plan: PrefixedPlan & { readonly adminApi?: boolean } = props.plan ?? prefixedPlan(ctx, CATALOG.prometheus, PROMETHEUS_PATH_PREFIX);
    const { name, headless } = plan;
    const version = values.image.tag;

    const ruleNames = Object.keys(props.ruleFiles).sort();
    for (const file of ruleNames) {
      if (!/^[-._a-zA-Z0-9]+\.ya?ml$/.test(file) || file === 'prometheus.yml') {
        throw new Error(`rule file name "${file}" must be a ConfigMap key ending in .yml or .yaml, other than prometheus.yml`);
      }
    }
    const prometheusYml = yamlFile(
      prometheusConfig(ctx, values, {
        ruleFiles: ruleNames,
        alertmanager: props.alertmanager,
        nodeExporter: props.nodeExporter,
        kubeStateMetrics: props.kubeStateMetrics,
      }),
    );
    const config = { 'prometheus.yml': prometheusYml, ...Object.fromEntries(ruleNames.map((file) => [file, props.ruleFiles[file]!])) };
    new k8s.KubeConfigMap(this, 'config', { metadata: metadata(ctx, name, ID, { version }), data: config });

    const serviceAccountName = createServiceAccount(this, ctx, {
      name,
      id: ID,
      apiCalls: 'Kubernetes service discovery: lists and watches the pods (and EndpointSlices) it scrapes; with prometheus.kubelet, the nodes and their cAdvisor metrics through the API server proxy',
      namespaceRules: props.alertmanager ? ENDPOINTSLICE_ROLE : [PODS],
      otherNamespaceRules: props.nodeExporter ? { [ctx.agentsNamespace]: [PODS] } : {},
      clusterRules: values.kubelet.enabled ? KUBELET_RULES : [],
    });

    const prometheus: k8s.Container = {
      ...baseContainer(ctx, 'prometheus', values),
      args: [
        `--config.file=${CONFIG_DIR}/prometheus.yml`,
        `--storage.tsdb.path=${DATA_DIR}`,
        `--storage.tsdb.retention.time=${values.retention}`,
        `--storage.tsdb.retention.size=${toBinaryUnits(values.retentionSize, PROMETHEUS_BYTE_UNITS)}`,
        `--web.listen-address=:${PORT}`,
        `--web.route-prefix=${PROMETHEUS_PATH_PREFIX}`,
        `--web.external-url=${externalUrl(ctx, PROMETHEUS_PATH_PREFIX, { service: name, port: PORT })}`,
        `--log.level=${ctx.global.logLevel}`,
        // The TSDB snapshots of backup.prometheus only (see prometheusBackupPlan for who can reach it).
        ...(plan.adminApi ? ['--web.enable-admin-api'] : []),
      ],
      ports: [{ name: 'http', containerPort: PORT, protocol: 'TCP' }],
      // /-/ready fails until the TSDB is open (WAL replayed); /-/healthy only says the process serves.
      ...probes(httpAction(`${PROMETHEUS_PATH_PREFIX}/-/ready`, 'http'), {
        livenessAction: httpAction(`${PROMETHEUS_PATH_PREFIX}/-/healthy`, 'http'),
        startupSeconds: WAL_REPLAY_SECONDS,
      }),
      volumeMounts: [
        { name: 'config', mountPath: CONFIG_DIR, readOnly: true },
        { name: 'data', mountPath: DATA_DIR },
        // Writable /tmp on the read-only root, e.g. for `tar czf /tmp/prometheus-backup.tar.gz /prometheus`.
        { name: 'tmp', mountPath: '/tmp' },
      ],
    };

    const items = [{ key: 'prometheus.yml', path: 'prometheus.yml' }, ...ruleNames.map((file) => ({ key: file, path: `${RULES_DIR}/${file}` }))];
    const template = podTemplate(ctx, {
      priority: 'critical',
      maxReplicas: values.replicas,
      id: ID,
      version,
      scheduling: values,
      runAs: { user: PROMETHEUS_UID },
      serviceAccountName,
      containers: [prometheus],
      volumes: [
        { name: 'config', configMap: { name, defaultMode: 0o444, items } },
        emptyDirVolume('tmp'),
        // Without a claim the emptyDir is capped at the volume size that retention.size was derived from.
        ...(values.persistence.enabled ? [] : [emptyDirVolume('data', { sizeLimit: values.persistence.size })]),
      ],
      annotations: { 'checksum/config': checksum(config) },
      terminationGracePeriodSeconds: 300,
    });

    // Replicas are independent (no peers): start them together rather than one WAL replay after the other.
    createStatefulSet(this, ctx, {
      name,
      id: ID,
      version,
      serviceName: headless,
      replicas: values.replicas,
      podManagementPolicy: 'Parallel',
      template,
      persistence: values.persistence,
    });

    const ports = [{ name: 'http', port: PORT }];
    createService(this, 'headless', ctx, { name: headless, id: ID, ports, headless: true });
    createService(this, 'service', ctx, { name, id: ID, ports });
    if (values.replicas > 1) createDisruptionBudget(this, ctx, name, ID);

    // The claim the volumeClaimTemplate `data` makes for replica 0.
    const snapshots: PrometheusSnapshotSource | undefined =
      plan.adminApi && values.persistence.enabled
        ? { url: `http://${podHost(ctx, name, 0, headless)}:${PORT}${plan.pathPrefix}`, podName: `${name}-0`, claimName: `data-${name}-0`, dataDir: DATA_DIR, uid: PROMETHEUS_UID }
        : undefined;
    this.connection = { serviceName: name, port: PORT, pathPrefix: plan.pathPrefix, url: plan.url, scrapes: { cadvisor: values.kubelet.enabled }, snapshots };
  }
}
