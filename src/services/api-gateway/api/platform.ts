import * as z from 'zod/mini';
import { durationMillis } from '../../../core/duration.js';
import { APPROVAL_ID_PATTERN } from '../../../core/approval-id.js';
import { HttpError } from '../../kit/server.js';
import { mayApprove } from '../identity/roles.js';
import type { RequestContext } from '../../kit/server.js';
import { cached, type ResponseCache } from './cache.js';
import { operation, type Operation } from './operations.js';
import { callUpstream, type Upstream } from './upstream.js';

/**
 * The platform API's operations over the components behind the gateway: alerts and silences
 * (Alertmanager), instant and range queries (Prometheus, bounded), anomalies, series and query
 * analysis (the AI engine), self-healing decisions and approvals (the executor), and the health
 * overview. Reads of the hot endpoints are cached ({@link CACHE_TTL_MS}); every mutation is
 * audited before it is forwarded (operations.ts).
 */

/** The components, each absent when it is not part of the platform (its operations then answer 404). */
export interface PlatformUpstreams {
  readonly prometheus?: Upstream;
  readonly alertmanager?: Upstream;
  readonly aiEngine?: Upstream;
  /** The executor, with the approval token in its headers. */
  readonly executor?: Upstream;
}

/** How long each cached read is kept, ms (documented in the README); the keys are the cache groups a change invalidates. */
export const CACHE_TTL_MS = { alerts: 5_000, silences: 5_000, anomalies: 10_000, series: 30_000, analysis: 30_000, actions: 5_000, health: 10_000 } as const;
type CacheGroup = keyof typeof CACHE_TTL_MS;

/** Bounds of `GET /api/v1/query_range`. */
export const QUERY_LIMITS = { maxRangeMs: 7 * 86_400_000, minStepMs: 1_000, maxPoints: 11_000, maxQueryLength: 4096 } as const;

/** Silences may last at most this long. */
export const MAX_SILENCE_MS = 30 * 86_400_000;

const LABEL_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const text = (max: number) => z.string().check(z.maxLength(max), z.refine((s) => !/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(s), 'control characters are not allowed'));
const bool = z.optional(z.enum(['true', 'false']));
const intText = (min: number, max: number) => z.optional(z.string().check(z.refine((s) => /^\d{1,9}$/.test(s) && Number(s) >= min && Number(s) <= max, `expected an integer ${min}-${max}`)));
/** A Prometheus time: RFC 3339 or Unix seconds. */
const timeText = z.string().check(z.refine((s) => /^\d{1,12}(\.\d{1,9})?$/.test(s) || !Number.isNaN(Date.parse(s)), 'expected RFC 3339 or Unix seconds'));
const timeMs = (s: string) => (/^\d/.test(s) && !s.includes('-') ? Number(s) * 1000 : Date.parse(s));
/** A Prometheus step: a duration (`30s`, `1m`) or seconds. */
const stepMs = (s: string) => (/^\d+(\.\d+)?$/.test(s) ? Number(s) * 1000 : durationMillis(s));
const stepText = z.string().check(z.refine((s) => { try { return stepMs(s) > 0; } catch { return false; } }, 'expected a duration such as 30s or seconds'));
/** An Alertmanager matcher expression as its API takes them in `filter`: `name="value"`, `!=`, `=~`, `!~`. */
const matcherText = text(512).check(z.regex(/^[A-Za-z_][A-Za-z0-9_]*(=|!=|=~|!~)"(?:[^"\\]|\\.)*"$/, 'expected name="value" (or !=, =~, !~)'));

const anyObject = z.record(z.string(), z.unknown());
const alert = z.object({
  labels: z.record(z.string(), z.string()),
  annotations: z.record(z.string(), z.string()),
  startsAt: z.string(),
  endsAt: z.string(),
  fingerprint: z.string(),
  status: z.object({ state: z.string(), silencedBy: z.array(z.string()), inhibitedBy: z.array(z.string()) }),
});
const matcher = z.object({ name: text(128).check(z.regex(LABEL_NAME, 'expected a label name')), value: text(1024), isRegex: z.boolean(), isEqual: z._default(z.boolean(), true) });
// Alertmanager itself refuses a silence whose matchers all match the empty string (its 400 passes through).
const silenceBody = z.object({
  matchers: z.array(matcher).check(z.minLength(1), z.maxLength(20)),
  startsAt: z.optional(timeText),
  endsAt: timeText,
  comment: text(1000).check(z.minLength(1)),
});
const approvalBody = z.object({ reason: z.optional(text(500)) });

