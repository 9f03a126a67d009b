/**
 * Runs one row of a sweep for real: the VRAM preflight (with a GPU), a sidecar window around the row's
 * benchmark, the benchmark itself (its report kept under `<sweep out>/<row>/`), the window's guards,
 * and for Ollama what `/api/ps` says was loaded: a model partly in system memory pollutes every run of
 * the row (MODEL_SPILLED_TO_CPU), and a context size Ollama did not apply pollutes it too
 * (CONTEXT_NOT_APPLIED). Also the canary that gates a sweep.
 */
import { join } from "node:path";
import { readJournal } from "../bench/journal.js";
import { type BenchmarkOptions, type BenchmarkResult, runBenchmark } from "../bench/runner.js";
import { isValidRun } from "../bench/summarize.js";
import { judgeCanary } from "../core/lab/canary.js";
import {
  aggregateSweepRow,
  median,
  type SweepRowInput,
  type SweepRunFacts,
  sweepRunFacts,
} from "../core/lab/sweep-row.js";
import { parseModelRef } from "../core/shared/model-ref.js";
import { createModelAdapter, DEFAULT_OLLAMA_HOST, normalizeOllamaHost } from "../providers/index.js";
import { findRunning, listOllamaRunning } from "../providers/ollama-ps.js";
import type { CanaryResult, HardwareFingerprint, SweepRow } from "../spec/lab.js";
import type { ModelAdapter } from "../spec/model.js";
import type { Report, TestRun } from "../spec/report.js";
import type { GuardDecision, SidecarSummary } from "../spec/sidecar.js";
import { eventStreamFor } from "../telemetry/event-stream.js";
import { guardPollutionReasons, sidecarWindowGuards, vramPreflight } from "../telemetry/gpu-guards.js";
import { type GpuBackend, startSidecar } from "../telemetry/sidecar.js";
import { type RowBenchOptions, runBenchmarkInChild } from "./row-process.js";
import { type SweepTarget, safeSegment } from "./sweep-models.js";

/** What every row's benchmark shares; `out` is the sweep's folder. */
export interface RowContext {
  bench: Omit<BenchmarkOptions, "model" | "out" | "adapter">;
  out: string;
  backend: GpuBackend;
  sidecarIntervalMs: number;
  /** Adds to the benchmark time of the sweep (seconds inside `runBenchmark`, and warm-ups). */
  addBenchmarkSeconds(seconds: number): void;
  /** Load each Ollama model with one tiny call before its row (default true). */
  warmup: boolean;
  /**
   * `process`: an embedded-engine row is benchmarked in a fresh process of its own (the clean state its
   * peak memory needs); `in-process`: here, which lets tests inject a load sampler.
   */
  rowIsolation: "process" | "in-process";
  addWarmupSeconds(seconds: number): void;
  /** Runs a row's benchmark elsewhere (the queue: `--queue`); default here or in a row process. */
  runBench?: RowBenchRunner | undefined;
  /** Told the machine a row's runs came from, when the runner knows it (queued rows). */
  noteHardware?(hardware: HardwareFingerprint): void;
}

/**
 * A benchmark run somewhere else, with its reports: one per hardware fingerprint. A row takes the
 * report with the most runs; the others stay on disk beside it and the row says where.
 */
type RowBenchResult = BenchmarkResult & { hardware?: HardwareFingerprint | null };
export type RowBenchRunner = (
  options: BenchmarkOptions,
) => Promise<RowBenchResult & { reports?: RowBenchResult[] }>;

export interface RowResult {
  /** The row on its own, before pairing with the other rows. */
  row: SweepRow;
  facts: SweepRunFacts[];
  /** What the row was aggregated from, to aggregate again once the sweep knows its paired tasks. */
  input: SweepRowInput;
}

const MIB = 2 ** 20;

