import { RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import type { Values } from '../../../values/schema/index.js';
import { dashboard, gauge, labelVariable, RATE, stat, timeseries } from './panels.js';

/** Uid of the cache dashboard. */
const CACHE_UID = 'aiops-cache';

const POD = 'pod=~"$pod"';
const rate = (metric: string, by = '') => `sum${by}(rate(${metric}{${POD}}${RATE}))`;
const hitRate = (by = '') =>
  `${rate('redis_keyspace_hits_total', by)} / (${rate('redis_keyspace_hits_total', by)} + ${rate('redis_keyspace_misses_total', by)})`;

/**
 * Redis from the redis_exporter sidecar (v1.74): keyspace hit rate, command latency (time per call
 * from INFO commandstats), connected clients and memory against maxmemory, with the alert
 * threshold `alerting.thresholds.redisHitRatePercent` (below it is bad).
 */
export function cacheDashboard(thresholds: Values['alerting']['thresholds']) {
  const hits = { value: thresholds.redisHitRatePercent / 100, bad: 'below' as const };
  const memoryShare = `max(redis_memory_used_bytes{${POD}} / (redis_memory_max_bytes{${POD}} > 0))`;
  return dashboard({
    uid: CACHE_UID,
    title: 'AIOps / Cache (Redis)',
    description: 'Hit rate, command latency, clients and memory of Redis (redis_exporter).',
    variables: [labelVariable('pod', 'Pod', 'redis_up')],
  })
    .withRow(new RowBuilder('Overview'))
    .withPanel(stat('Redis up', { unit: 'bool_yes_no', threshold: { value: 1, bad: 'below' }, targets: [{ expr: `min(redis_up{${POD}})`, legend: 'up' }] }))
    .withPanel(gauge('Hit rate', { unit: 'percentunit', threshold: hits, targets: [{ expr: hitRate(), legend: 'hit rate' }] }))
    .withPanel(stat('Connected clients', { unit: 'none', targets: [{ expr: `sum(redis_connected_clients{${POD}})`, legend: 'clients' }] }))
    .withPanel(gauge('Memory of maxmemory', { unit: 'percentunit', threshold: { value: 0.9 }, targets: [{ expr: memoryShare, legend: 'memory' }] }))
    .withRow(new RowBuilder('Hit rate'))
    .withPanel(timeseries('Hit rate by pod', { unit: 'percentunit', max: 1, threshold: hits, targets: [{ expr: hitRate(' by (pod) '), legend: '{{pod}}' }] }))
    .withPanel(
      timeseries('Hits, misses, evictions', {
        unit: 'ops',
        targets: [
          { expr: rate('redis_keyspace_hits_total'), legend: 'hits' },
          { expr: rate('redis_keyspace_misses_total'), legend: 'misses' },
          { expr: rate('redis_evicted_keys_total'), legend: 'evicted' },
          { expr: rate('redis_expired_keys_total'), legend: 'expired' },
        ],
      }),
    )
    .withRow(new RowBuilder('Latency and load'))
    .withPanel(
      timeseries('Command latency by command', {
        unit: 's',
        description: 'Mean time per call of each command (INFO commandstats usec / calls).',
        targets: [{ expr: `${rate('redis_commands_duration_seconds_total', ' by (cmd) ')} / ${rate('redis_commands_total', ' by (cmd) ')}`, legend: '{{cmd}}' }],
      }),
    )
    .withPanel(
      timeseries('Commands by command', { unit: 'ops', targets: [{ expr: `topk(10, ${rate('redis_commands_total', ' by (cmd) ')})`, legend: '{{cmd}}' }] }),
    )
    .withRow(new RowBuilder('Clients and memory'))
    .withPanel(
      timeseries('Clients', {
        unit: 'none',
        targets: [
          { expr: `sum by (pod) (redis_connected_clients{${POD}})`, legend: '{{pod}} connected' },
          { expr: `sum by (pod) (redis_blocked_clients{${POD}})`, legend: '{{pod}} blocked' },
        ],
      }),
    )
    .withPanel(
      timeseries('Memory used and maxmemory', {
        unit: 'bytes',
        targets: [
          { expr: `redis_memory_used_bytes{${POD}}`, legend: '{{pod}} used' },
          { expr: `redis_memory_max_bytes{${POD}}`, legend: '{{pod}} maxmemory' },
        ],
      }),
    );
}
