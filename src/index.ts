/**
 * Orket's library API: everything the `orket` command does, for a TypeScript program to call directly.
 * The CLI (src/cli) is a thin shell over these exports and the spec; it imports nothing else of Orket's
 * (docs/architecture.md). Option and result types sit beside their functions.
 */

export { formatProblem } from "./bench/bank/bank-error.js";
export { loadBank, validateBank } from "./bench/bank/bank-loader.js";
export { importHumanEval } from "./bench/bank/humaneval-import.js";
export { type BankSelftest, selftestBank } from "./bench/bank/selftest.js";
// Comparing runs.
export { CompareInputError, type CompareRunOptions, compareReportFiles } from "./bench/compare.js";
export { renderCompareHtml, renderCompareMarkdown, renderCompareText } from "./bench/compare-render.js";
// History and the leaderboard.
export { addHistoryFiles, HistoryInputError, historyEntryOf, recordHistory } from "./bench/history.js";
export {
  renderMarkdown as renderReportMarkdown,
  renderText as renderReportText,
} from "./bench/report-render.js";
// The benchmark.
export { type BenchmarkOptions, type BenchmarkResult, runBenchmark } from "./bench/runner.js";
export { applyGate, GateSpecError, parseFailOn } from "./core/bench/gate.js";
export {
  type HistoryFigures,
  type LeaderboardRow,
  leaderboard,
  passRateInterval,
  trend,
} from "./core/bench/leaderboard.js";
export { computeTokenMetrics } from "./core/bench/token-metrics.js";
export { applyTagTemplate, type QuantModel } from "./core/lab/quant-model.js";
// Small pure helpers a caller may want.
export { canonicalJson } from "./core/shared/canonical-json.js";
export { parseModelRef } from "./core/shared/model-ref.js";
export { round3 } from "./core/shared/rounding.js";
export { type AnalyzeResult, analyze } from "./lab/analyze.js";
export { checkReport, checkSweep, firstFailure, INPUT_RULES, loadSweepReports } from "./lab/check.js";
export { type SelectOptions, type SelectResult, selectModels } from "./lab/select.js";
export {
  type ContextSweepOptions,
  type QuantSweepOptions,
  runContextSweep,
  runQuantSweep,
  type SweepResult,
} from "./lab/sweep.js";
export { renderSweepReport } from "./lab/sweep-report.js";
export { renderSweepText } from "./lab/sweep-text.js";
// Memory and determinism traces.
export { MemoryStore, parseMemoryWrite } from "./memory/memory-store.js";
export {
  checkTracePath,
  compareTracePaths,
  type SetDivergence,
  type TraceSetCheck,
  type TraceSetComparison,
} from "./memory/trace-folders.js";
export { recordCassette } from "./providers/cassette.js";
export { writeTinyModel } from "./providers/gguf/tiny-model.js";
// Models: adapters for every backend, one measured call, generation, cassettes.
export {
  createModelAdapter,
  DEFAULT_OLLAMA_HOST,
  normalizeOllamaHost,
  type ProviderSettings,
} from "./providers/index.js";
export { listOllamaModels, type OllamaModelInfo } from "./providers/ollama.js";
export { listOpenAIModels, type OpenAIModelInfo } from "./providers/openai-compatible.js";
export { BUILTIN_EPICS } from "./runtime/builtins/epics.js";
export { BUILTIN_ENVIRONMENTS } from "./runtime/builtins/teams.js";
export { type GenerateOptions, type GenerateOutcome, generate } from "./runtime/generate.js";
export type { Interceptor } from "./runtime/interceptors.js";
// The card-based runtime: epics, runs, replay, state.
export { type RunEpicOptions, type RunSummary, runEpic } from "./runtime/orchestrator.js";
export { type ReplayTurnOptions, type ReplayTurnResult, replayTurn } from "./runtime/replay-turn.js";
export { parseToolCalls } from "./runtime/tool-parser.js";
export type { Comparison } from "./spec/comparison.js";
// The contract: every artifact's zod schema and type, the event stream's events, the error base.
export * from "./spec/index.js";
export { writeFileAtomic } from "./store/atomic-file.js";
export { CardStore } from "./store/card-store.js";
export { type Database, openDatabase } from "./store/db.js";
export { type HistoryEntry, type HistoryFilter, HistoryStore } from "./store/history-store.js";
export { PROJECT_STATE_DIR, projectDatabasePath } from "./store/project-state.js";
export { RunStore } from "./store/run-store.js";
// Progress: one event stream that reporters read (docs/events.md).
export { abortReason, type EventSink, EventStream } from "./telemetry/event-stream.js";
export { waitForCooldown } from "./telemetry/gpu-guards.js";
export {
  type CallOptions,
  type CallResult,
  callModel,
  DEFAULT_RETRY,
  type RetryPolicy,
} from "./telemetry/model-call.js";
export {
  addObserver,
  type CallObservation,
  errorType,
  type Observer,
  startScope,
} from "./telemetry/observers.js";
export {
  DEFAULT_OTLP_ENDPOINT,
  GEN_AI_METRICS,
  type OtelExport,
  type OtelExportOptions,
  otelRequested,
  otlpEndpoint,
  startOtelExport,
} from "./telemetry/otel-export.js";
// The lab: hardware, guards, sweeps, selection, checks.
export { detectGpuBackend, type Sidecar, startSidecar, temperatureProbe } from "./telemetry/sidecar.js";
export { ORKET_VERSION } from "./version.js";

// `orket serve`: loaded when a server starts, so no other command loads Hono or prom-client.
import type { RunningServer, ServeOptions } from "./server/serve.js";

export type { RunningServer, ServeOptions };
export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const { startServer: start } = await import("./server/serve.js");
  return start(options);
}
export {
  type ErrorBody,
  type Job,
  type JobRequest,
  JobRequestSchema,
  JobSchema,
} from "./spec/server.js";

// The queue (`orket worker`, `--queue`): loaded when one is used, so no other command loads BullMQ.
import type { QueuedBenchmarkOptions, QueuedBenchmarkResult } from "./queue/controller.js";
import type { RunningWorker, WorkerOptions } from "./queue/worker.js";

export { parseQueueUrl, type QueueAddress } from "./queue/address.js";
export { QueueError } from "./queue/errors.js";
export type { QueuedBenchmarkOptions, QueuedBenchmarkResult, RunningWorker, WorkerOptions };
export async function runQueuedBenchmark(options: QueuedBenchmarkOptions): Promise<QueuedBenchmarkResult> {
  const { runQueuedBenchmark: run } = await import("./queue/controller.js");
  return run(options);
}
export async function startWorker(options: WorkerOptions): Promise<RunningWorker> {
  const { startWorker: start } = await import("./queue/worker.js");
  return start(options);
}

// The concurrency sweep: one server under 1…N concurrent clients.
export { parseDuration, parseLevels, parseSlo, type Slo } from "./core/lab/concurrency.js";
export {
  CONCURRENCY_FILE,
  ConcurrencySweepError,
  type ConcurrencySweepOptions,
  type ConcurrencySweepResult,
  runConcurrencySweep,
} from "./lab/concurrency.js";
export {
  concurrencyAnswer,
  concurrencyChartData,
  renderConcurrencyHtml,
  renderConcurrencyText,
} from "./lab/concurrency-report.js";
export {
  CONCURRENCY_SWEEP_SCHEMA_VERSION,
  type ConcurrencyRow,
  type ConcurrencySweep,
  ConcurrencySweepSchema,
} from "./spec/concurrency.js";
