import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Database, openDatabase } from "./db.js";
import { isProcessAlive, RunStore, type StartRunInput } from "./run-store.js";

const T0 = new Date("2025-01-02T03:00:00.000Z");
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);

let dir: string;
let db: Database;
let runs: RunStore;

function start(runId: string, overrides: Partial<StartRunInput> = {}) {
  return runs.startRun({
    runId,
    buildId: "b1",
    epicId: "calc",
    modelRef: "ollama:qwen3:8b",
    workspace: `workspace/${runId}`,
    pid: process.pid,
    now: T0,
    ...overrides,
  });
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "orket-runs-"));
  db = openDatabase(join(dir, "orket.db"));
  runs = new RunStore(db);
});

afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("runs", () => {
  it("starts, beats and finishes a run", () => {
    expect(start("r1")).toEqual({
      run_id: "r1",
      build_id: "b1",
      epic_id: "calc",
      model_ref: "ollama:qwen3:8b",
      workspace: "workspace/r1",
      status: "running",
      started_at: T0.toISOString(),
      ended_at: null,
      summary: null,
      pid: process.pid,
      heartbeat_at: T0.toISOString(),
    });
    expect(runs.heartbeat("r1", at(1))).toBe(true);
    expect(runs.getRun("r1")?.heartbeat_at).toBe(at(1).toISOString());

    const summary = { done: 3, blocked: 1, tokens: { input: 1200, output: null } };
    expect(runs.finishRun("r1", "incomplete", summary, at(2))).toMatchObject({
      status: "incomplete",
      summary,
      ended_at: at(2).toISOString(),
    });
  });

  it("refuses a reused run id, an unknown run, and finishing a run twice", () => {
    start("r1");
    expect(() => start("r1")).toThrow(expect.objectContaining({ code: "RUN_EXISTS" }));
    expect(() => runs.heartbeat("ghost", T0)).toThrow(expect.objectContaining({ code: "UNKNOWN_RUN" }));
    expect(() => runs.finishRun("ghost", "done", {}, T0)).toThrow(
      expect.objectContaining({ code: "UNKNOWN_RUN" }),
    );
    runs.finishRun("r1", "crashed", { recovered: true }, at(1));
    expect(() => runs.finishRun("r1", "done", {}, at(2))).toThrow(
      expect.objectContaining({ code: "RUN_NOT_RUNNING", status: "crashed" }),
    );
    expect(runs.heartbeat("r1", at(3))).toBe(false);
    expect(runs.getRun("r1")).toMatchObject({ status: "crashed", heartbeat_at: at(1).toISOString() });
  });

  it("lists runs newest first and finds a build's latest", () => {
    start("r1", { now: at(0) });
    start("r2", { now: at(1), buildId: "b2" });
    start("r3", { now: at(2) });
    expect(runs.listRuns(10).map((r) => r.run_id)).toEqual(["r3", "r2", "r1"]);
    expect(runs.listRuns(2).map((r) => r.run_id)).toEqual(["r3", "r2"]);
    expect(runs.latestRun("b1")?.run_id).toBe("r3");
    expect(runs.latestRun("b2")?.run_id).toBe("r2");
    expect(runs.latestRun("b3")).toBeUndefined();
  });

  it("refuses a summary that has no JSON form", () => {
    start("r1");
    expect(() => runs.finishRun("r1", "done", undefined, at(1))).toThrow(
      expect.objectContaining({ code: "NOT_JSON" }),
    );
    expect(runs.getRun("r1")?.status).toBe("running");
  });
});

describe("ledger", () => {
  it("numbers entries 1, 2, 3 ... per run, also across two connections to the file", () => {
    start("r1");
    start("r2");
    const otherDb = openDatabase(join(dir, "orket.db"));
    const other = new RunStore(otherDb);
    try {
      for (let i = 0; i < 10; i++) {
        const writer = i % 2 === 0 ? runs : other;
        writer.appendLedger("r1", { outcome: "ok", turn: i, at: at(i), issue_id: "parse", seat: "coder" });
        if (i % 3 === 0) writer.appendLedger("r2", { outcome: "failed", error_code: "TIMEOUT", at: at(i) });
      }
    } finally {
      otherDb.close();
    }
    expect(runs.listLedger("r1").map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(runs.listLedger("r2").map((e) => e.seq)).toEqual([1, 2, 3, 4]);
  });

  it("stores every field, keeping an unknown duration null", () => {
    start("r1");
    const entry = runs.appendLedger("r1", {
      issue_id: "parse",
      seat: "coder",
      role: "coder",
      turn: 2,
      outcome: "tool_error",
      error_code: "BAD_TOOL_CALL",
      internal_model_seconds: null,
      total_seconds: 4.25,
      at: at(1),
      detail: { tool: "write_file", path: "a.py" },
    });
    expect(entry).toEqual({
      run_id: "r1",
      seq: 1,
      issue_id: "parse",
      seat: "coder",
      role: "coder",
      turn: 2,
      outcome: "tool_error",
      error_code: "BAD_TOOL_CALL",
      internal_model_seconds: null,
      total_seconds: 4.25,
      at: at(1).toISOString(),
      detail: { tool: "write_file", path: "a.py" },
    });
    expect(runs.listLedger("r1")).toEqual([entry]);
    expect(() => runs.appendLedger("ghost", { outcome: "ok", at: at(1) })).toThrow(
      expect.objectContaining({ code: "UNKNOWN_RUN" }),
    );
  });
});

describe("snapshots", () => {
  it("returns the newest snapshot, of any label or of one", () => {
    start("r1");
    expect(runs.latestSnapshot("r1")).toBeUndefined();
    runs.saveSnapshot("r1", "plan", { step: 1 }, at(1));
    runs.saveSnapshot("r1", "board", ["a", "b"], at(2));
    runs.saveSnapshot("r1", "plan", { step: 2 }, at(3));
    expect(runs.latestSnapshot("r1")).toMatchObject({
      label: "plan",
      value: { step: 2 },
      at: at(3).toISOString(),
    });
    expect(runs.latestSnapshot("r1", "board")).toMatchObject({ value: ["a", "b"] });
    expect(() => runs.saveSnapshot("ghost", "plan", {}, at(1))).toThrow(
      expect.objectContaining({ code: "UNKNOWN_RUN" }),
    );
  });
});

describe("findCrashedRuns", () => {
  it("finds running runs whose process is gone or whose heartbeat is stale", () => {
    const exited = spawnSync(process.execPath, ["-e", ""]);
    const deadPid = exited.pid;
    if (deadPid === undefined) throw new Error("no pid for the exited child");
    expect(isProcessAlive(deadPid)).toBe(false);
    expect(isProcessAlive(process.pid)).toBe(true);

    start("alive", { now: at(9) });
    start("dead-pid", { pid: deadPid, now: at(9) });
    start("stale", { now: at(0) });
    start("remote", { pid: null, now: at(9) });
    start("finished", { pid: deadPid, now: at(0) });
    runs.finishRun("finished", "done", {}, at(1));

    const found = runs.findCrashedRuns({ now: at(10), staleAfterMs: 5 * 60_000 });
    expect(found.map((r) => r.run_id)).toEqual(["stale", "dead-pid"]);
  });

  it("uses the injected liveness check", () => {
    start("r1", { pid: 4242 });
    const seen: number[] = [];
    const isAlive = (pid: number) => {
      seen.push(pid);
      return true;
    };
    expect(runs.findCrashedRuns({ now: at(1), staleAfterMs: 5 * 60_000, isAlive })).toEqual([]);
    expect(seen).toEqual([4242]);
  });
});
