/**
 * CLI start-up: wall time of `orket --help` (the built CLI, a fresh node process each run), median of
 * many runs after warm-up, beside the floor (`node -e 0`). Target: under 150 ms on the development
 * machine. Run `npm run build` first.
 *
 * Measured twice: with the environment as it is, and without NODE_EXTRA_CA_CERTS, which makes every
 * Node process parse a CA bundle at start (about 130 ms on the development machine) before any of
 * Orket's code runs.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

const RUNS = Number(process.env.BENCH_RUNS ?? 30);
const cli = "dist/cli/main.js";
if (!existsSync(cli)) {
  console.error(`perf:startup: ${cli} is missing; run npm run build first`);
  process.exit(2);
}

let env: NodeJS.ProcessEnv = process.env;

function run(args: string[]): number {
  const start = performance.now();
  const result = spawnSync(process.execPath, [cli, ...args], { encoding: "utf8", env });
  const elapsed = performance.now() - start;
  if (result.status !== 0)
    throw new Error(`orket ${args.join(" ")} exited ${result.status}: ${result.stderr}`);
  return elapsed;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

function measure(label: string): number {
  for (let i = 0; i < 3; i++) spawnSync(process.execPath, ["-e", "0"], { env });
  const floor = median(
    Array.from({ length: RUNS }, () => {
      const start = performance.now();
      spawnSync(process.execPath, ["-e", "0"], { env });
      return performance.now() - start;
    }),
  );
  console.log(label);
  console.log(`  node -e 0 (the floor)     ${floor.toFixed(1)} ms`);
  let help = Number.NaN;
  for (const args of [["--help"], ["generate", "--help"], ["--version"]]) {
    for (let i = 0; i < 3; i++) run(args);
    const m = median(Array.from({ length: RUNS }, () => run(args)));
    if (args[0] === "--help") help = m;
    console.log(
      `  orket ${args.join(" ").padEnd(19)} ${m.toFixed(1)} ms  (${(m - floor).toFixed(1)} ms above the floor)`,
    );
  }
  return help;
}

console.log(`CLI start-up (${RUNS} runs each, node ${process.version})`);
const asIs = measure("environment as it is:");
env = { ...process.env };
delete env.NODE_EXTRA_CA_CERTS;
const clean = measure("without NODE_EXTRA_CA_CERTS:");
console.log(
  `result: orket --help ${clean.toFixed(1)} ms -> ${clean < 150 ? "PASS" : "ABOVE TARGET"} (target < 150 ms; ${asIs.toFixed(1)} ms with NODE_EXTRA_CA_CERTS set)`,
);
