/**
 * CLI start-up: wall time of `orket --help` (the built CLI, a fresh node process each run), median of
 * many runs after warm-up. Target: under 150 ms on the development machine. Run `npm run build` first.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

const RUNS = Number(process.env.BENCH_RUNS ?? 30);
const cli = "dist/cli/main.js";
if (!existsSync(cli)) {
  console.error(`bench:startup: ${cli} is missing; run npm run build first`);
  process.exit(2);
}

function run(args: string[]): number {
  const start = performance.now();
  const result = spawnSync(process.execPath, [cli, ...args], { encoding: "utf8" });
  const elapsed = performance.now() - start;
  if (result.status !== 0)
    throw new Error(`orket ${args.join(" ")} exited ${result.status}: ${result.stderr}`);
  return elapsed;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

const baseline = (() => {
  for (let i = 0; i < 3; i++) spawnSync(process.execPath, ["-e", "0"]);
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    spawnSync(process.execPath, ["-e", "0"]);
    times.push(performance.now() - start);
  }
  return median(times);
})();

console.log(`CLI start-up (${RUNS} runs each, node ${process.version})`);
console.log(`  node -e 0 (the floor)     ${baseline.toFixed(1)} ms`);
let worst = 0;
for (const args of [["--help"], ["generate", "--help"], ["--version"]]) {
  for (let i = 0; i < 3; i++) run(args);
  const times = Array.from({ length: RUNS }, () => run(args));
  const m = median(times);
  worst = Math.max(worst, m);
  console.log(`  orket ${args.join(" ").padEnd(19)} ${m.toFixed(1)} ms`);
}
console.log(`result: ${worst < 150 ? "PASS" : "ABOVE TARGET"} (target < 150 ms for orket --help)`);
