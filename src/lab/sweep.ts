/**
 * `runQuantSweep` and `runContextSweep`: the same bank through several quantizations of one model (or
 * one model at several context sizes), each row run for real with its own report, then the frontier, a
 * recommendation in plain words and the stability KPIs, from valid runs only. The summary is validated
 * against its schema and written atomically to `<out>/sweep_summary.json`, with a copy filed in the
 * diagnostics history under the machine's fingerprint:
 * `<home>/diagnostics/<fingerprint>/<lane>-<profile>/<timestamp>-<kind>-sweep.json`.
 */

import { isAbsolute, join, resolve } from "node:path";
import { loadBank, selectTasks } from "../bench/bank/bank-loader.js";
import { recordBenchReport } from "../bench/history.js";
import { CANARY_THRESHOLDS, type CanaryThresholds } from "../core/lab/canary.js";
import {
  type ContextCeilingOptions,
  DEFAULT_ADHERENCE_THRESHOLD,
  efficiencyFrontier,
  recommend,
  recommendContext,
  safeContextCeiling,
  stabilityKpis,
} from "../core/lab/frontier.js";
import type { QuantModel } from "../core/lab/quant-model.js";
import {
  aggregateSweepRow,
  pairedTasks,
  type SweepRowInput,
  type SweepRunFacts,
  sweepRunFacts,
} from "../core/lab/sweep-row.js";
import { parseModelRef } from "../core/shared/model-ref.js";
import { round3 } from "../core/shared/rounding.js";
import type { ProviderSettings } from "../providers/index.js";
import type { Task } from "../spec/bank.js";
import type { ExecutionLane, VramProfile } from "../spec/common.js";
import type { OrketEventInput, Reporter } from "../spec/events.js";
import {
  type CanaryResult,
  type HardwareFingerprint,
  SWEEP_SCHEMA_VERSION,
  type SweepRow,
  type SweepSummary,
  SweepSummarySchema,
} from "../spec/lab.js";
import { type ExitClass, OrketError } from "../spec/orket-error.js";
import type { SystemLoad } from "../spec/report.js";
import { writeFileAtomic } from "../store/atomic-file.js";
import { abortReason, type EventSink, eventStreamFor } from "../telemetry/event-stream.js";
import { startScope } from "../telemetry/observers.js";
import { detectGpuBackend, type GpuBackend } from "../telemetry/sidecar.js";
import { hardwareFingerprint, orketCommitSha } from "./hardware.js";
import { checkKldText, KldError, type KldSource, measureKld } from "./kld.js";
import {
  resolveModelTarget,
  resolveQuantTargets,
  SweepInputError,
  type SweepTarget,
  safeSegment,
} from "./sweep-models.js";
import { type RowBenchRunner, type RowContext, runCanary, runSweepRow } from "./sweep-row-runner.js";

export { DEFAULT_TAG_TEMPLATE, SweepInputError, type SweepTarget } from "./sweep-models.js";

/** The canary's repeats disagreed: the sweep stopped before its rows (exit 1). */
export class CanaryFailedError extends OrketError {
  static override readonly codes: Readonly<Record<string, ExitClass>> = { CANARY_FAILED: "failed" };
  override readonly code = "CANARY_FAILED";
}

