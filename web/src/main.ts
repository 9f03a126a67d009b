/**
 * The dashboard of `orket serve`: jobs with live progress, reports, comparisons, the leaderboard,
 * sweeps and boards. A hash router over the API; every page leads with its answer, then the detail.
 * Plain DOM and the browser's own controls, so the keyboard and the screen reader work as they do on
 * any page; colors follow the system's light or dark mode.
 */
import "./style.css";
import { Chart, type Chart as ChartType, registerables } from "chart.js";
import { ApiError, api, followJob } from "./api.js";

Chart.register(...registerables);

// biome-ignore lint/suspicious/noExplicitAny: API records are read as the server sends them
type Json = Record<string, any>;

const view = document.getElementById("view") as HTMLElement;
const cleanup: Array<() => void> = [];

/** Text made safe for HTML. */
function esc(value: unknown): string {
  return String(value ?? "").replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] as string,
  );
}
const fmt = (v: unknown, digits = 3) =>
  typeof v === "number" ? v.toFixed(digits) : v === null || v === undefined ? "—" : esc(v);
const pct = (v: unknown) => (typeof v === "number" ? `${(v * 100).toFixed(1)} %` : "—");

function render(html: string): void {
  view.innerHTML = html;
}

async function route(): Promise<void> {
  for (const c of cleanup.splice(0)) c();
  const [path, query = ""] = location.hash.replace(/^#/, "").split("?");
  const parts = (path || "/jobs").split("/").filter(Boolean);
  const params = new URLSearchParams(query);
  for (const a of document.querySelectorAll<HTMLAnchorElement>("header nav a")) {
    a.toggleAttribute("aria-current", a.hash.split("/")[1] === parts[0]);
  }
  try {
    if (parts[0] === "jobs" && parts[1]) await jobPage(parts[1]);
    else if (parts[0] === "history") await historyPage();
    else if (parts[0] === "reports" && parts[1]) await reportPage(parts[1]);
    else if (parts[0] === "compare") await comparePage(params);
    else if (parts[0] === "leaderboard") await leaderboardPage();
    else if (parts[0] === "sweeps" && parts[1]) await sweepPage(parts[1]);
    else if (parts[0] === "sweeps") await sweepsPage();
    else if (parts[0] === "concurrency" && parts[1]) await concurrencyPage(parts[1]);
    else if (parts[0] === "boards" && parts[1]) await boardPage(parts[1]);
    else if (parts[0] === "boards") await boardsPage();
    else await jobsPage();
  } catch (error) {
    const message = error instanceof ApiError ? `${error.code}: ${error.message}` : String(error);
    render(`<h1>Could not load this page</h1><p class="answer bad" role="alert">${esc(message)}</p>`);
  }
  view.focus();
}

// Jobs: start a bench, and the list with each job's state.
async function jobsPage(): Promise<void> {
  const { items } = await api<{ items: Json[] }>("/api/jobs?limit=50");
  const running = items.filter((j) => j.state === "running").length;
  const queued = items.filter((j) => j.state === "queued").length;
  render(`
    <h1>Jobs</h1>
    <p class="answer">${running} running, ${queued} waiting, ${items.length} in all</p>
    <form id="start" aria-label="Start a job">
      <label>Kind <select name="kind"><option value="bench">bench</option><option value="sweep">sweep</option><option value="run">epic run</option></select></label>
      <label data-for="bench run">Model <input name="model" size="40" placeholder="gguf/./model.gguf or ollama/qwen2.5-coder:7b"></label>
      <label data-for="sweep" hidden>Rows <input name="models" size="48" placeholder="q8_0=gguf/./q8.gguf,q4_K_M=gguf/./q4.gguf"></label>
      <label data-for="run" hidden>Epic <input name="epic" size="16" placeholder="hello-python"></label>
      <label data-for="bench sweep">Tasks <input name="tasks" size="10" placeholder="1-10"></label>
      <label data-for="bench sweep">Runs per task <input name="runs" type="number" min="1" max="100" value="1"></label>
      <button type="submit">Start</button>
    </form>
    <p id="start-error" role="alert" class="fail"></p>
    <table><thead><tr><th>Job</th><th>Kind</th><th>State</th><th>Backend</th><th>Created</th></tr></thead><tbody>
    ${items
      .map(
        (j) =>
          `<tr><td><a href="#/jobs/${esc(j.job_id)}">${esc(j.job_id)}</a></td><td>${esc(j.kind)}</td><td class="${esc(j.state)}">${esc(j.state)}</td><td>${esc(j.backend)}</td><td>${esc(j.created_at)}</td></tr>`,
      )
      .join("")}
    </tbody></table>`);
  const form = document.getElementById("start") as HTMLFormElement;
  const kind = form.elements.namedItem("kind") as HTMLSelectElement;
  // Only the fields the chosen kind takes are shown.
  const showFields = () => {
    for (const label of form.querySelectorAll<HTMLElement>("label[data-for]")) {
      label.hidden = !(label.dataset.for ?? "").split(" ").includes(kind.value);
    }
  };
  kind.addEventListener("change", showFields);
  showFields();
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const text = (name: string) => String(data.get(name) ?? "").trim();
    const body: Json = { kind: kind.value };
    if (kind.value === "sweep") {
      body.models = text("models")
        .split(",")
        .filter(Boolean)
        .map((pair) => {
          const at = pair.indexOf("=");
          return { quant: pair.slice(0, at).trim(), model: pair.slice(at + 1).trim() };
        });
    } else if (text("model")) body.model = text("model");
    if (kind.value === "run") body.epic = text("epic");
    if (kind.value !== "run") {
      if (text("tasks")) body.tasks = text("tasks");
      const runs = Number(data.get("runs"));
      if (runs > 1) body.runs = runs;
    }
    try {
      const job = await api<Json>("/api/jobs", { method: "POST", body });
      location.hash = `#/jobs/${job.job_id}`;
    } catch (error) {
      (document.getElementById("start-error") as HTMLElement).textContent = String((error as Error).message);
    }
  });
}

