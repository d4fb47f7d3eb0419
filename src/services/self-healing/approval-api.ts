import type { ServerResponse } from 'node:http';
import * as z from 'zod/mini';
import { issueLine } from '../../core/zod-issue-text.js';
import { HttpError, readJson, sendJson, type RequestContext, type ServiceServer } from '../kit/server.js';
import { APPROVAL_STATES, type Approval, type ApprovalState, type Decider } from './approvals.js';
import type { ApprovalResult } from './executor.js';
import { APPROVAL_ID_PATTERN } from '../../core/approval-id.js';

/**
 * The executor's approval API, for the API gateway (which authenticates people and decides who
 * may approve; the executor records who did):
 *
 * - `GET /api/v1/approvals[?state=pending|approved|rejected|expired][&limit=1..1000]`:
 *   `{ mode, source, approvals: [Approval…] }`, newest first (pending ones and those decided within
 *   a day); the Lease holder answers from memory, the other replicas from the audit table. Each
 *   approval also says `dryRun`: whether this executor runs an approved action as a dry run
 *   (selfHealing.dryRun; actions are held in live mode only, so false unless the setting changed).
 * - `POST /api/v1/approvals/:id/approve`, `POST /api/v1/approvals/:id/reject`, body
 *   `{ "actor": "alice", "role": "admin", "reason": "…" }` (reason optional): `{ approval, decision }`;
 *   404 unknown id, 409 already decided or expired (`{ error, approval }`), 503 not the Lease holder
 *   or (approve) too many actions running (`{ error, approval }`, it stays pending).
 *
 * Every call needs `Authorization: Bearer <APPROVAL_TOKEN>` (401 without, compared in constant
 * time); without APPROVAL_TOKEN the API answers 503 (not configured).
 */

/** Who the gateway authenticated: a user name (letters, digits, `. _ @ + -`, e.g. an e-mail address). */
const ACTOR = /^[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}$/;
/** A role name such as viewer, operator, admin. */
const ROLE = /^[a-z][a-z0-9_-]{0,31}$/;
/** Longest reason, in characters. */
export const MAX_REASON_LENGTH = 500;
/** C0/C1 controls, line and paragraph separators, bidirectional overrides: nothing that rewrites how an audit line reads. */
const UNSAFE_TEXT = /[\p{Cc}\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;
/** Approval ids are the executor's UUIDs (or the engine's `approval-<n>`). */
const APPROVAL_ID = APPROVAL_ID_PATTERN;

const BODY_KEYS = ['actor', 'role', 'reason'];

/** `{ actor, role, reason? }` of an approve or reject call. */
export const decisionBodySchema = z.strictObject(
  {
    actor: z.string().check(z.regex(ACTOR, 'expected 1-128 characters of A-Z a-z 0-9 . _ @ + -, starting with a letter or digit')),
    role: z.string().check(z.regex(ROLE, 'expected 1-32 characters of a-z 0-9 _ -, starting with a letter')),
    reason: z.optional(
      z.string().check(
        z.maxLength(MAX_REASON_LENGTH, `expected at most ${MAX_REASON_LENGTH} characters`),
        z.refine((s) => !UNSAFE_TEXT.test(s), 'expected text without control characters, line separators or bidirectional overrides'),
      ),
    ),
  },
  {
    error: (issue) =>
      issue.code === 'unrecognized_keys' ? `unknown key ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}: expected ${BODY_KEYS.join(', ')}` : undefined,
  },
);

/** The body of an approve or reject call, or the first problem as one line. */
export function parseDecider(body: unknown): { ok: true; decider: Decider } | { ok: false; problem: string } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { ok: false, problem: `(body): expected a JSON object with ${BODY_KEYS.join(', ')}` };
  const result = z.safeParse(decisionBodySchema, body);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    // zod/mini keeps no input in its issues: a wrong type is told from a missing field here.
    const field = issue.path[0];
    if (issue.code === 'invalid_type' && typeof field === 'string' && (body as Record<string, unknown>)[field] !== undefined) {
      return { ok: false, problem: `${field}: expected a ${issue.expected}` };
    }
    return { ok: false, problem: issueLine(issue, [], '(body)') };
  }
  const { actor, role, reason } = result.data;
  const trimmed = reason?.trim();
  return { ok: true, decider: { actor, role, ...(trimmed ? { reason: trimmed } : {}) } };
}