export interface SweepOptions {
  home: string;
  /** The project database to record each finished row's report in (its history); default: not recorded. */
  history?: string | undefined;
  /** Default `orket-sweeps/<family>-<timestamp>`. */
  out?: string | undefined;
  bank?: string | undefined;
  tasks?: string | undefined;
  runs?: number | undefined;
  seed?: number | undefined;
  temperature?: number | undefined;
  maxOutputTokens?: number | undefined;
  timeoutMs?: number | undefined;
  lane?: ExecutionLane | undefined;
  vramProfile?: VramProfile | undefined;
  /** Default 0.9. */
  adherenceThreshold?: number | undefined;
  /** Seconds of median total latency; default none. */
  latencyCeiling?: number | null | undefined;
  includeInvalid?: boolean | undefined;
  skipCanary?: boolean | undefined;
  /** `--tasks` syntax; default the first two tasks of the selection. */
  canaryTasks?: string | undefined;
  /** Repeats per canary task; default 2. */
  canaryRuns?: number | undefined;
  canaryThresholds?: Partial<CanaryThresholds> | undefined;
  providers?: ProviderSettings | undefined;
  signal?: AbortSignal | undefined;
  /** Continue the sweep in `out`: every row (and the canary) resumes from its own journal, if it has one. */
  resume?: boolean | undefined;
  loadSampler?: { sample(): SystemLoad } | undefined;
  /** The sidecar backend (detected from PATH by default; a fake in tests). */
  gpuBackend?: GpuBackend | undefined;
  /** Default 100 ms. */
  sidecarIntervalMs?: number | undefined;
  /** Load each Ollama model with one tiny call before its row, so its first run is not cold (default true). */
  warmup?: boolean | undefined;
  /**
   * Where an embedded-engine row runs: `process` (default), a fresh process per row, so that its peak
   * memory is the row's own; `in-process`, which an injected `loadSampler` needs (tests).
   */
  rowIsolation?: "process" | "in-process" | undefined;
  /** The benchmark's experimental control: `false` turns a server's prompt cache off for measured runs. */
  promptCache?: boolean | undefined;
  /**
   * `--kld` (quant sweeps of GGUF files): each row's KL divergence and top-token agreement against the
   * largest file, teacher-forced on the bank's reference solutions, or on `text` in windows of `ctx`.
   */
  kld?: { text?: string | undefined; ctx?: number | undefined } | undefined;
  /**
   * Follows the sweep as one stream (docs/events.md): `run_start`, a line before each row (the canary
   * is row "canary"), every row's test runs labelled with their row, progress over the whole sweep,
   * `interrupted`, `run_end`.
   */
  reporter?: Reporter | EventSink | undefined;
  /**
   * Runs each row's benchmark elsewhere: the queue (`orket sweep … --queue`), whose workers run the
   * rows' test runs on their own machines. The summary's hardware is then the workers' machine.
   */
  runBench?: RowBenchRunner | undefined;
}

export interface QuantSweepOptions extends SweepOptions {
  /** `qwen2.5-coder:7b`, or `openai/<name>` for a server that serves the tags; the summary's family. */
  modelFamily?: string | undefined;
  quants?: readonly string[] | undefined;
  /** Default `{family}-instruct-{quant}`. */
  tagTemplate?: string | undefined;
  ggufDir?: string | undefined;
  models?: readonly QuantModel[] | undefined;
}

export interface ContextSweepOptions extends SweepOptions, Partial<ContextCeilingOptions> {
  model: string;
  contexts: readonly number[];
}

export interface SweepResult {
  summary: SweepSummary;
  path: string;
  /** The copy in the diagnostics history; null when the sweep stopped at the canary. */
  historyPath: string | null;
}

/** Sweeps quantizations. Throws `SweepInputError` (nothing ran) or `CanaryFailedError` (summary written). */
export async function runQuantSweep(options: QuantSweepOptions): Promise<SweepResult> {
  const started = performance.now();
  const targets = await resolveQuantTargets(options);
  const family = options.modelFamily ?? familyOf(options, targets);
  return runSweep({ kind: "quant", family, targets, options, started });
}

/** Sweeps context sizes of one model; refused where the backend cannot take a context per run. */
export async function runContextSweep(options: ContextSweepOptions): Promise<SweepResult> {
  const started = performance.now();
  const ref = parseModelRef(options.model);
  if (ref.provider === "openai" || ref.provider === "replay") {
    throw new SweepInputError(
      ref.provider === "openai"
        ? `${options.model}: an OpenAI-compatible server fixes its context when it starts (llama-server -c); it cannot be set per request, so a context sweep cannot apply it. Sweep a gguf/ file or an ollama/ model, or restart the server per size`
        : `${options.model}: a replayed cassette cannot apply a context size`,
    );
  }
  if (options.contexts.length === 0) throw new SweepInputError("--contexts names no context size");
  const model = await resolveModelTarget(options.model, options);
  const targets: SweepTarget[] = options.contexts.map((size) => ({
    ...model,
    quant: String(size),
    contextSize: size,
  }));
  const ceiling: ContextCeilingOptions = {
    adherenceFloor: options.adherenceFloor ?? 0,
    firstTokenCeiling: options.firstTokenCeiling ?? null,
    decodeFloor: options.decodeFloor ?? null,
  };
  return runSweep({ kind: "context", family: options.model, targets, options, started, ceiling });
}

interface SweepPlan {
  kind: "quant" | "context";
  family: string;
  targets: SweepTarget[];
  options: SweepOptions;
  started: number;
  ceiling?: ContextCeilingOptions;
}

