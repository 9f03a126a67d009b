/**
 * Orchestration overhead, with an instant model so that everything measured is Orket's own work
 * (prompts, parsing, the tool gate, SQLite transitions, turn artifacts, the event log):
 *   1. per turn: median and p95 of (turn wall time − time inside the model), over a 30-issue epic;
 *      target: median under 5 ms on the development machine;
 *   2. a 50-issue epic (150 turns, concurrency 3): total time and the process's peak RSS;
 *      targets: under 5 s and under 200 MB.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { RunEvent } from "../src/runtime/event-log.js";
import { runEpic } from "../src/runtime/orchestrator.js";
import { createInstantModel, wideEpic } from "./support/instant-model.js";

function project(n: number): { dir: string; epicId: string } {
  const dir = mkdtempSync(join(tmpdir(), "orket-bench-"));
  const epic = wideEpic(n);
  mkdirSync(join(dir, "orket", "epics"), { recursive: true });
  writeFileSync(join(dir, "orket", "epics", `${epic.id}.json`), JSON.stringify(epic));
  return { dir, epicId: epic.id };
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? Number.NaN;
}

// 1. per-turn overhead, one turn at a time so turns do not share the clock.
{
  const { dir, epicId } = project(30);
  const overheads: number[] = [];
  const model = createInstantModel();
  const summary = await runEpic({
    projectDir: dir,
    home: join(dir, ".orket"),
    epicId,
    adapter: model,
    concurrency: 1,
    onEvent: (e: RunEvent) => {
      if (e.type === "turn_finished")
        overheads.push((Number(e.total_seconds) - Number(e.internal_model_seconds)) * 1000);
    },
  });
  if (summary.status !== "done") throw new Error(`bench epic ended ${summary.status}: ${summary.reason}`);
  const warm = overheads.slice(3);
  console.log(
    `orchestration overhead per turn (${warm.length} turns after 3 warm-up, concurrency 1, instant model)`,
  );
  console.log(
    `  median ${percentile(warm, 0.5).toFixed(2)} ms   p95 ${percentile(warm, 0.95).toFixed(2)} ms   max ${Math.max(...warm).toFixed(2)} ms`,
  );
  console.log(`  (turn wall time minus model time; rounding of both to 1 ms makes single values coarse)`);
  console.log(`  result: ${percentile(warm, 0.5) < 5 ? "PASS" : "ABOVE TARGET"} (target: median < 5 ms)`);
}

// 2. a 50-issue epic.
{
  const { dir, epicId } = project(50);
  const model = createInstantModel();
  const started = performance.now();
  const summary = await runEpic({
    projectDir: dir,
    home: join(dir, ".orket"),
    epicId,
    adapter: model,
    concurrency: 3,
  });
  const seconds = (performance.now() - started) / 1000;
  const peakMiB = process.resourceUsage().maxRSS / 1024;
  if (summary.status !== "done") throw new Error(`bench epic ended ${summary.status}: ${summary.reason}`);
  console.log(
    `50-issue epic (${summary.turns} turns, ${model.calls} model calls, concurrency 3, instant model)`,
  );
  console.log(
    `  total ${seconds.toFixed(2)} s   peak RSS of this process ${peakMiB.toFixed(1)} MiB (node itself included)`,
  );
  console.log(
    `  result: ${seconds < 5 && peakMiB < 200 ? "PASS" : "ABOVE TARGET"} (targets: < 5 s, < 200 MB)`,
  );
}
