import { k8s } from '../../src/lib/k8s.js';
import { describe, expect, it } from 'vitest';
import { SelfHealing, type SelfHealingConnection, type SelfHealingProps } from '../../src/components/aiops/self-healing.js';
import { RULE_LABEL, type JobTemplate } from '../../src/components/aiops/self-healing-rules.js';
import { APPROVAL_TOKEN_KEY, apiGatewaySecretName, approvalTokenRef } from '../../src/components/aiops/approval-token.js';
import { parseRulesFile, type RulesFile } from '../../src/core/self-healing-rules.js';
import { PostgreSql } from '../../src/components/data/postgresql.js';
import { PostgreSqlMaintenance } from '../../src/components/data/postgresql-maintenance.js';
import { SELF_HEALING_ACTIONS } from '../../src/core/self-healing-actions.js';
import { objectName, serviceUrl } from '../../src/lib/names.js';
import { loadValues } from '../../src/values/load.js';
import type { ValuesError } from '../../src/values/issues.js';
import { renderConstruct, type ConstructRender } from '../support/construct.js';
import { registerCrdValidators } from '../support/crd-validate.js';
import { assertValidK8sObjects } from '../support/k8s-validate.js';
import { envValues, find, ofKind, workload } from '../support/render.js';

registerCrdValidators();

const NAME = 'aiops-platform-self-healing';
const PROMETHEUS_URL = 'http://aiops-platform-prometheus.aiops-platform.svc.cluster.local:9090/prometheus';
const PRODUCTION = 'global: {development: false}\npostgresql: {auth: {existingSecret: pg}}\n';
type Targets = Pick<SelfHealingProps, 'scaleTargets' | 'approvalToken'> & { cleanDisk?: boolean; optimizeDatabase?: boolean };
const ALL: Targets = {
  scaleTargets: [
    { kind: 'Deployment', name: 'aiops-platform-ai-engine', app: 'ai-engine', autoscaler: 'aiops-platform-ai-engine' },
    { kind: 'StatefulSet', name: 'aiops-platform-logstash', app: 'logstash' },
  ],
  cleanDisk: true,
  optimizeDatabase: true,
};

/** A typed clean-disk Job as a component builds it (cdk8s quantities), labelled like the Elasticsearch setup pods that run it. */
const cleanDiskJob: JobTemplate = {
  namePrefix: 'aiops-platform-elasticsearch-disk-cleanup',
  spec: {
    backoffLimit: 3,
    template: {
      metadata: { labels: { 'app.kubernetes.io/name': 'elasticsearch', 'app.kubernetes.io/instance': 'aiops-platform', 'app.kubernetes.io/component': 'setup' } },
      spec: {
        restartPolicy: 'OnFailure',
        containers: [{ name: 'setup', image: 'docker.elastic.co/elasticsearch/elasticsearch:8.19.3', resources: { requests: { cpu: k8s.Quantity.fromString('10m') } } }],
      },
    },
  },
};

