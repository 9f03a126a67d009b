/**
 * The commit buffer in one process: every transition and refusal, snapshot N+1 = head + buffered writes
 * (checked record by record), idempotent re-apply, payload_mismatch, a real storage failure raised by a
 * trigger, and recovery of expired leases, all under an injected clock.
 */
import { beforeEach, describe, expect, it } from "vitest";
import type { MemoryRecord, MemoryWrite } from "../spec/memory.js";
import { type Database, openDatabase } from "../store/db.js";
import {
  CommitBuffer,
  CommitBufferError,
  type CommitBufferErrorCode,
  CRASHED_OPEN_REASON,
  DEFAULT_LEASE_MS,
} from "./commit-buffer.js";
import { sha256Hex } from "./fingerprint.js";
import {
  EMPTY_SNAPSHOT_ID,
  type MemoryStore,
  parseMemoryWrite,
  payloadFingerprint,
  recordIdFor,
} from "./memory-store.js";

const T0 = new Date("2025-03-04T05:06:07.000Z");
let clock: Date;
let db: Database;
let a: CommitBuffer;
let b: CommitBuffer;
let memory: MemoryStore;

const later = (ms: number) => {
  clock = new Date(clock.getTime() + ms);
};
const note = (content: string, extra: Partial<MemoryWrite> = {}): MemoryWrite => ({
  namespace: "proj",
  content,
  tags: ["zeta", "alpha", "zeta"],
  ...extra,
});
const W1 = [note("use sqlite"), note("prefer wal", { trust: "high", scope: "epic:e1" })];
const W2 = [note("third note", { record_type: "decision", ttl_seconds: 60 })];

/** What `records()` must hold for writes applied at `seq` at time `at`, by record id. */
function recordsFor(writes: readonly MemoryWrite[], seq: number, at: Date): MemoryRecord[] {
  return writes.map((write) => {
    const w = parseMemoryWrite(write);
    return {
      record_id: recordIdFor(w),
      namespace: w.namespace,
      record_type: w.record_type,
      content: w.content,
      tags: w.tags,
      trust: w.trust,
      scope: w.scope,
      created_at: at.toISOString(),
      expires_at:
        w.ttl_seconds === undefined ? null : new Date(at.getTime() + w.ttl_seconds * 1000).toISOString(),
      snapshot_seq: seq,
    };
  });
}
const byId = (records: MemoryRecord[]) => [...records].sort((x, y) => x.record_id.localeCompare(y.record_id));
const nextSnapshotId = (parentId: string, writes: readonly MemoryWrite[]) =>
  `mem-${sha256Hex(`${parentId}:${payloadFingerprint(writes.map((w) => parseMemoryWrite(w)))}`).slice(0, 32)}`;

function codeOf(fn: () => unknown): CommitBufferErrorCode | "no error" {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(CommitBufferError);
    const { code, message, commitId } = error as CommitBufferError;
    expect(message).not.toContain("\n");
    expect(message).toContain(commitId);
    return code;
  }
  return "no error";
}

/** open + stage + prepare by `buffer`, returning the fingerprint. */
function pending(buffer: CommitBuffer, id: string, writes: readonly MemoryWrite[]): string {
  buffer.open({ commitId: id });
  for (const write of writes) buffer.stage(id, write);
  return buffer.prepare(id).payload_fingerprint;
}

beforeEach(() => {
  clock = T0;
  db = openDatabase(":memory:");
  a = new CommitBuffer(db, { owner: "a", now: () => clock });
  b = new CommitBuffer(db, { owner: "b", now: () => clock });
  memory = a.memory;
});