// One job, live: its progress bar fills as test runs finish, each event a line.
async function jobPage(jobId: string): Promise<void> {
  const job = await api<Json>(`/api/jobs/${encodeURIComponent(jobId)}`);
  render(`
    <h1>Job ${esc(job.job_id)}</h1>
    <p class="answer" id="job-state">${esc(job.kind)} · <span class="${esc(job.state)}">${esc(job.state)}</span></p>
    <progress id="job-progress" value="0" max="1" aria-label="Progress"></progress>
    <p id="job-count" class="muted">waiting for events</p>
    <div class="toolbar">
      <button id="cancel">Cancel</button><button id="resume">Resume</button>
      <span id="job-result"></span>
    </div>
    <h2>Events</h2><div class="log" id="job-log" role="log"></div>`);
  const log = document.getElementById("job-log") as HTMLElement;
  const bar = document.getElementById("job-progress") as HTMLProgressElement;
  const count = document.getElementById("job-count") as HTMLElement;
  const showEnd = (final: Json) => {
    (document.getElementById("job-state") as HTMLElement).innerHTML =
      `${esc(final.kind)} · <span class="${esc(final.state)}">${esc(final.state)}</span>${final.error ? ` — ${esc(final.error.message)}` : ""}`;
    const ids: number[] = final.result?.history_ids ?? [];
    (document.getElementById("job-result") as HTMLElement).innerHTML = ids
      .map((id) => `<a href="#/reports/${id}">Open report ${id}</a>`)
      .join(" ");
  };
  const follower = followJob(jobId, ({ event, data }) => {
    if (event === "job_end") {
      showEnd(data);
      return;
    }
    if (data.type === "progress" || data.type === "test_run_end") {
      if (typeof data.total === "number" && data.total > 0) {
        bar.max = data.total;
        bar.value = Number(data.done);
        count.textContent = `${data.done} of ${data.total} test runs`;
      }
    }
    const line = document.createElement("div");
    line.textContent = `${data.seq} ${data.type}${data.test_id ? ` ${data.test_id}` : ""}${data.outcome ? ` ${data.outcome}` : ""}${data.message ? ` — ${data.message}` : ""}`;
    log.append(line);
    log.scrollTop = log.scrollHeight;
  });
  cleanup.push(() => follower.stop());
  (document.getElementById("cancel") as HTMLButtonElement).onclick = () =>
    void api(`/api/jobs/${encodeURIComponent(jobId)}/cancel`, { method: "POST" });
  (document.getElementById("resume") as HTMLButtonElement).onclick = async () => {
    await api(`/api/jobs/${encodeURIComponent(jobId)}/resume`, { method: "POST" });
    void route();
  };
}

