/**
 * Orket's own time per test run: the built-in bank's first 40 tasks against an instant replay model that
 * answers each with its reference solution. What is measured is everything but the model: prompt,
 * extraction, the ConstraintValidator, the evaluator sandbox, telemetry and the report. Target: under
 * 150 ms per test run (median).
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadBank } from "../src/bench/bank/bank-loader.js";
import { runBenchmark } from "../src/bench/runner.js";
import { writeScript } from "../test/support/script-cassette.js";

const bank = await loadBank("builtin");
const tasks = bank.tasks.slice(0, 40);
const dir = mkdtempSync(join(tmpdir(), "orket-bench-runner-"));
const cassette = writeScript(
  join(dir, "answers.jsonl"),
  tasks.map((t) => `\`\`\`${t.language}\n${t.reference_solution}\n\`\`\``),
);
const started = performance.now();
const { report } = await runBenchmark({
  model: `replay/${cassette}`,
  tasks: tasks.map((t) => t.id).join(","),
  home: join(dir, ".orket"),
  out: join(dir, "results"),
  providers: { replayPacing: "instant" },
});
const wall = (performance.now() - started) / 1000;
const own = report.test_runs
  .map((r) => (r.telemetry.total_latency - r.telemetry.internal_model_seconds) * 1000)
  .sort((a, b) => a - b);
const byLanguage = (lang: string) =>
  report.test_runs
    .filter((r) => tasks.find((t) => t.id === r.task_id)?.language === lang)
    .map((r) => (r.telemetry.total_latency - r.telemetry.internal_model_seconds) * 1000)
    .sort((a, b) => a - b);
const median = (v: number[]) => v[Math.floor(v.length / 2)] ?? Number.NaN;
console.log(`40-task bench, instant replay model answering with the reference solutions`);
console.log(`  ${report.summary.outcomes.pass}/${report.test_runs.length} pass · wall ${wall.toFixed(2)} s`);
console.log(
  `  Orket's time per test run: median ${median(own).toFixed(1)} ms, p90 ${(own[Math.floor(own.length * 0.9)] ?? 0).toFixed(1)} ms, max ${(own.at(-1) ?? 0).toFixed(1)} ms`,
);
for (const lang of ["python", "typescript", "javascript"]) {
  const v = byLanguage(lang);
  if (v.length) console.log(`    ${lang.padEnd(11)} n=${v.length} median ${median(v).toFixed(1)} ms`);
}
console.log(`  result: ${median(own) < 150 ? "PASS" : "ABOVE TARGET"} (target: median < 150 ms)`);
