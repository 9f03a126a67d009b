/**
 * One row of a sweep (a quantization, or a context size) from its benchmark's test runs. Every aggregate
 * is over the runs that COUNT: valid by themselves (the bench's rule, passed in so it lives in one place)
 * and in a row that nothing polluted as a whole (a model spilled to the CPU, a failed VRAM guard). The
 * other runs are counted in `test_runs` and their reasons listed, and nothing else: no override.
 */
import type { SweepRow } from "../../spec/lab.js";
import type { TestRun } from "../../spec/report.js";
import type { GuardDecision, SidecarSummary } from "../../spec/sidecar.js";
import { round3 } from "../shared/rounding.js";
import { known, mean, median } from "../shared/stats.js";

export { mean, median };

/** Added to a row's reasons when a run ended in an error: excluded, though not polluted. */
export const RUN_ERROR_REASON = "RUN_ERROR";

export interface SweepRowInput {
  quantTag: string;
  modelRef: string;
  /** Context sweeps: the size applied; absent for a quantization sweep. */
  contextSize?: number | null;
  modelSizeBytes: number | null;
  runs: readonly TestRun[];
  /** Whether a run counts by itself (`isValidRun` of the bench). */
  isValid: (run: TestRun) => boolean;
  /** Reasons that pollute every run of the row, sorted or not. */
  rowPollution?: readonly string[];
  reportPath: string | null;
  sidecar: SidecarSummary | null;
  guards: readonly GuardDecision[];
  /** Reasons for nulls the caller knows (`model_size_bytes`, ...). */
  nullReasons?: Readonly<Record<string, string>>;
  /** Further loose fields for the row (what Ollama reported loaded, ...). */
  extra?: Readonly<Record<string, unknown>>;
  /**
   * The tasks every compared row has a valid run of (`pairedTasks`): a row's figures are over these
   * only, so rows are compared on the same tasks. Absent: the row on its own (all its valid runs).
   */
  pairedTasks?: ReadonlySet<string> | undefined;
}

/** What the stability KPIs need to know of one run. */
export interface SweepRunFacts {
  row: string;
  task_id: string;
  /** Counted in the row's aggregates. */
  counted: boolean;
  /** POLLUTED by itself or by its row. */
  polluted: boolean;
  errored: boolean;
  /** The run's pollution reasons plus its row's, sorted. */
  reasons: string[];
  output_hash: string;
  /** Token counts/timings or the first-token latency missing. */
  telemetry_missing: boolean;
}

/**
 * The tasks to compare rows on: those with at least one valid run in every row that has any valid run
 * (a row invalid as a whole, say spilled to the CPU, is not compared at all and does not shrink the set).
 * Sorted, so the set is the same whatever order the rows ran in.
 */
export function pairedTasks(inputs: readonly SweepRowInput[]): Set<string> {
  const validTasks = inputs
    .filter((input) => (input.rowPollution ?? []).length === 0)
    .map((input) => new Set(input.runs.filter(input.isValid).map((run) => run.task_id)))
    .filter((tasks) => tasks.size > 0);
  const [first, ...rest] = validTasks;
  if (!first) return new Set();
  return new Set([...first].filter((task) => rest.every((tasks) => tasks.has(task))).sort());
}

/** The facts of each run of a row, in run order. */
export function sweepRunFacts(input: SweepRowInput): SweepRunFacts[] {
  const rowReasons = input.rowPollution ?? [];
  return input.runs.map((run) => {
    const reasons = [...new Set([...run.telemetry.run_quality_reasons, ...rowReasons])].sort();
    const paired = input.pairedTasks === undefined || input.pairedTasks.has(run.task_id);
    return {
      row: input.quantTag,
      task_id: run.task_id,
      counted: input.isValid(run) && rowReasons.length === 0 && paired,
      polluted: run.telemetry.run_quality_status === "POLLUTED" || rowReasons.length > 0,
      errored: run.outcome === "error",
      reasons,
      output_hash: run.output_hash,
      telemetry_missing: run.telemetry.token_metrics.status !== "OK" || run.telemetry.init_latency === null,
    };
  });
}

