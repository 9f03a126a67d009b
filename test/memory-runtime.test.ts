/**
 * Memory in the execution loop, end to end against scripted cassettes: trace emission for every
 * lifecycle event and failure path, retrieval linking, the visibility modes, buffered writes committed
 * or discarded with the turn, and the size cap. Real config loader, store, tools and files; only the
 * model is a script.
 */
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkTraces } from "../src/core/memory/trace-check.js";
import { MemoryStore, parseMemoryWrite } from "../src/memory/memory-store.js";
import { runEpic } from "../src/runtime/orchestrator.js";
import type { DeterminismTrace, RetrievalTrace } from "../src/spec/memory.js";
import { openDatabase } from "../src/store/db.js";
import { answer, call, type ScriptEntry, writeScript } from "./support/script-cassette.js";

const GREET = "def greet(name: str) -> str:\n    return f\"Hello, {name or 'world'}!\"\n";
const status = (s: string, extra: Record<string, unknown> = {}) =>
  call("update_issue_status", { status: s, ...extra });
const coderDone = answer(call("write_file", { path: "greet.py", content: GREET }), status("code_review"));
const reviewerPass = answer(
  call("add_issue_comment", { body: "greet.py meets the requirements." }),
  status("awaiting_guard_review"),
);
const guardDone = answer(status("done", { reason: "complete and correct" }));

function project(script: ScriptEntry[]) {
  const dir = mkdtempSync(join(tmpdir(), "orket-memory-"));
  const cassette = writeScript(join(dir, "script.jsonl"), script);
  return { dir, home: join(dir, ".orket"), model: `replay/${cassette}` };
}

async function run(p: ReturnType<typeof project>, extra: Partial<Parameters<typeof runEpic>[0]> = {}) {
  return runEpic({
    projectDir: p.dir,
    home: p.home,
    epicId: "hello-python",
    model: p.model,
    concurrency: 1,
    providers: { replayPacing: "instant" },
    memoryTrace: true,
    ...extra,
  });
}

function turnDirs(runDir: string): string[] {
  const root = join(runDir, "turns", "greet");
  return readdirSync(root)
    .sort()
    .map((name) => join(root, name));
}

function traces(dir: string): { trace: DeterminismTrace; retrieval: RetrievalTrace; bytes: number } {
  const text = readFileSync(join(dir, "memory_trace.json"), "utf8");
  return {
    trace: JSON.parse(text),
    retrieval: JSON.parse(readFileSync(join(dir, "memory_retrieval_trace.json"), "utf8")),
    bytes: Buffer.byteLength(text),
  };
}

const shape = (t: DeterminismTrace) => t.events.map((e) => `${e.interceptor}:${e.decision_type}`);

function seed(home: string, contents: string[]): void {
  const db = openDatabase(join(home, "orket.db"));
  new MemoryStore(db).applyWrites(
    contents.map((content) => parseMemoryWrite({ namespace: "decisions", content, trust: "high" })),
    { now: new Date("2026-11-01T00:00:00Z") },
  );
  db.close();
}

