/**
 * The gateway's tables in PostgreSQL, version by version (identity/store.ts applies them through
 * kit/postgres.ts' runMigrations): `gateway_users`, `gateway_api_keys`, `gateway_audit` (its
 * trigger refuses UPDATE, DELETE and TRUNCATE: rows are only ever added). The role lists of the
 * CHECK constraints are roles.ts' ROLES (test/servers/api-gateway-store.server.test.ts compares).
 */
import type { Migration } from '../../kit/postgres.js';

/** Name of the advisory lock of the migrations. */
export const MIGRATION_LOCK = 'aiops.gateway_schema_migrations';

/** The schema, version by version (never edit an applied version: add one). */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    statements: [
      `CREATE TABLE IF NOT EXISTS gateway_users (
        id bigserial PRIMARY KEY,
        username text NOT NULL,
        role text NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
        disabled boolean NOT NULL DEFAULT false,
        password_hash text NOT NULL,
        credentials_epoch integer NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        password_changed_at timestamptz NOT NULL DEFAULT now(),
        last_login_at timestamptz
      )`,
      'CREATE UNIQUE INDEX IF NOT EXISTS gateway_users_username_key ON gateway_users (lower(username))',
      `CREATE TABLE IF NOT EXISTS gateway_api_keys (
        id text PRIMARY KEY,
        owner_id bigint NOT NULL REFERENCES gateway_users (id),
        name text NOT NULL,
        role text NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
        secret_hash bytea NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz,
        last_used_at timestamptz,
        revoked_at timestamptz
      )`,
      'CREATE INDEX IF NOT EXISTS gateway_api_keys_owner_idx ON gateway_api_keys (owner_id)',
      `CREATE TABLE IF NOT EXISTS gateway_audit (
        id bigserial PRIMARY KEY,
        at timestamptz NOT NULL DEFAULT clock_timestamp(),
        actor text,
        role text,
        method text NOT NULL,
        path text NOT NULL,
        target text,
        outcome text NOT NULL,
        request_id text NOT NULL,
        source text,
        detail jsonb
      )`,
      'CREATE INDEX IF NOT EXISTS gateway_audit_at_idx ON gateway_audit (at DESC)',
      'CREATE INDEX IF NOT EXISTS gateway_audit_actor_idx ON gateway_audit (actor, id DESC)',
      `CREATE OR REPLACE FUNCTION gateway_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'gateway_audit is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
      END
      $$`,
      'DROP TRIGGER IF EXISTS gateway_audit_no_change ON gateway_audit',
      'CREATE TRIGGER gateway_audit_no_change BEFORE UPDATE OR DELETE ON gateway_audit FOR EACH ROW EXECUTE FUNCTION gateway_audit_append_only()',
      'DROP TRIGGER IF EXISTS gateway_audit_no_truncate ON gateway_audit',
      'CREATE TRIGGER gateway_audit_no_truncate BEFORE TRUNCATE ON gateway_audit FOR EACH STATEMENT EXECUTE FUNCTION gateway_audit_append_only()',
    ],
  },
];