export async function runSweepRow(target: SweepTarget, ctx: RowContext): Promise<RowResult> {
  const ref = parseModelRef(target.modelRef);
  const profile = ctx.bench.vramProfile ?? "safe";
  const gpu = ctx.backend.backend !== "cpu";
  const ollama =
    ref.provider === "ollama"
      ? {
          host: normalizeOllamaHost(ctx.bench.providers?.ollamaHost ?? DEFAULT_OLLAMA_HOST),
          fetch: ctx.bench.providers?.fetch,
        }
      : null;
  const guards: GuardDecision[] = [];
  const nullReasons: Record<string, string> = {};
  if (target.sizeReason) nullReasons.model_size_bytes = target.sizeReason;

  if (gpu) {
    // A model Ollama already holds adds nothing to the VRAM in use.
    const resident = ollama
      ? await listOllamaRunning(ollama).then(
          (m) => findRunning(m, ref.model) !== undefined,
          () => false,
        )
      : false;
    const reading = await ctx.backend.sampleOnce();
    const card = reading.gpus[0];
    guards.push(
      vramPreflight({
        profile,
        usedMb: card?.vram_used_mb ?? null,
        totalMb: card?.vram_total_mb ?? null,
        expectedModelMb: resident ? 0 : target.sizeBytes === null ? null : target.sizeBytes / MIB,
      }),
    );
  }

  const extra: Record<string, unknown> = {};
  const reportDir = join(ctx.out, safeSegment(target.quant));
  // A resumed sweep skips the warm-up of a row that its journal says is done: nothing will run in it.
  const rowDone = ctx.bench.resume !== undefined && (await readJournal(reportDir))?.complete === true;
  if (ollama && ctx.warmup && !rowDone) {
    const warm = await warmUp(target, ctx);
    extra.model_load_seconds = warm.loadSeconds;
    if (warm.error !== null) nullReasons.model_load_seconds = `the warm-up call failed: ${warm.error}`;
    else if (warm.loadSeconds === null) nullReasons.model_load_seconds = "Ollama reported no load time";
  }

  const sidecar = startSidecar({ backend: ctx.backend, intervalMs: ctx.sidecarIntervalMs });
  let runs: TestRun[];
  let reportPath: string;
  let reproducibility: Report["reproducibility"];
  try {
    let otherReports: string[] | undefined;
    ({ runs, reportPath, reproducibility, otherReports } = await bench(target, reportDir, ctx));
    if (reproducibility) extra.reproducibility = reproducibility;
    if (otherReports) extra.other_hardware_reports = otherReports;
  } catch (error) {
    await sidecar.stop().catch(() => undefined);
    throw error;
  }
  const counted = runs.filter(isValidRun);
  const summary: SidecarSummary = await sidecar.stop({
    ttft_ms: msOf(median(counted.map((r) => r.telemetry.init_latency))),
    prefill_tps: median(counted.map((r) => r.telemetry.token_metrics.throughput.prompt_tokens_per_second)),
    decode_tps: median(counted.map((r) => r.telemetry.token_metrics.throughput.generation_tokens_per_second)),
  });
  if (gpu) guards.push(...sidecarWindowGuards(summary, profile));

  const pollution = new Set(guardPollutionReasons(guards));
  // A context sweep's row measures its size only if the engine really ran with it (llama.cpp rounds a
  // small context up: node-llama-cpp gives 256 tokens for 64).
  if (target.contextSize !== undefined && reproducibility?.context_size.applied === false)
    pollution.add("CONTEXT_NOT_APPLIED");
  if (ollama) {
    const loaded = await listOllamaRunning(ollama).then(
      (models) => findRunning(models, ref.model) ?? null,
      (error: Error) => error,
    );
    if (loaded instanceof Error)
      nullReasons.ollama_loaded = `/api/ps failed after the run: ${loaded.message}`;
    else if (loaded === null)
      nullReasons.ollama_loaded = "the model was no longer loaded when /api/ps was read after the run";
    else {
      extra.ollama_loaded = {
        size: loaded.size,
        size_vram: loaded.size_vram,
        context_length: loaded.context_length,
      };
      // Without a GPU everything runs on the CPU by design: that is not a spill.
      if (loaded.size_vram !== null && loaded.size_vram < loaded.size && (loaded.size_vram > 0 || gpu))
        pollution.add("MODEL_SPILLED_TO_CPU");
      if (
        target.contextSize !== undefined &&
        loaded.context_length !== null &&
        loaded.context_length !== target.contextSize
      )
        pollution.add("CONTEXT_NOT_APPLIED");
    }
  }
  const input: SweepRowInput = {
    quantTag: target.quant,
    modelRef: target.modelRef,
    ...(target.contextSize === undefined ? {} : { contextSize: target.contextSize }),
    modelSizeBytes: target.sizeBytes,
    runs,
    isValid: isValidRun,
    rowPollution: [...pollution].sort(),
    reportPath,
    sidecar: summary,
    guards,
    nullReasons,
    extra,
  };
  return { row: aggregateSweepRow(input), facts: sweepRunFacts(input), input };
}

