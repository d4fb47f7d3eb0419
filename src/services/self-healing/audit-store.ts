/**
 * The executor's audit in PostgreSQL: one `self_healing_actions` row per decision (acted, skipped
 * and why, dry-run, failed; in approval mode also pending, approved, rejected and expired, with
 * the approval's id, who decided and when), when PostgreSQL is configured. The schema is created by the service
 * itself, idempotently: versioned migrations applied in one transaction under an advisory lock, so
 * that two replicas starting together never race. Every statement is a constant text with `$n`
 * parameters. Writing never fails the decision: a database error is logged and counted, and the
 * decision stays in the executor's memory.
 */
import type { Registry } from 'prom-client';
import { SELF_HEALING_METRICS } from '../../core/self-healing-metrics.js';
import type { Logger } from '../kit/log.js';
import type { HeldAlert } from './outcome.js';
import {
  createPostgresStore,
  type Migration,
  pgJsonText,
  pgText,
  type PostgresConnection,
  postgresConnection,
  type PostgresEnv,
  type PostgresPoolOptions,
} from '../kit/postgres.js';

/** One decision of the executor, as stored. */
export interface AuditRecord {
  /** When the decision was taken. */
  readonly at: Date;
  /** The self-healing rule that matched. */
  readonly rule: string;
  /** The action of the rule (`restart-pod`, `scale-out`, …). */
  readonly action: string;
  /** What happened: acted, skipped, dry-run, failed, gave-up… */
  readonly outcome: string;
  /** Why, in words (the guardrail that skipped it, the API's answer…). */
  readonly reason: string;
  /** The Kubernetes object acted on (or that would have been). */
  readonly target: { readonly kind: string; readonly namespace: string; readonly name: string };
  readonly alertname: string;
  /** Alertmanager's fingerprint of the alert (the incident). */
  readonly fingerprint: string;
  readonly dryRun: boolean;
  /** How long the action took; absent when nothing was called. */
  readonly durationMs?: number | undefined;
  /** The exact API call (method, path, body), as JSON; absent when there was none. */
  readonly request?: unknown;
  /** The error of a failed action. */
  readonly error?: string | undefined;
  /** The executor pod that decided. */
  readonly pod?: string | undefined;
  /** Approval mode: the approval this decision is a step of (pending, approved, rejected, expired) or the result of (the action after an approval). */
  readonly approval?: AuditApproval | undefined;
}

/** The approval columns of a row (absent ones are NULL). */
export interface AuditApproval {
  /** `approval_id`. */
  readonly id: string;
  /** `approval_summary`: what would be done (pending rows). */
  readonly summary?: string | undefined;
  /** `approval_alert` (jsonb): the alert held, to confirm it again (pending rows). */
  readonly alert?: HeldAlert | undefined;
  /** `approval_expires_at` (pending rows). */
  readonly expiresAt?: Date | undefined;
  /** `approver`, `approver_role`: who approved or rejected, as the API gateway authenticated them. */
  readonly actor?: string | undefined;
  readonly role?: string | undefined;
  /** `approver_reason`: the reason they gave. */
  readonly comment?: string | undefined;
  /** `approved_at`: when they approved or rejected. */
  readonly decidedAt?: Date | undefined;
}

/** The audit store of {@link createAuditStore}. */
export interface AuditStore {
  /** Readiness: resolves when PostgreSQL answers `SELECT 1` within the ping timeout, rejects otherwise. */
  ready(): Promise<void>;
  /** Creates or upgrades the schema (idempotent, safe to run from several replicas at once); rejects on a database error. */
  migrate(): Promise<void>;
  /** Stores one decision. Never rejects: a failure is logged and counted ({@link AUDIT_WRITE_FAILURES_METRIC}). */
  record(decision: AuditRecord): Promise<void>;
  /** The last `limit` decisions (1..{@link MAX_RECENT}, default 100), newest first; rejects on a database error. */
  recent(limit?: number): Promise<AuditRecord[]>;
  /**
   * Every row of the last `limit` approvals (1..{@link MAX_RECENT}) held within `withinMs`, oldest
   * first: what approvalsFromRecords (approvals.ts) rebuilds them from; rejects on a database error.
   */
  approvalRows(withinMs: number, limit: number): Promise<AuditRecord[]>;
  /** Deletes the rows older than `days` days; resolves to how many (rejects on a database error). */
  prune(days: number): Promise<number>;
  /** Closes the connections (idempotent). */
  close(): Promise<void>;
}

