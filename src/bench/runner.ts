/**
 * `runBenchmark`: every selected task of a bank, `runs` times, through one model, in `direct` mode (one
 * completion request, HumanEval style) or `agent` mode (a coder card in the execution loop that must
 * write the solution file). Each test run records its telemetry on success, failure and exception; the
 * report is written atomically at the end, and also when the run is interrupted.
 */
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { arch, cpus, platform, tmpdir, totalmem } from "node:os";
import { dirname, join, resolve } from "node:path";
import { judgeRunQuality } from "../core/bench/run-quality.js";
import { normalizeOutput } from "../core/bench/scoring.js";
import { parseModelRef } from "../core/shared/model-ref.js";
import { round3 } from "../core/shared/rounding.js";
import { createModelAdapter, type ProviderSettings } from "../providers/index.js";
import { resolveDefaultModel } from "../runtime/generate.js";
import { runEpic } from "../runtime/orchestrator.js";
import type { Task, TaskBank } from "../spec/bank.js";
import type { ExecutionLane, VramProfile } from "../spec/common.js";
import type { Reporter, TestRunEndScore } from "../spec/events.js";
import type { EngineRecord, ModelAdapter, ModelMessage } from "../spec/model.js";
import { type FailureRecord, REPORT_SCHEMA_VERSION, type Report, type TestRun } from "../spec/report.js";
import type { CallTelemetry } from "../spec/telemetry.js";
import { writeFileAtomic } from "../store/atomic-file.js";
import { abortReason, type EventSink, eventStreamFor } from "../telemetry/event-stream.js";
import { callModel } from "../telemetry/model-call.js";
import { errorType, startScope } from "../telemetry/observers.js";
import { detectGpuBackend, type GpuBackend } from "../telemetry/sidecar.js";
import { createLoadSampler, type LoadSampler, unmeasuredCpuWindow } from "../telemetry/system-load.js";
import { createConstraintValidator } from "../validation/constraint-validator.js";
import { ORKET_VERSION } from "../version.js";
import { aggregateCalls } from "./aggregate-telemetry.js";
import { bankSha256, loadBank, selectTasks } from "./bank/bank-loader.js";
import { defaultIsolation, describeIsolation, evaluate, preloadTranspiler } from "./evaluator/index.js";
import { type ExtractedCode, extractCode } from "./extract-code.js";
import { recordBenchReport } from "./history.js";
import {
  identityMismatch,
  JOURNAL_FILE,
  JournalError,
  type JournalIdentity,
  JournalWriter,
  readJournal,
  runKey,
} from "./journal.js";
import {
  DEFAULT_THERMAL,
  expectedModelMb,
  type LabSettings,
  labGuardsArtifact,
  openLabWindow,
  type ThermalSettings,
} from "./lab-window.js";
import {
  describeBackend,
  reproducibilityRecord,
  runSettingsNotApplied,
  unknownEngine,
} from "./reproducibility.js";
import {
  collectGarbage,
  keepTraces,
  largestCall,
  safeName,
  serverProcess,
  spilledToCpu,
  warmUp,
} from "./run-extras.js";
import { summarizeRuns } from "./summarize.js";

export { ORKET_VERSION };

export interface BenchmarkOptions {
  model?: string | undefined;
  /** "builtin" or a path to a bank JSON file. */
  bank?: string;
  runs?: number;
  /** `1-10,12` (positions) or task ids; default all. */
  tasks?: string | undefined;
  mode?: "direct" | "agent";
  lane?: ExecutionLane;
  vramProfile?: VramProfile;
  seed?: number | undefined;
  temperature?: number | undefined;
  maxOutputTokens?: number | undefined;
  timeoutMs?: number | undefined;
  /** Folder for `orket_report.json` (default `orket-results`). */
  out?: string;
  /**
   * Continue the benchmark journaled in `out` (`orket_journal.ndjson`): its finished test runs are kept
   * and only the missing ones run. The settings must match the journal's (else BAD_JOURNAL, exit 2).
   */
  resume?: boolean | "if-present" | undefined;
  /**
   * Agent mode: keep each test run's memory traces under `<out>/traces/<task>/<run>/turns/…` (default
   * true), ready for `orket memory compare`.
   */
  memoryTrace?: boolean;
  home: string;
  /**
   * The project database to record the finished report in (its history: `orket history`, `orket
   * leaderboard`); an interrupted benchmark is not recorded. Default: not recorded.
   */
  history?: string | undefined;
  /** The seat role this benchmark is for (recorded in the report and the history; `--role`). */
  role?: string | undefined;
  /** Set when the benchmark is a row of the sweep summarized at this path (for its history row). */
  sweepPath?: string | undefined;
  providers?: ProviderSettings;
  signal?: AbortSignal;
  adapter?: ModelAdapter;
  /**
   * Follows the benchmark: `run_start`, each test run's start and end, progress, info and warnings,
   * `interrupted`, `run_end` (docs/events.md). A reporter gets a new stream; an `EventStream` (or a
   * sink in front of one) is emitted into, so its sequence carries on.
   */
  reporter?: Reporter | EventSink | undefined;
  /** Samples system load around each test run (default: this machine's counters; injected by tests). */
  loadSampler?: LoadSampler;
  /** Sample the hardware (nvidia-smi, rocm-smi or the CPU) during each test run (default true). */
  sidecar?: boolean;
  /** Milliseconds between sidecar polls (default 100: 10 Hz). */
  sidecarIntervalMs?: number;
  /** The sidecar's backend (default: detected from PATH); tests give a fake nvidia-smi. */
  gpuBackend?: GpuBackend;
  /** Load the model with one unmeasured call before the first test run (default true). */
  warmup?: boolean;
  /** Lab lane: the thermal gate before each test run (default DEFAULT_THERMAL). */
  thermal?: Partial<ThermalSettings>;
  /**
   * Experimental control: `false` makes every run pay its own prefill on a server too (llama.cpp's
   * `cache_prompt: false`), for cold prefill figures. Default: the embedded engine clears its cache
   * before each run (its method); a server reuses a cached prompt prefix as it normally does.
   */
  promptCache?: boolean | undefined;
}

