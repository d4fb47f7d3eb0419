import type { RequestContext } from '../../kit/server.js';
import type { Role } from '../identity/roles.js';

/**
 * What the console needs from the rest of the gateway, and nothing more: who is signed in, the
 * platform's data as the pages show it, and the actions of their forms. The gateway implements it
 * over its identity (sessions, users, API keys) and the platform operations (api/platform.ts);
 * tests implement it with a fake. Every method but {@link ConsoleBackend.principal} and
 * {@link ConsoleBackend.login} gets the signed-in caller and enforces its own authorisation and
 * audit: the console hides what a role may not do, the backend refuses it.
 *
 * Errors: a method rejects with the kit's `HttpError` when the caller or the input is at fault or a
 * component did not answer (its message is shown on the page, so it never carries internal URLs);
 * any other error is shown as "did not answer" and logged.
 */

/** The signed-in user of a request (cookie session: the console never uses API keys). */
export interface ConsolePrincipal {
  readonly username: string;
  readonly role: Role;
  /** The session's CSRF token: every form of the console carries it as `_csrf`. */
  readonly csrf: string;
}

/** A request of a signed-in user. */
export interface ConsoleCall {
  readonly ctx: RequestContext;
  readonly principal: ConsolePrincipal;
}

/** The answer to a sign-in: a cookie to set, or why not (never whether the user exists). */
export type LoginResult =
  | { readonly ok: true; readonly setCookie: string }
  | { readonly ok: false; readonly reason: 'invalid' }
  /** Too many failures for this username or address (rate limit, lock-out). */
  | { readonly ok: false; readonly reason: 'locked'; readonly retryAfterSeconds: number };

/** One component's scrape targets (Prometheus `up` by job: GET /api/v1/health). */
export interface ComponentHealth {
  readonly job: string;
  readonly up: number;
  readonly down: number;
}

/** An alert as Alertmanager's API v2 lists it (GET /api/v1/alerts). */
export interface ConsoleAlert {
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  /** ISO 8601. */
  readonly startsAt: string;
  readonly fingerprint: string;
  /** `active` (firing), `suppressed` (silenced or inhibited), `unprocessed`. */
  readonly status: { readonly state: string; readonly silencedBy: readonly string[]; readonly inhibitedBy: readonly string[] };
}

/** An anomaly of the AI engine (GET /api/v1/anomalies; src/services/ai-engine/anomaly.ts). */
export interface ConsoleAnomaly {
  readonly id: string;
  readonly kind: string;
  readonly source: 'metrics' | 'logs' | 'queries';
  readonly severity: string;
  readonly component: string;
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly summary: string;
  /** Epoch ms. */
  readonly startsAt: number;
  readonly endsAt?: number;
  readonly value: number;
}

/** A point of a series (the AI engine's point JSON: the band is lower..upper). */
export interface ConsolePoint {
  /** Epoch ms. */
  readonly t: number;
  /** Null when the value was not a number. */
  readonly value: number | null;
  readonly expected?: number;
  readonly lower?: number;
  readonly upper?: number;
  readonly score?: number;
}

/** One label set of a series with its points. */
export interface ConsoleLabelSet {
  readonly labels: Readonly<Record<string, string>>;
  readonly points: readonly ConsolePoint[];
  readonly anomaly?: ConsoleAnomaly;
  readonly levelShift?: ConsoleAnomaly;
}

/** A watched series of the AI engine with its label sets (GET /api/v1/series/{id}). */
export interface ConsoleSeries {
  readonly id: string;
  readonly source: string;
  readonly description: string;
  readonly kind: string;
  readonly unit: string;
  readonly query?: string;
  readonly stepSeconds: number;
  readonly labelSets: readonly ConsoleLabelSet[];
}

/** A decision of the self-healing executor (GET /api/v1/actions). */
export interface ConsoleDecision {
  /** ISO 8601. */
  readonly at: string;
  readonly rule: string;
  readonly action: string;
  readonly outcome: string;
  readonly reason: string;
  readonly target: { readonly kind: string; readonly namespace: string; readonly name: string };
  readonly alertname: string;
  readonly dryRun: boolean;
}

