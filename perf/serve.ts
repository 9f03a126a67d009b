/**
 * `orket serve` under load, on loopback: a project with 1,000 epic runs and a 10,000-task report in its
 * history. autocannon drives a list route (`/api/runs`, a page of 50) and the report-summary route with
 * 10 and then 50 concurrent clients, 5 s each; targets p99 under 20 ms at 10 clients and under 100 ms at
 * 50. Then Chromium (Debian's, via playwright-core) opens the dashboard on that report: first load, from
 * navigation to the answer and the first page of rows on screen, target under 1 s; and how long the
 * filter takes to answer a keystroke over 10,000 rows. Run `npm run build` first (the dashboard).
 */
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import autocannon from "autocannon";
import { addHistoryFiles } from "../src/bench/history.js";
import { mulberry32 } from "../src/core/shared/random.js";
import { BUILTIN_EPICS } from "../src/runtime/builtins/epics.js";
import { CardStore } from "../src/store/card-store.js";
import { openDatabase } from "../src/store/db.js";
import { projectDatabasePath } from "../src/store/project-state.js";
import { RunStore } from "../src/store/run-store.js";
import { launchChromium } from "../test/support/chromium.js";
import { reportOf, testRun } from "../test/support/lab-fixtures.js";

const RUNS = 1000;
const TASKS = 10_000;

const project = mkdtempSync(join(tmpdir(), "orket-perf-serve-"));
const database = projectDatabasePath(project);
{
  const db = openDatabase(database);
  const epic = BUILTIN_EPICS[0];
  if (!epic) throw new Error("no built-in epic");
  new CardStore(db).syncEpic("perf", epic, new Date());
  const runs = new RunStore(db);
  for (let i = 0; i < RUNS; i++) {
    const runId = `run-${String(i).padStart(4, "0")}`;
    runs.startRun({
      runId,
      buildId: "perf",
      epicId: epic.id,
      modelRef: "replay/perf.jsonl",
      workspace: project,
      pid: null,
      now: new Date(Date.UTC(2026, 0, 1) + i * 60_000),
    });
    runs.finishRun(runId, "done", { status: "done" }, new Date(Date.UTC(2026, 0, 1) + i * 60_000 + 30_000));
  }
  db.close();
}
const random = mulberry32(7);
const report = reportOf(
  Array.from({ length: TASKS }, (_, i) =>
    testRun({
      task: `task-${i}`,
      outcome: random() < 0.8 ? "pass" : "fail",
      init: 0.05 + random() * 0.05,
      tps: 80 + random() * 40,
      rss: 500 + random() * 50,
      adherence: Math.round(random() * 10) / 10,
    }),
  ),
  "replay/perf",
);
report.settings.runs_per_task = 1;
const reportPath = join(project, "orket_report.json");
writeFileSync(reportPath, JSON.stringify(report));
await addHistoryFiles(database, [reportPath]);

// The server runs in its own process, as a user runs it: autocannon's clients would otherwise share its
// one JavaScript thread.
const child = spawn(process.execPath, ["dist/cli/main.js", "serve", "--port", "0", "--project", project], {
  env: { ...process.env, ORKET_HOME: join(project, "home") },
  stdio: ["ignore", "ignore", "pipe"],
});
let stderr = "";
const url = await new Promise<string>((resolve, reject) => {
  child.stderr?.on("data", (d: Buffer) => {
    stderr += d.toString();
    const found = /serving .* on (http:\/\/\S+)/.exec(stderr)?.[1];
    if (found) resolve(found);
  });
  child.on("exit", () => reject(new Error(`orket serve exited:\n${stderr}`)));
});
const server = {
  url,
  close: () =>
    new Promise<void>((resolve) => {
      child.once("exit", () => resolve());
      child.kill("SIGTERM");
    }),
};
console.log(
  `perf:serve: ${RUNS} runs, a ${TASKS}-task report; ${availableParallelism()} cores, load ${loadavg()[0]?.toFixed(2)}`,
);

const verdicts: string[] = [];
for (const [name, path] of [
  ["list (/api/runs, 50 a page)", "/api/runs?limit=50&offset=100"],
  ["report summary (/api/reports/1/summary)", "/api/reports/1/summary"],
] as const) {
  await fetch(`${server.url}${path}`); // warm: the report is read and validated once
  for (const [connections, target] of [
    [10, 20],
    [50, 100],
  ] as const) {
    const result = await autocannon({ url: `${server.url}${path}`, connections, duration: 5 });
    const p99 = result.latency.p99;
    const ok = p99 < target && result.non2xx === 0 && result.errors === 0;
    verdicts.push(`${name} ×${connections}: ${ok ? "PASS" : "FAIL"}`);
    console.log(
      `  ${name.padEnd(42)} ${String(connections).padStart(2)} clients: p50 ${result.latency.p50} ms, p99 ${p99} ms, ${Math.round(result.requests.average)} req/s, ${result.non2xx} non-2xx (target p99 < ${target} ms) ${ok ? "PASS" : "FAIL"}`,
    );
  }
}

const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const loads: number[] = [];
  for (let i = 0; i < 3; i++) {
    const started = performance.now();
    await page.goto(`${server.url}/#/reports/1`, { waitUntil: "commit" });
    await page.waitForSelector("#rows tr", { state: "attached" });
    await page.waitForSelector(".answer");
    loads.push(performance.now() - started);
    await page.goto("about:blank");
  }
  await page.goto(`${server.url}/#/reports/1`);
  await page.waitForSelector("#rows tr");
  const started = performance.now();
  await page.fill("#filter", "task-9999");
  await page.waitForFunction("document.querySelectorAll('#rows tr').length === 1");
  const filter = performance.now() - started;
  const first = [...loads].sort((a, b) => a - b)[1] as number;
  verdicts.push(`dashboard first load: ${first < 1000 ? "PASS" : "FAIL"}`);
  console.log(
    `  dashboard, ${TASKS}-task report: first load ${loads.map((t) => t.toFixed(0)).join(", ")} ms (median ${first.toFixed(0)}; target < 1000) ${first < 1000 ? "PASS" : "FAIL"}; filter to 1 of ${TASKS} rows ${filter.toFixed(0)} ms`,
  );
} finally {
  await browser.close();
  await server.close();
}
console.log(
  verdicts.every((v) => v.endsWith("PASS"))
    ? "result: PASS"
    : `result: ${verdicts.filter((v) => v.endsWith("FAIL")).join("; ")}`,
);
