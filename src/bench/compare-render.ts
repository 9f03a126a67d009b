/**
 * The comparison for people: one document (sections of tables and lines) built once from the
 * `orket.comparison.v1` record, written as terminal text, as markdown (a pull-request comment) and as
 * one self-contained HTML page with a chart of each metric's change and its interval. Every unknown is
 * "—"; a change whose interval includes no change says "not significant" beside it, always.
 */
import type { CandidateComparison, Comparison, GateResult } from "../spec/comparison.js";
import { escapeHtml, htmlPage } from "./html-parts.js";

interface Table {
  header: string[];
  rows: string[][];
}

interface Section {
  title: string;
  lines: string[];
  tables: Table[];
}

const DASH = "—";

function num(value: number | null | undefined, digits = 3): string {
  if (value === null || value === undefined) return DASH;
  return Number(value.toFixed(digits)).toString();
}

function signed(value: number | null | undefined, digits = 1): string {
  if (value === null || value === undefined) return DASH;
  const text = Math.abs(value).toFixed(digits);
  return `${value < 0 ? "−" : "+"}${text}`;
}

function range(interval: readonly [number, number] | null | undefined, scale: number, unit: string): string {
  if (!interval) return DASH;
  return `${signed(interval[0] * scale)} to ${signed(interval[1] * scale)} ${unit}`;
}

function significance(significant: boolean, interval: unknown): string {
  if (interval === null || interval === undefined) return "no interval";
  return significant ? "significant" : "not significant";
}

function gateLine(g: GateResult): string[] {
  const unit = g.unit === "pp" ? "pp" : "%";
  const ci = g.interval ? `${signed(g.interval[0])} to ${signed(g.interval[1])} ${unit}` : DASH;
  const status = {
    breached: "BREACHED",
    not_significant: "past the limit, not significant",
    ok: "ok",
    unknown: `unknown: ${g.null_reason ?? ""}`,
  }[g.status];
  return [g.threshold, g.estimate === null ? DASH : `${signed(g.estimate)} ${unit}`, ci, status];
}

