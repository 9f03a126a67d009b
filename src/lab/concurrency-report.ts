/**
 * A concurrency sweep for people: the answer first (the knee, and the level with the most goodput or
 * throughput), then the chart of latency and throughput against concurrency, then the table. Text for
 * the terminal, and a standalone HTML page (Chart.js inlined, nothing fetched).
 */
import { escapeHtml, htmlPage } from "../bench/html-parts.js";
import type { ConcurrencyRow, ConcurrencySweep } from "../spec/concurrency.js";

const ms = (v: number | null) => (v === null ? "—" : `${v.toFixed(1)}`);
const n1 = (v: number | null) => (v === null ? "—" : v.toFixed(1));

/** One sentence: where the server stops scaling, and its best level. */
export function concurrencyAnswer(sweep: ConcurrencySweep): string {
  const rows = sweep.rows;
  if (rows.length === 0) return "No level ran.";
  const withSlo = sweep.settings.slo.ttft_ms !== null || sweep.settings.slo.itl_ms !== null;
  const best = [...rows].sort(
    (a, b) =>
      ((withSlo ? b.goodput_rps : b.output_tokens_per_second) ?? -1) -
      ((withSlo ? a.goodput_rps : a.output_tokens_per_second) ?? -1),
  )[0] as ConcurrencyRow;
  const knee =
    sweep.knee.concurrency === null
      ? `No knee up to ${Math.max(...rows.map((r) => r.concurrency))} concurrent clients (${sweep.knee.reason}).`
      : `Knee at ${sweep.knee.concurrency} concurrent clients: ${sweep.knee.reason.replace(/^\d+ concurrent: /, "")}.`;
  const peak = withSlo
    ? `Most goodput at ${best.concurrency}: ${n1(best.goodput_rps)} requests/s within the SLO (${n1(best.output_tokens_per_second)} output tokens/s).`
    : `Most output at ${best.concurrency}: ${n1(best.output_tokens_per_second)} tokens/s, ${n1(best.requests_per_second)} requests/s.`;
  return `${knee} ${peak}`;
}

const HEAD = [
  "clients",
  "requests",
  "errors",
  "TTFT p50/p90/p99 ms",
  "ITL p50/p90/p99 ms",
  "E2E p50/p90/p99 ms",
  "out tok/s",
  "req/s",
  "goodput",
  "server predicted",
];

function rowCells(r: ConcurrencyRow): string[] {
  const p = (x: ConcurrencyRow["ttft_ms"]) => `${ms(x.p50)}/${ms(x.p90)}/${ms(x.p99)}`;
  return [
    String(r.concurrency),
    String(r.requests),
    String(r.errors),
    p(r.ttft_ms),
    p(r.itl_ms),
    p(r.e2e_ms),
    n1(r.output_tokens_per_second),
    r.requests_per_second === null ? "—" : r.requests_per_second.toFixed(2),
    r.goodput_rps === null ? "—" : r.goodput_rps.toFixed(2),
    r.server?.predicted_tokens == null ? "—" : String(r.server.predicted_tokens),
  ];
}

export function renderConcurrencyText(sweep: ConcurrencySweep): string {
  const rows = [HEAD, ...sweep.rows.map(rowCells)];
  const widths = HEAD.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? "").length)));
  const table = rows.map((row) =>
    row
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd(),
  );
  const slo = sweep.settings.slo;
  return [
    concurrencyAnswer(sweep),
    "",
    `${sweep.model_ref} on ${sweep.server.kind} at ${sweep.server.base_url}${sweep.server.slots === null ? "" : ` (${sweep.server.slots} slots)`}; ${sweep.settings.duration_seconds === null ? `${sweep.settings.requests_per_level} requests` : `${sweep.settings.duration_seconds} s`} per level, ${sweep.settings.max_output_tokens} tokens at most${slo.ttft_ms !== null || slo.itl_ms !== null ? `; SLO ${[slo.ttft_ms === null ? null : `TTFT ≤ ${slo.ttft_ms} ms`, slo.itl_ms === null ? null : `ITL ≤ ${slo.itl_ms} ms`].filter(Boolean).join(", ")}` : ""}${sweep.interrupted ? " (interrupted)" : ""}`,
    "",
    ...table,
  ].join("\n");
}