/** What the approval routes need from the service. */
export interface ApprovalApiDeps {
  /** APPROVAL_TOKEN; undefined: every call answers 503. */
  readonly token: string | undefined;
  readonly mode: string;
  /** The rules file's dryRun: an approved action runs as a dry run. */
  readonly dryRun: boolean;
  /** Constant-time bearer check (the webhook's). */
  readonly bearerMatches: (header: string | undefined, expected: string) => boolean;
  readonly isLeader: () => boolean;
  /** Resolves once a new Lease holder took over the audit table's state. */
  readonly restored: () => Promise<void>;
  /** The Lease holder's approvals. */
  readonly list: (opts: { state?: ApprovalState | undefined; limit: number }) => Approval[];
  /** The approvals from the audit table, for the replicas that do not hold the Lease; undefined without one. */
  readonly listStored?: ((opts: { state?: ApprovalState | undefined; limit: number }) => Promise<Approval[]>) | undefined;
  readonly approve: (id: string, who: Decider) => Promise<ApprovalResult>;
  readonly reject: (id: string, who: Decider) => ApprovalResult;
}

const NOT_LEADER = 'this replica does not hold the Lease: send again';

export function registerApprovalRoutes(server: ServiceServer, deps: ApprovalApiDeps): void {
  /** An approval as the API shows it. */
  const shown = (a: Approval) => ({ ...a, dryRun: deps.dryRun });
  const authorize = (ctx: RequestContext) => {
    if (deps.token === undefined) throw new HttpError(503, 'the approval API is not configured: APPROVAL_TOKEN is not set');
    if (!deps.bearerMatches(ctx.req.headers.authorization, deps.token)) {
      throw new HttpError(401, 'missing or wrong bearer token', { 'www-authenticate': 'Bearer realm="self-healing-approvals"' });
    }
  };

  server.route('GET', '/api/v1/approvals', async (ctx: RequestContext) => {
    authorize(ctx);
    const state = ctx.url.searchParams.get('state') ?? undefined;
    if (state !== undefined && !APPROVAL_STATES.includes(state as ApprovalState)) throw new HttpError(400, `state: expected one of ${APPROVAL_STATES.join(', ')}`);
    const raw = ctx.url.searchParams.get('limit');
    const limit = raw === null ? 100 : Number(raw);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new HttpError(400, 'limit: expected an integer 1-1000');
    const opts = { state: state as ApprovalState | undefined, limit };
    if (deps.isLeader()) {
      await deps.restored();
      sendJson(ctx.res, 200, { mode: deps.mode, source: 'memory', approvals: deps.list(opts).map(shown) });
      return;
    }
    if (!deps.listStored) throw new HttpError(503, `${NOT_LEADER} (no audit table to answer from)`, { 'retry-after': '5' });
    sendJson(ctx.res, 200, { mode: deps.mode, source: 'postgresql', approvals: (await deps.listStored(opts)).map(shown) });
  });

  for (const verb of ['approve', 'reject'] as const) {
    server.route('POST', `/api/v1/approvals/:id/${verb}`, async (ctx: RequestContext) => {
      authorize(ctx);
      const id = ctx.params['id']!;
      if (!APPROVAL_ID.test(id)) throw new HttpError(404, `no approval ${JSON.stringify(id.slice(0, 64))}`);
      const parsed = parseDecider(await readJson(ctx.req, 16 * 1024));
      if (!parsed.ok) throw new HttpError(400, parsed.problem);
      if (!deps.isLeader()) throw new HttpError(503, NOT_LEADER, { 'retry-after': '5' });
      await deps.restored();
      const result = verb === 'approve' ? await deps.approve(id, parsed.decider) : deps.reject(id, parsed.decider);
      ctx.log.info({ approval: id, verb, actor: parsed.decider.actor, role: parsed.decider.role, status: result.status }, `approval ${verb} call`);
      answer(ctx.res, id, verb, result, shown);
    });
  }
}

/** The HTTP answer of an approve or reject call. */
function answer(res: ServerResponse, id: string, verb: 'approve' | 'reject', result: ApprovalResult, shown: (a: Approval) => unknown): void {
  switch (result.status) {
    case 'not-found':
      throw new HttpError(404, `no approval ${JSON.stringify(id)}`);
    case 'conflict': {
      const a = result.approval;
      const by = a.decidedBy ? ` by ${a.decidedBy.actor}` : '';
      sendJson(res, 409, { error: `approval ${id} is ${a.state}${by} (at ${a.decidedAt}): it can no longer be ${verb === 'approve' ? 'approved' : 'rejected'}`, approval: shown(a) });
      return;
    }
    case 'busy':
      sendJson(res, 503, { error: result.decisions.at(-1)?.reason ?? 'too many actions running', approval: shown(result.approval) }, { 'retry-after': '10' });
      return;
    default:
      sendJson(res, 200, { approval: shown(result.approval), decision: result.decision ?? result.decisions.at(-1) });
  }
}
