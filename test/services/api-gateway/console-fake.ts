/**
 * A fake ConsoleBackend for the console's tests (unit and browser): users with plain passwords,
 * sessions in a map (the real session cookie's name and attributes), a platform with one firing
 * alert, one metrics anomaly whose series leaves its band, a live and a dry-run pending approval,
 * and the roles' rules of the real backend (operators approve dry-run actions only, admins any;
 * users are an admin's). Every action is recorded in `calls`. `hostile` puts markup, quotes and
 * control characters into every text the pages show.
 */
import { randomBytes } from 'node:crypto';
import type {
  ComponentHealth,
  ConsoleAlert,
  ConsoleAnomaly,
  ConsoleApiKey,
  ConsoleApproval,
  ConsoleBackend,
  ConsoleDecision,
  ConsolePoint,
  ConsolePrincipal,
  ConsoleSeries,
  ConsoleUser,
} from '../../../src/services/api-gateway/console/backend.js';
import { clearedSessionCookie, SESSION_COOKIE, sessionCookie, sessionIdOf } from '../../../src/services/api-gateway/identity/cookies.js';
import { atLeast, type Role } from '../../../src/services/api-gateway/identity/roles.js';
import { registerConsole, type ConsoleOptions } from '../../../src/services/api-gateway/console/register.js';
import { startService, type RunningService } from '../../../src/services/kit/run.js';
import { HttpError } from '../../../src/services/kit/server.js';

/** The fake's clock: 2026-12-06 12:00 UTC. */
export const NOW = Date.parse('2026-12-06T12:00:00Z');
/** Every user's password in the fake. */
export const PASSWORD = 'correct horse battery';

/** Markup, quotes, an ampersand and a control character: what escaping must defuse. */
export const HOSTILE = `<script>alert(1)</script>"'><img src=x onerror=alert(2)>&amp;\u0000`;

export interface FakeOptions {
  /** Put {@link HOSTILE} into every label, summary, name and reason. */
  readonly hostile?: boolean;
  /** Components whose calls fail with 502. */
  readonly down?: readonly ('health' | 'alerts' | 'anomalies' | 'series' | 'approvals' | 'decisions' | 'sessions')[];
}

export interface FakeCall {
  readonly method: string;
  readonly actor: string;
  readonly args: readonly unknown[];
}

/** A one-minute series of 180 points with a daily-ish wave, its band, and a spike in the last 6 points. */
export function latencyPoints(now = NOW, n = 180): ConsolePoint[] {
  return Array.from({ length: n }, (_, i) => {
    const t = now - (n - 1 - i) * 60_000;
    const expected = 0.25 + 0.05 * Math.sin(i / 20);
    const spike = i >= n - 6;
    const value = spike ? 1.2 + 0.05 * (i - n + 6) : expected + 0.01 * Math.sin(i * 1.7);
    return { t, value, expected, lower: expected - 0.06, upper: expected + 0.06, score: spike ? 0.999 : 0.1 };
  });
}

