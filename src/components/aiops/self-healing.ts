import { k8s } from '../../lib/k8s.js';
import { Construct } from 'constructs';
import { SERVICE_ENV as ENV } from '../../core/service-env.js';
import { checksum, jsonFile } from '../../lib/config-files.js';
import type { PlatformContext } from '../../lib/context.js';
import { selectorLabels } from '../../lib/labels.js';
import { metadata } from '../../lib/metadata.js';
import { secretEnv } from '../../lib/pod.js';
import type { ApprovalTokenRef } from './approval-token.js';
import { createServiceAccount, type Rule } from '../../lib/rbac.js';
import { CATALOG } from '../../plan/catalog.js';
import { selfHealingPlan } from '../../plan/aiops.js';
import type { Values } from '../../values/schema/index.js';
import { CredentialSecret } from '../shared/credential-secret.js';
import { leaseEnv, leaseRules } from './leader-lease.js';
import { PlatformService, platformServiceVersion } from './platform-service.js';
import type { RulesFile, ScaleTargetEntry } from '../../core/self-healing-rules.js';
import type { PostgreSqlConnection } from '../data/postgresql.js';
import { selfHealingRules, type ScaleTarget, type SelfHealingJobs } from './self-healing-rules.js';
import { postgresEnv, prometheusEnv } from './service-env.js';

