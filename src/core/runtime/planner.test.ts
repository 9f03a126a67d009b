import { describe, expect, it } from "vitest";
import type { IssueCard } from "../../spec/cards.js";
import { planNext } from "./planner.js";

function card(id: string, over: Partial<IssueCard> = {}): IssueCard {
  return {
    id,
    epic_id: "e",
    build_id: "b",
    seat: "coder",
    summary: id,
    requirements: "",
    priority: "medium",
    depends_on: [],
    max_retries: 1,
    required_files: [],
    status: "ready",
    wait_reason: null,
    attempts: 0,
    turns: 0,
    created_at: "2026-01-01T00:00:00Z",
    updated_at: "2026-01-01T00:00:00Z",
    ...over,
  };
}
const opts = {
  reviewSeat: "reviewer",
  guardSeat: "integrity_guard",
  concurrency: 3,
  inFlight: new Set<string>(),
};

describe("planNext", () => {
  it("puts review and guard work before new work, then orders by priority and id", () => {
    const plan = planNext(
      [
        card("z-new", { priority: "critical" }),
        card("a-new"),
        card("review-me", { status: "code_review" }),
        card("guard-me", { status: "awaiting_guard_review" }),
      ],
      { ...opts, concurrency: 4 },
    );
    expect(plan.work).toEqual([
      { issueId: "review-me", stage: "review", seat: "reviewer" },
      { issueId: "guard-me", stage: "guard", seat: "integrity_guard" },
      { issueId: "z-new", stage: "implement", seat: "coder" },
      { issueId: "a-new", stage: "implement", seat: "coder" },
    ]);
  });

  it("waits for dependencies to be done and respects the concurrency limit and work in flight", () => {
    const issues = [card("a"), card("b", { depends_on: ["a"] }), card("c"), card("d"), card("e")];
    const plan = planNext(issues, { ...opts, inFlight: new Set(["c"]) });
    expect(plan.work.map((w) => w.issueId)).toEqual(["a", "d"]);
    const later = planNext([card("a", { status: "done" }), card("b", { depends_on: ["a"] })], opts);
    expect(later.work.map((w) => w.issueId)).toEqual(["b"]);
  });

  it("blocks issues whose dependencies are blocked or canceled, and releases them once all are done", () => {
    const plan = planNext(
      [
        card("a", { status: "blocked", wait_reason: "system" }),
        card("b", { depends_on: ["a"] }),
        card("c", { status: "canceled" }),
        card("d", { depends_on: ["c"] }),
      ],
      opts,
    );
    expect(plan.block).toEqual([
      { issueId: "b", reason: "dependency a is blocked" },
      { issueId: "d", reason: "dependency c is canceled" },
    ]);
    expect(plan.work).toEqual([]);
    const released = planNext(
      [
        card("a", { status: "done" }),
        card("b", { status: "blocked", wait_reason: "dependency", depends_on: ["a"] }),
      ],
      opts,
    );
    expect(released.release).toEqual([{ issueId: "b", reason: "dependencies done: a" }]);
  });

  it("sends changes requested by the guard back to the issue's own seat", () => {
    const plan = planNext([card("x", { status: "guard_requested_changes", seat: "architect" })], opts);
    expect(plan.work).toEqual([{ issueId: "x", stage: "implement", seat: "architect" }]);
  });
});