/** Renders the executor alone (with PostgreSQL and its maintenance for the optimize-db Job); every object is schema-checked. */
function render(valuesYaml = '', targets: Targets = ALL): ConstructRender & { connection: SelfHealingConnection; rules: RulesFile } {
  const r = renderConstruct(valuesYaml, (chart, ctx, values) => {
    const pg = new PostgreSql(chart, 'postgresql', { ctx, values: values.postgresql });
    const maintenance = new PostgreSqlMaintenance(chart, 'maintenance', { ctx, values: values.postgresql, connection: pg.connection });
    return new SelfHealing(chart, 'self-healing', {
      ctx,
      values: values.selfHealing,
      prometheus: { url: PROMETHEUS_URL },
      postgresql: pg.connection,
      scaleTargets: targets.scaleTargets,
      jobs: {
        cleanDisk: targets.cleanDisk ? cleanDiskJob : undefined,
        optimizeDatabase: targets.optimizeDatabase ? { namePrefix: maintenance.cronJobName, spec: maintenance.jobSpec } : undefined,
      },
      approvalToken: targets.approvalToken,
    }).connection;
  });
  // The executor reads the file with this parser: it must accept what the chart writes.
  const rules = parseRulesFile(JSON.parse(find(r.objects, 'ConfigMap', NAME).data['rules.json']));
  // The embedded Jobs are complete manifests: validate them like the rendered objects.
  const jobs = rules.rules.flatMap((rule) => (rule.action.type === 'create-job' ? [rule.action.job as unknown as Record<string, unknown>] : []));
  assertValidK8sObjects([...r.objects, ...jobs]);
  return { ...r, connection: r.built, rules };
}
const own = (r: ConstructRender) => r.objects.filter((o) => o.metadata.name === NAME);
const { container } = workload('Deployment', NAME);
/** The container's literal env values by name. */
const env = (r: ConstructRender) => envValues(container(r));
const rule = (rules: RulesFile, name: string): any => rules.rules.find((x) => x.name === name);