// Reports: every recorded bench, two of them picked to compare.
async function historyPage(): Promise<void> {
  const { items, total } = await api<{ items: Json[]; total: number }>("/api/history?limit=200");
  render(`
    <h1>Reports</h1>
    <p class="answer">${total} benchmark report${total === 1 ? "" : "s"} recorded in this project</p>
    <form id="compare" aria-label="Compare two reports">
      <label>Baseline <select name="b">${items.map((e) => `<option value="${e.history_id}">${e.history_id} · ${esc(e.model_ref)}</option>`).join("")}</select></label>
      <label>Candidate <select name="c">${items.map((e, i) => `<option value="${e.history_id}" ${i === 0 ? "selected" : ""}>${e.history_id} · ${esc(e.model_ref)}</option>`).join("")}</select></label>
      <button type="submit">Compare</button>
    </form>
    <table><thead><tr><th>Id</th><th>Model</th><th>Quant</th><th>Bank</th><th>Pass rate</th><th>Valid runs</th><th>Median total s</th><th>When</th></tr></thead><tbody>
    ${items
      .map(
        (e) =>
          `<tr><td><a href="#/reports/${e.history_id}">${e.history_id}</a></td><td>${esc(e.model_ref)}</td><td>${esc(e.quantization ?? "—")}</td><td>${esc(e.bank_name)}</td><td>${pct(e.pass_rate)}</td><td>${e.valid_runs}/${e.test_runs}</td><td>${fmt(e.median_total_latency)}</td><td>${esc(e.generated_at)}</td></tr>`,
      )
      .join("")}
    </tbody></table>`);
  const form = document.getElementById("compare") as HTMLFormElement;
  const selects = form.querySelectorAll("select");
  if (items.length > 1) (selects[0] as HTMLSelectElement).selectedIndex = 1;
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const data = new FormData(form);
    location.hash = `#/compare?b=${data.get("b")}&c=${data.get("c")}`;
  });
}

const PAGE = 100;

function telemetryView(t: Json): Json {
  return { ...t, constraint_validation: undefined, evaluation: undefined, extraction: undefined };
}

/** The evaluator's verdict in words: examples passed, each failed one, the checks, the extraction. */
function evaluatorText(r: Json): string {
  const t = r.telemetry;
  const lines: string[] = [];
  if (t.evaluation) {
    lines.push(`examples passed: ${t.evaluation.passed_examples} of ${t.evaluation.total_examples}`);
    if (t.evaluation.error) lines.push(`${t.evaluation.error.code}: ${t.evaluation.error.message}`);
  } else lines.push("not evaluated");
  for (const e of (r.failure?.failed_examples ?? []) as Json[])
    lines.push(
      `#${e.index}: ${e.detail}${e.timed_out ? " (timed out)" : ""}${e.signal ? ` (${e.signal})` : e.exit_code !== null ? ` (exit ${e.exit_code})` : ""}`,
    );
  lines.push(`code: ${t.extraction.source}${t.extraction.reason ? ` (${t.extraction.reason})` : ""}`);
  const c = t.constraint_validation;
  lines.push(`checks passed: ${c.passed_checks} of ${c.total_checks}`);
  for (const check of c.checks as Json[])
    if (!check.passed) lines.push(`✗ ${check.tier} ${check.rule}: ${check.detail}`);
  return lines.join("\n");
}