async function runSweep(plan: SweepPlan): Promise<SweepResult> {
  const { options, targets } = plan;
  const kldPlan = options.kld ? planKld(plan.kind, targets, options.kld) : undefined;
  if (kldPlan?.text !== undefined && kldPlan.ctx !== undefined) {
    await checkKldText(kldPlan.reference.modelRef.slice("gguf/".length), kldPlan.text, kldPlan.ctx);
  }
  const events = eventStreamFor(options.reporter);
  const generatedAt = new Date();
  const stamp = generatedAt.toISOString().replace(/[:.]/g, "-");
  const out = resolve(options.out ?? join("orket-sweeps", `${safeSegment(plan.family)}-${stamp}`));
  const lane = options.lane ?? "ci";
  const vramProfile = options.vramProfile ?? "safe";
  const bank = options.bank ?? "builtin";
  const runs = options.runs ?? 1;
  const adherenceThreshold = options.adherenceThreshold ?? DEFAULT_ADHERENCE_THRESHOLD;
  const latencyCeiling = options.latencyCeiling ?? null;
  const backend = options.gpuBackend ?? detectGpuBackend();
  const hardware = hardwareFingerprint(
    backend.backend,
    backend.backend === "cpu" ? null : await backend.sampleOnce(),
  );
  const commit = orketCommitSha();
  // Queued rows ran on the workers' machines: the summary names theirs, not this controller's.
  let workerHardware: HardwareFingerprint | null = null;
  let mixedRows = false;

  let benchmarkSeconds = 0;
  let warmupSeconds = 0;
  const ctx: RowContext = {
    runBench: options.runBench,
    noteHardware: (h) => {
      if (workerHardware === null) workerHardware = h;
      else if (workerHardware.fingerprint !== h.fingerprint) mixedRows = true;
    },
    warmup: options.warmup !== false,
    rowIsolation: options.rowIsolation ?? "process",
    addWarmupSeconds: (s) => {
      warmupSeconds += s;
    },
    out,
    backend,
    sidecarIntervalMs: options.sidecarIntervalMs ?? 100,
    addBenchmarkSeconds: (s) => {
      benchmarkSeconds += s;
    },
    bench: {
      home: options.home,
      bank,
      runs,
      tasks: options.tasks,
      seed: options.seed ?? 42,
      temperature: options.temperature ?? 0,
      maxOutputTokens: options.maxOutputTokens,
      timeoutMs: options.timeoutMs,
      lane,
      vramProfile,
      providers: options.providers,
      promptCache: options.promptCache,
      ...(options.resume ? { resume: "if-present" as const } : {}),
      signal: options.signal,
      loadSampler: options.loadSampler,
    },
  };
  const willCanary = options.skipCanary !== true && targets[0] !== undefined;
  const canaryTasks = willCanary ? (options.canaryTasks ?? (await firstTwo(bank, options.tasks))) : "";
  const total =
    (await countTasks(bank, options.tasks)) * runs * targets.length +
    (willCanary ? (await countTasks(bank, canaryTasks)) * (options.canaryRuns ?? 2) : 0);
  const progress = sweepProgress(events, total);
  events.emit({ type: "run_start", command: "sweep", run_id: null, subject: plan.family, total });
  const sweepScope = startScope("sweep", plan.family, {
    "orket.sweep.kind": plan.kind,
    "orket.sweep.rows": targets.length,
    "orket.test_runs": total,
  });

  const thresholds = { ...CANARY_THRESHOLDS, ...options.canaryThresholds };
  let canary: CanaryResult;
  let canarySeconds = 0;
  const first = targets[0];
  if (!willCanary || !first) {
    canary = {
      decision: "skip",
      reason: options.skipCanary ? "skipped with --skip-canary" : "no row to run",
      model_ref: first?.modelRef ?? null,
      runs: 0,
      adherence_spread: null,
      model_time_cv: null,
      thresholds: { ...thresholds },
    };
  } else {
    events.emit({ type: "info", message: "canary: checking repeatability first" });
    const before = benchmarkSeconds;
    canary = await runCanary(first, progress.row(ctx, "canary"), {
      tasks: canaryTasks,
      runs: options.canaryRuns ?? 2,
      thresholds,
    });
    canarySeconds = benchmarkSeconds - before;
  }

  const inputs: SweepRowInput[] = [];
  let interrupted = false;
  if (canary.decision !== "fail") {
    for (const [index, target] of targets.entries()) {
      if (options.signal?.aborted) {
        interrupted = true;
        break;
      }
      events.emit({ type: "info", message: `row ${target.quant} (${index + 1}/${targets.length})` });
      const result = await runSweepRow(target, progress.row(ctx, target.quant));
      inputs.push(result.input);
    }
    interrupted ||= Boolean(options.signal?.aborted);
  }
  if (interrupted || options.signal?.aborted) {
    events.emit({
      type: "interrupted",
      reason: `${abortReason(options.signal)}: stopped after ${inputs.length} of ${targets.length} rows; the summary is written`,
    });
  }
  // Rows are compared like with like: every row's figures over the same tasks, those valid in all rows.
  const paired = pairedTasks(inputs);
  const rows: SweepRow[] = inputs.map((input) => aggregateSweepRow({ ...input, pairedTasks: paired }));
  const kld =
    kldPlan && canary.decision !== "fail" && !interrupted && !options.signal?.aborted
      ? await measureSweepKld(kldPlan, rows, {
          bank,
          tasks: options.tasks,
          signal: options.signal,
          events,
        }).catch((error: unknown) => {
          // The rows' results stand: the summary is written with the divergence unknown, and says why.
          const reason = `KL divergence not measured: ${error instanceof Error ? error.message : String(error)}`;
          events.emit({
            type: "warning",
            code: OrketError.isInstance(error) ? error.code : null,
            message: reason,
          });
          for (const row of rows) {
            row.kld = null;
            row.null_reasons.kld = reason;
          }
          return undefined;
        })
      : undefined;
  const facts: SweepRunFacts[] = inputs.flatMap((input) => sweepRunFacts({ ...input, pairedTasks: paired }));
  const pairing = pairingSummary(inputs, paired);

  const includeInvalid = options.includeInvalid === true;
  const frontier = efficiencyFrontier(rows, { adherenceThreshold, latencyCeiling, includeInvalid });
  const ceiling = plan.ceiling ? safeContextCeiling(rows, plan.ceiling) : null;
  let recommendation =
    ceiling === null
      ? recommend(rows, frontier, facts, { noun: plan.kind === "quant" ? "quantization" : "context size" })
      : recommendContext(rows, ceiling, facts);
  if (canary.decision === "fail") recommendation = `No recommendation: the canary failed: ${canary.reason}.`;
  else if (interrupted)
    recommendation = `Interrupted after ${rows.length} of ${targets.length} rows. ${recommendation}`;

  const { sha, reason: shaReason } = await commit;
  const nullReasons: Record<string, string> = {};
  if (sha === null && shaReason) nullReasons.commit_sha = shaReason;
  const summaryHardware = workerHardware ?? hardware;
  if (mixedRows)
    nullReasons.hardware_fingerprint = `rows ran on machines with different fingerprints; this is the first row's (${summaryHardware.fingerprint})`;
  else if (workerHardware !== null)
    nullReasons.hardware_fingerprint_source =
      "the queue's workers (the rows ran there, not on this controller)";
  const summary: SweepSummary = {
    schema_version: SWEEP_SCHEMA_VERSION,
    kind: plan.kind,
    generated_at: generatedAt.toISOString(),
    execution_lane: lane,
    vram_profile: vramProfile,
    model_family: plan.family,
    settings: {
      bank,
      tasks: options.tasks ?? null,
      runs_per_task: runs,
      seed: ctx.bench.seed ?? 42,
      temperature: ctx.bench.temperature ?? 0,
      adherence_threshold: adherenceThreshold,
      latency_ceiling: latencyCeiling,
      include_invalid: includeInvalid,
      max_output_tokens: options.maxOutputTokens ?? null,
      targets: targets.map((t) => ({ label: t.quant, model_ref: t.modelRef })),
    },
    canary,
    rows,
    pairing,
    efficiency_frontier: frontier,
    recommendation,
    ...(ceiling ? { safe_context_ceiling: ceiling } : {}),
    stability_kpis: stabilityKpis(rows, facts, adherenceThreshold),
    hardware_fingerprint: summaryHardware,
    commit_sha: sha,
    null_reasons: nullReasons,
    ...(kld ? { kld } : {}),
    timing: {
      total_seconds: round3((performance.now() - plan.started) / 1000),
      benchmark_seconds: round3(benchmarkSeconds),
      canary_seconds: round3(canarySeconds),
      warmup_seconds: round3(warmupSeconds),
    },
    interrupted,
  };
  const checked = SweepSummarySchema.safeParse(summary);
  if (!checked.success) throw new Error(`the sweep summary fails its own schema: ${checked.error.message}`);

  const text = `${JSON.stringify(summary, null, 2)}\n`;
  const path = join(out, "sweep_summary.json");
  await writeFileAtomic(path, text);
  if (canary.decision === "fail") {
    sweepScope.end({ status: "canary_failed", failed: true });
    events.emit({
      type: "run_end",
      status: "canary_failed",
      reason: canary.reason,
      done: 0,
      total: targets.length,
    });
    throw new CanaryFailedError(
      `the canary on ${canary.model_ref} failed: ${canary.reason}; nothing else ran (summary: ${path}; --skip-canary runs anyway)`,
    );
  }
  if (options.history !== undefined && !interrupted) {
    for (const row of rows) {
      if (row.report_path === null) continue;
      const report = isAbsolute(row.report_path) ? row.report_path : join(out, row.report_path);
      await recordBenchReport(options.history, report, path);
    }
  }
  const historyPath = join(
    options.home,
    "diagnostics",
    summaryHardware.fingerprint,
    `${lane}-${vramProfile}`,
    `${stamp}-${plan.kind}-sweep.json`,
  );
  await writeFileAtomic(historyPath, text);
  sweepScope.end({ status: interrupted ? "interrupted" : "done", failed: interrupted });
  events.emit({
    type: "run_end",
    status: interrupted ? "interrupted" : "done",
    reason: null,
    done: rows.length,
    total: targets.length,
  });
  return { summary, path, historyPath };
}