describe("the commit buffer's transitions", () => {
  it("opens on the memory head under the owner's lease", () => {
    a.commit("c0", W2);
    later(1000);
    const id = a.open({ runId: "r1", issueId: "i1" });
    expect(id).toMatch(/^commit-[0-9a-f-]{36}$/);
    expect(a.get(id)).toEqual({
      commit_id: id,
      state: "buffer_open",
      reason_code: null,
      reason: null,
      base_seq: 1,
      applied_seq: null,
      payload_fingerprint: null,
      owner: "a",
      lease_expires_at: new Date(clock.getTime() + DEFAULT_LEASE_MS).toISOString(),
      run_id: "r1",
      issue_id: "i1",
      created_at: clock.toISOString(),
      updated_at: clock.toISOString(),
      write_count: 0,
    });
    expect(codeOf(() => b.open({ commitId: id }))).toBe("COMMIT_EXISTS");
    expect(codeOf(() => a.open({ commitId: " " }))).toBe("INVALID_COMMIT_ID");
  });

  it("stages validated writes in order and slides the lease", () => {
    a.open({ commitId: "c1" });
    later(10_000);
    expect(a.stage("c1", W1[0] as MemoryWrite)).toEqual({
      seq: 1,
      record_id: recordIdFor(parseMemoryWrite(W1[0])),
    });
    expect(a.stage("c1", W1[1] as MemoryWrite).seq).toBe(2);
    expect(a.get("c1")).toMatchObject({
      write_count: 2,
      lease_expires_at: new Date(clock.getTime() + DEFAULT_LEASE_MS).toISOString(),
    });
    expect(a.stagedWrites("c1")).toEqual(W1.map((w) => parseMemoryWrite(w)));
    expect(a.stagedWrites("c1")[0]?.tags).toEqual(["alpha", "zeta"]);
  });

  it("refuses an invalid write by field and keeps the commit open", () => {
    a.open({ commitId: "c1" });
    a.stage("c1", note("ok"));
    const bad = { namespace: "Bad Space", content: "x" };
    expect(codeOf(() => a.stage("c1", bad))).toBe("INVALID_WRITE");
    expect(() => a.stage("c1", bad)).toThrow(/^commit c1 write: namespace: /);
    expect(() => a.stage("c1", { ...note("x"), extra: 1 } as MemoryWrite)).toThrow(/commit c1/);
    expect(a.get("c1")).toMatchObject({ state: "buffer_open", write_count: 1 });
  });

  it("prepares with the fingerprint of the staged writes and applies them as snapshot N+1", () => {
    const before = memory.head();
    const fp = pending(a, "c1", W1);
    expect(fp).toBe(payloadFingerprint(W1.map((w) => parseMemoryWrite(w))));
    expect(a.get("c1")).toMatchObject({ state: "commit_pending", payload_fingerprint: fp, write_count: 2 });
    expect(memory.head()).toEqual(before);
    later(5);
    const outcome = a.apply("c1", { expectedFingerprint: fp });
    const snapshot = { seq: 1, snapshot_id: nextSnapshotId(EMPTY_SNAPSHOT_ID, W1) };
    expect(outcome).toEqual({
      state: "commit_applied",
      commit_id: "c1",
      snapshot,
      inserted: W1.map((w) => recordIdFor(parseMemoryWrite(w))),
      idempotent: false,
    });
    expect(memory.head()).toEqual(snapshot);
    expect(memory.records()).toEqual(byId(recordsFor(W1, 1, clock)));
    expect(a.get("c1")).toMatchObject({ state: "commit_applied", applied_seq: 1, reason_code: null });
    expect(db.prepare("SELECT commit_id FROM memory_snapshots WHERE seq = 1").pluck().get()).toBe("c1");
  });

  it("builds snapshot N+1 on the head, leaving snapshot N as it was", () => {
    a.commit("c1", W1);
    const at1 = clock;
    const s1 = memory.head();
    later(60_000);
    const outcome = b.commit("c2", W2);
    expect(outcome).toMatchObject({
      state: "commit_applied",
      snapshot: { seq: 2, snapshot_id: nextSnapshotId(s1.snapshot_id, W2) },
    });
    expect(memory.records(1)).toEqual(byId(recordsFor(W1, 1, at1)));
    expect(memory.records()).toEqual(byId([...recordsFor(W1, 1, at1), ...recordsFor(W2, 2, clock)]));
  });

  it("refuses moves from the wrong state", () => {
    expect(codeOf(() => a.stage("nope", note("x")))).toBe("UNKNOWN_COMMIT");
    a.open({ commitId: "c1" });
    a.stage("c1", note("x"));
    expect(codeOf(() => a.apply("c1"))).toBe("COMMIT_NOT_PENDING");
    a.prepare("c1");
    expect(codeOf(() => a.stage("c1", note("y")))).toBe("COMMIT_NOT_OPEN");
    expect(codeOf(() => a.prepare("c1"))).toBe("COMMIT_NOT_OPEN");
    expect(codeOf(() => a.discard("c1"))).toBe("COMMIT_NOT_OPEN");
    a.apply("c1");
    expect(codeOf(() => a.stage("c1", note("y")))).toBe("COMMIT_NOT_OPEN");
    expect(codeOf(() => a.renew("c1"))).toBe("COMMIT_ENDED");
    expect(codeOf(() => a.abort("c1", "policy_rejected", "late"))).toBe("COMMIT_ENDED");
    expect(a.get("c1")).toMatchObject({ state: "commit_applied", write_count: 1 });
  });

  it("refuses every move by a caller that does not hold the lease", () => {
    a.open({ commitId: "c1" });
    expect(codeOf(() => b.stage("c1", note("x")))).toBe("LEASE_LOST");
    expect(codeOf(() => b.prepare("c1"))).toBe("LEASE_LOST");
    expect(codeOf(() => b.renew("c1"))).toBe("LEASE_LOST");
    expect(codeOf(() => b.discard("c1"))).toBe("LEASE_LOST");
    a.stage("c1", note("x"));
    a.prepare("c1");
    expect(codeOf(() => b.apply("c1"))).toBe("LEASE_LOST");
    expect(codeOf(() => b.abort("c1", null, "mine now"))).toBe("LEASE_LOST");
    expect(() => b.apply("c1")).toThrow("commit c1: lease is held by a until");
    expect(a.get("c1")).toMatchObject({ state: "commit_pending", owner: "a" });
    expect(memory.head().seq).toBe(0);
  });

  it("loses an expired lease, and renew keeps it alive", () => {
    a.open({ commitId: "c1" });
    later(DEFAULT_LEASE_MS - 1);
    const renewed = a.renew("c1");
    expect(renewed).toBe(new Date(clock.getTime() + DEFAULT_LEASE_MS).toISOString());
    expect(a.get("c1")?.lease_expires_at).toBe(renewed);
    later(DEFAULT_LEASE_MS - 1);
    a.stage("c1", note("x"));
    a.prepare("c1");
    later(DEFAULT_LEASE_MS);
    expect(codeOf(() => a.apply("c1"))).toBe("LEASE_LOST");
    expect(codeOf(() => a.renew("c1"))).toBe("LEASE_LOST");
    expect(() => a.renew("c1")).toThrow(`commit c1: lease expired at ${renewed.slice(0, 4)}`);
    expect(a.get("c1")?.state).toBe("commit_pending");
    expect(memory.head().seq).toBe(0);
  });

  it("aborts and discards without touching the memory", () => {
    pending(a, "c1", W1);
    expect(a.abort("c1", "policy_rejected", "secrets in content")).toMatchObject({
      state: "commit_aborted",
      reason_code: "policy_rejected",
      reason: "secrets in content",
    });
    a.open({ commitId: "c2" });
    a.stage("c2", note("x"));
    expect(a.discard("c2")).toMatchObject({
      state: "commit_aborted",
      reason_code: null,
      reason: "discarded",
    });
    expect(codeOf(() => a.apply("c1"))).toBe("COMMIT_ENDED");
    expect(memory.head().seq).toBe(0);
    expect(memory.records()).toEqual([]);
    expect(a.list().map((c) => c.commit_id)).toEqual(["c1", "c2"]);
    a.open({ commitId: "c3" });
    expect(a.list({ states: ["buffer_open", "commit_pending"] }).map((c) => c.commit_id)).toEqual(["c3"]);
    expect(a.list({ states: [] })).toEqual([]);
  });

  it("sets synchronous = FULL when durable, and leaves it so after the steps that skip the fsync", () => {
    expect(db.pragma("synchronous", { simple: true })).toBe(1);
    const durable = new CommitBuffer(db, { owner: "d", durable: true, now: () => clock });
    expect(db.pragma("synchronous", { simple: true })).toBe(2);
    const id = durable.open();
    durable.stage(id, note("x"));
    durable.renew(id);
    durable.prepare(id);
    expect(db.pragma("synchronous", { simple: true })).toBe(2);
    expect(codeOf(() => durable.stage(id, note("y")))).toBe("COMMIT_NOT_OPEN");
    expect(db.pragma("synchronous", { simple: true })).toBe(2);
    db.transaction(() => durable.commit("inner", W1))();
    expect(durable.apply(id)).toMatchObject({ state: "commit_applied", snapshot: { seq: 2 } });
    expect(db.pragma("synchronous", { simple: true })).toBe(2);
  });
});