async function bench(
  target: SweepTarget,
  out: string,
  ctx: RowContext,
  overrides: Partial<BenchmarkOptions> = {},
): Promise<{
  runs: TestRun[];
  reportPath: string;
  reproducibility: Report["reproducibility"];
  otherReports?: string[];
}> {
  // A queued row is run by the workers, from its model reference and settings: no adapter crosses.
  const adapter = ctx.runBench ? undefined : contextAdapter(target, ctx);
  const started = performance.now();
  try {
    const options: BenchmarkOptions = {
      ...ctx.bench,
      ...overrides,
      model: target.modelRef,
      out,
      mode: "direct",
      // Ollama rows were warmed up above (with the load time kept); the benchmark warms up the rest.
      ...(target.modelRef.startsWith("ollama/") && ctx.warmup ? { warmup: false } : {}),
      ...(adapter ? { adapter } : {}),
      ...(target.contextSize !== undefined && !adapter
        ? { providers: { ...ctx.bench.providers, contextSize: target.contextSize } }
        : {}),
    };
    if (ctx.runBench) {
      const result = await ctx.runBench(options);
      const reports: RowBenchResult[] = result.reports ?? [result];
      const main = reports.reduce((a, b) => (b.report.test_runs.length > a.report.test_runs.length ? b : a));
      if (main.hardware) ctx.noteHardware?.(main.hardware);
      const others = reports.filter((r) => r !== main).map((r) => r.path);
      if (others.length > 0)
        eventStreamFor(options.reporter).emit({
          type: "warning",
          code: "ROW_HARDWARE_SPLIT",
          message: `row ${target.quant}: its runs came from ${reports.length} machines; the row holds the ${main.report.test_runs.length} runs of one (${main.path}), the others are in ${others.join(", ")} (--mixed-hardware makes one row of all)`,
        });
      return {
        runs: main.report.test_runs,
        reportPath: main.path,
        reproducibility: main.report.reproducibility,
        ...(others.length > 0 ? { otherReports: others } : {}),
      };
    }
    const { report, path } =
      ctx.rowIsolation === "process" && parseModelRef(target.modelRef).provider === "gguf"
        ? await runBenchmarkInChild(childOptions(options), {
            signal: options.signal,
            events: eventStreamFor(options.reporter),
          })
        : await runBenchmark(options);
    return { runs: report.test_runs, reportPath: path, reproducibility: report.reproducibility };
  } finally {
    ctx.addBenchmarkSeconds((performance.now() - started) / 1000);
    await adapter?.close?.();
  }
}

/** The benchmark's options as plain data for a row process; an injected part cannot cross. */
function childOptions(options: BenchmarkOptions): RowBenchOptions {
  const { adapter, signal, reporter, loadSampler, gpuBackend, ...rest } = options;
  if (loadSampler || gpuBackend || adapter) {
    throw new Error(
      'an injected loadSampler, gpuBackend or adapter cannot cross into a row process: use rowIsolation: "in-process"',
    );
  }
  const { fetch, ...providers } = rest.providers ?? {};
  return { ...rest, providers };
}

