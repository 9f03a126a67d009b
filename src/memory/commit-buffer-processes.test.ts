/**
 * The commit buffer across real processes: a writer killed with SIGKILL while its buffer is open, while
 * its commit is pending, in the middle of a large apply, and at arbitrary moments of a stream of commits;
 * then the same database file is reopened here and `recover()` runs as a new owner once the lease has
 * expired. The memory is checked record by record: never half-applied, a pending commit applied exactly
 * once. The other process is `fixtures/commit-child.mjs`, run through tsx so it uses this very code.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ChildRun } from "../../test/support/child-run.js";
import type { MemoryRecord, MemoryWrite } from "../spec/memory.js";
import { type Database, openDatabase } from "../store/db.js";
import { CommitBuffer, type RecoveryReport } from "./commit-buffer.js";
import { sha256Hex } from "./fingerprint.js";
import { EMPTY_SNAPSHOT_ID, parseMemoryWrite, payloadFingerprint, recordIdFor } from "./memory-store.js";

const CHILD = fileURLToPath(new URL("./fixtures/commit-child.mjs", import.meta.url));
/** The recoverer's clock: long after any lease a child took (60 s from its real now). */
const LATER = new Date("2099-01-02T03:04:05.000Z");

let dir: string;
let dbPath: string;
const children: ChildRun[] = [];
const handles: Database[] = [];

function spawnChild(mode: string, ...args: (string | number)[]): ChildRun {
  const child = new ChildRun(CHILD, [mode, dbPath, ...args.map(String)]);
  children.push(child);
  return child;
}

/** The same writes the child stages (`writesFor` in commit-child.mjs). */
function writesFor(id: string, n: number, pad = 0): MemoryWrite[] {
  return Array.from({ length: n }, (_, i) => ({
    namespace: "crash",
    content: `${id} write ${i}${" lorem".repeat(pad)}`,
    tags: ["crash", `w${i % 3}`],
  }));
}

/** Reopens the file the way the next Orket would after the crash; a null clock is the real one. */
function reopen(owner = "recoverer", now: (() => Date) | null = () => LATER): CommitBuffer {
  const db = openDatabase(dbPath);
  handles.push(db);
  expect(db.pragma("integrity_check", { simple: true })).toBe("ok");
  return new CommitBuffer(db, { owner, durable: true, ...(now === null ? {} : { now }) });
}

/** Exactly the records of `writes` applied as snapshot 1 at LATER, and that snapshot as the head. */
function expectAppliedOnce(buffer: CommitBuffer, writes: MemoryWrite[]): void {
  const parsed = writes.map((w) => parseMemoryWrite(w));
  const records: MemoryRecord[] = parsed.map((w) => ({
    record_id: recordIdFor(w),
    namespace: w.namespace,
    record_type: w.record_type,
    content: w.content,
    tags: w.tags,
    trust: w.trust,
    scope: w.scope,
    created_at: LATER.toISOString(),
    expires_at: null,
    snapshot_seq: 1,
  }));
  expect(buffer.memory.records()).toEqual(records.sort((x, y) => x.record_id.localeCompare(y.record_id)));
  const snapshotId = `mem-${sha256Hex(`${EMPTY_SNAPSHOT_ID}:${payloadFingerprint(parsed)}`).slice(0, 32)}`;
  expect(buffer.memory.head()).toEqual({ seq: 1, snapshot_id: snapshotId });
}

const NOTHING: RecoveryReport = { discarded: [], applied: [], aborted: [], skipped_live: [] };

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "orket-commit-"));
  dbPath = join(dir, "orket.db");
});

afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill("SIGKILL");
    await child.exited;
  }
  for (const db of handles.splice(0)) db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("a writer killed with SIGKILL", () => {
  it("while its buffer is open: recovery discards the buffer and the memory is unchanged", async () => {
    const child = spawnChild("open", "c-open", 5);
    await child.waitFor((line) => line === "staged");
    await child.kill();

    expect(reopen("early", null).recover()).toEqual({ ...NOTHING, skipped_live: ["c-open"] });
    const buffer = reopen();
    expect(buffer.get("c-open")).toMatchObject({ state: "buffer_open", write_count: 5 });
    expect(buffer.recover()).toEqual({ ...NOTHING, discarded: ["c-open"] });
    expect(buffer.get("c-open")).toMatchObject({
      state: "commit_aborted",
      reason_code: null,
      reason: "crashed while open",
      owner: "recoverer",
    });
    expect(buffer.memory.head()).toEqual({ seq: 0, snapshot_id: EMPTY_SNAPSHOT_ID });
    expect(buffer.memory.records()).toEqual([]);
    expect(buffer.recover()).toEqual(NOTHING);
  });

  it("while its commit is pending: recovery applies it exactly once, then it is idempotent", async () => {
    const writes = writesFor("c-pend", 5);
    const child = spawnChild("pending", "c-pend", 5);
    const fingerprint = (await child.waitFor((line) => line.startsWith("prepared "))).slice(9);
    await child.kill();

    const buffer = reopen();
    expect(buffer.memory.records()).toEqual([]);
    const report = buffer.recover();
    expect(report).toMatchObject({ discarded: [], aborted: [], skipped_live: [] });
    expect(report.applied.map((entry) => [entry.commit_id, entry.inserted.length])).toEqual([["c-pend", 5]]);
    expectAppliedOnce(buffer, writes);
    expect(buffer.get("c-pend")).toMatchObject({
      state: "commit_applied",
      applied_seq: 1,
      payload_fingerprint: fingerprint,
      run_id: "r1",
    });
    expect(buffer.recover()).toEqual(NOTHING);

    // A restarted writer re-runs its commit: the same payload is a no-op, another is payload_mismatch.
    const again = reopen("writer-again");
    expect(again.commit("c-pend", writes)).toEqual({
      state: "commit_applied",
      commit_id: "c-pend",
      snapshot: again.memory.head(),
      inserted: [],
      idempotent: true,
    });
    expect(again.apply("c-pend", { expectedFingerprint: fingerprint })).toMatchObject({ idempotent: true });
    expect(again.commit("c-pend", writesFor("c-pend", 4))).toMatchObject({
      state: "commit_aborted",
      reason_code: "payload_mismatch",
      recorded: false,
    });
    expect(again.get("c-pend")).toMatchObject({ state: "commit_applied", payload_fingerprint: fingerprint });
    expectAppliedOnce(again, writes);
  });

  it("in the middle of a large apply: nothing of it survives, and recovery applies all of it", async () => {
    const writes = writesFor("c-big", 200, 200);
    const child = spawnChild("mid-apply", "c-big", 200, 200);
    const [, before, now] = (await child.waitFor((line) => line.startsWith("inside "))).split(" ");
    // Uncommitted pages of the apply had reached the WAL file when the process died.
    expect(Number(now)).toBeGreaterThan(Number(before));
    await child.kill();

    const buffer = reopen();
    expect(buffer.memory.head().seq).toBe(0);
    expect(buffer.memory.records()).toEqual([]);
    expect(buffer.get("c-big")).toMatchObject({ state: "commit_pending", write_count: 200 });
    expect(buffer.recover().applied.map((entry) => entry.inserted.length)).toEqual([200]);
    expectAppliedOnce(buffer, writes);
  }, 60_000);

  it("at arbitrary moments of a stream of commits never leaves half of one", async () => {
    for (const delayMs of [0, 20, 60, 150]) {
      dbPath = join(dir, `loop-${delayMs}.db`);
      const child = spawnChild("loop", `loop${delayMs}`, 3);
      await child.waitFor((line) => line === "looping");
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      await child.kill();

      const buffer = reopen();
      const report = buffer.recover();
      expect(report.aborted).toEqual([]);
      expect(report.skipped_live).toEqual([]);
      expect(buffer.list({ states: ["buffer_open", "commit_pending"] })).toEqual([]);
      const records = buffer.memory.records();
      const applied = buffer.list({ states: ["commit_applied"] });
      expect(applied.length).toBeGreaterThan(0);
      for (const commit of buffer.list()) {
        const mine = records.filter((r) => r.content.startsWith(`${commit.commit_id} `));
        if (commit.state === "commit_aborted") {
          expect(mine).toEqual([]);
          continue;
        }
        expect(mine.map((r) => r.content).sort()).toEqual(
          writesFor(commit.commit_id, 3).map((w) => w.content),
        );
        expect(new Set(mine.map((r) => r.snapshot_seq))).toEqual(new Set([commit.applied_seq]));
      }
      expect(records).toHaveLength(3 * applied.length);
      expect(buffer.memory.head().seq).toBe(applied.length);
    }
  }, 60_000);
});

describe("processes racing to recover one commit", () => {
  it("lets exactly one of them apply it", async () => {
    const writer = spawnChild("pending", "c-race", 4);
    await writer.waitFor((line) => line.startsWith("prepared "));
    await writer.kill();

    const racers = ["r1", "r2", "r3"].map((owner) => spawnChild("recover", owner, 3_600_000));
    await Promise.all(racers.map((child) => child.waitFor((line) => line === "ready")));
    for (const child of racers) child.process.stdin.write("go\n");
    const reports = await Promise.all(
      racers.map(
        async (child) => JSON.parse(await child.waitFor((line) => line.startsWith("{"))) as RecoveryReport,
      ),
    );
    const winners = reports.filter((report) => report.applied.length > 0);
    expect(winners).toHaveLength(1);
    expect(winners[0]?.applied.map((entry) => entry.commit_id)).toEqual(["c-race"]);
    expect(reports.filter((report) => report.applied.length === 0)).toEqual([NOTHING, NOTHING]);

    const buffer = reopen();
    expect(buffer.memory.head()).toEqual(winners[0]?.applied[0]?.snapshot);
    expect(
      buffer.memory
        .records()
        .map((r) => r.content)
        .sort(),
    ).toEqual(writesFor("c-race", 4).map((w) => w.content));
    expect(buffer.get("c-race")?.state).toBe("commit_applied");
  });
});