// A report: the answer (pass rate, validity), then every test run, filterable, a page at a time so a
// 10,000-task report stays responsive; a row opens its evaluation and telemetry beside it.
async function reportPage(id: string): Promise<void> {
  const report = await api<Json>(`/api/reports/${encodeURIComponent(id)}`);
  const s = report.summary;
  const runs: Json[] = report.test_runs;
  // Why runs were left out, most common first: the answer says what the pass rate stands on.
  const reasons = new Map<string, number>();
  for (const r of runs)
    for (const q of r.telemetry.run_quality_reasons as string[]) reasons.set(q, (reasons.get(q) ?? 0) + 1);
  const leftOut = [...reasons]
    .sort((a, b) => b[1] - a[1])
    .map(([q, n]) => `${esc(q)} (${n})`)
    .join(", ");
  render(`
    <h1>Report ${esc(id)} · ${esc(report.settings.model_ref)}</h1>
    <p class="answer ${s.pass_rate >= 0.9 ? "good" : s.pass_rate === null ? "" : "bad"}">Pass rate ${pct(s.pass_rate)} over ${s.valid_runs} valid of ${s.test_runs} test runs${report.interrupted ? " (interrupted)" : ""}${s.valid_runs < s.test_runs && leftOut ? `<br><span class="muted">Left out of the figures: ${leftOut}</span>` : ""}</p>
    <div class="cards">
      <div class="card">Mean adherence <b>${fmt(s.mean_adherence)}</b></div>
      <div class="card">Median total <b>${fmt(s.median_total_latency)} s</b></div>
      <div class="card">Median first token <b>${fmt(s.median_init_latency)} s</b></div>
      <div class="card">Median decode <b>${fmt(s.median_generation_tokens_per_second, 1)} tok/s</b></div>
    </div>
    <div class="toolbar">
      <label>Filter <input id="filter" placeholder="task id, outcome, or a quality reason"></label>
      <label>Outcome <select id="outcome"><option value="">any</option><option>pass</option><option>fail</option><option>error</option></select></label>
      <span id="shown" class="muted"></span>
      <button id="prev">Previous</button><button id="next">Next</button>
    </div>
    <div class="split">
      <div><table><thead><tr><th>Test run</th><th>Outcome</th><th>Quality</th><th>Total s</th><th>Adherence</th></tr></thead><tbody id="rows"></tbody></table></div>
      <div id="detail"><p class="muted">Pick a test run (click, or Enter on a focused row) to see its evaluation and telemetry.</p></div>
    </div>`);
  const rowsEl = document.getElementById("rows") as HTMLElement;
  const filter = document.getElementById("filter") as HTMLInputElement;
  const outcome = document.getElementById("outcome") as HTMLSelectElement;
  let page = 0;
  let matching = runs;
  const draw = () => {
    const text = filter.value.trim().toLowerCase();
    matching = runs.filter(
      (r) =>
        (!outcome.value || r.outcome === outcome.value) &&
        (!text ||
          r.test_id.toLowerCase().includes(text) ||
          r.outcome === text ||
          (r.telemetry.run_quality_reasons as string[]).some((q) => q.toLowerCase().includes(text))),
    );
    page = Math.min(page, Math.max(0, Math.ceil(matching.length / PAGE) - 1));
    const slice = matching.slice(page * PAGE, page * PAGE + PAGE);
    rowsEl.innerHTML = slice
      .map(
        (r, i) =>
          `<tr tabindex="0" data-i="${page * PAGE + i}"><td>${esc(r.test_id)}</td><td class="${esc(r.outcome)}">${esc(r.outcome)}</td><td>${esc(r.telemetry.run_quality_status)}</td><td>${fmt(r.telemetry.total_latency)}</td><td>${fmt(r.telemetry.adherence_score)}</td></tr>`,
      )
      .join("");
    (document.getElementById("shown") as HTMLElement).textContent =
      `${matching.length ? page * PAGE + 1 : 0}–${Math.min(matching.length, (page + 1) * PAGE)} of ${matching.length}`;
  };
  const open = (row: HTMLElement | null) => {
    if (!row?.dataset.i) return;
    for (const selected of rowsEl.querySelectorAll("tr.selected")) selected.classList.remove("selected");
    row.classList.add("selected");
    const r = matching[Number(row.dataset.i)] as Json;
    const t = r.telemetry;
    const f = r.failure;
    // A run that did not pass: what it was asked, what it answered, what the evaluator said, and its
    // telemetry, side by side. Older reports (and passing runs) have no failure record.
    const failure = f
      ? `<div class="quad">
          <section aria-label="Prompt"><h2>Prompt</h2><pre class="text">${esc(f.prompt)}${f.prompt_truncated ? "\n… (cut)" : ""}</pre></section>
          <section aria-label="Answer"><h2>Answer</h2><pre class="text">${f.answer ? esc(f.answer) : "(no answer)"}${f.answer_truncated ? "\n… (cut)" : ""}</pre></section>
          <section aria-label="Evaluator output"><h2>Evaluator</h2><pre class="text">${esc(evaluatorText(r))}</pre></section>
          <section aria-label="Telemetry"><h2>Telemetry</h2><pre>${esc(JSON.stringify(telemetryView(t), null, 2))}</pre></section>
        </div>`
      : `<h2>Evaluation</h2><pre>${esc(JSON.stringify({ evaluation: t.evaluation, extraction: t.extraction, checks: t.constraint_validation }, null, 2))}</pre>
      <h2>Telemetry</h2><pre>${esc(JSON.stringify(telemetryView(t), null, 2))}</pre>`;
    (document.getElementById("detail") as HTMLElement).innerHTML = `
      <h2>${esc(r.test_id)} · <span class="${esc(r.outcome)}">${esc(r.outcome)}</span></h2>
      <p>${t.error ? `<b>${esc(t.error.code)}</b>: ${esc(t.error.message)}` : "no error"}</p>
      ${failure}`;
  };
  rowsEl.addEventListener("click", (e) => open((e.target as HTMLElement).closest("tr")));
  rowsEl.addEventListener("keydown", (e) => {
    const row = (e.target as HTMLElement).closest("tr") as HTMLElement | null;
    if (e.key === "Enter") open(row);
    if (e.key === "ArrowDown") (row?.nextElementSibling as HTMLElement | null)?.focus();
    if (e.key === "ArrowUp") (row?.previousElementSibling as HTMLElement | null)?.focus();
  });
  filter.addEventListener("input", () => {
    page = 0;
    draw();
  });
  outcome.addEventListener("change", () => {
    page = 0;
    draw();
  });
  (document.getElementById("prev") as HTMLButtonElement).onclick = () => {
    page = Math.max(0, page - 1);
    draw();
  };
  (document.getElementById("next") as HTMLButtonElement).onclick = () => {
    if ((page + 1) * PAGE < matching.length) page++;
    draw();
  };
  draw();
}

