/**
 * The sweep report as one self-contained HTML page: all CSS and Chart.js inlined, and a content
 * security policy that forbids any network load, so the file opens offline anywhere. The frontier chart
 * plots adherence against median total latency per row, labels each point with its tag, draws the
 * Pareto front as a line and the adherence threshold and latency ceiling as rules. Rows the chart
 * cannot place are listed under it with the reason.
 */

import { escapeHtml, htmlPage } from "../bench/html-parts.js";
import type { SweepRow, SweepSummary } from "../spec/lab.js";
import type { Cell, SweepDocument } from "./sweep-report-document.js";

/** The legend entry of invalid rows, shown only with `includeInvalid`. */
export const EXCLUDED_LABEL = "excluded: POLLUTED/invalid";

export interface ChartPoint {
  tag: string;
  x: number;
  y: number;
}

/** What the page's chart draws; also embedded in the page as JSON for tools and tests. */
export interface FrontierChart {
  valid: ChartPoint[];
  invalid: ChartPoint[];
  pareto: ChartPoint[];
  threshold: number;
  ceiling: number | null;
  xMax: number;
  unplotted: Array<{ tag: string; why: string }>;
}

/** Places each row on the chart, or says why it cannot be placed. */
export function frontierChart(summary: SweepSummary, includeInvalid: boolean): FrontierChart {
  const valid: ChartPoint[] = [];
  const invalid: ChartPoint[] = [];
  const unplotted: FrontierChart["unplotted"] = [];
  for (const row of summary.rows) {
    if (!row.valid && !includeInvalid) {
      unplotted.push({
        tag: row.quant_tag,
        why: `invalid (${excluded(row)}); shown only with include-invalid`,
      });
      continue;
    }
    // An invalid row has no valid-run measures; the include-invalid view places it by all its runs.
    const source = row.valid ? row : row.all_runs;
    const adherence = source?.adherence_score ?? null;
    const latency = source?.total_latency ?? null;
    if (adherence === null || latency === null) {
      unplotted.push({ tag: row.quant_tag, why: missing(row, adherence === null, latency === null) });
      continue;
    }
    (row.valid ? valid : invalid).push({ tag: row.quant_tag, x: latency, y: adherence });
  }
  const all = [...valid, ...invalid];
  const pareto = all
    .filter((p) => !all.some((q) => q !== p && q.y >= p.y && q.x <= p.x && (q.y > p.y || q.x < p.x)))
    .sort((a, b) => a.x - b.x || a.y - b.y);
  const ceiling = summary.efficiency_frontier.latency_ceiling;
  const top = Math.max(0, ...all.map((p) => p.x), ceiling ?? 0);
  return {
    valid,
    invalid,
    pareto,
    threshold: summary.efficiency_frontier.adherence_threshold,
    ceiling,
    xMax: top > 0 ? Number((top * 1.15).toPrecision(3)) : 1,
    unplotted,
  };
}

function excluded(row: SweepRow): string {
  return `${row.run_quality_status}${row.run_quality_reasons.length ? `: ${row.run_quality_reasons.join(", ")}` : ""}, ${row.valid_runs}/${row.test_runs} runs counted`;
}

function missing(row: SweepRow, noAdherence: boolean, noLatency: boolean): string {
  const parts: string[] = [];
  if (noAdherence) parts.push(`adherence unknown: ${row.null_reasons.adherence_score ?? "no measure"}`);
  if (noLatency) parts.push(`latency unknown: ${row.null_reasons.total_latency ?? "no measure"}`);
  if (!row.valid && !row.all_runs) return "invalid, and the summary has no all-runs measures to place it by";
  return parts.join("; ");
}

export { escapeHtml };

function htmlCell(cell: Cell): string {
  const note = cell.note === undefined ? "" : `<sup><a href="#note-${cell.note}">${cell.note}</a></sup>`;
  return `${escapeHtml(cell.text)}${note}`;
}

function section(s: SweepDocument["sections"][number], chart: string): string {
  const parts = [`<section id="${escapeHtml(s.id)}">`, `<h2>${escapeHtml(s.title)}</h2>`];
  if (s.id === "frontier") parts.push(chart);
  if (s.pairs) {
    parts.push('<table class="pairs"><tbody>');
    for (const [key, cell] of s.pairs)
      parts.push(`<tr><th scope="row">${escapeHtml(key)}</th><td>${htmlCell(cell)}</td></tr>`);
    parts.push("</tbody></table>");
  }
  if (s.table) {
    parts.push(
      `<div class="scroll"><table class="grid"><thead><tr>${s.table.head.map((h) => `<th>${escapeHtml(h)}</th>`).join("")}</tr></thead><tbody>`,
    );
    for (const row of s.table.rows)
      parts.push(`<tr>${row.map((c) => `<td>${htmlCell(c)}</td>`).join("")}</tr>`);
    parts.push("</tbody></table></div>");
  }
  if (s.text !== undefined) parts.push(`<p>${escapeHtml(s.text)}</p>`);
  parts.push("</section>");
  return parts.join("\n");
}