/** Aggregates a row: means and medians over the runs that count, with a reason for every null. */
export function aggregateSweepRow(input: SweepRowInput): SweepRow {
  const facts = sweepRunFacts(input);
  const counted = input.runs.filter((_, i) => facts[i]?.counted);
  const all = input.runs;
  const reasons = new Set<string>([...(input.rowPollution ?? [])]);
  for (const run of all) for (const reason of run.telemetry.run_quality_reasons) reasons.add(reason);
  if (all.some((run) => run.outcome === "error")) reasons.add(RUN_ERROR_REASON);
  if (all.length === 0) reasons.add("NO_RUNS");

  const t = (run: TestRun) => run.telemetry;
  const adherence = mean(counted.map((r) => t(r).adherence_score));
  const row: SweepRow = {
    quant_tag: input.quantTag,
    model_ref: input.modelRef,
    ...(input.contextSize === undefined ? {} : { context_size: input.contextSize }),
    model_size_bytes: input.modelSizeBytes,
    adherence_score: adherence,
    pass_rate: counted.length
      ? round3(counted.filter((r) => r.outcome === "pass").length / counted.length)
      : null,
    total_latency: median(counted.map((r) => t(r).total_latency)),
    // A prompt prefix served from the cache shortens the first token: only cold prefills count here.
    init_latency: median(
      counted.filter((r) => t(r).prefill_quality?.status !== "POLLUTED").map((r) => t(r).init_latency),
    ),
    peak_memory_rss: max(counted.map((r) => t(r).peak_memory_rss)),
    generation_tokens_per_second: median(
      counted.map((r) => t(r).token_metrics.throughput.generation_tokens_per_second),
    ),
    orchestration_overhead_ratio: median(counted.map((r) => t(r).orchestration_overhead_ratio)),
    // Whether every run counted by itself; leaving out unpaired tasks does not make a row polluted.
    run_quality_status:
      all.length > 0 && (input.rowPollution ?? []).length === 0 && all.every(input.isValid)
        ? "CLEAN"
        : "POLLUTED",
    run_quality_reasons: [...reasons].sort(),
    valid: counted.length > 0,
    test_runs: all.length,
    valid_runs: counted.length,
    ...(input.pairedTasks === undefined ? {} : { paired_tasks: input.pairedTasks.size }),
    report_path: input.reportPath,
    hardware_sidecar: input.sidecar,
    guards: [...input.guards],
    null_reasons: {},
    all_runs: {
      adherence_score: mean(all.map((r) => t(r).adherence_score)),
      pass_rate: all.length ? round3(all.filter((r) => r.outcome === "pass").length / all.length) : null,
      total_latency: median(all.map((r) => t(r).total_latency)),
    },
    ...input.extra,
  };
  row.null_reasons = nullReasons(row, counted, input.nullReasons ?? {});
  return row;
}

function nullReasons(
  row: SweepRow,
  counted: readonly TestRun[],
  given: Readonly<Record<string, string>>,
): Record<string, string> {
  const reasons: Record<string, string> = {};
  if (row.model_size_bytes === null)
    reasons.model_size_bytes = given.model_size_bytes ?? "the model's size is unknown";
  const none =
    row.test_runs === 0
      ? "the row made no runs"
      : `no valid run: ${row.test_runs} made, all excluded (${row.run_quality_reasons.join(", ") || "invalid"})`;
  const fromRuns = (field: string, fallback: string): string => {
    if (counted.length === 0) return none;
    const stated = counted.map((r) => r.telemetry.null_reasons[field]).find((r) => r !== undefined);
    return stated ?? fallback;
  };
  const measures: Array<[keyof SweepRow & string, string, string]> = [
    ["adherence_score", "adherence_score", "no valid run produced code"],
    ["pass_rate", "pass_rate", "no valid run"],
    ["total_latency", "total_latency", "no valid run was timed"],
    ["init_latency", "init_latency", "no valid run measured a first token"],
    ["peak_memory_rss", "peak_memory_rss", "the inference process's memory was not measured"],
    ["generation_tokens_per_second", "generation_tokens_per_second", "no valid run reported decode timings"],
    ["orchestration_overhead_ratio", "orchestration_overhead_ratio", "no valid run had a total time"],
  ];
  for (const [field, runField, fallback] of measures) {
    if (row[field] === null) reasons[field] = fromRuns(runField, fallback);
  }
  // A caller's reason for a field the row did fill would contradict the row.
  const fields = row as Record<string, unknown>;
  for (const [field, reason] of Object.entries(given)) {
    if (!(field in fields) || fields[field] === null) reasons[field] ??= reason;
  }
  return reasons;
}

function max(values: ReadonlyArray<number | null>): number | null {
  const k = known(values);
  return k.length ? round3(Math.max(...k)) : null;
}
