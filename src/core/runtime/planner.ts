/**
 * The planner: which issues to work next, by which seat. Work in review comes first (code review, then
 * the guard), then ready issues whose dependencies are done, each class by priority then id. Issues
 * whose dependencies are blocked or canceled are to be blocked with reason `dependency`; issues blocked
 * on dependencies that are all done again are to be released.
 */
import type { IssueCard, IssueStatus, Priority } from "../../spec/cards.js";

export type Stage = "implement" | "review" | "guard";

export interface PlannedWork {
  issueId: string;
  stage: Stage;
  seat: string;
}

export interface Plan {
  work: PlannedWork[];
  block: Array<{ issueId: string; reason: string }>;
  release: Array<{ issueId: string; reason: string }>;
}

export interface PlanOptions {
  reviewSeat: string;
  guardSeat: string;
  /** Most issues worked at once (default 3). */
  concurrency: number;
  /** Issues being worked right now: never planned twice. */
  inFlight: ReadonlySet<string>;
}

const PRIORITY_ORDER: Record<Priority, number> = { critical: 0, high: 1, medium: 2, low: 3 };
const DEAD_DEPENDENCY: ReadonlySet<IssueStatus> = new Set([
  "blocked",
  "canceled",
  "archived",
  "waiting_for_developer",
]);
const DONE: ReadonlySet<IssueStatus> = new Set(["done", "archived"]);

export function planNext(issues: readonly IssueCard[], options: PlanOptions): Plan {
  const byId = new Map(issues.map((i) => [i.id, i]));
  const ordered = [...issues].sort(
    (a, b) =>
      PRIORITY_ORDER[a.priority] - PRIORITY_ORDER[b.priority] || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
  const block: Plan["block"] = [];
  const release: Plan["release"] = [];
  const blockedNow = new Set<string>();

  for (const issue of ordered) {
    if (issue.status !== "ready" && issue.status !== "guard_requested_changes") continue;
    const dead = issue.depends_on.find((dep) => {
      const status = byId.get(dep)?.status;
      return status === undefined || DEAD_DEPENDENCY.has(status);
    });
    if (dead !== undefined) {
      const status = byId.get(dead)?.status ?? "missing";
      block.push({ issueId: issue.id, reason: `dependency ${dead} is ${status}` });
      blockedNow.add(issue.id);
    }
  }
  for (const issue of ordered) {
    if (issue.status === "blocked" && issue.wait_reason === "dependency" && dependenciesDone(issue, byId)) {
      release.push({
        issueId: issue.id,
        reason: `dependencies done: ${issue.depends_on.join(", ") || "none"}`,
      });
    }
  }

  const candidates: PlannedWork[] = [];
  const add = (stage: Stage, seat: (i: IssueCard) => string, statuses: IssueStatus[], ready?: boolean) => {
    for (const issue of ordered) {
      if (!statuses.includes(issue.status) || options.inFlight.has(issue.id) || blockedNow.has(issue.id))
        continue;
      if (ready && !dependenciesDone(issue, byId)) continue;
      candidates.push({ issueId: issue.id, stage, seat: seat(issue) });
    }
  };
  add("review", () => options.reviewSeat, ["code_review"]);
  add("guard", () => options.guardSeat, ["awaiting_guard_review", "guard_approved"]);
  add("implement", (i) => i.seat, ["guard_requested_changes", "ready"], true);

  const room = Math.max(0, options.concurrency - options.inFlight.size);
  return { work: candidates.slice(0, room), block, release };
}

function dependenciesDone(issue: IssueCard, byId: Map<string, IssueCard>): boolean {
  return issue.depends_on.every((dep) => {
    const status = byId.get(dep)?.status;
    return status !== undefined && DONE.has(status);
  });
}