/**
 * How many tasks the rows were compared on, and for each task left out, the rows that had no valid run
 * of it and why (their runs' reasons).
 */
function pairingSummary(
  inputs: readonly SweepRowInput[],
  paired: ReadonlySet<string>,
): SweepSummary["pairing"] {
  const tasks = [...new Set(inputs.flatMap((input) => input.runs.map((run) => run.task_id)))];
  const excluded = tasks
    .filter((task) => !paired.has(task))
    .map((task) => ({
      task_id: task,
      rows: inputs
        .filter((input) => !input.runs.some((run) => run.task_id === task && input.isValid(run)))
        .map((input) => {
          const runs = input.runs.filter((run) => run.task_id === task);
          const reasons = new Set(runs.flatMap((run) => run.telemetry.run_quality_reasons));
          if (runs.some((run) => run.outcome === "error")) reasons.add("RUN_ERROR");
          if (runs.length === 0) reasons.add("NOT_RUN");
          return { row: input.quantTag, reasons: [...reasons].sort() };
        }),
    }));
  return { tasks: tasks.length, paired_tasks: paired.size, excluded };
}

/** The canary's default selection: the first two tasks of the sweep's selection, by bank position. */
async function firstTwo(bankRef: string, tasks: string | undefined): Promise<string> {
  const bank = await loadBank(bankRef);
  const chosen = tasks ? selectTasks(bank, tasks) : bank.tasks;
  return chosen
    .slice(0, 2)
    .map((task) => String(bank.tasks.indexOf(task) + 1))
    .join(",");
}