export interface BenchmarkResult {
  report: Report;
  path: string;
}

/** A benchmark's settings with their defaults, its bank loaded and its tasks selected. */
export interface BenchmarkPlan {
  bank: TaskBank;
  bankSource: string;
  tasks: Task[];
  runs: number;
  mode: "direct" | "agent";
  seed: number;
  temperature: number;
  lane: ExecutionLane;
  vramProfile: VramProfile;
}

/** Loads the bank and fills in every default, as a local or a queued benchmark does. */
export async function planBenchmark(options: BenchmarkOptions): Promise<BenchmarkPlan> {
  const bankSource = options.bank ?? "builtin";
  const bank = await loadBank(bankSource);
  return {
    bank,
    bankSource,
    tasks: options.tasks ? selectTasks(bank, options.tasks) : bank.tasks,
    runs: options.runs ?? 1,
    mode: options.mode ?? "direct",
    seed: options.seed ?? 42,
    temperature: options.temperature ?? 0,
    lane: options.lane ?? "ci",
    vramProfile: options.vramProfile ?? "safe",
  };
}

/** What a journal (or a queued batch) must match to be resumed: the model and every setting. */
export function benchmarkIdentity(
  plan: BenchmarkPlan,
  modelRef: string,
  options: BenchmarkOptions,
): JournalIdentity {
  return {
    model_ref: modelRef,
    bank: { name: plan.bank.name, version: plan.bank.version, source: plan.bankSource },
    task_ids: plan.tasks.map((t) => t.id),
    runs_per_task: plan.runs,
    mode: plan.mode,
    seed: plan.seed,
    temperature: plan.temperature,
    max_output_tokens: options.maxOutputTokens ?? null,
    execution_lane: plan.lane,
    vram_profile: plan.vramProfile,
    context_size: options.providers?.contextSize ?? null,
  };
}