/**
 * Loads the row's model before its first run, so that run does not time the load (COLD_MODEL_LOAD): one
 * call for one token, with the row's context size, not recorded to a cassette. Ollama only: its server
 * keeps the model for the benchmark's own adapter. (On the embedded engine the model lives in the
 * benchmark's adapter, which warms itself up and clears its KV cache before every run.) Counted in the benchmark time; a failure is noted, and the benchmark then shows it for real.
 */
async function warmUp(
  target: SweepTarget,
  ctx: RowContext,
): Promise<{ loadSeconds: number | null; error: string | null }> {
  const quiet = {
    ...ctx,
    bench: { ...ctx.bench, providers: { ...ctx.bench.providers, recordPath: undefined } },
  };
  const adapter = contextAdapter(target, quiet) ?? createModelAdapter(target.modelRef, quiet.bench.providers);
  const started = performance.now();
  try {
    const result = await adapter.generate({
      messages: [{ role: "user", content: "Reply with OK." }],
      maxOutputTokens: 1,
      temperature: 0,
      seed: ctx.bench.seed ?? 42,
      signal: ctx.bench.signal,
    });
    return { loadSeconds: result.timings?.loadSeconds ?? null, error: null };
  } catch (error) {
    return { loadSeconds: null, error: error instanceof Error ? error.message : String(error) };
  } finally {
    const seconds = (performance.now() - started) / 1000;
    ctx.addBenchmarkSeconds(seconds);
    ctx.addWarmupSeconds(seconds);
    await adapter.close?.();
  }
}

/**
 * Ollama takes the context per request (`options.num_ctx`), so the row's adapter sets it on every call.
 * The embedded engine takes it as a provider setting instead (no adapter here).
 */
function contextAdapter(target: SweepTarget, ctx: RowContext): ModelAdapter | undefined {
  if (target.contextSize === undefined || parseModelRef(target.modelRef).provider !== "ollama")
    return undefined;
  const inner = createModelAdapter(target.modelRef, ctx.bench.providers);
  const contextSize = target.contextSize;
  return {
    ref: inner.ref,
    provider: inner.provider,
    modelId: inner.modelId,
    capabilities: inner.capabilities,
    generate: (request) => inner.generate({ ...request, contextSize }),
    stream: (request) => inner.stream({ ...request, contextSize }),
    prepare: async () => inner.prepare?.(),
    close: async () => inner.close?.(),
  };
}

export interface CanaryOptions {
  /** `--tasks` syntax; the canary's selection. */
  tasks: string;
  runs: number;
  thresholds: { adherence_spread: number; model_time_cv: number; model_time_floor_seconds: number };
}

/** Runs the first target on the canary tasks and judges whether its repeats agree. */
export async function runCanary(
  target: SweepTarget,
  ctx: RowContext,
  options: CanaryOptions,
): Promise<CanaryResult & { report_path: string }> {
  const { runs, reportPath } = await bench(target, join(ctx.out, "canary"), ctx, {
    tasks: options.tasks,
    runs: options.runs,
  });
  const judged = judgeCanary(
    runs.map((run) => ({
      task_id: run.task_id,
      adherence: run.telemetry.adherence_score,
      model_seconds:
        run.telemetry.token_metrics.latencies.decode_seconds ?? run.telemetry.internal_model_seconds,
      errored: run.outcome === "error",
      reasons: run.telemetry.run_quality_reasons,
    })),
    options.thresholds,
  );
  return {
    ...judged,
    model_ref: target.modelRef,
    runs: runs.length,
    thresholds: { ...options.thresholds },
    report_path: reportPath,
  };
}

function msOf(secondsValue: number | null): number | null {
  return secondsValue === null ? null : Math.round(secondsValue * 1000);
}
