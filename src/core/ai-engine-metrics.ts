/**
 * The AI engine's own metric names (the contract of src/components/monitoring/metrics-catalog.ts,
 * `aiEngine`), defined once: the engine registers exactly these.
 */
export const AI_ENGINE_METRICS = {
  /** Counter `{model, outcome}`: one per inference round of a series (outcome `success` or `error`). */
  inferenceRequests: 'aiops_inference_requests_total',
  /** Histogram `{model}`: duration of one inference round (scoring the new points of a series). */
  inferenceDuration: 'aiops_inference_duration_seconds',
  /** Counter `{source}`: anomalies opened, by source (`metrics`, `logs`, `queries`). */
  anomaliesDetected: 'aiops_anomalies_detected_total',
  /** Gauge `{model}`: 1 while the model is loaded and serving. */
  modelLoaded: 'aiops_model_loaded',
  /** Gauge: 1 while this replica holds the Lease (it alerts, writes the history and saves the hot state). */
  leader: 'aiops_ai_engine_leader',
  /** Gauge `{part}`: size in bytes of the last hot-state snapshot saved of each part. */
  stateSnapshotBytes: 'aiops_ai_engine_state_snapshot_bytes',
  /** Counter `{operation}`: hot-state saves, loads and removals that failed in Redis (saves then stay in memory). */
  stateStoreFailures: 'aiops_ai_engine_state_store_failures_total',
} as const;

/** The histograms among {@link AI_ENGINE_METRICS} (exposed as `_bucket`, `_sum`, `_count`). */
export const AI_ENGINE_HISTOGRAMS: ReadonlySet<string> = new Set([AI_ENGINE_METRICS.inferenceDuration]);

/**
 * The engine's models, the `model` label: the streaming detector (metrics and log error rates), the
 * trend forecast, the log template miner (new patterns) and the per-statement baselines (queries).
 */
export const AI_ENGINE_MODELS = { detector: 'robust-seasonal', forecast: 'theil-sen', patterns: 'drain', regression: 'query-baseline' } as const;

/** A `model` label value. */
export type AiEngineModel = (typeof AI_ENGINE_MODELS)[keyof typeof AI_ENGINE_MODELS];
