import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { checkTransition } from "../core/runtime/state-machine.js";
import {
  type Actor,
  type Epic,
  EpicSchema,
  ISSUE_STATUSES,
  type IssueStatus,
  type WaitReason,
} from "../spec/cards.js";
import { CardStore } from "./card-store.js";
import { type Database, openDatabase } from "./db.js";
import { TransitionRefusedError } from "./store-errors.js";

const T0 = new Date("2025-01-02T03:04:05.000Z");
const T1 = new Date("2025-01-02T03:05:00.000Z");
const coder: Actor = { kind: "seat", name: "coder" };
const guard: Actor = { kind: "seat", name: "integrity_guard" };
const system: Actor = { kind: "system", name: "orchestrator" };

const epic: Epic = EpicSchema.parse({
  id: "calc",
  title: "Calculator",
  issues: [
    { id: "parse", seat: "coder", summary: "Parse input", priority: "high" },
    { id: "eval", seat: "coder", summary: "Evaluate", depends_on: ["parse"], priority: "critical" },
    { id: "docs", seat: "writer", summary: "Write docs", priority: "low" },
    { id: "cli", seat: "coder", summary: "CLI", required_files: ["cli.py"] },
  ],
});

let dir: string;
let db: Database;
let store: CardStore;
const extra: Database[] = [];

function count(table: string): number {
  return db.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number;
}

/** Test set-up only: puts an issue in any status without a transaction row. */
function force(issueId: string, status: IssueStatus, waitReason: WaitReason | null = null): void {
  db.prepare("UPDATE issues SET status = ?, wait_reason = ? WHERE build_id = 'b1' AND id = ?").run(
    status,
    waitReason,
    issueId,
  );
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "orket-cards-"));
  db = openDatabase(join(dir, "orket.db"));
  store = new CardStore(db);
});

