/** Orket's library API. The CLI is a thin shell over these. */

export { type BenchmarkOptions, type BenchmarkResult, runBenchmark } from "./bench/runner.js";
export { canonicalJson } from "./core/canonical-json.js";
export { parseModelRef } from "./core/model-ref.js";
export { round3 } from "./core/rounding.js";
export { computeTokenMetrics } from "./core/token-metrics.js";
export { recordCassette } from "./providers/cassette.js";
export { createModelAdapter, type ProviderSettings } from "./providers/index.js";
export { type GenerateOptions, type GenerateOutcome, generate } from "./runtime/generate.js";
export type { Interceptor } from "./runtime/interceptors.js";
export { type RunEpicOptions, type RunSummary, runEpic } from "./runtime/orchestrator.js";
export { parseToolCalls } from "./runtime/tool-parser.js";
export * from "./spec/index.js";
export {
  type CallOptions,
  type CallResult,
  callModel,
  DEFAULT_RETRY,
  type RetryPolicy,
} from "./telemetry/model-call.js";