describe("memory traces from the runtime", () => {
  it("records every lifecycle event of a turn and passes the checker", async () => {
    const p = project([coderDone, reviewerPass, guardDone]);
    const summary = await run(p);
    expect(summary.status).toBe("done");
    expect(summary.memory_trace).toBe(true);
    const [coder, reviewer, guard] = turnDirs(summary.run_dir).map(traces);
    expect(shape(coder?.trace as DeterminismTrace)).toEqual([
      "before_prompt:compile_prompt",
      "after_model:tool_calls",
      "before_tool:invoke_tool",
      "after_tool:tool_ok",
      "before_tool:invoke_tool",
      "after_tool:tool_ok",
    ]);
    const write = coder?.trace.events[3]?.tool_calls[0];
    expect(write).toMatchObject({
      tool_name: "write_file",
      normalized_args: { content: GREET, path: "greet.py" },
      normalization_version: "memory.canonicalization.json.v1",
    });
    expect(write?.tool_profile_version).toMatch(/^write_file@[0-9a-f]{12}$/);
    expect(write?.tool_result_fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(write?.side_effect_fingerprint).toMatch(/^[0-9a-f]{64}$/);
    // The request (before_tool) carries no result yet.
    expect(coder?.trace.events[2]?.tool_calls[0]?.tool_result_fingerprint).toBeNull();
    expect(coder?.trace).toMatchObject({
      workflow_id: "hello-python",
      issue_id: "greet",
      role_id: "coder",
      visibility_mode: "off",
      memory_snapshot_id: "none",
      output: { output_type: "ok" },
      metadata: { truncated: false },
      execution_lane: "ci",
      vram_profile: "safe",
    });
    expect(reviewer?.trace.role_id).toBe("reviewer");
    expect(guard?.trace.events.at(-1)?.decision_type).toBe("tool_ok");
    for (const t of [coder, reviewer, guard]) {
      const result = checkTraces({
        trace: t?.trace,
        traceBytes: t?.bytes ?? 0,
        retrieval: t?.retrieval,
        retrievalBytes: 0,
      });
      expect(result.errors).toEqual([]);
    }
  });

  it("on_turn_failure names each failure path: contract, tool, state, timeout, provider", async () => {
    const cases: Array<[string, ScriptEntry[], string, string]> = [
      [
        "contract",
        ["I wrote nothing.", "Still nothing."],
        "on_turn_failure:contract_violation",
        "CONTRACT_VIOLATION",
      ],
      [
        "tool",
        [answer(call("create_issue", { id: "x", summary: "x", seat: "coder" }))],
        "on_turn_failure:tool_violation",
        "TOOL_NOT_ALLOWED",
      ],
      [
        "state",
        [answer(call("write_file", { path: "greet.py", content: GREET }), status("done"))],
        "on_turn_failure:state_violation",
        "STATE_VIOLATION",
      ],
      [
        "timeout",
        [{ error: { code: "TIMEOUT", message: "no answer in time" } }],
        "on_turn_failure:timeout",
        "TIMEOUT",
      ],
      [
        "provider",
        [{ error: { code: "SERVER_ERROR", message: "model crashed" } }],
        "on_turn_failure:provider_error",
        "SERVER_ERROR",
      ],
    ];
    for (const [label, script, last, code] of cases) {
      const p = project(script);
      const summary = await run(p, { maxIterations: 1 });
      const [first] = turnDirs(summary.run_dir).map(traces);
      const events = first?.trace.events ?? [];
      expect(shape(first?.trace as DeterminismTrace).at(-1), label).toBe(last);
      expect(events.at(-1)?.guardrails_triggered, label).toEqual([code]);
      expect(first?.trace.output.output_type, label).not.toBe("ok");
    }
  });

  it("a refused tool is recorded as a guardrail on its after_tool event", async () => {
    const p = project([answer(call("create_issue", { id: "x", summary: "x", seat: "coder" }))]);
    const summary = await run(p, { maxIterations: 1 });
    const [first] = turnDirs(summary.run_dir).map(traces);
    const refused = first?.trace.events.find((e) => e.interceptor === "after_tool");
    expect(refused).toMatchObject({
      decision_type: "tool_refused",
      guardrails_triggered: ["TOOL_NOT_ALLOWED"],
    });
  });

  it("no traces are written unless asked", async () => {
    const p = project([coderDone, reviewerPass, guardDone]);
    const summary = await run(p, { memoryTrace: false });
    const [coder] = turnDirs(summary.run_dir);
    expect(readdirSync(coder as string)).not.toContain("memory_trace.json");
  });

  it("cuts a trace over the cap at an event boundary and records the marker", async () => {
    const big = "x = 1\n".repeat(2000);
    const p = project([
      answer(
        call("write_file", { path: "greet.py", content: GREET }),
        call("write_file", { path: "a.py", content: big }),
        call("write_file", { path: "b.py", content: big }),
        status("code_review"),
      ),
    ]);
    const notes: unknown[] = [];
    const summary = await run(p, {
      maxIterations: 1,
      maxTraceBytes: 30_000,
      onEvent: (e) => {
        if (e.type === "memory_trace_truncated") notes.push(e);
      },
    });
    const [coder] = turnDirs(summary.run_dir).map(traces);
    expect(coder?.bytes).toBeLessThanOrEqual(30_000);
    expect(coder?.trace.metadata.truncated).toBe(true);
    expect(coder?.trace.metadata.truncation?.kept_events).toBe(coder?.trace.events.length);
    expect(coder?.trace.metadata.truncation?.original_bytes).toBeGreaterThan(30_000);
    expect(notes).toHaveLength(1);
    const checked = checkTraces({
      trace: coder?.trace,
      traceBytes: coder?.bytes ?? 0,
      maxTraceBytes: 30_000,
    });
    expect(checked.errors).toEqual([]);
  });
});

describe("project memory in the loop", () => {
  it("read_only: past decisions are injected and the retrieval is linked to before_prompt", async () => {
    const p = project([coderDone, reviewerPass, guardDone]);
    seed(p.home, ["greet takes the name as a str and returns a greeting", "unrelated: logging uses json"]);
    const retrievals: unknown[] = [];
    const summary = await run(p, {
      memory: "read_only",
      onEvent: (e) => {
        if (e.type === "memory_retrieval") retrievals.push(e);
      },
    });
    // Every retrieval is also a run event, traced or not.
    expect(retrievals).toHaveLength(3);
    expect(retrievals[0]).toMatchObject({ issue_id: "greet", turn: 1, candidate_count: 1 });
    const [coderDir] = turnDirs(summary.run_dir);
    const messages = JSON.parse(readFileSync(join(coderDir as string, "messages.json"), "utf8"));
    expect(messages[1].content).toContain("Past decisions from project memory:");
    expect(messages[1].content).toContain("greet takes the name as a str");
    expect(messages[0].content).toContain("memory_search");
    expect(messages[0].content).not.toContain("memory_write");
    const { trace, retrieval } = traces(coderDir as string);
    expect(trace.visibility_mode).toBe("read_only");
    expect(trace.memory_snapshot_id).toMatch(/^mem-[0-9a-f]{32}$/);
    const first = trace.events[0];
    expect(first?.interceptor).toBe("before_prompt");
    expect(first?.retrieval_event_ids).toHaveLength(1);
    expect(retrieval.events[0]).toMatchObject({
      retrieval_event_id: first?.retrieval_event_ids[0],
      event_id: first?.event_id,
      policy_id: "memory.fts5_bm25",
      retrieval_mode: "fts5_bm25",
      applied_filters: { namespace: ["decisions"], scope: ["epic:hello-python", "project"] },
    });
    expect(retrieval.events[0]?.selected_records[0]?.rank).toBe(1);
  });

  it("a memory_search tool call is linked to its after_tool event; memory_write is refused read-only", async () => {
    const p = project([
      answer(
        call("memory_search", { query: "greeting style" }),
        call("memory_write", { content: "should not be stored" }),
        call("write_file", { path: "greet.py", content: GREET }),
        status("code_review"),
      ),
    ]);
    seed(p.home, ["greeting style: Hello, <name>!"]);
    const summary = await run(p, { memory: "read_only", maxIterations: 1 });
    const { trace, retrieval } = traces(turnDirs(summary.run_dir)[0] as string);
    const search = trace.events.find(
      (e) => e.interceptor === "after_tool" && e.tool_calls[0]?.tool_name === "memory_search",
    );
    expect(search?.retrieval_event_ids).toHaveLength(1);
    const linked = retrieval.events.find((r) => r.retrieval_event_id === search?.retrieval_event_ids[0]);
    expect(linked?.event_id).toBe(search?.event_id);
    const write = trace.events.find(
      (e) => e.interceptor === "after_tool" && e.tool_calls[0]?.tool_name === "memory_write",
    );
    expect(write).toMatchObject({
      decision_type: "tool_refused",
      guardrails_triggered: ["MEMORY_READ_ONLY"],
    });
  });

  it("buffered_write: a successful turn commits its writes, a failed turn's are discarded", async () => {
    const p = project([
      answer(
        call("memory_write", { content: "greet uses an f-string", namespace: "decisions", tags: ["style"] }),
        call("write_file", { path: "greet.py", content: GREET }),
        status("code_review"),
      ),
      answer(call("memory_write", { content: "reviewer note that must vanish" }), "No status change."),
      "Still no status change.",
    ]);
    const summary = await run(p, { memory: "buffered_write", maxIterations: 2 });
    const [coderDir, reviewerDir] = turnDirs(summary.run_dir);
    const coderCheckpoint = JSON.parse(readFileSync(join(coderDir as string, "checkpoint.json"), "utf8"));
    expect(coderCheckpoint.memory.commit).toMatchObject({ state: "commit_applied", writes: 1 });
    const reviewerCheckpoint = JSON.parse(
      readFileSync(join(reviewerDir as string, "checkpoint.json"), "utf8"),
    );
    expect(reviewerCheckpoint.memory.commit).toMatchObject({ state: "discarded", writes: 1 });
    const db = openDatabase(join(p.home, "orket.db"));
    const records = new MemoryStore(db).records();
    db.close();
    expect(records.map((r) => r.content)).toEqual(["greet uses an f-string"]);
    expect(records[0]).toMatchObject({ namespace: "decisions", tags: ["style"], trust: "low" });
    // The reviewer's turn began after the coder's commit, so it read the newer snapshot.
    expect(reviewerCheckpoint.memory.snapshot_id).toBe(coderCheckpoint.memory.commit.snapshot_id);
  });

  it("live_read_write: a write is visible to the next search in the same turn", async () => {
    const p = project([
      answer(
        call("memory_write", { content: "the greeting punctuation is an exclamation mark" }),
        call("memory_search", { query: "greeting punctuation" }),
        call("write_file", { path: "greet.py", content: GREET }),
        status("code_review"),
      ),
    ]);
    const summary = await run(p, { memory: "live_read_write", maxIterations: 1 });
    const results = JSON.parse(
      readFileSync(join(turnDirs(summary.run_dir)[0] as string, "tool_results.json"), "utf8"),
    );
    const search = results[0].results.find((r: { tool: string }) => r.tool === "memory_search");
    expect(search.result.output.records[0].content).toBe("the greeting punctuation is an exclamation mark");
  });

  it("with memory off the memory tools are not offered, and calling one fails with MEMORY_OFF", async () => {
    const p = project([answer(call("memory_search", { query: "anything" }))]);
    const summary = await run(p, { maxIterations: 1 });
    const dir = turnDirs(summary.run_dir)[0] as string;
    const messages = JSON.parse(readFileSync(join(dir, "messages.json"), "utf8"));
    expect(messages[0].content).not.toContain("memory_search");
    const results = JSON.parse(readFileSync(join(dir, "tool_results.json"), "utf8"));
    expect(results[0].results[0].result.error.code).toBe("MEMORY_OFF");
  });
});