describe("idempotency and payload_mismatch", () => {
  it("re-running an applied commit with the same payload is a no-op", () => {
    const first = a.commit("c1", W1);
    const records = memory.records();
    later(1000);
    expect(a.commit("c1", W1)).toEqual({ ...first, inserted: [], idempotent: true });
    expect(b.apply("c1")).toEqual({ ...first, inserted: [], idempotent: true });
    expect(memory.records()).toEqual(records);
    expect(memory.head().seq).toBe(1);
  });

  it("a different payload for an applied commit is payload_mismatch and changes nothing", () => {
    a.commit("c1", W1);
    const row = a.get("c1");
    const records = memory.records();
    later(1000);
    for (const outcome of [
      a.commit("c1", W2),
      a.commit("c1", [...W1].reverse()),
      a.commit("c1", [{ namespace: "BAD", content: "" }]),
      a.apply("c1", { expectedFingerprint: "0".repeat(64) }),
    ]) {
      expect(outcome).toMatchObject({
        state: "commit_aborted",
        reason_code: "payload_mismatch",
        snapshot: null,
        recorded: false,
      });
    }
    expect(a.get("c1")).toEqual(row);
    expect(memory.records()).toEqual(records);
    expect(memory.head().seq).toBe(1);
  });

  it("a pending commit whose fingerprint is not the expected one aborts with payload_mismatch", () => {
    pending(a, "c1", W1);
    const outcome = a.apply("c1", { expectedFingerprint: payloadFingerprint([]) });
    expect(outcome).toMatchObject({
      state: "commit_aborted",
      reason_code: "payload_mismatch",
      recorded: true,
    });
    expect(a.get("c1")).toMatchObject({ state: "commit_aborted", reason_code: "payload_mismatch" });
    expect(memory.head().seq).toBe(0);
  });

  it("staged writes changed after prepare abort with payload_mismatch or validation_failed", () => {
    pending(a, "c1", W1);
    pending(a, "c2", W1);
    const tamper = db.prepare("UPDATE memory_commit_writes SET write = ? WHERE commit_id = ? AND seq = 1");
    tamper.run(JSON.stringify(parseMemoryWrite(note("forged"))), "c1");
    tamper.run(JSON.stringify({ namespace: "proj" }), "c2");
    expect(a.apply("c1")).toMatchObject({
      reason_code: "payload_mismatch",
      reason: expect.stringContaining("prepared payload"),
    });
    expect(a.apply("c2")).toMatchObject({
      reason_code: "validation_failed",
      reason: expect.stringContaining("content"),
    });
    expect(memory.records()).toEqual([]);
  });

  it("commit() aborts an invalid payload with validation_failed and refuses a spent id", () => {
    const outcome = a.commit("c1", [note("fine"), { namespace: "proj", content: "" }]);
    expect(outcome).toMatchObject({
      state: "commit_aborted",
      reason_code: "validation_failed",
      recorded: true,
    });
    expect(outcome.state === "commit_aborted" && outcome.reason).toMatch(/^commit c1 write: content: /);
    expect(a.get("c1")).toMatchObject({
      state: "commit_aborted",
      reason_code: "validation_failed",
      write_count: 1,
    });
    expect(codeOf(() => a.commit("c1", W1))).toBe("COMMIT_ENDED");
    a.open({ commitId: "c2" });
    expect(codeOf(() => a.commit("c2", W1))).toBe("COMMIT_EXISTS");
    expect(memory.records()).toEqual([]);
  });

  it("applies a commit whose records all exist without moving the head", () => {
    a.commit("c1", W1);
    expect(a.commit("c2", [W1[1] as MemoryWrite])).toMatchObject({
      state: "commit_applied",
      snapshot: memory.head(),
      inserted: [],
      idempotent: false,
    });
    expect(a.get("c2")).toMatchObject({ state: "commit_applied", applied_seq: 1 });
  });
});

