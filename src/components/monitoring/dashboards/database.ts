import { RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import type { Values } from '../../../values/schema/index.js';
import { dashboard, gauge, labelVariable, RATE, stat, timeseries } from './panels.js';

/** Uid of the database dashboard. */
const DATABASE_UID = 'aiops-database';

const POD = 'pod=~"$pod"';
/** User databases only (template0/template1 never take connections). */
const DB = `${POD}, datname!~"template.*"`;
const perDb = (metric: string) => `sum by (datname) (rate(${metric}{${DB}}${RATE}))`;

/**
 * PostgreSQL from the postgres_exporter sidecar (v0.17): connections against max_connections,
 * sessions waiting on locks, transactions, deadlocks, statement time (`active_time`, PostgreSQL
 * 14+), temporary file spills and the buffer cache hit ratio, with the alert threshold
 * `alerting.thresholds.postgresqlConnectionsPercent`.
 */
export function databaseDashboard(thresholds: Values['alerting']['thresholds']) {
  const connections = { value: thresholds.postgresqlConnectionsPercent / 100 };
  const usage = `sum(pg_stat_database_numbackends{${POD}}) / max(pg_settings_max_connections{${POD}})`;
  return dashboard({
    uid: DATABASE_UID,
    title: 'AIOps / Database (PostgreSQL)',
    description: 'Connections, locks, transactions, deadlocks and query time of PostgreSQL (postgres_exporter).',
    variables: [labelVariable('pod', 'Pod', 'pg_up')],
  })
    .withRow(new RowBuilder('Overview'))
    .withPanel(stat('PostgreSQL up', { unit: 'bool_yes_no', threshold: { value: 1, bad: 'below' }, targets: [{ expr: `min(pg_up{${POD}})`, legend: 'up' }] }))
    .withPanel(gauge('Connections in use', { unit: 'percentunit', threshold: connections, targets: [{ expr: usage, legend: 'connections' }] }))
    .withPanel(stat('Sessions waiting on locks', { unit: 'none', threshold: { value: 1 }, targets: [{ expr: `sum(pg_stat_activity_count{${POD}, wait_event_type="Lock"})`, legend: 'waiting' }] }))
    .withPanel(stat('Deadlocks in range', { unit: 'none', threshold: { value: 1 }, targets: [{ expr: `sum(increase(pg_stat_database_deadlocks{${DB}}[$__range]))`, legend: 'deadlocks' }] }))
    .withRow(new RowBuilder('Connections'))
    .withPanel(
      timeseries('Connections by database', {
        unit: 'none',
        targets: [
          { expr: `sum by (datname) (pg_stat_database_numbackends{${DB}})`, legend: '{{datname}}' },
          { expr: `max(pg_settings_max_connections{${POD}})`, legend: 'max_connections' },
        ],
      }),
    )
    .withPanel(timeseries('Connections by state', { unit: 'none', targets: [{ expr: `sum by (state) (pg_stat_activity_count{${POD}})`, legend: '{{state}}' }] }))
    .withRow(new RowBuilder('Transactions and locks'))
    .withPanel(
      timeseries('Transactions', {
        unit: 'ops',
        targets: [
          { expr: perDb('pg_stat_database_xact_commit'), legend: '{{datname}} commits' },
          { expr: perDb('pg_stat_database_xact_rollback'), legend: '{{datname}} rollbacks' },
        ],
      }),
    )
    .withPanel(
      timeseries('Locks', {
        unit: 'none',
        description: 'Locks held by mode, and sessions waiting for a lock (wait_event_type Lock).',
        targets: [
          { expr: `sum by (mode) (pg_locks_count{${DB}})`, legend: '{{mode}}' },
          { expr: `sum(pg_stat_activity_count{${POD}, wait_event_type="Lock"})`, legend: 'waiting sessions' },
        ],
      }),
    )
    .withPanel(timeseries('Deadlocks', { unit: 'none', targets: [{ expr: `sum by (datname) (increase(pg_stat_database_deadlocks{${DB}}${RATE}))`, legend: '{{datname}}' }] }))
    .withPanel(
      timeseries('Longest running transaction', {
        unit: 's',
        targets: [{ expr: `max by (datname) (pg_stat_activity_max_tx_duration{${DB}})`, legend: '{{datname}}' }],
      }),
    )
    .withRow(new RowBuilder('Query time'))
    .withPanel(
      timeseries('Mean transaction time', {
        unit: 's',
        description: 'Statement execution time (pg_stat_database.active_time) per committed or rolled back transaction.',
        targets: [
          {
            expr: `${perDb('pg_stat_database_active_time_seconds_total')} / (${perDb('pg_stat_database_xact_commit')} + ${perDb('pg_stat_database_xact_rollback')})`,
            legend: '{{datname}}',
          },
        ],
      }),
    )
    .withPanel(
      timeseries('Temporary file bytes', {
        unit: 'Bps',
        description: 'Bytes written to temporary files by queries whose sorts and hashes exceed work_mem.',
        targets: [{ expr: perDb('pg_stat_database_temp_bytes'), legend: '{{datname}}' }],
      }),
    )
    .withPanel(
      timeseries('Buffer cache hit ratio', {
        unit: 'percentunit',
        max: 1,
        targets: [
          {
            expr: `${perDb('pg_stat_database_blks_hit')} / (${perDb('pg_stat_database_blks_hit')} + ${perDb('pg_stat_database_blks_read')})`,
            legend: '{{datname}}',
          },
        ],
      }),
    )
    .withPanel(
      timeseries('Rows', {
        unit: 'ops',
        targets: ['fetched', 'inserted', 'updated', 'deleted'].map((op) => ({ expr: `sum(rate(pg_stat_database_tup_${op}{${DB}}${RATE}))`, legend: op })),
      }),
    );
}
