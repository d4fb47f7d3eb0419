/**
 * The gateway's roles, what each may do, the Grafana role each maps to, and the role a request
 * forwarded by Traefik (ForwardAuth, GET /auth/verify) needs by its method and path.
 *
 * Roles are ordered: viewer < operator < admin; a role may do everything the lower ones may.
 */

export const ROLES = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** True when `value` is one of {@link ROLES}. */
export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** True when `role` is `min` or above it. */
export function atLeast(role: Role, min: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(min);
}

/** The lower of two roles (an API key's role against its owner's current one). */
export function lowerRole(a: Role, b: Role): Role {
  return atLeast(a, b) ? b : a;
}

/**
 * What each role may do, by the least role that may: one table, read by the routes through
 * {@link can} and by the README.
 */
export const PERMISSIONS = {
  /** Dashboards, alerts, queries, anomalies, decisions, the UIs behind the gateway. */
  read: 'viewer',
  /** Own API keys: create (from a signed-in session), list, revoke; own password. */
  ownApiKeys: 'viewer',
  /** Create and expire Alertmanager silences. */
  silence: 'operator',
  /** Run self-healing actions as dry runs. */
  dryRun: 'operator',
  /** Acknowledge alerts and anomalies. */
  acknowledge: 'operator',
  /** Approve or reject held (live) self-healing actions. */
  approve: 'admin',
  /** Create users, change their role, password, disable or enable them. */
  manageUsers: 'admin',
  /** List and revoke every user's API keys. */
  allApiKeys: 'admin',
  /** Read the audit table. */
  readAudit: 'admin',
} as const satisfies Record<string, Role>;

export type Permission = keyof typeof PERMISSIONS;

/** True when `role` may do `permission`. */
export function can(role: Role, permission: Permission): boolean {
  return atLeast(role, PERMISSIONS[permission]);
}

/** Whether `role` may approve a held self-healing action: an admin any, an operator a dry-run one (PERMISSIONS approve and dryRun). */
export function mayApprove(role: Role, dryRun: boolean): boolean {
  return can(role, 'approve') || (dryRun && can(role, 'dryRun'));
}

/** Whether `role` may reject a held action (operators and admins: rejecting never acts). */
export function mayReject(role: Role): boolean {
  return can(role, 'dryRun');
}

/** Grafana's organisation role for each gateway role (auth.proxy's role header, X-WEBAUTH-ROLE). */
export const GRAFANA_ROLES = { viewer: 'Viewer', operator: 'Editor', admin: 'Admin' } as const satisfies Record<Role, string>;

/** Methods that change nothing (RFC 9110 safe methods): no CSRF token, no audit row, viewer is enough. */
export const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

/** True when `method` is not a safe method. */
export function isUnsafe(method: string): boolean {
  return !SAFE_METHODS.has(method.toUpperCase());
}

/** What the gateway asks of an unsafe request to a UI routed through ForwardAuth. */
export interface ForwardedPathRule {
  /** Path prefix of the UI (`/alertmanager` matches `/alertmanager` and `/alertmanager/…`). */
  readonly prefix: string;
  /** Least role for unsafe methods (safe ones need viewer). */
  readonly unsafe: Role;
  /** Unsafe requests that only read (POSTed queries): viewer is enough, no audit row. */
  readonly readPosts?: RegExp;
  /** Unsafe requests get an audit row before they are let through (the UI keeps none of its own). */
  readonly audit: boolean;
}

/**
 * The UIs behind ForwardAuth. Grafana and Kibana decide their own permissions (Grafana from the
 * role header, Kibana from its own login) and POST their searches, so any signed-in user passes;
 * Alertmanager's writes are silences (operator); Prometheus' only writes are its admin and
 * lifecycle APIs (admin), its POSTed queries are reads; the AI engine has no writes. Any other
 * path: unsafe methods need admin.
 */
export const FORWARDED_PATH_RULES: readonly ForwardedPathRule[] = [
  { prefix: '/alertmanager', unsafe: 'operator', audit: true },
  {
    prefix: '/prometheus',
    unsafe: 'admin',
    readPosts: /^\/prometheus\/api\/v1\/(query|query_range|query_exemplars|series|labels|label\/[^/]+\/values|format_query|parse_query)$/,
    audit: true,
  },
  { prefix: '/grafana', unsafe: 'viewer', audit: false },
  { prefix: '/kibana', unsafe: 'viewer', audit: false },
  { prefix: '/ai', unsafe: 'admin', audit: true },
];

/**
 * Paths no one reaches through the Ingress, whatever their role: Prometheus' admin API (TSDB
 * snapshots, delete_series, clean_tombstones), which is on only for the backup CronJob
 * (`backup.prometheus`) and takes no credentials of its own.
 */
export const REFUSED_FORWARDED_PREFIXES: readonly { readonly prefix: string; readonly why: string }[] = [
  { prefix: '/prometheus/api/v1/admin', why: "Prometheus' admin API is not served through the Ingress (only the backup CronJob calls it, in the cluster)" },
];

/**
 * `path` as a server that decodes and cleans it may read it: percent-escapes decoded until none is
 * left (so a double encoding is seen through), `\` read as `/`, `//` as `/`, dot segments
 * resolved, in lower case (Prometheus' router redirects a path of the wrong case to the right one).
 */
export function normalizedPath(path: string): string {
  let decoded = path;
  for (let i = 0; i < 5; i++) {
    const next = decoded.replace(/%([0-9a-fA-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
    if (next === decoded) break;
    decoded = next;
  }
  const segments: string[] = [];
  for (const segment of decoded.replace(/\\/g, '/').split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  return `/${segments.join('/')}${/\/\.{0,2}$/.test(decoded) && segments.length > 0 ? '/' : ''}`.toLowerCase();
}

/** Why the forwarded `path` is refused to everyone ({@link REFUSED_FORWARDED_PREFIXES}), else undefined. */
export function refusedForwardedPath(path: string): string | undefined {
  const clean = normalizedPath(path);
  return REFUSED_FORWARDED_PREFIXES.find((r) => clean === r.prefix || clean.startsWith(`${r.prefix}/`))?.why;
}

/** A path a proxy or server may read differently from us (dot segments, encoded slashes or dots, backslashes, `//`). */
function ambiguousPath(path: string): boolean {
  return /(^|\/)\.\.?(\/|$)|%2e|%2f|%5c|\\|\/\//i.test(path);
}

/** What a forwarded request needs: the least role, and whether it is audited before it is let through. */
export interface ForwardedRequirement {
  readonly role: Role;
  readonly audit: boolean;
}

/**
 * The least role for `method` on `path` (the forwarded request's path, without its query), and
 * whether it is audited. Safe methods: viewer, no audit. Unsafe: the rule of the path's UI; an
 * ambiguous path (see {@link ambiguousPath}) or an unknown prefix: admin, audited.
 */
export function forwardedRequirement(method: string, path: string): ForwardedRequirement {
  if (!isUnsafe(method)) return { role: 'viewer', audit: false };
  if (ambiguousPath(path)) return { role: 'admin', audit: true };
  const rule = FORWARDED_PATH_RULES.find((r) => path === r.prefix || path.startsWith(`${r.prefix}/`));
  if (!rule) return { role: 'admin', audit: true };
  if (rule.readPosts && method.toUpperCase() === 'POST' && rule.readPosts.test(path)) return { role: 'viewer', audit: false };
  return { role: rule.unsafe, audit: rule.audit };
}