describe("storage_apply_failed", () => {
  it("a failing insert mid-apply rolls the whole commit back and aborts it", () => {
    a.commit("c0", W2);
    const records = memory.records();
    db.exec(`CREATE TEMP TRIGGER boom BEFORE INSERT ON main.memory_records WHEN new.content = 'prefer wal'
      BEGIN SELECT RAISE(ABORT, 'disk says no'); END`);
    pending(a, "c1", W1);
    expect(a.apply("c1")).toEqual({
      state: "commit_aborted",
      commit_id: "c1",
      reason_code: "storage_apply_failed",
      reason: "SQLITE_CONSTRAINT_TRIGGER: disk says no",
      snapshot: null,
      recorded: true,
    });
    expect(a.get("c1")).toMatchObject({
      state: "commit_aborted",
      reason_code: "storage_apply_failed",
      applied_seq: null,
    });
    expect(memory.records()).toEqual(records);
    expect(memory.head().seq).toBe(1);
    expect(db.prepare("SELECT count(*) FROM memory_snapshots").pluck().get()).toBe(2);
    expect(db.prepare("SELECT count(*) FROM memory_fts WHERE memory_fts MATCH 'sqlite'").pluck().get()).toBe(
      0,
    );
  });

  it("a failing state change after the writes leaves none of the writes", () => {
    db.exec(`CREATE TEMP TRIGGER boom BEFORE UPDATE OF state ON main.memory_commits
      WHEN new.state = 'commit_applied' BEGIN SELECT RAISE(ABORT, 'no commit for you'); END`);
    expect(a.commit("c1", W1)).toMatchObject({
      state: "commit_aborted",
      reason_code: "storage_apply_failed",
    });
    expect(memory.records()).toEqual([]);
    expect(memory.head().seq).toBe(0);
    expect(a.get("c1")?.state).toBe("commit_aborted");
  });
});

