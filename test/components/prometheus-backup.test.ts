/**
 * Prometheus TSDB snapshots (`backup.prometheus`): the admin API only with them, the CronJob on the
 * node of replica 0 with its data volume, the NetworkPolicy edge; the script itself runs against
 * the real Debian Prometheus in test/servers/prometheus-backup.server.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { problemsOf } from '../support/values-issues.js';
import { assertValidK8sObjects } from '../support/k8s-validate.js';
import { envValues, find, ofKind, RESTRICTED_CONTAINER, renderYaml, workload } from '../support/render.js';

const NAME = 'aiops-platform-prometheus-backup';
const PROM = 'aiops-platform-prometheus';
const backup = workload('CronJob', NAME);
const server = workload('StatefulSet', PROM);
const ON = 'backup: {enabled: true, prometheus: {enabled: true}}\n';

const problems = problemsOf;

describe('PrometheusBackup (backup.prometheus)', () => {
  const on = renderYaml(ON);

  it('is off by default, also with backup.enabled: no admin API, no CronJob', () => {
    for (const r of [renderYaml('{}'), renderYaml('backup: {enabled: true}\n'), renderYaml('backup: {prometheus: {enabled: true}}\n')]) {
      expect(server.container(r, 'prometheus').args).not.toContain('--web.enable-admin-api');
      expect(r.objects.filter((o: any) => o.metadata.name === NAME)).toEqual([]);
    }
  });

  it('turns the admin API on with it', () => {
    expect(server.container(on, 'prometheus').args).toContain('--web.enable-admin-api');
  });

  it('runs the CronJob on backup.schedule on the node of replica 0, with its data claim, onto a 20Gi claim of its own (100Gi in production)', () => {
    assertValidK8sObjects(on.objects.filter((o: any) => o.metadata.name === NAME));
    expect(backup.object(on).spec).toMatchObject({ schedule: '15 2 * * *', concurrencyPolicy: 'Forbid' });
    const pod = backup.pod(on);
    expect(pod.affinity).toEqual({
      podAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { 'statefulset.kubernetes.io/pod-name': 'aiops-platform-prometheus-0' } }, topologyKey: 'kubernetes.io/hostname' }],
      },
    });
    expect(pod.volumes).toEqual([
      { name: 'script', configMap: { name: NAME, defaultMode: 0o444 } },
      { name: 'backup', persistentVolumeClaim: { claimName: NAME } },
      { name: 'data', persistentVolumeClaim: { claimName: 'data-aiops-platform-prometheus-0' } },
    ]);
    // The claim the StatefulSet makes for replica 0: its volumeClaimTemplate `data`.
    expect(server.object(on).spec.volumeClaimTemplates[0].metadata.name).toBe('data');
    expect(find(on.objects, 'PersistentVolumeClaim', NAME).spec).toEqual({ accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '20Gi' } } });
    const prod = renderYaml('global: {development: false}\nelasticsearch: {replicas: 1}\nbackup: {enabled: true, prometheus: {enabled: true, storageClass: fast}}\n');
    expect(find(prod.objects, 'PersistentVolumeClaim', NAME).spec).toMatchObject({ storageClassName: 'fast', resources: { requests: { storage: '100Gi' } } });
    // Prometheus' own node selector and tolerations, so it can run where replica 0 runs.
    const placed = renderYaml(`${ON}prometheus: {nodeSelector: {pool: monitoring}, tolerations: [{key: dedicated, operator: Exists}]}\n`);
    expect(backup.pod(placed)).toMatchObject({ nodeSelector: { pool: 'monitoring' }, tolerations: [{ key: 'dedicated', operator: 'Exists' }] });
  });

  it("runs the Prometheus image's sh as Prometheus' uid, restricted, against replica 0 through the headless Service", () => {
    expect(backup.container(on).image).toBe('quay.io/prometheus/prometheus:v3.5.0');
    expect(backup.container(on).command).toEqual(['sh', '/etc/prometheus-backup/backup.sh']);
    expect(backup.container(on).securityContext).toEqual(RESTRICTED_CONTAINER);
    expect(backup.pod(on).securityContext).toMatchObject({ runAsUser: 65534, runAsGroup: 65534, fsGroup: 65534, runAsNonRoot: true });
    expect(envValues(backup.container(on))).toEqual({
      PROMETHEUS_URL: 'http://aiops-platform-prometheus-0.aiops-platform-prometheus-headless.aiops-platform.svc.cluster.local:9090/prometheus',
      DATA_DIR: '/prometheus',
      BACKUP_DIR: '/backup/prometheus',
      KEEP: '7',
    });
    expect(backup.container(on).volumeMounts).toContainEqual({ name: 'data', mountPath: '/prometheus' });
    expect(find(on.objects, 'ConfigMap', NAME).data['backup.sh']).toContain("url=\"$PROMETHEUS_URL\"'/api/v1/admin/tsdb/snapshot'");
  });

  it('refuses snapshots of a Prometheus without a persistent volume, at the key', () => {
    expect(problems(`${ON}prometheus: {persistence: {enabled: false}}\n`)).toEqual([expect.stringMatching(/^backup\.prometheus\.enabled: Prometheus snapshots are copied from its data volume, and prometheus\.persistence\.enabled is false/)]);
    expect(problems('backup: {enabled: true}\nprometheus: {persistence: {enabled: false}}\n')).toEqual([]);
  });

  it('NetworkPolicies: the CronJob reaches Prometheus (and DNS) only, and Prometheus lets it in', () => {
    const r = renderYaml(`${ON}networkPolicy: {enabled: true}\n`);
    const policies = ofKind(r.objects, 'NetworkPolicy');
    const own = policies.find((p: any) => p.metadata.name === NAME);
    expect(own.spec.ingress ?? []).toEqual([]);
    expect(own.spec.egress.filter((e: any) => !JSON.stringify(e).includes('kube-dns'))).toEqual([
      {
        ports: [{ port: 9090, protocol: 'TCP' }],
        to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'aiops-platform' } }, podSelector: { matchLabels: { 'app.kubernetes.io/component': 'monitoring', 'app.kubernetes.io/instance': 'aiops-platform', 'app.kubernetes.io/name': 'prometheus' } } }],
      },
    ]);
    const prometheus = policies.find((p: any) => p.metadata.name === PROM);
    expect(prometheus.spec.ingress).toContainEqual({
      from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'aiops-platform' } }, podSelector: { matchLabels: { 'app.kubernetes.io/component': 'backup', 'app.kubernetes.io/instance': 'aiops-platform', 'app.kubernetes.io/name': 'prometheus' } } }],
      ports: [{ port: 9090, protocol: 'TCP' }],
    });
  });

  it('keeps /prometheus routed behind the gateway, whose ForwardAuth refuses the admin API (routes/auth.ts)', () => {
    const r = renderYaml(ON);
    const guarded = find(r.objects, 'Ingress', 'aiops-platform-protected');
    expect(guarded.metadata.annotations['traefik.ingress.kubernetes.io/router.middlewares']).toContain('forward-auth');
    expect(guarded.spec.rules[0].http.paths.map((p: any) => p.path)).toContain('/prometheus');
    // No other Ingress routes to Prometheus.
    const toPrometheus = ofKind(r.objects, 'Ingress').filter((i: any) => JSON.stringify(i.spec).includes(`"name":"${PROM}"`));
    expect(toPrometheus.map((i: any) => i.metadata.name)).toEqual(['aiops-platform-protected']);
  });
});