const CSS = `
:root { color-scheme: light dark; --ink: #1f2328; --muted: #59636e; --line: #d1d9e0; --band: #f6f8fa; }
@media (prefers-color-scheme: dark) { :root { --ink: #e6edf3; --muted: #9198a1; --line: #3d444d; --band: #151b23; } body { background: #0d1117; } }
body { font: 14px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink); margin: 0; padding: 24px 32px 48px; max-width: 1280px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
.answer { font-size: 16px; padding: 10px 14px; border-left: 4px solid #0969da; background: var(--band); }
.subtitle { color: var(--muted); }
table { border-collapse: collapse; }
th, td { border: 1px solid var(--line); padding: 4px 8px; text-align: right; white-space: nowrap; }
th { background: var(--band); }
.canvas-box { position: relative; height: 400px; max-width: 960px; }
figcaption { color: var(--muted); font-size: 12px; }
`;

/** The chart's data, shared with the dashboard: per level, p90 TTFT and ITL, output tokens/s, goodput. */
export function concurrencyChartData(sweep: ConcurrencySweep) {
  return {
    levels: sweep.rows.map((r) => r.concurrency),
    ttft_p90: sweep.rows.map((r) => r.ttft_ms.p90),
    itl_p90: sweep.rows.map((r) => r.itl_ms.p90),
    tokens_per_second: sweep.rows.map((r) => r.output_tokens_per_second),
    goodput: sweep.rows.map((r) => r.goodput_rps),
    knee: sweep.knee.concurrency,
  };
}

const CHART_SCRIPT = `(function () {
  var d = JSON.parse(document.getElementById("orket-concurrency-data").textContent);
  var labels = d.levels.map(function (l) { return l === d.knee ? l + " (knee)" : String(l); });
  window.orketChart = new Chart(document.getElementById("concurrency-chart"), {
    type: "line",
    data: { labels: labels, datasets: [
      { label: "p90 TTFT (ms)", data: d.ttft_p90, yAxisID: "ms", borderColor: "#cf222e", backgroundColor: "#cf222e" },
      { label: "p90 inter-token (ms)", data: d.itl_p90, yAxisID: "ms", borderColor: "#bf8700", backgroundColor: "#bf8700" },
      { label: "output tokens/s", data: d.tokens_per_second, yAxisID: "tps", borderColor: "#0969da", backgroundColor: "#0969da", borderDash: [6, 3] }
    ] },
    options: { animation: false, responsive: true, maintainAspectRatio: false,
      scales: {
        x: { title: { display: true, text: "concurrent clients" } },
        ms: { position: "left", beginAtZero: true, title: { display: true, text: "milliseconds" } },
        tps: { position: "right", beginAtZero: true, grid: { drawOnChartArea: false }, title: { display: true, text: "output tokens/s" } }
      },
      plugins: { legend: { position: "bottom" } } }
  });
})();`;

export function renderConcurrencyHtml(sweep: ConcurrencySweep): string {
  const title = `Concurrency sweep · ${sweep.model_ref}`;
  const head = `<tr>${HEAD.map((h) => `<th scope="col">${escapeHtml(h)}</th>`).join("")}</tr>`;
  const body = sweep.rows
    .map(
      (r) =>
        `<tr>${rowCells(r)
          .map((c) => `<td>${escapeHtml(c)}</td>`)
          .join("")}</tr>`,
    )
    .join("\n");
  const [answer, , subtitle] = renderConcurrencyText(sweep).split("\n");
  return htmlPage({
    title,
    css: CSS,
    body: `<h1>${escapeHtml(title)}</h1>
<p class="answer">${escapeHtml(answer ?? "")}</p>
<figure><div class="canvas-box"><canvas id="concurrency-chart" role="img" aria-label="p90 time to first token, p90 inter-token latency and output tokens per second against concurrent clients"></canvas></div>
<figcaption>p90 TTFT and p90 inter-token latency (left axis) and output tokens/s (right axis) per level; the knee is marked on the axis.</figcaption></figure>
<h2>Levels</h2>
<p class="subtitle">${escapeHtml(subtitle ?? "")}</p>
<div style="overflow-x:auto"><table><thead>${head}</thead><tbody>${body}</tbody></table></div>`,
    dataId: "orket-concurrency-data",
    data: concurrencyChartData(sweep),
    chartScript: CHART_SCRIPT,
  });
}