// A comparison: the verdict first, then pass/fail statistics and each metric's change with its interval.
async function comparePage(params: URLSearchParams): Promise<void> {
  const baseline = Number(params.get("b"));
  const candidate = Number(params.get("c"));
  render(`<h1>Comparing ${baseline} → ${candidate}</h1><p class="muted">Resampling…</p>`);
  const record = await api<Json>("/api/compare", {
    method: "POST",
    body: { baseline, candidates: [candidate] },
  });
  const c = record.comparisons[0];
  const p = c.pass;
  render(`
    <h1>Comparing report ${baseline} → ${candidate}</h1>
    <p class="answer ${p.significant ? (p.difference < 0 ? "bad" : "good") : ""}">${esc(c.verdict)}</p>
    <div class="cards">
      <div class="card">Tasks compared <b>${c.tasks.compared}</b></div>
      <div class="card">Pass rate change <b>${p.difference === null ? "—" : `${(p.difference * 100).toFixed(1)} pp`}</b></div>
      <div class="card">Newly failing <b>${p.newly_failing.length}</b></div>
      <div class="card">Newly passing <b>${p.newly_passing.length}</b></div>
    </div>
    <h2>Metrics</h2>
    <table><thead><tr><th>Metric</th><th>Statistic</th><th>Baseline</th><th>Candidate</th><th>Change</th><th>95 % interval</th><th>Significant</th></tr></thead><tbody>
    ${(c.metrics as Json[])
      .flatMap((m) =>
        (m.changes as Json[]).map(
          (ch) =>
            `<tr><td>${esc(m.key)}</td><td>${esc(ch.statistic)}</td><td>${fmt(ch.baseline)}</td><td>${fmt(ch.candidate)}</td><td>${ch.relative_change === null ? "—" : `${(ch.relative_change * 100).toFixed(1)} %`}</td><td>${ch.interval ? `${(ch.interval[0] * 100).toFixed(1)} … ${(ch.interval[1] * 100).toFixed(1)} %` : "—"}</td><td>${ch.significant ? "yes" : "no"}</td></tr>`,
        ),
      )
      .join("")}
    </tbody></table>
    <h2>What differs between the runs</h2>
    <table><thead><tr><th>Field</th><th>Baseline</th><th>Candidate</th></tr></thead><tbody>
    ${(c.reproducibility as Json[]).map((d) => `<tr><td>${esc(d.field)}</td><td>${esc(JSON.stringify(d.baseline))}</td><td>${esc(JSON.stringify(d.candidate))}</td></tr>`).join("") || `<tr><td colspan="3">nothing</td></tr>`}
    </tbody></table>`);
}