export async function runBenchmark(options: BenchmarkOptions): Promise<BenchmarkResult> {
  const plan = await planBenchmark(options);
  const { bank, bankSource, tasks, runs, mode, seed, temperature, lane, vramProfile } = plan;

  const events = eventStreamFor(options.reporter);
  const info = (message: string) => events.emit({ type: "info", message });
  let chosenBecause = "named with --model";
  let modelRef = options.adapter?.ref ?? options.model;
  if (!modelRef) {
    const chosen = await resolveDefaultModel({
      home: options.home,
      providers: options.providers,
      onNotice: info,
    });
    modelRef = chosen.ref;
    chosenBecause = chosen.because;
  }
  info(`model: ${modelRef} (${chosenBecause})`);
  const outDir = resolve(options.out ?? "orket-results");
  await mkdir(outDir, { recursive: true });
  const identity = benchmarkIdentity(plan, modelRef, options);
  const previous = await readJournal(outDir);
  let journaled = new Map<string, TestRun>();
  const resuming = options.resume === true || (options.resume === "if-present" && previous !== null);
  if (resuming) {
    if (previous === null) {
      throw new JournalError(
        `--resume ${options.out ?? "orket-results"}: no ${JOURNAL_FILE} there to resume`,
      );
    }
    const differs = identityMismatch(previous.identity, identity);
    if (differs !== null) {
      throw new JournalError(
        `--resume ${options.out ?? "orket-results"}: the journal's ${differs.field} is ${JSON.stringify(differs.journal)}, this benchmark's is ${JSON.stringify(differs.current)}; run with the same settings`,
      );
    }
    journaled = previous.runs;
    info(`resuming ${previous.path}: ${journaled.size} of ${tasks.length * runs} test runs already done`);
  }
  const remaining = tasks.length * runs - countJournaled(journaled, tasks, runs);
  // A resume with nothing left to run loads no model: the journal has the engine's record.
  const nothingLeft = remaining === 0 && previous?.engine != null;
  const executor = await createTestRunExecutor({
    modelRef,
    mode,
    seed,
    temperature,
    lane,
    vramProfile,
    options,
    events,
    load: !nothingLeft,
    typescript: remaining > 0 && tasks.some((task) => task.language === "typescript"),
  });
  const { adapter, promptCache, server, warmup, evaluatorSandbox } = executor;
  const engine = nothingLeft && previous?.engine ? previous.engine : executor.engine;
  const journal =
    resuming && previous !== null
      ? JournalWriter.resume(previous)
      : await JournalWriter.start(outDir, identity, previous);
  if (!(resuming && previous?.engine)) journal.engine(engine);
  const testRuns: TestRun[] = [];
  const total = tasks.length * runs;
  events.emit({ type: "run_start", command: "bench", run_id: null, subject: modelRef, total });
  const benchScope = startScope("bench", modelRef, {
    "orket.bank.name": bank.name,
    "orket.bank.sha256": bankSha256(bank),
    "orket.test_runs": total,
    "orket.mode": mode,
    "orket.execution_lane": lane,
  });
  const finished = (run: TestRun, seconds: number | null) =>
    emitTestRunEnd(events, run, testRuns.length, total, seconds);

  const path = join(outDir, "orket_report.json");
  let interrupted = false;
  try {
    for (const task of tasks) {
      for (let runIndex = 0; runIndex < runs; runIndex++) {
        const done = journaled.get(runKey(task.id, runIndex));
        if (done !== undefined) {
          testRuns.push(done);
          finished(done, null);
          continue;
        }
        if (options.signal?.aborted) {
          interrupted = true;
          break;
        }
        const traceDir =
          mode === "agent" && options.memoryTrace !== false
            ? join(outDir, "traces", safeName(task.id), String(runIndex))
            : undefined;
        events.emit({
          type: "test_run_start",
          test_id: `${task.id}#${runIndex}`,
          task_id: task.id,
          index: testRuns.length,
          total,
          row: null,
        });
        const started = performance.now();
        const testScope = startScope("test_run", `${task.id}#${runIndex}`, {
          "orket.test_id": `${task.id}#${runIndex}`,
          "orket.task_id": task.id,
        });
        const run = await executor.run(task, runIndex, traceDir);
        const score = testRunScore(run);
        testScope.end({
          status: run.outcome,
          failed: run.outcome === "error",
          score: {
            outcome: run.outcome,
            adherenceScore: score.adherence_score,
            examplesPassed: score.examples_passed,
            examplesTotal: score.examples_total,
            errorCode: score.error_code,
          },
        });
        testRuns.push(run);
        // A run cut short by an interruption is in the report, but not journaled: a resume runs it again.
        if (!options.signal?.aborted) journal.run(task.id, runIndex, run);
        finished(run, round3((performance.now() - started) / 1000));
      }
      if (interrupted) break;
    }
  } catch (error) {
    benchScope.end({ status: "error", failed: true, attributes: { "error.type": errorType(error) } });
    throw error;
  } finally {
    await executor.close();
  }
  interrupted ||= Boolean(options.signal?.aborted);
  if (interrupted) {
    events.emit({
      type: "interrupted",
      reason: `${abortReason(options.signal)}: stopped after ${testRuns.length} of ${total} test runs; the partial report is written`,
    });
  }

  const report = assembleReport({
    lane,
    vramProfile,
    interrupted,
    modelRef: adapter.ref,
    chosenBecause,
    bank: { name: bank.name, version: bank.version, source: bankSource, sha256: bankSha256(bank) },
    tasks,
    runs,
    mode,
    seed,
    temperature,
    options,
    promptCache,
    warmup,
    server,
    host: thisHost(),
    engine,
    evaluatorSandbox,
    testRuns,
  });
  await writeFileAtomic(path, `${JSON.stringify(report, null, 2)}\n`);
  if (!interrupted && !(resuming && previous?.complete)) journal.complete();
  journal.close();
  await fileReport(report, path, options);
  benchScope.end({ status: interrupted ? "interrupted" : "done", failed: interrupted });
  events.emit({
    type: "run_end",
    status: interrupted ? "interrupted" : "done",
    reason: null,
    done: testRuns.length,
    total,
  });
  return { report, path };
}

/**
 * What follows a written report: a finished one goes into the project's history, and in the lab lane
 * its guards' decisions are written beside it (`lab_guards.json`).
 */
export async function fileReport(report: Report, path: string, options: BenchmarkOptions): Promise<void> {
  if (options.history !== undefined && !report.interrupted)
    await recordBenchReport(options.history, path, options.sweepPath ?? null);
  if (report.execution_lane === "lab") {
    const guards = labGuardsArtifact(
      report.test_runs,
      path,
      new Date(),
      report.execution_lane,
      report.vram_profile,
    );
    await writeFileAtomic(join(dirname(path), "lab_guards.json"), `${JSON.stringify(guards, null, 2)}\n`);
  }
}