afterEach(() => {
  for (const other of extra.splice(0)) other.close();
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("syncEpic", () => {
  it("creates the build and every issue as ready", () => {
    expect(store.syncEpic("b1", epic, T0)).toEqual({
      created: ["parse", "eval", "docs", "cli"],
      kept: [],
      updated: [],
    });
    const cards = store.getIssues("b1");
    expect(cards.map((c) => c.status)).toEqual(["ready", "ready", "ready", "ready"]);
    expect(store.getIssue("b1", "eval")).toMatchObject({
      build_id: "b1",
      epic_id: "calc",
      seat: "coder",
      summary: "Evaluate",
      requirements: "",
      depends_on: ["parse"],
      max_retries: 1,
      required_files: [],
      wait_reason: null,
      attempts: 0,
      turns: 0,
      created_at: T0.toISOString(),
      updated_at: T0.toISOString(),
      created_by: { kind: "system", name: "epic-sync" },
    });
  });

  it("run twice keeps existing cards and their statuses, never duplicating", () => {
    store.syncEpic("b1", epic, T0);
    store.transition({
      buildId: "b1",
      issueId: "parse",
      to: "in_progress",
      actor: coder,
      reason: "go",
      now: T1,
    });
    store.recordTurn("b1", "parse");
    const before = store.getIssues("b1");

    expect(store.syncEpic("b1", epic, T1)).toEqual({
      created: [],
      kept: ["parse", "eval", "docs", "cli"],
      updated: [],
    });
    expect(count("issues")).toBe(4);
    expect(count("builds")).toBe(1);
    expect(store.getIssues("b1")).toEqual(before);
    expect(store.getIssue("b1", "parse")?.status).toBe("in_progress");
  });

  it("refreshes the spec of issues that have not started, and only theirs", () => {
    store.syncEpic("b1", epic, T0);
    store.transition({
      buildId: "b1",
      issueId: "parse",
      to: "in_progress",
      actor: coder,
      reason: "go",
      now: T0,
    });
    const edited = EpicSchema.parse({
      ...epic,
      issues: [
        ...epic.issues.map((issue) => ({ ...issue, summary: `${issue.summary} (edited)` })),
        { id: "tests", seat: "coder", summary: "Tests" },
      ],
    });
    expect(store.syncEpic("b1", edited, T1)).toEqual({
      created: ["tests"],
      kept: ["parse", "eval", "docs", "cli"],
      updated: ["eval", "docs", "cli"],
    });
    expect(store.getIssue("b1", "parse")?.summary).toBe("Parse input");
    expect(store.getIssue("b1", "eval")).toMatchObject({
      summary: "Evaluate (edited)",
      updated_at: T1.toISOString(),
    });
  });

  it("keeps builds apart and refuses another epic in the same build", () => {
    store.syncEpic("b1", epic, T0);
    store.syncEpic("b2", epic, T0);
    expect(count("issues")).toBe(8);
    expect(store.listBuilds()).toEqual([
      {
        build_id: "b1",
        epic_id: "calc",
        title: "Calculator",
        created_at: T0.toISOString(),
        updated_at: T0.toISOString(),
      },
      expect.objectContaining({ build_id: "b2", epic_id: "calc" }),
    ]);
    expect(store.getBuild("b3")).toBeUndefined();
    const other = EpicSchema.parse({ ...epic, id: "other" });
    expect(() => store.syncEpic("b1", other, T1)).toThrow(
      expect.objectContaining({ code: "BUILD_EPIC_MISMATCH", buildEpicId: "calc", epicId: "other" }),
    );
  });
});

describe("reading cards", () => {
  it("orders issues by priority, then id", () => {
    store.syncEpic("b1", epic, T0);
    expect(store.getIssues("b1").map((c) => c.id)).toEqual(["eval", "parse", "cli", "docs"]);
    expect(store.getIssues("nope")).toEqual([]);
    expect(store.getIssue("b1", "nope")).toBeUndefined();
  });

  it("validates rows read back and names the table when one is damaged", () => {
    store.syncEpic("b1", epic, T0);
    db.prepare("UPDATE issues SET depends_on = '[not json' WHERE id = 'eval'").run();
    expect(() => store.getIssue("b1", "eval")).toThrow(
      expect.objectContaining({ code: "INVALID_ROW", table: "issues" }),
    );
  });
});

describe("transition", () => {
  beforeEach(() => {
    store.syncEpic("b1", epic, T0);
  });

  it("updates the issue and records who, from, to, why and when", () => {
    const card = store.transition({
      buildId: "b1",
      issueId: "parse",
      to: "in_progress",
      actor: coder,
      reason: "picked up",
      runId: "run-1",
      now: T1,
    });
    expect(card).toMatchObject({ status: "in_progress", wait_reason: null, updated_at: T1.toISOString() });
    store.transition({
      buildId: "b1",
      issueId: "parse",
      to: "blocked",
      actor: system,
      reason: "needs eval",
      waitReason: "dependency",
      now: T1,
    });
    expect(store.getIssue("b1", "parse")).toMatchObject({ status: "blocked", wait_reason: "dependency" });
    expect(store.listTransactions("b1", "parse")).toEqual([
      {
        id: expect.any(Number),
        build_id: "b1",
        issue_id: "parse",
        actor: coder,
        from: "ready",
        to: "in_progress",
        reason: "picked up",
        wait_reason: null,
        at: T1.toISOString(),
        run_id: "run-1",
      },
      expect.objectContaining({
        actor: system,
        from: "in_progress",
        to: "blocked",
        wait_reason: "dependency",
        run_id: null,
      }),
    ]);
    store.transition({
      buildId: "b1",
      issueId: "parse",
      to: "ready",
      actor: system,
      reason: "unblocked",
      now: T1,
    });
    expect(store.getIssue("b1", "parse")).toMatchObject({ status: "ready", wait_reason: null });
    expect(store.listTransactions("b1").map((t) => t.to)).toEqual(["in_progress", "blocked", "ready"]);
  });

  it("agrees with checkTransition on every (from, to, actor, wait reason) and writes nothing when refused", () => {
    const actors = [coder, guard, system, { kind: "user", name: "integrity_guard" } as Actor];
    const reasons: (WaitReason | null)[] = [null, "review"];
    let applied = 0;
    for (const from of ISSUE_STATUSES) {
      for (const to of ISSUE_STATUSES) {
        for (const actor of actors) {
          for (const waitReason of reasons) {
            const fromWait = from === "blocked" || from === "waiting_for_developer" ? "input" : null;
            force("cli", from, fromWait);
            const before = { issue: store.getIssue("b1", "cli"), transactions: count("card_transactions") };
            const expected = checkTransition(from, to, actor, waitReason);
            const attempt = () =>
              store.transition({
                buildId: "b1",
                issueId: "cli",
                to,
                actor,
                reason: "matrix",
                waitReason,
                now: T1,
              });
            if (expected.ok) {
              expect(attempt()).toMatchObject({ status: to, wait_reason: waitReason });
              expect(count("card_transactions")).toBe(before.transactions + 1);
              applied++;
            } else {
              expect(attempt).toThrow(
                expect.objectContaining({ code: expected.code, from, to, message: expected.message }),
              );
              expect(store.getIssue("b1", "cli")).toEqual(before.issue);
              expect(count("card_transactions")).toBe(before.transactions);
            }
          }
        }
      }
    }
    expect(applied).toBeGreaterThan(20);
    expect(count("card_transactions")).toBe(applied);
  });

  it("refuses an unknown issue with UNKNOWN_ISSUE", () => {
    const attempt = () =>
      store.transition({
        buildId: "b1",
        issueId: "ghost",
        to: "in_progress",
        actor: coder,
        reason: "",
        now: T1,
      });
    expect(attempt).toThrow(TransitionRefusedError);
    expect(attempt).toThrow(expect.objectContaining({ code: "UNKNOWN_ISSUE", from: null }));
    expect(count("card_transactions")).toBe(0);
  });

  it("lets exactly one of two store instances on the same file apply a transition from one state", () => {
    const otherDb = openDatabase(join(dir, "orket.db"));
    extra.push(otherDb);
    const other = new CardStore(otherDb);
    const input = {
      buildId: "b1",
      issueId: "parse",
      to: "in_progress",
      actor: coder,
      reason: "",
      now: T1,
    } as const;
    expect(store.transition(input).status).toBe("in_progress");
    expect(() => other.transition(input)).toThrow(expect.objectContaining({ code: "ILLEGAL_TRANSITION" }));
    expect(count("card_transactions")).toBe(1);
  });

  it("refuses, writing nothing, when the status changes between the read and the conditional update", () => {
    // A second connection cannot interleave inside BEGIN IMMEDIATE, so the race is staged on the store's
    // own connection: right after the store reads the issue, the status is moved underneath it.
    const prepare = db.prepare.bind(db);
    db.prepare = ((source: string) => {
      const statement = prepare(source);
      if (source.startsWith("SELECT * FROM issues WHERE build_id = ? AND id = ?")) {
        const get = statement.get.bind(statement);
        let armed = true;
        statement.get = (...params: unknown[]) => {
          const row = get(...params);
          if (armed) {
            armed = false;
            prepare("UPDATE issues SET status = 'canceled' WHERE id = 'parse'").run();
          }
          return row;
        };
      }
      return statement;
    }) as Database["prepare"];
    const racedStore = new CardStore(db);
    try {
      expect(() =>
        racedStore.transition({
          buildId: "b1",
          issueId: "parse",
          to: "in_progress",
          actor: coder,
          reason: "",
          now: T1,
        }),
      ).toThrow(expect.objectContaining({ code: "TRANSITION_CONFLICT", from: "ready" }));
    } finally {
      db.prepare = prepare;
    }
    expect(store.getIssue("b1", "parse")?.status).toBe("ready");
    expect(count("card_transactions")).toBe(0);
  });
});

describe("counters, created issues and comments", () => {
  beforeEach(() => {
    store.syncEpic("b1", epic, T0);
  });

  it("counts attempts and turns", () => {
    expect(store.recordAttempt("b1", "parse")).toBe(1);
    expect(store.recordAttempt("b1", "parse", T1)).toBe(2);
    expect(store.recordTurn("b1", "parse")).toBe(1);
    expect(store.getIssue("b1", "parse")).toMatchObject({
      attempts: 2,
      turns: 1,
      updated_at: T1.toISOString(),
    });
    expect(() => store.recordTurn("b1", "ghost")).toThrow(expect.objectContaining({ code: "UNKNOWN_ISSUE" }));
  });

  it("creates an issue for the create_issue tool, never over an existing id", () => {
    const spec = {
      id: "fix-bug",
      seat: "coder",
      summary: "Fix it",
      requirements: "",
      priority: "high",
    } as const;
    const card = store.createIssue(
      "b1",
      "calc",
      { ...spec, depends_on: [], max_retries: 1, required_files: [] },
      coder,
      T1,
    );
    expect(card).toMatchObject({
      id: "fix-bug",
      status: "ready",
      created_by: coder,
      created_at: T1.toISOString(),
    });
    expect(() => store.createIssue("b1", "calc", { ...card }, coder, T1)).toThrow(
      expect.objectContaining({ code: "ISSUE_EXISTS", issueId: "fix-bug" }),
    );
    expect(() => store.createIssue("b9", "calc", { ...card, id: "x" }, coder, T1)).toThrow(
      expect.objectContaining({ code: "UNKNOWN_BUILD" }),
    );
    expect(() => store.createIssue("b1", "calc", { ...card, id: "Bad Id" }, coder, T1)).toThrow(
      expect.objectContaining({ code: "INVALID_ISSUE_SPEC" }),
    );
    expect(() => store.createIssue("b1", "other", { ...card, id: "y" }, coder, T1)).toThrow(
      expect.objectContaining({ code: "BUILD_EPIC_MISMATCH" }),
    );
    expect(count("issues")).toBe(5);
  });

  it("adds and lists comments in order", () => {
    store.addComment({ buildId: "b1", issueId: "parse", author: coder, body: "first", now: T0 });
    store.addComment({ buildId: "b1", issueId: "parse", author: guard, body: "second", now: T1 });
    store.addComment({ buildId: "b1", issueId: "eval", author: coder, body: "elsewhere", now: T1 });
    expect(store.listComments("b1", "parse")).toEqual([
      {
        id: expect.any(Number),
        build_id: "b1",
        issue_id: "parse",
        author: coder,
        body: "first",
        at: T0.toISOString(),
      },
      expect.objectContaining({ author: guard, body: "second", at: T1.toISOString() }),
    ]);
    expect(() =>
      store.addComment({ buildId: "b1", issueId: "ghost", author: coder, body: "?", now: T1 }),
    ).toThrow(expect.objectContaining({ code: "UNKNOWN_ISSUE" }));
  });
});