async function leaderboardPage(): Promise<void> {
  const { rows } = await api<{ rows: Json[] }>("/api/leaderboard");
  const top = rows[0];
  render(`
    <h1>Leaderboard</h1>
    <p class="answer">${top ? `Best: ${esc(top.model_ref)}${top.quantization ? ` (${esc(top.quantization)})` : ""}, pass rate ${pct(top.pass_rate)}` : "Nothing recorded yet: run a bench."}</p>
    <table><thead><tr><th>Rank</th><th>Model</th><th>Quant</th><th>Bank</th><th>Pass rate</th><th>95 % interval</th><th>Valid runs</th><th>Median first token s</th><th>Decode tok/s</th><th>Peak MiB</th></tr></thead><tbody>
    ${rows
      .map(
        (r) =>
          `<tr><td>${r.rank}</td><td>${esc(r.model_ref)}</td><td>${esc(r.quantization ?? "—")}</td><td>${esc(r.bank)}</td><td>${pct(r.pass_rate)}</td><td>${r.interval ? `${pct(r.interval[0])} – ${pct(r.interval[1])}` : "—"}</td><td>${r.valid_runs}</td><td>${fmt(r.median_init_latency)}</td><td>${fmt(r.median_generation_tps, 1)}</td><td>${fmt(r.peak_memory_rss, 1)}</td></tr>`,
      )
      .join("")}
    </tbody></table>`);
}

async function sweepsPage(): Promise<void> {
  const [{ items }, load] = await Promise.all([
    api<{ items: Json[] }>("/api/sweeps"),
    api<{ items: Json[] }>("/api/concurrency"),
  ]);
  render(`<h1>Sweeps</h1><p class="answer">${items.length} sweep${items.length === 1 ? "" : "s"} with rows in the history, ${load.items.length} concurrency sweep${load.items.length === 1 ? "" : "s"}</p>
    <ul>${items.map((s) => `<li><a href="#/sweeps/${esc(s.sweep_id)}">${esc(s.sweep_id)}</a></li>`).join("")}</ul>
    <h2>Concurrency sweeps</h2>
    <table><thead><tr><th>Sweep</th><th>Model</th><th>Levels</th><th>Knee</th><th>When</th></tr></thead><tbody>
    ${load.items
      .map(
        (c) =>
          `<tr><td><a href="#/concurrency/${esc(c.sweep_id)}">${esc(c.sweep_id)}</a></td><td>${esc(c.model_ref)}</td><td>${esc((c.levels as number[]).join(", "))}</td><td>${c.knee === null ? "none" : esc(c.knee)}</td><td>${esc(c.generated_at)}</td></tr>`,
      )
      .join("")}
    </tbody></table>`);
}