/** Props of {@link SelfHealing}. */
export interface SelfHealingProps {
  readonly ctx: PlatformContext;
  /** The `selfHealing.*` values slice (dryRun, limits, image, resources, replicas). */
  readonly values: Values['selfHealing'];
  /** Platform workloads the executor may scale out (with their HPA, if any). Empty: no scale-out rule. */
  readonly scaleTargets: readonly ScaleTarget[];
  /** Prometheus, which confirms every alert before the executor acts (undefined: it acts on nothing). */
  readonly prometheus: { readonly url: string } | undefined;
  /** PostgreSQL for the audit table `self_healing_actions` (undefined: decisions are kept in memory only). */
  readonly postgresql: PostgreSqlConnection | undefined;
  /** The AI engine, which confirms its own alerts (undefined: its alerts are never acted on). */
  readonly aiEngine?: { readonly url: string } | undefined;
  /** Jobs the executor creates on demand (each default none: its rule is left out); see {@link SelfHealingJobs}. */
  readonly jobs: SelfHealingJobs;
  /**
   * The API gateway's approval token (approval-token.ts), which the gateway presents to the
   * executor's approval API; default none (the gateway is not rendered): no APPROVAL_TOKEN, that
   * API answers 503, and `selfHealing.mode: approval` is warned about (nobody could approve).
   */
  readonly approvalToken?: ApprovalTokenRef | undefined;
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
/** JSON: the executor reads it with JSON.parse (no YAML parser in its bundle). */
const RULES_FILE = 'rules.json';
/** Secret key of the webhook bearer token (also the key of `selfHealing.existingSecret`). */
const TOKEN_KEY = 'webhook-token';

/**
 * The executor's rights in the platform namespace, derived from its rules file so that it holds
 * exactly what its actions need and nothing cluster-wide:
 * - evict-pod: `pods` get (its labels: never its own pods) and `pods/eviction` create (the
 *   Eviction API respects PodDisruptionBudgets; no `pods` delete);
 * - scale: `deployments/scale`, `statefulsets/scale` get and patch, and
 *   `horizontalpodautoscalers` get and patch, each only on the named targets (resourceNames);
 * - create-job: `jobs` create and list (a running one is not started twice);
 * - always: `events` create (core v1: shown by `kubectl describe`; never patched, so never
 *   aggregated) and its Lease: create, and get/update on its own name only (a create cannot be
 *   limited by name).
 * Creating Jobs means running pods in the namespace: its restricted Pod Security level applies.
 */
export function selfHealingRbac(rules: RulesFile, leaseName: string): Rule[] {
  const types = new Set(rules.rules.map((r) => r.action.type));
  const targets = rules.rules.flatMap((r) => (r.action.type === 'scale' ? r.action.targets : []));
  const named = (kind: ScaleTargetEntry['kind']) => [...new Set(targets.filter((t) => t.kind === kind).map((t) => t.name))].sort();
  const autoscalers = [...new Set(targets.flatMap((t) => (t.autoscaler ? [t.autoscaler] : [])))].sort();
  const rbac: Rule[] = [];
  if (types.has('evict-pod')) {
    rbac.push({ apiGroups: [''], resources: ['pods'], verbs: ['get'] }, { apiGroups: [''], resources: ['pods/eviction'], verbs: ['create'] });
  }
  for (const [kind, resource] of [['Deployment', 'deployments/scale'], ['StatefulSet', 'statefulsets/scale']] as const) {
    const names = named(kind);
    if (names.length > 0) rbac.push({ apiGroups: ['apps'], resources: [resource], verbs: ['get', 'patch'], resourceNames: names });
  }
  if (autoscalers.length > 0) rbac.push({ apiGroups: ['autoscaling'], resources: ['horizontalpodautoscalers'], verbs: ['get', 'patch'], resourceNames: autoscalers });
  if (types.has('create-job')) rbac.push({ apiGroups: ['batch'], resources: ['jobs'], verbs: ['create', 'list'] });
  rbac.push({ apiGroups: [''], resources: ['events'], verbs: ['create'] }, ...leaseRules(leaseName));
  return rbac;
}

/**
 * The self-healing executor (src/services/self-healing/): Deployment and Service
 * `<release>-self-healing` on 8080 (a {@link PlatformService}), receiving Alertmanager webhooks on
 * `POST /api/v1/alerts` and acting by the rules file in the ConfigMap of the same name
 * ({@link selfHealingRules}), under a ServiceAccount with {@link selfHealingRbac}. Of its replicas
 * only the holder of the Lease `<release>-self-healing` acts; the others answer webhooks with 503
 * (Alertmanager retries) and take over when the holder stops renewing. Environment, beside the
 * common BASE_PATH, LOG_LEVEL, PORT, METRICS_PORT, POD_NAME, POD_NAMESPACE and `selfHealing.extraEnv`:
 *
 * | variable | value |
 * |---|---|
 * | `RULES_FILE` | `/etc/self-healing/rules.json` |
 * | `WEBHOOK_TOKEN` | secretKeyRef `webhook-token` of `<release>-self-healing` (or `selfHealing.existingSecret`): the bearer token every `POST /api/v1/alerts` must carry; 401 without it (compared in constant time) |
 * | `LEASE_NAME` | `<release>-self-healing` |
 * | `NODE_EXTRA_CA_CERTS` | the service-account CA, so that Node's fetch trusts the API server |
 * | `PROMETHEUS_URL` | Prometheus with its route prefix: every alert is confirmed there before acting (absent: it acts on nothing) |
 * | `AI_ENGINE_URL` | the AI engine under `/ai`: its own alerts (label `source`, `anomaly`) are confirmed by its active anomalies instead |
 * | `POSTGRES_*` | the application database: audit table `self_healing_actions` (absent: decisions kept in memory) |
 * | `APPROVAL_TOKEN` | secretKeyRef `approval-token` of the API gateway's Secret (approval-token.ts), when the gateway is rendered: the bearer token of the approval API `/api/v1/approvals…`; optional in mode auto, required in mode approval (the executor then waits for the Secret) |
 *
 * The rules file carries `selfHealing.mode`: in `approval` mode a confirmed live action within the
 * limits is held as pending until a person approves it through the API gateway (then confirmed and
 * checked again, and run), rejects it, or it expires after `selfHealing.limits.approvalTtl`.
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
    const plan = selfHealingPlan(ctx, values, { prometheus: undefined, postgresql: undefined, aiEngine: undefined });
    const name = plan.name;
    if (!props.prometheus) ctx.warn('selfHealing is enabled without prometheus: the executor confirms every alert with Prometheus before acting, so it will act on nothing');
    if (values.mode === 'approval' && !props.approvalToken) {
      ctx.warn(
        `selfHealing.mode is approval but apiGateway is disabled: live actions are held for approval and nobody can approve them (they expire after selfHealing.limits.approvalTtl, ${values.limits.approvalTtl}); enable apiGateway or set selfHealing.mode: auto`,
      );
    }
    if (values.mode === 'approval' && values.dryRun) {
      ctx.warn('selfHealing.mode approval holds live actions only, and selfHealing.dryRun is true: dry runs are never held, so nothing waits for approval; set selfHealing.dryRun: false');
    }

    const rules = selfHealingRules(ctx, values, props, selectorLabels(ctx, ID));
    const config = { [RULES_FILE]: jsonFile(rules) };
    new k8s.KubeConfigMap(this, 'rules', { metadata: metadata(ctx, name, ID, { version: platformServiceVersion(values) }), data: config });

    const serviceAccountName = createServiceAccount(this, ctx, {
      name,
      id: ID,
      namespaceRules: selfHealingRbac(rules, name),
      apiCalls: 'its actions (evicts pods, scales the named workloads and autoscalers, creates Jobs), the Events recording them, and the Lease that elects the acting replica',
    });
    const tokenSecret = new CredentialSecret(this, 'webhook-token', {
      ctx,
      name,
      id: ID,
      existingSecret: values.existingSecret,
      existingSecretPath: 'selfHealing.existingSecret',
      entries: [{ key: TOKEN_KEY, value: values.webhookToken, valuesPath: 'selfHealing.webhookToken' }],
    }).secretName;

    const service = new PlatformService(this, 'service', {
      // Evicted last: it is what repairs the others under pressure.
      priority: 'critical',
      ctx,
      values,
      valuesPath: 'selfHealing',
      component: ID.name,
      role: ID.component,
      basePath: '/',
      env: [
        { name: ENV.selfHealing.rulesFile, value: `${RULES_DIR}/${RULES_FILE}` },
        secretEnv(ENV.selfHealing.webhookToken, tokenSecret, TOKEN_KEY),
        ...leaseEnv(ENV.selfHealing, name),
        ...prometheusEnv(props.prometheus),
        ...(props.aiEngine ? [{ name: ENV.aiEngineClient.url, value: props.aiEngine.url }] : []),
        ...postgresEnv(props.postgresql),
        ...(props.approvalToken ? [approvalTokenEnv(props.approvalToken, values.mode === 'auto')] : []),
      ],
      serviceAccountName,
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

/** APPROVAL_TOKEN from the gateway's Secret; `optional`: the executor starts without it (mode auto needs no approvals). */
function approvalTokenEnv(ref: ApprovalTokenRef, optional: boolean): k8s.EnvVar {
  const env = secretEnv(ENV.approvals.token, ref.secretName, ref.key);
  return optional ? { ...env, valueFrom: { secretKeyRef: { ...env.valueFrom!.secretKeyRef!, optional: true } } } : env;
}