function countJournaled(
  journaled: ReadonlyMap<string, TestRun>,
  tasks: readonly Task[],
  runs: number,
): number {
  let count = 0;
  for (const task of tasks) {
    for (let runIndex = 0; runIndex < runs; runIndex++) if (journaled.has(runKey(task.id, runIndex))) count++;
  }
  return count;
}

/** The machine a benchmark ran on, as its report states it. */
export function thisHost(): Report["settings"]["host"] {
  return {
    platform: platform(),
    arch: arch(),
    cpu_model: cpus()[0]?.model ?? "unknown",
    core_count: cpus().length,
    total_memory_mib: Math.round(totalmem() / 2 ** 20),
  };
}

export interface ReportParts {
  lane: ExecutionLane;
  vramProfile: VramProfile;
  interrupted: boolean;
  modelRef: string;
  chosenBecause: string;
  bank: { name: string; version: string; source: string; sha256: string };
  tasks: readonly Task[];
  runs: number;
  mode: "direct" | "agent";
  seed: number;
  temperature: number;
  options: Pick<BenchmarkOptions, "maxOutputTokens" | "role" | "providers">;
  promptCache: false | undefined;
  warmup: TestRunExecutor["warmup"];
  server: TestRunExecutor["server"];
  host: Report["settings"]["host"];
  engine: EngineRecord;
  evaluatorSandbox: TestRunExecutor["evaluatorSandbox"];
  testRuns: TestRun[];
}

/** `orket_report.json` from a benchmark's settings, its engine and its test runs (local or queued). */
export function assembleReport(parts: ReportParts): Report {
  const { options, testRuns } = parts;
  return {
    schema_version: REPORT_SCHEMA_VERSION,
    report_generated_at: new Date().toISOString(),
    execution_lane: parts.lane,
    vram_profile: parts.vramProfile,
    interrupted: parts.interrupted,
    settings: {
      model_ref: parts.modelRef,
      model_chosen_because: parts.chosenBecause,
      bank: parts.bank,
      task_ids: parts.tasks.map((t) => t.id),
      runs_per_task: parts.runs,
      mode: parts.mode,
      seed: parts.seed,
      temperature: parts.temperature,
      max_output_tokens: options.maxOutputTokens ?? null,
      experimental_controls: {
        seed_fixed: true,
        temperature_fixed: true,
        prompt_cache: parts.promptCache === false ? "off" : "engine-default",
      },
      warmup: parts.warmup,
      server_process: parts.server,
      orket_version: ORKET_VERSION,
      ...(options.role !== undefined ? { role: options.role } : {}),
      host: parts.host,
    },
    summary: summarizeRuns(testRuns, parts.tasks),
    test_runs: testRuns,
    reproducibility: {
      ...reproducibilityRecord(
        { ref: parts.modelRef },
        parts.engine,
        {
          seed: parts.seed,
          temperature: parts.temperature,
          maxOutputTokens: options.maxOutputTokens ?? null,
        },
        options.providers?.contextSize ?? null,
        testRuns,
      ),
      evaluator_sandbox: parts.evaluatorSandbox,
    },
  };
}

export interface ExecutorSettings {
  modelRef: string;
  mode: "direct" | "agent";
  seed: number;
  temperature: number;
  lane: ExecutionLane;
  vramProfile: VramProfile;
  /** The benchmark's options: providers, timeouts, sidecar, thermal gate, an injected adapter. */
  options: BenchmarkOptions;
  events: EventSink;
  /** Warm the model up and ask the engine for its record (false: a resume with nothing left to run). */
  load: boolean;
  /** Preload the TypeScript transpiler before the first measured run. */
  typescript: boolean;
}

/** What runs test runs on one model: the adapter, warmed up, and everything scoring needs, loaded. */
export interface TestRunExecutor {
  adapter: ModelAdapter;
  /** The engine's own record (an "unknown" record when `load` was false). */
  engine: EngineRecord;
  promptCache: false | undefined;
  server: ReturnType<typeof serverProcess>;
  warmup: { seconds: number | null; reason: string };
  evaluatorSandbox: { kind: "bwrap" | "unshare" | "none"; description: string };
  /** One test run of `task`, measured, scored and judged (it never throws for the model's failure). */
  run(task: Task, runIndex: number, traceDir?: string): Promise<TestRun>;
  /** Releases the adapter (an injected adapter is its owner's to close). */
  close(): Promise<void>;
}

/**
 * Prepares test runs on one model: the adapter, its warm-up, the engine's record, the constraint
 * validator, the lab's guards, the load sampler and the evaluator sandbox. A local benchmark and a
 * queue worker run their test runs through the same executor, so their records are made alike.
 */
