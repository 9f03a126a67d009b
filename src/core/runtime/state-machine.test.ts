import { describe, expect, it } from "vitest";
import { type Actor, ISSUE_STATUSES, type IssueStatus, WAIT_REASONS } from "../../spec/cards.js";
import { allowedTransitions, checkTransition, GUARD_ONLY, isTerminal } from "./state-machine.js";

const guard: Actor = { kind: "seat", name: "integrity_guard" };
const coder: Actor = { kind: "seat", name: "coder" };
const system: Actor = { kind: "system", name: "orchestrator" };
const waitFor = (to: IssueStatus) =>
  to === "blocked" || to === "waiting_for_developer" ? "dependency" : null;

describe("issue state machine", () => {
  it("walks the happy path ready → done with the guard closing", () => {
    const path: Array<[IssueStatus, IssueStatus, Actor]> = [
      ["ready", "in_progress", system],
      ["in_progress", "code_review", coder],
      ["code_review", "awaiting_guard_review", { kind: "seat", name: "reviewer" }],
      ["awaiting_guard_review", "guard_approved", guard],
      ["guard_approved", "done", guard],
      ["done", "archived", system],
    ];
    for (const [from, to, actor] of path)
      expect(checkTransition(from, to, actor, null), `${from}→${to}`).toEqual({ ok: true });
  });

  it("decides every one of the 144 pairs the same way the table says, for every actor", () => {
    let legal = 0;
    for (const from of ISSUE_STATUSES) {
      for (const to of ISSUE_STATUSES) {
        const inTable = allowedTransitions(from).includes(to);
        for (const actor of [guard, coder, system]) {
          const result = checkTransition(from, to, actor, waitFor(to));
          const expected = inTable && (!GUARD_ONLY.has(to) || actor === guard);
          expect(result.ok, `${actor.name}: ${from} → ${to}`).toBe(expected);
          if (!result.ok && !inTable) expect(result.code).toBe("ILLEGAL_TRANSITION");
        }
        if (inTable) legal++;
      }
    }
    expect(legal).toBe(ISSUE_STATUSES.reduce((n, s) => n + allowedTransitions(s).length, 0));
  });

  it("lets only an integrity_guard seat set done or a guard status", () => {
    for (const to of GUARD_ONLY) {
      const from: IssueStatus = to === "done" ? "guard_approved" : "awaiting_guard_review";
      expect(checkTransition(from, to, coder, null)).toMatchObject({ ok: false, code: "GUARD_ONLY_STATUS" });
      expect(checkTransition(from, to, system, null)).toMatchObject({ ok: false, code: "GUARD_ONLY_STATUS" });
      expect(checkTransition(from, to, { kind: "user", name: "alice" }, null)).toMatchObject({ ok: false });
      expect(checkTransition(from, to, guard, null).ok).toBe(true);
    }
  });

  it("requires a wait reason for blocked and waiting_for_developer, and only for them", () => {
    expect(checkTransition("ready", "blocked", system, null)).toMatchObject({ code: "WAIT_REASON_REQUIRED" });
    expect(checkTransition("in_progress", "waiting_for_developer", coder, null)).toMatchObject({
      code: "WAIT_REASON_REQUIRED",
    });
    for (const reason of WAIT_REASONS)
      expect(checkTransition("ready", "blocked", system, reason).ok).toBe(true);
    expect(checkTransition("ready", "in_progress", system, "input")).toMatchObject({
      code: "WAIT_REASON_UNEXPECTED",
    });
  });

  it("treats archived as final and names the legal moves in its refusal", () => {
    for (const to of ISSUE_STATUSES)
      expect(checkTransition("archived", to, guard, waitFor(to)).ok).toBe(false);
    const refusal = checkTransition("ready", "done", guard, null);
    expect(refusal.ok).toBe(false);
    if (!refusal.ok)
      expect(refusal.message).toMatch(/from ready: in_progress, blocked, waiting_for_developer, canceled/);
    expect(isTerminal("done")).toBe(true);
    expect(isTerminal("blocked")).toBe(false);
  });
});