/** The counter of decisions that could not be written. */
export const AUDIT_WRITE_FAILURES_METRIC = SELF_HEALING_METRICS.auditWriteFailures;
/** Most rows {@link AuditStore.recent} returns. */
export const MAX_RECENT = 1000;

/** Name of the advisory lock the migrations take (hashed by PostgreSQL's hashtext into the lock key). */
export const MIGRATION_LOCK = 'aiops.self_healing_schema_migrations';


/** The schema, version by version. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    statements: [
      `CREATE TABLE IF NOT EXISTS self_healing_actions (
        id bigserial PRIMARY KEY,
        at timestamptz NOT NULL,
        rule text NOT NULL,
        action text NOT NULL,
        outcome text NOT NULL,
        reason text NOT NULL,
        target_kind text NOT NULL,
        target_namespace text NOT NULL,
        target_name text NOT NULL,
        alertname text NOT NULL,
        fingerprint text NOT NULL,
        dry_run boolean NOT NULL,
        duration_ms double precision,
        request jsonb,
        error text,
        pod text
      )`,
      'CREATE INDEX IF NOT EXISTS self_healing_actions_at_idx ON self_healing_actions (at DESC)',
    ],
  },
  {
    // Approval mode: who approved or rejected a held action, and what a new Lease holder needs to take pending ones over.
    version: 2,
    statements: [
      `ALTER TABLE self_healing_actions
        ADD COLUMN IF NOT EXISTS approval_id text,
        ADD COLUMN IF NOT EXISTS approval_summary text,
        ADD COLUMN IF NOT EXISTS approval_alert jsonb,
        ADD COLUMN IF NOT EXISTS approval_expires_at timestamptz,
        ADD COLUMN IF NOT EXISTS approver text,
        ADD COLUMN IF NOT EXISTS approver_role text,
        ADD COLUMN IF NOT EXISTS approver_reason text,
        ADD COLUMN IF NOT EXISTS approved_at timestamptz`,
      'CREATE INDEX IF NOT EXISTS self_healing_actions_approval_idx ON self_healing_actions (approval_id) WHERE approval_id IS NOT NULL',
    ],
  },
];


const INSERT_ACTION = `INSERT INTO self_healing_actions
  (at, rule, action, outcome, reason, target_kind, target_namespace, target_name, alertname, fingerprint, dry_run, duration_ms, request, error, pod,
   approval_id, approval_summary, approval_alert, approval_expires_at, approver, approver_role, approver_reason, approved_at)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13::jsonb, $14, $15, $16, $17, $18::jsonb, $19, $20, $21, $22, $23)`;

const DELETE_OLDER = 'DELETE FROM self_healing_actions WHERE at < now() - make_interval(days => $1)';
const COLUMNS = `at, rule, action, outcome, reason, target_kind, target_namespace, target_name, alertname, fingerprint,
  dry_run, duration_ms, request, error, pod,
  approval_id, approval_summary, approval_alert, approval_expires_at, approver, approver_role, approver_reason, approved_at`;
const SELECT_RECENT = `SELECT ${COLUMNS} FROM self_healing_actions ORDER BY at DESC, id DESC LIMIT $1`;
/** The rows of the newest `$2` approvals held within the last `$1` milliseconds, oldest first. */
const SELECT_APPROVALS = `SELECT ${COLUMNS} FROM self_healing_actions
  WHERE approval_id IN (
    SELECT approval_id FROM self_healing_actions
    WHERE outcome = 'pending' AND approval_id IS NOT NULL AND at > now() - make_interval(secs => $1::double precision / 1000)
    ORDER BY at DESC LIMIT $2)
  ORDER BY at, id`;

interface ActionRow {
  at: Date;
  rule: string;
  action: string;
  outcome: string;
  reason: string;
  target_kind: string;
  target_namespace: string;
  target_name: string;
  alertname: string;
  fingerprint: string;
  dry_run: boolean;
  duration_ms: number | null;
  request: unknown;
  error: string | null;
  pod: string | null;
  approval_id: string | null;
  approval_summary: string | null;
  approval_alert: HeldAlert | null;
  approval_expires_at: Date | null;
  approver: string | null;
  approver_role: string | null;
  approver_reason: string | null;
  approved_at: Date | null;
}

