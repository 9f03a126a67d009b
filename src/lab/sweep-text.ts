/** A sweep summary for a terminal: the rows as a table, then the frontier, the recommendation and the KPIs. */
import { formatBytes } from "../core/lab/frontier.js";
import type { SweepRow, SweepSummary } from "../spec/lab.js";

const dash = "—";
const num = (v: number | null | undefined, digits = 3) =>
  v === null || v === undefined ? dash : v.toFixed(digits);

function cells(row: SweepRow, kind: SweepSummary["kind"]): string[] {
  return [
    kind === "context" ? `${row.context_size ?? row.quant_tag}` : row.quant_tag,
    row.model_size_bytes === null ? dash : formatBytes(row.model_size_bytes),
    `${row.valid_runs}/${row.test_runs}`,
    num(row.adherence_score),
    num(row.pass_rate),
    num(row.total_latency),
    num(row.init_latency),
    num(row.generation_tokens_per_second, 1),
    num(row.peak_memory_rss, 1),
    row.run_quality_status === "CLEAN" ? "CLEAN" : `POLLUTED ${row.run_quality_reasons.join(",")}`,
  ];
}

export function renderSweepText(summary: SweepSummary): string {
  const head = [
    summary.kind === "context" ? "context" : "quant",
    "size",
    "valid/runs",
    "adherence",
    "pass",
    "median s",
    "first tok s",
    "tok/s",
    "peak MiB",
    "quality",
  ];
  const table = [head, ...summary.rows.map((row) => cells(row, summary.kind))];
  const widths = head.map((_, i) => Math.max(...table.map((r) => (r[i] ?? "").length)));
  const lines = table.map((r) =>
    r
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd(),
  );
  const f = summary.efficiency_frontier;
  const k = summary.stability_kpis;
  const out = [
    `${summary.kind} sweep of ${summary.model_family} · ${summary.settings.runs_per_task} run${summary.settings.runs_per_task === 1 ? "" : "s"} per task · lane ${summary.execution_lane} · profile ${summary.vram_profile}`,
    `canary: ${summary.canary.decision} (${summary.canary.reason})`,
    "",
    ...lines,
    "",
    `minimum viable  ${f.minimum_viable_quant ?? dash}`,
    `best value      ${f.best_value_quant ?? dash}`,
    `pareto          ${f.pareto.length ? f.pareto.join(", ") : dash}`,
    `frontier        ${f.reason}`,
  ];
  if (summary.safe_context_ceiling)
    out.push(
      `safe context    ${summary.safe_context_ceiling.context_size ?? dash} (${summary.safe_context_ceiling.reason})`,
    );
  out.push(
    "",
    `recommendation  ${summary.recommendation}`,
    "",
    `stability       determinism ${num(k.determinism_rate)} · missing telemetry ${num(k.missing_telemetry_rate)} · polluted runs ${num(k.polluted_run_rate)} · frontier success ${num(k.frontier_success_rate)}`,
    `hardware        ${summary.hardware_fingerprint.fingerprint} (${summary.hardware_fingerprint.cpu_model}, ${summary.hardware_fingerprint.gpu_name ?? summary.hardware_fingerprint.gpu_backend})`,
    `time            ${summary.timing.total_seconds.toFixed(1)} s, ${summary.timing.benchmark_seconds.toFixed(1)} s of it in benchmark runs`,
  );
  return out.join("\n");
}