// A concurrency sweep: where the server stops scaling and its best level first, then latency and
// throughput against concurrent clients, then the table.
async function concurrencyPage(id: string): Promise<void> {
  const s = await api<Json>(`/api/concurrency/${encodeURIComponent(id)}`);
  const rows = s.rows as Json[];
  const withSlo = s.settings.slo.ttft_ms !== null || s.settings.slo.itl_ms !== null;
  const score = (r: Json) => (withSlo ? r.goodput_rps : r.output_tokens_per_second) ?? -1;
  const best = [...rows].sort((a, b) => score(b) - score(a))[0];
  const knee =
    s.knee.concurrency === null
      ? `No knee: ${esc(s.knee.reason)}.`
      : `Knee at ${esc(s.knee.concurrency)} concurrent clients: ${esc(String(s.knee.reason).replace(/^\d+ concurrent: /, ""))}.`;
  const peak = best
    ? withSlo
      ? ` Most goodput at ${esc(best.concurrency)}: ${fmt(best.goodput_rps, 2)} requests/s within the SLO.`
      : ` Most output at ${esc(best.concurrency)}: ${fmt(best.output_tokens_per_second, 1)} tokens/s.`
    : "";
  const p = (x: Json) => `${fmt(x.p50, 1)} / ${fmt(x.p90, 1)} / ${fmt(x.p99, 1)}`;
  render(`
    <h1>Concurrency sweep of ${esc(s.model_ref)}</h1>
    <p class="answer">${knee}${peak}</p>
    <div class="chart"><canvas id="load-chart" role="img" aria-label="p90 time to first token, p90 inter-token latency and output tokens per second against concurrent clients"></canvas></div>
    <h2>Levels</h2>
    <p class="muted">${esc(s.server.kind)} at ${esc(s.server.base_url)}${s.server.slots === null ? "" : ` · ${esc(s.server.slots)} slots`} · ${s.settings.duration_seconds === null ? `${esc(s.settings.requests_per_level)} requests` : `${esc(s.settings.duration_seconds)} s`} per level</p>
    <table><thead><tr><th>Clients</th><th>Requests</th><th>Errors</th><th>TTFT p50/p90/p99 ms</th><th>ITL p50/p90/p99 ms</th><th>E2E p50/p90/p99 ms</th><th>Output tok/s</th><th>Req/s</th><th>Goodput</th><th>Server tokens</th></tr></thead><tbody>
    ${rows
      .map(
        (r) =>
          `<tr><td>${esc(r.concurrency)}</td><td>${esc(r.requests)}</td><td>${esc(r.errors)}</td><td>${p(r.ttft_ms)}</td><td>${p(r.itl_ms)}</td><td>${p(r.e2e_ms)}</td><td>${fmt(r.output_tokens_per_second, 1)}</td><td>${fmt(r.requests_per_second, 2)}</td><td>${fmt(r.goodput_rps, 2)}</td><td>${fmt(r.server?.predicted_tokens ?? null, 0)}</td></tr>`,
      )
      .join("")}
    </tbody></table>`);
  const chart: ChartType = new Chart(document.getElementById("load-chart") as HTMLCanvasElement, {
    type: "line",
    data: {
      labels: rows.map((r) =>
        r.concurrency === s.knee.concurrency ? `${r.concurrency} (knee)` : String(r.concurrency),
      ),
      datasets: [
        { label: "p90 TTFT (ms)", data: rows.map((r) => r.ttft_ms.p90), yAxisID: "ms" },
        { label: "p90 inter-token (ms)", data: rows.map((r) => r.itl_ms.p90), yAxisID: "ms" },
        {
          label: "output tokens/s",
          data: rows.map((r) => r.output_tokens_per_second),
          yAxisID: "tps",
          borderDash: [6, 3],
        },
      ],
    },
    options: {
      maintainAspectRatio: false,
      animation: false,
      scales: {
        x: { title: { display: true, text: "concurrent clients" } },
        ms: { position: "left", beginAtZero: true, title: { display: true, text: "milliseconds" } },
        tps: {
          position: "right",
          beginAtZero: true,
          grid: { drawOnChartArea: false },
          title: { display: true, text: "output tokens/s" },
        },
      },
    },
  });
  cleanup.push(() => chart.destroy());
}