/** An approval of the executor's approval mode (GET /api/v1/approvals). */
export interface ConsoleApproval {
  readonly id: string;
  readonly state: 'pending' | 'approved' | 'rejected' | 'expired';
  readonly rule: string;
  readonly action: string;
  readonly target: { readonly kind: string; readonly namespace: string; readonly name: string };
  /** What would be done, in words. */
  readonly summary: string;
  /** True when approving runs the action as a dry run (operators may approve those). */
  readonly dryRun?: boolean;
  readonly alert: { readonly labels: Readonly<Record<string, string>> };
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly decidedAt?: string;
  readonly decidedBy?: { readonly actor: string; readonly role: string };
  readonly comment?: string;
  readonly result?: { readonly outcome: string; readonly reason: string };
}

/** A user of the gateway. */
export interface ConsoleUser {
  readonly username: string;
  readonly role: Role;
  readonly disabled: boolean;
  /** ISO 8601. */
  readonly createdAt?: string;
  readonly lastLoginAt?: string;
}

/** An API key of the signed-in user (never its secret). */
export interface ConsoleApiKey {
  readonly id: string;
  readonly name: string;
  readonly role: Role;
  /** ISO 8601. */
  readonly createdAt: string;
  readonly expiresAt?: string;
  readonly lastUsedAt?: string;
  readonly revoked: boolean;
}

/** What the users page's create form sends. */
export interface NewUser {
  readonly username: string;
  readonly password: string;
  readonly role: Role;
}

/** A change of a user: a new role, or disabled/enabled. */
export interface UserChange {
  readonly role?: Role;
  readonly disabled?: boolean;
}

/** What the API key form sends. */
export interface NewApiKey {
  readonly name: string;
  readonly role: Role;
  /** Absent: the key does not expire. */
  readonly expiresInDays?: number;
}

/** The data and actions of the console's pages. */
export interface ConsoleBackend {
  /**
   * The signed-in user of the request's session cookie, or undefined (no cookie, expired, revoked).
   * The script's background refreshes carry `X-Console-Refresh: 1`: an implementation may leave
   * the session's idle deadline alone for them, so that an open tab does not keep a session alive.
   */
  principal(ctx: RequestContext): Promise<ConsolePrincipal | undefined>;
  /** Checks the credentials (rate limits and lock-out included) and opens a session. */
  login(ctx: RequestContext, credentials: { readonly username: string; readonly password: string }): Promise<LoginResult>;
  /** Ends the caller's session; resolves to the `Set-Cookie` that clears the cookie. */
  logout(call: ConsoleCall): Promise<{ readonly setCookie: string }>;

  health(call: ConsoleCall): Promise<readonly ComponentHealth[]>;
  /** Every alert of Alertmanager (firing, silenced, inhibited). */
  alerts(call: ConsoleCall): Promise<readonly ConsoleAlert[]>;
  /** The anomalies active now. */
  anomalies(call: ConsoleCall): Promise<readonly ConsoleAnomaly[]>;
  /** Series `id` (its label sets with open anomalies first), or undefined when the AI engine has none of that id. */
  series(call: ConsoleCall, id: string): Promise<ConsoleSeries | undefined>;
  /** The executor's recent decisions, newest first. */
  decisions(call: ConsoleCall): Promise<readonly ConsoleDecision[]>;
  /** Pending and recently decided approvals, newest first. */
  approvals(call: ConsoleCall): Promise<readonly ConsoleApproval[]>;
  /** Approves or rejects a pending approval (operators approve dry-run ones only, admins any; platform.ts). */
  decideApproval(call: ConsoleCall, id: string, verb: 'approve' | 'reject', reason?: string): Promise<void>;

  /** Every user (admin). */
  users(call: ConsoleCall): Promise<readonly ConsoleUser[]>;
  createUser(call: ConsoleCall, user: NewUser): Promise<void>;
  updateUser(call: ConsoleCall, username: string, change: UserChange): Promise<void>;

  /** The caller's own API keys. */
  apiKeys(call: ConsoleCall): Promise<readonly ConsoleApiKey[]>;
  /** Creates a key of the caller; the secret (`aiops_<id>_<secret>`) is shown once and never again. */
  createApiKey(call: ConsoleCall, key: NewApiKey): Promise<{ readonly key: ConsoleApiKey; readonly secret: string }>;
  revokeApiKey(call: ConsoleCall, id: string): Promise<void>;
}