export async function createTestRunExecutor(settings: ExecutorSettings): Promise<TestRunExecutor> {
  const { modelRef, options, events, lane, vramProfile } = settings;
  // The embedded engine's method: every test run pays its own prompt processing, no KV-cache prefix
  // carried over from the last one. A server keeps its own default unless the control turns it off.
  const embedded = parseModelRef(modelRef).provider === "gguf";
  const promptCache = options.promptCache === false || embedded ? false : undefined;
  const server = serverProcess(modelRef, options.providers);
  const adapter =
    options.adapter ??
    createModelAdapter(modelRef, { ...options.providers, promptCache, serverPid: server.pid ?? undefined });
  // Everything this process will load for scoring is loaded before the first measured run.
  if (settings.typescript) await preloadTranspiler();
  const warmup = settings.load
    ? await warmUp(adapter, options)
    : { seconds: null, reason: "resumed with nothing left to run: no model was loaded" };
  const engine = settings.load
    ? await describeBackend(adapter, options.signal)
    : unknownEngine(adapter, "resumed with nothing left to run: the engine was not asked");
  const validator = await createConstraintValidator();
  const lab: LabSettings = {
    lane,
    profile: vramProfile,
    gpu: options.sidecar === false ? null : (options.gpuBackend ?? detectGpuBackend()),
    thermal: { ...DEFAULT_THERMAL, ...options.thermal },
    expectedModelMb: await expectedModelMb(adapter),
    intervalMs: options.sidecarIntervalMs ?? 100,
  };
  const sampler = options.loadSampler ?? createLoadSampler();
  const sandbox = await defaultIsolation();
  const evaluatorSandbox = { kind: sandbox.kind, description: describeIsolation(sandbox) };
  if (sandbox.kind !== "bwrap") {
    events.emit({
      type: "warning",
      code: "WEAK_SANDBOX",
      message: `evaluator sandbox: ${evaluatorSandbox.description} (install bubblewrap for a private root; docs/benchmark.md)`,
    });
  }
  return {
    adapter,
    engine,
    promptCache,
    server,
    warmup,
    evaluatorSandbox,
    run: (task, runIndex, traceDir) =>
      runOne({
        task,
        runIndex,
        adapter,
        validator,
        sampler,
        options,
        seed: settings.seed,
        temperature: settings.temperature,
        lane,
        vramProfile,
        mode: settings.mode,
        lab,
        effectiveContext: engine.context_size ?? options.providers?.contextSize ?? null,
        traceDir,
      }),
    close: async () => {
      if (!options.adapter) await adapter.close?.();
    },
  };
}

interface RunContext {
  task: Task;
  runIndex: number;
  adapter: ModelAdapter;
  validator: Awaited<ReturnType<typeof createConstraintValidator>>;
  sampler: LoadSampler;
  options: BenchmarkOptions;
  seed: number;
  temperature: number;
  lane: ExecutionLane;
  vramProfile: VramProfile;
  mode: "direct" | "agent";
  lab: LabSettings;
  /** The context window the engine runs with (its own record), else the one asked for; null: unknown. */
  effectiveContext: number | null;
  /** Where agent mode keeps this test run's memory traces; absent: not traced. */
  traceDir?: string | undefined;
}

