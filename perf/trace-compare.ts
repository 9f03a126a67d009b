/**
 * `orket memory compare` on traces at the size cap: two ~10 MiB determinism traces (plus their retrieval
 * traces) written to a temporary folder, then read, parsed, validated and compared, (a) equivalent and
 * (b) divergent at the last event. Median of several runs in this process, and end to end through the
 * built CLI (a fresh node process each, median of 3). Target: under 1 s. Run `npm run build` first
 * for the CLI column.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { compareTraces } from "../src/core/memory/trace-compare.js";
import { loadDeterminismTrace, loadRetrievalTrace, writeTrace } from "../src/memory/trace-file.js";
import { DEFAULT_MAX_TRACE_BYTES } from "../src/spec/memory.js";
import { jsonBytes, makeTraces } from "../test/support/trace-fixtures.js";

const REPS = 7;
/** Fresh CLI processes per case: few, as each re-reads 27 MiB; the median of them is reported. */
const CLI_REPS = 3;
const TARGET_MS = 1000;
const CLI = "dist/cli/main.js";
const dir = mkdtempSync(join(tmpdir(), "orket-bench-trace-compare-"));

/** About the most events of this recipe that fit in the cap, so the traces are as big as one can be. */
function eventsToFill(argBytes: number): number {
  // Run ids are in every event id: size it with one as long as the longest used below.
  const size = (events: number) => jsonBytes(makeTraces({ runId: "x".repeat(16), events, argBytes }).trace);
  let events = Math.floor((DEFAULT_MAX_TRACE_BYTES / size(10_000)) * 10_000);
  while (size(events) > DEFAULT_MAX_TRACE_BYTES) events = Math.floor(events * 0.995);
  return events;
}

async function writeRun(name: string, events: number, argBytes: number, diverge: boolean) {
  const { trace, retrieval } = makeTraces({ runId: name, events, argBytes });
  if (diverge) {
    const last = trace.events.at(-1);
    const call = last?.tool_calls[0];
    if (call) call.normalized_args = { path: "src/elsewhere.py", content: "print('different')" };
    else if (last) last.decision_type = "different";
  }
  const tracePath = join(dir, name, "memory_trace.json");
  const retrievalPath = join(dir, name, "memory_retrieval_trace.json");
  const written = await writeTrace(tracePath, trace);
  await writeTrace(retrievalPath, retrieval);
  if (written.truncated) throw new Error(`${tracePath} was truncated: the recipe is over the cap`);
  return { tracePath, retrievalPath };
}