function candidateSections(c: CandidateComparison, includeInvalid: boolean): Section[] {
  const left = Object.entries(c.tasks.left_out)
    .filter(([, n]) => n > 0)
    .map(([why, n]) => `${n} ${why.replace(/_/g, " ")}`);
  const p = c.pass;
  const lines = [
    `candidate: ${c.candidate.model_ref} (${c.candidate.path})`,
    `tasks: ${c.tasks.compared} compared${left.length ? `; left out: ${left.join(", ")}` : "; none left out"}`,
    `verdict: ${c.verdict}`,
  ];
  const passTable: Table = {
    header: ["", "baseline", "candidate", "change", "95 % CI", "McNemar p", ""],
    rows: [
      [
        "pass rate",
        num(p.baseline_rate),
        num(p.candidate_rate),
        p.difference === null ? DASH : `${signed(p.difference * 100)} pp`,
        range(p.interval, 100, "pp"),
        num(p.mcnemar.p_value, 4),
        significance(p.significant, p.interval),
      ],
      ...p.pass_at_k.map((k) => [
        `pass@${k.k}`,
        num(k.baseline),
        num(k.candidate),
        `${signed(k.difference * 100)} pp`,
        DASH,
        DASH,
        "",
      ]),
    ],
  };
  const flips = [
    `newly failing (${p.newly_failing.length}): ${p.newly_failing.join(", ") || "none"}`,
    `newly passing (${p.newly_passing.length}): ${p.newly_passing.join(", ") || "none"}`,
  ];
  const metricTable: Table = {
    header: ["metric", "baseline", "candidate", "change", "95 % CI", ""],
    rows: c.metrics.flatMap((m) =>
      m.changes.map((ch) => [
        `${m.key}_${ch.statistic} (${m.unit})`,
        num(ch.baseline),
        num(ch.candidate),
        ch.relative_change === null ? DASH : `${signed(ch.relative_change * 100)} %`,
        range(ch.interval, 100, "%"),
        ch.relative_change === null ? (m.null_reason ?? "") : significance(ch.significant, ch.interval),
      ]),
    ),
  };
  const pairedTable: Table = {
    header: ["metric", "tasks", "median per-task difference", "95 % CI", ""],
    rows: c.metrics.map((m) => [
      `${m.key} (${m.unit})`,
      String(m.paired.tasks),
      m.paired.median_difference === null ? DASH : signed(m.paired.median_difference, 3),
      m.paired.interval ? `${signed(m.paired.interval[0], 3)} to ${signed(m.paired.interval[1], 3)}` : DASH,
      significance(m.paired.significant, m.paired.interval),
    ]),
  };
  const repro: Table = {
    header: ["differs", "baseline", "candidate"],
    rows: c.reproducibility.map((d) => [d.field, JSON.stringify(d.baseline), JSON.stringify(d.candidate)]),
  };
  const sections: Section[] = [
    { title: `Pass/fail · ${c.candidate.model_ref}`, lines, tables: [passTable] },
    { title: "Flips (majority outcome of a task's valid runs)", lines: flips, tables: [] },
    {
      title: "Speed, memory and adherence (valid runs; ratio of candidate to baseline)",
      lines: [],
      tables: [metricTable, pairedTable],
    },
    {
      title: "What differs between the runs",
      lines: c.reproducibility.length === 0 ? ["nothing in the records differs"] : [],
      tables: c.reproducibility.length === 0 ? [] : [repro],
    },
  ];
  if (c.gate !== null)
    sections.push({
      title: "Gate",
      lines: [],
      tables: [{ header: ["threshold", "estimate", "95 % CI", "result"], rows: c.gate.map(gateLine) }],
    });
  const shown = c.task_rows.filter((r) => includeInvalid || r.left_out === null);
  const side = (s: CandidateComparison["task_rows"][number]["baseline"]) =>
    s === null ? DASH : `${s.passes}/${s.valid_runs} valid of ${s.runs}`;
  sections.push({
    title: includeInvalid ? "Tasks (left-out tasks shown, never counted)" : "Tasks compared",
    lines: [],
    tables: [
      {
        header: ["task", "baseline passes", "candidate passes", "flip", "left out"],
        rows: shown.map((r) => [
          r.task_id,
          side(r.baseline),
          side(r.candidate),
          r.flip?.replace("_", " ") ?? "",
          r.left_out?.replace(/_/g, " ") ?? "",
        ]),
      },
    ],
  });
  return sections;
}

function documentOf(comparison: Comparison): { title: string; subtitle: string; sections: Section[] } {
  const b = comparison.baseline;
  return {
    title: "Orket comparison",
    subtitle: `baseline ${b.model_ref} (${b.path}); bank ${b.bank.name} ${b.bank.version}${b.bank.sha256 ? ` sha256 ${b.bank.sha256.slice(0, 12)}` : ""}; ${comparison.settings.bootstrap_resamples} bootstrap resamples, seed ${comparison.settings.seed}${comparison.settings.fail_on ? `; gate ${comparison.settings.fail_on}${comparison.settings.strict ? " (strict)" : ""}: ${comparison.gate_failed ? "FAILED" : "passed"}` : ""}`,
    sections: comparison.comparisons.flatMap((c) =>
      candidateSections(c, comparison.settings.include_invalid),
    ),
  };
}

export function renderCompareText(comparison: Comparison): string {
  const doc = documentOf(comparison);
  const out = [doc.title, doc.subtitle, ""];
  for (const s of doc.sections) {
    out.push(`== ${s.title}`);
    out.push(...s.lines);
    for (const t of s.tables) {
      const widths = t.header.map((h, i) => Math.max(h.length, ...t.rows.map((r) => (r[i] ?? "").length)));
      const line = (cells: string[]) =>
        cells
          .map((cell, i) => cell.padEnd(widths[i] ?? 0))
          .join("  ")
          .trimEnd();
      out.push(line(t.header), ...t.rows.map(line));
    }
    out.push("");
  }
  return out.join("\n");
}

