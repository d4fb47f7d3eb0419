import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import * as z from 'zod/mini';
import { SERVICE_ENV } from '../../core/service-env.js';
import { parseRulesFile, type RulesFile } from '../../core/self-healing-rules.js';
import { envOptionalString, envString } from '../kit/config.js';
import { KubeClient, kubernetesEnvShape, LeaderElector } from '../kit/kubernetes.js';
import { postgresEnvCheck, postgresEnvShape } from '../kit/postgres.js';
import type { ServiceDefinition } from '../kit/run.js';
import { HttpError, readJson, sendJson, type RequestContext } from '../kit/server.js';
import { durationMillis } from '../../core/duration.js';
import { parseWebhook } from './alerts.js';
import { registerApprovalRoutes } from './approval-api.js';
import { approvalsFromRecords, type ApprovalState } from './approvals.js';
import { auditStoreFromEnv, MAX_RECENT } from './audit-store.js';
import { DecisionLog, eventSink, toAuditRecord } from './decision-log.js';
import { EngineClient } from './engine-confirmation.js';
import { OUTCOMES, type TargetRef } from './engine.js';
import { Executor } from './executor.js';
import { createExecutorMetrics } from './metrics.js';
import { PrometheusClient } from './prometheus.js';

/**
 * The self-healing executor: `POST /api/v1/alerts` (Alertmanager's webhook, bearer token),
 * `GET /api/v1/actions` (recent decisions, newest first), `GET /api/v1/status`, and the approval
 * API `/api/v1/approvals…` (approval-api.ts; bearer APPROVAL_TOKEN, for the API gateway). Only the
 * holder of the Lease acts; the other replicas answer webhooks and approve/reject calls with 503 so
 * that they are sent again (through the Service, to a replica that may be the holder). A new Lease
 * holder takes over guardrail state and pending approvals from the audit table (PostgreSQL); without
 * it, pending approvals live in the holder's memory only.
 */

const E = SERVICE_ENV.selfHealing;

/** Environment of the executor (the chart sets all but the two KUBERNETES_* overrides). */
export const selfHealingConfigSchema = z
  .object({
    [E.rulesFile]: envString(),
    [E.webhookToken]: envString({ secret: true }),
    [E.leaseName]: envString({ default: 'self-healing' }),
    /** The approval API's bearer token (the API gateway's); absent: that API answers 503. */
    [SERVICE_ENV.approvals.token]: envOptionalString(),
    [SERVICE_ENV.prometheus.url]: envOptionalString(),
    [SERVICE_ENV.aiEngineClient.url]: envOptionalString(),
    ...kubernetesEnvShape,
    ...postgresEnvShape,
  })
  .check(postgresEnvCheck);

/** How often due scale-backs are looked for (a pure check; API calls only when one is due). */
const TICK_MS = 1_000;
/** Rows of the audit table are kept this long, pruned every hour. */
export const AUDIT_RETENTION_DAYS = 90;
const PRUNE_MS = 3_600_000;
/** Shortest token the executor accepts (the chart's schema asks for 16 characters). */
const MIN_TOKEN_LENGTH = 16;

/** The rules file: JSON (the chart writes it; JSON keeps a YAML parser out of the bundle). */
export function loadRules(path: string): RulesFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`cannot read the rules file ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new Error(`the rules file ${path} is not JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  return parseRulesFile(parsed);
}

/** `Authorization: Bearer <token>` (scheme case-insensitive, RFC 7235) equal to `expected`, compared in constant time (digests of equal length). */
export function bearerMatches(header: string | undefined, expected: string): boolean {
  const match = /^Bearer +([\x21-\x7e]+)$/i.exec(header ?? '');
  if (!match) return false;
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(match[1]!), digest(expected));
}