export function createFakeBackend(o: FakeOptions = {}) {
  const h = (text: string) => (o.hostile ? `${text} ${HOSTILE}` : text);
  const down = new Set(o.down ?? []);
  const failIf = (what: NonNullable<FakeOptions['down']>[number]) => {
    if (down.has(what)) throw new HttpError(502, `${what}: the component did not answer`);
  };
  const calls: FakeCall[] = [];
  const users = new Map<string, ConsoleUser & { password: string }>(
    (
      [
        ['admin', 'admin'],
        ['olivia', 'operator'],
        ['victor', 'viewer'],
        [h('mallory'), 'viewer'],
      ] as const
    ).map(([username, role]) => [username, { username, role, disabled: false, createdAt: '2026-12-01T09:00:00Z', password: PASSWORD }]),
  );
  const sessions = new Map<string, ConsolePrincipal>();
  const failures = new Map<string, number>();
  const apiKeys = new Map<string, (ConsoleApiKey & { owner: string })[]>();

  const anomaly: ConsoleAnomaly = {
    id: 'metrics:http-latency-p95{service="web"}',
    kind: 'AnomalyDetected',
    source: 'metrics',
    severity: 'critical',
    component: 'http',
    namespace: 'aiops-platform',
    labels: { service: h('web') },
    summary: h('p95 latency of web left its usual range'),
    startsAt: NOW - 5 * 60_000,
    value: 0.999,
  };
  const series: ConsoleSeries = {
    id: 'http-latency-p95',
    source: 'metrics',
    description: h('HTTP p95 latency'),
    kind: 'AnomalyDetected',
    unit: 's',
    query: h('histogram_quantile(0.95, sum by (le, service) (rate(http_request_duration_seconds_bucket[5m])))'),
    stepSeconds: 60,
    labelSets: [
      { labels: anomaly.labels, points: latencyPoints(), anomaly },
      { labels: { service: 'api' }, points: latencyPoints().map((p) => ({ ...p, value: p.expected! })) },
    ],
  };
  const alerts: ConsoleAlert[] = [
    {
      labels: { alertname: 'HighErrorRate', severity: 'critical', service: h('web'), namespace: 'aiops-platform' },
      annotations: { summary: h('Error rate of web above 5 %'), description: h('12 % of requests failed in the last 5 minutes') },
      startsAt: new Date(NOW - 12 * 60_000).toISOString(),
      fingerprint: 'a1b2c3d4e5f60718',
      status: { state: 'active', silencedBy: [], inhibitedBy: [] },
    },
    {
      labels: { alertname: 'PodCrashLooping', severity: 'warning', pod: 'worker-7' },
      annotations: { summary: 'worker-7 restarts' },
      startsAt: new Date(NOW - 3_600_000).toISOString(),
      fingerprint: '0f1e2d3c4b5a6978',
      status: { state: 'suppressed', silencedBy: ['6d3e1d0a-0000-4000-8000-000000000001'], inhibitedBy: [] },
    },
  ];
  const approvals: ConsoleApproval[] = [
    {
      id: '3f6c1a52-9a1e-4c1b-8f5e-2b7d7c0e9a11',
      state: 'pending',
      rule: 'restart-crashlooping',
      action: 'restart-pod',
      target: { kind: 'Pod', namespace: 'aiops-platform', name: h('web-5d8f7-abcde') },
      summary: h('evict pod aiops-platform/web-5d8f7-abcde'),
      alert: { labels: { alertname: 'PodCrashLooping', severity: 'warning', pod: 'web-5d8f7-abcde' } },
      createdAt: new Date(NOW - 4 * 60_000).toISOString(),
      expiresAt: new Date(NOW + 26 * 60_000).toISOString(),
    },
    {
      id: '8a0b4c2d-1e3f-4a5b-9c6d-7e8f9a0b1c2d',
      state: 'pending',
      rule: 'scale-on-latency',
      action: 'scale-out',
      dryRun: true,
      target: { kind: 'Deployment', namespace: 'aiops-platform', name: 'api' },
      summary: h('raise minReplicas of Deployment aiops-platform/api from 2 to 3'),
      alert: { labels: { alertname: 'HighLatency', severity: 'warning' } },
      createdAt: new Date(NOW - 2 * 60_000).toISOString(),
      expiresAt: new Date(NOW + 28 * 60_000).toISOString(),
    },
  ];
  const decisions: ConsoleDecision[] = [
    {
      at: new Date(NOW - 4 * 60_000).toISOString(),
      rule: 'restart-crashlooping',
      action: 'restart-pod',
      outcome: 'pending',
      reason: h('held for approval'),
      target: approvals[0]!.target,
      alertname: 'PodCrashLooping',
      dryRun: false,
    },
    {
      at: new Date(NOW - 40 * 60_000).toISOString(),
      rule: 'clean-disk',
      action: 'clean-disk',
      outcome: 'dry-run',
      reason: 'dry run: would delete indices older than 7 days',
      target: { kind: 'Job', namespace: 'aiops-platform', name: 'clean-disk' },
      alertname: 'NodeDiskFull',
      dryRun: true,
    },
  ];
  const health: ComponentHealth[] = [
    { job: 'postgresql', up: 0, down: 1 },
    { job: 'redis', up: 1, down: 1 },
    { job: 'prometheus', up: 1, down: 0 },
    { job: h('ai-engine'), up: 2, down: 0 },
  ];

  const record = (method: string, principal: ConsolePrincipal, ...args: unknown[]) => calls.push({ method, actor: principal.username, args });
  const need = (principal: ConsolePrincipal, role: Role) => {
    if (!atLeast(principal.role, role)) throw new HttpError(403, `needs the ${role} role`);
  };

  const backend: ConsoleBackend = {
    async principal(ctx) {
      if (down.has('sessions')) throw new Error('connect ECONNREFUSED 10.0.0.7:6379');
      const id = sessionIdOf(ctx.req);
      return id ? sessions.get(id) : undefined;
    },
    async login(_ctx, { username, password }) {
      if (down.has('sessions')) throw new Error('connect ECONNREFUSED 10.0.0.7:6379');
      const failed = failures.get(username) ?? 0;
      if (failed >= 5) return { ok: false, reason: 'locked', retryAfterSeconds: 900 };
      const user = users.get(username);
      if (!user || user.disabled || user.password !== password) {
        failures.set(username, failed + 1);
        return { ok: false, reason: 'invalid' };
      }
      const id = randomBytes(32).toString('base64url');
      sessions.set(id, { username: user.username, role: user.role, csrf: randomBytes(32).toString('base64url') });
      return { ok: true, setCookie: sessionCookie(id, false, 8 * 3600) };
    },
    async logout({ ctx, principal }) {
      const id = sessionIdOf(ctx.req);
      if (id) sessions.delete(id);
      record('logout', principal);
      return { setCookie: clearedSessionCookie(false) };
    },
    async health() {
      failIf('health');
      return health;
    },
    async alerts() {
      failIf('alerts');
      return alerts;
    },
    async anomalies() {
      failIf('anomalies');
      return [anomaly];
    },
    async series(_call, id) {
      failIf('series');
      return id === series.id ? series : undefined;
    },
    async decisions() {
      failIf('decisions');
      return decisions;
    },
    async approvals() {
      failIf('approvals');
      return approvals;
    },
    async decideApproval({ principal }, id, verb, reason) {
      need(principal, 'operator');
      const a = approvals.find((x) => x.id === id);
      if (!a) throw new HttpError(404, `no approval ${id}`);
      if (a.state !== 'pending') throw new HttpError(409, `approval ${id} is ${a.state}: it can no longer be decided`);
      if (verb === 'approve' && principal.role !== 'admin' && a.dryRun !== true) throw new HttpError(403, 'approving a live action needs the admin role');
      record(verb, principal, id, reason);
      const decided: ConsoleApproval = {
        ...a,
        state: verb === 'approve' ? 'approved' : 'rejected',
        decidedAt: new Date(NOW).toISOString(),
        decidedBy: { actor: principal.username, role: principal.role },
        ...(verb === 'approve' ? { result: { outcome: 'acted', reason: 'evicted' } } : {}),
      };
      approvals.splice(approvals.indexOf(a), 1, decided);
    },
    async users({ principal }) {
      need(principal, 'admin');
      return [...users.values()].map(({ password: _, ...u }) => u);
    },
    async createUser({ principal }, user) {
      need(principal, 'admin');
      if (users.has(user.username)) throw new HttpError(409, `a user ${user.username} exists`);
      if (user.password.length < 12) throw new HttpError(400, 'password: at least 12 characters');
      record('createUser', principal, user.username, user.role);
      users.set(user.username, { username: user.username, role: user.role, disabled: false, createdAt: new Date(NOW).toISOString(), password: user.password });
    },
    async updateUser({ principal }, username, change) {
      need(principal, 'admin');
      const user = users.get(username);
      if (!user) throw new HttpError(404, `no user ${username}`);
      record('updateUser', principal, username, change);
      users.set(username, { ...user, ...change });
      for (const [id, s] of sessions) if (s.username === username) sessions.delete(id);
    },
    async apiKeys({ principal }) {
      return (apiKeys.get(principal.username) ?? []).map(({ owner: _, ...k }) => k);
    },
    async createApiKey({ principal }, key) {
      if (!atLeast(principal.role, key.role)) throw new HttpError(403, 'a key role up to your own');
      record('createApiKey', principal, key);
      const id = randomBytes(6).toString('hex');
      const created = {
        id,
        name: key.name,
        role: key.role,
        createdAt: new Date(NOW).toISOString(),
        ...(key.expiresInDays ? { expiresAt: new Date(NOW + key.expiresInDays * 86_400_000).toISOString() } : {}),
        revoked: false,
        owner: principal.username,
      };
      apiKeys.set(principal.username, [...(apiKeys.get(principal.username) ?? []), created]);
      const { owner: _, ...shown } = created;
      return { key: shown, secret: `aiops_${id}_${randomBytes(24).toString('base64url')}` };
    },
    async revokeApiKey({ principal }, id) {
      const list = apiKeys.get(principal.username) ?? [];
      const key = list.find((k) => k.id === id);
      if (!key) throw new HttpError(404, `no API key ${id}`);
      record('revokeApiKey', principal, id);
      list.splice(list.indexOf(key), 1, { ...key, revoked: true });
    },
  };

  return {
    backend,
    calls,
    alerts,
    approvals,
    users,
    sessions,
    series,
    anomaly,
    /** A session for `username` without the login form: its cookie header value and principal. */
    signIn(username: string) {
      const user = users.get(username);
      if (!user) throw new Error(`no user ${username}`);
      const id = randomBytes(32).toString('base64url');
      const principal = { username: user.username, role: user.role, csrf: randomBytes(32).toString('base64url') };
      sessions.set(id, principal);
      return { cookie: `${SESSION_COOKIE}=${id}`, principal };
    },
  };
}

export type FakeBackend = ReturnType<typeof createFakeBackend>;

/** The console over `fake` on 127.0.0.1 (an ephemeral port), on the kit's server as the gateway runs it. */
export async function startConsole(fake: FakeBackend, options: ConsoleOptions = {}): Promise<{ service: RunningService; url: string }> {
  const service = await startService(
    { name: 'console-test', build: ({ server }) => registerConsole(server, fake.backend, { now: () => NOW, ...options }) },
    { env: { BASE_PATH: '/', LOG_LEVEL: 'fatal', SHUTDOWN_DELAY_SECONDS: '0' }, host: '127.0.0.1', ephemeralPorts: true, logDestination: { write: () => undefined } },
  );
  return { service, url: `http://127.0.0.1:${service.port}` };
}