function parameters(r: AuditRecord): unknown[] {
  return [
    r.at,
    pgText(r.rule),
    pgText(r.action),
    pgText(r.outcome),
    pgText(r.reason),
    pgText(r.target.kind),
    pgText(r.target.namespace),
    pgText(r.target.name),
    pgText(r.alertname),
    pgText(r.fingerprint),
    r.dryRun,
    r.durationMs ?? null,
    pgJsonText(r.request),
    pgText(r.error),
    pgText(r.pod),
    pgText(r.approval?.id),
    pgText(r.approval?.summary),
    pgJsonText(r.approval?.alert),
    r.approval?.expiresAt ?? null,
    pgText(r.approval?.actor),
    pgText(r.approval?.role),
    pgText(r.approval?.comment),
    r.approval?.decidedAt ?? null,
  ];
}

/** The approval columns of a row, absent when it has no approval id. */
function approvalOf(row: ActionRow): AuditApproval | undefined {
  if (row.approval_id === null) return undefined;
  const optional = <K extends keyof AuditApproval>(key: K, value: AuditApproval[K] | null) => (value === null ? {} : { [key]: value });
  return {
    id: row.approval_id,
    ...optional('summary', row.approval_summary),
    ...optional('alert', row.approval_alert),
    ...optional('expiresAt', row.approval_expires_at),
    ...optional('actor', row.approver),
    ...optional('role', row.approver_role),
    ...optional('comment', row.approver_reason),
    ...optional('decidedAt', row.approved_at),
  };
}

function fromRow(row: ActionRow): AuditRecord {
  return {
    at: row.at,
    rule: row.rule,
    action: row.action,
    outcome: row.outcome,
    reason: row.reason,
    target: { kind: row.target_kind, namespace: row.target_namespace, name: row.target_name },
    alertname: row.alertname,
    fingerprint: row.fingerprint,
    dryRun: row.dry_run,
    ...(row.duration_ms === null ? {} : { durationMs: row.duration_ms }),
    ...(row.request === null ? {} : { request: row.request }),
    ...(row.error === null ? {} : { error: row.error }),
    ...(row.pod === null ? {} : { pod: row.pod }),
    ...(row.approval_id === null ? {} : { approval: approvalOf(row) }),
  };
}

/** Options of {@link createAuditStore}. */
export interface AuditStoreOptions extends PostgresPoolOptions {
  /** Time {@link AuditStore.ready} waits for `SELECT 1`; default 1500 ms (kit/postgres.ts). */
  readonly pingTimeoutMs?: number;
}

/**
 * The audit store on the PostgreSQL of `connection`. Nothing connects until the first call; run
 * {@link AuditStore.migrate} once at start-up (and retry it while PostgreSQL is not there yet).
 */
export function createAuditStore(connection: PostgresConnection, log: Logger, registry: Registry, opts: AuditStoreOptions = {}): AuditStore {
  const store = createPostgresStore({
    applicationName: 'aiops-self-healing',
    ...opts,
    connection,
    log,
    registry,
    schema: { what: 'self-healing audit', versionsTable: 'self_healing_schema_migrations', lock: MIGRATION_LOCK, migrations: MIGRATIONS },
    failures: { name: AUDIT_WRITE_FAILURES_METRIC, help: 'Self-healing decisions that could not be written to PostgreSQL (they stay in the executor memory and logs).' },
  });
  return {
    ready: store.ready,
    migrate: store.migrate,
    record: (d) =>
      store.write(
        INSERT_ACTION,
        parameters(d),
        { rule: d.rule, action: d.action, outcome: d.outcome, target: d.target, fingerprint: d.fingerprint },
        'audit record not written to PostgreSQL (the decision stays in memory)',
      ),
    async recent(limit = 100) {
      const n = Math.min(MAX_RECENT, Math.max(1, Math.trunc(Number.isFinite(limit) ? limit : 100)));
      const { rows } = await store.pool.query<ActionRow>(SELECT_RECENT, [n]);
      return rows.map(fromRow);
    },
    async approvalRows(withinMs, limit) {
      const n = Math.min(MAX_RECENT, Math.max(1, Math.trunc(Number.isFinite(limit) ? limit : 100)));
      const { rows } = await store.pool.query<ActionRow>(SELECT_APPROVALS, [Math.max(0, withinMs), n]);
      return rows.map(fromRow);
    },
    prune: (days) => store.deleteOlderThan(DELETE_OLDER, days),
    close: store.close,
  };
}

/**
 * The audit store the `POSTGRES_*` variables describe, or undefined when `POSTGRES_HOST` is unset
 * (the executor then keeps its decisions in memory only).
 */
export function auditStoreFromEnv(env: PostgresEnv, log: Logger, registry: Registry, opts: AuditStoreOptions = {}): AuditStore | undefined {
  const connection = postgresConnection(env);
  return connection && createAuditStore(connection, log, registry, opts);
}