// A sweep: the recommendation and the quality × speed chart first, the table after.
async function sweepPage(id: string): Promise<void> {
  const s = await api<Json>(`/api/sweeps/${encodeURIComponent(id)}`);
  const rows = s.rows as Json[];
  render(`
    <h1>${esc(s.kind)} sweep of ${esc(s.model_family)}</h1>
    <p class="answer">${esc(s.recommendation)}</p>
    <div class="chart"><canvas id="frontier" aria-label="Adherence against median latency, one point per row" role="img"></canvas></div>
    <h2>Rows</h2>
    <table><thead><tr><th>Row</th><th>Pass rate</th><th>Adherence</th>${s.kld ? "<th>KLD mean</th><th>Same top</th>" : ""}<th>Median total s</th><th>Decode tok/s</th><th>Peak MiB</th><th>Quality</th></tr></thead><tbody>
    ${rows
      .map(
        (r) =>
          `<tr><td>${esc(r.quant_tag)}</td><td>${pct(r.pass_rate)}</td><td>${fmt(r.adherence_score)}</td>${s.kld ? `<td>${r.kld ? r.kld.mean_kld.toExponential(2) : "ref"}</td><td>${r.kld ? `${r.kld.same_top_percent.toFixed(2)} %` : "ref"}</td>` : ""}<td>${fmt(r.total_latency)}</td><td>${fmt(r.generation_tokens_per_second, 1)}</td><td>${fmt(r.peak_memory_rss, 1)}</td><td>${esc(r.run_quality_status)}</td></tr>`,
      )
      .join("")}
    </tbody></table>`);
  const canvas = document.getElementById("frontier") as HTMLCanvasElement;
  const chart: ChartType = new Chart(canvas, {
    type: "scatter",
    data: {
      datasets: [
        {
          label: "rows",
          data: rows
            .filter((r) => r.total_latency !== null)
            .map((r) => ({ x: r.total_latency, y: r.adherence_score })),
          pointRadius: 5,
        },
      ],
    },
    options: {
      maintainAspectRatio: false,
      plugins: {
        tooltip: {
          callbacks: {
            label: (item) => `${rows.filter((r) => r.total_latency !== null)[item.dataIndex]?.quant_tag}`,
          },
        },
      },
      scales: {
        x: { title: { display: true, text: "median total latency, s" } },
        y: { title: { display: true, text: "adherence" } },
      },
    },
  });
  cleanup.push(() => chart.destroy());
}

async function boardsPage(): Promise<void> {
  const { items } = await api<{ items: Json[] }>("/api/builds");
  render(`<h1>Boards</h1><p class="answer">${items.length} build${items.length === 1 ? "" : "s"}</p>
    <ul>${items.map((b) => `<li><a href="#/boards/${esc(b.build_id)}">${esc(b.build_id)}</a> · ${esc(b.title)}</li>`).join("")}</ul>`);
}

const STATUS_ORDER = [
  "ready",
  "in_progress",
  "code_review",
  "awaiting_guard_review",
  "guard_requested_changes",
  "blocked",
  "done",
];

// A board: the cards in columns by status, read again every second while it is open and drawn again
// only when a card moved (so focus and scroll stay put while nothing changes).
async function boardPage(id: string): Promise<void> {
  let shown = "";
  const draw = async () => {
    const board = await api<{ build: Json; issues: Json[] }>(`/api/builds/${encodeURIComponent(id)}/board`);
    const state = JSON.stringify(board);
    if (state === shown) return;
    shown = state;
    const { build, issues } = board;
    const statuses = [...new Set([...STATUS_ORDER, ...issues.map((i) => i.status as string)])].filter(
      (st) => issues.some((i) => i.status === st) || STATUS_ORDER.includes(st),
    );
    const done = issues.filter((i) => i.status === "done").length;
    render(`
      <h1>${esc(build.title)}</h1>
      <p class="answer">${done} of ${issues.length} cards done</p>
      <div class="columns">${statuses
        .map(
          (st) =>
            `<section class="column" aria-label="${esc(st)}"><h3>${esc(st)}</h3>${issues
              .filter((i) => i.status === st)
              .map(
                (i) =>
                  `<div class="issue"><b>${esc(i.id)}</b><div class="muted">${esc(i.seat)} · turns ${i.turns}</div>${esc(i.summary)}</div>`,
              )
              .join("")}</section>`,
        )
        .join("")}</div>`);
  };
  await draw();
  const timer = setInterval(() => void draw().catch(() => undefined), 1000);
  cleanup.push(() => clearInterval(timer));
}

window.addEventListener("hashchange", () => void route());
void route();
