/**
 * Whether a quant sweep measures each row in a clean state: the peak RSS of every row of a sweep over
 * six real quantizations (made by llama-quantize from the code-writing test model, reached through
 * symbolic links) against the same quant benchmarked alone, in its own `orket bench` process. The
 * embedded engine runs in the process it measures, so a row that inherited an earlier row's memory
 * would show here. Target: every row within 10 % of its solo run.
 *
 *   npm run perf:sweep-memory              (BENCH_TASKS=1-51 by default; needs `npm run llama:build`)
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const QUANTS = ["Q8_0", "Q6_K", "Q5_K_M", "Q4_K_M", "Q3_K_M", "Q2_K"];
const TASKS = process.env.BENCH_TASKS ?? "1-51";
const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const cli = join(root, "dist", "cli", "main.js");
if (!existsSync(cli)) throw new Error("run `npm run build` first");
const bin = execFileSync(process.execPath, [join(root, "scripts", "llama-cpp.mjs"), "where"], {
  encoding: "utf8",
}).trim();
const f32 = join(root, "test", "fixtures", "models", "orket-builtin-memorizer-f32.gguf");

const dir = mkdtempSync(join(tmpdir(), "orket-bench-sweep-memory-"));
const blobs = join(dir, "blobs");
const links = join(dir, "snapshot");
mkdirSync(blobs);
mkdirSync(links);
for (const quant of QUANTS) {
  const blob = join(blobs, `sha-${quant}`);
  execFileSync(join(bin, "llama-quantize"), [f32, blob, quant], { stdio: "ignore" });
  symlinkSync(blob, join(links, `memorizer-${quant}.gguf`));
}

function orket(args: string[]): void {
  const run = spawnSync(process.execPath, [cli, ...args], { cwd: dir, encoding: "utf8" });
  if (run.status !== 0) throw new Error(`orket ${args.join(" ")} exited ${run.status}:\n${run.stderr}`);
}

const started = performance.now();
orket([
  "sweep",
  "quant",
  "--gguf-dir",
  links,
  "--quants",
  QUANTS.join(","),
  "--tasks",
  TASKS,
  "--out",
  join(dir, "sweep"),
]);
const sweepSeconds = (performance.now() - started) / 1000;
const summary = JSON.parse(readFileSync(join(dir, "sweep", "sweep_summary.json"), "utf8"));

const rows: string[] = [];
let worst = 0;
for (const quant of QUANTS) {
  const out = join(dir, `solo-${quant}`);
  orket([
    "bench",
    "--model",
    `gguf/${join(links, `memorizer-${quant}.gguf`)}`,
    "--tasks",
    TASKS,
    "--out",
    out,
  ]);
  const report = JSON.parse(readFileSync(join(out, "orket_report.json"), "utf8"));
  const solo = Math.max(
    ...report.test_runs.map(
      (r: { telemetry: { peak_memory_rss: number | null } }) => r.telemetry.peak_memory_rss ?? 0,
    ),
  );
  const row = summary.rows.find((r: { quant_tag: string }) => r.quant_tag === quant);
  if (row.peak_memory_rss === null) {
    rows.push(
      `${quant.padEnd(7)} no valid paired run (${row.null_reasons.peak_memory_rss}): run it on a quiet machine`,
    );
    worst = Number.POSITIVE_INFINITY;
    continue;
  }
  const ratio = row.peak_memory_rss / solo;
  worst = Math.max(worst, Math.abs(ratio - 1));
  rows.push(
    `${quant.padEnd(7)} ${String(row.valid_runs).padStart(3)}/${String(row.test_runs).padEnd(3)} paired ${String(row.paired_tasks).padEnd(3)} row ${row.peak_memory_rss.toFixed(1).padStart(7)} MiB  alone ${solo.toFixed(1).padStart(7)} MiB  ratio ${ratio.toFixed(3)}`,
  );
}
console.log(`quant sweep, tasks ${TASKS}, canary ${summary.canary.decision}: ${summary.canary.reason}`);
console.log(
  `pairing: ${summary.pairing.paired_tasks} of ${summary.pairing.tasks} tasks paired; sweep ${sweepSeconds.toFixed(1)} s`,
);
for (const line of rows) console.log(line);
console.log(`largest difference from the solo run: ${(worst * 100).toFixed(1)} % (target: under 10 %)`);
if (worst >= 0.1) process.exitCode = 1;
