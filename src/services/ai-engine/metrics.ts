import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { AI_ENGINE_METRICS as M, AI_ENGINE_MODELS, type AiEngineModel } from '../../core/ai-engine-metrics.js';
import type { AnomalySource } from './anomaly.js';

/** The AI engine's metrics of the catalog's contract (names in src/core/ai-engine-metrics.ts). */
export interface EngineMetrics {
  /** `aiops_inference_requests_total{model,outcome}`: one per inference round of a series. */
  readonly inferenceRequests: Counter<'model' | 'outcome'>;
  /** `aiops_inference_duration_seconds{model}`: scoring the new points of one series. */
  readonly inferenceDuration: Histogram<'model'>;
  /** `aiops_anomalies_detected_total{source}`: anomalies opened. */
  readonly anomaliesDetected: Counter<'source'>;
  /** `aiops_model_loaded{model}`: 1 while the model serves. */
  readonly modelLoaded: Gauge<'model'>;
  /** `aiops_ai_engine_leader`: 1 while this replica holds the Lease. */
  readonly leader: Gauge;
  /** `aiops_ai_engine_state_snapshot_bytes{part}`: size of the last snapshot saved of each hot-state part. */
  readonly stateSnapshotBytes: Gauge<'part'>;
}

const SOURCES: readonly AnomalySource[] = ['metrics', 'logs', 'queries'];

/** Registers the metrics on `registry`, every counter series at 0 (so increase() sees the first one) and every model not loaded (see {@link setModelsInUse}). */
export function createEngineMetrics(registry: Registry): EngineMetrics {
  const registers = [registry];
  const metrics: EngineMetrics = {
    inferenceRequests: new Counter({ name: M.inferenceRequests, help: 'Inference rounds (one series scored or forecast), by model and outcome.', labelNames: ['model', 'outcome'] as const, registers }),
    inferenceDuration: new Histogram({
      name: M.inferenceDuration,
      help: 'Time to score or forecast the new points of one series, by model.',
      labelNames: ['model'] as const,
      buckets: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1],
      registers,
    }),
    anomaliesDetected: new Counter({ name: M.anomaliesDetected, help: 'Anomalies opened, by source.', labelNames: ['source'] as const, registers }),
    modelLoaded: new Gauge({ name: M.modelLoaded, help: '1 while the model is loaded and serving.', labelNames: ['model'] as const, registers }),
    leader: new Gauge({ name: M.leader, help: '1 while this replica holds the Lease: it alerts, writes the anomaly history and saves the hot state.', registers }),
    stateSnapshotBytes: new Gauge({ name: M.stateSnapshotBytes, help: 'Size in bytes of the last hot-state snapshot saved, by part.', labelNames: ['part'] as const, registers }),
  };
  for (const model of Object.values(AI_ENGINE_MODELS)) {
    metrics.modelLoaded.set({ model }, 0);
    for (const outcome of ['success', 'error']) metrics.inferenceRequests.inc({ model, outcome }, 0);
  }
  for (const source of SOURCES) metrics.anomaliesDetected.inc({ source }, 0);
  return metrics;
}

/** `aiops_model_loaded`: 1 for the models the configured sources use, 0 for the others. */
export function setModelsInUse(metrics: EngineMetrics, inUse: ReadonlySet<AiEngineModel>): void {
  for (const model of Object.values(AI_ENGINE_MODELS)) metrics.modelLoaded.set({ model }, inUse.has(model) ? 1 : 0);
}

/** Counts one inference round of `model` and, when it succeeded, its compute time. */
export function recordInference(metrics: EngineMetrics, model: AiEngineModel, outcome: 'success' | 'error', seconds: number): void {
  metrics.inferenceRequests.inc({ model, outcome });
  if (outcome === 'success') metrics.inferenceDuration.observe({ model }, seconds);
}
