import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { SERVICE_ENV as ENV } from '../../core/service-env.js';
import { checksum, yamlFile } from '../../lib/config-files.js';
import type { PlatformContext } from '../../lib/context.js';
import { selectorLabels } from '../../lib/labels.js';
import { metadata } from '../../lib/metadata.js';
import { secretEnv } from '../../lib/pod.js';
import { createServiceAccount, type Rule } from '../../lib/rbac.js';
import { CATALOG } from '../../plan/catalog.js';
import { selfHealingPlan } from '../../plan/aiops.js';
import type { Values } from '../../values/schema/index.js';
import { CredentialSecret } from '../shared/credential-secret.js';
import { PlatformService } from './platform-service.js';
import { selfHealingRules, type ScaleTarget, type SelfHealingJobs } from './self-healing-rules.js';

/** Props of {@link SelfHealing}. */
export interface SelfHealingProps {
  readonly ctx: PlatformContext;
  /** The `selfHealing.*` values slice (dryRun, limits, image, resources; one replica). */
  readonly values: Values['selfHealing'];
  /**
   * Platform workloads the executor may scale out: only those NOT managed by a
   * HorizontalPodAutoscaler (with one, scaling out is the HPA's job). Empty: no scale-out rule.
   */
  readonly scaleTargets: readonly ScaleTarget[];
  /** Jobs the executor creates on demand (each default none: its rule is left out); see {@link SelfHealingJobs}. */
  readonly jobs: SelfHealingJobs;
}

/** How Alertmanager reaches the executor. */
export interface SelfHealingConnection {
  readonly serviceName: string;
  readonly port: number;
  /** `http://<release>-self-healing.<ns>.svc.<domain>:8080/api/v1/alerts` */
  readonly webhookUrl: string;
  /** The Secret key holding the webhook's bearer token, for Alertmanager's `credentials_file`. */
  readonly webhookToken: { readonly secretName: string; readonly key: typeof TOKEN_KEY };
}

const ID = CATALOG.selfHealing.id;
const RULES_DIR = '/etc/self-healing';
const RULES_FILE = 'rules.yaml';
/** Secret key of the webhook bearer token (also the key of `selfHealing.existingSecret`). */
const TOKEN_KEY = 'webhook-token';

/**
 * The executor's rights in the platform namespace, exactly those of its actions (no cluster-wide
 * rights): delete pods; patch and scale Deployments and StatefulSets; create Jobs (and find active
 * ones); record core v1 Events. Only the core group's `events`: the legacy v1 API is served by
 * every cluster and shows in `kubectl describe`; `events.k8s.io` would be a second route to the
 * same objects. Events are only created (no patch), so the executor never aggregates them.
 * Creating Jobs means running pods in the namespace: the restricted Pod Security level of the
 * namespace still applies to them.
 */
export const SELF_HEALING_RBAC: readonly Rule[] = [
  { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'delete'] },
  { apiGroups: ['apps'], resources: ['deployments', 'statefulsets'], verbs: ['get', 'list', 'patch'] },
  { apiGroups: ['apps'], resources: ['deployments/scale', 'statefulsets/scale'], verbs: ['get', 'patch', 'update'] },
  { apiGroups: ['batch'], resources: ['jobs'], verbs: ['create', 'get', 'list'] },
  { apiGroups: [''], resources: ['events'], verbs: ['create'] },
];

/**
 * The self-healing executor: Deployment and Service `<release>-self-healing` on 8080 (a
 * {@link PlatformService}), receiving Alertmanager webhooks on `POST /api/v1/alerts` and acting on
 * the alerts' `action` label by the rules file in the ConfigMap of the same name
 * ({@link selfHealingRules}), under a ServiceAccount with {@link SELF_HEALING_RBAC}. One pod: the
 * rate limit, windows and cooldowns are kept in memory (the schema refuses more replicas and an
 * HPA), and a restart starts them afresh. Environment, beside the common BASE_PATH, LOG_LEVEL,
 * PORT, POD_NAME, POD_NAMESPACE and `selfHealing.extraEnv`:
 *
 * | variable | value |
 * |---|---|
 * | `RULES_FILE` | `/etc/self-healing/rules.yaml` |
 * | `DRY_RUN` | `selfHealing.dryRun` (`true` in development): log and record Events, never act |
 * | `NAMESPACE` | the platform namespace, the only one it acts in |
 * | `WEBHOOK_TOKEN` | secretKeyRef `webhook-token` of `<release>-self-healing` (or `selfHealing.existingSecret`): the bearer token every `POST /api/v1/alerts` must carry (`Authorization: Bearer …`); the executor answers 401 without it, compared in constant time |
 *
 * Every other endpoint of the executor is read-only (health, `/metrics`, the status the API gateway
 * shows through `SELF_HEALING_URL`): nothing but an authenticated webhook makes it act.
 *
 * The token Secret follows the chart's credential rules ({@link CredentialSecret}): a fixed
 * development token in development; in production `selfHealing.webhookToken`, an existing Secret
 * or `secrets.external`, else no Secret and a warning saying which to create (Alertmanager and the
 * executor then wait for it).
 */
export class SelfHealing extends Construct {
  readonly connection: SelfHealingConnection;

  constructor(scope: Construct, id: string, props: SelfHealingProps) {
    super(scope, id);
    const { ctx, values } = props;
    const plan = selfHealingPlan(ctx, values);
    const name = plan.name;

    const rules = selfHealingRules(ctx, values, props, selectorLabels(ctx, ID));
    const config = { [RULES_FILE]: yamlFile(rules) };
    new k8s.KubeConfigMap(this, 'rules', { metadata: metadata(ctx, name, ID, { version: values.image.tag }), data: config });

    const serviceAccountName = createServiceAccount(this, ctx, { name, id: ID, namespaceRules: SELF_HEALING_RBAC });
    const tokenSecret = new CredentialSecret(this, 'webhook-token', {
      ctx,
      name,
      id: ID,
      existingSecret: values.existingSecret,
      existingSecretPath: 'selfHealing.existingSecret',
      entries: [{ key: TOKEN_KEY, value: values.webhookToken, valuesPath: 'selfHealing.webhookToken' }],
    }).secretName;

    const service = new PlatformService(this, 'service', {
      ctx,
      values,
      valuesPath: 'selfHealing',
      component: ID.name,
      role: ID.component,
      basePath: '/',
      env: [
        { name: ENV.selfHealing.rulesFile, value: `${RULES_DIR}/${RULES_FILE}` },
        { name: ENV.selfHealing.dryRun, value: String(values.dryRun) },
        { name: ENV.selfHealing.namespace, value: ctx.namespace },
        secretEnv(ENV.selfHealing.webhookToken, tokenSecret, TOKEN_KEY),
      ],
      serviceAccountName,
      // Rate limits and cooldowns live in the executor's memory: never two executors at once.
      strategy: 'Recreate',
      volumes: [{ name: 'rules', configMap: { name, defaultMode: 0o444 } }],
      mounts: [{ name: 'rules', mountPath: RULES_DIR, readOnly: true }],
      annotations: { 'checksum/config': checksum(config) },
    }).connection;

    this.connection = {
      serviceName: service.serviceName,
      port: service.port,
      webhookUrl: plan.webhookUrl,
      webhookToken: { secretName: tokenSecret, key: TOKEN_KEY },
    };
  }
}