describe("recover()", () => {
  it("discards expired open buffers, applies expired pending commits, and skips live ones", () => {
    a.open({ commitId: "open-a" });
    a.stage("open-a", note("lost"));
    pending(a, "pend-a", W1);
    pending(a, "pend-a2", W2);
    later(DEFAULT_LEASE_MS + 1);
    pending(b, "pend-b", [note("b's")]);
    const c = new CommitBuffer(db, { owner: "c", now: () => clock });
    const report = c.recover();
    const s1 = { seq: 1, snapshot_id: nextSnapshotId(EMPTY_SNAPSHOT_ID, W1) };
    const s2 = { seq: 2, snapshot_id: nextSnapshotId(s1.snapshot_id, W2) };
    expect(report).toEqual({
      discarded: ["open-a"],
      applied: [
        { commit_id: "pend-a", snapshot: s1, inserted: W1.map((w) => recordIdFor(parseMemoryWrite(w))) },
        { commit_id: "pend-a2", snapshot: s2, inserted: W2.map((w) => recordIdFor(parseMemoryWrite(w))) },
      ],
      aborted: [],
      skipped_live: ["pend-b"],
    });
    expect(a.get("open-a")).toMatchObject({
      state: "commit_aborted",
      reason_code: null,
      reason: CRASHED_OPEN_REASON,
      owner: "c",
    });
    expect(a.get("pend-a")).toMatchObject({ state: "commit_applied", applied_seq: 1, owner: "c" });
    expect(a.get("pend-b")).toMatchObject({ state: "commit_pending", owner: "b" });
    expect(memory.records()).toEqual(byId([...recordsFor(W1, 1, clock), ...recordsFor(W2, 2, clock)]));
    expect(c.recover()).toEqual({ discarded: [], applied: [], aborted: [], skipped_live: ["pend-b"] });
    // The dead owner comes back: its commits have moved on without it.
    expect(codeOf(() => a.stage("open-a", note("x")))).toBe("COMMIT_NOT_OPEN");
    expect(
      a.apply("pend-a", { expectedFingerprint: a.get("pend-a")?.payload_fingerprint ?? "" }),
    ).toMatchObject({
      idempotent: true,
      snapshot: s1,
    });
  });

  it("takes back this owner's own live commits after a restart", () => {
    pending(a, "c1", W1);
    a.open({ commitId: "c2" });
    const restarted = new CommitBuffer(db, { owner: "a", now: () => clock });
    const report = restarted.recover();
    expect(report.applied.map((r) => r.commit_id)).toEqual(["c1"]);
    expect(report.discarded).toEqual(["c2"]);
    expect(restarted.recover()).toEqual({ discarded: [], applied: [], aborted: [], skipped_live: [] });
  });

  it("aborts a pending commit that no longer verifies or cannot be stored", () => {
    pending(a, "forged", W1);
    pending(a, "invalid", W2);
    pending(a, "broken", [note("boom")]);
    db.prepare("UPDATE memory_commit_writes SET write = ? WHERE commit_id = 'forged' AND seq = 2").run(
      JSON.stringify(parseMemoryWrite(note("other"))),
    );
    db.prepare("UPDATE memory_commit_writes SET write = 'not json' WHERE commit_id = 'invalid'").run();
    db.exec(`CREATE TEMP TRIGGER boom BEFORE INSERT ON main.memory_records WHEN new.content = 'boom'
      BEGIN SELECT RAISE(FAIL, 'no space'); END`);
    later(DEFAULT_LEASE_MS);
    const report = b.recover();
    expect(report.aborted.map(({ commit_id, reason_code }) => [commit_id, reason_code])).toEqual([
      ["forged", "payload_mismatch"],
      ["invalid", "validation_failed"],
      ["broken", "storage_apply_failed"],
    ]);
    expect(report.applied).toEqual([]);
    expect(memory.records()).toEqual([]);
    expect(a.list({ states: ["buffer_open", "commit_pending"] })).toEqual([]);
  });
});
