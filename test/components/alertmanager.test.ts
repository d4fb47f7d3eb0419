import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { Alertmanager, type AlertmanagerConnection } from '../../src/components/monitoring/alertmanager.js';
import type { AlertmanagerConfig } from '../../src/components/monitoring/alertmanager-config.js';
import { loadValues } from '../../src/values/load.js';
import { ValuesError } from '../../src/values/issues.js';
import { renderConstruct, type ConstructRender } from '../support/construct.js';
import { assertValidK8sObjects } from '../support/k8s-validate.js';
import { find, ofKind, workload } from '../support/render.js';

const NAME = 'aiops-platform-alertmanager';
const HEADLESS = 'aiops-platform-alertmanager-headless';
const SELF_HEALING_URL = 'http://aiops-platform-self-healing.aiops-platform.svc.cluster.local:8080/api/v1/alerts';
const SELF_HEALING_TOKEN = { secretName: 'aiops-platform-self-healing', key: 'webhook-token' };
const SMTP_PASSWORD = 'smtp-pa55-c0rrect-horse';
const SLACK_URL = 'https://hooks.slack.com/services/T000/B000/slack-s3cret-token';
const WEBHOOK_URL = 'https://hooks.example.com/alerts?token=hook-s3cret-token';
/** email, Slack and webhook receivers with their credentials given in values. */
const RECEIVERS = `alertmanager:
  receivers:
    email: {enabled: true, to: ops@example.com, from: alertmanager@example.com, smarthost: "smtp.example.com:587", username: alertmanager, password: ${SMTP_PASSWORD}}
    slack: {enabled: true, apiUrl: "${SLACK_URL}", channel: "#ops"}
    webhook: {enabled: true, url: "${WEBHOOK_URL}"}
`;

function render(valuesYaml = '', selfHealing = false): ConstructRender & { connection: AlertmanagerConnection } {
  const r = renderConstruct(valuesYaml, (chart, ctx, values) => {
    return new Alertmanager(chart, 'alertmanager', {
      ctx,
      values: values.alertmanager,
      selfHealing: selfHealing ? { url: SELF_HEALING_URL, token: SELF_HEALING_TOKEN } : undefined,
    }).connection;
  });
  return { ...r, connection: r.built };
}

const { object: sts, pod, container } = workload('StatefulSet', NAME);
const args = (r: ConstructRender): string[] => container(r).args;
const amConfig = (r: ConstructRender): AlertmanagerConfig => parse(find(r.objects, 'ConfigMap', NAME).data['alertmanager.yml']);
const servicePorts = (r: ConstructRender, name: string) =>
  find(r.objects, 'Service', name).spec.ports.map((p: any) => [p.name, p.port, p.protocol]);

/** Every `*_file` value anywhere in a config object, with its key. */
function fileReferences(node: unknown, found: [string, string][] = []): [string, string][] {
  if (Array.isArray(node)) node.forEach((n) => fileReferences(n, found));
  else if (node && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (key.endsWith('_file') && typeof value === 'string') found.push([key, value]);
      else fileReferences(value, found);
    }
  }
  return found;
}