async function runOne(ctx: RunContext): Promise<TestRun> {
  const { task } = ctx;
  // The embedded engine runs in this process, so its peak RSS holds this process's garbage too: collect
  // it before the window opens, so each run's peak is the engine plus a settled heap, not the litter of
  // the runs before it (with the TypeScript compiler preloaded too, the peaks of one bench of a 4.6 MiB
  // model went from 155-259 MiB to 197-223 MiB).
  if (ctx.adapter.capabilities.inferenceProcess.kind === "self") collectGarbage();
  const window = await openLabWindow(ctx.lab);
  const loadStart = ctx.sampler.sample();
  const cpu = ctx.sampler.cpuWindow
    ? ctx.sampler.cpuWindow(ctx.adapter.capabilities.inferenceProcess)
    : unmeasuredCpuWindow("the injected load sampler measures no generation window");
  let calls: CallTelemetry[] = [];
  let extraction: ExtractedCode = { code: null, source: "none", reason: "no answer" };
  let error: { code: string; message: string } | null = null;
  let answer = "";
  let prompt = promptText(ctx);
  let generationSeconds: number | null = null;
  const started = performance.now();
  try {
    const produced = ctx.mode === "direct" ? await direct(ctx) : await agent(ctx);
    calls = produced.calls;
    extraction = produced.extraction;
    answer = produced.answer;
    prompt = produced.prompt;
    error = produced.error;
    generationSeconds = produced.generationSeconds;
  } catch (thrown) {
    error = { code: "INTERNAL", message: thrown instanceof Error ? thrown.message : String(thrown) };
  }
  // The generation window (seed 004, Phase 2): dispatch of the first request to completion or failure.
  // Without a model call (a throw before one) it is the time the attempt took.
  const totalSeconds = generationSeconds ?? (performance.now() - started) / 1000;
  const foreignCpu = cpu.stop();
  const spilled = await spilledToCpu(ctx.adapter, ctx.options);
  const firstCall = calls[0]?.token_metrics;
  const hardware = await window.close({
    ttft_ms: calls[0]?.init_latency == null ? null : round3(calls[0].init_latency * 1000),
    prefill_tps: firstCall?.throughput.prompt_tokens_per_second ?? null,
    decode_tps: firstCall?.throughput.generation_tokens_per_second ?? null,
    model_load_ms:
      firstCall?.latencies.load_seconds == null ? null : round3(firstCall.latencies.load_seconds * 1000),
  });
  // Scoring is the benchmark's own work, timed on its own and kept out of the generation window.
  const scoringStarted = performance.now();
  const validation = ctx.validator.validate(extraction.code, task.language, task.constraints);
  let evaluation: Awaited<ReturnType<typeof evaluate>> | null = null;
  if (extraction.code !== null && error === null)
    evaluation = await evaluate(extraction.code, task.language, task.evaluation);
  const evaluationSeconds =
    extraction.code === null ? null : round3((performance.now() - scoringStarted) / 1000);
  const loadEnd = ctx.sampler.sample();

  const aggregate = aggregateCalls(calls);
  const overhead =
    totalSeconds > 0
      ? round3(Math.max(0, (totalSeconds - aggregate.internalModelSeconds) / totalSeconds))
      : null;
  const quality = judgeRunQuality({
    tokenMetrics: aggregate.tokenMetrics,
    seedFixed: true,
    temperatureFixed: true,
    foreignCpuPercent: foreignCpu.foreign_cpu_percent,
    totalCpuPercent: foreignCpu.total_cpu_percent,
    windowCpuMeasurable: process.platform === "linux" && ctx.sampler.cpuWindow !== undefined,
    load1mStart: loadStart.load_1m,
    coreCount: loadStart.core_count,
    overheadRatio: overhead,
    modelAnswered: calls.some((c) => c.outcome === "ok"),
    wallTimingMeaningful: !(
      ctx.adapter.provider === "replay" && ctx.options.providers?.replayPacing === "instant"
    ),
    guardReasons: hardware.guardReasons,
    modelSpilledToCpu: spilled,
    sidecarStatus: hardware.sidecarStatus,
    // Judged against the window the engine really has, which is not always the one asked for.
    contextSize: ctx.effectiveContext,
    largestCallTokens: largestCall(calls),
  });
  const sandboxFailed = evaluation?.error && evaluation.error.code !== "COMPILE_FAILED";
  const outcome: TestRun["outcome"] = error || sandboxFailed ? "error" : evaluation?.passed ? "pass" : "fail";
  const nullReasons = { ...aggregate.nullReasons };
  if (validation.adherence_score === null)
    nullReasons.adherence_score = `no code was produced: ${extraction.reason ?? "unknown"}`;
  if (evaluationSeconds === null)
    nullReasons.evaluation_seconds = "no code was produced, so nothing was scored";
  if (foreignCpu.reason !== null) nullReasons.foreign_cpu_percent = foreignCpu.reason;
  if (foreignCpu.wait_reason !== null) nullReasons.inference_wait_percent = foreignCpu.wait_reason;

  return {
    test_id: `${task.id}#${ctx.runIndex}`,
    task_id: task.id,
    run_index: ctx.runIndex,
    outcome,
    output_hash: createHash("sha256")
      .update(normalizeOutput(extraction.code ?? answer))
      .digest("hex"),
    telemetry: {
      init_latency: aggregate.initLatency,
      total_latency: round3(totalSeconds),
      evaluation_seconds: evaluationSeconds,
      peak_memory_rss: aggregate.peakMemoryRss,
      adherence_score: validation.adherence_score,
      token_metrics: aggregate.tokenMetrics,
      // The client's view of the stream beside the engine's figures (direct mode: its one call).
      client_timings: calls.length === 1 && calls[0] ? { ...calls[0].client_timings } : null,
      internal_model_seconds: aggregate.internalModelSeconds,
      orchestration_overhead_ratio: overhead,
      run_quality_status: quality.status,
      run_quality_reasons: quality.reasons,
      prefill_quality: quality.prefill,
      system_load_start: loadStart,
      system_load_end: loadEnd,
      settings_not_applied: runSettingsNotApplied(calls),
      generation_cpu: { ...foreignCpu },
      constraint_validation: {
        passed_checks: validation.passed_checks,
        total_checks: validation.total_checks,
        checks: validation.checks.map((check) => ({ ...check })),
      },
      evaluation: evaluation
        ? {
            passed_examples: evaluation.passed_examples,
            total_examples: evaluation.total_examples,
            error: evaluation.error,
          }
        : null,
      extraction: { source: extraction.source, reason: extraction.reason },
      model_calls: calls.length,
      error,
      null_reasons: nullReasons,
      execution_lane: ctx.lane,
      vram_profile: ctx.vramProfile,
      hardware_sidecar: hardware.sidecar,
      guards: hardware.guards,
    },
    ...(outcome === "pass" ? {} : { failure: failureRecord(prompt, answer, evaluation) }),
  };
}

