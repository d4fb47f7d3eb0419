import { RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import type { Values } from '../../../values/schema/index.js';
import { dashboard, labelVariable, RATE, stat, timeseries } from './panels.js';

/** Uid of the application performance dashboard. */
const APPLICATION_UID = 'aiops-application';

const SERVICE = 'service=~"$service"';
const requests = (selector: string, by = '') => `sum${by}(rate(traefik_service_requests_total{${selector}}${RATE}))`;
const errorShare = (by = '') => `${requests(`code=~"5..", ${SERVICE}`, by)} / ${requests(SERVICE, by)}`;
const quantile = (q: number, by: string) =>
  `histogram_quantile(${q}, sum by (${by}) (rate(traefik_service_request_duration_seconds_bucket{${SERVICE}}${RATE})))`;

/**
 * Application performance at the edge (Traefik's per-service metrics): response time quantiles,
 * 5xx error rate and throughput per service, with the alert thresholds
 * (`alerting.thresholds.{responseTimeSeconds,errorRatePercent}`).
 */
export function applicationDashboard(thresholds: Values['alerting']['thresholds']) {
  const latency = { value: thresholds.responseTimeSeconds };
  const errors = { value: thresholds.errorRatePercent / 100 };
  return dashboard({
    uid: APPLICATION_UID,
    title: 'AIOps / Application performance',
    description: 'Response time, error rate and throughput of every service behind Traefik.',
    variables: [labelVariable('service', 'Service', 'traefik_service_requests_total')],
  })
    .withRow(new RowBuilder('Overview'))
    .withPanel(stat('Throughput', { unit: 'reqps', targets: [{ expr: requests(SERVICE), legend: 'requests' }] }))
    .withPanel(stat('Error rate (5xx)', { unit: 'percentunit', threshold: errors, targets: [{ expr: errorShare(), legend: '5xx' }] }))
    .withPanel(stat('Response time p95', { unit: 's', threshold: latency, targets: [{ expr: quantile(0.95, 'le'), legend: 'p95' }] }))
    .withPanel(stat('Response time p99', { unit: 's', threshold: latency, targets: [{ expr: quantile(0.99, 'le'), legend: 'p99' }] }))
    .withRow(new RowBuilder('Response time'))
    .withPanel(
      timeseries('Response time quantiles', {
        unit: 's',
        threshold: latency,
        description: 'Over the selected services; a quantile is at most the largest histogram bucket (traefik.latencyBuckets).',
        targets: [
          { expr: quantile(0.5, 'le'), legend: 'p50' },
          { expr: quantile(0.95, 'le'), legend: 'p95' },
          { expr: quantile(0.99, 'le'), legend: 'p99' },
        ],
      }),
    )
    .withPanel(timeseries('Response time p95 by service', { unit: 's', threshold: latency, targets: [{ expr: quantile(0.95, 'service, le'), legend: '{{service}}' }] }))
    .withRow(new RowBuilder('Errors'))
    .withPanel(timeseries('Error rate (5xx) by service', { unit: 'percentunit', min: 0, threshold: errors, targets: [{ expr: errorShare(' by (service) '), legend: '{{service}}' }] }))
    .withPanel(timeseries('Responses by status code', { unit: 'reqps', targets: [{ expr: requests(SERVICE, ' by (code) '), legend: '{{code}}' }] }))
    .withRow(new RowBuilder('Throughput'))
    .withPanel(timeseries('Requests by service', { unit: 'reqps', targets: [{ expr: requests(SERVICE, ' by (service) '), legend: '{{service}}' }] }))
    .withPanel(timeseries('Requests by method', { unit: 'reqps', targets: [{ expr: requests(SERVICE, ' by (method) '), legend: '{{method}}' }] }));
}