export const selfHealingService: ServiceDefinition<typeof selfHealingConfigSchema> = {
  name: 'self-healing',
  configSchema: selfHealingConfigSchema,
  build: ({ config, log, registry, server }) => {
    const rules = loadRules(config[E.rulesFile]);
    const token = config[E.webhookToken];
    if (token.length < MIN_TOKEN_LENGTH) throw new Error(`${E.webhookToken} must have at least ${MIN_TOKEN_LENGTH} characters`);
    const approvalToken = config[SERVICE_ENV.approvals.token];
    if (approvalToken !== undefined && approvalToken.length < MIN_TOKEN_LENGTH) throw new Error(`${SERVICE_ENV.approvals.token} must have at least ${MIN_TOKEN_LENGTH} characters`);
    const pod = config.POD_NAME ?? hostname();
    const namespace = config.POD_NAMESPACE ?? rules.namespace;
    const metrics = createExecutorMetrics(registry);
    // Every series from the start, so that increase() sees the first decision of each kind.
    for (const rule of rules.rules) {
      for (const outcome of OUTCOMES) metrics.decisions.inc({ rule: rule.name, outcome }, 0);
      metrics.gaveUp.inc({ rule: rule.name }, 0);
    }

    const kube = new KubeClient({ baseUrl: config.KUBERNETES_API_URL, tokenFile: config.KUBERNETES_TOKEN_FILE });
    const prometheusUrl = config[SERVICE_ENV.prometheus.url];
    const prometheus = prometheusUrl ? new PrometheusClient({ url: prometheusUrl.replace(/\/+$/, '') }) : undefined;
    const engineUrl = config[SERVICE_ENV.aiEngineClient.url];
    const engine = engineUrl ? new EngineClient({ url: engineUrl.replace(/\/+$/, '') }) : undefined;
    const store = auditStoreFromEnv(config, log, registry);
    const recent = new DecisionLog(200);
    const executor = new Executor({
      rules,
      kube,
      prometheus,
      engine,
      log,
      metrics,
      ownPod: pod,
      sinks: [
        recent,
        eventSink(kube, pod, log),
        ...(store ? [{ record: (d: Parameters<typeof toAuditRecord>[0]) => store.record(toAuditRecord(d, pod)) }] : []),
      ],
    });

    const elector = new LeaderElector({
      client: kube,
      namespace,
      name: config[E.leaseName],
      identity: pod,
      onError: (err) => log.warn({ err }, 'Lease round failed'),
    });
    // A new Lease holder takes over the bounds of the previous one from the audit table.
    let restoring: Promise<void> = Promise.resolve();
    /** Approvals held within this span may still be pending or shown as decided: the TTL and a day. */
    const approvalSpanMs = durationMillis(rules.guardrails.approvalTtl) + 86_400_000;
    const storedApprovals = async (opts: { state?: ApprovalState | undefined; limit: number }) => {
      const approvals = approvalsFromRecords(await store!.approvalRows(approvalSpanMs, MAX_RECENT));
      return approvals
        .filter((a) => !opts.state || a.state === opts.state)
        .sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt))
        .slice(0, opts.limit);
    };
    const restore = () => {
      if (!store || !migrated) return;
      const past = store.recent(MAX_RECENT).then(
        (decisions) => {
          executor.engine.restore(
            decisions.map((d) => ({ at: d.at.getTime(), rule: d.rule, outcome: d.outcome, target: d.target as TargetRef, fingerprint: d.fingerprint })),
            Date.now(),
          );
          log.info({ decisions: decisions.length }, 'guardrail state taken over from the audit table');
        },
        (err: unknown) => log.warn({ err }, 'reading the audit table failed: starting with empty guardrail state'),
      );
      const held = store.approvalRows(approvalSpanMs, MAX_RECENT).then(
        (rows) => {
          const approvals = approvalsFromRecords(rows);
          executor.engine.restoreApprovals(approvals, Date.now());
          log.info({ approvals: approvals.length, pending: executor.engine.pendingApprovals }, 'approvals taken over from the audit table');
        },
        (err: unknown) => log.warn({ err }, 'reading the approvals from the audit table failed: earlier pending approvals cannot be decided here'),
      );
      restoring = Promise.all([past, held]).then(() => undefined);
    };
    elector.onChange((leader) => {
      metrics.leader.set(leader ? 1 : 0);
      if (!leader) metrics.pendingApprovals.set(0);
      if (leader) restore();
      log.info({ lease: config[E.leaseName], leader }, leader ? 'holding the Lease: acting on alerts' : 'not holding the Lease: standing by');
    });
    metrics.leader.set(0);
    elector.start();

    // Migrations retry until PostgreSQL answers (it may start after the executor).
    let migrated = false;
    let migrating: NodeJS.Timeout | undefined;
    const migrate = () => {
      store!.migrate().then(
        () => {
          migrated = true;
          log.info('audit table self_healing_actions ready');
          if (elector.isLeader()) restore();
        },
        (err: unknown) => {
          log.warn({ err }, 'audit schema migration failed: retrying in 10 s');
          migrating = setTimeout(migrate, 10_000);
        },
      );
    };
    if (store) migrate();

    const pruner = setInterval(() => {
      if (!store || !migrated || !elector.isLeader()) return;
      store.prune(AUDIT_RETENTION_DAYS).then(
        (deleted) => deleted > 0 && log.info({ deleted, retentionDays: AUDIT_RETENTION_DAYS }, 'old audit rows deleted'),
        (err: unknown) => log.warn({ err }, 'pruning the audit table failed'),
      );
    }, PRUNE_MS);
    const ticker = setInterval(() => {
      if (!elector.isLeader()) return;
      // After a takeover, first the audit table's state: an approval another holder decided is not expired here.
      restoring
        .then(() => executor.tick())
        .catch((err: unknown) => log.error({ err }, 'scale-back and expiry round failed'));
    }, TICK_MS);

    server.route('POST', '/api/v1/alerts', async ({ req, res }: RequestContext) => {
      if (!bearerMatches(req.headers.authorization, token)) {
        throw new HttpError(401, 'missing or wrong bearer token', { 'www-authenticate': 'Bearer realm="self-healing"' });
      }
      const parsed = parseWebhook(await readJson(req));
      if (!parsed.ok) throw new HttpError(400, parsed.problem);
      if (!elector.isLeader()) throw new HttpError(503, 'this replica does not hold the Lease: send again', { 'retry-after': '5' });
      await restoring;
      const decisions = await executor.handle(parsed.payload.alerts);
      const busy = decisions.some((d) => d.outcome === 'busy');
      sendJson(res, busy ? 503 : 200, { decisions }, busy ? { 'retry-after': '10' } : {});
    });

    server.route('GET', '/api/v1/actions', async ({ res, url }: RequestContext) => {
      const raw = url.searchParams.get('limit');
      const limit = raw === null ? 100 : Number(raw);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new HttpError(400, 'limit: expected an integer 1-1000');
      if (store && migrated) {
        try {
          sendJson(res, 200, { source: 'postgresql', actions: await store.recent(limit) });
          return;
        } catch (err) {
          log.warn({ err }, 'reading the audit table failed: answering from memory');
        }
      }
      sendJson(res, 200, { source: 'memory', actions: recent.newestFirst(limit).map((d) => toAuditRecord(d, pod)) });
    });

    registerApprovalRoutes(server, {
      token: approvalToken,
      mode: rules.mode,
      dryRun: rules.dryRun,
      bearerMatches,
      isLeader: () => elector.isLeader(),
      restored: () => restoring,
      list: (opts) => executor.approvals(opts),
      listStored: store
        ? async (opts) => {
            if (!migrated) throw new HttpError(503, 'the audit table is not ready yet: send again', { 'retry-after': '5' });
            try {
              return await storedApprovals(opts);
            } catch (err) {
              log.warn({ err }, 'reading the approvals from the audit table failed');
              throw new HttpError(503, 'the audit table did not answer: send again', { 'retry-after': '5' });
            }
          }
        : undefined,
      approve: (id, who) => executor.approve(id, who),
      reject: (id, who) => executor.reject(id, who),
    });

    server.route('GET', '/api/v1/status', ({ res }: RequestContext) => {
      const now = Date.now();
      sendJson(res, 200, {
        pod,
        leader: elector.isLeader(),
        dryRun: rules.dryRun,
        mode: rules.mode,
        pendingApprovals: executor.engine.pendingApprovals,
        approvalApi: approvalToken === undefined ? 'not configured' : 'configured',
        circuitBreakerOpen: executor.engine.circuitOpen(now),
        running: executor.engine.running,
        scaledOut: executor.engine.scaledOut,
        guardrails: rules.guardrails,
        rules: rules.rules.map((r) => ({ name: r.name, action: r.match.action, type: r.action.type, cooldown: r.cooldown })),
        audit: store ? (migrated ? 'postgresql' : 'postgresql (migrating)') : 'memory',
      });
    });

    server.readiness('kubernetes', () => kube.getLease(namespace, config[E.leaseName]));
    if (prometheus) server.readiness('prometheus', () => prometheus.ready());
    if (!prometheus) log.warn(`${SERVICE_ENV.prometheus.url} is not set: no alert can be confirmed, so the executor acts on nothing`);
    if (rules.mode === 'approval' && approvalToken === undefined) {
      log.warn(`approval mode without ${SERVICE_ENV.approvals.token}: live actions are held, but nobody can approve them (the approval API answers 503); they expire after ${rules.guardrails.approvalTtl}`);
    }
    if (rules.mode === 'approval' && !store) log.warn('approval mode without PostgreSQL: pending approvals live in this replica\'s memory only (lost on restart or a Lease change)');
    log.info({ rules: rules.rules.map((r) => r.name), dryRun: rules.dryRun, mode: rules.mode, guardrails: rules.guardrails, lease: config[E.leaseName] }, 'self-healing executor configured');

    return {
      close: async () => {
        clearInterval(ticker);
        clearInterval(pruner);
        clearTimeout(migrating);
        await elector.stop();
        await store?.close();
      },
    };
  },
};