/** How many tasks a selection picks from the bank. */
async function countTasks(bankRef: string, tasks: string | undefined): Promise<number> {
  const bank = await loadBank(bankRef);
  return (tasks ? selectTasks(bank, tasks) : bank.tasks).length;
}

/**
 * Progress over the whole sweep, in test runs (the canary's and every row's). Each row's benchmark
 * emits into a sink that labels its test runs with the row and keeps its own start, progress and end
 * out of the sweep's stream.
 */
function sweepProgress(events: EventSink, total: number) {
  let done = 0;
  return {
    row(ctx: RowContext, label: string): RowContext {
      const sink: EventSink = {
        emit(event: OrketEventInput) {
          if (event.type === "test_run_start") {
            events.emit({ ...event, row: label });
          } else if (event.type === "test_run_end") {
            done += 1;
            events.emit({ ...event, row: label });
            events.emit({
              type: "progress",
              done,
              total,
              unit: "test_run",
              label: `${label} ${event.test_id} ${event.outcome}`,
            });
          } else if (event.type === "info" || event.type === "warning") {
            events.emit(event);
          }
          // The row's own run_end, progress and interrupted are the sweep's to say.
        },
      };
      return { ...ctx, bench: { ...ctx.bench, reporter: sink } };
    },
  };
}

/**
 * The family when none was named: the GGUF folder's name, else what the targets' references share up to
 * a separator (`ollama/qwen2.5-coder:7b-instruct` for its `-q8_0` and `-q4_K_M`).
 */
