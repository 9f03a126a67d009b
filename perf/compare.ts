/**
 * `orket report compare` at scale: two 10,000-task reports (one run each, every figure varying), with
 * 2,000 bootstrap resamples. Times (a) compareReports alone in this process, median of 5, and (b) the
 * whole command through the built CLI (read, validate, compare, render), median of 3 fresh processes.
 * Target: under 2 s. Run `npm run build` first for the CLI column.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { compareReports } from "../src/core/bench/compare.js";
import { mulberry32 } from "../src/core/shared/random.js";
import type { Report } from "../src/spec/report.js";
import { reportOf, testRun } from "../test/support/lab-fixtures.js";

const TASKS = 10_000;
const TARGET_MS = 2000;
const CLI = "dist/cli/main.js";

function bigReport(seed: number, slow: number): Report {
  const random = mulberry32(seed);
  const runs = Array.from({ length: TASKS }, (_, i) => {
    const run = testRun({
      task: `task-${i}`,
      outcome: random() < 0.8 ? "pass" : "fail",
      init: 0.05 + random() * 0.05 * slow,
      tps: 80 + random() * 40,
      rss: 500 + random() * 50,
      adherence: Math.round(random() * 10) / 10,
    });
    return { ...run, telemetry: { ...run.telemetry, total_latency: (0.5 + random()) * slow } };
  });
  const report = reportOf(runs, `replay/${seed}`);
  report.settings.runs_per_task = 1;
  report.settings.bank = { ...report.settings.bank, sha256: "c".repeat(64) };
  return report;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

const baseline = bigReport(1, 1);
const candidate = bigReport(2, 1.05);
const info = {
  path: "candidate.json",
  model_ref: "replay/2",
  report_generated_at: candidate.report_generated_at,
  bank: { name: "builtin", version: "1", sha256: null },
  runs_per_task: 1,
};

console.log(
  `perf:compare: ${TASKS} tasks per report, 2000 resamples; ${availableParallelism()} cores, load ${loadavg()[0]?.toFixed(2)}`,
);
const inProcess: number[] = [];
const cpu: number[] = [];
for (let i = 0; i < 5; i++) {
  const started = performance.now();
  const cpuStart = process.cpuUsage();
  const result = compareReports(baseline, candidate, info, { resamples: 2000, seed: 1, confidence: 0.95 });
  inProcess.push(performance.now() - started);
  const used = process.cpuUsage(cpuStart);
  cpu.push((used.user + used.system) / 1000);
  if (i === 0) console.log(`  verdict: ${result.verdict}`);
}
console.log(
  `  compareReports: median ${median(inProcess).toFixed(0)} ms wall, ${median(cpu).toFixed(0)} ms CPU (runs: ${inProcess.map((t) => t.toFixed(0)).join(", ")})`,
);

if (existsSync(CLI)) {
  const dir = mkdtempSync(join(tmpdir(), "orket-perf-compare-"));
  const a = join(dir, "a.json");
  const b = join(dir, "b.json");
  writeFileSync(a, JSON.stringify(baseline));
  writeFileSync(b, JSON.stringify(candidate));
  const cli: number[] = [];
  for (let i = 0; i < 3; i++) {
    const started = performance.now();
    const run = spawnSync(process.execPath, [CLI, "report", "compare", a, b, "--json"], {
      encoding: "utf8",
      maxBuffer: 1 << 28,
    });
    cli.push(performance.now() - started);
    if (run.status !== 0) throw new Error(`orket report compare failed: ${run.stderr}`);
  }
  console.log(
    `  orket report compare (fresh process, ${(statSync(a).size / 2 ** 20).toFixed(1)} MiB per report): median ${median(cli).toFixed(0)} ms`,
  );
  rmSync(dir, { recursive: true, force: true });
  const worst = Math.max(median(inProcess), median(cli));
  console.log(worst < TARGET_MS ? `  under the ${TARGET_MS} ms target` : `  OVER the ${TARGET_MS} ms target`);
} else console.log(`  (no ${CLI}: npm run build for the CLI figure)`);
