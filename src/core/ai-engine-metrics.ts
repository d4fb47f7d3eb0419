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
} as const;

/** The engine's models, the `model` label: the streaming detector and the trend forecast. */
export const AI_ENGINE_MODELS = { detector: 'robust-seasonal', forecast: 'theil-sen' } as const;
