/**
 * What every route of the gateway's API uses: {@link Guard.requireRole} (who is calling, may they,
 * CSRF and the per-user rate limit) and {@link Guard.audit} / {@link Guard.audited} (the audit row
 * written BEFORE a change, then its outcome).
 *
 * Audit rows of one request share its request id. Outcomes (the same words as the platform API's,
 * api/operations.ts): a mutation writes `requested` before it acts (when that row cannot be
 * written the request fails with 503 and nothing changes), then `done <status>` or
 * `failed <status>`; a refused unsafe request (role, CSRF, a failed sign-in) writes only
 * `failed <status>` (403, 401, 429); a request let through by ForwardAuth writes `forwarded`.
 */
import type { Counter } from 'prom-client';
import type { Logger } from '../../kit/log.js';
import { HttpError, type RequestContext } from '../../kit/server.js';
import { mediaType, readInput } from '../input.js';
import type { Credentials, Principal, RefusalReason } from './credentials.js';
import { CSRF_FIELD, csrfHeaderOf, csrfMatches, crossSiteRequest } from './csrf.js';
import type { RateLimiter } from './rate-limit.js';
import { sourceAddress } from './request.js';
import { atLeast, isUnsafe, type Role } from './roles.js';
import type { AuditEntry } from './store.js';

/** What one audit row says beyond the request's own facts (method, path, request id, source). */
export interface AuditNote {
  /** What was acted on: `user:alice`, `api-key:0123…`, `silence:…`, a forwarded path. */
  readonly target?: string | null;
  readonly outcome: string;
  readonly detail?: unknown;
  /** The method and path the row is about when not this request's own (ForwardAuth: the forwarded request's). */
  readonly method?: string;
  readonly path?: string;
}

export interface GuardOptions {
  readonly credentials: Credentials;
  readonly limits: RateLimiter;
  /** Writes one audit row (store.ts' appendAudit); rejects when it could not. */
  readonly appendAudit: (entry: AuditEntry) => Promise<void>;
  /** Requests below this prefix count against the per-user API limit (`/api`). */
  readonly apiPrefix: string;
  readonly log: Logger;
  /** Counts audit rows that could not be written. */
  readonly auditFailures: Counter;
}

/** The outcome written before a change. */
export const REQUESTED = 'requested';
/** The outcome of a request let through by ForwardAuth (the UI behind it answers). */
export const FORWARDED = 'forwarded';
/** The outcome of a change that answered `status`. */
export const done = (status: number) => `done ${status}`;
/** The outcome of a request refused or failed with `status`. */
export const failed = (status: number) => `failed ${status}`;

/** Logs why a credential was refused: an ended session at debug (browsers keep old cookies), anything else at info. */
export function logRefusal(ctx: RequestContext, r: { readonly reason: RefusalReason; readonly keyId?: string }): void {
  if (r.reason === 'none') return;
  if (r.reason === 'session-unknown') ctx.log.debug({ reason: r.reason }, 'credential refused');
  else ctx.log.info({ reason: r.reason, keyId: r.keyId }, 'credential refused');
}

/** The 401 of a request without a valid credential. */
export function unauthorized(): HttpError {
  return new HttpError(401, 'sign in first, or send an API key (Authorization: Bearer aiops_…)', { 'www-authenticate': 'Bearer realm="aiops"' });
}

export class Guard {
  constructor(private readonly o: GuardOptions) {}

  /** The caller, or undefined when the request carries no valid credential; 503 when a store fails. */
  async principal(ctx: RequestContext): Promise<Principal | undefined> {
    try {
      const resolved = await this.o.credentials.resolve(ctx.req);
      if (resolved.reason !== undefined) logRefusal(ctx, resolved);
      return resolved.principal;
    } catch (err) {
      ctx.log.error({ err }, 'checking the credentials failed');
      throw new HttpError(503, 'the identity store is unavailable: try again', { 'retry-after': '5' });
    }
  }

