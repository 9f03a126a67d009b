/** A report for people: the summary and a per-task table, as plain text or markdown. */
import type { Report } from "../spec/report.js";

const pct = (v: number | null) => (v === null ? "—" : `${(v * 100).toFixed(1)}%`);
const sec = (v: number | null) => (v === null ? "—" : `${v.toFixed(3)} s`);
const num = (v: number | null) => (v === null ? "—" : v.toFixed(3));

function summaryLines(r: Report): Array<[string, string]> {
  const s = r.summary;
  // A report over several machines (--mixed-hardware) says so on every figure.
  const fingerprints = r.settings.hardware?.mixed ? r.settings.hardware.fingerprints : null;
  const mixed = fingerprints ? ` [mixed hardware: ${fingerprints.length} machines]` : "";
  const figures: Array<[string, string]> = [
    ["pass rate (valid)", pct(s.pass_rate) + mixed],
    ["mean adherence", num(s.mean_adherence) + mixed],
    ["median init_latency", sec(s.median_init_latency) + mixed],
    ["median total_latency", sec(s.median_total_latency) + mixed],
    ["median generation tok/s", num(s.median_generation_tokens_per_second) + mixed],
  ];
  const queue = r.settings.queue;
  return [
    ["model", `${r.settings.model_ref} (${r.settings.model_chosen_because})`],
    [
      "bank",
      `${r.settings.bank.name} ${r.settings.bank.version} · ${r.settings.task_ids.length} tasks × ${r.settings.runs_per_task} runs · ${r.settings.mode} mode · seed ${r.settings.seed} · temperature ${r.settings.temperature}`,
    ],
    [
      "generated",
      `${r.report_generated_at}${r.interrupted ? " (interrupted: partial)" : ""} · lane ${r.execution_lane} · profile ${r.vram_profile}`,
    ],
    [
      "test runs",
      `${s.test_runs} (valid ${s.valid_runs}, excluded ${s.invalid_runs}) · pass ${s.outcomes.pass} · fail ${s.outcomes.fail} · error ${s.outcomes.error}`,
    ],
    ...(queue
      ? ([
          [
            "queue",
            `${queue.queue} · batch ${queue.batch_id} · ${queue.workers.length} worker(s): ${queue.workers.map((w) => `${w.id} (${w.runs})`).join(", ")}`,
          ],
          [
            "hardware",
            fingerprints
              ? `MIXED: ${fingerprints.join(", ")} (--mixed-hardware; figures compare machines, not only models)`
              : (r.settings.hardware?.fingerprints.join(", ") ?? "—"),
          ],
        ] as Array<[string, string]>)
      : []),
    ...figures,
  ];
}

function taskRows(r: Report): string[][] {
  return r.summary.tasks.map((t) => [
    t.task_id,
    t.language,
    String(t.tier),
    `${t.passes}/${t.valid_runs}${t.runs !== t.valid_runs ? ` (${t.runs - t.valid_runs} excluded)` : ""}`,
    pct(t.success_rate),
    Object.entries(t.pass_at_k)
      .map(([k, v]) => `@${k} ${v.toFixed(3)}`)
      .join(" "),
    num(t.mean_adherence),
    t.determinism_rate === null ? "—" : `${t.determinism_rate.toFixed(3)} (${t.distinct_outputs} distinct)`,
  ]);
}

const HEAD = ["task", "lang", "tier", "pass/valid", "success", "pass@k", "adherence", "determinism"];

export function renderText(r: Report): string {
  const lines = summaryLines(r).map(([k, v]) => `${k.padEnd(24)} ${v}`);
  const rows = [HEAD, ...taskRows(r)];
  const widths = HEAD.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? "").length)));
  const table = rows.map((row) =>
    row
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd(),
  );
  const polluted = r.test_runs.filter((t) => t.telemetry.run_quality_status === "POLLUTED");
  const notes = polluted.length
    ? [
        `excluded as POLLUTED: ${polluted.map((t) => `${t.test_id} (${t.telemetry.run_quality_reasons.join(", ")})`).join("; ")}`,
      ]
    : [];
  return [...lines, "", ...table, ...(notes.length ? ["", ...notes] : [])].join("\n");
}

export function renderMarkdown(r: Report): string {
  const esc = (s: string) => s.replace(/\|/g, "\\|");
  const summary = summaryLines(r).map(([k, v]) => `| ${k} | ${esc(v)} |`);
  const rows = taskRows(r).map((row) => `| ${row.map(esc).join(" | ")} |`);
  const excluded = r.test_runs
    .filter((t) => t.telemetry.run_quality_status === "POLLUTED" || t.outcome === "error")
    .map(
      (t) =>
        `- \`${t.test_id}\`: ${t.outcome}${t.telemetry.run_quality_reasons.length ? `, ${t.telemetry.run_quality_reasons.join(", ")}` : ""}${t.telemetry.error ? ` (${t.telemetry.error.code})` : ""}`,
    );
  return [
    `# Orket benchmark: ${r.settings.model_ref}`,
    "",
    "| | |",
    "|---|---|",
    ...summary,
    "",
    `| ${HEAD.join(" | ")} |`,
    `|${HEAD.map(() => "---").join("|")}|`,
    ...rows,
    ...(excluded.length ? ["", "Runs excluded from the aggregates:", "", ...excluded] : []),
    "",
  ].join("\n");
}
