/**
 * Hand-built lab artifacts for the check and report tests: test runs with full telemetry, a report
 * whose summary the bench's own `summarizeRuns` computes, and sweep rows and summaries whose frontier
 * and KPIs the lab's own functions compute — so a fixture is consistent until a test tampers with it.
 */
import { isValidRun, summarizeRuns } from "../../src/bench/summarize.js";
import { efficiencyFrontier, recommend, stabilityKpis } from "../../src/core/lab/frontier.js";
import { aggregateSweepRow, sweepRunFacts } from "../../src/core/lab/sweep-row.js";
import type { Task } from "../../src/spec/bank.js";
import { SWEEP_SCHEMA_VERSION, type SweepRow, type SweepSummary } from "../../src/spec/lab.js";
import { REPORT_SCHEMA_VERSION, type Report, type TestRun } from "../../src/spec/report.js";
import type { GuardDecision } from "../../src/spec/sidecar.js";

export interface RunSpec {
  task?: string;
  index?: number;
  outcome?: TestRun["outcome"];
  reasons?: string[];
  adherence?: number | null;
  total?: number;
  init?: number | null;
  tps?: number | null;
  rss?: number | null;
  hash?: string;
}

/** One test run with complete, canonical telemetry. */
export function testRun(spec: RunSpec = {}): TestRun {
  const task = spec.task ?? "t1";
  const index = spec.index ?? 0;
  const reasons = spec.reasons ?? [];
  const errored = spec.outcome === "error";
  const adherence = spec.adherence === undefined ? 1 : spec.adherence;
  const init = spec.init === undefined ? 0.05 : spec.init;
  const rss = spec.rss === undefined ? 512 : spec.rss;
  const total = spec.total ?? 1;
  const nullReasons: Record<string, string> = {};
  if (init === null) nullReasons.init_latency = "the backend does not truly stream";
  if (rss === null) nullReasons.peak_memory_rss = "the server's process is not known";
  if (adherence === null) nullReasons.adherence_score = "no code was produced: no fence";
  if (errored) nullReasons.token_metrics = "the call failed";
  return {
    test_id: `${task}#${index}`,
    task_id: task,
    run_index: index,
    outcome: spec.outcome ?? "pass",
    output_hash: spec.hash ?? `hash-${task}`,
    telemetry: {
      init_latency: init,
      total_latency: total,
      peak_memory_rss: rss,
      adherence_score: adherence,
      token_metrics: errored
        ? {
            status: "TOKEN_AND_TIMING_UNAVAILABLE",
            counts: { prompt_tokens: null, output_tokens: null, total_tokens: null },
            latencies: { load_seconds: null, prefill_seconds: null, decode_seconds: null },
            throughput: { prompt_tokens_per_second: null, generation_tokens_per_second: null },
            timing_source: null,
            cached_prompt_tokens: null,
          }
        : {
            status: "OK",
            counts: { prompt_tokens: 100, output_tokens: 50, total_tokens: 150 },
            latencies: { load_seconds: 0, prefill_seconds: 0.1, decode_seconds: 0.5 },
            throughput: { prompt_tokens_per_second: 1000, generation_tokens_per_second: spec.tps ?? 100 },
            timing_source: "llama.cpp",
            cached_prompt_tokens: 0,
          },
      internal_model_seconds: round(total * 0.9),
      orchestration_overhead_ratio: 0.1,
      run_quality_status: reasons.length ? "POLLUTED" : "CLEAN",
      run_quality_reasons: reasons,
      system_load_start: { cpu_percent: 5, load_1m: 0.1, core_count: 8 },
      system_load_end: { cpu_percent: 5, load_1m: 0.1, core_count: 8 },
      constraint_validation: { passed_checks: 1, total_checks: 1, checks: [] },
      evaluation: errored ? null : { passed_examples: 1, total_examples: 1, error: null },
      extraction: { source: "fenced", reason: null },
      model_calls: 1,
      error: errored ? { code: "SERVER_ERROR", message: "out of memory" } : null,
      null_reasons: nullReasons,
      execution_lane: "ci",
      vram_profile: "safe",
    },
  };
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}

const tasks = (ids: string[]): Task[] =>
  ids.map((id) => ({ id, language: "python", tier: 1 }) as unknown as Task);