function familyOf(options: QuantSweepOptions, targets: readonly SweepTarget[]): string {
  if (options.ggufDir) return resolve(options.ggufDir).split(/[\\/]/).pop() || "gguf";
  const refs = targets.map((t) => t.modelRef);
  let common = refs[0] ?? "";
  for (const ref of refs) while (!ref.startsWith(common)) common = common.slice(0, -1);
  // Cut back to a separator unless every reference already breaks there.
  const breaks = refs.every(
    (ref) => ref.length === common.length || /[-_:/.]/.test(ref.charAt(common.length)),
  );
  if (!breaks) common = common.replace(/[^-_:/.]*$/, "");
  common = common.replace(/[-_:/.]+$/, "");
  return common || "sweep";
}

interface KldPlan {
  reference: SweepTarget;
  candidates: SweepTarget[];
  text: string | undefined;
  ctx: number | undefined;
}

/**
 * Checks `--kld` before anything runs: a quant sweep of at least two GGUF files (the embedded engine
 * gives the distributions), and `--kld-text` with `--kld-ctx`, or neither. The reference is the largest
 * file: of quantizations of one model, the one with the most bits per weight.
 */
function planKld(
  kind: SweepPlan["kind"],
  targets: readonly SweepTarget[],
  kld: NonNullable<SweepOptions["kld"]>,
): KldPlan {
  if (kind !== "quant")
    throw new KldError("BAD_KLD_INPUT", "--kld compares quantizations: use it with sweep quant");
  const notGguf = targets.find((t) => !t.modelRef.startsWith("gguf/"));
  if (notGguf) {
    throw new KldError(
      "BAD_KLD_INPUT",
      `--kld needs every row to be a gguf/ file (the embedded engine gives the token distributions); ${notGguf.quant} is ${notGguf.modelRef}`,
    );
  }
  if (targets.length < 2)
    throw new KldError("BAD_KLD_INPUT", "--kld needs at least two quantizations to compare");
  if ((kld.text === undefined) !== (kld.ctx === undefined)) {
    throw new KldError(
      "BAD_KLD_INPUT",
      "--kld-text and --kld-ctx go together: the file, and the window size in tokens",
    );
  }
  const sized = targets.map((t) => ({ t, size: t.sizeBytes ?? -1 }));
  const reference = sized.reduce((a, b) => (b.size > a.size ? b : a)).t;
  return { reference, candidates: targets.filter((t) => t !== reference), text: kld.text, ctx: kld.ctx };
}

async function measureSweepKld(
  plan: KldPlan,
  rows: SweepRow[],
  context: { bank: string; tasks: string | undefined; signal: AbortSignal | undefined; events: EventSink },
): Promise<NonNullable<SweepSummary["kld"]>> {
  const started = performance.now();
  const path = (t: SweepTarget) => t.modelRef.slice("gguf/".length);
  const source: KldSource =
    plan.text !== undefined && plan.ctx !== undefined
      ? { kind: "text", file: plan.text, ctx: plan.ctx }
      : { kind: "bank", bank: context.bank, tasks: await sweepTasks(context.bank, context.tasks) };
  context.events.emit({
    type: "info",
    message: `kld: ${plan.candidates.length} quantization${plan.candidates.length === 1 ? "" : "s"} against ${plan.reference.quant}`,
  });
  const measured = await measureKld({
    reference: path(plan.reference),
    candidates: plan.candidates.map(path),
    source,
    signal: context.signal,
    onProgress: (message) => context.events.emit({ type: "info", message }),
  });
  for (const row of rows) {
    const target =
      row.quant_tag === plan.reference.quant
        ? plan.reference
        : plan.candidates.find((t) => t.quant === row.quant_tag);
    if (!target) continue;
    if (target === plan.reference) {
      row.kld = null;
      row.null_reasons.kld =
        "the reference the other rows' KL divergence is measured against (the largest file)";
      continue;
    }
    const found = measured.rows.find((r) => r.model_path === path(target));
    row.kld = found ? found.summary : null;
    if (!found) row.null_reasons.kld = "no position was scored";
  }
  return {
    reference: plan.reference.quant,
    reference_model_ref: plan.reference.modelRef,
    source: measured.source,
    seconds: round3((performance.now() - started) / 1000),
  };
}

async function sweepTasks(bank: string, tasks: string | undefined): Promise<Task[]> {
  const loaded = await loadBank(bank);
  return tasks ? selectTasks(loaded, tasks) : loaded.tasks;
}