const PROMPT_CAP = 8 * 1024;
const ANSWER_CAP = 16 * 1024;
const FAILED_EXAMPLES_CAP = 10;

/** What a run that did not pass was asked and answered, and the examples it failed (capped). */
function failureRecord(
  prompt: string,
  answer: string,
  evaluation: Awaited<ReturnType<typeof evaluate>> | null,
): FailureRecord {
  return {
    prompt: prompt.slice(0, PROMPT_CAP),
    prompt_truncated: prompt.length > PROMPT_CAP,
    answer: answer.slice(0, ANSWER_CAP),
    answer_truncated: answer.length > ANSWER_CAP,
    failed_examples: (evaluation?.examples ?? [])
      .filter((example) => !example.passed)
      .slice(0, FAILED_EXAMPLES_CAP)
      .map((example) => ({
        index: example.index,
        detail: example.detail,
        timed_out: example.timed_out,
        exit_code: example.exit_code,
        signal: example.signal,
      })),
  };
}

/** The prompt a run is given before it starts (what a run that throws early is reported with). */
function promptText(ctx: RunContext): string {
  return ctx.mode === "direct"
    ? String(directPrompt(ctx.task).at(-1)?.content ?? "")
    : agentRequirements(ctx.task);
}

function agentRequirements(task: Task): string {
  const file = task.solution_file ?? DEFAULT_FILE[task.language];
  return `${task.instruction}\n\n${task.function_signature ? `Signature: ${task.function_signature}\n` : ""}Write the complete solution to ${file}.`;
}

interface Produced {
  calls: CallTelemetry[];
  /** Seconds from the first request's dispatch to the last one's completion or failure; null: no call. */
  generationSeconds: number | null;
  extraction: ExtractedCode;
  /** The user prompt the model was given. */
  prompt: string;
  answer: string;
  error: { code: string; message: string } | null;
}

const FENCE_TAG = { python: "python", typescript: "typescript", javascript: "javascript" } as const;

/** The direct-mode prompt: the task, its signature, and how to answer. */
export function directPrompt(task: Task): ModelMessage[] {
  const shape =
    task.evaluation.kind === "cli"
      ? "Write a complete program: it reads standard input and its command-line arguments, and writes to standard output."
      : `Write the function${task.function_signature ? ` with this signature:\n${task.function_signature}` : "."}`;
  return [
    {
      role: "system",
      content: `You are an expert ${task.language} programmer. Answer with the complete solution in one fenced \`\`\`${FENCE_TAG[task.language]} block and nothing else.`,
    },
    { role: "user", content: `${task.instruction}\n\n${shape}` },
  ];
}

async function direct(ctx: RunContext): Promise<Produced> {
  const started = performance.now();
  const result = await callModel(
    ctx.adapter,
    {
      messages: directPrompt(ctx.task),
      seed: ctx.seed,
      temperature: ctx.temperature,
      maxOutputTokens: ctx.options.maxOutputTokens,
      ...(ctx.options.providers?.contextSize ? { contextSize: ctx.options.providers.contextSize } : {}),
    },
    {
      timeoutMs: ctx.options.timeoutMs,
      lane: ctx.lane,
      vramProfile: ctx.vramProfile,
      signal: ctx.options.signal,
    },
  );
  const generationSeconds = (performance.now() - started) / 1000;
  return {
    calls: [result.telemetry],
    generationSeconds,
    extraction: result.ok
      ? extractCode(result.text, ctx.task.language)
      : { code: null, source: "none", reason: `the model call failed: ${result.error.code}` },
    prompt: String(directPrompt(ctx.task).at(-1)?.content ?? ""),
    answer: result.text,
    error: result.ok ? null : { code: result.error.code, message: result.error.message },
  };
}

const DEFAULT_FILE = { python: "solution.py", typescript: "solution.ts", javascript: "solution.js" } as const;

