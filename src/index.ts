/** Orket's library API. The CLI is a thin shell over these. */

export { type BenchmarkOptions, type BenchmarkResult, runBenchmark } from "./bench/runner.js";
export { computeTokenMetrics } from "./core/bench/token-metrics.js";
export { canonicalJson } from "./core/shared/canonical-json.js";
export { parseModelRef } from "./core/shared/model-ref.js";
export { round3 } from "./core/shared/rounding.js";
export { recordCassette } from "./providers/cassette.js";
export { createModelAdapter, type ProviderSettings } from "./providers/index.js";
export { type GenerateOptions, type GenerateOutcome, generate } from "./runtime/generate.js";
export type { Interceptor } from "./runtime/interceptors.js";
export { type RunEpicOptions, type RunSummary, runEpic } from "./runtime/orchestrator.js";
export { parseToolCalls } from "./runtime/tool-parser.js";
export * from "./spec/index.js";
export { type EventSink, EventStream } from "./telemetry/event-stream.js";
export {
  type CallOptions,
  type CallResult,
  callModel,
  DEFAULT_RETRY,
  type RetryPolicy,
} from "./telemetry/model-call.js";
