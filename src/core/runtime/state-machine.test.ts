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