  /**
   * The caller when they have `min` or a higher role: 401 without a valid credential; 429 above
   * the per-user API limit; for a session's unsafe request, 403 when it is cross-site or lacks
   * the session's CSRF token (header `X-CSRF-Token`, or form field `_csrf`); 403 below `min`.
   */
  async requireRole(ctx: RequestContext, min: Role, opts: { readonly limit?: boolean } = {}): Promise<Principal> {
    const principal = await this.principal(ctx);
    if (!principal) throw unauthorized();
    if (opts.limit !== false) await this.limit(principal, ctx);
    const unsafe = isUnsafe(ctx.req.method ?? 'GET');
    if (unsafe && principal.session) {
      let token = csrfHeaderOf(ctx.req);
      if (token === undefined && mediaType(ctx.req) === 'application/x-www-form-urlencoded') {
        const field = (await readInput(ctx.req)).fields[CSRF_FIELD];
        token = typeof field === 'string' ? field : undefined;
      }
      const reason = crossSiteRequest(ctx.req) ? 'cross-site request' : !csrfMatches(principal.session.record.csrf, token) ? 'CSRF token missing or wrong' : undefined;
      if (reason) {
        await this.auditAfter(ctx, principal, { outcome: failed(403), detail: { reason } });
        throw new HttpError(403, `${reason}: send the session's token in X-CSRF-Token (GET /api/v1/auth/me gives it)`);
      }
    }
    if (!atLeast(principal.role, min)) {
      if (unsafe) await this.auditAfter(ctx, principal, { outcome: failed(403), detail: { reason: `needs ${min}` } });
      throw new HttpError(403, `this needs the ${min} role (you are ${principal.role})`);
    }
    return principal;
  }

  /** Counts a request below the API prefix against its caller's limit (requireRole does, unless told not to); 429 above it. */
  async limit(principal: Pick<Principal, 'username'>, ctx: RequestContext): Promise<void> {
    const path = ctx.url.pathname;
    if (path !== this.o.apiPrefix && !path.startsWith(`${this.o.apiPrefix}/`)) return;
    const answer = await this.o.limits.request(principal.username);
    if (!answer.allowed) throw new HttpError(429, 'too many requests: slow down', { 'retry-after': String(answer.retryAfterSeconds) });
  }

  /** The row of `note` for this request. */
  private entry(ctx: RequestContext, principal: Principal | null, note: AuditNote, actor?: string): AuditEntry {
    return {
      actor: actor ?? principal?.username ?? null,
      role: principal?.role ?? null,
      method: (note.method ?? ctx.req.method ?? 'GET').toUpperCase(),
      path: note.path ?? ctx.url.pathname,
      target: note.target ?? null,
      outcome: note.outcome,
      requestId: ctx.requestId,
      source: sourceAddress(ctx.req),
      detail: note.detail,
    };
  }

  /**
   * Writes one audit row for this request; rejects with 503 when it cannot (say so to the client,
   * change nothing). `actor` names who tried when there is no principal (a failed sign-in).
   */
  async audit(ctx: RequestContext, principal: Principal | null, note: AuditNote, actor?: string): Promise<void> {
    try {
      await this.o.appendAudit(this.entry(ctx, principal, note, actor));
    } catch (err) {
      this.o.auditFailures.inc();
      ctx.log.error({ err, outcome: note.outcome, target: note.target }, 'writing the audit row failed: the request is refused');
      throw new HttpError(503, 'the audit row could not be written: nothing was changed, try again', { 'retry-after': '5' });
    }
  }

  /** Writes a row after the fact: a failure is logged and counted, never thrown (the change happened or was refused already). */
  async auditAfter(ctx: RequestContext, principal: Principal | null, note: AuditNote, actor?: string): Promise<void> {
    try {
      await this.o.appendAudit(this.entry(ctx, principal, note, actor));
    } catch (err) {
      this.o.auditFailures.inc();
      ctx.log.error({ err, outcome: note.outcome, target: note.target }, 'writing the audit row failed');
    }
  }

  /**
   * Runs the change `work` between its audit rows: `requested` first with `opts.detail` (503 and
   * no change when it cannot be written), then `done <opts.status, default 200>` (with
   * `opts.after(result)` as its detail), or `failed <status>` (an HttpError's, else 500) with the
   * error, which is rethrown.
   */
  async audited<T>(
    ctx: RequestContext,
    principal: Principal,
    target: string,
    work: () => Promise<T>,
    opts: { readonly detail?: unknown; readonly after?: (result: T) => unknown; readonly status?: number } = {},
  ): Promise<T> {
    await this.audit(ctx, principal, { target, outcome: REQUESTED, detail: opts.detail });
    let result: T;
    try {
      result = await work();
    } catch (err) {
      const status = err instanceof HttpError ? err.status : 500;
      await this.auditAfter(ctx, principal, { target, outcome: failed(status), detail: { error: err instanceof Error ? err.message : String(err) } });
      throw err;
    }
    await this.auditAfter(ctx, principal, { target, outcome: done(opts.status ?? 200), detail: opts.after?.(result) });
    return result;
  }
}
