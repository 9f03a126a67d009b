/** A sweep summary for a terminal: the rows as a table, then the frontier, the recommendation and the KPIs. */
import { formatBytes } from "../core/lab/frontier.js";
import type { SweepRow, SweepSummary } from "../spec/lab.js";

const dash = "—";
const num = (v: number | null | undefined, digits = 3) =>
  v === null || v === undefined ? dash : v.toFixed(digits);

/** A KL divergence for a person: three significant digits, in exponent form below 0.001. */
export function formatKld(value: number): string {
  return value !== 0 && value < 0.001 ? value.toExponential(2) : value.toPrecision(3);
}

/** A row named with its KL divergence beside it, when the sweep measured one. */
export function withKld(tag: string, summary: SweepSummary): string {
  if (!summary.kld) return tag;
  if (tag === summary.kld.reference) return `${tag} (KLD reference)`;
  const kld = summary.rows.find((r) => r.quant_tag === tag)?.kld;
  return kld ? `${tag} (KLD ${formatKld(kld.mean_kld)}, same top ${kld.same_top_percent.toFixed(1)} %)` : tag;
}

function kldCells(row: SweepRow, summary: SweepSummary): string[] {
  if (!summary.kld) return [];
  if (!row.kld) return row.quant_tag === summary.kld.reference ? ["ref", "ref"] : [dash, dash];
  return [formatKld(row.kld.mean_kld), `${row.kld.same_top_percent.toFixed(2)} %`];
}

function cells(row: SweepRow, summary: SweepSummary): string[] {
  const kind = summary.kind;
  return [
    kind === "context" ? `${row.context_size ?? row.quant_tag}` : row.quant_tag,
    row.model_size_bytes === null ? dash : formatBytes(row.model_size_bytes),
    `${row.valid_runs}/${row.test_runs}`,
    num(row.adherence_score),
    num(row.pass_rate),
    ...kldCells(row, summary),
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
    ...(summary.kld ? ["KLD mean", "same top"] : []),
    "median s",
    "first tok s",
    "tok/s",
    "peak MiB",
    "quality",
  ];
  const table = [head, ...summary.rows.map((row) => cells(row, summary))];
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
    `pareto          ${f.pareto.length ? f.pareto.map((tag) => withKld(tag, summary)).join(", ") : dash}`,
    `frontier        ${f.reason}`,
  ];
  if (summary.kld) {
    const src = summary.kld.source;
    const over =
      src.kind === "bank"
        ? `the reference solutions of ${src.sequences} ${src.name} tasks`
        : `${src.name} in ${src.sequences} windows of ${src.ctx} tokens`;
    out.push(
      `kld             against ${summary.kld.reference} over ${over} (${src.positions} positions, ${summary.kld.seconds.toFixed(1)} s)`,
    );
  }
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