/** A report over these runs, its summary computed by the bench itself. */
export function reportOf(runs: TestRun[], modelRef = "replay/fixture.jsonl"): Report {
  const ids = [...new Set(runs.map((r) => r.task_id))];
  return {
    schema_version: REPORT_SCHEMA_VERSION,
    report_generated_at: "2026-11-20T00:00:00.000Z",
    execution_lane: "ci",
    vram_profile: "safe",
    interrupted: false,
    settings: {
      model_ref: modelRef,
      model_chosen_because: "given",
      bank: { name: "builtin", version: "1", source: "builtin" },
      task_ids: ids,
      runs_per_task: 2,
      mode: "direct",
      seed: 42,
      temperature: 0,
      max_output_tokens: null,
      experimental_controls: { seed_fixed: true, temperature_fixed: true },
      orket_version: "0.1.0",
      host: { platform: "linux", arch: "x64", cpu_model: "test", core_count: 8, total_memory_mib: 16000 },
    },
    summary: summarizeRuns(runs, tasks(ids)),
    test_runs: runs,
  };
}

export function guard(decision: GuardDecision["decision"], reason: string): GuardDecision {
  return {
    guard: "thermal",
    check: "cooldown",
    decision,
    reason,
    pollution_reasons: decision === "fail" ? [reason] : [],
    measured: { start_c: 61, target_c: 70 },
  };
}

export interface RowSpec {
  tag: string;
  runs: TestRun[];
  size?: number | null;
  rowPollution?: string[];
  guards?: GuardDecision[];
  modelRef?: string;
  reportPath?: string | null;
}

/** A sweep row as the lab aggregates it, plus the run facts the KPIs need. */
export function sweepRow(spec: RowSpec): { row: SweepRow; facts: ReturnType<typeof sweepRunFacts> } {
  const input = {
    quantTag: spec.tag,
    modelRef: spec.modelRef ?? `ollama/qwen2.5-coder:7b-${spec.tag}`,
    modelSizeBytes: spec.size === undefined ? 4_000_000_000 : spec.size,
    runs: spec.runs,
    isValid: isValidRun,
    rowPollution: spec.rowPollution ?? [],
    reportPath: spec.reportPath === undefined ? `/sweep/${spec.tag}/orket_report.json` : spec.reportPath,
    sidecar: null,
    guards: spec.guards ?? [],
  };
  return { row: aggregateSweepRow(input), facts: sweepRunFacts(input) };
}

/** A consistent quant sweep summary over these rows. */
export function sweepSummary(
  specs: RowSpec[],
  options: {
    threshold?: number;
    ceiling?: number | null;
    includeInvalid?: boolean;
    lane?: "ci" | "lab";
  } = {},
): SweepSummary {
  const built = specs.map(sweepRow);
  const rows = built.map((b) => b.row);
  const facts = built.flatMap((b) => b.facts);
  const threshold = options.threshold ?? 0.8;
  const ceiling = options.ceiling === undefined ? 2 : options.ceiling;
  const frontier = efficiencyFrontier(rows, {
    adherenceThreshold: threshold,
    latencyCeiling: ceiling,
    includeInvalid: options.includeInvalid === true,
  });
  return {
    schema_version: SWEEP_SCHEMA_VERSION,
    kind: "quant",
    generated_at: "2026-11-20T00:00:00.000Z",
    execution_lane: options.lane ?? "ci",
    vram_profile: "safe",
    model_family: "ollama/qwen2.5-coder:7b",
    settings: {
      bank: "builtin",
      tasks: null,
      runs_per_task: 2,
      seed: 42,
      temperature: 0,
      adherence_threshold: threshold,
      latency_ceiling: ceiling,
      include_invalid: options.includeInvalid === true,
    },
    canary: {
      decision: "pass",
      reason: "repeats agree",
      model_ref: rows[0]?.model_ref ?? null,
      runs: 4,
      adherence_spread: 0,
      model_time_cv: 0.05,
      thresholds: { adherence_spread: 0.05, model_time_cv: 0.35 },
    },
    rows,
    efficiency_frontier: frontier,
    recommendation: recommend(rows, frontier, facts),
    stability_kpis: stabilityKpis(rows, facts, threshold),
    hardware_fingerprint: {
      fingerprint: "abc123",
      platform: "linux",
      arch: "x64",
      cpu_model: "Test CPU",
      core_count: 16,
      total_memory_mib: 64000,
      gpu_backend: "nvidia",
      gpu_name: "NVIDIA H100",
      gpu_vram_total_mb: 81559,
      gpu_driver: "550.54",
    },
    commit_sha: null,
    null_reasons: { commit_sha: "not a git checkout" },
    timing: { total_seconds: 120, benchmark_seconds: 100 },
  };
}