describe('SelfHealing', () => {
  const defaults = render();
  const production = render(PRODUCTION);

  it('renders the ConfigMap, ServiceAccount, Role and binding, Deployment and Service <release>-self-healing, and no cluster-wide rights', () => {
    expect(own(defaults).map((o) => o.kind)).toEqual(['ConfigMap', 'ServiceAccount', 'Role', 'RoleBinding', 'Secret', 'Deployment', 'Service']);
    expect(ofKind(production.objects, 'ClusterRole')).toEqual([]);
    expect(ofKind(production.objects, 'ClusterRoleBinding')).toEqual([]);
    expect(find(defaults.objects, 'Service', NAME).spec.ports).toEqual([{ name: 'http', port: 8080, protocol: 'TCP', targetPort: 'http' }]);
    const pod = find(defaults.objects, 'Deployment', NAME).spec.template.spec;
    expect(pod.serviceAccountName).toBe(NAME);
    expect(pod.automountServiceAccountToken).toBe(true);
  });

  it('grants exactly what its rules need in the platform namespace: evictions, scale and HPA on the named targets only, Jobs, Events, its Lease', () => {
    const role = find(defaults.objects, 'Role', NAME);
    expect(role.metadata.namespace).toBe('aiops-platform');
    expect(role.rules).toEqual([
      { apiGroups: [''], resources: ['pods'], verbs: ['get'] },
      { apiGroups: [''], resources: ['pods/eviction'], verbs: ['create'] },
      { apiGroups: ['apps'], resources: ['deployments/scale'], verbs: ['get', 'patch'], resourceNames: ['aiops-platform-ai-engine'] },
      { apiGroups: ['apps'], resources: ['statefulsets/scale'], verbs: ['get', 'patch'], resourceNames: ['aiops-platform-logstash'] },
      { apiGroups: ['autoscaling'], resources: ['horizontalpodautoscalers'], verbs: ['get', 'patch'], resourceNames: ['aiops-platform-ai-engine'] },
      { apiGroups: ['batch'], resources: ['jobs'], verbs: ['create', 'list'] },
      { apiGroups: [''], resources: ['events'], verbs: ['create'] },
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'update'], resourceNames: [NAME] },
    ]);
    // No delete of pods (evictions respect PodDisruptionBudgets), no rights on whole workloads.
    expect(JSON.stringify(role.rules)).not.toMatch(/"delete"|"deployments"|"statefulsets"|"\*"/);
    const binding = find(defaults.objects, 'RoleBinding', NAME);
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: NAME });
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: NAME, namespace: 'aiops-platform' }]);
    // Without scale targets and Jobs only the eviction, Event and Lease rights remain.
    const minimal = find(render('', { scaleTargets: [] }).objects, 'Role', NAME);
    expect(minimal.rules.map((r: any) => r.resources[0])).toEqual(['pods', 'pods/eviction', 'events', 'leases', 'leases']);
  });

  it('is in dry-run in development and acts in production; selfHealing.dryRun overrides both (one place: the rules file)', () => {
    expect(defaults.rules.dryRun).toBe(true);
    expect(production.rules.dryRun).toBe(false);
    expect(render('selfHealing: {dryRun: false}').rules.dryRun).toBe(false);
    expect(render(`${PRODUCTION}selfHealing: {dryRun: true}`).rules.dryRun).toBe(true);
    expect(env(defaults).DRY_RUN).toBeUndefined();
  });

  it('points RULES_FILE at the mounted rules file, PROMETHEUS_URL, LEASE_NAME, the API CA and POSTGRES_*; LOG_LEVEL follows global.logLevel', () => {
    const e = env(defaults);
    expect(e).toMatchObject({
      RULES_FILE: '/etc/self-healing/rules.json',
      LEASE_NAME: NAME,
      NODE_EXTRA_CA_CERTS: '/var/run/secrets/kubernetes.io/serviceaccount/ca.crt',
      PROMETHEUS_URL,
      POSTGRES_HOST: 'aiops-platform-postgresql.aiops-platform.svc.cluster.local',
      POSTGRES_SSLMODE: 'disable',
      LOG_LEVEL: 'debug',
      PORT: '8080',
    });
    expect(container(defaults).env.find((v: any) => v.name === 'POSTGRES_PASSWORD').valueFrom.secretKeyRef).toBeDefined();
    expect(container(defaults).volumeMounts).toContainEqual({ name: 'rules', mountPath: '/etc/self-healing', readOnly: true });
    const pod = find(defaults.objects, 'Deployment', NAME).spec.template;
    expect(pod.spec.volumes).toContainEqual({ name: 'rules', configMap: { name: NAME, defaultMode: 0o444 } });
    expect(pod.metadata.annotations['checksum/config']).toMatch(/^[0-9a-f]{64}$/);
    expect(pod.metadata.annotations['checksum/config']).not.toBe(find(render('selfHealing: {limits: {cooldown: 10m}}').objects, 'Deployment', NAME).spec.template.metadata.annotations['checksum/config']);
    expect(env(render('global: {logLevel: warn}')).LOG_LEVEL).toBe('warn');
  });

  it('requires a bearer token on the webhook: WEBHOOK_TOKEN from the Secret <release>-self-healing, a fixed token in development', () => {
    const tokenEnv = container(defaults).env.find((e: any) => e.name === 'WEBHOOK_TOKEN');
    expect(tokenEnv).toEqual({ name: 'WEBHOOK_TOKEN', valueFrom: { secretKeyRef: { name: NAME, key: 'webhook-token' } } });
    expect(find(defaults.objects, 'Secret', NAME).stringData).toEqual({ 'webhook-token': 'dev-aiops-platform-self-healing-webhook-token' });
    expect(defaults.warnings).toEqual([]);
    const given = render('selfHealing: {webhookToken: 0123456789abcdef0123456789abcdef}');
    expect(find(given.objects, 'Secret', NAME).stringData).toEqual({ 'webhook-token': '0123456789abcdef0123456789abcdef' });
  });

  it('renders no token Secret in production without one, and says which Secret to create; warns about a plaintext token', () => {
    expect(ofKind(production.objects, 'Secret').filter((o) => o.metadata.name === NAME)).toEqual([]);
    expect(production.warnings.join('\n')).toContain(`selfHealing.webhookToken not set and no selfHealing.existingSecret: no Secret is rendered; create it before applying: kubectl -n aiops-platform create secret generic ${NAME} --from-literal=webhook-token=…`);
    const plaintext = render(`${PRODUCTION}selfHealing: {webhookToken: 0123456789abcdef0123456789abcdef}\n`);
    expect(plaintext.warnings.join('\n')).toContain('selfHealing.webhookToken is a plaintext credential while global.development is false');
  });

  it('reads the token from selfHealing.existingSecret or from the external store, and renders no Secret of its own', () => {
    const existing = render('selfHealing: {existingSecret: my-token}');
    expect(ofKind(existing.objects, 'Secret')).toEqual(ofKind(existing.objects, 'Secret').filter((o) => o.metadata.name !== NAME));
    expect(container(existing).env.find((e: any) => e.name === 'WEBHOOK_TOKEN').valueFrom.secretKeyRef).toEqual({ name: 'my-token', key: 'webhook-token' });
    expect(existing.connection.webhookToken).toEqual({ secretName: 'my-token', key: 'webhook-token' });
    const external = render('secrets: {external: true, provider: vault, vaultPath: secret/aiops}');
    expect(find(external.objects, 'ExternalSecret', NAME).spec.data).toEqual([{ secretKey: 'webhook-token', remoteRef: { key: 'secret/aiops/self-healing', property: 'webhook-token' } }]);
  });

  it('rejects a token that cannot be a bearer token (short, spaces, line breaks, quotes) without echoing it', () => {
    for (const token of ['short', 'a'.repeat(15), 'has spaces in the token value', 'line\nbreak0123456789abc', '"quoted-0123456789abc"', 'x'.repeat(20) + ':y']) {
      let issue: { path: string; message: string } | undefined;
      try {
        loadValues({ files: [], sets: [`selfHealing.webhookToken=${token}`] });
      } catch (e) {
        issue = (e as ValuesError).issues.map((i) => ({ path: i.path, message: i.message }))[0];
      }
      expect(issue?.path, token).toBe('selfHealing.webhookToken');
      expect(issue!.message).not.toContain(token);
    }
  });

  it('exposes the webhook URL Alertmanager posts to, the one the chart configures', () => {
    expect(defaults.connection).toEqual({
      serviceName: NAME,
      port: 8080,
      webhookUrl: 'http://aiops-platform-self-healing.aiops-platform.svc.cluster.local:8080/api/v1/alerts',
      webhookToken: { secretName: NAME, key: 'webhook-token' },
    });
    expect(defaults.connection.webhookUrl).toBe(serviceUrl(defaults.ctx, objectName(defaults.ctx, 'self-healing'), 8080, '/api/v1/alerts'));
  });

  it('runs one pod in development and two in production (one acts, holding the Lease), never with an HPA', () => {
    expect(find(defaults.objects, 'Deployment', NAME).spec.replicas).toBe(1);
    expect(find(production.objects, 'Deployment', NAME).spec.replicas).toBe(2);
    expect(ofKind(production.objects, 'HorizontalPodAutoscaler')).toEqual([]);
  });

  it('writes the guardrails and one rule per action the alerts route to the executor', () => {
    expect(defaults.rules).toMatchObject({ version: 1, namespace: 'aiops-platform', guardrails: { attemptsPerTarget: 3, window: '1h', actionsPerHour: 20, maxConcurrent: 2 } });
    expect(defaults.rules.rules.map((x) => [x.name, x.match])).toEqual([
      ['restart-abnormal-pods', { action: 'restart-pod' }],
      ['scale-out-high-load', { action: 'scale-out' }],
      ['clean-disk-space', { action: 'clean-disk' }],
      ['optimize-database-queries', { action: 'optimize-db' }],
    ]);
    expect(defaults.rules.rules.map((x) => x.match.action).sort()).toEqual([...SELF_HEALING_ACTIONS].sort());
  });

  it('evicts only crash-looping pods of the platform namespace, never its own, with a 5m cooldown', () => {
    const restart = rule(defaults.rules, 'restart-abnormal-pods');
    expect(restart.cooldown).toBe('5m');
    expect(restart.action).toEqual({
      type: 'evict-pod',
      podLabel: 'pod',
      namespaceLabel: 'namespace',
      namespaces: ['aiops-platform'],
      excludePods: { matchLabels: find(defaults.objects, 'Deployment', NAME).spec.selector.matchLabels },
    });
  });

  it('scales the named workloads by one within [1, 10] (through their HPA when they have one), matched by the app or Traefik service label', () => {
    const scale = rule(defaults.rules, 'scale-out-high-load');
    expect(scale.cooldown).toBe('5m');
    expect(scale.description).toContain("raises the HPA's minReplicas instead");
    expect(scale.action).toMatchObject({ type: 'scale', step: 1, minReplicas: 1, maxReplicas: 10 });
    expect(scale.action.targets).toEqual([
      {
        kind: 'Deployment',
        name: 'aiops-platform-ai-engine',
        autoscaler: 'aiops-platform-ai-engine',
        alertLabels: { app: 'ai-engine', serviceRegex: 'aiops-platform-aiops-platform-ai-engine-[a-z0-9]+@kubernetes' },
      },
      {
        kind: 'StatefulSet',
        name: 'aiops-platform-logstash',
        alertLabels: { app: 'logstash', serviceRegex: 'aiops-platform-aiops-platform-logstash-[a-z0-9]+@kubernetes' },
      },
    ]);
    const anchored = new RegExp(`^${scale.action.targets[0].alertLabels.serviceRegex}$`);
    expect(anchored.test('aiops-platform-aiops-platform-ai-engine-http@kubernetes')).toBe(true);
    expect(anchored.test('aiops-platform-aiops-platform-ai-engine-8080@kubernetes')).toBe(true);
    expect(new RegExp(`^${scale.action.targets[1].alertLabels.serviceRegex}$`).test('aiops-platform-aiops-platform-ai-engine-http@kubernetes')).toBe(false);
  });

  it('takes every bound from selfHealing.limits', () => {
    const r = render('selfHealing:\n  limits: {attemptsPerTarget: 5, window: 30m, minReplicas: 2, maxReplicas: 4, cooldown: 10m, actionsPerHour: 7, maxConcurrent: 1, jobCooldown: 6h, approvalTtl: 20m}\n');
    expect(r.rules.guardrails).toEqual({ attemptsPerTarget: 5, window: '30m', actionsPerHour: 7, maxConcurrent: 1, approvalTtl: '20m' });
    expect(rule(r.rules, 'restart-abnormal-pods')).toMatchObject({ cooldown: '10m' });
    expect(rule(r.rules, 'scale-out-high-load')).toMatchObject({ cooldown: '10m', action: { minReplicas: 2, maxReplicas: 4 } });
    expect(rule(r.rules, 'clean-disk-space').cooldown).toBe('6h');
    expect(rule(r.rules, 'optimize-database-queries').cooldown).toBe('6h');
  });

  it('embeds the optimize-db Job as the maintenance CronJob runs it, with generateName, the rule label and a TTL', () => {
    const optimize = rule(defaults.rules, 'optimize-database-queries');
    expect(optimize.cooldown).toBe('1h');
    const cron = find(defaults.objects, 'CronJob', 'aiops-platform-postgresql-maintenance');
    const { job } = optimize.action;
    expect(job.metadata).toMatchObject({ generateName: 'aiops-platform-postgresql-maintenance-', namespace: 'aiops-platform' });
    expect(job.metadata.labels).toEqual({ ...cron.spec.jobTemplate.metadata.labels, [RULE_LABEL]: 'optimize-database-queries' });
    expect(job.spec).toEqual({ ...cron.spec.jobTemplate.spec, ttlSecondsAfterFinished: 86400 });
    // Skipped while the CronJob's run (or an earlier one) is active: its Jobs carry these labels.
    expect(optimize.action.skipWhileActive.matchLabels).toEqual({
      'app.kubernetes.io/name': 'postgresql',
      'app.kubernetes.io/instance': 'aiops-platform',
      'app.kubernetes.io/component': 'maintenance',
    });
    expect(cron.spec.jobTemplate.metadata.labels).toMatchObject(optimize.action.skipWhileActive.matchLabels);
  });

  it('embeds the clean-disk Job in its API form (quantities as strings)', () => {
    const clean = rule(defaults.rules, 'clean-disk-space');
    expect(clean.description).toContain('deletes the oldest daily log indices until the data volumes are under elasticsearch.diskCleanup.targetPercent');
    expect(clean.action.job.metadata.generateName).toBe('aiops-platform-elasticsearch-disk-cleanup-');
    expect(clean.action.job.spec.template.spec.containers[0].resources).toEqual({ requests: { cpu: '10m' } });
    expect(clean.action.job.spec).toMatchObject({ backoffLimit: 3, ttlSecondsAfterFinished: 86400 });
  });

  it('leaves out the rules whose targets are not rendered', () => {
    const none = render('', { scaleTargets: [] });
    expect(none.rules.rules.map((x) => x.name)).toEqual(['restart-abnormal-pods']);
    const dbOnly = render('', { scaleTargets: [], optimizeDatabase: true });
    expect(dbOnly.rules.rules.map((x) => x.name)).toEqual(['restart-abnormal-pods', 'optimize-database-queries']);
  });

  it('holds no secret in the rules file', () => {
    const r = render('postgresql: {auth: {password: app-s3cret, postgresPassword: root-s3cret}}');
    const text: string = find(r.objects, 'ConfigMap', NAME).data['rules.json'];
    expect(text).not.toMatch(/s3cret/);
    expect(text).toContain('secretKeyRef');
  });

  it('refuses a Job prefix too long for generated names', () => {
    expect(() =>
      renderConstruct('', (chart, ctx, values) => {
        new SelfHealing(chart, 'sh', { ctx, values: values.selfHealing, prometheus: undefined, postgresql: undefined, scaleTargets: [], jobs: { cleanDisk: { ...cleanDiskJob, namePrefix: 'x'.repeat(58) } } });
      }),
    ).toThrow(/would exceed 63 characters/);
  });
});