function need(upstream: Upstream | undefined, what: string): Upstream {
  if (!upstream) throw new HttpError(404, `${what} is not part of this platform`);
  return upstream;
}

/** The operations, bound to the components and the cache. */
export function platformOperations(up: PlatformUpstreams, cache: ResponseCache, now: () => number = Date.now): Operation[] {
  type Query = Record<string, string | readonly string[] | undefined>;
  /** A call to a component as the request of `ctx` (its request id goes along). */
  const call = (ctx: RequestContext, u: Upstream | undefined, what: string, path: string, o: { method?: string; query?: Query; body?: unknown } = {}) =>
    callUpstream(need(u, what), path, { ...o, requestId: ctx.requestId });
  /** A cached read of `group` (one entry per query). */
  const read = (ctx: RequestContext, u: Upstream | undefined, what: string, group: CacheGroup, ttl: number, path: string, query: Query = {}) =>
    cached(cache, group, `${path}?${JSON.stringify(query)}`, ttl, async () => (await call(ctx, u, what, path, { query })).body);

  return [
    operation({
      method: 'GET',
      path: '/alerts',
      tag: 'alerts',
      summary: 'Alerts in Alertmanager (firing, silenced, inhibited), optionally filtered by label matchers',
      role: 'viewer',
      query: z.object({ active: bool, silenced: bool, inhibited: bool, filter: z.optional(z.array(matcherText).check(z.maxLength(20))) }),
      response: z.array(alert),
      handler: async ({ ctx, query }) => ({ body: await read(ctx, up.alertmanager, 'Alertmanager', 'alerts', CACHE_TTL_MS.alerts, '/api/v2/alerts', query) }),
    }),
    operation({
      method: 'GET',
      path: '/silences',
      tag: 'alerts',
      summary: 'Silences in Alertmanager',
      role: 'viewer',
      query: z.object({ filter: z.optional(z.array(matcherText).check(z.maxLength(20))) }),
      response: z.array(anyObject),
      handler: async ({ ctx, query }) => ({ body: await read(ctx, up.alertmanager, 'Alertmanager', 'silences', CACHE_TTL_MS.silences, '/api/v2/silences', query) }),
    }),
    operation({
      method: 'POST',
      path: '/silences',
      tag: 'alerts',
      summary: 'Creates a silence (at most 30 days); createdBy is the caller',
      role: 'operator',
      body: silenceBody,
      response: z.object({ silenceID: z.string() }),
      target: ({ body }) => `silence ${body.matchers.map((m) => `${m.name}${m.isEqual ? '' : '!'}${m.isRegex ? '~' : '='}${JSON.stringify(m.value)}`).join(',')}`,
      handler: async ({ ctx, body, principal }) => {
        const startsAt = body.startsAt ? timeMs(body.startsAt) : now();
        const endsAt = timeMs(body.endsAt);
        if (!(endsAt > startsAt)) throw new HttpError(400, 'body.endsAt: must be after startsAt');
        if (endsAt - startsAt > MAX_SILENCE_MS) throw new HttpError(400, 'body.endsAt: a silence lasts at most 30 days');
        const silence = { ...body, startsAt: new Date(startsAt).toISOString(), endsAt: new Date(endsAt).toISOString(), createdBy: principal.username };
        const answer = await call(ctx, up.alertmanager, 'Alertmanager', '/api/v2/silences', { method: 'POST', body: silence });
        // A silence changes which alerts are silenced: the next read shows it.
        await Promise.all([cache.invalidate('silences'), cache.invalidate('alerts')]);
        return { body: answer.body };
      },
    }),
    operation({
      method: 'DELETE',
      path: '/silences/{id}',
      tag: 'alerts',
      summary: 'Expires a silence',
      role: 'operator',
      response: z.object({}),
      target: ({ params }) => `silence ${params['id']}`,
      handler: async ({ ctx, params }) => {
        if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(params['id']!)) throw new HttpError(400, 'id: expected a silence id (UUID)');
        await call(ctx, up.alertmanager, 'Alertmanager', `/api/v2/silence/${params['id']}`, { method: 'DELETE' });
        await Promise.all([cache.invalidate('silences'), cache.invalidate('alerts')]);
        return { body: {} };
      },
    }),
    operation({
      method: 'GET',
      path: '/query',
      tag: 'metrics',
      summary: 'Instant PromQL query (Prometheus /api/v1/query, 30 s timeout)',
      role: 'viewer',
      query: z.object({ query: text(QUERY_LIMITS.maxQueryLength).check(z.minLength(1)), time: z.optional(timeText) }),
      response: anyObject,
      handler: async ({ ctx, query }) => ({ body: (await call(ctx, up.prometheus, 'Prometheus', '/api/v1/query', { query: { ...query, timeout: '30s' } })).body }),
    }),
    operation({
      method: 'GET',
      path: '/query_range',
      tag: 'metrics',
      summary: 'Range PromQL query: at most 7 days, a step of at least 1 s, at most 11,000 points',
      role: 'viewer',
      query: z.object({ query: text(QUERY_LIMITS.maxQueryLength).check(z.minLength(1)), start: timeText, end: timeText, step: stepText }),
      response: anyObject,
      handler: async ({ ctx, query }) => {
        const range = timeMs(query.end) - timeMs(query.start);
        const step = stepMs(query.step);
        if (!(range >= 0)) throw new HttpError(400, 'query.end: must not be before start');
        if (range > QUERY_LIMITS.maxRangeMs) throw new HttpError(400, 'query.start: the range is at most 7 days');
        if (step < QUERY_LIMITS.minStepMs) throw new HttpError(400, 'query.step: at least 1s');
        if (range / step + 1 > QUERY_LIMITS.maxPoints) throw new HttpError(400, `query.step: at most ${QUERY_LIMITS.maxPoints} points per series; use a step of at least ${Math.ceil(range / (QUERY_LIMITS.maxPoints - 1) / 1000)}s`);
        return { body: (await call(ctx, up.prometheus, 'Prometheus', '/api/v1/query_range', { query: { ...query, timeout: '30s' } })).body };
      },
    }),
    operation({
      method: 'GET',
      path: '/anomalies',
      tag: 'anomalies',
      summary: 'Anomalies the AI engine found (active, then recent; history=true reads PostgreSQL)',
      role: 'viewer',
      query: z.object({
        source: z.optional(z.enum(['metrics', 'logs', 'queries'])),
        kind: z.optional(text(64)),
        active: bool,
        history: bool,
        limit: intText(1, 1000),
        component: z.optional(text(128)),
        namespace: z.optional(text(128)),
      }),
      response: z.object({ anomalies: z.array(anyObject) }),
      handler: async ({ ctx, query }) => ({ body: await read(ctx, up.aiEngine, 'The AI engine', 'anomalies', CACHE_TTL_MS.anomalies, '/api/v1/anomalies', query) }),
    }),
    operation({
      method: 'GET',
      path: '/series',
      tag: 'anomalies',
      summary: 'The series the AI engine watches',
      role: 'viewer',
      response: z.object({ series: z.array(anyObject) }),
      handler: async ({ ctx }) => ({ body: await read(ctx, up.aiEngine, 'The AI engine', 'series', CACHE_TTL_MS.series, '/api/v1/series') }),
    }),
    operation({
      method: 'GET',
      path: '/series/{id}',
      tag: 'anomalies',
      summary: 'One watched series: its label sets with points, baseline band and scores',
      role: 'viewer',
      query: z.object({ limit: intText(1, 500) }),
      response: anyObject,
      handler: async ({ ctx, params, query }) => {
        const id = params['id']!;
        if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(id)) throw new HttpError(400, 'id: expected a series id');
        return { body: await read(ctx, up.aiEngine, 'The AI engine', 'series', CACHE_TTL_MS.series, `/api/v1/series/${id}`, query) };
      },
    }),
    operation({
      method: 'GET',
      path: '/analysis/queries',
      tag: 'anomalies',
      summary: 'Slow-query report of the AI engine (top statements, regressions)',
      role: 'viewer',
      query: z.object({ top: intText(1, 100) }),
      response: anyObject,
      handler: async ({ ctx, query }) => ({ body: await read(ctx, up.aiEngine, 'The AI engine', 'analysis', CACHE_TTL_MS.analysis, '/api/v1/analysis/queries', query) }),
    }),
    operation({
      method: 'GET',
      path: '/actions',
      tag: 'self-healing',
      summary: 'Self-healing decisions, newest first',
      role: 'viewer',
      query: z.object({ limit: intText(1, 500) }),
      response: anyObject,
      handler: async ({ ctx, query }) => ({ body: await read(ctx, up.executor, 'The self-healing executor', 'actions', CACHE_TTL_MS.actions, '/api/v1/actions', query) }),
    }),
    operation({
      method: 'GET',
      path: '/approvals',
      tag: 'self-healing',
      summary: 'Actions waiting for approval (selfHealing.mode: approval) and recently decided ones',
      role: 'viewer',
      response: anyObject,
      handler: async ({ ctx }) => ({ body: (await call(ctx, up.executor, 'The self-healing executor', '/api/v1/approvals')).body }),
    }),
    ...(['approve', 'reject'] as const).map((verb) =>
      operation({
        method: 'POST',
        path: `/approvals/{id}/${verb}`,
        tag: 'self-healing',
        summary: verb === 'approve' ? 'Approves a pending action: an admin for a live action, an operator for a dry-run one' : 'Rejects a pending action',
        role: 'operator',
        body: approvalBody,
        response: anyObject,
        target: ({ params }) => `approval ${params['id']}`,
        handler: async ({ ctx, params, principal, body }) => {
          const id = params['id']!;
          if (!APPROVAL_ID_PATTERN.test(id)) throw new HttpError(400, 'id: expected an approval id');
          const executor = need(up.executor, 'The self-healing executor');
          if (verb === 'approve' && !mayApprove(principal.role, false)) {
            // Operators approve dry-run actions only: ask the executor what this one would do.
            const list = (await call(ctx, executor, 'The self-healing executor', '/api/v1/approvals')).body as { approvals?: { id: string; dryRun?: boolean }[] };
            const pending = list.approvals?.find((a) => a.id === id);
            if (!pending) throw new HttpError(404, `no approval ${id}`);
            if (!mayApprove(principal.role, pending.dryRun === true)) throw new HttpError(403, 'approving a live action needs the admin role');
          }
          const answer = await call(ctx, executor, 'The self-healing executor', `/api/v1/approvals/${encodeURIComponent(id)}/${verb}`, {
            method: 'POST',
            body: { actor: principal.username, role: principal.role, ...(body.reason ? { reason: body.reason } : {}) },
          });
          // An approved action is a new decision: the next read of the decisions shows it.
          await cache.invalidate('actions');
          return { body: answer.body };
        },
      }),
    ),
    operation({
      method: 'GET',
      path: '/health',
      tag: 'overview',
      summary: "The components' health: Prometheus `up` by job (targets up and down)",
      role: 'viewer',
      response: z.object({ components: z.array(z.object({ job: z.string(), up: z.number(), down: z.number() })) }),
      handler: async ({ ctx }) => {
        const body = await cached(cache, 'health', 'up', CACHE_TTL_MS.health, async () => {
          const answer = (await call(ctx, up.prometheus, 'Prometheus', '/api/v1/query', { query: { query: 'sum by (job) (up)', timeout: '10s' } })).body as { data?: { result?: { metric: { job?: string }; value: [number, string] }[] } };
          const total = (await call(ctx, up.prometheus, 'Prometheus', '/api/v1/query', { query: { query: 'count by (job) (up)', timeout: '10s' } })).body as typeof answer;
          const upBy = new Map((answer.data?.result ?? []).map((r) => [r.metric.job ?? '', Number(r.value[1])]));
          const components = (total.data?.result ?? [])
            .map((r) => ({ job: r.metric.job ?? '', up: upBy.get(r.metric.job ?? '') ?? 0, down: Number(r.value[1]) - (upBy.get(r.metric.job ?? '') ?? 0) }))
            .sort((a, b) => b.down - a.down || a.job.localeCompare(b.job));
          return { components };
        });
        return { body };
      },
    }),
  ];
}