/**
 * The page leads with its answer: the recommendation, then the frontier and its chart, then the rows;
 * how the sweep was run (hardware, settings, canary, guards, timing) comes after.
 */
const LEADING = ["recommendation", "frontier", "context-ceiling", "rows", "kpis"];
function answerFirst(sections: SweepDocument["sections"]): SweepDocument["sections"] {
  const rank = (id: string) => {
    const at = LEADING.indexOf(id);
    return at < 0 ? LEADING.length : at;
  };
  return [...sections].sort((a, b) => rank(a.id) - rank(b.id));
}

function chartBlock(chart: FrontierChart): string {
  const unplotted = chart.unplotted.length
    ? `<p>Not on the chart:</p><ul class="unplotted">${chart.unplotted
        .map((u) => `<li><strong>${escapeHtml(u.tag)}</strong>: ${escapeHtml(u.why)}</li>`)
        .join("")}</ul>`
    : "";
  return [
    '<figure class="chart">',
    '<div class="canvas-box"><canvas id="frontier-chart" role="img" aria-label="Adherence against median total latency per row"></canvas></div>',
    "<figcaption>Adherence (valid runs) against median total latency; the line is the Pareto front, the dashed rules the adherence threshold and the latency ceiling.</figcaption>",
    "</figure>",
    unplotted,
  ].join("\n");
}

const CSS = `
:root { color-scheme: light; --ink: #1f2328; --muted: #59636e; --line: #d1d9e0; --band: #f6f8fa; }
* { box-sizing: border-box; }
body { font: 14px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink); margin: 0; padding: 24px 32px 48px; max-width: 1280px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
.subtitle { color: var(--muted); margin: 0 0 8px; }
table { border-collapse: collapse; margin: 4px 0; }
th, td { border: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
thead th, .pairs th { background: var(--band); font-weight: 600; }
.scroll { overflow-x: auto; }
.grid td { white-space: nowrap; }
.grid td:nth-last-child(2) { white-space: normal; min-width: 14em; }
.chart { margin: 8px 0 12px; }
.canvas-box { position: relative; height: 420px; max-width: 900px; }
figcaption { color: var(--muted); font-size: 12px; margin-top: 4px; }
.unplotted { margin-top: 0; }
sup a { text-decoration: none; }
`;