describe('selfHealing values', () => {
  const fails = (text: string) => () => renderConstruct(text, () => undefined);

  it('rejects limits.minReplicas above limits.maxReplicas', () => {
    expect(fails('selfHealing: {limits: {minReplicas: 5, maxReplicas: 2}}')).toThrow(/selfHealing\.limits\.minReplicas: minReplicas \(5\) is above maxReplicas \(2\)/);
    expect(fails('selfHealing: {limits: {minReplicas: 3, maxReplicas: 3}}')).not.toThrow();
  });

  it('refuses an HPA for the executor (only the Lease holder acts, more pods only stand by) and the removed limits', () => {
    expect(fails('selfHealing: {replicas: 3}')).not.toThrow();
    expect(fails('global: {development: false}\nselfHealing: {autoscaling: {enabled: true}}')).toThrow(/selfHealing\.autoscaling\.enabled: expected false/);
    expect(fails('selfHealing: {limits: {maxPodRestartsPerWindow: 3}}')).toThrow(/selfHealing\.limits/);
  });

  describe('approval mode', () => {
    const defaults = render();
    const production = render(PRODUCTION);
    const GATEWAY_SECRET = 'aiops-platform-api-gateway';
    const withGateway = (valuesYaml: string, existingSecret?: string) => {
      const r = renderConstruct(valuesYaml, (_chart, ctx) => ctx);
      return render(valuesYaml, { ...ALL, approvalToken: approvalTokenRef(r.ctx, existingSecret) });
    };
    const tokenEnv = (r: ConstructRender) => container(r).env.find((e: any) => e.name === 'APPROVAL_TOKEN');

    it('is auto by default, with a 1h approval TTL, both written to the rules file the executor reads', () => {
      expect(defaults.values.selfHealing.mode).toBe('auto');
      expect(defaults.rules.mode).toBe('auto');
      expect(defaults.rules.guardrails.approvalTtl).toBe('1h');
      expect(production.rules.mode).toBe('auto');
      const approval = render('selfHealing: {mode: approval, dryRun: false, limits: {approvalTtl: 15m}}');
      expect(approval.rules.mode).toBe('approval');
      expect(approval.rules.guardrails.approvalTtl).toBe('15m');
      // The file as rendered, not only as parsed back.
      const file = JSON.parse(find(approval.objects, 'ConfigMap', NAME).data['rules.json']);
      expect(file).toMatchObject({ mode: 'approval', guardrails: { approvalTtl: '15m' } });
      // A new mode restarts the executor (the rules file's checksum).
      const checksum = (r: ConstructRender) => find(r.objects, 'Deployment', NAME).spec.template.metadata.annotations['checksum/config'];
      expect(checksum(approval)).not.toBe(checksum(render('selfHealing: {mode: auto, dryRun: false, limits: {approvalTtl: 15m}}')));
    });

    it('refuses an unknown mode and an approval TTL that is no duration, 0 or above 7d', () => {
      const issueOf = (set: string) => {
        try {
          loadValues({ files: [], sets: [set] });
        } catch (e) {
          return (e as ValuesError).issues.map((i) => ({ path: i.path, message: i.message }))[0];
        }
        return undefined;
      };
      expect(issueOf('selfHealing.mode=manual')?.path).toBe('selfHealing.mode');
      for (const ttl of ['0s', 'soon', '8d', '1w1s']) expect(issueOf(`selfHealing.limits.approvalTtl=${ttl}`)?.path, ttl).toBe('selfHealing.limits.approvalTtl');
      expect(issueOf('selfHealing.limits.approvalTtl=8d')?.message).toContain('at most 7d');
      expect(issueOf('selfHealing.limits.approvalTtl=7d')).toBeUndefined();
    });

    it('reads APPROVAL_TOKEN from the key approval-token of the Secret <release>-api-gateway: optional in mode auto, required in mode approval', () => {
      expect(apiGatewaySecretName(defaults.ctx)).toBe(GATEWAY_SECRET);
      expect(APPROVAL_TOKEN_KEY).toBe('approval-token');
      expect(tokenEnv(withGateway(''))).toEqual({ name: 'APPROVAL_TOKEN', valueFrom: { secretKeyRef: { name: GATEWAY_SECRET, key: 'approval-token', optional: true } } });
      expect(tokenEnv(withGateway('selfHealing: {mode: approval, dryRun: false}'))).toEqual({
        name: 'APPROVAL_TOKEN',
        valueFrom: { secretKeyRef: { name: GATEWAY_SECRET, key: 'approval-token' } },
      });
      // The gateway's existing Secret replaces <release>-api-gateway, key unchanged.
      expect(tokenEnv(withGateway('selfHealing: {mode: approval, dryRun: false}', 'gateway-creds')).valueFrom.secretKeyRef).toEqual({ name: 'gateway-creds', key: 'approval-token' });
      // The executor never renders the gateway's Secret itself.
      expect(ofKind(withGateway('').objects, 'Secret').map((o) => o.metadata.name)).not.toContain(GATEWAY_SECRET);
      // Without the gateway there is no APPROVAL_TOKEN (the approval API answers 503).
      expect(tokenEnv(defaults)).toBeUndefined();
    });

    it('warns when nobody could approve (no API gateway) and when dry run leaves nothing to hold; not in the working setup', () => {
      expect(render('selfHealing: {mode: approval, dryRun: false}').warnings).toEqual([
        'selfHealing.mode is approval but apiGateway is disabled: live actions are held for approval and nobody can approve them (they expire after selfHealing.limits.approvalTtl, 1h); enable apiGateway or set selfHealing.mode: auto',
      ]);
      expect(withGateway('selfHealing: {mode: approval}').warnings).toEqual([
        'selfHealing.mode approval holds live actions only, and selfHealing.dryRun is true: dry runs are never held, so nothing waits for approval; set selfHealing.dryRun: false',
      ]);
      expect(withGateway('selfHealing: {mode: approval, dryRun: false}').warnings).toEqual([]);
      expect(withGateway('').warnings).toEqual([]);
    });
  });

});