/** Agent mode: one coder card in the execution loop, which must write the solution file. */
async function agent(ctx: RunContext): Promise<Produced> {
  const { task } = ctx;
  const file = task.solution_file ?? DEFAULT_FILE[task.language];
  const workspace = await mkdtemp(join(tmpdir(), "orket-bench-agent-"));
  const calls: CallTelemetry[] = [];
  // Each call's window on this clock: it ends when its event arrives, and began total_latency before.
  let firstDispatch: number | null = null;
  let lastCompletion: number | null = null;
  try {
    const summary = await runEpic({
      projectDir: workspace,
      home: join(workspace, ".orket"),
      epicId: "bench",
      epic: {
        id: "bench",
        title: task.title,
        description: `Benchmark task ${task.id}`,
        team: "standard",
        environment: "default",
        references: [],
        issues: [
          {
            id: "solve",
            seat: "coder",
            summary: task.title,
            requirements: agentRequirements(task),
            priority: "high",
            depends_on: [],
            max_retries: 0,
            required_files: [file],
          },
        ],
      },
      workspaceDir: join(workspace, "run"),
      adapter: ctx.adapter,
      callSettings: {
        seed: ctx.seed,
        temperature: ctx.temperature,
        maxOutputTokens: ctx.options.maxOutputTokens,
      },
      maxIterations: 1,
      concurrency: 1,
      memoryTrace: ctx.traceDir !== undefined,
      lane: ctx.lane,
      vramProfile: ctx.vramProfile,
      signal: ctx.options.signal,
      onEvent: (event) => {
        if (event.type !== "model_call") return;
        const telemetry = event.telemetry as CallTelemetry;
        const now = performance.now();
        firstDispatch ??= now - telemetry.total_latency * 1000;
        lastCompletion = now;
        calls.push(telemetry);
      },
    });
    const code = await readFile(join(summary.workspace, "output", file), "utf8").catch(() => null);
    if (ctx.traceDir) await keepTraces(join(summary.run_dir, "turns"), join(ctx.traceDir, "turns"));
    const failed = calls.find((c) => c.outcome === "error");
    return {
      calls,
      generationSeconds:
        firstDispatch === null || lastCompletion === null ? null : (lastCompletion - firstDispatch) / 1000,
      extraction:
        code === null
          ? { code: null, source: "none", reason: `the coder did not write ${file}` }
          : { code, source: "file", reason: null },
      prompt: agentRequirements(task),
      answer: code ?? "",
      error:
        failed && code === null && failed.error
          ? { code: failed.error.code, message: failed.error.message }
          : null,
    };
  } finally {
    await rm(workspace, { recursive: true, force: true });
  }
}

/**
 * A test run's end as the reporters see it: `test_run_end` with its score, then `progress`. `seconds`
 * null: the run was not made now (a resume found it done).
 */
export function emitTestRunEnd(
  events: EventSink,
  run: TestRun,
  done: number,
  total: number,
  seconds: number | null,
): void {
  events.emit({
    type: "test_run_end",
    test_id: run.test_id,
    task_id: run.task_id,
    outcome: run.outcome,
    done,
    total,
    seconds,
    resumed: seconds === null,
    row: null,
    score: testRunScore(run),
  });
  events.emit({ type: "progress", done, total, unit: "test_run", label: `${run.test_id} ${run.outcome}` });
}

/** The score a `test_run_end` event carries (what the OpenTelemetry export files as an evaluation). */
function testRunScore(run: TestRun): TestRunEndScore {
  const evaluation = run.telemetry.evaluation;
  return {
    adherence_score: run.telemetry.adherence_score,
    examples_passed: evaluation?.passed_examples ?? null,
    examples_total: evaluation?.total_examples ?? null,
    error_code: run.telemetry.error?.code ?? evaluation?.error?.code ?? null,
  };
}

/**
 * The record of a test run that never produced one of its own: a queued job that failed every attempt
 * (its worker crashed, stalled past the limit, or threw). It is an error, left out of the figures as
 * POLLUTED with `reason`, so the report has exactly one record per test run and says why.
 */
export function failedTestRun(
  task: Task,
  runIndex: number,
  lane: ExecutionLane,
  vramProfile: VramProfile,
  error: { code: string; message: string },
  /** Wall seconds the queue saw the job take, first attempt's start to last attempt's end. */
  seconds: number,
): TestRun {
  const aggregate = aggregateCalls([]);
  const unmeasured = { cpu_percent: null, load_1m: null, core_count: cpus().length };
  return {
    test_id: `${task.id}#${runIndex}`,
    task_id: task.id,
    run_index: runIndex,
    outcome: "error",
    output_hash: createHash("sha256").update("").digest("hex"),
    telemetry: {
      init_latency: null,
      total_latency: round3(Math.max(0, seconds)),
      evaluation_seconds: null,
      peak_memory_rss: null,
      adherence_score: null,
      token_metrics: aggregate.tokenMetrics,
      client_timings: null,
      internal_model_seconds: 0,
      orchestration_overhead_ratio: null,
      run_quality_status: "POLLUTED",
      run_quality_reasons: [error.code],
      system_load_start: unmeasured,
      system_load_end: unmeasured,
      constraint_validation: { passed_checks: 0, total_checks: 0, checks: [] },
      evaluation: null,
      extraction: { source: "none", reason: "no record came back from the queue" },
      // No model call is on record (the worker's record was lost with it), so none is counted.
      model_calls: 0,
      error,
      null_reasons: {
        ...aggregate.nullReasons,
        init_latency: `no record: ${error.message}`,
        adherence_score: "no record came back from the queue",
        system_load: "no record came back from the queue; core_count is the controller's",
      },
      execution_lane: lane,
      vram_profile: vramProfile,
    },
    failure: {
      prompt: "",
      prompt_truncated: false,
      answer: "",
      answer_truncated: false,
      failed_examples: [],
    },
  };
}