describe('Alertmanager', () => {
  const defaults = render();
  const production = render('global: {development: false}');
  const full = render(RECEIVERS, true);

  it('renders StatefulSet, client Service and headless Service named after the release', () => {
    expect(sts(defaults).spec.serviceName).toBe(HEADLESS);
    expect(servicePorts(defaults, NAME)).toEqual([['http', 9093, 'TCP']]);
    expect(find(defaults.objects, 'Service', HEADLESS).spec).toMatchObject({ clusterIP: 'None', publishNotReadyAddresses: true });
    expect(defaults.connection).toEqual({ serviceName: NAME, port: 9093, pathPrefix: '/alertmanager' });
  });

  it('serves under /alertmanager with the external URL of the Ingress, or in-cluster without one', () => {
    expect(args(defaults)).toEqual(
      expect.arrayContaining([
        '--config.file=/etc/alertmanager/config/alertmanager.yml',
        '--storage.path=/alertmanager',
        '--web.route-prefix=/alertmanager',
        '--web.external-url=http://aiops.local/alertmanager',
        '--log.level=debug',
      ]),
    );
    expect(args(render('ingress: {enabled: false}'))).toContain(
      '--web.external-url=http://aiops-platform-alertmanager.aiops-platform.svc.cluster.local:9093/alertmanager',
    );
    const mounts = container(defaults).volumeMounts;
    expect(mounts).toContainEqual({ name: 'config', mountPath: '/etc/alertmanager/config', readOnly: true });
    expect(pod(defaults).volumes).toContainEqual({ name: 'config', configMap: { name: NAME, defaultMode: 0o444 } });
  });

  it('probes readiness and liveness under the route prefix', () => {
    expect(container(defaults).readinessProbe.httpGet).toEqual({ path: '/alertmanager/-/ready', port: 'http' });
    expect(container(defaults).livenessProbe.httpGet).toEqual({ path: '/alertmanager/-/healthy', port: 'http' });
  });

  it('runs as nobody (65534) with a read-only root filesystem and keeps silences in /alertmanager', () => {
    expect(pod(defaults).securityContext).toMatchObject({ runAsUser: 65534, runAsGroup: 65534, fsGroup: 65534, runAsNonRoot: true });
    expect(container(defaults).securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
    expect(container(defaults).volumeMounts).toContainEqual({ name: 'data', mountPath: '/alertmanager' });
    expect(sts(defaults).spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe('2Gi');
    const ephemeral = render('alertmanager: {persistence: {enabled: false}}');
    expect(sts(ephemeral).spec.volumeClaimTemplates).toBeUndefined();
    expect(pod(ephemeral).volumes).toContainEqual({ name: 'data', emptyDir: {} });
  });

  it('clusters 3 peers in production: a --cluster.peer per pod, mesh on 9094 TCP and UDP, a PDB', () => {
    expect(sts(production).spec).toMatchObject({ replicas: 3, podManagementPolicy: 'Parallel' });
    const peers = args(production).filter((a) => a.startsWith('--cluster.peer='));
    expect(peers).toEqual([0, 1, 2].map((i) => `--cluster.peer=${NAME}-${i}.${HEADLESS}.aiops-platform.svc.cluster.local:9094`));
    expect(args(production)).toContain('--cluster.listen-address=0.0.0.0:9094');
    expect(args(production)).toContain('--cluster.advertise-address=$(POD_IP):9094');
    expect(container(production).env).toEqual([{ name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }]);
    expect(servicePorts(production, HEADLESS)).toEqual([
      ['http', 9093, 'TCP'],
      ['mesh-tcp', 9094, 'TCP'],
      ['mesh-udp', 9094, 'UDP'],
    ]);
    expect(container(production).ports.map((p: any) => [p.name, p.containerPort, p.protocol])).toEqual(servicePorts(production, HEADLESS));
    expect(servicePorts(production, NAME)).toEqual([['http', 9093, 'TCP']]);
    expect(find(production.objects, 'PodDisruptionBudget', NAME).spec.maxUnavailable).toBe(1);
  });

  it('turns clustering off with one replica: empty listen address, no peers, no mesh ports, no PDB', () => {
    const clusterFlags = args(defaults).filter((a) => a.startsWith('--cluster.'));
    expect(clusterFlags).toEqual(['--cluster.listen-address=']);
    expect(container(defaults).env).toBeUndefined();
    expect(servicePorts(defaults, HEADLESS)).toEqual([['http', 9093, 'TCP']]);
    expect(ofKind(defaults.objects, 'PodDisruptionBudget')).toEqual([]);
    expect(sts(render('global: {development: false}\nalertmanager: {replicas: 1}')).spec.template.spec.containers[0].args).toContain(
      '--cluster.listen-address=',
    );
  });

  it('follows alertmanager.replicas, not the profile: 2 replicas in development form a cluster of 2', () => {
    const two = render('alertmanager: {replicas: 2}');
    expect(args(two).filter((a) => a.startsWith('--cluster.peer='))).toHaveLength(2);
    expect(ofKind(two.objects, 'PodDisruptionBudget')).toHaveLength(1);
  });

  it('routes to the self-healing webhook only when it is given, on exactly its four actions, and keeps notifying people', () => {
    const { route, receivers } = amConfig(full);
    expect(route.routes).toEqual([
      { receiver: 'self-healing', matchers: ['action=~"restart-pod|scale-out|clean-disk|optimize-db"'], continue: true },
      { receiver: 'default' },
    ]);
    expect(receivers.find((r) => r.name === 'self-healing')).toEqual({
      name: 'self-healing',
      webhook_configs: [
        {
          url: SELF_HEALING_URL,
          http_config: { authorization: { type: 'Bearer', credentials_file: '/etc/alertmanager/self-healing/webhook-token' } },
          send_resolved: true,
          max_alerts: 20,
        },
      ],
    });
    const withoutSelfHealing = amConfig(render(RECEIVERS));
    expect(withoutSelfHealing.route.routes).toBeUndefined();
    expect(withoutSelfHealing.receivers.map((r) => r.name)).toEqual(['default']);
    expect(find(render(RECEIVERS).objects, 'ConfigMap', NAME).data['alertmanager.yml']).not.toContain('self-healing');
  });

  it('groups by the values route settings', () => {
    const r = render('alertmanager:\n  route: {groupBy: [alertname, pod], groupWait: 10s, groupInterval: 1m, repeatInterval: 12h}\n');
    expect(amConfig(r).route).toMatchObject({ receiver: 'default', group_by: ['alertname', 'pod'], group_wait: '10s', group_interval: '1m', repeat_interval: '12h' });
    expect(amConfig(defaults).route.group_by).toEqual(['alertname', 'namespace', 'component']);
  });

  it('lets a critical alert about a pod mute the warnings about the same pod (proved in test/servers/alertmanager.server.test.ts)', () => {
    // Each alert name has one severity: equal on alertname could never inhibit anything.
    expect(amConfig(defaults).inhibit_rules).toEqual([
      { source_matchers: ['severity="critical"', 'pod=~".+"'], target_matchers: ['severity="warning"', 'pod=~".+"'], equal: ['namespace', 'pod'] },
    ]);
  });

  it('has a default receiver without integrations and no credentials when no receiver is enabled', () => {
    expect(amConfig(defaults).receivers).toEqual([{ name: 'default' }]);
    expect(amConfig(defaults).global).toEqual({ resolve_timeout: '5m' });
    expect(ofKind(defaults.objects, 'Secret')).toEqual([]);
    expect(pod(defaults).volumes.map((v: any) => v.name)).not.toContain('credentials');
  });

  it('configures the enabled email, Slack and webhook integrations on the default receiver', () => {
    const config = amConfig(full);
    expect(config.global).toEqual({
      resolve_timeout: '5m',
      smtp_from: 'alertmanager@example.com',
      smtp_smarthost: 'smtp.example.com:587',
      smtp_auth_username: 'alertmanager',
      smtp_auth_password_file: '/etc/alertmanager/secrets/smtp-password',
      smtp_require_tls: true,
    });
    const people = config.receivers.find((r) => r.name === 'default')!;
    expect(people.email_configs).toEqual([{ to: 'ops@example.com', send_resolved: true }]);
    expect(people.slack_configs![0]).toMatchObject({ api_url_file: '/etc/alertmanager/secrets/slack-api-url', channel: '#ops', send_resolved: true });
    expect(people.slack_configs![0]!.title).toContain('{{ .CommonLabels.alertname }}');
    expect(people.slack_configs![0]!.text).toContain('{{ range .Alerts }}');
    expect(people.webhook_configs).toEqual([{ url_file: '/etc/alertmanager/secrets/webhook-url', send_resolved: true }]);
  });

  it('keeps every receiver credential in the Secret, and only there', () => {
    expect(find(full.objects, 'Secret', NAME).stringData).toEqual({ 'smtp-password': SMTP_PASSWORD, 'slack-api-url': SLACK_URL, 'webhook-url': WEBHOOK_URL });
    const notSecrets = JSON.stringify(full.objects.filter((o) => o.kind !== 'Secret'));
    for (const secret of [SMTP_PASSWORD, SLACK_URL, WEBHOOK_URL, 'slack-s3cret-token', 'hook-s3cret-token']) {
      expect(notSecrets).not.toContain(secret);
    }
    for (const cm of ofKind(full.objects, 'ConfigMap')) {
      expect(Object.values(cm.data).join('\n')).not.toMatch(/s3cret|pa55|auth_password:|api_url:|\burl: https:\/\/hooks/);
    }
  });

  // The amtool test checks a copy where url_file is inlined (Debian's amtool 0.25 predates it), so
  // this test is what proves the rendered `*_file` references resolve to the mounted Secret keys.
  it('sends the executor its bearer token from the self-healing Secret, mounted read-only with only that key', () => {
    const mount = container(full).volumeMounts.find((m: any) => m.name === 'self-healing-token');
    expect(mount).toEqual({ name: 'self-healing-token', mountPath: '/etc/alertmanager/self-healing', readOnly: true });
    expect(pod(full).volumes.find((v: any) => v.name === 'self-healing-token')).toEqual({
      name: 'self-healing-token',
      secret: { secretName: SELF_HEALING_TOKEN.secretName, defaultMode: 0o440, items: [{ key: 'webhook-token', path: 'webhook-token' }] },
    });
    const [receiver] = amConfig(full).receivers.filter((r) => r.name === 'self-healing');
    expect(receiver!.webhook_configs![0]!.http_config!.authorization.credentials_file).toBe(`${mount.mountPath}/webhook-token`);
    // No executor: no token mounted.
    expect(pod(render(RECEIVERS)).volumes.map((v: any) => v.name)).not.toContain('self-healing-token');
  });

  it('points every receiver *_file field at a key of the Secret mounted read-only in the container', () => {
    const refs = fileReferences(amConfig(full)).filter(([key]) => key !== 'credentials_file');
    expect(refs.map(([key]) => key).sort()).toEqual(['api_url_file', 'smtp_auth_password_file', 'url_file']);
    const mount = container(full).volumeMounts.find((m: any) => m.name === 'credentials');
    expect(mount).toEqual({ name: 'credentials', mountPath: '/etc/alertmanager/secrets', readOnly: true });
    const volume = pod(full).volumes.find((v: any) => v.name === 'credentials');
    expect(volume.secret.secretName).toBe(NAME);
    const mounted = volume.secret.items.map((i: any) => `${mount.mountPath}/${i.path}`);
    const secretKeys = Object.keys(find(full.objects, 'Secret', NAME).stringData);
    for (const [, path] of refs) {
      expect(mounted).toContain(path);
      expect(secretKeys).toContain(volume.secret.items.find((i: any) => `${mount.mountPath}/${i.path}` === path).key);
    }
  });

  it('reads the credentials from alertmanager.existingSecret and renders no Secret', () => {
    const r = render(`${RECEIVERS}  existingSecret: am-receivers\n`);
    expect(ofKind(r.objects, 'Secret')).toEqual([]);
    const volume = pod(r).volumes.find((v: any) => v.name === 'credentials');
    expect(volume.secret.secretName).toBe('am-receivers');
    expect(volume.secret.items.map((i: any) => i.key)).toEqual(['smtp-password', 'slack-api-url', 'webhook-url']);
  });

  it('mounts only the keys of the enabled receivers', () => {
    const r = render('alertmanager:\n  existingSecret: am-receivers\n  receivers: {slack: {enabled: true}}\n');
    expect(pod(r).volumes.find((v: any) => v.name === 'credentials').secret.items).toEqual([{ key: 'slack-api-url', path: 'slack-api-url' }]);
  });

  it('sends mail without authentication and without a Secret when no SMTP user is given', () => {
    const r = render('alertmanager:\n  receivers:\n    email: {enabled: true, to: ops@example.com, from: am@example.com, smarthost: "relay.local:25", requireTls: false}\n');
    expect(amConfig(r).global).toEqual({ resolve_timeout: '5m', smtp_from: 'am@example.com', smtp_smarthost: 'relay.local:25', smtp_require_tls: false });
    expect(ofKind(r.objects, 'Secret')).toEqual([]);
  });

  it('refuses an enabled Slack receiver without a URL in development, naming the fixes', () => {
    expect(() => render('alertmanager: {receivers: {slack: {enabled: true}}}')).toThrow(ValuesError);
    expect(() => render('alertmanager: {receivers: {slack: {enabled: true}}}')).toThrow(/alertmanager\.receivers\.slack\.apiUrl.*alertmanager\.existingSecret/);
    expect(() => render('secrets: {external: true}\nalertmanager: {receivers: {slack: {enabled: true}}}')).not.toThrow();
  });

  it('warns in production when a receiver credential is missing and renders no Secret', () => {
    const r = render('global: {development: false}\nalertmanager: {receivers: {webhook: {enabled: true}}}');
    expect(ofKind(r.objects, 'Secret')).toEqual([]);
    expect(r.warnings.join('\n')).toContain(`create secret generic ${NAME} --from-literal=webhook-url=…`);
  });

  it('rejects an enabled email receiver without its addresses, and a malformed URL, at their values paths', () => {
    const issues = (text: string) => {
      try {
        loadValues({ files: [{ name: 'values.yaml', text }], sets: [] });
      } catch (e) {
        return (e as ValuesError).issues.map((i) => i.path);
      }
      return [];
    };
    expect(issues('alertmanager: {receivers: {email: {enabled: true, smarthost: smtp.example.com}}}')).toEqual([
      'alertmanager.receivers.email.to',
      'alertmanager.receivers.email.from',
      'alertmanager.receivers.email.smarthost',
    ]);
    expect(issues('alertmanager: {receivers: {webhook: {url: "hooks.example.com/x"}}}')).toEqual(['alertmanager.receivers.webhook.url']);
  });

  it('rolls the pods when alertmanager.yml changes', () => {
    const annotation = (r: ConstructRender) => sts(r).spec.template.metadata.annotations['checksum/config'];
    expect(annotation(defaults)).toMatch(/^[0-9a-f]{64}$/);
    expect(annotation(render('alertmanager: {route: {repeatInterval: 12h}}'))).not.toBe(annotation(defaults));
    expect(annotation(render())).toBe(annotation(defaults));
  });

  it('renders valid Kubernetes objects in every case', () => {
    for (const r of [defaults, production, full, render(`global: {development: false}\n${RECEIVERS}  existingSecret: am-receivers\n`, true)]) {
      assertValidK8sObjects(r.objects);
    }
  });
});
