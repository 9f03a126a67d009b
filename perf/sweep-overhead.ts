/**
 * What a quant sweep costs beyond the benchmark runs it makes: target resolution, the hardware
 * fingerprint and commit lookup, a sidecar window and report per row, the frontier, schema validation and
 * the two atomic (fsync'd) writes of the summary. Two quants of an instant replay model (a cassette
 * recorded from a model that answers every task with its reference solution), BENCH_TASKS tasks (10 by
 * default) × 1 run each, the canary included, BENCH_REPEATS sweeps (3); the median counts.
 * overhead = (total − benchmark) / total, with total as the summary records it and also as the wall time
 * around `runQuantSweep` (which adds the writes). An instant model is the hardest case: with a real model
 * the runs take seconds each and the same fixed cost shrinks in proportion. The machine's load is not
 * judged (a steady sampler), so a busy machine does not stop the canary. Target: under 2 %.
 */
import { copyFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadBank } from "../src/bench/bank/bank-loader.js";
import { runBenchmark } from "../src/bench/runner.js";
import { runQuantSweep } from "../src/lab/sweep.js";
import { recordCassette } from "../src/providers/cassette.js";
import type { FinishPart, ModelAdapter, ModelRequest, StreamPart } from "../src/spec/model.js";

const TASKS = Number(process.env.BENCH_TASKS ?? 10);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);

const bank = await loadBank("builtin");
const tasks = bank.tasks.slice(0, TASKS);
const selection = `1-${tasks.length}`;
const dir = mkdtempSync(join(tmpdir(), "orket-bench-sweep-"));

/** Answers each task with its reference solution, found by the task's instruction in the prompt. */
function answer(request: ModelRequest): string {
  const user = request.messages.at(-1)?.content ?? "";
  const task = tasks.find((t) => user.startsWith(t.instruction));
  return task ? `\`\`\`${task.language}\n${task.reference_solution}\n\`\`\`` : "no idea";
}
const finish: FinishPart = {
  type: "finish",
  finishReason: { unified: "stop", raw: "stop" },
  usage: { promptTokens: 200, outputTokens: 60 },
  timings: { source: "llama.cpp", loadSeconds: undefined, prefillSeconds: 0.001, decodeSeconds: 0.002 },
};
const oracle: ModelAdapter = {
  ref: "bench/oracle",
  provider: "replay",
  modelId: "oracle",
  capabilities: { trueStreaming: true, inferenceProcess: { kind: "self" } },
  async *stream(request): AsyncGenerator<StreamPart> {
    yield { type: "text-delta", text: answer(request) };
    yield finish;
  },
  async generate(request) {
    return {
      text: answer(request),
      finishReason: finish.finishReason,
      usage: finish.usage,
      timings: finish.timings,
    };
  },
};

// Two recordings per task: the canary asks its tasks twice within one adapter.
const cassette = join(dir, "oracle.jsonl");
await runBenchmark({
  adapter: recordCassette(oracle, cassette),
  tasks: selection,
  runs: 2,
  home: join(dir, ".orket"),
  out: join(dir, "recording"),
});
copyFileSync(cassette, join(dir, "q8_0.jsonl"));
copyFileSync(cassette, join(dir, "q4_K_M.jsonl"));

const steadyLoad = { sample: () => ({ cpu_percent: 5, load_1m: 0.1, core_count: 2 }) };

interface Sample {
  total: number;
  benchmark: number;
  wall: number;
  runs: number;
  valid: number;
}
const samples: Sample[] = [];
for (let i = 0; i < REPEATS; i++) {
  const started = performance.now();
  const { summary } = await runQuantSweep({
    home: join(dir, ".orket"),
    out: join(dir, `sweep-${i}`),
    models: [
      { quant: "q8_0", ref: `replay/${join(dir, "q8_0.jsonl")}` },
      { quant: "q4_K_M", ref: `replay/${join(dir, "q4_K_M.jsonl")}` },
    ],
    tasks: selection,
    runs: 1,
    providers: { replayPacing: "instant" },
    // A busy machine would pollute the runs and stop the canary; the load is not what is measured here.
    loadSampler: steadyLoad,
  });
  const wall = (performance.now() - started) / 1000;
  samples.push({
    total: summary.timing.total_seconds,
    benchmark: summary.timing.benchmark_seconds,
    wall,
    runs: summary.rows.reduce((n, r) => n + r.test_runs, 0),
    valid: summary.rows.reduce((n, r) => n + r.valid_runs, 0),
  });
  if (i === 0) console.log(`canary ${summary.canary.decision}; recommendation: ${summary.recommendation}`);
}

const pct = (part: number, whole: number) => (whole > 0 ? (part / whole) * 100 : Number.NaN);
const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;
console.log(
  `quant sweep, 2 quants × ${tasks.length} tasks × 1 run (+ canary), instant replay model, ${REPEATS} sweeps`,
);
for (const s of samples) {
  console.log(
    `  total ${s.total.toFixed(3)} s · benchmark ${s.benchmark.toFixed(3)} s · overhead ${(s.total - s.benchmark).toFixed(3)} s = ${pct(s.total - s.benchmark, s.total).toFixed(2)} % · with the writes ${pct(s.wall - s.benchmark, s.wall).toFixed(2)} % · ${s.valid}/${s.runs} row runs valid`,
  );
}
const overhead = median(samples.map((s) => pct(s.total - s.benchmark, s.total)));
const withWrites = median(samples.map((s) => pct(s.wall - s.benchmark, s.wall)));
const perRowMs = median(samples.map((s) => ((s.wall - s.benchmark) * 1000) / 2));
console.log(
  `  median overhead ${overhead.toFixed(2)} % (${withWrites.toFixed(2)} % with the summary writes), ${perRowMs.toFixed(1)} ms per row`,
);
console.log(`  result: ${withWrites < 2 ? "PASS" : "ABOVE TARGET"} (target: overhead < 2 %)`);
