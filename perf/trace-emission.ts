/**
 * Memory trace emission overhead per turn. Target: under 1 ms.
 *   1. end to end: a 30-issue epic (90 turns) on an instant model, with and without `memoryTrace`,
 *      alternated over several rounds; (median wall time on − median off) / turns;
 *   2. the recorder alone: one typical turn's hooks (a prompt, a model answer with three tool calls,
 *      three tool requests and results) plus writing both trace files, median per turn.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BUILTIN_ROLES } from "../src/runtime/builtins/roles.js";
import type { TurnContext } from "../src/runtime/interceptors.js";
import { MemoryTraceRecorder } from "../src/runtime/memory-trace.js";
import { runEpic } from "../src/runtime/orchestrator.js";
import type { CallTelemetry } from "../src/spec/telemetry.js";
import type { ToolCall } from "../src/spec/tools.js";
import { createInstantModel, wideEpic } from "./support/instant-model.js";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};

// 1. End to end.
{
  const epic = wideEpic(30);
  const dir = mkdtempSync(join(tmpdir(), "orket-bench-trace-"));
  mkdirSync(join(dir, "orket", "epics"), { recursive: true });
  writeFileSync(join(dir, "orket", "epics", `${epic.id}.json`), JSON.stringify(epic));
  const times: Record<"on" | "off", number[]> = { on: [], off: [] };
  let turns = 0;
  for (let round = 0; round <= ROUNDS; round++) {
    for (const mode of round % 2 ? (["on", "off"] as const) : (["off", "on"] as const)) {
      const started = performance.now();
      const summary = await runEpic({
        projectDir: dir,
        home: join(dir, `.orket-${mode}-${round}`),
        epicId: epic.id,
        workspaceDir: join(dir, `ws-${mode}-${round}`),
        adapter: createInstantModel(),
        concurrency: 1,
        memoryTrace: mode === "on",
      });
      if (summary.status !== "done") throw new Error(`bench epic ended ${summary.status}`);
      turns = summary.turns;
      if (round > 0) times[mode].push(performance.now() - started);
    }
  }
  const perTurn = (median(times.on) - median(times.off)) / turns;
  console.log(`end to end: ${turns} turns per run, ${ROUNDS} rounds after 1 warm-up, instant model`);
  console.log(
    `  run without traces ${median(times.off).toFixed(1)} ms, with traces ${median(times.on).toFixed(1)} ms`,
  );
  console.log(
    `  emission overhead per turn: ${perTurn.toFixed(3)} ms (noisy: the difference of two medians)`,
  );
}

// 2. The recorder alone.
{
  const role = BUILTIN_ROLES.find((r) => r.name === "coder");
  if (!role) throw new Error("no coder role");
  const recorder = new MemoryTraceRecorder({
    runId: "bench",
    workflowId: "bench",
    settings: { temperature: 0, seed: 1 },
    dialectFor: () => ({
      name: "default",
      match: [],
      tool_call_format: "json_fenced",
      system_prefix: "",
      native_tools: false,
    }),
    lane: "ci",
    vramProfile: "safe",
  } as ConstructorParameters<typeof MemoryTraceRecorder>[0]);
  const out = mkdtempSync(join(tmpdir(), "orket-bench-recorder-"));
  const calls: ToolCall[] = [
    {
      id: "call_1",
      name: "write_file",
      args: { path: "app.py", content: "print('hi')\n".repeat(40) },
      source: "fenced",
    },
    { id: "call_2", name: "add_issue_comment", args: { body: "done" }, source: "fenced" },
    { id: "call_3", name: "update_issue_status", args: { status: "code_review" }, source: "fenced" },
  ];
  const telemetry = {} as CallTelemetry;
  const samples: number[] = [];
  for (let i = 0; i < 2200; i++) {
    const ctx = {
      runId: "bench",
      buildId: "b",
      epicId: "bench",
      issue: { id: `issue-${i}` },
      seat: "coder",
      role,
      turn: 1,
      attempt: 0,
      memory: { mode: "off", snapshotId: "none" },
    } as unknown as TurnContext;
    const started = performance.now();
    recorder.before_prompt(ctx);
    recorder.after_model(ctx, { text: "", toolCalls: calls, parseFailures: 0, telemetry });
    for (const call of calls) {
      recorder.before_tool(ctx, call);
      recorder.after_tool(ctx, call, {
        ok: true,
        output: { path: "app.py", bytes: 480, status: "code_review" },
      });
    }
    await recorder.after_turn(ctx, {
      // A fresh folder per turn, as in a run (replacing an existing file costs ext4 a flush).
      folder: join(out, String(i)),
      outcome: "ok",
      code: null,
      statusBefore: "in_progress",
      statusAfter: "code_review",
      modelRef: "instant/bench",
    });
    if (i >= 200) samples.push(performance.now() - started);
  }
  const p95 = [...samples].sort((a, b) => a - b)[Math.floor(samples.length * 0.95)] ?? Number.NaN;
  console.log(`recorder alone: ${samples.length} turns of 8 events, both files written`);
  console.log(`  median ${median(samples).toFixed(3)} ms   p95 ${p95.toFixed(3)} ms`);
  console.log(`  result: ${median(samples) < 1 ? "PASS" : "ABOVE TARGET"} (target: < 1 ms per turn)`);
}