async function readParseCompare(left: string, right: string) {
  const [l, r, lr, rr] = await Promise.all([
    loadDeterminismTrace(join(left, "memory_trace.json")),
    loadDeterminismTrace(join(right, "memory_trace.json")),
    loadRetrievalTrace(join(left, "memory_retrieval_trace.json")),
    loadRetrievalTrace(join(right, "memory_retrieval_trace.json")),
  ]);
  const started = performance.now();
  const result = compareTraces(l.trace, r.trace, { leftRetrieval: lr.trace, rightRetrieval: rr.trace });
  return { result, compareMs: performance.now() - started };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;
const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(2);

interface Row {
  label: string;
  events: number;
  traceMiB: string;
  retrievalMiB: string;
  totalMs: number;
  compareMs: number;
  cliMs: number | null;
  outcome: string;
}

const rows: Row[] = [];
for (const { label, argBytes } of [
  { label: "args ~300 B", argBytes: 250 },
  { label: "args ~50 B", argBytes: 0 },
]) {
  const events = eventsToFill(argBytes);
  const left = await writeRun(`${argBytes}-left`, events, argBytes, false);
  for (const diverge of [false, true]) {
    const right = await writeRun(`${argBytes}-right-${diverge}`, events, argBytes, diverge);
    const leftDir = join(left.tracePath, "..");
    const rightDir = join(right.tracePath, "..");
    await readParseCompare(leftDir, rightDir); // warm-up
    const totals: number[] = [];
    const compares: number[] = [];
    let outcome = "";
    for (let rep = 0; rep < REPS; rep++) {
      const started = performance.now();
      const { result, compareMs } = await readParseCompare(leftDir, rightDir);
      totals.push(performance.now() - started);
      compares.push(compareMs);
      outcome = result.equivalent
        ? `equivalent (${result.compared_events} events)`
        : `divergent at ${result.divergence?.field}`;
    }
    let cliMs: number | null = null;
    if (existsSync(CLI)) {
      const runs: number[] = [];
      for (let rep = 0; rep < CLI_REPS; rep++) {
        const started = performance.now();
        const cli = spawnSync(
          process.execPath,
          [CLI, "memory", "compare", "--left", leftDir, "--right", rightDir],
          { encoding: "utf8" },
        );
        runs.push(performance.now() - started);
        if (cli.status !== (diverge ? 1 : 0)) {
          throw new Error(`orket memory compare: exit ${cli.status}: ${cli.stderr}`);
        }
      }
      cliMs = median(runs);
    }
    rows.push({
      label: `${label}, ${diverge ? "(b) divergent at last" : "(a) equivalent"}`,
      events,
      traceMiB: mib(statSync(left.tracePath).size),
      retrievalMiB: mib(statSync(left.retrievalPath).size),
      totalMs: median(totals),
      compareMs: median(compares),
      cliMs,
      outcome,
    });
  }
}

console.log(
  `memory trace compare: two traces at the ${mib(DEFAULT_MAX_TRACE_BYTES)} MiB cap, median of ${REPS} (CLI: of ${CLI_REPS})`,
);
console.log(
  `  machine: ${availableParallelism()} cores, load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(" ")} (other work on it slows every row)`,
);
console.log(
  `  ${"case".padEnd(38)} ${"events".padStart(6)} ${"trace".padStart(9)} ${"retr.".padStart(9)} ${"read+parse+cmp".padStart(15)} ${"cmp only".padStart(9)} ${"CLI e2e".padStart(8)}`,
);
for (const r of rows) {
  console.log(
    `  ${r.label.padEnd(38)} ${String(r.events).padStart(6)} ${`${r.traceMiB} MiB`.padStart(9)} ${`${r.retrievalMiB} MiB`.padStart(9)} ${`${r.totalMs.toFixed(0)} ms`.padStart(15)} ${`${r.compareMs.toFixed(0)} ms`.padStart(9)} ${(r.cliMs === null ? "n/a" : `${r.cliMs.toFixed(0)} ms`).padStart(8)}`,
  );
  console.log(`    ${r.outcome}`);
}
let floor: number | null = null;
if (existsSync(CLI)) {
  const floors: number[] = [];
  for (let rep = 0; rep < 3; rep++) {
    const started = performance.now();
    spawnSync(process.execPath, [CLI, "--help"], { encoding: "utf8" });
    floors.push(performance.now() - started);
  }
  floor = median(floors);
}
const verdict = (ms: number) => (ms < TARGET_MS ? "PASS" : "ABOVE TARGET");
const library = Math.max(...rows.map((r) => r.totalMs));
console.log("  target: < 1 s to read, parse, validate and compare both traces and both retrieval traces");
console.log(`  library (in process):  ${verdict(library)}, worst median ${library.toFixed(0)} ms`);
if (floor !== null) {
  const cli = Math.max(...rows.map((r) => r.cliMs ?? 0));
  console.log(
    `  CLI (fresh process):   ${verdict(cli)}, worst median ${cli.toFixed(0)} ms, of which ${floor.toFixed(0)} ms is start-up (orket --help)`,
  );
}
if (!existsSync(CLI)) console.log(`  (no ${CLI}: run npm run build for the CLI column)`);
rmSync(dir, { recursive: true, force: true });