function md(text: string): string {
  return text.replace(/\r?\n|\r/g, " ").replace(/[\\`*[\]<>|~]/g, "\\$&");
}

export function renderCompareMarkdown(comparison: Comparison): string {
  const doc = documentOf(comparison);
  const out = [`# ${doc.title}`, "", md(doc.subtitle), ""];
  for (const s of doc.sections) {
    out.push(`## ${md(s.title)}`, "");
    for (const line of s.lines) out.push(`- ${md(line)}`);
    if (s.lines.length) out.push("");
    for (const t of s.tables) {
      out.push(`| ${t.header.map(md).join(" | ")} |`, `| ${t.header.map(() => "---").join(" | ")} |`);
      for (const r of t.rows) out.push(`| ${r.map(md).join(" | ")} |`);
      out.push("");
    }
  }
  return `${out.join("\n")}\n`;
}

const CSS = `body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem;color:#1b1f24}
table{border-collapse:collapse;margin:.5rem 0 1rem}th,td{border:1px solid #d0d7de;padding:.25rem .5rem;text-align:left}
th{background:#f6f8fa}.subtitle{color:#57606a}canvas{max-width:100%}`;

/** Per candidate: each metric's median change with its interval, as a floating bar and a point. */
const CHART_SCRIPT = `(() => {
  const data = JSON.parse(document.getElementById("orket-compare-data").textContent);
  const charts = [];
  data.forEach((candidate, i) => {
    const canvas = document.getElementById("orket-compare-chart-" + i);
    charts.push(new Chart(canvas, {
      type: "bar",
      data: {
        labels: candidate.labels,
        datasets: [
          { type: "bar", label: "95 % interval (%)", data: candidate.intervals, backgroundColor: "rgba(9,105,218,0.35)" },
          { type: "scatter", label: "estimate (%)", data: candidate.estimates, backgroundColor: "#0969da", pointRadius: 5 },
        ],
      },
      options: {
        indexAxis: "y",
        animation: false,
        scales: { x: { title: { display: true, text: "candidate vs baseline, median (%)" } } },
      },
    }));
  });
  window.orketCharts = charts;
})();`;

export function renderCompareHtml(comparison: Comparison): string {
  const doc = documentOf(comparison);
  const chartData = comparison.comparisons.map((c) => {
    const p50 = c.metrics.map((m) => ({ m, ch: m.changes.find((x) => x.statistic === "p50") }));
    const labels = p50.map(({ m }) => m.key);
    return {
      labels,
      intervals: p50.map(({ ch }) => (ch?.interval ? [ch.interval[0] * 100, ch.interval[1] * 100] : null)),
      estimates: p50
        .map(({ m, ch }) => (ch?.relative_change == null ? null : { x: ch.relative_change * 100, y: m.key }))
        .filter((e) => e !== null),
    };
  });
  const table = (t: Table) =>
    `<table><thead><tr>${t.header.map((h) => `<th>${escapeHtml(h)}</th>`).join("")}</tr></thead><tbody>${t.rows
      .map((r) => `<tr>${r.map((cell) => `<td>${escapeHtml(cell)}</td>`).join("")}</tr>`)
      .join("")}</tbody></table>`;
  let chartIndex = 0;
  const body = doc.sections
    .map((s) => {
      const chart = s.title.startsWith("Speed")
        ? `<canvas id="orket-compare-chart-${chartIndex++}" width="900" height="260"></canvas>`
        : "";
      return `<section><h2>${escapeHtml(s.title)}</h2>${s.lines.map((l) => `<p>${escapeHtml(l)}</p>`).join("")}${chart}${s.tables.map(table).join("")}</section>`;
    })
    .join("\n");
  return htmlPage({
    title: doc.title,
    css: CSS,
    body: `<h1>${escapeHtml(doc.title)}</h1>
<p class="subtitle">${escapeHtml(doc.subtitle)}</p>
${body}`,
    dataId: "orket-compare-data",
    data: chartData,
    chartScript: CHART_SCRIPT,
  });
}