/** The page's own script: draws the chart from the embedded JSON; the point labels are a tiny plugin. */
const CHART_SCRIPT = `(function () {
  var data = JSON.parse(document.getElementById("orket-chart-data").textContent);
  // Each point's label goes at the first place around it (right above, right below, left above, left
  // below, then further out) that overlaps no label already placed and no point: close rows no longer
  // print over each other. The boxes placed are kept on window.orketLabelBoxes for the page's test.
  var labels = {
    id: "orketPointLabels",
    afterDatasetsDraw: function (chart) {
      var ctx = chart.ctx;
      ctx.save();
      ctx.font = "12px system-ui, sans-serif";
      ctx.fillStyle = "#1f2328";
      ctx.textBaseline = "top";
      var placed = [];
      var points = [];
      chart.data.datasets.forEach(function (ds, i) {
        if (!ds.orketLabels || !chart.isDatasetVisible(i)) return;
        chart.getDatasetMeta(i).data.forEach(function (el) { points.push({ x: el.x, y: el.y }); });
      });
      var clash = function (b) {
        if (b.x < 0 || b.y < 0 || b.x + b.w > chart.width || b.y + b.h > chart.height) return true;
        for (var k = 0; k < placed.length; k++) {
          var o = placed[k];
          if (b.x < o.x + o.w && o.x < b.x + b.w && b.y < o.y + o.h && o.y < b.y + b.h) return true;
        }
        for (var m = 0; m < points.length; m++) {
          var p = points[m];
          if (p.x > b.x - 5 && p.x < b.x + b.w + 5 && p.y > b.y - 5 && p.y < b.y + b.h + 5) return true;
        }
        return false;
      };
      chart.data.datasets.forEach(function (ds, i) {
        if (!ds.orketLabels || !chart.isDatasetVisible(i)) return;
        chart.getDatasetMeta(i).data.forEach(function (el, j) {
          var text = ds.data[j].tag;
          var w = ctx.measureText(text).width + 2;
          var h = 14;
          var box = null;
          for (var step = 0; step < 8 && box === null; step++) {
            var d = 8 + step * 12;
            var tries = [[d, -d - h], [d, d], [-d - w, -d - h], [-d - w, d]];
            for (var t = 0; t < tries.length; t++) {
              var b = { x: el.x + tries[t][0], y: el.y + tries[t][1], w: w, h: h, tag: text };
              if (!clash(b)) { box = b; break; }
            }
          }
          if (box === null) box = { x: el.x + 8, y: el.y - 8 - h, w: w, h: h, tag: text };
          placed.push(box);
          ctx.fillText(text, box.x + 1, box.y + 1);
        });
      });
      window.orketLabelBoxes = placed;
      ctx.restore();
    }
  };
  var datasets = [
    { label: data.validLabel, data: data.valid, orketLabels: true, clip: false, pointStyle: "circle", pointRadius: 6,
      backgroundColor: "rgba(9, 105, 218, 0.85)", borderColor: "#0969da" },
    { label: "Pareto front", data: data.pareto, showLine: true, pointRadius: 0, borderColor: "#1a7f37", borderWidth: 2 },
    { label: "adherence threshold " + data.threshold, data: [{ x: 0, y: data.threshold }, { x: data.xMax, y: data.threshold }],
      showLine: true, pointRadius: 0, borderColor: "#bf8700", borderDash: [6, 4], borderWidth: 1.5 }
  ];
  if (data.ceiling !== null) datasets.push({ label: "latency ceiling " + data.ceiling + " s",
    data: [{ x: data.ceiling, y: 0 }, { x: data.ceiling, y: 1 }], showLine: true, pointRadius: 0,
    borderColor: "#cf222e", borderDash: [6, 4], borderWidth: 1.5 });
  if (data.includeInvalid) datasets.push({ label: data.excludedLabel, data: data.invalid, orketLabels: true, clip: false,
    pointStyle: "crossRot", pointRadius: 9, borderWidth: 2, borderColor: "#cf222e", backgroundColor: "#cf222e" });
  window.orketChart = new Chart(document.getElementById("frontier-chart"), {
    type: "scatter",
    data: { datasets: datasets },
    options: {
      animation: false, responsive: true, maintainAspectRatio: false,
      layout: { padding: { right: 48, top: 16 } },
      scales: {
        x: { type: "linear", min: 0, max: data.xMax, title: { display: true, text: "median total latency (s)" } },
        y: { min: 0, max: 1, title: { display: true, text: "adherence" } }
      },
      plugins: {
        legend: { position: "bottom" },
        tooltip: { callbacks: { label: function (c) {
          var p = c.raw; return (p.tag ? p.tag + ": " : c.dataset.label + ": ") + "adherence " + p.y + ", " + p.x + " s";
        } } }
      }
    },
    plugins: [labels]
  });
})();`;

export function renderHtml(doc: SweepDocument, summary: SweepSummary, includeInvalid: boolean): string {
  const chart = frontierChart(summary, includeInvalid);
  const validLabel = `${summary.kind === "context" ? "context sizes" : "quantizations"} (valid runs)`;
  const data = { ...chart, includeInvalid, excludedLabel: EXCLUDED_LABEL, validLabel };
  const subtitleNote =
    doc.subtitleNote === undefined
      ? ""
      : `<sup><a href="#note-${doc.subtitleNote}">${doc.subtitleNote}</a></sup>`;
  const notes = doc.notes.length
    ? `<section id="notes"><h2>Notes</h2><ol>${doc.notes
        .map((n, i) => `<li id="note-${i + 1}">${escapeHtml(n)}</li>`)
        .join("")}</ol></section>`
    : "";
  return htmlPage({
    title: doc.title,
    css: CSS,
    body: `<h1>${escapeHtml(doc.title)}</h1>
<p class="subtitle">${escapeHtml(doc.subtitle)}${subtitleNote}</p>
${answerFirst(doc.sections)
  .map((s) => section(s, chartBlock(chart)))
  .join("\n")}
${notes}`,
    dataId: "orket-chart-data",
    data,
    chartScript: CHART_SCRIPT,
  });
}