describe("the transition table, move by move", () => {
  const user: Actor = { kind: "user", name: "alice" };

  it("allows exactly these moves out of each status", () => {
    const table = Object.fromEntries(ISSUE_STATUSES.map((s) => [s, [...allowedTransitions(s)]]));
    expect(table).toEqual({
      ready: ["in_progress", "blocked", "waiting_for_developer", "canceled"],
      in_progress: ["code_review", "ready", "blocked", "waiting_for_developer", "canceled"],
      code_review: ["awaiting_guard_review", "in_progress", "ready", "blocked", "canceled"],
      awaiting_guard_review: [
        "guard_approved",
        "guard_rejected",
        "guard_requested_changes",
        "done",
        "blocked",
        "canceled",
      ],
      guard_approved: ["done", "blocked"],
      guard_rejected: ["ready", "blocked", "canceled"],
      guard_requested_changes: ["ready", "in_progress", "blocked", "canceled"],
      blocked: ["ready", "canceled"],
      waiting_for_developer: ["ready", "canceled"],
      done: ["archived"],
      canceled: ["archived", "ready"],
      archived: [],
    });
  });

  it("sends rejected and changed work back, and lets blocked, waiting and canceled issues resume", () => {
    const moves: Array<[IssueStatus, IssueStatus]> = [
      ["guard_rejected", "ready"],
      ["guard_requested_changes", "in_progress"],
      ["guard_requested_changes", "ready"],
      ["blocked", "ready"],
      ["waiting_for_developer", "ready"],
      ["canceled", "ready"],
      ["canceled", "archived"],
      ["blocked", "canceled"],
    ];
    for (const [from, to] of moves)
      expect(checkTransition(from, to, system, null), `${from} → ${to}`).toEqual({ ok: true });
    expect(checkTransition("guard_rejected", "blocked", coder, "review")).toEqual({ ok: true });
    expect(checkTransition("guard_requested_changes", "blocked", coder, "input")).toEqual({ ok: true });
  });

  it("reserves done and the three guard verdicts for the integrity guard", () => {
    expect([...GUARD_ONLY].sort()).toEqual([
      "done",
      "guard_approved",
      "guard_rejected",
      "guard_requested_changes",
    ]);
    expect(checkTransition("guard_approved", "done", coder, null)).toEqual({
      ok: false,
      code: "GUARD_ONLY_STATUS",
      message: "only an integrity_guard seat may set done; a coder seat may not",
    });
  });

  it("names who was refused: a seat by its role, anyone else by kind and name", () => {
    expect(checkTransition("awaiting_guard_review", "guard_approved", system, null)).toEqual({
      ok: false,
      code: "GUARD_ONLY_STATUS",
      message: "only an integrity_guard seat may set guard_approved; system orchestrator may not",
    });
    expect(checkTransition("awaiting_guard_review", "guard_rejected", user, null)).toEqual({
      ok: false,
      code: "GUARD_ONLY_STATUS",
      message: "only an integrity_guard seat may set guard_rejected; user alice may not",
    });
  });

  it("does not take a person or the system named integrity_guard for the guard seat", () => {
    for (const kind of ["user", "system"] as const) {
      const impostor: Actor = { kind, name: "integrity_guard" };
      expect(checkTransition("guard_approved", "done", impostor, null)).toEqual({
        ok: false,
        code: "GUARD_ONLY_STATUS",
        message: `only an integrity_guard seat may set done; ${kind} integrity_guard may not`,
      });
    }
  });

  it("explains a final status and a wait reason missing or misplaced", () => {
    expect(checkTransition("archived", "ready", guard, null)).toEqual({
      ok: false,
      code: "ILLEGAL_TRANSITION",
      message: "archived → ready is not a legal transition (from archived: none, it is final)",
    });
    expect(checkTransition("done", "ready", guard, null)).toEqual({
      ok: false,
      code: "ILLEGAL_TRANSITION",
      message: "done → ready is not a legal transition (from done: archived)",
    });
    expect(checkTransition("ready", "waiting_for_developer", coder, null)).toEqual({
      ok: false,
      code: "WAIT_REASON_REQUIRED",
      message: "waiting_for_developer needs a wait_reason (resource, dependency, review, input, system)",
    });
    expect(checkTransition("blocked", "ready", coder, "resource")).toEqual({
      ok: false,
      code: "WAIT_REASON_UNEXPECTED",
      message: "a wait_reason is only for blocked and waiting_for_developer, not ready",
    });
  });

  it("calls exactly done, canceled and archived terminal", () => {
    const terminal = ISSUE_STATUSES.filter(isTerminal);
    expect(terminal).toEqual(["done", "canceled", "archived"]);
  });
});
