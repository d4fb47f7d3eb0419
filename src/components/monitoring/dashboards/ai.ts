import { RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { AI_ENGINE_METRICS } from '../../../core/ai-engine-metrics.js';
import type { Values } from '../../../values/schema/index.js';
import { dashboard, labelVariable, RATE, stat, timeseries } from './panels.js';

/** Uid of the AI model inference dashboard. */
const AI_UID = 'aiops-ai';

const MODEL = 'model=~"$model"';
const inferences = (selector: string, by = '') => `sum${by}(rate(aiops_inference_requests_total{${selector}}${RATE}))`;
const errorShare = (by = '') => `${inferences(`outcome="error", ${MODEL}`, by)} / ${inferences(MODEL, by)}`;
const quantile = (q: number, by: string) =>
  `histogram_quantile(${q}, sum by (${by}) (rate(aiops_inference_duration_seconds_bucket{${MODEL}}${RATE})))`;

/**
 * AI model inference from the AI engine's own /metrics (the contract in metrics-catalog.ts):
 * inference rate and error share by model, latency quantiles, anomalies detected by source and the
 * models loaded; the error share against `alerting.thresholds.errorRatePercent`; the replica
 * holding the Lease (none: nothing is alerted) and the size of the hot state saved to Redis.
 */
export function aiDashboard(thresholds: Values['alerting']['thresholds']) {
  const errors = { value: thresholds.errorRatePercent / 100 };
  return dashboard({
    uid: AI_UID,
    title: 'AIOps / AI model inference',
    description: 'Inference throughput, errors and latency of the AI engine, anomalies detected and models loaded.',
    variables: [labelVariable('model', 'Model', 'aiops_model_loaded')],
  })
    .withRow(new RowBuilder('Overview'))
    .withPanel(stat('Models loaded', { unit: 'none', threshold: { value: 1, bad: 'below' }, targets: [{ expr: `sum(aiops_model_loaded{${MODEL}})`, legend: 'loaded' }] }))
    .withPanel(stat('Inferences', { unit: 'reqps', targets: [{ expr: inferences(MODEL), legend: 'inferences' }] }))
    .withPanel(stat('Inference errors', { unit: 'percentunit', threshold: errors, targets: [{ expr: errorShare(), legend: 'errors' }] }))
    .withPanel(stat('Anomalies in range', { unit: 'none', targets: [{ expr: 'sum(increase(aiops_anomalies_detected_total[$__range]))', legend: 'anomalies' }] }))
    .withRow(new RowBuilder('Throughput and errors'))
    .withPanel(timeseries('Inferences by model', { unit: 'reqps', targets: [{ expr: inferences(MODEL, ' by (model) '), legend: '{{model}}' }] }))
    .withPanel(timeseries('Error share by model', { unit: 'percentunit', min: 0, threshold: errors, targets: [{ expr: errorShare(' by (model) '), legend: '{{model}}' }] }))
    .withRow(new RowBuilder('Latency'))
    .withPanel(
      timeseries('Inference latency quantiles', {
        unit: 's',
        targets: [
          { expr: quantile(0.5, 'le'), legend: 'p50' },
          { expr: quantile(0.95, 'le'), legend: 'p95' },
          { expr: quantile(0.99, 'le'), legend: 'p99' },
        ],
      }),
    )
    .withPanel(
      timeseries('Mean inference latency by model', {
        unit: 's',
        targets: [
          {
            expr: `sum by (model) (rate(aiops_inference_duration_seconds_sum{${MODEL}}${RATE})) / sum by (model) (rate(aiops_inference_duration_seconds_count{${MODEL}}${RATE}))`,
            legend: '{{model}}',
          },
        ],
      }),
    )
    .withRow(new RowBuilder('Anomalies and models'))
    .withPanel(timeseries('Anomalies detected by source', { unit: 'short', targets: [{ expr: `sum by (source) (increase(aiops_anomalies_detected_total${RATE}))`, legend: '{{source}}' }] }))
    .withPanel(timeseries('Model loaded', { unit: 'bool_yes_no', min: 0, max: 1, targets: [{ expr: `max by (model) (aiops_model_loaded{${MODEL}})`, legend: '{{model}}' }] }))
    .withRow(new RowBuilder('Replicas and hot state'))
    .withPanel(stat('Lease holders', { unit: 'none', threshold: { value: 1, bad: 'below' }, targets: [{ expr: `sum(${AI_ENGINE_METRICS.leader})`, legend: 'holders' }] }))
    .withPanel(
      timeseries('Hot state saved to Redis by part', {
        unit: 'bytes',
        targets: [{ expr: `max by (part) (${AI_ENGINE_METRICS.stateSnapshotBytes})`, legend: '{{part}}' }],
      }),
    )
    .withPanel(stat('Hot state failures in range', { unit: 'none', threshold: { value: 1 }, targets: [{ expr: `sum(increase(${AI_ENGINE_METRICS.stateStoreFailures}[$__range]))`, legend: 'failures' }] }));
}
